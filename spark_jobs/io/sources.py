"""Read imported datasets the way the platform imports them.

CSV and text are read with every column kept as text (the platform keeps the values it imported
and infers a type for each column from the data; the recipe engine's ``infer_types`` records that
type without changing a value). Columns without a name get the platform's ``column1``,
``column2``, ... names. JSON, Parquet and Avro keep their own types.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pyspark.sql import Window
from pyspark.sql import functions as F

from spark_jobs import metadata_columns
from spark_jobs.errors import InputDataError, MissingJarError, first_line
from spark_jobs.io.fs import filesystem_for, is_local, local_path, normalize_uri
from spark_jobs.io.matching import spark_paths
from spark_jobs.session import jvm_extras_available
from spark_jobs.spec.models import ImportedDataset

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SPARK_SOURCE_FORMAT = {
    "csv": "csv",
    "json": "json",
    "parquet": "parquet",
    "avro": "avro",
    "text": "text",
}


def csv_options(dataset: ImportedDataset) -> dict[str, str]:
    opts = dataset.options
    return {
        "header": str(bool(opts.header)).lower(),
        "sep": opts.delimiter or ",",
        "quote": opts.quote if opts.quote is not None else '"',
        # RFC 4180 files double a quote inside a quoted field
        "escape": opts.escape if opts.escape is not None else '"',
        "encoding": opts.encoding or "UTF-8",
        "multiLine": str(bool(opts.multiLine)).lower(),
        "inferSchema": "false",
        "mode": "PERMISSIVE",
        "ignoreLeadingWhiteSpace": "false",
        "ignoreTrailingWhiteSpace": "false",
        "nullValue": "",
        "emptyValue": "",
    }


def platform_column_names(names: Sequence[str]) -> list[str]:
    """Unnamed columns become ``column<n>`` (1-based position); repeated names get ``_<n>``."""
    out: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        clean = name.strip() if name else ""
        if not clean or (clean.startswith("_c") and clean[2:].isdigit()):
            clean = f"column{position}"
        candidate, n = clean, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{clean}_{n}"
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def read_dataset(
    spark: SparkSession,
    dataset: ImportedDataset,
    *,
    uris: Sequence[str] | None = None,
    metadata: Collection[str] = (),
) -> DataFrame:
    """A DataFrame over ``dataset``: its ``uri`` (a file, a directory or a glob), or ``uris``, the
    files a dataset with parameters matched (exact locations, read in one go as one dataset).

    ``metadata`` names the Wrangle metadata references the recipes use (``$filepath``,
    ``$sourcerownumber``); each becomes a hidden column (see :mod:`spark_jobs.metadata_columns`).
    """
    fmt = dataset.format
    if fmt == "excel":
        return _read_excel(spark, dataset, uris, metadata)
    if fmt == "sql":
        return _read_sql(spark, dataset, metadata)
    paths = spark_paths(uris) if uris else [_plain_uri(dataset.uri)]
    if fmt == "avro" and not jvm_extras_available(spark)["spark-avro"]:
        raise MissingJarError(
            f"imported dataset {dataset.name!r} is avro: reading it needs the spark-avro jar "
            "(org.apache.spark:spark-avro) on the classpath (run `make jars`)"
        )
    reader = spark.read.format(SPARK_SOURCE_FORMAT[fmt])
    if fmt == "csv":
        reader = reader.options(**csv_options(dataset))
    elif fmt == "json":
        reader = reader.option("multiLine", str(bool(dataset.options.multiLine)).lower())
        if dataset.options.encoding:
            reader = reader.option("encoding", dataset.options.encoding)
    elif fmt == "text" and dataset.options.encoding:
        reader = reader.option("encoding", dataset.options.encoding)
    try:
        with _listed_by_the_driver(spark, paths):
            df = reader.load(paths if len(paths) > 1 else paths[0])
        names = df.columns
    except Exception as exc:
        raise InputDataError(
            f"imported dataset {dataset.name!r} ({fmt}) cannot be read: {first_line(exc, limit=400)}"
        ) from exc
    if fmt in ("csv", "text"):
        renamed = platform_column_names(names) if fmt == "csv" else ["column1"]
        if renamed != names:
            df = df.toDF(*renamed)
    return with_metadata_columns(df, metadata)


def _read_excel(
    spark: SparkSession,
    dataset: ImportedDataset,
    uris: Sequence[str] | None,
    metadata: Collection[str],
) -> DataFrame:
    """A sheet of each workbook, converted on the driver as the platform converts it
    (:mod:`spark_jobs.io.excel`): a table (``header``: names from the first row), or with
    ``lines`` each row as one line of csv text in ``column1``."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    from spark_jobs.io.excel import csv_line, sheet_rows

    opts = dataset.options
    files = list(uris) if uris else [normalize_uri(dataset.uri)]
    tables: list[tuple[str, list[list[str]]]] = []
    for uri in files:
        try:
            data = filesystem_for(uri, spark).read_bytes(uri)
        except Exception as exc:
            raise InputDataError(
                f"imported dataset {dataset.name!r} (excel) cannot be read: {first_line(exc, limit=400)}"
            ) from exc
        rows = sheet_rows(data, opts.sheet, name=dataset.name)
        if opts.lines:
            rows = [[csv_line(r)] for r in rows]
        tables.append((uri, rows))
    header: list[str] | None = None
    body: list[tuple[str, int, list[str]]] = []
    for uri, rows in tables:
        start = 0
        if opts.header and not opts.lines and rows:
            header = header or rows[0]
            start = 1
        body += [(uri, n, r) for n, r in enumerate(rows[start:], start=start + 1)]
    width = max([len(header or [])] + [len(r) for _, _, r in body])
    names = platform_column_names([*(header or []), *[""] * (width - len(header or []))])
    fields = [StructField(n, StringType()) for n in names]
    fields += [
        StructField(metadata_columns.FILEPATH, StringType()),
        StructField(metadata_columns.SOURCE_ROW_NUMBER, LongType()),
    ]
    records = [(*r, *[""] * (width - len(r)), uri, n) for uri, n, r in body]
    df = spark.createDataFrame(records, StructType(fields))
    return _keep_metadata(df, metadata)


