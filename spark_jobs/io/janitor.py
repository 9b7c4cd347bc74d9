"""Remove staging directories of a driver that was killed (SIGKILL leaves no chance to clean up).

The driver starts this module as a tiny watchdog process in its own session and tells it, through
a pipe, which local staging directories it creates. When the pipe closes without a ``done``
message, the driver is gone: the watchdog waits for the driver's JVM to stop writing, then removes
those directories. Targets are never touched. Once a commit has started, directories holding a
renamed-aside previous result (``previous``) are left in place for recovery and reported instead.

Protocol (one line each): ``watch <dir>``, ``commit``, ``done``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from typing import IO

_GRACE_SECONDS = 1.5
_RETRIES = 4


class StagingJanitor:
    """Driver side: starts the watchdog lazily, on the first directory to watch."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None

    def _send(self, line: str) -> None:
        if self._proc is None or self._proc.stdin is None:
            return
        try:
            self._proc.stdin.write((line + "\n").encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._proc = None

    def watch(self, directory: str) -> None:
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "spark_jobs.io.janitor"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                    close_fds=True,
                )
            except OSError:
                self._proc = None
                return
        self._send(f"watch {directory}")

    def committing(self) -> None:
        self._send("commit")

    def done(self) -> None:
        """The driver cleaned up after itself: the watchdog has nothing left to do."""
        self._release(finished=True)

    def abandon(self) -> None:
        """The driver gave up: the watchdog cleans the watched directories once more after a grace."""
        self._release(finished=False)

    def _release(self, *, finished: bool) -> None:
        if self._proc is None:
            return
        if finished:
            self._send("done")
        try:
            if self._proc.stdin:
                self._proc.stdin.close()
            if finished:
                self._proc.wait(timeout=10)
        except Exception:
            pass
        self._proc = None


def _remove(directory: str, *, committing: bool) -> None:
    if committing and os.path.lexists(os.path.join(directory, "previous")):
        print(
            f"kept {directory}: it holds a previous result moved aside during commit",
            file=sys.stderr,
        )
        return
    for _ in range(_RETRIES):
        shutil.rmtree(directory, ignore_errors=True)
        if not os.path.lexists(directory):
            break
        time.sleep(_GRACE_SECONDS)
    root = os.path.dirname(directory)
    try:
        os.rmdir(root)  # only succeeds when empty
    except OSError:
        pass


def watch_forever(stream: IO[bytes]) -> int:
    """Watchdog side: read the protocol until EOF, then clean up unless the driver said ``done``."""
    directories: list[str] = []
    committing = False
    finished = False
    for raw in stream:
        line = raw.decode(errors="replace").rstrip("\n")
        if line.startswith("watch "):
            directories.append(line[len("watch ") :])
        elif line == "commit":
            committing = True
        elif line == "done":
            finished = True
    if finished:
        return 0
    time.sleep(_GRACE_SECONDS)  # let the dying JVM's task threads stop writing
    for directory in directories:
        _remove(directory, committing=committing)
    return 0


if __name__ == "__main__":
    sys.exit(watch_forever(sys.stdin.buffer))
