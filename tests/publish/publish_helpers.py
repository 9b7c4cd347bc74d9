"""Helpers for the publish tests: the test data, a recipe-less job spec, running a job group and
publishing in process with the shared session, reading results back independently."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_jobs.publish import PublishHooks, publish_command
from spark_jobs.runner.app import run_command

SCHEMA = (
    "order_id BIGINT, region STRING, amount DOUBLE, ok BOOLEAN, day DATE, ts TIMESTAMP, "
    "price DECIMAL(10,2)"
)
ROWS = [
    (1, "west", 10.5, True, date(2024, 1, 2), datetime(2024, 1, 2, 3, 4, 5), Decimal("10.50")),
    (2, "east", 3.0, False, date(2024, 2, 3), datetime(2024, 2, 3, 4, 5, 6), Decimal("3.00")),
    (3, "west", None, None, None, None, None),
]


def job_spec(source: Path, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """A flow with one imported parquet dataset and one recipe-less wrangled dataset (id 7)."""
    return {
        "jobGroup": {
            "wrangledDataset": {"id": 7},
            "overrides": {"execution": "spark", "profiler": False, "writeSettings": outputs},
            "ranfrom": "cli",
        },
        "flow": {
            "importedDatasets": [
                {"id": 1, "name": "orders", "uri": source.as_uri(), "format": "parquet"}
            ],
            "wrangledDatasets": [
                {
                    "id": 7,
                    "name": "orders_clean",
                    "input": {"importedDataset": {"id": 1}},
                    "recipe": [],
                }
            ],
        },
    }


def run_job_group(
    spark: SparkSession, source: Path, folder: Path, store: Path, outputs: list[dict[str, Any]]
) -> tuple[int, int, str]:
    """Run a job group reading ``source`` in process; returns (exit code, job group id, stderr)."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "job.json"
    spec.write_text(json.dumps(job_spec(source, outputs)))
    out, err = io.StringIO(), io.StringIO()
    code = run_command(
        str(spec),
        session=lambda extras: spark,
        job_store=str(store),
        out=out,
        err=err,
        progress=False,
    )
    group_id = json.loads(out.getvalue())["id"] if out.getvalue() else -1
    return code, group_id, err.getvalue()


@dataclass
class JobGroup:
    id: int
    store: Path
    outputs: dict[str, Path]  # format -> where the job wrote it

    def result(self) -> dict[str, Any]:
        return json.loads((self.store / "jobGroups" / str(self.id) / "result.json").read_text())


@dataclass
class Published:
    code: int
    stdout: str
    stderr: str

    @property
    def response(self) -> dict[str, Any]:
        return json.loads(self.stdout)


def publish(
    spark: SparkSession,
    group: JobGroup,
    connections: Path,
    body: dict[str, Any],
    hooks: PublishHooks | None = None,
) -> Published:
    """Publish in process with the shared session, as `spark-jobs publish` would."""
    document = {"connection": {"id": 1}, "path": ["default"], **body}
    path = connections.parent / f"publish-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(document))
    out, err = io.StringIO(), io.StringIO()
    code = publish_command(
        group.id,
        str(path),
        session=lambda connection: spark,
        connections=str(connections),
        job_store=str(group.store),
        out=out,
        err=err,
        hooks=hooks,
    )
    return Published(code, out.getvalue(), err.getvalue())


def read_output(spark: SparkSession, group: JobGroup, fmt: str) -> DataFrame:
    """The job's output as an independent reader sees it (Spark's own parquet / avro reader)."""
    return spark.read.format({"pqt": "parquet", "avro": "avro"}[fmt]).load(str(group.outputs[fmt]))


def describe(spark: SparkSession, table: str) -> dict[str, str]:
    """DESCRIBE FORMATTED's detailed table information, as a dict."""
    rows = spark.sql(f"DESCRIBE FORMATTED default.`{table}`").collect()
    return {r.col_name: r.data_type for r in rows if r.col_name and not r.col_name.startswith("#")}
