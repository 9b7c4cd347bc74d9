"""Benchmarks: ``python -m bench`` (``make bench``) runs every ``bench/*_bench.py`` module and
writes ``bench/results.md``.

The contract of a bench module ``bench/<name>_bench.py``:

* it runs as ``python -m bench.<name>_bench`` from the repository root, in its own process (so
  one bench's Spark session, memory or crash never touches another);
* it prints one markdown section to stdout, starting with a ``## `` heading, and nothing else
  there (logs go to stderr);
* it reads its sizes from the environment: ``BENCH_SCALE`` (float, default 1.0: the sizes the
  issue asks for; 0.02 for a quick check) and, where it has one, ``BENCH_ROWS``;
* a non-zero exit code marks it failed: the harness reports it, with the end of its stderr,
  and goes on with the next one.

The helpers below are shared by the bench modules; they use nothing but the standard library
until a bench asks for a Spark session.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: where benches keep their data (git-ignored; `make clean` removes it)
WORK = Path(os.environ.get("BENCH_WORK", str(REPO / "bench" / "work")))


def scale() -> float:
    """``BENCH_SCALE``: 1.0 runs the issue's sizes, smaller values shrink every size."""
    value = float(os.environ.get("BENCH_SCALE", "1.0"))
    if value <= 0:
        raise ValueError(f"BENCH_SCALE must be positive, not {value}")
    return value


def scaled(rows: int, *, minimum: int = 1000) -> int:
    """``rows`` times :func:`scale`, at least ``minimum``."""
    return max(minimum, int(rows * scale()))


def env_rows(default: int) -> int:
    """``BENCH_ROWS`` when set (taken as is), else ``default`` scaled."""
    raw = os.environ.get("BENCH_ROWS")
    return int(raw) if raw else scaled(default)


@contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...``; afterwards ``t[0]`` holds the elapsed seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU seconds a process has used, all its threads (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_bytes(pid: int | str = "self") -> int:
    """The peak resident set size of a process (``VmHWM`` in ``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def child_pids(pid: int) -> list[int]:
    """Every descendant of a process (from ``/proc/*/stat``)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: split after the last ')'
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields[1])
    out, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == current]
        out += kids
        frontier += kids
    return out


def mib(n: float) -> str:
    value = n / 1024 / 1024
    return f"{value:,.0f} MiB" if value >= 100 else f"{value:,.1f} MiB"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
