"""Profile overhead: the same job group with ``profiler`` off and on, and Amazon Deequ beside it.

``python -m bench.profile_bench`` (``make bench-profile``) prints one markdown section. Input:
``BENCH_ROWS`` rows (default 5,000,000, scaled by ``BENCH_SCALE``) x 20 columns as CSV (integers,
decimals, strings, dates, a few missing and mismatched values); the job reads it (types inferred
on import), runs an empty recipe and writes one CSV output.

Each Spark line runs in its own process and JVM, one after the other, on the same input files
(``BENCH_PROFILE_LINES``, default ``4.0,3.5``: the Spark 4 line in ``.venv``, the Spark 3.5 line
in ``.venv-spark35``). In a line every variant runs through ``run_command`` in the same Spark
session:

* ``off``: the job group without the profile;
* ``on``: the job group with our profile (one JVM aggregate observed along the write);
* ``deequ`` (Spark 3.5 line only: Deequ publishes no build for our Spark 4.0 line's Scala 2.13 +
  Spark 4.0 pair that the registry lists): the same job group without the profile, then Amazon
  Deequ's column profiler (``ColumnProfilerRunner().onData(df).run()``, called through py4j) over
  the same CSV read as text, which is what a user adds to a job to get Deequ's profile. Deequ's jar
  comes from ``make bench-deps`` (bench/deequ/pom.xml, into .jars/; no test uses it).

Fair to every variant: each runs once first on a 20,000-row input of the same shape (the JVM
compiles the code Spark generates for it; a variant run cold in the timed run would pay that
compile alone), then the timed runs alternate (off, on, deequ, off, on, deequ, ...;
``BENCH_ROUNDS`` rounds, default 1) and the medians are compared, so a burst of load on this
shared machine moves one run, not the ratio.

The section also lists which statistics each profiler computed for how many of the 20 columns,
counted from the two profiles of the last round (our profile.json, Deequ's JSON), not from docs.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import REPO, WORK, env_rows, table, timer

BASE = WORK / "profile"
COLUMNS = 20
WARM_UP_ROWS = 20_000
#: what ``make bench-deps`` writes: the classpath of Deequ's jar (Spark 3.5 line)
DEEQU_CLASSPATH = REPO / ".jars" / "bench-deequ.classpath"
#: the interpreter of each Spark line (the Makefile's VENV / VENV35)
LINE_PYTHONS = {
    "4.0": REPO / ".venv" / "bin" / "python",
    "3.5": REPO / ".venv-spark35" / "bin" / "python",
}
VARIANTS = {
    "off": "profiler off",
    "on": "profiler on (ours)",
    "deequ": "profiler off, then Deequ's ColumnProfilerRunner on the input",
}


def make_input(spark: Any, rows: int, path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    exprs = ["cast(id AS STRING) AS id"]
    for c in range(1, COLUMNS):
        kind = c % 4
        if kind == 0:  # integers with a few mismatched and missing values
            expr = f"CASE WHEN id % 97 = {c} THEN 'n/a' WHEN id % 89 = {c} THEN '' ELSE cast((id * {c}) % 1000 AS STRING) END"
        elif kind == 1:  # decimals
            expr = f"cast(round(rand({c}) * 1000, 2) AS STRING)"
        elif kind == 2:  # categorical strings
            expr = f"concat('cat-', cast((id * {c}) % 37 AS STRING))"
        else:  # dates
            expr = f"cast(date_add(DATE'2020-01-01', cast((id * {c}) % 1500 AS INT)) AS STRING)"
        exprs.append(f"{expr} AS c{c}")
    # written to a temporary folder first: a run stopped half-way leaves no half input behind
    partial = path.with_name(path.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    spark.range(rows).selectExpr(*exprs).write.option("header", True).csv(str(partial))
    partial.rename(path)


def job_spec(source: Path, output: Path, profiler: bool) -> dict[str, Any]:
    return {
        "jobGroup": {
            "wrangledDataset": {"id": 2},
            "overrides": {
                "execution": "spark",
                "profiler": profiler,
                "writeSettings": [
                    {"path": str(output), "action": "overwrite", "format": "csv", "header": True}
                ],
            },
        },
        "flow": {
            "importedDatasets": [
                {
                    "id": 1,
                    "name": "bench",
                    "uri": source.as_uri(),
                    "format": "csv",
                    "options": {"header": True},
                }
            ],
            "wrangledDatasets": [
                {"id": 2, "name": "bench_out", "input": {"importedDataset": {"id": 1}}}
            ],
        },
    }


def source_of(spark: Any, rows: int) -> Path:
    """The cached input of ``rows`` rows (made on first use; every line reads the same files)."""
    source = BASE / f"input_{rows}"
    if not source.exists():
        make_input(spark, rows, source)
    return source


def run_job(spark: Any, work: Path, source: Path, name: str, profiler: bool) -> dict[str, Any]:
    """One job group through ``run_command`` in ``spark``; its result document."""
    from spark_jobs.runner.app import run_command

    spec_path = work / f"job_{name}.json"
    spec_path.write_text(json.dumps(job_spec(source, work / f"out_{name}", profiler)))
    result_file = work / f"result_{name}.json"
    code = run_command(
        str(spec_path),
        session=lambda extras: spark,
        job_store=str(work / "store"),
        result_file=str(result_file),
        out=io.StringIO(),
        err=sys.stderr,
        progress=False,
    )
    result: dict[str, Any] = json.loads(result_file.read_text())
    if code != 0:
        raise SystemExit(
            f"variant {name}: job group {result.get('status')}: {result.get('errors')}"
        )
    return result


def deequ_profile(spark: Any, source: Path) -> dict[str, Any]:
    """Deequ's column profile of the CSV ``source`` read as text (its JSON, parsed)."""
    jvm = spark._jvm
    df = spark.read.option("header", True).csv(str(source))
    profiles = jvm.com.amazon.deequ.profiles.ColumnProfilerRunner().onData(df._jdf).run()
    found = profiles.profiles().values().toSeq()
    parsed: dict[str, Any] = json.loads(jvm.com.amazon.deequ.profiles.ColumnProfiles.toJson(found))
    # Deequ's toJson builds each column's typeCounts but leaves it out: read them from the objects
    type_counts = {}
    for i in range(found.length()):
        profile = found.apply(i)
        type_counts[profile.column()] = profile.typeCounts().size()
    for column in parsed["columns"]:
        column["typeCounts"] = type_counts.get(column["column"], 0)
    return parsed


