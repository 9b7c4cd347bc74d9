"""I/O benchmarks: output formats, Delta against Parquet, asSingleFile driver memory, job scaling,
Hive publish throughput. ``python -m bench.io_bench`` prints one markdown section.

Sizes (``BENCH_SCALE=1``, the issue's): ``BENCH_ROWS`` (default 1M) rows for the format and
publish comparisons; 1M, 5M, 10M and 20M rows for driver memory and scaling, each size in a fresh
process (``python -m bench.io_bench --size N``) so that its peak RSS (``VmHWM`` of the Python
driver and of its JVM) is its own. Everything goes through the product's own code paths
(``OutputCommitter``, ``run_command``, ``publish_command``) on local Spark.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import REPO, WORK, child_pids, env_rows, mib, peak_rss_bytes, scale, scaled, table, timer

SIZES = (1_000_000, 5_000_000, 10_000_000, 20_000_000)
BASE = WORK / "io"


def session(*, hive: bool) -> Any:
    from spark_jobs.session import LocalSessionSettings, build_local_session

    settings = LocalSessionSettings(
        app_name="bench-io",
        hive=hive,
        metastore_dir=BASE / "hive" if hive else None,
        warehouse_dir=BASE / "hive" / "warehouse" if hive else None,
        extra_conf={"spark.ui.enabled": "false"},
    )
    return build_local_session(settings)


def make_input(spark: Any, rows: int, path: Path) -> None:
    """``rows`` rows of a typical wide-ish table (7 columns), as Parquet."""
    if path.exists():
        shutil.rmtree(path)
    spark.range(rows).selectExpr(
        "id AS order_id",
        "concat('region-', cast(id % 10 AS STRING)) AS region",
        "concat('customer ', cast(id % 100000 AS STRING)) AS customer",
        "rand(7) * 1000 AS amount",
        "id % 3 = 0 AS paid",
        "date_add(DATE'2024-01-01', cast(id % 365 AS INT)) AS day",
        "timestamp_seconds(1704067200 + id % 31536000) AS ts",
    ).write.parquet(str(path))


def job_spec(source: Path, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "jobGroup": {
            "wrangledDataset": {"id": 2},
            "overrides": {"execution": "spark", "profiler": False, "writeSettings": outputs},
            "ranfrom": "cli",
        },
        "flow": {
            "importedDatasets": [
                {"id": 1, "name": "orders", "uri": source.as_uri(), "format": "parquet"}
            ],
            "wrangledDatasets": [
                {"id": 2, "name": "orders", "input": {"importedDataset": {"id": 1}}, "recipe": []}
            ],
        },
    }


def run_job(spark: Any, spec: dict[str, Any], folder: Path) -> tuple[int, float]:
    """Run one job group with the product's run command; (job group id, seconds)."""
    from spark_jobs.runner.app import run_command

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"job-{len(list(folder.glob('job-*.json')))}.json"
    path.write_text(json.dumps(spec))
    out, err = io.StringIO(), io.StringIO()
    with timer() as t:
        code = run_command(
            str(path),
            session=lambda extras: spark,
            job_store=str(BASE / "store"),
            out=out,
            err=err,
            progress=False,
        )
    if code != 0:
        raise RuntimeError(f"job failed (exit {code}): {err.getvalue()[-2000:]}")
    return int(json.loads(out.getvalue())["id"]), t[0]


# --- formats -----------------------------------------------------------------------------------


def write_once(
    spark: Any, df: Any, fmt: str, path: Path, action: str, jg: int
) -> tuple[float, int]:
    from spark_jobs.io.outputs import OutputCommitter
    from spark_jobs.spec import WriteSetting

    committer = OutputCommitter(spark, jg)
    with timer() as t:
        setting = WriteSetting.model_validate({"path": str(path), "action": action, "format": fmt})
        committer.stage(df, setting, 0)
        out = committer.commit()[0]
    return t[0], out.bytes


def read_seconds(spark: Any, fmt: str, path: Path) -> float:
    from pyspark.sql import functions as F

    reader = {"pqt": "parquet", "avro": "avro", "delta": "delta"}[fmt]
    with timer() as t:
        spark.read.format(reader).load(str(path)).agg(F.sum("amount"), F.count("*")).collect()
    return t[0]