def _keep_metadata(df: DataFrame, metadata: Collection[str]) -> DataFrame:
    drop = [
        column
        for column, reference in (
            (metadata_columns.FILEPATH, "$filepath"),
            (metadata_columns.SOURCE_ROW_NUMBER, "$sourcerownumber"),
        )
        if reference not in metadata
    ]
    return df.drop(*drop) if drop else df


def _read_sql(
    spark: SparkSession, dataset: ImportedDataset, metadata: Collection[str]
) -> DataFrame:
    """A query or table: over the session's catalog (``catalog:``) or through JDBC."""
    opts = dataset.options
    try:
        if dataset.uri == "catalog:":
            df = spark.sql(opts.query) if opts.query else spark.table(str(opts.table))
        else:
            reader = spark.read.format("jdbc").option("url", dataset.uri)
            reader = (
                reader.option("query", opts.query)
                if opts.query
                else reader.option("dbtable", opts.table)
            )
            if opts.user:
                reader = reader.option("user", opts.user)
            if opts.passwordEnv:
                password = os.environ.get(opts.passwordEnv)
                if password is None:
                    raise InputDataError(
                        f"imported dataset {dataset.name!r}: the environment variable "
                        f"{opts.passwordEnv} (its password) is not set"
                    )
                reader = reader.option("password", password)
            df = reader.load()
        df.schema  # noqa: B018 - resolves the query now, so a bad one fails here
    except InputDataError:
        raise
    except Exception as exc:
        what = opts.query or opts.table
        raise InputDataError(
            f"imported dataset {dataset.name!r} ({what!r} on {dataset.uri}) cannot be read: {first_line(exc, limit=400)}"
        ) from exc
    if metadata:
        df = df.withColumn(metadata_columns.FILEPATH, F.lit(dataset.uri)).withColumn(
            metadata_columns.SOURCE_ROW_NUMBER,
            F.row_number().over(Window.orderBy(F.monotonically_increasing_id())).cast("long"),
        )
    return _keep_metadata(df, metadata)


def _plain_uri(uri: str) -> str:
    """A dataset's uri for Spark: a local path that exists as spelled is read as spelled (its
    ``[``, ``*`` ... are not glob syntax); anything else may be a glob."""
    normalized = normalize_uri(uri)
    if is_local(normalized) and os.path.exists(local_path(normalized)):
        return spark_paths([normalized])[0]
    return normalized


@contextmanager
def _listed_by_the_driver(spark: SparkSession, paths: Sequence[str]) -> Iterator[None]:
    """Past ``spark.sql.sources.parallelPartitionDiscovery.threshold`` paths (32), Spark stats
    them in a distributed job of one task per path. For local files that were just listed, the
    driver does it in milliseconds while the job takes minutes, so the threshold is raised for
    this one read. Paths on other file systems keep Spark's parallel listing."""
    key = "spark.sql.sources.parallelPartitionDiscovery.threshold"
    if len(paths) <= 32 or not all(p.startswith("file:") for p in paths):
        yield
        return
    previous = spark.conf.get(key)
    if previous is not None and int(previous) >= len(paths):
        yield
        return
    spark.conf.set(key, str(len(paths) + 1))
    try:
        yield
    finally:
        if previous is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, previous)


def with_metadata_columns(df: DataFrame, metadata: Collection[str]) -> DataFrame:
    """Add the hidden ``$filepath`` / ``$sourcerownumber`` columns a recipe asked for."""
    if not metadata:
        return df
    wanted = set(metadata)
    df = df.withColumn(metadata_columns.FILEPATH, F.col("_metadata.file_path"))
    if "$sourcerownumber" in wanted:
        # A file may be read in several splits, in tasks whose order Spark chooses (it packs
        # the biggest splits first): the split's offset in the file orders the splits, and the
        # monotonically increasing id orders the rows inside a split as they stand in it.
        order = Window.partitionBy(metadata_columns.FILEPATH).orderBy(
            F.col("_metadata.file_block_start"), F.monotonically_increasing_id()
        )
        df = df.withColumn(
            metadata_columns.SOURCE_ROW_NUMBER, F.row_number().over(order).cast("long")
        )
    if "$filepath" not in wanted:
        df = df.drop(metadata_columns.FILEPATH)
    return df
