"""Run a job group through Apache Airflow's own Dataprep hook and sensor; print what they saw.

Runs in .venv-airflow (apache-airflow + apache-airflow-providers-google; see the Makefile's
``setup-airflow``), not in the package's venv::

    .venv-airflow/bin/python tests/server/airflow_client.py BODY_JSON

The connection comes as Airflow reads it from the environment:
``AIRFLOW_CONN_SPARK_JOBS={"conn_type": "dataprep", "extra": {"token": ..., "base_url": ...}}``.
Prints one JSON object on stdout: what each call returned.
"""

from __future__ import annotations

import json
import sys
import time

CONN_ID = "spark_jobs"
TIMEOUT_SECONDS = 900.0


def main(body_json: str) -> int:
    from airflow.providers.google.cloud.hooks.dataprep import GoogleDataprepHook
    from airflow.providers.google.cloud.sensors.dataprep import DataprepJobGroupIsFinishedSensor

    hook = GoogleDataprepHook(dataprep_conn_id=CONN_ID)
    created = hook.run_job_group(body_request=json.loads(body_json))
    job_group_id = int(created["id"])
    sensor = DataprepJobGroupIsFinishedSensor(
        task_id="wait_for_job_group", job_group_id=job_group_id, dataprep_conn_id=CONN_ID
    )
    pokes = []
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        finished = sensor.poke(context={})
        pokes.append(finished)
        if finished or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    report = {
        "created": created,
        "pokes": [pokes[0], pokes[-1], len(pokes)],
        "status": hook.get_job_group_status(job_group_id=job_group_id),
        "jobs": hook.get_jobs_for_job_group(job_id=job_group_id),
        "job_group": hook.get_job_group(job_group_id=job_group_id, embed="", include_deleted=False),
        "job_group_embedded": hook.get_job_group(
            job_group_id=job_group_id, embed="jobs,wrangledDataset", include_deleted=False
        ),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
