"""Shared test fixtures: one SparkSession for the whole run (Spark costs ~8 s to start).

The session is the product's own local session (same factory as the CLI), with Hive support on an
embedded Derby metastore in a temporary directory, the JVM extras from `make jars`, two cores and
two shuffle partitions.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from spark_jobs.session import LocalSessionSettings, build_local_session

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def spark_home_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the test session keeps its metastore and warehouse."""
    return tmp_path_factory.mktemp("spark-session")


@pytest.fixture(scope="session")
def spark(spark_home_dir: Path) -> Iterator[SparkSession]:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    settings = LocalSessionSettings(
        app_name="spark-jobs-tests",
        master="local[2]",
        conf_file=REPO / "conf" / "spark-defaults.conf",
        hive=True,
        metastore_dir=spark_home_dir / "metastore",
        warehouse_dir=spark_home_dir / "warehouse",
        extra_conf={
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
            "spark.databricks.delta.snapshotPartitions": "2",
            "spark.driver.memory": "2g",
        },
    )
    session = build_local_session(settings)
    yield session
    session.stop()


#: real servers for integration tests (PostgreSQL, moto's S3, the Redshift wire double, our own
#: `spark-jobs serve`); each starts on first use and lives for the session. Tests that use them
#: are marked `integration`.
pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.s3",
    "tests.fixtures.redshift",
    "tests.fixtures.server",
]
SERVER_FIXTURES = frozenset(
    {"postgres_server", "s3_server", "redshift", "api_server", "start_api_server"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that starts (or uses) one of those servers is an integration test."""
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
