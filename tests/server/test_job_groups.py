"""Job groups run by the server, over real HTTP, each as its own spark-submit driver.

Few JVMs, batched: two job groups at once (one from ``POST /v4/flows/<id>/run``, one that fails
on an unknown column), two publishes of the good one through the embedded metastore (one after
the other), a cancel while Spark writes (old outputs intact), and a server killed with SIGKILL
and restarted while its drivers run (nothing lost, statuses true).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from server_helpers import jobs_of, wait_for_end, wait_until

from spark_jobs.server.drivers import is_alive
from tests.fixtures.server import ApiServer

pytestmark = pytest.mark.slow

CREATE_FIELDS = {"id", "reason", "sessionId", "jobs", "jobGraph"}
JOB_FIELDS = {
    "id",
    "status",
    "jobType",
    "sampleSize",
    "percentComplete",
    "createdAt",
    "updatedAt",
    "lastHeartbeatAt",
    "executionLanguage",
    "jobGroup",
    "errorMessage",
}


def driver_record(server: ApiServer, job_group_id: int, name: str = "run") -> dict[str, Any]:
    path = server.store / "jobGroups" / str(job_group_id) / "drivers" / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def result_of(server: ApiServer, job_group_id: int) -> dict[str, Any]:
    path = server.store / "jobGroups" / str(job_group_id) / "result.json"
    return json.loads(path.read_text())


def test_two_job_groups_at_once_a_failure_that_names_its_column_and_publishes(
    api_server: ApiServer,
) -> None:
    with api_server.client() as http:
        flow_run = http.post("/v4/flows/10/run", json={})
        assert flow_run.status_code == 201, flow_run.text
        (good,) = flow_run.json()["data"]
        assert set(good) == CREATE_FIELDS and good["reason"] == "JobStarted"
        good_id = good["id"]

        headers = {"x-execution-id": "airflow-run-2026-12-07"}
        output = {"path": "out/broken.csv", "action": "create", "format": "csv"}
        broken = {"wrangledDataset": {"id": 12}, "overrides": {"writeSettings": [output]}}
        first = http.post("/v4/jobGroups", json=broken, headers=headers)
        assert first.status_code == 201, first.text
        again = http.post("/v4/jobGroups", json=broken, headers=headers)
        assert again.status_code == 201
        assert again.json() == first.json()  # a retried request: the first job group again
        bad_id = first.json()["id"]
        graph = first.json()["jobGraph"]
        assert graph["vertices"] == [j["id"] for j in first.json()["jobs"]["data"]]
        assert graph["edges"] == [{"source": graph["vertices"][0], "target": graph["vertices"][1]}]

        # InProgress from the moment it is accepted: a sensor must not stop waiting early
        assert http.get(f"/v4/jobGroups/{bad_id}/status").json() == "InProgress"
        assert http.get(f"/v4/jobGroups/{good_id}").json()["status"] == "InProgress"

        assert wait_for_end(http, good_id) == "Complete"
        assert wait_for_end(http, bad_id) == "Failed"
        # a CSV job's driver is not given the Delta and S3 jars, as `spark-jobs run` (spark-avro
        # is counted when its class is there: Spark 4's own spark-sql jar has it)
        stored = json.loads((api_server.store / f"jobGroups/{good_id}/result.json").read_text())
        assert stored["jvmExtras"] is not None
        assert not {"delta-spark", "hadoop-aws"} & set(stored["jvmExtras"])

        # both drivers ran at the same time (a driver exits a moment after recording the end)
        runs = wait_until(
            lambda: (
                [driver_record(api_server, i) for i in (good_id, bad_id)]
                if all(driver_record(api_server, i)["state"] == "ended" for i in (good_id, bad_id))
                else None
            ),
            "both drivers to exit",
            timeout=120,
        )
        assert max(r["startedAt"] for r in runs) < min(r["endedAt"] for r in runs)

        failed = jobs_of(http, bad_id)
        wrangle = next(j for j in failed if j["jobType"] == "wrangle")
        assert wrangle["status"] == "Failed"
        assert "no_such_column" in wrangle["errorMessage"]
        assert {j["status"] for j in failed if j is not wrangle} == {"Canceled"}

        out = (api_server.root / "out" / "orders_doubled.csv").read_text().splitlines()
        assert out[0] == "order_id,region,quantity,double_quantity,unit_price"
        assert out[1:] == [
            "1,west,3,6,2.50",
            "2,east,1,2,10.00",
            "3,west,2,4,4.00",
            "4,north,5,10,1.00",
            "5,east,4,8,3.25",
        ]

        # the views a client reads
        jobs = jobs_of(http, good_id)
        assert [j["jobType"] for j in jobs] == ["wrangle", "filewriter"]
        assert all(set(j) == JOB_FIELDS for j in jobs)
        assert all(j["status"] == "Complete" and j["percentComplete"] == 100 for j in jobs)
        assert jobs[0]["executionLanguage"] == "spark" and jobs[0]["jobGroup"] == {"id": good_id}
        plain = http.get(f"/v4/jobGroups/{good_id}", params={"embed": "", "includeDeleted": False})
        assert plain.status_code == 200 and "jobs" not in plain.json()
        assert plain.json()["wrangledDataset"] == {"id": 11}
        assert plain.json()["profilingEnabled"] is False and plain.json()["ranfor"] == "recipe"
        full = http.get(f"/v4/jobGroups/{good_id}?embed=jobs,wrangledDataset").json()
        assert full["jobs"]["data"] == jobs
        assert full["wrangledDataset"] == {"id": 11, "name": "orders_doubled"}
        listed = http.get("/v4/jobGroups", params={"limit": 100}).json()["data"]
        ids = [g["id"] for g in listed]
        assert ids == sorted(ids, reverse=True) and {good_id, bad_id} <= set(ids)
        page = http.get("/v4/jobGroups", params={"limit": 1, "offset": ids.index(bad_id)}).json()
        assert [g["id"] for g in page["data"]] == [bad_id]
        assert http.post(f"/v4/jobGroups/{good_id}/cancel").json() == {
            "jobIds": [],
            "jobgroupId": good_id,
        }

        publish = {
            "connection": {"id": 1},
            "path": ["default"],
            "table": "orders_doubled",
            "action": "createAndLoad",
            "inputFormat": "pqt",
        }
        refused = http.put(f"/v4/jobGroups/{bad_id}/publish", json=publish)
        assert refused.status_code == 400
        assert "cannot be published: its wrangle job" in refused.json()["exception"]["message"]
        wrong = http.put(
            f"/v4/jobGroups/{good_id}/publish",
            json={**publish, "action": "upsert", "connection": {"id": 7}},
        )
        assert wrong.status_code == 400
        wrong_problems = {p["path"] for p in wrong.json()["exception"]["details"]["problems"]}
        assert wrong_problems == {"$.action", "$.connection.id"}
        no_avro = http.put(
            f"/v4/jobGroups/{good_id}/publish", json={**publish, "inputFormat": "avro"}
        )
        assert no_avro.status_code == 400 and "wrote no avro output" in no_avro.text

        # two publishes of the good job group's pqt output, to two tables
        group = good_id
        answers = [
            http.put(
                f"/v4/jobGroups/{group}/publish",
                json={**publish, "table": table},
            )
            for table in ("orders_a", "orders_b")
        ]
        for answer in answers:
            assert answer.status_code == 200, answer.text
            assert set(answer.json()) == {"jobgroupId", "reason", "sessionId"}
            assert answer.json()["jobgroupId"] == group
        assert http.get(f"/v4/jobGroups/{group}/status").json() == "InProgress"
        assert wait_for_end(http, group) == "Complete"
        published = [j for j in jobs_of(http, group) if j["jobType"] == "publish"]
        assert [j["status"] for j in published] == ["Complete", "Complete"], published
        details = [
            j["details"] for j in result_of(api_server, group)["jobs"] if j["type"] == "publish"
        ]
        assert [d["table"][: len("default.orders_a_")] for d in details] == [
            "default.orders_a_",
            "default.orders_b_",
        ]
        assert [d["rowsLoaded"] for d in details] == [5, 5]
        assert {d["sessionId"] for d in details} == {a.json()["sessionId"] for a in answers}
        # one embedded metastore: the second publish started after the first ended
        names = [f"publish-{j['id']}" for j in published]
        records = wait_until(
            lambda: (
                [driver_record(api_server, group, n) for n in names]
                if all(driver_record(api_server, group, n)["state"] == "ended" for n in names)
                else None
            ),
            "both publish drivers to exit",
            timeout=120,
        )
        assert records[0]["endedAt"] <= records[1]["startedAt"]


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _niceness(pid: int) -> int:
    """A process's nice value (``/proc/<pid>/stat``, field 19)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _children(pid: int) -> list[int]:
    """Every descendant of a process (``/proc/<pid>/task/*/children``)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_children(int(child))]
    return found


def test_cancel_while_spark_writes_keeps_the_old_outputs_whole(api_server: ApiServer) -> None:
    folder = api_server.root / "out" / "events"
    folder.mkdir(parents=True)
    (folder / "events.csv.bz2").write_bytes(b"old single file")
    (folder / "events_pqt").mkdir()
    (folder / "events_pqt" / "part-00000-old.parquet").write_bytes(b"old parquet")
    before = _digest(folder)
    outputs = [
        {
            "path": "out/events/events.csv.bz2",
            "action": "overwrite",
            "format": "csv",
            "compression": "bzip2",
            "asSingleFile": True,
        },
        {"path": "out/events/events_pqt", "action": "overwrite", "format": "pqt"},
    ]
    body = {"wrangledDataset": {"id": 22}, "overrides": {"writeSettings": outputs}}
    staging = folder / ".spark_jobs_staging"
    with api_server.client() as http:
        group = http.post("/v4/jobGroups", json=body).json()["id"]
        wait_until(lambda: staging.is_dir() and any(staging.iterdir()), "Spark to start writing")
        # the driver (spark-submit's JVM and its Python) works at the default niceness 10, so
        # the API answers first on a busy machine
        pid = driver_record(api_server, group)["pid"]
        assert _niceness(pid) == 10
        assert all(_niceness(child) == 10 for child in _children(pid))
        autogroup = Path(f"/proc/{pid}/autogroup")
        if autogroup.exists():  # Linux's autogroup scheduling: the session as a whole is niced
            assert autogroup.read_text().split()[-1] == "10"
        answer = http.post(f"/v4/jobGroups/{group}/cancel")
        assert answer.status_code == 200
        assert answer.json()["jobgroupId"] == group
        assert set(answer.json()["jobIds"]) == {j["id"] for j in jobs_of(http, group)}
        assert wait_for_end(http, group) == "Canceled"
        jobs = jobs_of(http, group)
        assert {j["status"] for j in jobs} == {"Canceled"}
        assert any("canceled by SIGTERM" in (j["errorMessage"] or "") for j in jobs), jobs
        assert http.post(f"/v4/jobGroups/{group}/cancel").json()["jobIds"] == []
    wait_until(lambda: not staging.exists(), "the staging area to be removed", timeout=60)
    assert _digest(folder) == before
    assert sorted(p.name for p in folder.iterdir()) == ["events.csv.bz2", "events_pqt"]


def test_a_server_killed_and_restarted_loses_nothing_and_tells_the_truth(
    start_api_server: Callable[..., ApiServer],
) -> None:
    server = start_api_server(max_concurrent=2, events_rows=600_000)

    def output(name: str) -> dict[str, Any]:
        return {"path": f"out/{name}", "action": "overwrite", "format": "pqt"}

    def body(dataset: int, name: str) -> dict[str, Any]:
        return {"wrangledDataset": {"id": dataset}, "overrides": {"writeSettings": [output(name)]}}

    with server.client() as http:
        survivor = http.post("/v4/jobGroups", json=body(22, "survivor")).json()["id"]
        victim = http.post("/v4/jobGroups", json=body(11, "victim")).json()["id"]
        queued = http.post("/v4/jobGroups", json=body(11, "queued")).json()["id"]
        dropped = http.post("/v4/jobGroups", json=body(11, "dropped")).json()["id"]
        canceled = http.post(f"/v4/jobGroups/{dropped}/cancel").json()
        assert canceled == {
            "jobIds": [j["id"] for j in jobs_of(http, dropped)],
            "jobgroupId": dropped,
        }
        assert http.get(f"/v4/jobGroups/{dropped}/status").json() == "Canceled"
        assert http.get(f"/v4/jobGroups/{queued}/status").json() == "InProgress"
        wait_until(
            lambda: all(
                driver_record(server, g).get("state") == "started" for g in (survivor, victim)
            ),
            "both drivers to start",
        )
        # the survivor's Python driver has taken its job group over
        wait_until(
            lambda: result_of(server, survivor)["status"] != "Created", "the survivor to run"
        )

    server.kill()
    victim_driver = driver_record(server, victim)
    os.killpg(victim_driver["pid"], signal.SIGKILL)
    wait_until(
        lambda: not is_alive(victim_driver["pid"], victim_driver["startTicks"]),
        "the victim's driver to die",
        timeout=60,
    )
    assert driver_record(server, queued)["state"] == "queued"
    time.sleep(1)
    server.start()

    with server.client() as http:
        listed = {g["id"]: g for g in http.get("/v4/jobGroups").json()["data"]}
        assert set(listed) == {survivor, victim, queued, dropped}
        assert listed[dropped]["status"] == "Canceled"
        assert listed[victim]["status"] == "Failed"
        failed = next(j for j in jobs_of(http, victim) if j["status"] == "Failed")
        assert "ended while the server was down" in failed["errorMessage"], failed
        assert wait_for_end(http, survivor) == "Complete"
        assert wait_for_end(http, queued) == "Complete"
        assert (server.root / "out" / "survivor").is_dir()
        assert (server.root / "out" / "queued").is_dir()
        assert not (server.root / "out" / "dropped").exists()
        # the dropped job group never had a driver
        assert driver_record(server, dropped)["state"] == "ended"
        assert not (server.store / "jobGroups" / str(dropped) / "drivers" / "run.log").exists()
