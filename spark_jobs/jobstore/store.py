"""The job store: where job groups get their ids and keep their results.

Default ``./.spark_jobs/``; any URI Spark can write (``hdfs://``, ``s3a://``) works, so a
publish on another machine can find a job group by id. Layout::

    <root>/ids/jobGroup/<n>          one empty marker per id handed out (created exclusively)
    <root>/ids/job/<n>
    <root>/jobGroups/<id>/result.json
    <root>/jobGroups/<id>/spec.json
    <root>/jobGroups/<id>/profile/   (profile JSON and HTML, when profiled)

Ids are taken by creating the next marker exclusively, which is atomic on local file systems and
HDFS, so concurrent runs sharing a store never get the same id.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from spark_jobs.errors import JobError, JobGroupNotFound
from spark_jobs.io.fs import FileSystem, basename, filesystem_for, is_local, join, local_path
from spark_jobs.jobstore.records import JobGroupResult, JobRecord

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_ROOT = ".spark_jobs"
#: the folder of a job group's profile (JSON and HTML)
PROFILE_DIR = "profile"
LOCK_WAIT_SECONDS = 30.0
LOCK_STALE_SECONDS = 60.0


class JobStore:
    def __init__(self, root: str = DEFAULT_ROOT, spark: SparkSession | None = None) -> None:
        self.root = local_path(root) if is_local(root) else root.rstrip("/")
        self.fs: FileSystem = filesystem_for(self.root, spark)

    def _next_id(self, kind: str) -> int:
        folder = join(self.root, "ids", kind)
        self.fs.mkdirs(folder)
        taken = [
            int(basename(f.path)) for f in self.fs.list_dir(folder) if basename(f.path).isdigit()
        ]
        candidate = max(taken, default=0) + 1
        while not self.fs.create_exclusive(join(folder, str(candidate))):
            candidate += 1
        return candidate

    def new_job_group_id(self) -> int:
        return self._next_id("jobGroup")

    def new_job_id(self) -> int:
        return self._next_id("job")

    def group_dir(self, job_group_id: int) -> str:
        return join(self.root, "jobGroups", str(job_group_id))

    def result_path(self, job_group_id: int) -> str:
        return join(self.group_dir(job_group_id), "result.json")

    def save(self, result: JobGroupResult) -> None:
        """Write result.json so that a reader sees the old or the new version, never half."""
        folder = self.group_dir(result.id)
        self.fs.mkdirs(folder)
        data = json.dumps(result.model_dump(mode="json"), indent=2).encode()
        tmp = join(folder, f".result.json.{result.pid or 0}.tmp")
        self.fs.write_bytes(tmp, data, overwrite=True)
        self.fs.replace_file(tmp, self.result_path(result.id))

    def save_document(self, job_group_id: int, name: str, document: Any) -> str:
        path = join(self.group_dir(job_group_id), name)
        self.fs.mkdirs(self.group_dir(job_group_id))
        self.fs.write_bytes(path, json.dumps(document, indent=2).encode(), overwrite=True)
        return path

    def save_profile(self, job_group_id: int, document: Any, html: str) -> tuple[str, str]:
        """Write a job group's profile (``profile/profile.json`` and ``profile.html``); their
        paths."""
        folder = join(self.group_dir(job_group_id), PROFILE_DIR)
        self.fs.mkdirs(folder)
        json_path = join(folder, "profile.json")
        html_path = join(folder, "profile.html")
        self.fs.write_bytes(json_path, json.dumps(document, indent=2).encode(), overwrite=True)
        self.fs.write_bytes(html_path, html.encode(), overwrite=True)
        return json_path, html_path

    def load(self, job_group_id: int) -> JobGroupResult:
        path = self.result_path(job_group_id)
        if not self.fs.exists(path):
            raise JobGroupNotFound(
                f"job group {job_group_id} not found in the job store {self.root}"
            )
        return JobGroupResult.model_validate_json(self.fs.read_bytes(path))

    def load_document(self, job_group_id: int, name: str) -> Any:
        return json.loads(self.fs.read_bytes(join(self.group_dir(job_group_id), name)))

    def update(self, job_group_id: int, change: Callable[[JobGroupResult], None]) -> JobGroupResult:
        """Load a job group's result, apply ``change`` and save it, holding the group's lock.

        For writers other than the run that owns the result (``publish`` appending its job): two
        of them at once both get their change in.
        """
        with self._lock(job_group_id):
            result = self.load(job_group_id)
            change(result)
            self.save(result)
        return result

    def add_job(self, job_group_id: int, job: JobRecord, *, after: list[int]) -> JobGroupResult:
        """Append a job that runs after the jobs ``after`` (a publish after the filewriter) to a
        job group another run wrote: one locked read-change-write."""

        def add(result: JobGroupResult) -> None:
            result.add_job(job, after=after)
            result.refresh_status()

        return self.update(job_group_id, add)

    def finish_job(self, job_group_id: int, job: JobRecord) -> JobGroupResult:
        """Put the finished record of a job added by :meth:`add_job` in place, its error among
        the group's errors: one locked read-change-write."""

        def replace(result: JobGroupResult) -> None:
            result.replace_job(job)
            if job.error is not None:
                result.errors.append(job.error)
            result.refresh_status()

        return self.update(job_group_id, replace)

    @contextmanager
    def _lock(self, job_group_id: int) -> Iterator[None]:
        """An exclusive lock file beside result.json, held for one read-change-write.

        It is held for milliseconds; one left by a killed process is taken over after
        ``LOCK_STALE_SECONDS``.
        """
        path = join(self.group_dir(job_group_id), ".result.lock")
        owner = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "at": time.time()})
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while not self.fs.create_exclusive(path, owner.encode()):
            if self._lock_is_stale(path):
                self.fs.delete(path)
                continue
            if time.monotonic() > deadline:
                raise JobError(
                    f"the result of job group {job_group_id} is locked by another writer ({path})"
                )
            time.sleep(0.05)
        try:
            yield
        finally:
            self.fs.delete(path)

    def _lock_is_stale(self, path: str) -> bool:
        try:
            taken = float(json.loads(self.fs.read_bytes(path))["at"])
        except Exception:  # gone meanwhile, or half written: not known to be stale
            return False
        return time.time() - taken > LOCK_STALE_SECONDS
