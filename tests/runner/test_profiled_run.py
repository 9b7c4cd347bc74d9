"""A profiled job group on the Spark line that runs the suite (the Spark 3.5 suite runs it too):
the outputs are written and the profile is right on both lines, observed along the write where
Spark can observe the profile's aggregate, its own pass where it cannot (Spark 3.5)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from spark_jobs.profile.runner import observe_takes_the_aggregate
from spark_jobs.runner.app import run_command

AMOUNTS = ["10.5", "3", "7.25", "1", "2", "4", "5", "6", "8", "9", "", "abc"]
ROWS = "id,amount\n" + "".join(f"{i},{a}\n" for i, a in enumerate(AMOUNTS))


def test_only_spark_4_observes_the_profile_along_the_write() -> None:
    assert [observe_takes_the_aggregate(v) for v in ("3.5.9", "3.5.0", "4.0.1", "4.1.0")] == [
        False,
        False,
        True,
        True,
    ]


def test_a_profiled_job_group_completes_with_its_output_and_profile(
    spark: SparkSession, tmp_path: Path
) -> None:
    source = tmp_path / "rows.csv"
    source.write_text(ROWS)
    output = tmp_path / "out.csv"
    document: dict[str, Any] = {
        "jobGroup": {
            "wrangledDataset": {"id": 2},
            "overrides": {
                "profiler": True,
                "writeSettings": [{"path": str(output), "action": "create", "format": "csv"}],
            },
        },
        "flow": {
            "importedDatasets": [
                {
                    "id": 1,
                    "name": "rows",
                    "uri": source.as_uri(),
                    "format": "csv",
                    "options": {"header": True},
                }
            ],
            "wrangledDatasets": [{"id": 2, "name": "out", "input": {"importedDataset": {"id": 1}}}],
        },
    }
    spec = tmp_path / "job.json"
    spec.write_text(json.dumps(document))
    result_file = tmp_path / "result.json"
    code = run_command(
        str(spec),
        session=lambda extras: spark,
        job_store=str(tmp_path / "store"),
        result_file=str(result_file),
        out=io.StringIO(),
        err=io.StringIO(),
        progress=False,
    )
    result = json.loads(result_file.read_text())
    assert code == 0, result.get("errors")
    assert {j["type"]: j["status"] for j in result["jobs"]} == {
        "wrangle": "Complete",
        "filewriter": "Complete",
        "profile": "Complete",
    }
    assert output.exists()
    details = next(j for j in result["jobs"] if j["type"] == "profile")["details"]
    profile = json.loads(Path(details["profileJson"]).read_text())
    amount = next(c for c in profile["columns"] if c["name"] == "amount")
    assert (amount["valid"], amount["mismatched"], amount["missing"]) == (10, 1, 1)
    assert (amount["number"]["min"], amount["number"]["max"]) == (1.0, 10.5)
    if observe_takes_the_aggregate(spark.version):
        assert (profile["firstPass"], profile["passes"]) == ("observed", 0)
    else:
        assert (profile["firstPass"], profile["passes"]) == ("aggregation", 1)
