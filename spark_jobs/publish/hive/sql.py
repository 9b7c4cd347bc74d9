"""The SQL a Hive publish runs, rendered by pure functions (unit-tested as strings).

Every identifier is quoted with backticks (a backtick inside doubled); table and database names
are validated before they get here (:mod:`spark_jobs.publish.identifiers`). Tables are Hive SerDe
tables, ``STORED AS PARQUET`` / ``STORED AS AVRO``: the storage format is in the metastore's own
table metadata (InputFormat, OutputFormat, SerDe), Hive and other engines sharing the metastore
can read them, and Avro needs no spark-avro jar (Hive's AvroSerDe ships with Spark's Hive support).
Delta tables are ``USING DELTA`` data source tables (the metastore holds the name and location,
the table's ``_delta_log`` the schema and versions); they need the delta-spark jar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    BooleanType,
    ByteType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    MapType,
    ShortType,
    StringType,
    StructType,
    TimestampType,
)

from spark_jobs.publish.identifiers import HIVE, TableName
from spark_jobs.publish.schema import Column

#: the Hive storage format of each inputFormat a Hive table can be loaded from
STORED_AS = {"pqt": "PARQUET", "avro": "AVRO"}
#: inputFormats whose tables are Spark data source tables (``USING DELTA``), not Hive SerDe ones
USING = {"delta": "DELTA"}
#: every inputFormat a Hive table can be loaded from
TABLE_FORMATS = frozenset(STORED_AS) | frozenset(USING)

_SIMPLE: list[tuple[type[DataType], str]] = [
    (StringType, "STRING"),
    (LongType, "BIGINT"),
    (IntegerType, "INT"),
    (ShortType, "SMALLINT"),
    (ByteType, "TINYINT"),
    (DoubleType, "DOUBLE"),
    (FloatType, "FLOAT"),
    (BooleanType, "BOOLEAN"),
    (DateType, "DATE"),
    (TimestampType, "TIMESTAMP"),
    (BinaryType, "BINARY"),
]


class UnsupportedHiveType(ValueError):
    """A Spark type with no Hive column type (TIMESTAMP_NTZ, VOID, intervals, VARIANT)."""


def hive_type(dtype: DataType) -> str:
    """The Hive column type of a Spark type: ``DECIMAL(10,2)``, ``ARRAY<STRING>``, ``STRUCT<`a`: INT>``."""
    for cls, name in _SIMPLE:
        # exact class: TimestampNTZType is not a TimestampType, but be explicit about subclasses
        if type(dtype) is cls:
            return name
    if isinstance(dtype, DecimalType):
        return f"DECIMAL({dtype.precision},{dtype.scale})"
    if isinstance(dtype, ArrayType):
        return f"ARRAY<{hive_type(dtype.elementType)}>"
    if isinstance(dtype, MapType):
        return f"MAP<{hive_type(dtype.keyType)},{hive_type(dtype.valueType)}>"
    if isinstance(dtype, StructType):
        fields = ", ".join(f"{HIVE.quote(f.name)}: {hive_type(f.dataType)}" for f in dtype.fields)
        return f"STRUCT<{fields}>"
    raise UnsupportedHiveType(dtype.simpleString())


def columns_of(schema: StructType) -> list[Column]:
    """The Hive columns of a Spark schema (raises UnsupportedHiveType naming the first bad type)."""
    return [Column(f.name, hive_type(f.dataType)) for f in schema.fields]


def tblproperties_sql(properties: Mapping[str, str] | None) -> str:
    """`` TBLPROPERTIES ('k'='v', ...)`` (with its leading space), or nothing."""
    if not properties:
        return ""
    pairs = ", ".join(f"{_string(k)}={_string(v)}" for k, v in properties.items())
    return f" TBLPROPERTIES ({pairs})"


def _string(value: str) -> str:
    """A SQL string literal (backslashes and quotes escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def create_table_sql(
    table: TableName,
    columns: Sequence[Column],
    input_format: str,
    properties: Mapping[str, str] | None = None,
) -> str:
    """``CREATE TABLE `db`.`t` (`a` BIGINT, ...) STORED AS PARQUET`` (``USING DELTA`` for delta,
    with ``properties`` as its TBLPROPERTIES: column mapping)."""
    definitions = ", ".join(f"{HIVE.quote(c.name)} {c.type}" for c in columns)
    if input_format in USING:
        return (
            f"CREATE TABLE {table.quoted(HIVE)} ({definitions}) USING {USING[input_format]}"
            + tblproperties_sql(properties)
        )
    return f"CREATE TABLE {table.quoted(HIVE)} ({definitions}) STORED AS {STORED_AS[input_format]}"


def create_delta_table_as_sql(
    table: TableName,
    view: str,
    columns: Sequence[str],
    *,
    replace: bool = False,
    properties: Mapping[str, str] | None = None,
) -> str:
    """A Delta table holding the rows of ``view``, in one Delta transaction.

    ``replace``: ``CREATE OR REPLACE TABLE``, which writes a new version of an existing Delta
    table (its old versions stay readable by time travel) or creates the table.
    ``properties``: its TBLPROPERTIES (column mapping, for names Parquet refuses).
    """
    verb = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE"
    select = ", ".join(HIVE.quote(c) for c in columns)
    return (
        f"{verb} {table.quoted(HIVE)} USING DELTA{tblproperties_sql(properties)} "
        f"AS SELECT {select} FROM {HIVE.quote(view)}"
    )


def insert_overwrite_sql(table: TableName, view: str, columns: Sequence[str]) -> str:
    """Replace every row of ``table`` by the rows of ``view`` (one version of a Delta table)."""
    select = ", ".join(HIVE.quote(c) for c in columns)
    return f"INSERT OVERWRITE TABLE {table.quoted(HIVE)} SELECT {select} FROM {HIVE.quote(view)}"


def create_table_like_sql(table: TableName, like: TableName) -> str:
    """A new empty table with the definition (columns, storage format) of ``like``."""
    return f"CREATE TABLE {table.quoted(HIVE)} LIKE {like.quoted(HIVE)}"


def insert_sql(table: TableName, view: str, columns: Sequence[str]) -> str:
    """Append the rows of temporary view ``view`` to ``table``, columns in the table's order."""
    select = ", ".join(HIVE.quote(c) for c in columns)
    return f"INSERT INTO TABLE {table.quoted(HIVE)} SELECT {select} FROM {HIVE.quote(view)}"


def rename_table_sql(table: TableName, new: TableName) -> str:
    return f"ALTER TABLE {table.quoted(HIVE)} RENAME TO {new.quoted(HIVE)}"


def drop_table_sql(table: TableName) -> str:
    return f"DROP TABLE IF EXISTS {table.quoted(HIVE)}"
