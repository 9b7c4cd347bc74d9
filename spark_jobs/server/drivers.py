"""Job groups and publishes run as ``spark-submit`` driver processes, at most N at once.

Each accepted job group is submitted as ``spark_jobs/entrypoints/run_job.py --job-group ID``
(and each publish as ``.../publish.py --publish-job ID``) in a process group of its own, its
output in a log file beside the result: a server that is killed leaves its drivers running, and
a restarted server finds them again. The job store stays the source of truth: drivers write
``result.json`` as ``spark-jobs run`` does; the server writes it only for a job group whose
driver never started (canceled in the queue) or ended without recording how (killed, crashed).

What the server knows of each driver is kept in ``<store>/jobGroups/<id>/drivers/<name>.json``
(``run`` or ``publish-<job id>``): queued, started (pid, the kernel's start time of that pid, so
a reused pid is not mistaken for it) or ended (exit code).

Cancel: a queued driver is dropped and its job group recorded Canceled. A running one gets
SIGTERM in its Python driver (the runner cancels its Spark jobs, removes its staging and
records Canceled; outputs are committed only when everything was written, so old ones stay
whole), SIGKILL for its whole process group after a grace period.

An embedded Hive metastore (Derby) admits one process at a time: drivers that open the same one
(Hive publishes without ``metastoreUri``) run one after the other.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from spark_jobs.errors import JobCanceledError, JobError, SparkJobsError
from spark_jobs.runner.app import fail_created_job_group
from spark_jobs.server.store import TERMINAL, ErrorRecord, JobGroupNotFound, JobStore, timestamp

log = logging.getLogger(__name__)

TaskKind = Literal["run", "publish"]
#: how long a canceled driver has to record Canceled itself before its process group is killed
CANCEL_GRACE_SECONDS = 30.0
POLL_SECONDS = 0.2


@dataclass
class Task:
    """One driver to submit: what runs, for which job group, and the metastore it holds."""

    group_id: int
    kind: TaskKind
    command: list[str]
    job_id: int | None = None  # the publish job, for kind publish
    metastore: str | None = None  # an embedded metastore's directory, held while it runs
    queued_at: str = field(default_factory=timestamp)

    @property
    def name(self) -> str:
        return "run" if self.kind == "run" else f"publish-{self.job_id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "jobId": self.job_id,
            "metastore": self.metastore,
            "command": self.command,
            "queuedAt": self.queued_at,
        }

    @classmethod
    def from_json(cls, group_id: int, data: Mapping[str, Any]) -> Task:
        return cls(
            group_id=group_id,
            kind=data["kind"],
            command=list(data["command"]),
            job_id=data.get("jobId"),
            metastore=data.get("metastore"),
            queued_at=data.get("queuedAt") or timestamp(),
        )


@dataclass
class Driver:
    """A started driver: our child (``proc``), or one found again after a restart (no ``proc``)."""

    task: Task
    pid: int
    start_ticks: int | None
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    cancel_requested: bool = False
    term_sent_at: float | None = None


def process_start_ticks(pid: int) -> int | None:
    """When the kernel started ``pid`` (clock ticks since boot), or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie has ended
        return None
    return int(fields[19])


def is_alive(pid: int, start_ticks: int | None) -> bool:
    """Whether ``pid`` is still the process that was started (not a reuse of its number)."""
    ticks = process_start_ticks(pid)
    if ticks is None:
        if Path("/proc").is_dir():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return start_ticks is None or ticks == start_ticks


def python_children(pid: int) -> list[int]:
    """The Python processes whose parent is ``pid`` (spark-submit's JVM starts the driver's)."""
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        if ppid == pid and comm.startswith("python"):
            found.append(int(entry.name))
    return found