def deequ_jars() -> list[str]:
    """The jars of ``make bench-deps`` (a clear stop when they are missing)."""
    if not DEEQU_CLASSPATH.is_file():
        raise SystemExit(
            f"Deequ's jar is not there ({DEEQU_CLASSPATH} is missing): run `make bench-deps`"
        )
    jars = [j for j in DEEQU_CLASSPATH.read_text().strip().split(os.pathsep) if j]
    missing = [j for j in jars if not Path(j).is_file()]
    if missing or not jars:
        raise SystemExit(f"{DEEQU_CLASSPATH} lists missing jars {missing}: run `make bench-deps`")
    return jars


def deequ_version(jars: list[str]) -> str:
    for jar in jars:
        name = Path(jar).name
        if name.startswith("deequ-") and name.endswith(".jar"):
            return name[len("deequ-") : -len(".jar")]
    return "unknown"


def measure_line(rows: int, rounds: int) -> dict[str, Any]:
    """Every variant of the installed Spark line, warmed up, then ``rounds`` alternating rounds."""
    import pyspark

    from spark_jobs.session import (
        LocalSessionSettings,
        build_local_session,
        find_jvm_extras,
        spark_line,
    )

    line = spark_line()
    with_deequ = line == "3.5"
    extra_jars = deequ_jars() if with_deequ else []
    work = BASE / f"spark-{line}"
    work.mkdir(parents=True, exist_ok=True)
    spark = build_local_session(
        LocalSessionSettings(
            app_name=f"bench-profile-{line}",
            extra_conf={"spark.ui.enabled": "false"},
            jars=[*find_jvm_extras(), *extra_jars],
        )
    )
    source = source_of(spark, rows)
    warm_up = source_of(spark, WARM_UP_ROWS)
    last: dict[str, Any] = {}

    def off(src: Path) -> None:
        run_job(spark, work, src, "off", False)

    def on(src: Path) -> None:
        last["on"] = run_job(spark, work, src, "on", True)

    def deequ(src: Path) -> None:
        run_job(spark, work, src, "deequ", False)
        with timer() as t:
            last["deequ"] = deequ_profile(spark, src)
        last["deequ_seconds"] = t[0]

    variants: dict[str, Callable[[Path], None]] = {"off": off, "on": on}
    if with_deequ:
        variants["deequ"] = deequ
    for run in variants.values():  # JIT warm-up of every variant's generated code (not reported)
        run(warm_up)
    runs: dict[str, list[float]] = {name: [] for name in variants}
    deequ_alone: list[float] = []
    for _ in range(rounds):
        for name, run in variants.items():
            with timer() as t:
                run(source)
            runs[name].append(t[0])
            if name == "deequ":
                deequ_alone.append(last["deequ_seconds"])
    spark.stop()
    result = last["on"]
    profile_job = next(j for j in result["jobs"] if j["type"] == "profile")
    writer = next(j for j in result["jobs"] if j["type"] == "filewriter")
    ours = json.loads(Path(profile_job["details"]["profileJson"]).read_text())
    return {
        "line": line,
        "pyspark": pyspark.__version__,
        "runs": runs,
        "deequAlone": deequ_alone,
        "deequVersion": deequ_version(extra_jars) if with_deequ else None,
        "profileDetails": profile_job["details"],
        "writerMs": writer["durationMs"],
        "profileMs": profile_job["durationMs"],
        "ours": ours,
        "deequ": last.get("deequ"),
    }


