"""The job store as the server reads it: the one place the server imports the store from.

The job store stays the source of truth (drivers write it as ``spark-jobs run`` does); the
server only caches each ``result.json`` by its modification time and size, so that hundreds of
status polls a second cost a ``stat`` each, not a parse.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from spark_jobs.errors import JobGroupNotFound
from spark_jobs.jobstore import (
    TERMINAL,
    ErrorRecord,
    JobGroupResult,
    JobRecord,
    JobStore,
    timestamp,
)

__all__ = [
    "TERMINAL",
    "ErrorRecord",
    "JobGroupNotFound",
    "JobGroupResult",
    "JobRecord",
    "JobStore",
    "ResultReader",
    "timestamp",
]


def _iso(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ResultReader:
    """Cached reads of ``<store>/jobGroups/<id>/result.json`` (a local job store)."""

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self.root = Path(store.root)
        self._prefix = f"{self.root}/jobGroups/"
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[tuple[int, int, int], JobGroupResult, str]] = {}

    def result_file(self, job_group_id: int) -> str:
        # a string, not a Path: this runs for every status poll
        return f"{self._prefix}{job_group_id}/result.json"

    def load(self, job_group_id: int) -> tuple[JobGroupResult, str]:
        """The job group's result and when it last changed; raises JobGroupNotFound."""
        path = self.result_file(job_group_id)
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            raise JobGroupNotFound(f"job group {job_group_id} not found") from None
        # result.json is replaced, never rewritten in place: a new inode is a new version
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._cache.get(job_group_id)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        with open(path, "rb") as handle:
            result = JobGroupResult.model_validate_json(handle.read())
        updated = _iso(stat.st_mtime)
        with self._lock:
            self._cache[job_group_id] = (key, result, updated)
        return result, updated

    def ids(self) -> list[int]:
        """Every job group id in the store, ascending."""
        folder = self.root / "jobGroups"
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return []
        return sorted(int(n) for n in names if n.isdigit())