def formats_section(spark: Any, source: Path, rows: int) -> list[str]:
    from spark_jobs.io.outputs import AVRO_WRITER_CONF

    df = spark.read.parquet(str(source))
    folder = BASE / "formats"
    shutil.rmtree(folder, ignore_errors=True)
    # warm-up: class loading and JIT of every writer, on a few rows
    small = df.limit(1000)
    for fmt in ("pqt", "avro", "delta"):
        write_once(spark, small, fmt, folder / f"warm_{fmt}", "create", 1)
    cases = [
        ("Parquet (pqt)", "pqt", "native"),
        ("Avro, Spark's native writer (spark-avro)", "avro", "native"),
        ("Avro, fastavro fallback", "avro", "fastavro"),
        ("Delta", "delta", "native"),
    ]
    results = []
    timings: dict[str, float] = {}
    for label, fmt, writer in cases:
        target = folder / f"{fmt}_{writer}"
        spark.conf.set(AVRO_WRITER_CONF, "fastavro" if writer == "fastavro" else "auto")
        try:
            seconds, size = write_once(spark, df, fmt, target, "create", 2)
            append_seconds, _ = write_once(spark, df, fmt, target, "append", 3)
        finally:
            spark.conf.unset(AVRO_WRITER_CONF)
        read = read_seconds(spark, fmt, target)
        timings[label] = seconds
        results.append(
            [
                label,
                f"{seconds:.1f} s",
                f"{rows / seconds:,.0f}",
                f"{append_seconds:.1f} s",
                mib(size),
                f"{read:.1f} s",
            ]
        )
    parquet = timings["Parquet (pqt)"]
    for row in results:
        row.insert(2, f"{timings[row[0]] / parquet:.2f}x")
    lines = [
        f"### Output formats ({rows:,} rows, 7 columns, create then append, through `OutputCommitter`)",
        "",
        table(
            ["writer", "create", "vs Parquet", "rows/s", "append", "size", "full scan"],
            results,
        ),
        "",
        "Delta writes Parquet files plus one commit file per version (and, unlike the file "
        "formats, needs no staging rename); the fastavro fallback encodes rows in Python workers.",
    ]
    return lines


# --- Hive publish -----------------------------------------------------------------------------


def publish_section(spark: Any, source: Path, rows: int) -> list[str]:
    from spark_jobs.publish import publish_command

    spark.sql("CREATE DATABASE IF NOT EXISTS bench")
    outputs = [
        {"path": str(BASE / "publish" / "orders_pqt"), "action": "overwrite", "format": "pqt"},
        {"path": str(BASE / "publish" / "orders_delta"), "action": "overwrite", "format": "delta"},
    ]
    group, _ = run_job(spark, job_spec(source, outputs), BASE / "publish_jobs")
    connections = {"connections": [{"id": 1, "type": "hive", "name": "bench hive"}]}
    results = []
    for fmt, action, table_name in [
        ("pqt", "dropAndLoad", "orders_pqt"),
        ("pqt", "truncateAndLoad", "orders_pqt"),
        ("pqt", "load", "orders_pqt"),
        ("delta", "dropAndLoad", "orders_delta"),
        ("delta", "truncateAndLoad", "orders_delta"),
        ("delta", "load", "orders_delta"),
    ]:
        body = {
            "connection": {"id": 1},
            "path": ["bench"],
            "table": table_name,
            "action": action,
            "inputFormat": fmt,
        }
        out, err = io.StringIO(), io.StringIO()
        with timer() as t:
            code = publish_command(
                group,
                body,
                session=lambda connection: spark,
                connections=connections,
                job_store=str(BASE / "store"),
                out=out,
                err=err,
            )
        if code != 0:
            raise RuntimeError(f"publish {fmt} {action} failed: {err.getvalue()[-2000:]}")
        results.append([fmt, action, f"{t[0]:.1f} s", f"{rows / t[0]:,.0f}"])
    return [
        f"### Hive publish ({rows:,} rows, embedded metastore, `publish_command`)",
        "",
        table(["inputFormat", "action", "time", "rows/s"], results),
        "",
        "pqt replaces go through a staging table and metastore renames; Delta replaces are one "
        "Delta transaction each (INSERT OVERWRITE / CREATE OR REPLACE TABLE ... AS SELECT).",
    ]


# --- one size, in its own process ---------------------------------------------------------------