def lower_session_priority(pid: int, nice: int) -> None:
    """Give the driver's session (its own, ``start_new_session``) the niceness ``nice`` as a
    whole. With Linux's autogroup scheduling every session is one group that gets an equal CPU
    share whatever its processes' nice values, so ``nice`` alone would leave the drivers as
    strong as the server; ``/proc/<pid>/autogroup`` sets the group's own niceness (lowering
    it needs no privilege). Without autogroup the file is missing and ``nice`` does it."""
    try:
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))
    except OSError:
        pass


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _last_error_line(path: Path) -> str | None:
    """The driver's last ``error: ...`` line (our own, secret-free messages), if any."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(handle.tell() - 64_000, 0))
            lines = handle.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    errors = [line[len("error: ") :] for line in lines if line.startswith("error: ")]
    return errors[-1][:500] if errors else None


class Scheduler:
    """The queue and the running drivers of one server; a thread watches them."""

    def __init__(
        self,
        store: JobStore,
        *,
        max_concurrent: int,
        workdir: Path,
        env: Mapping[str, str],
        cancel_grace: float = CANCEL_GRACE_SECONDS,
        driver_nice: int = 0,
    ) -> None:
        self.store = store
        self.root = Path(store.root)
        self.max_concurrent = max_concurrent
        self.workdir = workdir
        self.env = dict(env)
        self.cancel_grace = cancel_grace
        self.driver_nice = driver_nice
        self.host = socket.gethostname()
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._queue: deque[Task] = deque()
        self._running: dict[tuple[int, str], Driver] = {}
        self._thread: threading.Thread | None = None

    # -- records -----------------------------------------------------------------------------
    def _record_path(self, group_id: int, name: str) -> Path:
        return self.root / "jobGroups" / str(group_id) / "drivers" / f"{name}.json"

    def _write_record(self, task: Task, **state: Any) -> None:
        """Update the driver's record (what was known before, e.g. when it started, stays)."""
        path = self._record_path(task.group_id, task.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            before = json.loads(path.read_text())
        except (OSError, ValueError):
            before = {}
        document = {**before, **task.to_json(), **state}
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(document, indent=2))
        os.replace(tmp, path)

    def log_path(self, task: Task) -> Path:
        return self._record_path(task.group_id, task.name).with_suffix(".log")

    # -- life cycle --------------------------------------------------------------------------
    def start(self) -> None:
        """Take over what an earlier server left (queued and running drivers), then watch."""
        self.recover()
        self._thread = threading.Thread(target=self._loop, name="spark-jobs-drivers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching. Drivers keep running (a restarted server finds them again)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def recover(self) -> None:
        """Queued drivers are queued again (in the order they were accepted); started ones that
        still run are watched again; started ones that are gone end their job group as Failed."""
        found: list[tuple[str, Task]] = []
        for folder in sorted(
            (self.root / "jobGroups").glob("*/drivers"), key=lambda p: int(p.parent.name)
        ):
            group_id = int(folder.parent.name)
            for path in sorted(folder.glob("*.json")):
                try:
                    data = json.loads(path.read_text())
                    task = Task.from_json(group_id, data)
                except (OSError, ValueError, KeyError):
                    log.warning("unreadable driver record %s: ignored", path)
                    continue
                state = data.get("state")
                if state == "queued":
                    found.append((task.queued_at, task))
                elif state == "started":
                    pid, ticks = int(data["pid"]), data.get("startTicks")
                    driver = Driver(task, pid, ticks, self.log_path(task))
                    if data.get("host") == self.host and is_alive(pid, ticks):
                        log.info(
                            "job group %s: driver %s (pid %s) still runs", group_id, task.name, pid
                        )
                        self._running[(group_id, task.name)] = driver
                    else:
                        self._ended(driver, None, while_down=True)
        for _, task in sorted(found, key=lambda item: item[0]):
            if self._still_wanted(task):
                self._queue.append(task)
            else:
                self._write_record(task, state="ended", endedAt=timestamp(), exitCode=None)

    def _still_wanted(self, task: Task) -> bool:
        try:
            result = self.store.load(task.group_id)
        except JobGroupNotFound:
            return False
        if task.kind == "run":
            return any(j.type != "publish" and j.status not in TERMINAL for j in result.jobs)
        return any(j.id == task.job_id and j.status not in TERMINAL for j in result.jobs)

    # -- the queue ---------------------------------------------------------------------------
    def submit(self, task: Task) -> None:
        """Queue a driver (recorded first, so that a restart finds it)."""
        with self._lock:
            self._write_record(task, state="queued")
            self._queue.append(task)
        self._wake.set()

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {"running": len(self._running), "queued": len(self._queue)}

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("the driver scheduler failed; it goes on")
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def tick(self) -> None:
        """Reap ended drivers, escalate overdue cancels, start queued drivers that fit."""
        with self._lock:
            for key, driver in list(self._running.items()):
                code = self._poll(driver)
                if code is not False:
                    del self._running[key]
                    self._ended(driver, code)
                elif (
                    driver.term_sent_at is not None
                    and time.monotonic() - driver.term_sent_at > self.cancel_grace
                ):
                    log.warning("job group %s: driver did not stop; killing it", key[0])
                    _signal_group(driver.pid, signal.SIGKILL)
                    driver.term_sent_at = None
            held = {d.task.metastore for d in self._running.values() if d.task.metastore}
            waiting: deque[Task] = deque()
            while self._queue and len(self._running) < self.max_concurrent:
                task = self._queue.popleft()
                if task.metastore and task.metastore in held:
                    waiting.append(task)  # the embedded metastore is in use: after that driver
                    continue
                self._launch(task)
                if task.metastore:
                    held.add(task.metastore)
            waiting.extend(self._queue)
            self._queue = waiting

    @staticmethod
    def _poll(driver: Driver) -> int | Literal[False] | None:
        """The exit code when the driver ended (None if unknown), False while it runs."""
        if driver.proc is not None:
            code = driver.proc.poll()
            return False if code is None else code
        return False if is_alive(driver.pid, driver.start_ticks) else None

    def _launch(self, task: Task) -> None:
        log_path = self.log_path(task)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with log_path.open("ab") as out:
                command = list(task.command)
                if self.driver_nice:
                    # nice execs the command: the pid recorded is the driver's own
                    command = ["nice", "-n", str(self.driver_nice), *command]
                proc = subprocess.Popen(
                    command,
                    cwd=self.workdir,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        except OSError as exc:
            driver = Driver(task, 0, None, log_path)
            self._ended(driver, None, reason=f"spark-submit could not be started: {exc}")
            return
        if self.driver_nice:
            lower_session_priority(proc.pid, self.driver_nice)
        ticks = process_start_ticks(proc.pid)
        driver = Driver(task, proc.pid, ticks, log_path, proc=proc)
        self._running[(task.group_id, task.name)] = driver
        self._write_record(
            task,
            state="started",
            pid=proc.pid,
            startTicks=ticks,
            host=self.host,
            startedAt=timestamp(),
        )
        log.info("job group %s: %s driver started (pid %s)", task.group_id, task.name, proc.pid)

    # -- ends --------------------------------------------------------------------------------
    def _ended(
        self,
        driver: Driver,
        code: int | None,
        *,
        while_down: bool = False,
        reason: str | None = None,
    ) -> None:
        """Record the driver's end; end its job group (or publish job) if the driver did not."""
        task = driver.task
        self._write_record(
            task,
            state="ended",
            pid=driver.pid,
            startTicks=driver.start_ticks,
            host=self.host,
            endedAt=timestamp(),
            exitCode=code,
        )
        if reason is None:
            how = "while the server was down" if while_down else f"with exit code {code}"
            reason = (
                f"the {task.kind} driver of job group {task.group_id} (spark-submit pid "
                f"{driver.pid}) ended {how} before recording how the "
                f"{'job group' if task.kind == 'run' else 'publish'} ended"
            )
            last = _last_error_line(driver.log_path)
            if last:
                reason += f": {last}"
            reason += f" (log: {driver.log_path})"
        error: SparkJobsError
        if driver.cancel_requested:
            error = JobCanceledError(f"{task.kind} canceled by request")
        else:
            error = JobError(reason)
        try:
            self._end_in_store(task, error)
        except Exception:
            log.exception("job group %s: could not record the end of its driver", task.group_id)
        log.info("job group %s: %s driver ended (exit code %s)", task.group_id, task.name, code)

    def _end_in_store(self, task: Task, error: SparkJobsError) -> None:
        status = "Canceled" if isinstance(error, JobCanceledError) else "Failed"
        try:
            result = self.store.load(task.group_id)
        except JobGroupNotFound:
            return
        if task.kind == "run":
            # publish jobs accepted after the run completed have drivers of their own
            if any(j.type != "publish" and j.status not in TERMINAL for j in result.jobs):
                fail_created_job_group(self.store, result, error, status=status)  # type: ignore[arg-type]
            return
        record = ErrorRecord.of(error)

        def finish(current: Any) -> None:
            job = next((j for j in current.jobs if j.id == task.job_id), None)
            if job is None or job.status in TERMINAL:
                return
            job.finish(status, record)
            current.errors.append(record)
            current.refresh_status()

        self.store.update(task.group_id, finish)

    # -- cancel ------------------------------------------------------------------------------
    def cancel(self, group_id: int) -> bool:
        """Cancel the job group's drivers; True when one was queued or running."""
        touched = False
        with self._lock:
            for task in [t for t in self._queue if t.group_id == group_id]:
                self._queue.remove(task)
                touched = True
                self._write_record(task, state="ended", endedAt=timestamp(), exitCode=None)
                self._end_in_store(
                    task, JobCanceledError(f"{task.kind} canceled by request before it started")
                )
            for (gid, _), driver in self._running.items():
                if gid != group_id:
                    continue
                touched = True
                driver.cancel_requested = True
                self._terminate(driver)
        self._wake.set()
        return touched

    def _terminate(self, driver: Driver) -> None:
        """SIGTERM the Python driver (it cancels cleanly); without one yet, kill the group."""
        pythons = python_children(driver.pid)
        if not pythons:
            _signal_group(driver.pid, signal.SIGKILL)
            return
        sig = signal.SIGTERM if driver.task.kind == "run" else signal.SIGINT
        for pid in pythons:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        driver.term_sent_at = time.monotonic()

    def is_active(self, group_id: int) -> bool:
        with self._lock:
            return any(t.group_id == group_id for t in self._queue) or any(
                gid == group_id for gid, _ in self._running
            )


def driver_env(
    base: Mapping[str, str], *, python: str, package_parent: Path, drop: Sequence[str]
) -> dict[str, str]:
    """The drivers' environment: our Python for driver and workers, the package importable,
    the server's secrets (its API tokens) left out."""
    env = {k: v for k, v in base.items() if k not in drop}
    env["PYSPARK_PYTHON"] = python
    env["PYSPARK_DRIVER_PYTHON"] = python
    paths = [str(package_parent), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def default_python() -> str:
    return sys.executable
