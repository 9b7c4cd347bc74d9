"""Finding the files of a dataset with parameters, and planning a run with them (no Spark).

Every test builds a directory tree, then plans (or matches) with a fixed run time.
"""

from __future__ import annotations

import builtins
import time
from pathlib import Path
from typing import Any

import pytest
from params_helpers import RUN_TIME, imported, job_spec, pos_file, write_tree

from spark_jobs.errors import SpecError
from spark_jobs.io.fs import FileInfo, LocalFileSystem
from spark_jobs.io.matching import match_files
from spark_jobs.runner.plan import plan_job
from spark_jobs.runner.sources import SourceLister, needs_session
from spark_jobs.spec import load_job_spec
from spark_jobs.spec.models import ImportedDataset
from spark_jobs.spec.parameters import ParameterError
from spark_jobs.spec.resolve import resolve_source

OUT = {"path": "/out/pos.csv", "action": "create", "format": "csv"}
LAST_7_DAYS = {"formats": ["yyyy/MM/dd"], "last": {"number": 7, "unit": "day"}}


def planned_files(
    root: Path, uri: str, parameters: list[dict[str, Any]], overrides: Any = None
) -> list[str]:
    """The files the plan reads, relative to ``root``."""
    spec = load_job_spec(
        job_spec(imported(f"{root.as_uri()}/{uri}", parameters), [OUT], run_parameters=overrides)
    )
    plan = plan_job(spec, run_time=RUN_TIME)
    prefix = f"file://{root}/"
    return [f.removeprefix(prefix) for f in plan.source_uris[1]]


def plan_problems(root: Path, uri: str, parameters: list[dict[str, Any]]) -> list[tuple[str, str]]:
    spec = load_job_spec(job_spec(imported(f"{root.as_uri()}/{uri}", parameters), [OUT]))
    with pytest.raises(SpecError) as info:
        plan_job(spec, run_time=RUN_TIME)
    return [(p.path, p.message) for p in info.value.problems]


def test_a_variable_names_one_file_or_directory(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pacific/a.csv": pos_file("a"), "eastern/b.csv": pos_file("b")})
    region = [{"name": "region", "variable": {"value": "pacific"}}]
    assert planned_files(tmp_path, "{region}/a.csv", region) == ["pacific/a.csv"]
    assert planned_files(tmp_path, "{region}", region) == ["pacific/a.csv"]
    overrides = {"overrides": [{"data": [{"key": "region", "value": "eastern"}]}]}
    assert planned_files(tmp_path, "{region}", region, overrides) == ["eastern/b.csv"]


def test_a_pattern_matches_inside_one_level_and_skips_hidden_files(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "POS-r01.csv": "", "POS-r02.csv": "", "POS-r3.csv": "", "POS-r04.txt": "",
            "POS-rab.csv": "", "sub/POS-r05.csv": "", ".POS-r06.csv": "", "_POS-r07.csv": "",
        },
    )  # fmt: skip
    digits = [{"name": "n", "pattern": {"trifactaPattern": "{digit}{2}"}}]
    assert planned_files(tmp_path, "POS-r{n}.csv", digits) == ["POS-r01.csv", "POS-r02.csv"]
    regex = [{"name": "n", "pattern": {"regex": "r0[1-4]"}}]
    assert planned_files(tmp_path, "POS-{n}.csv", regex) == ["POS-r01.csv", "POS-r02.csv"]
    wildcard = [{"name": "f", "pattern": {"wildcard": "*"}}]
    assert planned_files(tmp_path, "{f}.csv", wildcard) == [
        "POS-r01.csv", "POS-r02.csv", "POS-r3.csv", "POS-rab.csv",
    ]  # fmt: skip


def test_a_date_range_relative_to_the_run(tmp_path: Path) -> None:
    days = ["2024/04/30", "2024/05/01", "2024/05/04", "2024/05/07", "2024/05/08"]
    write_tree(tmp_path, {f"{d}/orders.csv": pos_file(d) for d in days})
    last_week = [{"name": "day", "dateRange": LAST_7_DAYS}]
    assert planned_files(tmp_path, "{day}/orders.csv", last_week) == [
        "2024/05/01/orders.csv", "2024/05/04/orders.csv", "2024/05/07/orders.csv",
    ]  # fmt: skip
    between = {"formats": "yyyy/MM/dd", "between": {"start": "2024-05-04", "end": "2024-05-08"}}
    assert planned_files(tmp_path, "{day}/orders.csv", [{"name": "day", "dateRange": between}]) == [
        "2024/05/04/orders.csv", "2024/05/07/orders.csv", "2024/05/08/orders.csv",
    ]  # fmt: skip
    before = {"formats": "yyyy/MM/dd", "isBefore": {"date": "2024-05-01"}}
    assert planned_files(tmp_path, "{day}/orders.csv", [{"name": "day", "dateRange": before}]) == [
        "2024/04/30/orders.csv"
    ]
    # an override reads exactly one day, even outside the range
    overrides = {"overrides": {"data": [{"key": "day", "value": "2024/04/30"}]}}
    assert planned_files(tmp_path, "{day}/orders.csv", last_week, overrides) == [
        "2024/04/30/orders.csv"
    ]


