"""The job spec accepts the API's own request bodies verbatim and reports every problem at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spark_jobs.errors import SpecError
from spark_jobs.spec import JobGroupRequest, job_spec_json_schema, load_job_spec

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"


def reference_body(name: str) -> dict[str, Any]:
    return json.loads((REFERENCE / name).read_text())


def flow(target: int = 7, *, stored_outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "importedDatasets": [
            {
                "id": 1,
                "name": "orders",
                "uri": "file:///data/orders.csv",
                "format": "csv",
                "options": {"header": True},
            }
        ],
        "wrangledDatasets": [
            {
                "id": target,
                "name": "orders_clean",
                "input": {"importedDataset": {"id": 1}},
                "recipe": [],
                "writeSettings": stored_outputs
                if stored_outputs is not None
                else [{"path": "file:///out/orders.csv", "action": "create", "format": "csv"}],
            }
        ],
    }


def problems_of(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as info:
        load_job_spec(document)
    return [(p.path, p.message) for p in info.value.problems]


@pytest.mark.parametrize(
    "body",
    [
        "rerun.json",
        "specify_job_older.json",
        "specify_job_newer.json",
        "parameters_older.json",
        "parameters_newer.json",
    ],
)
def test_reference_request_bodies_parse_verbatim(body: str) -> None:
    request = JobGroupRequest.model_validate(reference_body(body))
    assert request.wrangledDataset.id in (1, 7, 33)


def test_both_runparameter_shapes_mean_the_same() -> None:
    older = JobGroupRequest.model_validate(reference_body("parameters_older.json"))
    newer = JobGroupRequest.model_validate(reference_body("parameters_newer.json"))
    assert older.runParameters is not None and newer.runParameters is not None
    assert (
        older.runParameters.values()
        == newer.runParameters.values()
        == {"Region": "02", "varReferenceType": "PROD"}
    )


def test_both_writesettings_spellings_mean_the_same() -> None:
    older = reference_body("specify_job_older.json")
    newer = reference_body("specify_job_newer.json")
    newer["overrides"]["writeSettings"][0]["path"] = older["overrides"]["writesettings"][0]["path"]
    newer["ranfrom"] = "cli"
    a = load_job_spec({"jobGroup": older, "flow": flow(1)})
    b = load_job_spec({"jobGroup": newer, "flow": flow(1)})
    assert a.write_settings == b.write_settings
    assert a.write_settings[0].path.startswith("hdfs://hadoop:50070/")
    assert a.execution == "photon" and a.profiler is False and a.jobGroup.ranfrom == "cli"


def test_rerun_body_uses_the_write_settings_stored_with_the_dataset() -> None:
    spec = load_job_spec({"jobGroup": reference_body("rerun.json"), "flow": flow(7)})
    assert [s.path for s in spec.write_settings] == ["file:///out/orders.csv"]
    assert spec.execution == "spark" and spec.profiler is False


def test_override_write_settings_replace_the_stored_ones() -> None:
    body = {
        "wrangledDataset": {"id": 7},
        "overrides": {
            "writeSettings": [{"path": "/tmp/x.json", "action": "overwrite", "format": "json"}]
        },
    }
    spec = load_job_spec({"jobGroup": body, "flow": flow(7)})
    assert [(s.path, s.format) for s in spec.write_settings] == [("/tmp/x.json", "json")]


@pytest.mark.parametrize("execution", ["photon", "spark", "databricksSpark", "emrSpark"])
def test_every_execution_value_is_accepted(execution: str) -> None:
    body = {"wrangledDataset": {"id": 7}, "overrides": {"execution": execution}, "ranfrom": None}
    assert load_job_spec({"jobGroup": body, "flow": flow(7)}).execution == execution


def test_rerun_without_any_outputs_is_an_error() -> None:
    problems = problems_of(
        {"jobGroup": {"wrangledDataset": {"id": 7}}, "flow": flow(7, stored_outputs=[])}
    )
    assert problems == [("$.jobGroup.overrides.writeSettings", problems[0][1])]
    assert "no outputs" in problems[0][1]


def test_every_problem_is_reported_at_once_with_its_json_path() -> None:
    document = {
        "jobGroup": {
            "wrangledDataset": {"id": 9},
            "overrides": {
                "execution": "hadoop",
                "writeSettings": [
                    {
                        "path": "/o/a.avro",
                        "action": "create",
                        "format": "avro",
                        "compression": "gzip",
                    },
                    {
                        "path": "/o/b.csv",
                        "action": "create",
                        "format": "csv",
                        "compression": "gzip",
                    },
                    {"path": "/o/c.json", "action": "create", "format": "json", "header": True},
                    {"path": "/o/d", "action": "create", "format": "pqt", "asSingleFile": True},
                    {"path": "/o/e.csv", "action": "replace", "format": "csv", "colour": "red"},
                ],
            },
            "ranfrom": "api",
        },
        "flow": {
            "importedDatasets": [{"id": 1, "name": "a", "uri": "/d/a.csv", "format": "xlsx"}],
            "wrangledDatasets": [
                {"id": 7, "name": "w", "input": {"importedDataset": {"id": 2}}},
                {"id": 8, "name": "v", "input": {"wrangledDataset": {"id": 99}}, "extra": 1},
            ],
        },
    }
    paths = {path for path, _ in problems_of(document)}
    ws = "$.jobGroup.overrides.writeSettings"
    assert paths == {
        "$.jobGroup.wrangledDataset.id",
        "$.jobGroup.overrides.execution",
        "$.jobGroup.ranfrom",
        f"{ws}[0].compression",
        f"{ws}[1].path",
        f"{ws}[2].header",
        f"{ws}[3].asSingleFile",
        f"{ws}[4].action",
        f"{ws}[4]",  # unknown field colour
        "$.flow.importedDatasets[0].format",
        "$.flow.wrangledDatasets[0].input.importedDataset.id",
        "$.flow.wrangledDatasets[1].input.wrangledDataset.id",
        "$.flow.wrangledDatasets[1]",  # unknown field extra
    }


def test_messages_name_the_field_and_the_allowed_values() -> None:
    document = {
        "jobGroup": {
            "wrangledDataset": {"id": 7},
            "overrides": {
                "writeSettings": [
                    {"path": "/o/x.csv", "action": "create", "format": "xls", "zip": 1}
                ]
            },
        },
        "flow": flow(7),
    }
    messages = dict(problems_of(document))
    assert "'csv'" in messages["$.jobGroup.overrides.writeSettings[0].format"]
    assert "'pqt'" in messages["$.jobGroup.overrides.writeSettings[0].format"]
    assert messages["$.jobGroup.overrides.writeSettings[0]"] == "unknown field 'zip'"


@pytest.mark.parametrize(
    ("setting", "path", "fragment"),
    [
        (
            {"format": "pqt", "compression": "bzip2", "path": "/o/x.bz2"},
            "compression",
            "no compression",
        ),
        ({"format": "json", "compression": "bzip2", "path": "/o/x.json.gz"}, "path", "'.bz2'"),
        ({"format": "csv", "compression": "gzip", "path": "/o/x.csv.bz2"}, "path", "'.gz'"),
        ({"format": "avro", "header": True, "path": "/o/x"}, "header", "csv output only"),
        ({"format": "avro", "asSingleFile": True, "path": "/o/x"}, "asSingleFile", "csv and json"),
    ],
)
def test_each_write_setting_rule(setting: dict[str, Any], path: str, fragment: str) -> None:
    entry = {"action": "create", **setting}
    document = {
        "jobGroup": {"wrangledDataset": {"id": 7}, "overrides": {"writeSettings": [entry]}},
        "flow": flow(7),
    }
    problems = problems_of(document)
    assert [p for p, _ in problems] == [f"$.jobGroup.overrides.writeSettings[0].{path}"]
    assert fragment in problems[0][1]


def test_compressed_paths_with_the_right_suffix_are_valid() -> None:
    outputs = [
        {
            "path": "/o/a.csv.gz",
            "action": "create",
            "format": "csv",
            "compression": "gzip",
            "header": True,
        },
        {
            "path": "/o/b.json.bz2",
            "action": "append",
            "format": "json",
            "compression": "bzip2",
            "asSingleFile": True,
        },
    ]
    document = {
        "jobGroup": {"wrangledDataset": {"id": 7}, "overrides": {"writeSettings": outputs}},
        "flow": flow(7),
    }
    assert len(load_job_spec(document).write_settings) == 2


def test_two_outputs_to_one_path_are_an_error() -> None:
    outputs = [{"path": "/o/a.csv", "action": "create", "format": "csv"}] * 2
    document = {
        "jobGroup": {"wrangledDataset": {"id": 7}, "overrides": {"writeSettings": outputs}},
        "flow": flow(7),
    }
    assert problems_of(document) == [
        ("$.jobGroup.overrides.writeSettings", "2 outputs write to the same path '/o/a.csv'")
    ]


def test_duplicate_ids_and_misplaced_read_options() -> None:
    document = {
        "jobGroup": {"wrangledDataset": {"id": 7}},
        "flow": {
            "importedDatasets": [
                {
                    "id": 1,
                    "name": "a",
                    "uri": "/d/a.json",
                    "format": "json",
                    "options": {"delimiter": ";"},
                },
                {"id": 1, "name": "b", "uri": "/d/b.csv", "format": "csv"},
            ],
            "wrangledDatasets": [
                {
                    "id": 7,
                    "name": "w",
                    "input": {"importedDataset": {"id": 1}},
                    "writeSettings": [{"path": "/o/x.csv", "action": "create", "format": "csv"}],
                },
            ],
        },
    }
    assert set(problems_of(document)) == {
        ("$.flow.importedDatasets", "id 1 is used by 2 datasets"),
        (
            "$.flow.importedDatasets[0].options.delimiter",
            "option 'delimiter' does not apply to json datasets",
        ),
    }


def test_input_must_name_exactly_one_dataset() -> None:
    document = {"jobGroup": {"wrangledDataset": {"id": 7}}, "flow": flow(7)}
    document["flow"]["wrangledDatasets"][0]["input"] = {}
    assert problems_of(document) == [
        (
            "$.flow.wrangledDatasets[0].input",
            "give exactly one of importedDataset or wrangledDataset",
        )
    ]


def test_malformed_json_file(tmp_path: Path) -> None:
    bad = tmp_path / "job.json"
    bad.write_text('{"jobGroup": {"wrangledDataset": {"id": 7}},\n "flow": }')
    with pytest.raises(SpecError) as info:
        load_job_spec(bad)
    assert "malformed JSON at line 2, column 10" in info.value.message


def test_json_schema_is_published_and_names_the_contract() -> None:
    schema = job_spec_json_schema()
    assert set(schema["properties"]) == {"jobGroup", "flow"}
    assert schema["additionalProperties"] is False
    write_setting = schema["$defs"]["WriteSetting"]["properties"]
    assert write_setting["format"]["enum"] == ["csv", "json", "avro", "pqt", "delta"]
    assert set(write_setting) == {
        "path",
        "action",
        "format",
        "compression",
        "header",
        "asSingleFile",
        "parameters",  # output path parameters (docs/job-spec.md, "Datasets with parameters")
    }


def test_booleans_must_be_json_booleans_and_the_string_is_named() -> None:
    document = {
        "jobGroup": {
            "wrangledDataset": {"id": 7},
            "overrides": {
                "profiler": "yes",
                "writeSettings": [
                    {"path": "/o/x.csv", "action": "create", "format": "csv", "header": "true"}
                ],
            },
        },
        "flow": flow(7),
    }
    document["flow"]["importedDatasets"][0]["options"]["header"] = "false"
    messages = dict(problems_of(document))
    assert messages == {
        "$.jobGroup.overrides.profiler": "'yes' is not a JSON boolean: write true or false (no quotes)",
        "$.jobGroup.overrides.writeSettings[0].header": "'true' is not a JSON boolean: write true or false (no quotes)",
        "$.flow.importedDatasets[0].options.header": "'false' is not a JSON boolean: write true or false (no quotes)",
    }
    document["jobGroup"]["overrides"]["profiler"] = True
    document["jobGroup"]["overrides"]["writeSettings"][0]["header"] = False
    document["flow"]["importedDatasets"][0]["options"]["header"] = True
    assert load_job_spec(document).profiler is True


def test_a_value_outside_the_allowed_ones_is_named_with_the_allowed_ones() -> None:
    document = {
        "jobGroup": {
            "wrangledDataset": {"id": 7},
            "overrides": {
                "execution": "flink",
                "writeSettings": [{"path": "/o/x.csv", "action": "upsert", "format": "xls"}],
            },
        },
        "flow": flow(7),
    }
    document["flow"]["importedDatasets"][0]["format"] = "sas7bdat"
    document["flow"]["importedDatasets"][0]["options"] = {}
    messages = dict(problems_of(document))
    assert messages == {
        "$.jobGroup.overrides.execution": "'flink' is not allowed: expected 'photon', 'spark', 'databricksSpark' or 'emrSpark'",
        "$.jobGroup.overrides.writeSettings[0].action": "'upsert' is not allowed: expected 'create', 'append' or 'overwrite'",
        "$.jobGroup.overrides.writeSettings[0].format": "'xls' is not allowed: expected 'csv', 'json', 'avro', 'pqt' or 'delta'",
        "$.flow.importedDatasets[0].format": "'sas7bdat' is not allowed: expected 'csv', 'json', 'parquet', 'avro', 'text', 'excel' or 'sql'",
    }


def test_a_binary_file_is_a_clear_error(tmp_path: Path) -> None:
    binary = tmp_path / "job.json"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    with pytest.raises(SpecError) as info:
        load_job_spec(binary)
    assert info.value.problems[0].path == "$"
    assert "is not JSON text: byte 0x80 at offset 136 is not UTF-8" in info.value.message


@pytest.mark.parametrize("depth", [10_000, 201])
def test_a_deeply_nested_document_is_a_clear_error(tmp_path: Path, depth: int) -> None:
    deep = tmp_path / "job.json"
    deep.write_text('{"jobGroup": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(SpecError) as info:
        load_job_spec(deep)
    assert info.value.problems[0].message == (
        "JSON nested more than 200 levels deep; a job spec needs far fewer"
    )


def test_the_cli_exits_2_on_a_binary_or_deep_file_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from spark_jobs.cli import main

    binary = tmp_path / "binary.json"
    binary.write_bytes(bytes(range(256)))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 10_000 + "]" * 10_000)
    for path, fragment in ((binary, "not JSON text"), (deep, "nested more than 200 levels")):
        for command in (["validate", str(path)], ["run", str(path), "--job-store", str(tmp_path)]):
            assert main(command) == 2
            err = capsys.readouterr().err
            assert fragment in err
            assert "Traceback" not in err