# --- which statistics each profiler computed ----------------------------------------------------


def _count(columns: list[dict[str, Any]], has: Callable[[dict[str, Any]], bool]) -> int:
    return sum(1 for c in columns if has(c))


def _block(column: dict[str, Any]) -> dict[str, Any]:
    return column.get(column.get("kind", ""), None) or {}


def _types(values: list[str]) -> str:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return ", ".join(f"{k} x{n}" for k, n in sorted(counts.items()))


def statistics_rows(ours: dict[str, Any], deequ: dict[str, Any]) -> list[list[str]]:
    """Per statistic: for how many columns Deequ computed it, for how many ours did (counted from
    the two profiles themselves)."""
    oc: list[dict[str, Any]] = ours["columns"]
    dc: list[dict[str, Any]] = deequ["columns"]

    def number(c: dict[str, Any]) -> dict[str, Any]:
        return c.get("number") or {}

    rows = [
        [
            "completeness / missing count",
            _count(dc, lambda c: "completeness" in c),
            _count(oc, lambda c: "missing" in c),
        ],
        [
            "approximate distinct count",
            _count(dc, lambda c: "approximateNumDistinctValues" in c),
            _count(oc, lambda c: bool(c.get("distinct"))),
        ],
        [
            "data type (inferred)",
            f"{len(dc)} ({_types([c['dataType'] for c in dc])})",
            f"{len(oc)} ({_types([c['type'] for c in oc])})",
        ],
        [
            "values per type (Deequ: typeCounts; ours: valid / mismatched / missing)",
            _count(dc, lambda c: bool(c.get("typeCounts"))),  # from the objects
            _count(oc, lambda c: "valid" in c and "mismatched" in c),
        ],
        [
            "numeric min, max, mean, sum, stddev",
            _count(
                dc, lambda c: all(k in c for k in ("minimum", "maximum", "mean", "sum", "stdDev"))
            ),
            _count(
                oc,
                lambda c: all(
                    number(c).get(k) is not None for k in ("min", "max", "mean", "sum", "stddev")
                ),
            ),
        ],
        [
            "quantiles",
            _count(dc, lambda c: bool(c.get("approxPercentiles"))),
            _count(oc, lambda c: number(c).get("median") is not None),
        ],
        [
            "histogram / value counts",
            _count(dc, lambda c: bool(c.get("histogram"))),
            _count(oc, lambda c: bool(_block(c).get("histogram") or _block(c).get("topValues"))),
        ],
        [
            "date min / max / histogram",
            0,
            _count(oc, lambda c: (c.get("datetime") or {}).get("min") is not None),
        ],
        [
            "text lengths, top patterns",
            0,
            _count(oc, lambda c: bool((c.get("string") or {}).get("topPatterns"))),
        ],
    ]
    return [[str(cell) for cell in row] for row in rows]


def covers_deequ(rows: list[list[str]]) -> bool:
    """Whether ours computed every statistic for at least as many columns as Deequ did."""
    return all(int(r[2].split()[0]) >= int(r[1].split()[0]) for r in rows)


# --- the lines, each in its own process --------------------------------------------------------


def run_line(line: str, rows: int, rounds: int) -> dict[str, Any]:
    """``measure_line`` in the interpreter of ``line`` (its own JVM), its measurements back."""
    python = LINE_PYTHONS.get(line)
    if python is None or not python.exists():
        raise SystemExit(
            f"no interpreter for the Spark {line} line at {python} "
            "(`make setup-spark35` makes .venv-spark35; BENCH_PROFILE_LINES picks the lines)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "line.json"
        env = {
            **os.environ,
            "PYSPARK_PYTHON": str(python),
            "PYSPARK_DRIVER_PYTHON": str(python),
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
            ),
            "BENCH_ROWS": str(rows),
            "BENCH_ROUNDS": str(rounds),
        }
        done = subprocess.run(
            [str(python), "-m", "bench.profile_bench", "--line-json", str(out)],
            cwd=REPO,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"the Spark {line} line failed (exit {done.returncode}; see stderr)")
        measured: dict[str, Any] = json.loads(out.read_text())
        return measured


