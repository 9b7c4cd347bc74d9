"""Apache Airflow's own Google Dataprep hook and sensor run a job group against the server.

They run in their own venv (.venv-airflow, made by `make setup-airflow`, which `make test` runs
first): tests/server/airflow_client.py calls ``run_job_group``, pokes
``DataprepJobGroupIsFinishedSensor`` until it says finished, then ``get_job_group_status``,
``get_jobs_for_job_group`` and ``get_job_group`` (with the empty ``embed`` and
``includeDeleted=False`` that Airflow sends), the connection read from ``AIRFLOW_CONN_*``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.server import ApiServer

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CLIENT = Path(__file__).with_name("airflow_client.py")


def airflow_python() -> Path:
    path = Path(
        os.environ.get("SPARK_JOBS_AIRFLOW_PYTHON", REPO / ".venv-airflow" / "bin" / "python")
    )
    if not path.is_file():
        pytest.fail(
            f"no Airflow venv at {path}: run `make setup-airflow` (or set SPARK_JOBS_AIRFLOW_PYTHON)"
        )
    return path


def test_airflows_dataprep_hook_and_sensor_drive_a_job_group(
    api_server: ApiServer, tmp_path: Path
) -> None:
    connection = {
        "conn_type": "dataprep",
        "extra": {"token": api_server.token, "base_url": api_server.base_url},
    }
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "AIRFLOW_CONN_SPARK_JOBS": json.dumps(connection),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        }
    )
    output = {
        "path": "out/from_airflow.csv",
        "action": "overwrite",
        "format": "csv",
        "header": True,
        "asSingleFile": True,
    }
    body = {"wrangledDataset": {"id": 11}, "overrides": {"writeSettings": [output]}}
    done = subprocess.run(
        [str(airflow_python()), str(CLIENT), json.dumps(body)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    created = report["created"]
    assert set(created) == {"id", "reason", "sessionId", "jobs", "jobGraph"}
    job_group_id = created["id"]
    first_poke, last_poke, pokes = report["pokes"]
    assert first_poke is False and last_poke is True and pokes > 1  # it waited, then stopped
    assert report["status"] == "Complete"
    jobs = report["jobs"]["data"]
    assert [j["jobType"] for j in jobs] == ["wrangle", "filewriter"]
    assert {j["status"] for j in jobs} == {"Complete"}
    assert all(j["jobGroup"] == {"id": job_group_id} for j in jobs)
    plain = report["job_group"]
    assert plain["id"] == job_group_id and plain["status"] == "Complete" and "jobs" not in plain
    embedded = report["job_group_embedded"]
    assert embedded["jobs"]["data"] == jobs
    assert embedded["wrangledDataset"] == {"id": 11, "name": "orders_doubled"}
    lines = (api_server.root / "out" / "from_airflow.csv").read_text().splitlines()
    assert lines[0] == "order_id,region,quantity,double_quantity,unit_price"