def size_child(rows: int) -> dict[str, Any]:
    """Run in a fresh process: the asSingleFile job, then the scaling job, on ``rows`` rows."""
    source = BASE / "sizes" / f"input_{rows}"
    spark = session(hive=False)
    spark.range(10).count()  # the JVM is up and running before the baseline is read
    jvm = [p for p in child_pids(os.getpid()) if "java" in _cmdline(p)]
    base_py = peak_rss_bytes()
    base_jvm = sum(peak_rss_bytes(p) for p in jvm)
    folder = BASE / "sizes" / f"out_{rows}"
    shutil.rmtree(folder, ignore_errors=True)
    single = [
        {
            "path": str(folder / "orders.csv"),
            "action": "overwrite",
            "format": "csv",
            "header": True,
            "asSingleFile": True,
        }
    ]
    _, single_seconds = run_job(spark, job_spec(source, single), folder / "jobs")
    peak_py = peak_rss_bytes()
    peak_jvm = sum(peak_rss_bytes(p) for p in jvm)
    single_bytes = (folder / "orders.csv").stat().st_size
    parallel = [
        {"path": str(folder / "orders_parts.csv"), "action": "overwrite", "format": "csv"},
        {"path": str(folder / "orders_pqt"), "action": "overwrite", "format": "pqt"},
    ]
    _, scale_seconds = run_job(spark, job_spec(source, parallel), folder / "jobs")
    spark.stop()
    return {
        "rows": rows,
        "single_seconds": single_seconds,
        "single_bytes": single_bytes,
        "python_base": base_py,
        "python_peak": peak_py,
        "jvm_base": base_jvm,
        "jvm_peak": peak_jvm,
        "scale_seconds": scale_seconds,
        "driver_memory": spark_conf_value("spark.driver.memory"),
    }


def spark_conf_value(key: str) -> str:
    from spark_jobs.session import LocalSessionSettings, local_session_conf

    return local_session_conf(LocalSessionSettings()).get(key, "default")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def sizes_section(sizes: list[int]) -> list[str]:
    measured = []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for rows in sizes:
        done = subprocess.run(
            [sys.executable, "-m", "bench.io_bench", "--size", str(rows)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the {rows:,}-row run failed:\n{done.stderr[-3000:]}")
        measured.append(json.loads(done.stdout.strip().splitlines()[-1]))
    memory_rows = [
        [
            f"{m['rows']:,}",
            mib(m["single_bytes"]),
            f"{m['single_seconds']:.1f} s",
            mib(m["python_peak"]),
            mib(m["jvm_base"]),
            mib(m["jvm_peak"]),
        ]
        for m in measured
    ]
    first = measured[0]
    scaling_rows = [
        [
            f"{m['rows']:,}",
            f"{m['scale_seconds']:.1f} s",
            f"{m['rows'] / m['scale_seconds']:,.0f}",
            f"{m['rows'] / first['rows']:.0f}x",
            f"{m['scale_seconds'] / first['scale_seconds']:.1f}x",
        ]
        for m in measured
    ]
    growth_py = measured[-1]["python_peak"] / max(first["python_peak"], 1)
    growth_jvm = measured[-1]["jvm_peak"] / max(first["jvm_peak"], 1)
    return [
        "### asSingleFile: driver memory against rows",
        "",
        "One CSV file with a header (`asSingleFile: true`), each size in a fresh process; peak "
        "RSS is `VmHWM` of the Python driver and of its JVM (in local mode the JVM also runs the "
        f"executors), spark.driver.memory {measured[0]['driver_memory']}.",
        "",
        table(
            ["rows", "file", "job time", "Python driver peak", "JVM at start", "JVM peak"],
            memory_rows,
        ),
        "",
        f"From {first['rows']:,} to {measured[-1]['rows']:,} rows the Python driver's peak grows "
        f"{growth_py:.2f}x and the JVM's {growth_jvm:.2f}x (the rows grow "
        f"{measured[-1]['rows'] / first['rows']:.0f}x): the parts are concatenated as byte "
        "streams, never collected to the driver.",
        "",
        "### Scaling of a job against rows",
        "",
        "The same recipe-less job (Parquet in; CSV part files and Parquet out), each size in a "
        "fresh process.",
        "",
        table(["rows", "job time", "rows/s", "rows vs first", "time vs first"], scaling_rows),
    ]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--size"]:
        print(json.dumps(size_child(int(argv[1]))))
        return 0
    rows = env_rows(1_000_000)
    sizes = [scaled(s) for s in SIZES]
    BASE.mkdir(parents=True, exist_ok=True)
    for stale in ("store", "hive", "formats", "publish", "publish_jobs", "sizes"):
        shutil.rmtree(BASE / stale, ignore_errors=True)
    spark = session(hive=True)
    source = BASE / "input"
    make_input(spark, rows, source)
    for size in sizes:
        make_input(spark, size, BASE / "sizes" / f"input_{size}")
    lines = [
        "## I/O: formats, Delta, asSingleFile memory, scaling, Hive publish",
        "",
        f"BENCH_SCALE={scale():g}: {rows:,} rows for formats and publish; "
        f"{', '.join(f'{s:,}' for s in sizes)} rows for memory and scaling.",
        "",
    ]
    lines += [*formats_section(spark, source, rows), ""]
    lines += [*publish_section(spark, source, rows), ""]
    spark.stop()
    lines += sizes_section(sizes)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
