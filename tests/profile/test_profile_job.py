"""The profile job inside a job group: its own status, files in the job store, failure isolated."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.profile import ProfileJob, ProfileReport
from spark_jobs.runner.app import run_command
from spark_jobs.runner.job_group import ProfileRunner

ORDERS = "order_id,region,amount\n1,east,10.5\n2,west,3\n3,east,7.25\n4,west,1\n5,east,2\n6,west,4\n7,east,5\n8,west,6\n9,east,8\n10,west,9\n11,east,\n12,west,abc\n"


def spec(tmp_path: Path, outputs: int = 1) -> Path:
    source = tmp_path / "orders.csv"
    source.write_text(ORDERS)
    document: dict[str, Any] = {
        "jobGroup": {
            "wrangledDataset": {"id": 7},
            "overrides": {
                "execution": "spark",
                "profiler": True,
                "writeSettings": [
                    {"path": str(tmp_path / name), "action": "overwrite", "format": "csv"}
                    for name in ["out.csv", "out2.csv", "out3.csv"][:outputs]
                ],
            },
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
                {"id": 7, "name": "orders_final", "input": {"importedDataset": {"id": 1}}}
            ],
        },
    }
    path = tmp_path / "job.json"
    path.write_text(json.dumps(document))
    return path


def run(
    spark: SparkSession,
    tmp_path: Path,
    store: Path,
    outputs: int = 1,
    profile_runner: ProfileRunner | None = None,
) -> tuple[int, dict[str, Any]]:
    result_file = tmp_path / "result.json"
    code = run_command(
        str(spec(tmp_path, outputs)),
        session=lambda extras: spark,
        job_store=str(store),
        result_file=str(result_file),
        out=io.StringIO(),
        err=io.StringIO(),
        progress=False,
        profile_runner=profile_runner,
    )
    return code, json.loads(result_file.read_text())


def test_profile_job_writes_json_and_html_next_to_the_result(
    spark: SparkSession, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    code, result = run(spark, tmp_path, store)
    assert code == 0 and result["status"] == "Complete"
    job = next(j for j in result["jobs"] if j["type"] == "profile")
    assert job["status"] == "Complete" and job["rowCount"] == 12
    assert job["id"] in result["jobGraph"]["vertices"]
    folder = store / "jobGroups" / str(result["id"]) / "profile"
    assert job["details"]["profileJson"] == str(folder / "profile.json")
    assert job["details"]["profileHtml"] == str(folder / "profile.html")
    profile = json.loads((folder / "profile.json").read_text())
    assert profile["rowCount"] == 12 and profile["columnCount"] == 3
    assert profile["jobGroup"]["id"] == result["id"]
    amount = next(c for c in profile["columns"] if c["name"] == "amount")
    assert amount["type"] == "Decimal"  # inferred on import, as the recipe engine sees it
    assert (amount["valid"], amount["mismatched"], amount["missing"]) == (10, 1, 1)
    assert amount["number"]["min"] == 1.0 and amount["number"]["max"] == 10.5
    # observed while the output was written: the profile itself read nothing, ran no Spark job
    assert job["details"]["sparkJobs"] == profile["sparkJobs"] == 0
    assert profile["firstPass"] == "observed" and profile["passes"] == 0
    assert profile["sample"] == {
        "rows": 12,
        "fraction": 1.0,
        "seed": profile["sample"]["seed"],
        "shareError": 0.0,
    }
    assert "<svg" in (folder / "profile.html").read_text()


def test_failing_profile_fails_only_the_profile_job(spark: SparkSession, tmp_path: Path) -> None:
    store = tmp_path / "store"
    # a fresh store hands out job group 1: a file where its profile folder goes makes the
    # profile job fail for real (the folder cannot be created)
    blocker = store / "jobGroups" / "1" / "profile"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("in the way")
    code, result = run(spark, tmp_path, store)
    assert result["id"] == 1
    assert code == 1 and result["status"] == "Failed"
    statuses = {j["type"]: j["status"] for j in result["jobs"]}
    assert statuses == {"wrangle": "Complete", "filewriter": "Complete", "profile": "Failed"}
    profile_job = next(j for j in result["jobs"] if j["type"] == "profile")
    assert profile_job["error"]["message"]
    assert (tmp_path / "out.csv").exists()  # the committed output stays


class SourceRemovedBeforeProfile:
    """The real profile job, run after the job's source file is deleted: it can then only
    succeed with what it observed during the writes, never by reading the data again."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.job = ProfileJob()

    def attach(self, df: DataFrame, columns: Sequence[str]) -> DataFrame:
        return self.job.attach(df, columns)

    def __call__(
        self,
        spark: SparkSession,
        df: DataFrame,
        *,
        title: str,
        description: str = "profile",
        cached: bool = False,
    ) -> ProfileReport:
        self.source.unlink()
        return self.job(spark, df, title=title, description=description, cached=cached)


def run_with_source_removed(
    spark: SparkSession, tmp_path: Path, outputs: int
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The job with ``outputs`` outputs, its source deleted before the profile job: exit code,
    result and the status of each job type."""
    code, result = run(
        spark,
        tmp_path,
        tmp_path / "store",
        outputs=outputs,
        profile_runner=SourceRemovedBeforeProfile(tmp_path / "orders.csv"),
    )
    return code, result, {j["type"]: j["status"] for j in result["jobs"]}


@pytest.mark.parametrize("outputs", [1, 2])
def test_the_profile_never_reads_the_data_again(
    spark: SparkSession, tmp_path: Path, outputs: int
) -> None:
    # one output (target not cached) or two (cached): either way the profile was observed
    # while the outputs were written, so deleting the source afterwards changes nothing
    code, result, statuses = run_with_source_removed(spark, tmp_path, outputs=outputs)
    assert code == 0, result.get("errors")
    assert statuses == {"wrangle": "Complete", "filewriter": "Complete", "profile": "Complete"}
    folder = tmp_path / "store" / "jobGroups" / str(result["id"]) / "profile"
    profile = json.loads((folder / "profile.json").read_text())
    assert profile["passes"] == 0 and profile["sparkJobs"] == 0
    amount = next(c for c in profile["columns"] if c["name"] == "amount")
    assert (amount["valid"], amount["mismatched"], amount["missing"]) == (10, 1, 1)
    assert sum(b["count"] for b in amount["number"]["histogram"]) == 10
