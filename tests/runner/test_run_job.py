"""`spark-jobs run` end to end, in process with the shared session: graph, result, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from spark_jobs import cli
from spark_jobs.jobstore.store import JobStore
from spark_jobs.runner.app import run_command

ORDERS = "order_id,region,amount\n1,west,10.5\n2,east,3\n3,west,\n"


@pytest.fixture()
def orders_csv(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    return path


def chain_spec(
    source: Path, outputs: list[dict[str, Any]], *, profiler: bool = False
) -> dict[str, Any]:
    """Three wrangled datasets, each the input of the next: 5 -> 6 -> 7 (the target)."""
    return {
        "jobGroup": {
            "wrangledDataset": {"id": 7},
            "overrides": {"execution": "spark", "profiler": profiler, "writeSettings": outputs},
            "ranfrom": "cli",
        },
        "flow": {
            "importedDatasets": [
                {
                    "id": 1,
                    "name": "orders",
                    "uri": source.as_uri(),
                    "format": "csv",
                    "options": {"header": True},
                }
            ],
            "wrangledDatasets": [
                {"id": 7, "name": "orders_final", "input": {"wrangledDataset": {"id": 6}}},
                {"id": 5, "name": "orders_raw", "input": {"importedDataset": {"id": 1}}},
                {"id": 6, "name": "orders_mid", "input": {"wrangledDataset": {"id": 5}}},
            ],
        },
    }


def write_spec(tmp_path: Path, spec: dict[str, Any]) -> Path:
    path = tmp_path / "job.json"
    path.write_text(json.dumps(spec))
    return path


def run(
    spark: SparkSession, spec_path: Path, store: Path, **kwargs: Any
) -> tuple[int, dict[str, Any], str, str]:
    out, err = io.StringIO(), io.StringIO()
    result_file = spec_path.parent / "result.json"
    code = run_command(
        str(spec_path),
        session=lambda extras: spark,
        job_store=str(store),
        result_file=str(result_file),
        out=out,
        err=err,
        **kwargs,
    )
    result = json.loads(result_file.read_text())
    return code, result, out.getvalue(), err.getvalue()


def test_three_dependent_datasets_run_in_order(
    spark: SparkSession, tmp_path: Path, orders_csv: Path
) -> None:
    target = tmp_path / "out" / "orders.csv"
    spec = chain_spec(
        orders_csv,
        [
            {
                "path": str(target),
                "action": "create",
                "format": "csv",
                "header": True,
                "asSingleFile": True,
            }
        ],
    )
    code, result, stdout, stderr = run(spark, write_spec(tmp_path, spec), tmp_path / "store")

    assert code == 0, stderr
    response = json.loads(stdout)
    assert response["reason"] == "JobStarted"
    assert set(response) == {"id", "sessionId", "reason", "jobs", "jobGraph"}
    jobs = result["jobs"]
    wrangle = [j for j in jobs if j["type"] == "wrangle"]
    assert [j["wrangledDataset"]["name"] for j in wrangle] == [
        "orders_raw",
        "orders_mid",
        "orders_final",
    ]
    ids = [j["id"] for j in jobs]
    assert response["jobs"]["data"] == [{"id": i} for i in ids]
    assert response["jobGraph"]["vertices"] == ids
    writer = next(j for j in jobs if j["type"] == "filewriter")
    assert response["jobGraph"]["edges"] == [
        {"source": wrangle[0]["id"], "target": wrangle[1]["id"]},
        {"source": wrangle[1]["id"], "target": wrangle[2]["id"]},
        {"source": wrangle[2]["id"], "target": writer["id"]},
    ]
    assert result["status"] == "Complete"
    assert all(j["status"] == "Complete" and j["rowCount"] == 3 for j in jobs)
    assert all(j["startedAt"] and j["finishedAt"] and j["durationMs"] is not None for j in jobs)
    assert [j["startedAt"] for j in wrangle] == sorted(j["startedAt"] for j in wrangle)
    assert target.read_text() == ORDERS
    output = writer["outputs"][0]
    assert (
        output["path"] == target.as_uri()
        and output["rowCount"] == 3
        and output["bytes"] == len(ORDERS)
    )
    # the store keeps the same record, findable by id
    stored = JobStore(str(tmp_path / "store")).load(result["id"])
    assert stored.status == "Complete" and [j.id for j in stored.jobs] == ids


def test_job_group_ids_increase_within_a_store(
    spark: SparkSession, tmp_path: Path, orders_csv: Path
) -> None:
    spec = chain_spec(
        orders_csv, [{"path": str(tmp_path / "o.json"), "action": "create", "format": "json"}]
    )
    path = write_spec(tmp_path, spec)
    _, first, _, _ = run(spark, path, tmp_path / "store")
    _, second, _, _ = run(spark, path, tmp_path / "store")
    assert second["id"] == first["id"] + 1
    assert min(j["id"] for j in second["jobs"]) > max(j["id"] for j in first["jobs"])
    # action create: the second run wrote beside the first, not over it
    paths = [r["jobs"][-1]["outputs"][0]["path"] for r in (first, second)]
    assert paths == [(tmp_path / "o.json").as_uri(), (tmp_path / f"o_{second['id']}.json").as_uri()]


def test_stage_progress_is_reported_on_stderr(
    spark: SparkSession, tmp_path: Path, orders_csv: Path
) -> None:
    spec = chain_spec(
        orders_csv, [{"path": str(tmp_path / "p.csv"), "action": "create", "format": "csv"}]
    )
    code, _, _, stderr = run(spark, write_spec(tmp_path, spec), tmp_path / "store")
    assert code == 0
    lines = [line for line in stderr.splitlines() if " stage " in line]
    assert lines and all(line.endswith("tasks") and "/" in line for line in lines)


def test_unwritable_output_fails_the_job_and_commits_nothing(
    spark: SparkSession, tmp_path: Path, orders_csv: Path
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("old results\n")
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where a folder is needed")
    outputs = [
        {"path": str(good), "action": "overwrite", "format": "csv", "asSingleFile": True},
        {"path": str(blocker / "out.csv"), "action": "create", "format": "csv"},
    ]
    code, result, _, stderr = run(
        spark, write_spec(tmp_path, chain_spec(orders_csv, outputs)), tmp_path / "store"
    )
    assert code == 1
    assert result["status"] == "Failed"
    writer = next(j for j in result["jobs"] if j["type"] == "filewriter")
    assert writer["status"] == "Failed" and writer["error"]["code"] == "OUTPUT_FAILED"
    assert "output 1" in writer["error"]["message"] and "Traceback" not in stderr
    assert good.read_text() == "old results\n", "the first output must not be committed"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_dependency_cycle_is_an_invalid_spec(
    tmp_path: Path, orders_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = chain_spec(
        orders_csv, [{"path": str(tmp_path / "c.csv"), "action": "create", "format": "csv"}]
    )
    spec["flow"]["wrangledDatasets"][2]["input"] = {"wrangledDataset": {"id": 7}}  # 6 <- 7 <- 6
    code = cli.main(
        ["run", str(write_spec(tmp_path, spec)), "--job-store", str(tmp_path / "store")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "dependency cycle: orders_final (7) -> orders_mid (6) -> orders_final (7)" in err
    assert "Traceback" not in err


def test_missing_input_is_reported_before_spark_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = chain_spec(
        tmp_path / "nowhere.csv",
        [{"path": str(tmp_path / "x.csv"), "action": "create", "format": "csv"}],
    )
    result_file = tmp_path / "r.json"
    code = cli.main(["run", str(write_spec(tmp_path, spec)), "--result", str(result_file)])
    err = capsys.readouterr().err
    assert code == 2
    assert (
        f"$.flow.importedDatasets[0].uri: input not found: {(tmp_path / 'nowhere.csv').as_uri()}"
        in err
    )
    result = json.loads(result_file.read_text())
    assert result["status"] == "Failed" and result["errors"][0]["code"] == "INVALID_SPEC"
    assert result["errors"][0]["problems"][0]["path"] == "$.flow.importedDatasets[0].uri"


def test_malformed_spec_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "job.json"
    path.write_text("{not json")
    assert cli.main(["run", str(path)]) == 2
    assert "malformed JSON at line 1, column 2" in capsys.readouterr().err


def test_missing_spec_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", str(tmp_path / "absent.json")]) == 2
    assert "job spec file not found" in capsys.readouterr().err


def test_validate_command(
    tmp_path: Path, orders_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = chain_spec(
        orders_csv, [{"path": str(tmp_path / "v.csv"), "action": "create", "format": "csv"}]
    )
    assert cli.main(["validate", str(write_spec(tmp_path, spec))]) == 0
    assert "orders_raw -> orders_mid -> orders_final" in capsys.readouterr().out


def test_schema_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "spark_jobs job spec"
