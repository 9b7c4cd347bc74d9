"""Every valid format x compression x header x asSingleFile x action, read back by independent readers.

Each case writes a first result (rows A) to a fresh location, then a second one (rows B) with the
same action on top of it, and checks what a reader finds afterwards: pandas / Python's csv and
json modules for text formats, fastavro for Avro, pyarrow for Parquet; never Spark itself.
"""

from __future__ import annotations

import bz2
import csv
import datetime as dt
import gzip
import io
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import pyarrow.parquet as pq
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import (
    BooleanType,
    DateType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from spark_jobs.io.commit import split_extension
from spark_jobs.io.outputs import AVRO_WRITER_CONF, OutputCommitter
from spark_jobs.spec import WriteSetting

SCHEMA = StructType(
    [
        StructField("id", LongType()),
        StructField("name", StringType()),
        StructField("amount", DoubleType()),
        StructField("flag", BooleanType()),
        StructField("day", DateType()),
        StructField("ts", TimestampType()),
    ]
)
UTC = dt.timezone.utc
ROWS_A = [
    (
        1,
        "Ada, Countess",
        19.99,
        True,
        dt.date(2024, 1, 3),
        dt.datetime(2024, 1, 3, 10, 0, 0, tzinfo=UTC),
    ),
    (
        2,
        'say "hi"',
        0.5,
        False,
        dt.date(2024, 2, 29),
        dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC),
    ),
    (3, "naïve 東京 ✓", None, None, None, None),
    (
        4,
        "two\nlines",
        -7.25,
        True,
        dt.date(1999, 12, 31),
        dt.datetime(1999, 12, 31, 0, 0, 1, tzinfo=UTC),
    ),
]
ROWS_B = [
    (
        10,
        "second run",
        1.0,
        False,
        dt.date(2025, 6, 1),
        dt.datetime(2025, 6, 1, 12, 30, 0, tzinfo=UTC),
    ),
    (11, None, 2.0, True, dt.date(2025, 6, 2), dt.datetime(2025, 6, 2, 8, 15, 0, tzinfo=UTC)),
]


def _frame(spark: SparkSession, rows: list[tuple[Any, ...]]) -> DataFrame:
    return spark.createDataFrame(rows, SCHEMA).repartition(2)


def _cases() -> Iterator[Any]:
    for compression, header, single, action in itertools.product(
        ["none", "gzip", "bzip2"], [False, True], [False, True], ["create", "append", "overwrite"]
    ):
        yield pytest.param(
            "csv",
            compression,
            header,
            single,
            action,
            "native",
            id=f"csv-{compression}-h{int(header)}-s{int(single)}-{action}",
        )
    for compression, single, action in itertools.product(
        ["none", "gzip", "bzip2"], [False, True], ["create", "append", "overwrite"]
    ):
        yield pytest.param(
            "json",
            compression,
            False,
            single,
            action,
            "native",
            id=f"json-{compression}-s{int(single)}-{action}",
        )
    for action in ["create", "append", "overwrite"]:
        yield pytest.param(
            "avro", "none", False, False, action, "native", id=f"avro-native-{action}"
        )
        yield pytest.param(
            "avro", "none", False, False, action, "fastavro", id=f"avro-fastavro-{action}"
        )
        yield pytest.param("pqt", "none", False, False, action, "native", id=f"pqt-{action}")


# --- canonical values: what every reader should agree on ---------------------------------------