def test_dates_in_several_formats_and_time_zones(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "log-2024-05-07.csv": "", "log-20240506.csv": "", "log-2024-05-08.csv": "",
            "log-2024-13-01.csv": "", "log-20240430.csv": "",
        },
    )  # fmt: skip
    formats = {"formats": ["yyyy-MM-dd", "yyyyMMdd"], "last": {"number": 7, "unit": "days"}}
    day = [{"name": "day", "dateRange": formats}]
    assert planned_files(tmp_path, "log-{day}.csv", day) == [
        "log-2024-05-07.csv", "log-20240506.csv",
    ]  # fmt: skip
    # at 10:30 UTC on May 8th it is already 00:30 on May 9th on Kiritimati: yesterday is the 8th
    kiritimati = {**formats, "timezone": "Pacific/Kiritimati", "last": {"number": 1, "unit": "day"}}
    assert planned_files(tmp_path, "log-{day}.csv", [{"name": "day", "dateRange": kiritimati}]) == [
        "log-2024-05-08.csv"
    ]


def test_variables_patterns_and_dates_together(tmp_path: Path) -> None:
    files = {}
    for region in ("pacific", "eastern"):
        for day in ("2024/05/01", "2024/05/06", "2024/04/01"):
            for n in ("01", "02", "xx"):
                files[f"{region}/{day}/POS-r{n}.csv"] = pos_file(f"{region}-{day}-{n}")
    write_tree(tmp_path, files)
    parameters = [
        {"name": "region", "variable": {"value": "pacific"}},
        {"name": "day", "dateRange": LAST_7_DAYS},
        {"name": "n", "pattern": {"trifactaPattern": "{digit}{2}"}},
    ]
    assert planned_files(tmp_path, "{region}/{day}/POS-r{n}.csv", parameters) == [
        "pacific/2024/05/01/POS-r01.csv",
        "pacific/2024/05/01/POS-r02.csv",
        "pacific/2024/05/06/POS-r01.csv",
        "pacific/2024/05/06/POS-r02.csv",
    ]


def test_a_parameter_used_twice_must_match_the_same_text(tmp_path: Path) -> None:
    write_tree(tmp_path, {"2024-05-02/pos_2024-05-02.csv": "", "2024-05-03/pos_2024-05-02.csv": ""})
    day = [
        {"name": "d", "dateRange": {"formats": "yyyy-MM-dd", "last": {"number": 7, "unit": "day"}}}
    ]
    assert planned_files(tmp_path, "{d}/pos_{d}.csv", day) == ["2024-05-02/pos_2024-05-02.csv"]


def test_matched_directories_stand_for_their_files(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "2024-05-02/part-0.csv": "", "2024-05-02/deep/part-1.csv": "",
            "2024-05-02/_SUCCESS": "", "2024-05-02/.part-0.csv.crc": "", "2024-05-09/part-0.csv": "",
        },
    )  # fmt: skip
    day = [
        {"name": "d", "dateRange": {"formats": "yyyy-MM-dd", "last": {"number": 7, "unit": "day"}}}
    ]
    assert planned_files(tmp_path, "{d}/", day) == [
        "2024-05-02/deep/part-1.csv", "2024-05-02/part-0.csv",
    ]  # fmt: skip


def test_file_names_with_spaces_and_glob_characters(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a b/x [1].csv": "", "a b/x {2}.csv": "", "a b/x 3.csv": ""})
    n = [{"name": "n", "pattern": {"wildcard": "*"}}]
    assert planned_files(tmp_path, "a b/x {n}.csv", n) == [
        "a b/x 3.csv",
        "a b/x [1].csv",
        "a b/x {2}.csv",
    ]
    # literal text of the uri is literal, glob characters included
    write_tree(tmp_path, {"[raw]/p1.csv": "", "r/p2.csv": ""})
    assert planned_files(tmp_path, "[raw]/p{n}.csv", n) == ["[raw]/p1.csv"]


def test_a_relative_uri_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"data/r01.csv": "", "data/r02.csv": ""})
    monkeypatch.chdir(tmp_path)
    spec = load_job_spec(
        job_spec(imported("data/r{n}.csv", [{"name": "n", "pattern": {"regex": "0[12]"}}]), [OUT])
    )
    assert plan_job(spec, run_time=RUN_TIME).source_uris[1] == [
        f"file://{tmp_path}/data/r01.csv",
        f"file://{tmp_path}/data/r02.csv",
    ]


def test_no_match_is_reported_with_what_was_searched(tmp_path: Path) -> None:
    write_tree(tmp_path, {"2024/04/01/orders.csv": ""})
    parameters = [
        {"name": "region", "variable": {"value": "west"}},
        {"name": "day", "dateRange": LAST_7_DAYS},
    ]
    assert plan_problems(tmp_path, "{region}/{day}/orders.csv", parameters) == [
        (
            "$.flow.importedDatasets[0].uri",
            f"no file matches {tmp_path.as_uri()}/west/{{day}}/orders.csv "
            "(day: yyyy/MM/dd, 2024-05-01T00:00:00 <= t < 2024-05-08T00:00:00 (UTC)); "
            f"searched {tmp_path}/west/*/*/*/orders.csv",
        )
    ]