def report(rows: int, rounds: int, lines: list[dict[str, Any]]) -> str:
    parts = ["## Visual profile overhead\n"]
    parts.append(
        f"{rows:,} rows x {COLUMNS} columns (CSV in, types inferred, one CSV output), local Spark; "
        "each Spark line in its own process on the same input, every variant warmed up on "
        f"{WARM_UP_ROWS:,} rows, then {rounds} alternating round(s) (off, on, deequ, ...), "
        "medians compared within the line.\n"
    )
    body = []
    for m in lines:
        off = statistics.median(m["runs"]["off"])
        for name, seconds in m["runs"].items():
            median = statistics.median(seconds)
            label = VARIANTS[name]
            if name == "on":
                passes = m["profileDetails"]["passes"]
                label += (
                    " observed along the write" if passes == 0 else f", {passes} pass of its own"
                )
            if name == "deequ":
                label = label.replace("Deequ's", f"Deequ {m['deequVersion']}")
            alone = f"{statistics.median(m['deequAlone']):.1f}" if name == "deequ" else "-"
            body.append(
                [
                    m["pyspark"],
                    label,
                    f"{median:.1f}",
                    f"{median / off:.2f}",
                    alone,
                    ", ".join(f"{x:.1f}" for x in seconds),
                ]
            )
    parts.append(
        table(
            [
                "Spark",
                "variant",
                "seconds (median)",
                "ratio to off",
                "Deequ alone (s)",
                "runs in order (s)",
            ],
            body,
        )
    )
    notes = []
    for m in lines:
        d = m["profileDetails"]
        notes.append(
            f"Spark {m['pyspark']}, last profiled run: the write took "
            f"{m['writerMs'] / 1000:.1f} s, the profile job {m['profileMs'] / 1000:.1f} s; the "
            f"profile ran {d['sparkJobs']} Spark job(s) and {d['passes']} read(s) of its own "
            "(Spark 3.5 cannot observe it along the write, docs/profile.md)."
        )
    parts.append("\n" + "\n\n".join(notes))
    for m in lines:
        off = statistics.median(m["runs"]["off"])
        on = statistics.median(m["runs"]["on"]) / off
        verdict = "within" if on <= 1.3 else "ABOVE"
        line = f"\nSpark {m['pyspark']}: ours {on:.2f}x ({verdict} the 1.3x target)"
        if m.get("deequ"):
            dq = statistics.median(m["runs"]["deequ"]) / off
            line += f"; Deequ {dq:.2f}x ({'ours lower' if on < dq else 'ours NOT lower'})"
        parts.append(line + ".")
    with_deequ = [m for m in lines if m.get("deequ")]
    for m in with_deequ:
        stat_rows = statistics_rows(m["ours"], m["deequ"])
        parts.append(
            f"\nStatistics computed (Spark {m['pyspark']}, last round; columns out of {COLUMNS}, "
            f"counted from Deequ {m['deequVersion']}'s JSON and our profile.json):\n"
        )
        parts.append(table(["statistic", "Deequ (columns)", "ours (columns)"], stat_rows))
        parts.append(
            f"\nOurs computes every statistic Deequ computed, for at least as many columns: "
            f"{'yes' if covers_deequ(stat_rows) else 'NO'}. Deequ infers types from text (no "
            "dates: it calls them String) and computes numeric statistics only for columns whose "
            "every value is numeric; its histograms are exact counts of every value, only for "
            "columns of at most 1,000 distinct values, and it computes no quantiles unless KLL "
            "profiling is asked for (not the default, not asked here). Ours: histograms and top "
            "values over a uniform sample of at most 20,000 rows (exact when the data has no "
            "more), counts and moments exact over every row (docs/profile.md)."
        )
    return "\n".join(parts)


def main() -> int:
    rows = env_rows(5_000_000)
    rounds = max(1, int(os.environ.get("BENCH_ROUNDS", "1")))
    BASE.mkdir(parents=True, exist_ok=True)
    if len(sys.argv) == 3 and sys.argv[1] == "--line-json":
        Path(sys.argv[2]).write_text(json.dumps(measure_line(rows, rounds)))
        return 0
    wanted = [x.strip() for x in os.environ.get("BENCH_PROFILE_LINES", "4.0,3.5").split(",")]
    measured = [run_line(line, rows, rounds) for line in wanted if line]
    print(report(rows, rounds, measured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