def canon(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def expected(rows: list[tuple[Any, ...]], fmt: str) -> list[tuple[str | None, ...]]:
    out = []
    for row in rows:
        values = [canon(v) for v in row]
        if fmt == "csv":  # CSV has one spelling for null and empty: an empty field
            values = [v if v != "" else None for v in values]
        out.append(tuple(values))
    return sorted(out, key=lambda r: int(r[0] or 0))


# --- independent readers -----------------------------------------------------------------------


def _open_text(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)  # reads every gzip member
    elif path.name.endswith(".bz2"):
        data = bz2.decompress(data)  # reads every bzip2 stream
    return data.decode("utf-8")


def data_files(location: Path) -> list[Path]:
    if location.is_file():
        return [location]
    return sorted(
        p for p in location.iterdir() if p.is_file() and not p.name.startswith((".", "_"))
    )


def read_csv(location: Path, header: bool) -> tuple[list[list[str]], list[tuple[str | None, ...]]]:
    headers, rows = [], []
    for part in data_files(location):
        records = list(csv.reader(io.StringIO(_open_text(part), newline="")))
        if header and records:
            headers.append(records[0])
            records = records[1:]
        rows += [tuple(v if v != "" else None for v in r) for r in records]
    return headers, sorted(rows, key=lambda r: int(r[0] or 0))


def read_json(location: Path) -> list[tuple[str | None, ...]]:
    rows = []
    for part in data_files(location):
        for line in _open_text(part).splitlines():
            record = json.loads(line)
            rows.append(tuple(canon(record[f.name]) for f in SCHEMA.fields))
    return sorted(rows, key=lambda r: int(r[0] or 0))


def read_avro(location: Path) -> list[tuple[str | None, ...]]:
    rows = []
    for part in data_files(location):
        with part.open("rb") as handle:
            for record in fastavro.reader(handle):
                rows.append(tuple(canon(record[f.name]) for f in SCHEMA.fields))
    return sorted(rows, key=lambda r: int(r[0] or 0))


def read_parquet(location: Path) -> list[tuple[str | None, ...]]:
    rows = []
    for part in data_files(location):
        for record in pq.read_table(part).to_pylist():
            rows.append(tuple(canon(record[f.name]) for f in SCHEMA.fields))
    return sorted(rows, key=lambda r: int(r[0] or 0))


def read_back(location: Path, fmt: str, header: bool) -> list[tuple[str | None, ...]]:
    if fmt == "csv":
        headers, rows = read_csv(location, header)
        for names in headers:
            assert names == [f.name for f in SCHEMA.fields]
        return rows
    return {"json": read_json, "avro": read_avro, "pqt": read_parquet}[fmt](location)


# --- the matrix ----------------------------------------------------------------------------------


def _write(
    spark: SparkSession, rows: list[tuple[Any, ...]], setting: WriteSetting, job_group_id: int
) -> Any:
    committer = OutputCommitter(spark, job_group_id)
    committer.stage(_frame(spark, rows), setting, 0)
    return committer.commit()[0]


@pytest.mark.parametrize(
    ("fmt", "compression", "header", "single", "action", "avro_writer"), list(_cases())
)
def test_output_matrix(
    spark: SparkSession,
    tmp_path: Path,
    fmt: str,
    compression: str,
    header: bool,
    single: bool,
    action: str,
    avro_writer: str,
) -> None:
    suffix = {"none": "", "gzip": ".gz", "bzip2": ".bz2"}[compression]
    name = {"csv": "out.csv", "json": "out.json", "avro": "out_avro", "pqt": "out_pqt"}[
        fmt
    ] + suffix
    target = tmp_path / name
    setting = WriteSetting(
        path=target.as_uri(),
        action=action,
        format=fmt,
        compression=compression,
        header=header,
        asSingleFile=single,
    )
    spark.conf.set(AVRO_WRITER_CONF, "fastavro" if avro_writer == "fastavro" else "auto")
    try:
        first = _write(spark, ROWS_A, setting, 101)
        second = _write(spark, ROWS_B, setting, 102)
    finally:
        spark.conf.unset(AVRO_WRITER_CONF)

    assert first.path == target.as_uri()
    assert first.writer == avro_writer
    assert target.is_file() == single
    if single:
        assert len(first.files) == 1 and first.files[0].path == target.as_uri()

    if action == "create":
        stem, ext = split_extension(name)
        parallel = tmp_path / f"{stem}_102{ext}"
        assert second.path == parallel.as_uri()
        assert read_back(target, fmt, header) == expected(ROWS_A, fmt)
        assert read_back(parallel, fmt, header) == expected(ROWS_B, fmt)
    elif action == "append":
        assert second.path == target.as_uri()
        assert read_back(target, fmt, header) == sorted(
            expected(ROWS_A, fmt) + expected(ROWS_B, fmt), key=lambda r: int(r[0] or 0)
        )
        if fmt == "csv" and header and single:
            assert _open_text(target).count("id,name,amount") == 1
        # the result lists only the files this run added
        assert second.files and all(
            f.path not in {g.path for g in first.files} or single for f in second.files
        )
    else:
        assert second.path == target.as_uri()
        assert read_back(target, fmt, header) == expected(ROWS_B, fmt)

    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == [], "staging must be gone after commit"


def test_single_file_header_without_rows(spark: SparkSession, tmp_path: Path) -> None:
    target = tmp_path / "empty.csv"
    setting = WriteSetting(
        path=str(target), action="create", format="csv", header=True, asSingleFile=True
    )
    _write(spark, [], setting, 7)
    assert target.read_text() == "id,name,amount,flag,day,ts\n"


def test_csv_cannot_hold_arrays_so_they_are_written_as_json_text(
    spark: SparkSession, tmp_path: Path
) -> None:
    df = spark.createDataFrame(
        [(1, ["a", "b"], {"k": "v"})], "id long, tags array<string>, attrs map<string,string>"
    )
    target = tmp_path / "nested.csv"
    committer = OutputCommitter(spark, 3)
    committer.stage(
        df, WriteSetting(path=str(target), action="create", format="csv", asSingleFile=True), 0
    )
    out = committer.commit()[0]
    assert list(csv.reader(io.StringIO(target.read_text()))) == [["1", '["a","b"]', '{"k":"v"}']]
    assert out.json_encoded_columns == ["tags", "attrs"]


def test_avro_names_that_avro_cannot_hold_are_renamed_and_reported(
    spark: SparkSession, tmp_path: Path
) -> None:
    df = spark.createDataFrame([(1, "x")], "`order id` long, `1st` string")
    target = tmp_path / "renamed_avro"
    committer = OutputCommitter(spark, 4)
    committer.stage(df, WriteSetting(path=str(target), action="create", format="avro"), 0)
    out = committer.commit()[0]
    assert out.renamed_columns == {"order id": "order_id", "1st": "_1st"}
    records = [r for part in data_files(target) for r in fastavro.reader(part.open("rb"))]
    assert records == [{"order_id": 1, "_1st": "x"}]


def test_fastavro_fallback_writes_logical_types_and_nested_values(
    spark: SparkSession, tmp_path: Path
) -> None:
    df = spark.createDataFrame(
        [(1, {"a": 1}, [1.5, None], ("x", 2))],
        "id long, m map<string,int>, xs array<double>, s struct<k:string,n:int>",
    ).selectExpr(
        "*",
        "cast('12.34' as decimal(10,2)) as price",
        "date'2024-05-01' as d",
        "timestamp_ntz'2024-05-01 10:11:12' as local_ts",
    )
    target = tmp_path / "fallback_avro"
    spark.conf.set(AVRO_WRITER_CONF, "fastavro")
    try:
        committer = OutputCommitter(spark, 5)
        committer.stage(df, WriteSetting(path=str(target), action="create", format="avro"), 0)
        committer.commit()
    finally:
        spark.conf.unset(AVRO_WRITER_CONF)
    from decimal import Decimal

    records = [r for part in data_files(target) for r in fastavro.reader(part.open("rb"))]
    assert records == [
        {
            "id": 1,
            "m": {"a": 1},
            "xs": [1.5, None],
            "s": {"k": "x", "n": 2},
            "price": Decimal("12.34"),
            "d": dt.date(2024, 5, 1),
            "local_ts": dt.datetime(2024, 5, 1, 10, 11, 12),
        }
    ]
    # and Spark's own avro reader agrees
    assert spark.read.format("avro").load(str(target)).collect()[0]["price"] == Decimal("12.34")
