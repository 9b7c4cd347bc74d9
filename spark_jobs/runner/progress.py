"""Progress of long jobs on stderr: one line per Spark stage with its done/total tasks.

A daemon thread polls Spark's status tracker (no listener jar needed, works on every cluster).
A stage gets a line when it finishes, and a line every ``running_line_seconds`` while it runs
longer than that, so a job that takes an hour still shows it is alive. Finished stages are found
through the jobs started since we began watching, so stages shorter than one poll still get their
line.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class StageProgress:
    def __init__(
        self,
        spark: SparkSession,
        *,
        stream: IO[str] | None = None,
        poll_seconds: float = 0.5,
        running_line_seconds: float = 30.0,
    ) -> None:
        self._context = spark.sparkContext
        self._tracker = self._context.statusTracker()
        self._group: str | None = None
        self._stream = stream or sys.stderr
        self._poll = poll_seconds
        self._running_every = running_line_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spark-jobs-progress", daemon=True)
        self._active: dict[int, float] = {}
        self._last_line: dict[int, float] = {}
        self._known_jobs: set[int] = set()
        self._reported: set[int] = set()
        self._lock = threading.Lock()
        self.label = ""

    def __enter__(self) -> StageProgress:
        # the job group the caller's thread runs under (local properties are per thread)
        self._group = self._context.getLocalProperty("spark.jobGroup.id")
        self._known_jobs = set(self._tracker.getJobIdsForGroup(self._group))
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self._poll_once(final=True)
        except Exception:
            pass

    def _line(self, stage_id: int, state: str) -> None:
        info = self._tracker.getStageInfo(stage_id)
        if info is None:
            return
        label = f" {self.label}" if self.label else ""
        self._stream.write(
            f"[spark-jobs]{label} stage {stage_id} {state}: {info.numCompletedTasks}/{info.numTasks} tasks"
            + (f", {info.numFailedTasks} failed" if info.numFailedTasks else "")
            + "\n"
        )
        self._stream.flush()

    def _finished_stages(self, final: bool) -> list[int]:
        """Stages of the jobs started since we began that have finished and have no line yet."""
        finished: list[int] = []
        for job_id in sorted(set(self._tracker.getJobIdsForGroup(self._group)) - self._known_jobs):
            job = self._tracker.getJobInfo(job_id)
            if job is None:
                continue
            job_done = job.status != "RUNNING"
            for stage_id in job.stageIds:
                if stage_id in self._reported:
                    continue
                info = self._tracker.getStageInfo(stage_id)
                if info is None or info.numTasks == 0 or (job_done and info.numCompletedTasks == 0):
                    continue  # skipped stages (reused shuffle output) never ran
                if info.numCompletedTasks >= info.numTasks or (job_done and final):
                    finished.append(stage_id)
        return finished

    def _poll_once(self, final: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            for stage_id in self._tracker.getActiveStageIds():
                started = self._active.setdefault(stage_id, now)
                last = self._last_line.get(stage_id, started)
                if now - last >= self._running_every:
                    self._line(stage_id, "running")
                    self._last_line[stage_id] = now
            for stage_id in self._finished_stages(final):
                self._line(stage_id, "done")
                self._reported.add(stage_id)
                self._active.pop(stage_id, None)
                self._last_line.pop(stage_id, None)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._poll_once()
            except Exception:
                # the context may be stopping; progress is best effort and must not fail a job
                pass
            self._stop.wait(self._poll)
