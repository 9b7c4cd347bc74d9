"""Runner stage: plan the job graph, run it, keep its result in the job store.

Public surface: :func:`run_command` (what the entrypoints call), :func:`plan_job`,
:func:`create_job_group`, :func:`run_job_group`; :class:`JobStore` and :class:`JobGroupResult`
are re-exported from :mod:`spark_jobs.jobstore`, where they live.
"""

from __future__ import annotations

from spark_jobs.jobstore import DEFAULT_ROOT, JobGroupResult, JobRecord, JobStore
from spark_jobs.runner.app import run_command
from spark_jobs.runner.job_group import create_job_group, run_job_group
from spark_jobs.runner.plan import JobPlan, plan_job

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