def test_only_datasets_of_the_job_graph_are_listed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a1.csv": pos_file("a")})
    n = [{"name": "n", "pattern": {"wildcard": "*"}}]
    spec = job_spec(imported(f"{tmp_path.as_uri()}/a{{n}}.csv", n), [OUT])
    spec["flow"]["importedDatasets"].append(
        imported(f"{tmp_path.as_uri()}/b{{n}}.csv", n, id=2, name="unused")
    )
    plan = plan_job(load_job_spec(spec), run_time=RUN_TIME)
    assert plan.source_uris == {1: [f"file://{tmp_path}/a1.csv"]}


def test_thousands_of_files_are_listed_with_one_glob_and_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"2024/05/0{1 + i % 7}/POS-r{i:04d}.csv": "" for i in range(3000)}
    files.update({f"2024/04/2{i}/POS-r{i:04d}.csv": "" for i in range(3)})
    write_tree(tmp_path, files)
    globs: list[str] = []
    real_glob = LocalFileSystem.glob

    def counting_glob(self: LocalFileSystem, pattern: str) -> list[FileInfo]:
        globs.append(pattern)
        return real_glob(self, pattern)

    def no_open(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a file was opened while matching: {args[0]}")

    monkeypatch.setattr(LocalFileSystem, "glob", counting_glob)
    parameters = [
        {"name": "day", "dateRange": LAST_7_DAYS},
        {"name": "n", "pattern": {"trifactaPattern": "{digit}{4}"}},
    ]
    spec = load_job_spec(
        job_spec(imported(f"{tmp_path.as_uri()}/{{day}}/POS-r{{n}}.csv", parameters), [OUT])
    )
    started = time.monotonic()
    with monkeypatch.context() as patched:
        patched.setattr(builtins, "open", no_open)
        plan = plan_job(spec, run_time=RUN_TIME)
    elapsed = time.monotonic() - started
    assert len(plan.source_uris[1]) == 3000
    assert globs == [f"{tmp_path}/*/*/*/POS-r*.csv"]
    assert elapsed < 5, f"listing 3003 files took {elapsed:.1f} s"


def test_the_plan_records_values_and_resolves_output_paths(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pacific/2024/05/02/a.csv": ""})
    parameters = [
        {"name": "region", "variable": {"value": "pacific"}},
        {"name": "day", "dateRange": LAST_7_DAYS},
    ]
    output = {
        "path": f"{tmp_path}/out/{{region}}/{{ts}}.csv",
        "action": "create",
        "format": "csv",
        "parameters": [
            {"name": "region", "variable": {"value": "pacific"}},
            {"name": "ts", "timestamp": {"format": "yyyy-MM-dd'T'HHmm"}},
        ],
    }
    ds = imported(f"{tmp_path.as_uri()}/{{region}}/{{day}}/a.csv", parameters)
    plan = plan_job(load_job_spec(job_spec(ds, [output])), run_time=RUN_TIME)
    assert [o.path for o in plan.outputs] == [f"{tmp_path}/out/pacific/2024-05-08T1030.csv"]
    assert [(v.name, v.type, v.value, v.source, v.used_by) for v in plan.parameters] == [
        (
            "region",
            "variable",
            "pacific",
            "default",
            (
                "$.flow.importedDatasets[0].parameters[0]",
                "$.jobGroup.overrides.writeSettings[0].parameters[0]",
            ),
        ),
        (
            "day",
            "datetime",
            "2024-05-01T00:00:00 <= t < 2024-05-08T00:00:00 (UTC)",
            "runTime",
            ("$.flow.importedDatasets[0].parameters[1]",),
        ),
        (
            "ts",
            "timestamp",
            "2024-05-08T1030",
            "runTime",
            ("$.jobGroup.overrides.writeSettings[0].parameters[1]",),
        ),
    ]


def test_hadoop_datasets_need_the_session_to_be_listed() -> None:
    ds = imported("s3a://bucket/pos/{day}.csv", [{"name": "day", "dateRange": LAST_7_DAYS}])
    spec = load_job_spec(job_spec(ds, [OUT]))
    assert needs_session(spec)
    lister = SourceLister(run_time=RUN_TIME)
    plan = plan_job(spec, list_sources=lister, run_time=RUN_TIME)
    assert plan.unlisted == [1] and plan.source_uris == {1: []}
    plain = load_job_spec(job_spec(imported("s3a://bucket/pos/x.csv", []), [OUT]))
    assert not needs_session(plain)


def test_a_pattern_in_the_bucket_name_cannot_be_listed() -> None:
    ds = ImportedDataset.model_validate(
        imported("s3a://{b}/pos.csv", [{"name": "b", "pattern": {"wildcard": "*"}}])
    )
    template, _ = resolve_source(ds, {}, RUN_TIME, where="$")
    with pytest.raises(ParameterError, match="cannot be in the scheme or host"):
        match_files(template, LocalFileSystem())
