"""``python -m bench [NAME ...] [--output PATH]``: run the benchmarks, write bench/results.md.

Every ``bench/*_bench.py`` module (or only the NAMEs given, with or without ``_bench``) runs as
``python -m bench.<module>`` in its own process, with this process's environment (``BENCH_SCALE``,
``BENCH_ROWS``, ... pass through). Its stdout is its section of the results; a bench that fails
(non-zero exit, or no output) is reported in the results with the end of its stderr, and the
others still run. The results start with the machine and versions they were measured on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from bench import REPO, scale
from spark_jobs.session import find_jvm_extras

BENCH_DIR = REPO / "bench"
DEFAULT_OUTPUT = BENCH_DIR / "results.md"
#: a bench running longer than this is stopped and reported as failed
TIMEOUT_SECONDS = float(os.environ.get("BENCH_TIMEOUT", "7200"))
STDERR_TAIL_LINES = 25


def discover(names: list[str] | None = None) -> list[str]:
    """The bench modules, in name order (``io_bench``, ``recipe_bench``, ...)."""
    found = sorted(p.stem for p in BENCH_DIR.glob("*_bench.py"))
    if not names:
        return found
    wanted = [n if n.endswith("_bench") else f"{n}_bench" for n in names]
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise SystemExit(
            f"no bench module {', '.join(unknown)} in {BENCH_DIR} (there are: {', '.join(found)})"
        )
    return wanted


# --- the machine ------------------------------------------------------------------------------


def _proc_value(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.split(":")[0].strip() == key:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    return _proc_value("/proc/cpuinfo", "model name") or platform.processor() or "unknown"


def memory_total() -> str:
    raw = _proc_value("/proc/meminfo", "MemTotal")  # "24576000 kB"
    if not raw:
        return "unknown"
    return f"{int(raw.split()[0]) / 1024 / 1024:.1f} GiB"


def os_name() -> str:
    pretty = _proc_value_eq("/etc/os-release", "PRETTY_NAME")
    return f"{pretty or platform.system()} (kernel {platform.release()})"


def _proc_value_eq(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(f"{key}="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return None


def java_version() -> str:
    java = Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME") else "java"
    try:
        done = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[0] if lines else "unknown"


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def delta_jar_version(jars: Sequence[str] | None = None) -> str:
    """The release of the delta-spark jar among ``jars``, else 'absent'.

    By default the jars the session factory puts on the classpath of the Spark line that runs
    (:func:`spark_jobs.session.find_jvm_extras`: ``.jars/spark-4.0.classpath`` under pyspark 4.0,
    ``.jars/spark-3.5.classpath`` under 3.5, or ``$SPARK_JOBS_CLASSPATH``), so the label names the
    jar the benchmarks ran with, not the first classpath file found.
    """
    if jars is None:
        jars = find_jvm_extras()
    for jar in jars:
        match = re.fullmatch(r"delta-spark_[\d.]+-([\w.]+)\.jar", Path(jar).name)
        if match:
            return match.group(1)
    return "absent"


def git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return done.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def header(started: dt.datetime) -> str:
    rows = [
        ("Date", started.strftime("%Y-%m-%d %H:%M UTC")),
        ("Machine", f"{cpu_model()}, {os.cpu_count()} cores, {memory_total()} RAM"),
        ("OS", os_name()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("Java", java_version()),
        ("pyspark", package_version("pyspark")),
        (
            "Delta Lake",
            f"delta-spark jar {delta_jar_version()}, Python package {package_version('delta-spark')}",
        ),
        ("Commit", git_commit()),
        ("BENCH_SCALE", f"{scale():g}" + (" (the issue's sizes)" if scale() == 1.0 else "")),
    ]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); every section is one `bench/*_bench.py` "
        "module run in its own process. Numbers are wall-clock times on the machine below.",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in rows],
    ]
    return "\n".join(lines)


# --- running ------------------------------------------------------------------------------------


def run_bench(module: str) -> tuple[str, bool, float]:
    """Run one bench module; returns (its section, whether it succeeded, seconds)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO), env.get("PYTHONPATH", "")] if p)
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    env.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", f"bench.{module}"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        code: int | str = done.returncode
        stdout, stderr = done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        code = f"timeout after {TIMEOUT_SECONDS:.0f} s"
        stdout = _text(exc.stdout)
        stderr = _text(exc.stderr)
    seconds = time.monotonic() - started
    section = stdout.strip()
    if code == 0 and section:
        return f"{section}\n\n_{module} took {seconds:.0f} s._", True, seconds
    why = f"exit code {code}" if code != 0 else "no output"
    tail = "\n".join(stderr.strip().splitlines()[-STDERR_TAIL_LINES:])
    text = [
        f"## {module}: FAILED",
        "",
        f"`python -m bench.{module}` failed ({why}) after {seconds:.0f} s.",
    ]
    if section:
        text += ["", "What it printed before failing:", "", section]
    text += ["", "End of its stderr:", "", "```", tail or "(empty)", "```"]
    return "\n".join(text), False, seconds


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="bench modules to run (default: all)")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="results file to write")
    args = parser.parse_args(argv)
    modules = discover(args.names)
    started = dt.datetime.now(dt.timezone.utc)
    sections = [header(started)]
    summary = []
    for module in modules:
        print(f"[bench] {module} ...", file=sys.stderr, flush=True)
        section, ok, seconds = run_bench(module)
        print(f"[bench] {module} {'ok' if ok else 'FAILED'} in {seconds:.0f} s", file=sys.stderr)
        sections.append(section)
        summary.append(f"| {module} | {'ok' if ok else '**failed**'} | {seconds:.0f} s |")
    sections.insert(1, "\n".join(["| bench | status | time |", "|---|---|---|", *summary]))
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text("\n\n".join(sections) + "\n")
    tmp.replace(output)
    print(f"[bench] wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
