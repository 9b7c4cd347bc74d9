"""`spark-jobs run` on datasets with parameters, end to end through the console script.

Dates are relative to the real run time (the job's "last 7 days"), so the trees are built from
today's date.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from params_helpers import days_before, imported, job_spec, pos_file, read_csv, run_cli, write_tree

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"


def reference_job_group(name: str) -> dict[str, Any]:
    """The API page's own request body (Region=02, varReferenceType=PROD)."""
    return json.loads((REFERENCE / name).read_text())


def region_tree(root: Path) -> list[str]:
    """POS files by reference type, region and day; returns the ones a run with Region=02,
    varReferenceType=PROD and the last 7 days must read (relative to ``root``)."""
    today = datetime.now(timezone.utc).date()
    expected = []
    files = {}
    for kind in ("PROD", "TEST"):
        for region in ("01", "02"):
            for day in days_before(today, 1, 3, 10, 0):
                for n in ("01", "02", "xx"):
                    relative = f"{kind}/region-{region}/{day:%Y/%m/%d}/POS-r{n}.csv"
                    files[relative] = pos_file(relative)
                    if (kind, region, n != "xx") == ("PROD", "02", True) and day in days_before(
                        today, 1, 3
                    ):
                        expected.append(relative)
    write_tree(root, files)
    return sorted(expected)


def region_dataset(root: Path) -> dict[str, Any]:
    return imported(
        f"{root.as_uri()}/{{varReferenceType}}/region-{{Region}}/{{day}}/POS-r{{n}}.csv",
        [
            {"name": "Region", "variable": {"value": "01"}},
            {"name": "varReferenceType", "variable": {"value": "TEST"}},
            {"name": "day", "dateRange": {"formats": ["yyyy/MM/dd"], "last": {"number": 7, "unit": "day"}}},
            {"name": "n", "pattern": {"trifactaPattern": "{digit}{2}"}},
        ],
    )  # fmt: skip


def dated_output(root: Path) -> dict[str, Any]:
    return {
        "path": f"{root}/out/{{varReferenceType}}-{{Region}}/pos_{{ts}}.csv",
        "action": "create",
        "format": "csv",
        "header": True,
        "asSingleFile": True,
        "parameters": [
            {"name": "Region", "variable": {"value": "01"}},
            {"name": "varReferenceType", "variable": {"value": "TEST"}},
            {"name": "ts", "timestamp": {"format": "yyyyMMdd-HHmmss"}},
        ],
    }


@pytest.mark.usefixtures("spark")
@pytest.mark.parametrize("body", ["parameters_older.json", "parameters_newer.json"])
def test_a_reference_request_runs_a_dataset_with_parameters(
    body: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "pos"
    expected = region_tree(source)
    assert len(expected) == 4
    spec = job_spec(
        region_dataset(source), [dated_output(tmp_path)], job_group=reference_job_group(body)
    )
    before = datetime.now(timezone.utc).replace(microsecond=0)
    code, result, err = run_cli(spec, tmp_path, capsys)
    assert code == 0, err
    assert result["status"] == "Complete"
    assert result["runParameters"] == {"Region": "02", "varReferenceType": "PROD"}

    [source_record] = result["sources"]
    assert source_record["uri"] == region_dataset(source)["uri"]
    assert source_record["fileCount"] == 4
    assert source_record["files"] == [f"file://{source}/{f}" for f in expected]

    values = {(p["name"], p["type"]): p for p in result["parameters"]}
    assert values[("Region", "variable")]["value"] == "02"
    assert values[("Region", "variable")]["source"] == "override"
    assert values[("Region", "variable")]["usedBy"] == [
        "$.flow.importedDatasets[0].parameters[0]",
        "$.jobGroup.overrides.writeSettings[0].parameters[0]",
    ]
    assert values[("varReferenceType", "variable")]["value"] == "PROD"
    assert values[("n", "pattern")]["value"] == "trifactaPattern: {digit}{2}"
    assert values[("day", "datetime")]["source"] == "runTime"
    stamp = values[("ts", "timestamp")]["value"]
    ran_at = datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc)
    assert before <= ran_at <= datetime.now(timezone.utc)

    [output] = result["jobs"][-1]["outputs"]
    written = tmp_path / "out" / "PROD-02" / f"pos_{stamp}.csv"
    assert output["requestedPath"] == str(written) and written.is_file()
    rows = read_csv(written)
    assert sorted((r["src"], r["n"]) for r in rows) == sorted(
        (f, str(i)) for f in expected for i in (1, 2)
    )


def test_an_unknown_override_is_an_invalid_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "pos"
    region_tree(source)
    dataset = region_dataset(source)
    dataset["parameters"] = dataset["parameters"][:1] + dataset["parameters"][2:]
    dataset["uri"] = dataset["uri"].replace("{varReferenceType}", "PROD")
    output = {"path": str(tmp_path / "out.csv"), "action": "create", "format": "csv"}
    spec = job_spec(dataset, [output], job_group=reference_job_group("parameters_older.json"))
    code, result, err = run_cli(spec, tmp_path, capsys)
    assert code == 2
    message = (
        "$.jobGroup.runParameters.overrides[0].data[1].key: "
        "no parameter named 'varReferenceType' (parameters: Region, day, n)"
    )
    assert message in err and "Traceback" not in err
    assert result["status"] == "Failed" and result["id"] is None
    assert result["errors"][0]["problems"] == [
        {
            "path": "$.jobGroup.runParameters.overrides[0].data[1].key",
            "message": message.split(": ", 1)[1],
        }
    ]
    assert not (tmp_path / "store").exists()


def test_a_dataset_that_matches_no_file_is_an_invalid_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "pos"
    region_tree(source)
    spec = job_spec(
        region_dataset(source),
        [{"path": str(tmp_path / "out.csv"), "action": "create", "format": "csv"}],
        run_parameters={"overrides": {"data": [{"key": "Region", "value": "03"}]}},
    )
    code, result, err = run_cli(spec, tmp_path, capsys)
    assert code == 2
    [problem] = result["errors"][0]["problems"]
    assert problem["path"] == "$.flow.importedDatasets[0].uri"
    assert problem["message"].startswith(
        f"no file matches {source.as_uri()}/TEST/region-03/{{day}}"
    )
    assert "searched" in problem["message"] and problem["message"] in err
    assert not (tmp_path / "store").exists()


@pytest.mark.slow
@pytest.mark.usefixtures("spark")
def test_thousands_of_small_files_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "pos"
    write_tree(source, {f"d{i % 10}/part-{i:04d}.csv": f"src,n\n{i},1\n" for i in range(3000)})
    write_tree(source, {"d0/part-x.csv": "src,n\nx,1\n", "d0/_SUCCESS": ""})
    dataset = imported(
        f"{source.as_uri()}/{{dir}}/part-{{n}}.csv",
        [
            {"name": "dir", "pattern": {"wildcard": "d?"}},
            {"name": "n", "pattern": {"regex": "[0-9]{4}"}},
        ],
    )
    output = {"path": str(tmp_path / "out.csv"), "action": "create", "format": "csv", "header": True, "asSingleFile": True}  # fmt: skip
    started = time.monotonic()
    code, result, err = run_cli(job_spec(dataset, [output]), tmp_path, capsys)
    elapsed = time.monotonic() - started
    assert code == 0, err
    assert result["sources"][0]["fileCount"] == 3000
    assert sorted(int(r["src"]) for r in read_csv(tmp_path / "out.csv")) == list(range(3000))
    print(f"3000 files: run took {elapsed:.1f} s")
