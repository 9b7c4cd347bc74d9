"""Local mode against the 2-worker standalone cluster, on the same job.

``python -m bench.cluster_bench`` prints one markdown section. Both sides go through
``spark-submit`` with the same package zip, jars and spec (the example's recipes on generated
orders, ``BENCH_ROWS`` rows, default 2M x ``BENCH_SCALE``, written as Parquet), so the times
include what a user waits for: JVM start, planning, the job and the commit. Local mode gets
``local[2]``; the cluster gets two workers of one core each on loopback, so both have the same
two cores of this machine: the ratio shows the cost of the cluster's extra processes, not a
speed-up.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench import REPO, WORK, env_rows, table, timer

sys.path.insert(0, str(REPO / "scripts"))

from cluster import (
    RUN_JOB,
    StandaloneCluster,
    build_pyfiles_zip,
    default_jars,
)

BASE = WORK / "cluster"
EXAMPLE = REPO / "examples" / "jobs" / "orders.json"


def generate(rows: int, path: Path) -> None:
    """Orders like examples/data/orders.csv, as text columns (the way a csv is imported)."""
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("bench-cluster-data")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        regions = F.array(*(F.lit(r) for r in ("west", "east", "north", "south")))
        df = spark.range(rows).select(
            (F.col("id") + 1000).cast("string").alias("order_id"),
            F.date_format(
                F.date_add(F.lit("2024-01-01"), (F.col("id") % 365).cast("int")), "yyyy-MM-dd"
            ).alias("order_date"),
            F.element_at(regions, (F.col("id") % 4 + 1).cast("int")).alias("region"),
            F.concat(F.lit("  customer "), (F.col("id") % 9973).cast("string")).alias("customer"),
            F.concat(F.lit("product "), (F.col("id") % 17).cast("string")).alias("product"),
            F.when(F.col("id") % 50 == 0, F.lit(None))
            .otherwise((F.col("id") % 12 + 1).cast("string"))
            .alias("quantity"),
            F.format_number((F.col("id") % 1000) / 7 + 1, 2).alias("unit_price"),
        )
        df.write.mode("overwrite").parquet(str(path))
    finally:
        spark.stop()


def job_spec(source: Path, target: Path) -> dict[str, Any]:
    """The example job group on ``source``, one Parquet output at ``target``."""
    spec = json.loads(EXAMPLE.read_text())
    spec["flow"]["importedDatasets"][0].update(
        {"uri": source.as_uri(), "format": "parquet", "options": {}}
    )
    outputs = [{"path": target.as_uri(), "action": "overwrite", "format": "pqt"}]
    spec["jobGroup"]["overrides"].update({"profiler": False, "writeSettings": outputs})
    for dataset in spec["flow"]["wrangledDatasets"]:
        dataset.pop("writeSettings", None)
    return spec


def submit(cluster: StandaloneCluster, master: str | None, spec: Path, pyfiles: Path) -> float:
    args = ["--spec", str(spec), "--job-store", str(BASE / "store")]
    command = cluster.submit_args(RUN_JOB, args, py_files=[pyfiles], jars=default_jars())
    if master is not None:
        command[command.index("--master") + 1] = master
        # the standalone properties file is for the cluster; local mode keeps Spark's defaults
        i = command.index("--properties-file")
        del command[i : i + 2]
    with timer() as t:
        done = subprocess.run(
            command, env=cluster.env(), cwd=REPO, capture_output=True, text=True, timeout=3600
        )
    if done.returncode != 0:
        raise RuntimeError(f"spark-submit failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return t[0]


def main() -> int:
    rows = env_rows(2_000_000)
    shutil.rmtree(BASE, ignore_errors=True)
    BASE.mkdir(parents=True)
    source = BASE / "orders.parquet"
    generate(rows, source)
    spec_path = BASE / "job.json"
    spec_path.write_text(json.dumps(job_spec(source, BASE / "out_pqt")))
    pyfiles = build_pyfiles_zip(BASE / "spark_jobs.zip")
    with StandaloneCluster(BASE / "spark", workers=2, cores=1, memory="2g") as cluster:
        local_seconds = submit(cluster, "local[2]", spec_path, pyfiles)
        cluster_seconds = submit(cluster, None, spec_path, pyfiles)
    print("## Local mode against the 2-worker standalone cluster\n")
    print(
        f"The example job group (both recipes, one Parquet output) on {rows:,} generated rows, "
        "each side through `spark-submit` (JVM start included), one run each, same two cores.\n"
    )
    print(
        table(
            ["mode", "seconds", "ratio"],
            [
                ["local[2]", f"{local_seconds:.1f}", "1.00"],
                [
                    "standalone, 2 workers x 1 core",
                    f"{cluster_seconds:.1f}",
                    f"{cluster_seconds / local_seconds:.2f}",
                ],
            ],
        )
    )
    shutil.rmtree(BASE, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
