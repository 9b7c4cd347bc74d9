"""Fixtures for publishing: one job group (recipe-less, pqt and avro outputs) run once with the
shared session, a connections file with the embedded Hive connection, unique table names."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from publish_helpers import ROWS, SCHEMA, JobGroup, run_job_group
from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def publish_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("publish")


@pytest.fixture(scope="session")
def orders_parquet(spark: SparkSession, publish_home: Path) -> Path:
    path = publish_home / "orders.parquet"
    spark.createDataFrame(ROWS, SCHEMA).coalesce(1).write.parquet(str(path))
    return path


@pytest.fixture(scope="session")
def job_group(spark: SparkSession, publish_home: Path, orders_parquet: Path) -> JobGroup:
    """A completed job group that wrote the orders as pqt and as avro."""
    out = publish_home / "out"
    outputs = {"pqt": out / "orders_pqt", "avro": out / "orders_avro"}
    settings = [
        {"path": str(path), "action": "create", "format": fmt} for fmt, path in outputs.items()
    ]
    code, group_id, err = run_job_group(
        spark, orders_parquet, publish_home / "job", publish_home / "store", settings
    )
    assert code == 0, err
    return JobGroup(group_id, publish_home / "store", outputs)


@pytest.fixture(scope="session")
def connections_file(publish_home: Path) -> Path:
    path = publish_home / "connections.json"
    path.write_text(json.dumps({"connections": [{"id": 1, "type": "hive", "name": "test hive"}]}))
    return path


@pytest.fixture()
def table_name(spark: SparkSession) -> Iterator[str]:
    """A table name no other test uses; every table starting with it is dropped afterwards."""
    name = f"orders_{uuid.uuid4().hex[:8]}"
    yield name
    for row in spark.sql(f"SHOW TABLES IN default LIKE '{name}*'").collect():
        spark.sql(f"DROP TABLE IF EXISTS default.`{row.tableName}`")
