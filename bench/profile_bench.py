"""Profile overhead: the same job group with ``profiler`` off and on, in one run.

``python -m bench.profile_bench`` prints one markdown section. Input: ``BENCH_ROWS`` rows
(default 5,000,000, scaled by ``BENCH_SCALE``) x 20 columns as CSV (integers, decimals, strings,
dates, a few missing and mismatched values); the job reads it (types inferred on import), runs an
empty recipe and writes one CSV output. Each variant runs through ``run_command`` in the same
Spark session; the profile's own Spark job count comes from its result.

Fair to both variants: each runs once first on a 20,000-row input of the same shape (the JVM
compiles the code Spark generates for it; a job run cold in the timed run paid that compile
only on one side), then the timed runs alternate (off, on, off, on, ...; ``BENCH_ROUNDS``
rounds, default 1) and the medians are compared, so a burst of load on this shared machine moves
one run, not the ratio.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

from bench import WORK, env_rows, table, timer

BASE = WORK / "profile"
COLUMNS = 20
WARM_UP_ROWS = 20_000


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
    spark.range(rows).selectExpr(*exprs).write.option("header", True).csv(str(path))


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
    """The cached input of ``rows`` rows (made on first use)."""
    source = BASE / f"input_{rows}"
    if not source.exists():
        make_input(spark, rows, source)
    return source


def run_variant(spark: Any, source: Path, profiler: bool) -> tuple[float, dict[str, Any]]:
    from spark_jobs.runner.app import run_command

    name = "on" if profiler else "off"
    spec_path = BASE / f"job_{name}.json"
    spec_path.write_text(json.dumps(job_spec(source, BASE / f"out_{name}", profiler)))
    result_file = BASE / f"result_{name}.json"
    with timer() as t:
        code = run_command(
            str(spec_path),
            session=lambda extras: spark,
            job_store=str(BASE / "store"),
            result_file=str(result_file),
            out=io.StringIO(),
            err=sys.stderr,
            progress=False,
        )
    result = json.loads(result_file.read_text())
    if code != 0:
        raise SystemExit(
            f"profiler {name}: job group {result.get('status')}: {result.get('errors')}"
        )
    return t[0], result


def main() -> int:
    from spark_jobs.session import LocalSessionSettings, build_local_session

    rows = env_rows(5_000_000)
    BASE.mkdir(parents=True, exist_ok=True)
    spark = build_local_session(
        LocalSessionSettings(app_name="bench-profile", extra_conf={"spark.ui.enabled": "false"})
    )
    source = source_of(spark, rows)
    warm_up = source_of(spark, WARM_UP_ROWS)
    for profiler in (False, True):  # JIT warm-up of both variants' generated code (not reported)
        run_variant(spark, warm_up, profiler)
    rounds = max(1, int(os.environ.get("BENCH_ROUNDS", "1")))
    offs: list[float] = []
    ons: list[float] = []
    result: dict[str, Any] = {}
    for _ in range(rounds):
        offs.append(run_variant(spark, source, False)[0])
        seconds, result = run_variant(spark, source, True)
        ons.append(seconds)
    off, on = statistics.median(offs), statistics.median(ons)
    profile_job = next(j for j in result["jobs"] if j["type"] == "profile")
    writer = next(j for j in result["jobs"] if j["type"] == "filewriter")
    details = profile_job["details"]
    spark.stop()
    print("## Visual profile overhead\n")
    print(
        f"{rows:,} rows x {COLUMNS} columns (CSV in, types inferred, one CSV output), local Spark, "
        f"same session, both variants warmed up on {WARM_UP_ROWS:,} rows, then {rounds} "
        "alternating run(s) each (off, on, ...), medians compared.\n"
    )
    print(
        f"Runs in order (s): off {', '.join(f'{x:.1f}' for x in offs)}; "
        f"on {', '.join(f'{x:.1f}' for x in ons)}.\n"
    )
    print(
        table(
            ["variant", "seconds", "ratio", "profile Spark jobs", "profile passes"],
            [
                ["profiler off", f"{off:.1f}", "1.00", "-", "-"],
                [
                    "profiler on",
                    f"{on:.1f}",
                    f"{on / off:.2f}",
                    details["sparkJobs"],
                    details["passes"],
                ],
            ],
        )
    )
    print(
        f"\nOf the last profiled run: the write with the profile observed took "
        f"{writer['durationMs'] / 1000:.1f} s, the profile job (the files; it reads no data) "
        f"{profile_job['durationMs'] / 1000:.1f} s."
    )
    verdict = "within" if on / off <= 1.3 else "ABOVE"
    print(f"\nTarget: at most 1.3x. Measured {on / off:.2f}x ({verdict} target).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
