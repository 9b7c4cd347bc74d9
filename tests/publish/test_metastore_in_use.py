"""`spark-jobs publish` while another process has the embedded (Derby) metastore open.

Tried as a new user would: the console script in its own process, pointed at the metastore
that this test session's JVM has open. Hive's own answer would be pages of retries ending in
``Unable to instantiate ...SessionHiveMetaStoreClient``; the CLI says plainly what is wrong
and what to do, before it touches the metastore, and records nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from publish_helpers import JobGroup
from pyspark.sql import SparkSession

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_publish_says_the_metastore_is_in_use_and_what_to_do(
    spark: SparkSession, spark_home_dir: Path, job_group: JobGroup, tmp_path: Path
) -> None:
    spark.sql("SHOW DATABASES").collect()  # this JVM boots the metastore and keeps it open
    assert spark.sparkContext._jvm is not None
    holder = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
    metastore = spark_home_dir / "metastore"
    connections = tmp_path / "connections.json"
    hive = {"id": 1, "type": "hive", "metastoreDir": str(metastore)}
    connections.write_text(json.dumps({"connections": [hive]}))
    body = tmp_path / "publish.json"
    body.write_text(
        json.dumps(
            {
                "connection": {"id": 1},
                "path": ["default"],
                "table": "orders_in_use",
                "action": "createAndLoad",
                "inputFormat": "pqt",
            }
        )
    )
    conf = tmp_path / "spark.conf"
    conf.write_text("spark.master local[1]\nspark.driver.memory 1g\nspark.ui.enabled false\n")
    publish_jobs = [j for j in job_group.result()["jobs"] if j["type"] == "publish"]
    env = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "spark_jobs.cli",
            "publish",
            "--job-group",
            str(job_group.id),
            "--body",
            str(body),
            "--connections",
            str(connections),
            "--job-store",
            str(job_group.store),
            "--spark-conf",
            str(conf),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    expected = (
        f"error: publishing job group {job_group.id} failed before it started: the Hive "
        f"metastore at {metastore / 'metastore_db'} is in use by another process (pid {holder}): "
        "an embedded (Derby) metastore admits one process at a time"
    )
    assert expected in done.stderr
    assert 'set "metastoreUri" on the connection' in done.stderr
    assert "SessionHiveMetaStoreClient" not in done.stderr
    assert "Traceback" not in done.stderr
    assert [j for j in job_group.result()["jobs"] if j["type"] == "publish"] == publish_jobs
