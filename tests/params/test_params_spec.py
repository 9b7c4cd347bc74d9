"""Parameters in the spec: templates, patterns, date formats and ranges, and their validation.

Pure Python: nothing here needs Spark or a file system.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from params_helpers import RUN_TIME, imported, job_spec

from spark_jobs.errors import SpecError
from spark_jobs.spec import load_job_spec
from spark_jobs.spec.models import ImportedDataset, WriteSetting
from spark_jobs.spec.parameters import (
    ParameterError,
    Placeholder,
    date_format,
    last_window,
    parse_template,
    trifacta_pattern_regex,
    user_regex,
    wildcard_regex,
)
from spark_jobs.spec.resolve import Wild, resolve_output, resolve_source

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"
OUT = {"path": "/out/pos.csv", "action": "create", "format": "csv"}


def problems_of(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as info:
        load_job_spec(document)
    return [(p.path, p.message) for p in info.value.problems]


# --- templates ----------------------------------------------------------------------------------


def test_template_placeholders_and_literal_braces() -> None:
    assert parse_template("s3a://b/{region}/x{{1}}-{env.bucket}.csv") == (
        "s3a://b/",
        Placeholder("region"),
        "/x{1}-",
        Placeholder("env.bucket"),
        ".csv",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/a/{region/b", "'{' at position 4 does not start a parameter"),
        ("/a/{1x}/b", "'{' at position 4 does not start a parameter"),
        ("/a/}/b", "unmatched '}' at position 4"),
    ],
)
def test_template_mistakes_are_explained(text: str, message: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)):
        parse_template(text)


# --- patterns -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("POS-r{digit}{2}", ["POS-r01", "POS-r99"], ["POS-r1", "POS-r001", "POS-rab"]),
        ("{alpha}+_#", ["ab_1", "Z_7"], ["_7x", "a-1"]),
        ("%*.csv", ["a.csv", ".csv", "x y.csv"], ["a.json"]),
        ("(east|west)-%{2}", ["east-ab", "west-01"], ["north-ab", "east-abc"]),
        ("{month-abbrev}{digit}+", ["Jan2024", "Dec1"], ["jan2024", "January1"]),
        ("a\\{b", ["a{b"], ["ab"]),
    ],
)
def test_trifacta_patterns(pattern: str, matches: list[str], misses: list[str]) -> None:
    regex = re.compile(trifacta_pattern_regex(pattern))
    assert all(regex.fullmatch(text) for text in matches)
    assert not any(regex.fullmatch(text) for text in misses)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("{digits}", "unknown pattern {digits}"),
        ("+a", "nothing to repeat at position 1"),
        ("a/{digit}", "cannot hold '/'"),
        ("", "cannot be empty"),
    ],
)
def test_trifacta_pattern_mistakes(pattern: str, message: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)):
        trifacta_pattern_regex(pattern)


def test_wildcards_and_regular_expressions() -> None:
    assert re.fullmatch(wildcard_regex("part-*.c?v"), "part-0001.csv")
    assert not re.fullmatch(wildcard_regex("part-*.csv"), "part-1.json")
    # anchors are implied: a leading ^ and a trailing $ are dropped
    assert user_regex("^r[0-9]+$") == "r[0-9]+"
    with pytest.raises(ParameterError, match="not a valid pattern"):
        user_regex("r[0-9")


# --- dates --------------------------------------------------------------------------------------


def test_date_formats_parse_render_and_glob() -> None:
    fmt = date_format("yyyy/MM/dd")
    assert fmt.parse("2024/05/01") == datetime(2024, 5, 1)
    assert fmt.parse("2024/13/01") is None and fmt.parse("2024/5/1") is None
    assert fmt.render(datetime(2024, 5, 1)) == "2024/05/01"
    assert fmt.glob_parts() == [None, "/", None, "/", None] and fmt.unit == "day"
    ui = date_format("YYYY-MM-DD'T'HH")  # the platform UI's spelling, quoted literal text
    assert ui.parse("2024-05-01T07") == datetime(2024, 5, 1, 7) and ui.unit == "hour"
    assert date_format("MMMyy").parse("May24") == datetime(2024, 5, 1)
    with pytest.raises(ParameterError, match="unknown letter 'Q'"):
        date_format("yyyyQ")


def test_last_range_leaves_the_current_unit_out() -> None:
    days = last_window(7, "days", "UTC", RUN_TIME)  # run on Wednesday 2024-05-08 10:30 UTC
    assert (days.start, days.end) == (datetime(2024, 5, 1), datetime(2024, 5, 8))
    weeks = last_window(1, "week", "UTC", RUN_TIME)  # weeks start on Monday
    assert (weeks.start, weeks.end) == (datetime(2024, 4, 29), datetime(2024, 5, 6))
    months = last_window(2, "month", "UTC", RUN_TIME)
    assert (months.start, months.end) == (datetime(2024, 3, 1), datetime(2024, 5, 1))
    # in Los Angeles it is still 03:30 on May 8th
    hours = last_window(3, "hours", "America/Los_Angeles", RUN_TIME)
    assert (hours.start, hours.end) == (datetime(2024, 5, 8, 0), datetime(2024, 5, 8, 3))


def test_a_path_date_matches_when_its_period_overlaps_the_range() -> None:
    window = last_window(7, "day", "UTC", RUN_TIME)  # 2024-05-01 .. 2024-05-07
    assert window.accepts(datetime(2024, 5, 1), "day")
    assert window.accepts(datetime(2024, 5, 7), "day")
    assert not window.accepts(datetime(2024, 4, 30), "day")
    assert not window.accepts(datetime(2024, 5, 8), "day")
    # a monthly file (yyyy-MM) holds days of the range: April does not, May does
    assert window.accepts(datetime(2024, 5, 1), "month")
    assert not window.accepts(datetime(2024, 4, 1), "month")


# --- resolving a run ----------------------------------------------------------------------------


def dataset(uri: str, *parameters: dict[str, Any]) -> ImportedDataset:
    return ImportedDataset.model_validate(imported(uri, parameters))


def test_variables_and_overrides_become_text_patterns_and_dates_stay_open() -> None:
    ds = dataset(
        "/data/{region}/{day}/POS-r{n}.csv",
        {"name": "region", "variable": {"value": "pacific"}},
        {
            "name": "day",
            "dateRange": {"formats": "yyyy/MM/dd", "last": {"number": 7, "unit": "day"}},
        },
        {"name": "n", "pattern": {"trifactaPattern": "{digit}{2}"}},
    )
    template, values = resolve_source(ds, {"region": "eastern"}, RUN_TIME, where="$.d")
    assert template.parts[0] == "/data/eastern/"
    assert [p.name for p in template.parts if isinstance(p, Wild)] == ["day", "n"]
    assert [(v.name, v.type, v.value, v.source) for v in values] == [
        ("region", "variable", "eastern", "override"),
        ("day", "datetime", "2024-05-01T00:00:00 <= t < 2024-05-08T00:00:00 (UTC)", "runTime"),
        ("n", "pattern", "trifactaPattern: {digit}{2}", "default"),
    ]
    # an override fixes a date (or a pattern) to the text it gives
    fixed, _ = resolve_source(ds, {"day": "2024/04/02", "n": "07"}, RUN_TIME, where="$.d")
    assert fixed.exact == "/data/pacific/2024/04/02/POS-r07.csv"


def test_output_path_variables_and_run_timestamp() -> None:
    setting = WriteSetting.model_validate(
        {
            "path": "/out/{region}/pos_{ts}.csv",
            "action": "create",
            "format": "csv",
            "parameters": [
                {"name": "region", "variable": {"value": "pacific"}},
                {"name": "ts", "timestamp": {"format": "yyyyMMdd_HHmm", "timezone": "Asia/Tokyo"}},
            ],
        }
    )
    resolved, values = resolve_output(setting, {"region": "02"}, RUN_TIME, where="$.o")
    assert resolved.path == "/out/02/pos_20240508_1930.csv" and resolved.parameters == []
    assert [(v.name, v.value, v.source) for v in values] == [
        ("region", "02", "override"),
        ("ts", "20240508_1930", "runTime"),
    ]


# --- validation ---------------------------------------------------------------------------------


def test_every_parameter_mistake_is_reported_at_once_with_its_path() -> None:
    ds = imported(
        "/data/{region}/{dya}/POS-{n}.csv",
        [
            {"name": "region", "variable": {"value": "x"}},
            {
                "name": "day",
                "dateRange": {
                    "formats": ["yyyy/MM/dd"],
                    "last": {"number": 7, "unit": "fortnight"},
                },
            },
            {"name": "n", "pattern": {"trifactaPattern": "{digits}"}},
            {"name": "n", "pattern": {"regex": "a", "wildcard": "*"}},
            {
                "name": "tz",
                "dateRange": {
                    "formats": ["yyyyQ"],
                    "timezone": "Mars/Base",
                    "isAfter": {"date": "soon"},
                },
            },
        ],
    )
    output = {
        **OUT,
        "path": "/out/{when}.csv",
        "parameters": [{"name": "ts", "timestamp": {"format": "yyyy"}}],
    }
    problems = problems_of(job_spec(ds, [output]))
    assert problems == sorted(
        [
            (
                "$.flow.importedDatasets[0].uri",
                "{dya} names no parameter (declared: day, n, region, tz); write {{ and }} for literal braces",
            ),
            (
                "$.flow.importedDatasets[0].parameters[1].name",
                "parameter 'day' is not used: put {day} in uri",
            ),
            (
                "$.flow.importedDatasets[0].parameters[3].name",
                "parameter 'n' is declared more than once",
            ),
            (
                "$.flow.importedDatasets[0].parameters[4].name",
                "parameter 'tz' is not used: put {tz} in uri",
            ),
            (
                "$.flow.importedDatasets[0].parameters[1].dateRange.last.unit",
                "unknown unit 'fortnight' (use minute, hour, day, week, month or year)",
            ),
            (
                "$.flow.importedDatasets[0].parameters[2].pattern.trifactaPattern",
                problems_message("{digits}"),
            ),
            (
                "$.flow.importedDatasets[0].parameters[3].pattern",
                "give exactly one of trifactaPattern, regex or wildcard (got regex, wildcard)",
            ),
            (
                "$.flow.importedDatasets[0].parameters[4].dateRange.formats",
                "date format 'yyyyQ': unknown letter 'Q' at position 5 (known: d D dd DD H HH M MM mm MMM MMMM ss SSS yy YY yyyy YYYY; quote literal text as 'T')",
            ),
            (
                "$.flow.importedDatasets[0].parameters[4].dateRange.timezone",
                "unknown time zone 'Mars/Base' (use an IANA name such as UTC or Europe/Berlin)",
            ),
            (
                "$.flow.importedDatasets[0].parameters[4].dateRange.isAfter.date",
                "'soon' is not an ISO 8601 date or date-time (such as 2024-05-01 or 2024-05-01T06:00:00)",
            ),
            (
                "$.jobGroup.overrides.writeSettings[0].path",
                "{when} names no parameter (declared: ts); write {{ and }} for literal braces",
            ),
            (
                "$.jobGroup.overrides.writeSettings[0].parameters[0].name",
                "parameter 'ts' is not used: put {ts} in path",
            ),
        ]
    )


def problems_message(pattern: str) -> str:
    with pytest.raises(ParameterError) as info:
        trifacta_pattern_regex(pattern)
    return str(info.value)


def test_a_uri_without_parameters_is_taken_literally() -> None:
    # a plain uri may be a Hadoop glob; braces only mean parameters when parameters are declared
    spec = load_job_spec(job_spec(imported("/data/{a,b}/*.csv", []), [OUT]))
    assert spec.flow.importedDatasets[0].uri == "/data/{a,b}/*.csv"


def test_the_platform_spelling_overridekey_names_a_parameter() -> None:
    ds = imported("/d/{Region}.csv", [{"overrideKey": "Region", "variable": {"value": "01"}}])
    spec = load_job_spec(job_spec(ds, [OUT]))
    assert spec.flow.importedDatasets[0].parameters[0].name == "Region"


def reference_job_group(name: str) -> dict[str, Any]:
    body = json.loads((REFERENCE / name).read_text())
    body["overrides"]["writesettings"][0]["path"] = "/out/pos.csv"
    return body


REFERENCE_PARAMETERS = [
    {"name": "Region", "variable": {"value": "01"}},
    {"name": "varReferenceType", "variable": {"value": "TEST"}},
]


@pytest.mark.parametrize("body", ["parameters_older.json", "parameters_newer.json"])
def test_reference_override_bodies_apply_to_declared_parameters(body: str) -> None:
    ds = imported("/data/{varReferenceType}/region-{Region}.csv", REFERENCE_PARAMETERS)
    spec = load_job_spec(job_spec(ds, [OUT], job_group=reference_job_group(body)))
    template, _ = resolve_source(
        spec.flow.importedDatasets[0], spec.run_parameters, RUN_TIME, where="$"
    )
    assert template.exact == "/data/PROD/region-02.csv"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ("parameters_older.json", "$.jobGroup.runParameters.overrides[0].data[1].key"),
        ("parameters_newer.json", "$.jobGroup.runParameters.overrides.data[1].key"),
    ],
)
def test_an_override_of_an_unknown_parameter_is_an_error(body: str, path: str) -> None:
    ds = imported("/data/region-{Region}.csv", REFERENCE_PARAMETERS[:1])
    assert problems_of(job_spec(ds, [OUT], job_group=reference_job_group(body))) == [
        (path, "no parameter named 'varReferenceType' (parameters: Region)")
    ]


def test_an_override_in_a_flow_without_parameters() -> None:
    groups = {"overrides": [{"data": [{"key": "region", "value": "02"}]}]}
    assert problems_of(job_spec(imported("/d/x.csv", []), [OUT], run_parameters=groups)) == [
        (
            "$.jobGroup.runParameters.overrides[0].data[0].key",
            "no parameter named 'region' (the flow declares no parameters)",
        )
    ]


def test_a_date_override_must_be_written_in_the_parameters_format() -> None:
    ds = imported(
        "/d/{day}.csv",
        [
            {
                "name": "day",
                "dateRange": {
                    "formats": ["yyyy-MM-dd", "yyyyMMdd"],
                    "last": {"number": 1, "unit": "day"},
                },
            }
        ],
    )
    overrides = {"overrides": {"data": [{"key": "day", "value": "05/01/2024"}]}}
    assert problems_of(job_spec(ds, [OUT], run_parameters=overrides)) == [
        (
            "$.jobGroup.runParameters.overrides.data[0].value",
            "'05/01/2024' is not a date in the format of parameter 'day' (yyyy-MM-dd or yyyyMMdd)",
        )
    ]
    overrides["overrides"]["data"][0]["value"] = "20240501"
    assert load_job_spec(job_spec(ds, [OUT], run_parameters=overrides)).run_parameters == {
        "day": "20240501"
    }


def test_an_output_parameter_can_be_overridden() -> None:
    output = {
        **OUT,
        "path": "/out/{region}.csv",
        "parameters": [{"name": "region", "variable": {"value": "x"}}],
    }
    overrides = {"overrides": {"data": [{"key": "region", "value": "02"}]}}
    spec = load_job_spec(job_spec(imported("/d/a.csv", []), [output], run_parameters=overrides))
    resolved, _ = resolve_output(spec.write_settings[0], spec.run_parameters, RUN_TIME, where="$")
    assert resolved.path == "/out/02.csv"


def test_the_json_schema_describes_parameters() -> None:
    from spark_jobs.spec import job_spec_json_schema

    schema = json.dumps(job_spec_json_schema())
    for name in (
        "DatasetParameter",
        "PatternValue",
        "DateRange",
        "OutputParameter",
        "TimestampValue",
    ):
        assert name in schema


def test_the_documented_examples_are_valid() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "job-spec.md").read_text()
    section = doc.split("## Datasets with parameters", 1)[1].split("\n## ", 1)[0]
    dataset_json, output_json = re.findall(r"```json\n(.*?)```", section, re.S)
    dataset = ImportedDataset.model_validate(json.loads(dataset_json))
    assert [p.type for p in dataset.parameters] == ["variable", "variable", "datetime", "pattern"]
    output = WriteSetting.model_validate(json.loads(output_json))
    resolved, _ = resolve_output(output, {}, RUN_TIME, where="$")
    assert resolved.path == "s3a://results/pacific/orders_20240508-103000.csv"
    overrides = {"Region": "02", "varReferenceType": "PROD"}
    template, _ = resolve_source(dataset, overrides, RUN_TIME, where="$")
    assert template.parts[0] == "hdfs:///data/PROD/region-02/"
