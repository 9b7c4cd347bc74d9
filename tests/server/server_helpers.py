"""Waiting on a server's job groups (shared by the server tests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
#: a job group on a quiet 2-core machine takes 10-30 s; on a shared one, minutes
JOB_TIMEOUT = 900.0
TERMINAL = {"Complete", "Failed", "Canceled"}


def wait_until(check: Callable[[], T | None], what: str, timeout: float = JOB_TIMEOUT) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_for_end(http: httpx.Client, job_group_id: int, timeout: float = JOB_TIMEOUT) -> str:
    """The job group's final status (Complete, Failed, Canceled), polled as a client would."""

    def ended() -> str | None:
        status = http.get(f"/v4/jobGroups/{job_group_id}/status").json()
        return status if status in TERMINAL else None

    return wait_until(ended, f"job group {job_group_id} to end", timeout)


def jobs_of(http: httpx.Client, job_group_id: int) -> list[dict[str, Any]]:
    answer = http.get(f"/v4/jobGroups/{job_group_id}/jobs")
    assert answer.status_code == 200, answer.text
    data: list[dict[str, Any]] = answer.json()["data"]
    return data
