"""A job group's result record as the API shows it (the shapes of :mod:`spark_jobs.server.models`).

Built as plain dicts: a status poll is the hot path of the server (hundreds a second), and these
are the models' fields exactly.
"""

from __future__ import annotations

from typing import Any

from spark_jobs.server.store import JobGroupResult, JobRecord

#: a job group is InProgress from the moment it is accepted until it ends
API_STATUS = {
    "Created": "InProgress",
    "Pending": "InProgress",
    "InProgress": "InProgress",
    "Complete": "Complete",
    "Failed": "Failed",
    "Canceled": "Canceled",
}
EMBEDS = frozenset({"jobs", "wrangledDataset"})


def api_status(result: JobGroupResult) -> str:
    return API_STATUS[result.status]


def job_view(job: JobRecord, group: JobGroupResult) -> dict[str, Any]:
    updated = job.finishedAt or job.startedAt or job.createdAt
    return {
        "id": job.id,
        "status": job.status,
        "jobType": job.type,
        "sampleSize": 100,
        "percentComplete": 100 if job.status == "Complete" else 0,
        "createdAt": job.createdAt,
        "updatedAt": updated,
        "lastHeartbeatAt": updated if job.startedAt else None,
        "executionLanguage": group.execution if job.type == "wrangle" else None,
        "jobGroup": {"id": group.id},
        "errorMessage": job.error.message if job.error is not None else None,
    }


def jobs_view(result: JobGroupResult) -> dict[str, Any]:
    return {"data": [job_view(job, result) for job in result.jobs]}


def job_group_view(
    result: JobGroupResult, updated_at: str, embed: frozenset[str]
) -> dict[str, Any]:
    dataset: dict[str, Any] = {"id": result.wrangledDataset.id}
    if "wrangledDataset" in embed:
        dataset["name"] = result.wrangledDataset.name
    view: dict[str, Any] = {
        "id": result.id,
        "name": None,
        "description": None,
        "ranfrom": result.ranfrom,
        "ranfor": "recipe",
        "status": api_status(result),
        "profilingEnabled": result.profiler,
        "runParameterReferenceDate": result.createdAt,
        "createdAt": result.createdAt,
        "updatedAt": updated_at,
        "wrangledDataset": dataset,
    }
    if "jobs" in embed:
        view["jobs"] = jobs_view(result)
    return view
