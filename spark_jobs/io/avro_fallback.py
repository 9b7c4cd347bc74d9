"""Avro output without the spark-avro jar: each Spark task writes its partition with fastavro.

Used when a cluster lacks ``org.apache.spark:spark-avro`` (or when forced by
``spark.sparkjobs.avro.writer=fastavro``). Rows never reach the driver: ``mapInArrow`` hands each
task its partition as Arrow batches, the task streams them into one Avro container file in the
staging directory and returns only ``(file, rows)``. Nullable columns become ``["null", T]``
unions; dates, timestamps and decimals carry Avro logical types, so any Avro reader gets typed
values back.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from pyspark.sql import DataFrame
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
    NullType,
    ShortType,
    StringType,
    StructField,
    StructType,
    TimestampNTZType,
    TimestampType,
)

AVRO_CODEC = "deflate"


class _Names:
    """Unique record names for nested structs (Avro requires named records)."""

    def __init__(self) -> None:
        self.count = 0

    def next(self, hint: str) -> str:
        self.count += 1
        safe = "".join(c if c.isalnum() or c == "_" else "_" for c in hint) or "record"
        return f"{safe}_{self.count}"


def _avro_type(dtype: DataType, names: _Names, hint: str) -> Any:
    if isinstance(dtype, StringType):
        return "string"
    if isinstance(dtype, LongType):
        return "long"
    if isinstance(dtype, IntegerType | ShortType | ByteType):
        return "int"
    if isinstance(dtype, DoubleType):
        return "double"
    if isinstance(dtype, FloatType):
        return "float"
    if isinstance(dtype, BooleanType):
        return "boolean"
    if isinstance(dtype, BinaryType):
        return "bytes"
    if isinstance(dtype, DateType):
        return {"type": "int", "logicalType": "date"}
    if isinstance(dtype, TimestampNTZType):
        return {"type": "long", "logicalType": "local-timestamp-micros"}
    if isinstance(dtype, TimestampType):
        return {"type": "long", "logicalType": "timestamp-micros"}
    if isinstance(dtype, DecimalType):
        return {
            "type": "bytes",
            "logicalType": "decimal",
            "precision": dtype.precision,
            "scale": dtype.scale,
        }
    if isinstance(dtype, ArrayType):
        return {
            "type": "array",
            "items": _nullable(_avro_type(dtype.elementType, names, hint), dtype.containsNull),
        }
    if isinstance(dtype, MapType):
        return {
            "type": "map",
            "values": _nullable(_avro_type(dtype.valueType, names, hint), dtype.valueContainsNull),
        }
    if isinstance(dtype, StructType):
        return _record(dtype, names.next(hint), names)
    if isinstance(dtype, NullType):
        return "null"
    raise TypeError(f"no Avro type for Spark type {dtype.simpleString()}")


def _nullable(avro_type: Any, nullable: bool) -> Any:
    if not nullable or avro_type == "null":
        return avro_type
    return ["null", avro_type]


def _record(schema: StructType, name: str, names: _Names) -> dict[str, Any]:
    fields = []
    for f in schema.fields:
        field_type = _nullable(_avro_type(f.dataType, names, f.name), f.nullable)
        entry: dict[str, Any] = {"name": f.name, "type": field_type}
        if isinstance(field_type, list):
            entry["default"] = None
        fields.append(entry)
    return {"type": "record", "name": name, "namespace": "spark_jobs", "fields": fields}


def avro_schema(schema: StructType) -> dict[str, Any]:
    """The Avro schema fastavro writes for a Spark schema (top-level record ``topLevelRecord``,
    the name Spark's own writer uses)."""
    return _record(schema, "topLevelRecord", _Names())


def _converter(dtype: DataType) -> Any:
    """A function turning Arrow's Python value of ``dtype`` into what fastavro expects, or None."""
    if isinstance(dtype, MapType):
        value_conv = _converter(dtype.valueType)

        def convert_map(value: Any) -> Any:
            if value is None:
                return None
            pairs = value.items() if isinstance(value, dict) else value
            return {k: (value_conv(v) if value_conv else v) for k, v in pairs}

        return convert_map
    if isinstance(dtype, ArrayType):
        item_conv = _converter(dtype.elementType)
        if item_conv is None:
            return None
        return lambda value: None if value is None else [item_conv(v) for v in value]
    if isinstance(dtype, StructType):
        convs = {f.name: _converter(f.dataType) for f in dtype.fields}
        if not any(convs.values()):
            return None

        def convert_struct(value: Any) -> Any:
            if value is None:
                return None
            return {k: (convs[k](v) if convs.get(k) else v) for k, v in value.items()}

        return convert_struct
    return None


def write_partitions(df: DataFrame, directory: str) -> list[tuple[str, int]]:
    """Write ``df`` as Avro container files into local ``directory``; returns ``[(file, rows)]``.

    ``directory`` must be reachable under the same path from every executor (local mode, or a
    shared file system mounted on all nodes).
    """
    schema_json = json.dumps(avro_schema(df.schema))
    converters = {f.name: _converter(f.dataType) for f in df.schema.fields}
    converters = {k: v for k, v in converters.items() if v is not None}

    def write(batches: Iterable[Any]) -> Iterator[Any]:
        import fastavro
        import pyarrow as pa
        from pyspark import TaskContext

        context = TaskContext.get()
        partition = context.partitionId() if context else 0
        parsed = fastavro.parse_schema(json.loads(schema_json))
        path = os.path.join(directory, f"part-{partition:05d}-{uuid.uuid4().hex}.avro")
        rows = 0
        handle = None
        writer = None
        try:
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                if writer is None:
                    handle = open(path, "wb")
                    writer = fastavro.write.Writer(handle, parsed, codec=AVRO_CODEC)
                for record in batch.to_pylist():
                    for name, convert in converters.items():
                        record[name] = convert(record[name])
                    writer.write(record)
                rows += batch.num_rows
            if writer is not None:
                writer.flush()
        finally:
            if handle is not None:
                handle.close()
        files = [path] if writer is not None else []
        yield pa.RecordBatch.from_pydict(
            {"file": files, "rows": [rows] * len(files)},
            schema=pa.schema([("file", pa.string()), ("rows", pa.int64())]),
        )

    result_schema = StructType([StructField("file", StringType()), StructField("rows", LongType())])
    written = [(r["file"], int(r["rows"])) for r in df.mapInArrow(write, result_schema).collect()]
    if not written:
        # an empty result still gets a file, so readers learn the schema
        import fastavro

        path = os.path.join(directory, f"part-00000-{uuid.uuid4().hex}.avro")
        with open(path, "wb") as handle:
            fastavro.writer(
                handle, fastavro.parse_schema(json.loads(schema_json)), [], codec=AVRO_CODEC
            )
        written = [(path, 0)]
    return written
