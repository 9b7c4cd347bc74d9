"""Read a job's avro results without the spark-avro jar: each Spark task decodes one file with
fastavro (the reader's side of ``spark_jobs.io.avro_fallback``).

Without spark-avro a job's avro output was written by that fastavro fallback, which writes to
local or shared file systems only; so this reader takes local files only. The Spark schema comes
from the first file's header (Avro types to Spark types, logical types included); rows never reach
the driver.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    MapType,
    NullType,
    StringType,
    StructField,
    StructType,
    TimestampNTZType,
    TimestampType,
)

from spark_jobs.errors import PublishError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_PRIMITIVE: dict[str, DataType] = {
    "string": StringType(),
    "long": LongType(),
    "int": IntegerType(),
    "double": DoubleType(),
    "float": FloatType(),
    "boolean": BooleanType(),
    "bytes": BinaryType(),
    "null": NullType(),
}
_LOGICAL: dict[str, DataType] = {
    "date": DateType(),
    "timestamp-millis": TimestampType(),
    "timestamp-micros": TimestampType(),
    "local-timestamp-millis": TimestampNTZType(),
    "local-timestamp-micros": TimestampNTZType(),
}


def spark_type(avro: Any) -> tuple[DataType, bool]:
    """The Spark type of an Avro type, and whether it admits null (``["null", T]``)."""
    if isinstance(avro, list):
        branches = [b for b in avro if b != "null"]
        if len(branches) != 1:
            raise PublishError(f"Avro union {avro} has no Spark type (only [null, T] unions do)")
        return spark_type(branches[0])[0], len(branches) < len(avro)
    if isinstance(avro, str):
        if avro in _PRIMITIVE:
            return _PRIMITIVE[avro], avro == "null"
        raise PublishError(f"Avro type {avro!r} (a named type reference) is not supported")
    logical = avro.get("logicalType")
    if logical == "decimal":
        return DecimalType(int(avro["precision"]), int(avro.get("scale", 0))), False
    if logical in _LOGICAL:
        return _LOGICAL[logical], False
    kind = avro.get("type")
    if kind == "array":
        items, nullable = spark_type(avro["items"])
        return ArrayType(items, nullable), False
    if kind == "map":
        values, nullable = spark_type(avro["values"])
        return MapType(StringType(), values, nullable), False
    if kind == "record":
        return spark_schema(avro), False
    if kind == "enum":
        return StringType(), False
    if kind == "fixed":
        return BinaryType(), False
    return spark_type(kind)


def spark_schema(record: dict[str, Any]) -> StructType:
    """The Spark schema of an Avro record schema."""
    fields = []
    for field in record["fields"]:
        dtype, nullable = spark_type(field["type"])
        fields.append(StructField(field["name"], dtype, nullable))
    return StructType(fields)


def read_avro_files(spark: SparkSession, paths: Sequence[str]) -> DataFrame:
    """The rows of local Avro files, decoded by fastavro in Spark tasks (one file per task)."""
    import fastavro

    from spark_jobs.io.fs import is_local, local_path

    remote = [p for p in paths if not is_local(p)]
    if remote:
        raise PublishError(
            f"avro results on {remote[0]} need the spark-avro jar to be read (the fastavro "
            "reader takes local files only); or publish the pqt output (inputFormat pqt)"
        )
    files = [local_path(p) for p in paths]
    with open(files[0], "rb") as handle:
        writer_schema = fastavro.reader(handle).writer_schema
    if not isinstance(writer_schema, dict) or writer_schema.get("type") != "record":
        raise PublishError(f"{paths[0]} does not hold Avro records (schema: {writer_schema})")
    schema = spark_schema(writer_schema)
    names = schema.names

    def read(path: str) -> Iterator[tuple[Any, ...]]:
        import fastavro

        with open(path, "rb") as handle:
            for record in fastavro.reader(handle):
                yield tuple(record.get(n) for n in names)  # type: ignore[union-attr]

    rows = spark.sparkContext.parallelize(files, max(len(files), 1)).flatMap(read)
    return spark.createDataFrame(rows, schema)
