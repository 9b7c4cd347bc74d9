"""The job store: where job groups get their ids and keep their results, and the result records.

A part of its own, used by the runner (which creates and runs job groups), publish (which finds
a finished job group's outputs and appends its publish job) and the HTTP server. They read and
write job groups only through :class:`JobStore`. The files are a contract that cluster drivers
write too: the layout is in :mod:`spark_jobs.jobstore.store`, the result JSON in
``docs/result.md``.
"""

from __future__ import annotations

from spark_jobs.jobstore.records import (
    DatasetRecord,
    Edge,
    ErrorRecord,
    FileRecord,
    JobGraph,
    JobGroupResult,
    JobRecord,
    JobStatus,
    JobType,
    OutputRecord,
    ParameterRecord,
    SourceRecord,
    now,
    timestamp,
)
from spark_jobs.jobstore.store import DEFAULT_ROOT, JobStore

__all__ = [
    "DEFAULT_ROOT",
    "DatasetRecord",
    "Edge",
    "ErrorRecord",
    "FileRecord",
    "JobGraph",
    "JobGroupResult",
    "JobRecord",
    "JobStatus",
    "JobStore",
    "JobType",
    "OutputRecord",
    "ParameterRecord",
    "SourceRecord",
    "now",
    "timestamp",
]
