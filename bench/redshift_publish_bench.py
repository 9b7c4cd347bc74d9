"""Redshift publish throughput: COPY from S3 against row-by-row INSERT, through the same driver.

    python -m bench.redshift_publish_bench          # BENCH_ROWS rows (default 1_000_000)
    BENCH_ROWS=20000 python -m bench.redshift_publish_bench

Starts its own servers, as the tests do: a PostgreSQL server from the machine's binaries, moto's
S3 server and the Redshift wire double between them (tests/redshift_double). Both sides go
through ``redshift_connector``:

* COPY: the rows as 4 CSV files, staged with the publisher's ``S3Stager`` (boto3, parallel,
  manifest), then one ``COPY ... MANIFEST FORMAT AS CSV`` in one transaction (``run_plan``),
  timed from the first upload to the commit;
* INSERT: ``executemany`` of a single-row ``INSERT`` (what a tool without COPY does), on a
  sample of ``BENCH_INSERT_ROWS`` rows (default 5000: row by row, a million rows would take
  far too long) and extrapolated as rows/s.

Prints a markdown section (``## ...`` and a table) to stdout. The numbers are the double's
(PostgreSQL behind a Python proxy that parses the CSV itself), not a Redshift cluster's: they
compare the two ways of loading on the same path, they do not predict a cluster's throughput.
"""

from __future__ import annotations

import csv
import os
import platform
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

DEFAULT_ROWS = 1_000_000
DEFAULT_INSERT_ROWS = 5_000
FILES = 4
COPY_ROLE = "arn:aws:iam::123456789012:role/sj-bench-copy"


@dataclass
class Measure:
    method: str
    rows: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def rows(count: int, start: int = 0) -> Iterator[tuple[Any, ...]]:
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for i in range(start, start + count):
        yield (i, f"customer {i % 9973}", round(i * 0.37, 2), base + timedelta(seconds=i))


def write_csv_files(folder: Path, count: int) -> list[Path]:
    paths = [folder / f"part-{n:05d}.csv" for n in range(FILES)]
    per_file = -(-count // FILES)
    for n, path in enumerate(paths):
        first = n * per_file
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            for r in rows(max(0, min(per_file, count - first)), first):
                writer.writerow([r[0], r[1], r[2], r[3].strftime("%Y-%m-%d %H:%M:%S")])
    return paths


def bench_copy(conn: Any, s3: Any, bucket: str, files: list[Path], count: int) -> Measure:
    from spark_jobs.publish.redshift import (
        CopyOptions,
        RedshiftTable,
        S3Stager,
        StagingConfig,
        inspect_target,
        plan_action,
        run_plan,
    )
    from spark_jobs.publish.redshift.types import RedshiftColumn

    table = RedshiftTable("public", "bench_copy")
    columns = [
        RedshiftColumn("id", "BIGINT"),
        RedshiftColumn("name", "VARCHAR(32)"),
        RedshiftColumn("amount", "DOUBLE PRECISION"),
        RedshiftColumn("ts", "TIMESTAMPTZ"),
    ]
    stager = S3Stager(
        StagingConfig(bucket=bucket, prefix="bench", region=s3.region, endpoint_url=s3.endpoint_url)
    )
    options = CopyOptions(format="csv", iam_role=COPY_ROLE, region=s3.region)
    started = time.perf_counter()
    staged = stager.stage(files)
    plan = plan_action(
        "createAndLoad",
        table,
        columns,
        source=staged.manifest_url,
        options=options,
        state=inspect_target(conn, table),
        token="bench",
    )
    loaded = run_plan(conn, plan, expected_rows=count)
    seconds = time.perf_counter() - started
    stager.cleanup(staged)
    return Measure("COPY from S3 (4 CSV files, manifest)", loaded, seconds, "staging included")


def bench_insert(conn: Any, sample: int) -> Measure:
    cursor = conn.cursor()
    cursor.execute(
        "CREATE TABLE public.bench_insert (id BIGINT, name VARCHAR(32), "
        "amount DOUBLE PRECISION, ts TIMESTAMPTZ)"
    )
    conn.commit()
    data = [(r[0], r[1], r[2], r[3].strftime("%Y-%m-%d %H:%M:%S+00")) for r in rows(sample)]
    started = time.perf_counter()
    cursor.executemany("INSERT INTO public.bench_insert VALUES (%s, %s, %s, %s)", data)
    conn.commit()
    seconds = time.perf_counter() - started
    return Measure(
        "row-by-row INSERT (executemany)",
        sample,
        seconds,
        f"sample of {sample} rows, rate extrapolated",
    )


def render(measures: list[Measure], total: int) -> str:
    import pyspark
    import redshift_connector

    copy, insert = measures
    lines = [
        "## Redshift publish throughput: COPY vs row-by-row INSERT",
        "",
        f"{total:,} rows (id, name, amount, ts) through `redshift_connector` "
        f"{redshift_connector.__version__} to the Redshift double (PostgreSQL behind the wire "
        f"proxy, COPY reading moto's S3), {platform.machine()} {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, pyspark {pyspark.__version__}, "
        f"{datetime.now(timezone.utc):%Y-%m-%d}.",
        "",
        "| method | rows | seconds | rows/s | note |",
        "|---|---:|---:|---:|---|",
    ]
    for m in measures:
        lines.append(f"| {m.method} | {m.rows:,} | {m.seconds:.2f} | {m.rate:,.0f} | {m.note} |")
    insert_total = total / insert.rate
    lines += [
        "",
        f"COPY is {copy.rate / insert.rate:,.0f}x the rate of row-by-row INSERT; at that rate the "
        f"INSERTs would take about {insert_total / 60:,.1f} minutes for {total:,} rows. The "
        "double is not a cluster: the ratio, not the absolute numbers, is the point.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    from tests.fixtures.postgres import start_postgres, stop_postgres
    from tests.fixtures.redshift import connect
    from tests.fixtures.s3 import moto_server, unique_name
    from tests.redshift_double import start_double

    total = int(os.environ.get("BENCH_ROWS", DEFAULT_ROWS))
    sample = min(total, int(os.environ.get("BENCH_INSERT_ROWS", DEFAULT_INSERT_ROWS)))
    with tempfile.TemporaryDirectory(prefix="sj-bench-redshift-") as tmp:
        files = write_csv_files(Path(tmp), total)
        server = start_postgres()
        try:
            with moto_server() as s3:
                bucket = unique_name("sj-bench-")
                s3.create_bucket(bucket)
                double = start_double(
                    server, s3.endpoint_url, region=s3.region, attached_roles={COPY_ROLE}
                )
                try:
                    conn = connect(double)
                    try:
                        measures = [
                            bench_copy(conn, s3, bucket, files, total),
                            bench_insert(conn, sample),
                        ]
                    finally:
                        conn.close()
                finally:
                    double.stop()
        finally:
            stop_postgres(server)
    print(render(measures, total))


if __name__ == "__main__":
    main()
