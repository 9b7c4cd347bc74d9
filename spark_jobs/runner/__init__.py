"""Runner stage: plan the job graph, run it, keep its result in the job store.

Public surface: :func:`run_command` (what the entrypoints call), :func:`plan_job`,
:func:`create_job_group`, :func:`run_job_group`, :class:`JobStore`, :class:`JobGroupResult`.
"""

from __future__ import annotations

from spark_jobs.runner.app import run_command
from spark_jobs.runner.job_group import create_job_group, run_job_group
from spark_jobs.runner.plan import JobPlan, plan_job
from spark_jobs.runner.result import JobGroupResult, JobRecord
from spark_jobs.runner.store import DEFAULT_ROOT, JobStore

__all__ = [
    "DEFAULT_ROOT",
    "JobGroupResult",
    "JobPlan",
    "JobRecord",
    "JobStore",
    "create_job_group",
    "plan_job",
    "run_command",
    "run_job_group",
]
