"""A run loads only the JVM extras its job uses, says which, and still gets each one it needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from spark_jobs.runner.extras import jvm_extras_for_job
from spark_jobs.spec.models import JobSpec

REPO = Path(__file__).resolve().parents[2]


def spec_document(
    outputs: list[dict[str, Any]],
    *,
    source_uri: str = "/data/orders.csv",
    source_format: str = "csv",
) -> dict[str, Any]:
    return {
        "jobGroup": {
            "wrangledDataset": {"id": 2},
            "overrides": {"execution": "spark", "profiler": False, "writeSettings": outputs},
            "ranfrom": "cli",
        },
        "flow": {
            "importedDatasets": [
                {
                    "id": 1,
                    "name": "orders",
                    "uri": source_uri,
                    "format": source_format,
                    "options": {"header": True},
                }
            ],
            "wrangledDatasets": [
                {"id": 2, "name": "clean", "input": {"importedDataset": {"id": 1}}},
            ],
        },
    }


def extras(document: dict[str, Any], job_store: str = ".spark_jobs") -> dict[str, str]:
    return jvm_extras_for_job(JobSpec.model_validate(document), job_store)


def test_a_local_csv_to_parquet_job_needs_no_extra() -> None:
    outputs = [{"path": "/out/clean", "action": "create", "format": "pqt"}]
    assert extras(spec_document(outputs)) == {}


def test_each_extra_is_named_with_the_first_thing_that_needs_it() -> None:
    outputs = [
        {"path": "/out/a.csv", "action": "create", "format": "csv"},
        {"path": "/out/table", "action": "create", "format": "delta"},
        {"path": "s3://bucket/out/b", "action": "create", "format": "avro"},
        {"path": "/out/c", "action": "create", "format": "avro"},
    ]
    assert extras(spec_document(outputs)) == {
        "delta-spark": "output 1 is delta",
        "spark-avro": "output 2 is avro",
        "hadoop-aws": "output 2 is in S3",
    }


def test_inputs_and_the_job_store_count_too() -> None:
    outputs = [{"path": "/out/clean", "action": "create", "format": "pqt"}]
    document = spec_document(
        outputs, source_uri="s3a://bucket/in/orders.avro", source_format="avro"
    )
    assert extras(document) == {
        "spark-avro": "imported dataset 'orders' is avro",
        "hadoop-aws": "imported dataset 'orders' is in S3",
    }
    assert extras(spec_document(outputs), job_store="s3://bucket/jobs") == {
        "hadoop-aws": "the job store is in S3"
    }


def test_only_the_datasets_the_job_graph_reads_count_when_given() -> None:
    outputs = [{"path": "/out/clean", "action": "create", "format": "pqt"}]
    document = spec_document(outputs, source_format="avro")
    spec = JobSpec.model_validate(document)
    assert jvm_extras_for_job(spec, ".spark_jobs", []) == {}


@pytest.mark.slow
def test_a_run_loads_the_extras_its_outputs_need_and_says_so(tmp_path: Path) -> None:
    """A real `spark-jobs run` process (its own JVM): Delta and Avro outputs get their jars and
    native writers, the S3 connector is left out, and both the log and the result say so."""
    source = tmp_path / "orders.csv"
    source.write_text("id,name\n1,a\n2,b\n")
    outputs = [
        {"path": str(tmp_path / "table"), "action": "create", "format": "delta"},
        {"path": str(tmp_path / "rows_avro"), "action": "create", "format": "avro"},
        {"path": str(tmp_path / "rows.csv"), "action": "create", "format": "csv"},
    ]
    spec = tmp_path / "job.json"
    spec.write_text(json.dumps(spec_document(outputs, source_uri=str(source))))
    result_file = tmp_path / "result.json"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "spark_jobs.cli",
            "run",
            str(spec),
            "--job-store",
            str(tmp_path / "store"),
            "--result",
            str(result_file),
            "--master",
            "local[1]",
            "--no-progress",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (
        "JVM extras loaded for this job: delta-spark (output 0 is delta), spark-avro "
        "(output 1 is avro); left out (not used by the job): hadoop-aws"
    ) in done.stderr
    result = json.loads(result_file.read_text())
    assert result["jvmExtras"] == ["delta-spark", "spark-avro"]
    written = next(j for j in result["jobs"] if j["type"] == "filewriter")["outputs"]
    assert [o["deltaVersion"] for o in written] == [0, None, None]
    assert [o["writer"] for o in written] == ["native", "native", "native"]
    assert [o["rowCount"] for o in written] == [2, 2, 2]
    assert (tmp_path / "table" / "_delta_log" / f"{0:020d}.json").is_file()
