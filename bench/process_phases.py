"""Where one ``spark-jobs run`` process spends its seconds, phase by phase.

    python bench/process_phases.py SPEC.json [spark-jobs run options ...]

Runs ``spark-jobs run`` in this process (from the repository root, with ``PYTHONPATH`` set to it)
with the runner's steps wrapped in timers, and prints a markdown table on stderr: each phase's
wall seconds and the CPU seconds the driver's Python and the JVM spent in it (the JVM's from
``/proc/<pid>/stat``), then the JVM's classes loaded and JIT compile time. This is how the
breakdown in bench/results.md ("Whole process") was measured; for the Spark jobs of each phase,
add ``--spark-conf`` with ``spark.eventLog.enabled true``. A measuring tool, not part of the
product: it replaces module attributes of the runner for the life of this process.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable
from typing import Any

STARTED = time.time()
#: (label, wall time, Python CPU, JVM CPU or None)
MARKS: list[tuple[str, float, float, float | None]] = []
_JVM_PID: list[int] = []


def _process_start() -> float:
    """The wall-clock time this process started (its interpreter start counts too)."""
    with open("/proc/self/stat") as stat:
        start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as uptime:
        up = float(uptime.read().split()[0])
    return STARTED - (up - start_ticks / os.sysconf("SC_CLK_TCK"))


def _jvm_cpu() -> float | None:
    if not _JVM_PID:
        return None
    with open(f"/proc/{_JVM_PID[0]}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mark(label: str) -> None:
    MARKS.append((label, time.time(), time.process_time(), _jvm_cpu()))


def timed(owner: Any, name: str, label: str) -> None:
    """Wrap ``owner.name`` so that its start and end are marked."""
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        mark(f"> {label}")
        try:
            return original(*args, **kwargs)
        finally:
            mark(f"< {label}")

    setattr(owner, name, wrapper)


#: (phase, first mark, last mark); None: from the process start
PHASES = [
    ("Python start and imports (pyspark, spark_jobs)", None, "imports"),
    ("spec load and plan (no Spark)", "> load spec", "< plan"),
    ("JVM start (spark-submit launcher, JVM, py4j)", "> JVM start", "< JVM start"),
    ("SparkContext and session (conf, jars, extensions)", "< JVM start", "< session"),
    ("job store: ids, result (Created)", "< session", "> run"),
    ("read: open the source (header job, first query)", "> read", "< read"),
    ("type inference on import", "> infer types", "< infer types"),
    ("recipe compile", "> recipe", "< recipe"),
    ("typed columns for typed outputs (to_physical)", "> to_physical", "< to_physical"),
    ("write into staging (the Spark jobs of the outputs)", "> stage", "< stage"),
    ("commit (staging -> target)", "> commit", "< commit"),
    ("row counts, result, summary", "< commit", "returned"),
]


def _find(label: str, last: bool) -> tuple[str, float, float, float | None] | None:
    hits = [m for m in MARKS if m[0] == label]
    if not hits:
        return None
    return hits[-1] if last else hits[0]


def report(started: float) -> None:
    out = sys.stderr
    out.write("\n| phase | wall (s) | CPU: Python + JVM (s) |\n|---|---:|---:|\n")
    for title, first, last in PHASES:
        begin = (None, started, 0.0, None) if first is None else _find(first, last=False)
        end = _find(last, last=True)
        if begin is None or end is None:
            out.write(f"| {title} | - | - |\n")
            continue
        jvm = (end[3] or 0.0) - (begin[3] or 0.0) if end[3] is not None else 0.0
        out.write(f"| {title} | {end[1] - begin[1]:.2f} | {end[2] - begin[2] + jvm:.1f} |\n")
    final = MARKS[-1]
    out.write(f"| whole process (until the command returned) | {final[1] - started:.2f} | |\n")
    try:
        from pyspark import SparkContext

        gateway = SparkContext._gateway
        assert gateway is not None
        factory = gateway.jvm.java.lang.management.ManagementFactory
        classes = factory.getClassLoadingMXBean().getTotalLoadedClassCount()
        compile_ms = factory.getCompilationMXBean().getTotalCompilationTime()
        out.write(
            f"\nJVM: {classes} classes loaded, JIT compiler time {compile_ms / 1000:.1f} s, "
            f"CPU {_jvm_cpu() or 0:.1f} s\n"
        )
    except Exception as exc:  # the JVM may be gone: the table above stands on its own
        out.write(f"\n(JVM figures unavailable: {exc})\n")


def main(argv: list[str]) -> int:
    started = _process_start()
    mark("interpreter up")
    from pyspark import context as spark_context

    import spark_jobs.cli
    from spark_jobs import session
    from spark_jobs.io import outputs
    from spark_jobs.runner import app, job_group

    mark("imports")
    launch = spark_context.launch_gateway

    def launch_and_note(*args: Any, **kwargs: Any) -> Any:
        mark("> JVM start")
        gateway = launch(*args, **kwargs)
        _JVM_PID.append(int(gateway.jvm.java.lang.ProcessHandle.current().pid()))
        mark("< JVM start")
        return gateway

    spark_context.launch_gateway = launch_and_note  # type: ignore[attr-defined]
    timed(session, "build_local_session", "session")
    timed(app, "load_job_spec", "load spec")
    timed(app, "plan_job", "plan")
    timed(app, "run_job_group", "run")
    timed(job_group, "read_dataset", "read")
    timed(job_group, "infer_types", "infer types")
    timed(job_group, "apply_recipe", "recipe")
    timed(job_group, "to_physical", "to_physical")
    timed(outputs.OutputCommitter, "stage", "stage")
    timed(outputs.OutputCommitter, "commit", "commit")
    code = spark_jobs.cli.main(["run", *argv])
    mark("returned")
    report(started)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
