"""JobStore.update: a later writer (publish) changes a job group's result under a lock."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from spark_jobs.errors import JobError
from spark_jobs.jobstore import store as store_module
from spark_jobs.jobstore.records import DatasetRecord, JobGraph, JobGroupResult, JobRecord
from spark_jobs.jobstore.store import JobStore


def saved_group(store: JobStore) -> JobGroupResult:
    writer = JobRecord(id=2, type="filewriter", status="Complete")
    result = JobGroupResult(
        id=store.new_job_group_id(),
        sessionId="s",
        status="Complete",
        wrangledDataset=DatasetRecord(id=7, name="orders"),
        execution="spark",
        profiler=False,
        ranfrom="cli",
        jobs=[JobRecord(id=1, type="wrangle", status="Complete"), writer],
        jobGraph=JobGraph(vertices=[1, 2], edges=[]),
    )
    store.save(result)
    return result


def test_concurrent_updates_are_all_kept(tmp_path: Path) -> None:
    store = JobStore(str(tmp_path))
    group = saved_group(store)

    def add(job_id: int) -> None:
        job = JobRecord(id=job_id, type="publish", status="InProgress")
        store.update(group.id, lambda result: result.add_job(job, after=[2]))

    threads = [threading.Thread(target=add, args=(10 + n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    result = store.load(group.id)
    assert sorted(j.id for j in result.jobs_of("publish")) == list(range(10, 18))
    assert sorted(result.jobGraph.vertices) == [1, 2, *range(10, 18)]
    assert all(e.source == 2 for e in result.jobGraph.edges)
    assert not (Path(store.group_dir(group.id)) / ".result.lock").exists()


def test_a_lock_left_by_a_killed_writer_is_taken_over(tmp_path: Path) -> None:
    store = JobStore(str(tmp_path))
    group = saved_group(store)
    lock = Path(store.group_dir(group.id)) / ".result.lock"
    lock.write_text(json.dumps({"host": "h", "pid": 1, "at": 0}))

    result = store.update(group.id, lambda r: setattr(r, "status", "Failed"))

    assert result.status == "Failed" and store.load(group.id).status == "Failed"


def test_a_held_lock_is_waited_for_then_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "LOCK_WAIT_SECONDS", 0.2)
    store = JobStore(str(tmp_path))
    group = saved_group(store)
    lock = Path(store.group_dir(group.id)) / ".result.lock"
    lock.write_text(json.dumps({"host": "h", "pid": 1, "at": 9e12}))

    with pytest.raises(JobError, match=f"the result of job group {group.id} is locked"):
        store.update(group.id, lambda r: None)
