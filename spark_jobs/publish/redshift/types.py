"""Spark types to Redshift column types (the table is docs/publish-redshift.md).

Strings become ``VARCHAR(n)`` with ``n`` the longest value's length in UTF-8 bytes (Redshift
counts bytes, not characters), at least 1, at most Redshift's 65535: not the ``VARCHAR(256)`` of
other tools, which either truncates or fails the load on the first long value. The caller
measures the lengths (one Spark aggregation); nothing here needs Spark to run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pyspark.sql import types as T

from spark_jobs.errors import PublishError
from spark_jobs.publish.redshift.names import check_columns, quote_ident

MAX_VARCHAR_BYTES = 65535
MAX_DECIMAL_PRECISION = 38
#: how arrays, maps and structs are kept: Redshift's SUPER, or their JSON text in a VARCHAR
NestedAs = Literal["super", "varchar"]


@dataclass(frozen=True)
class RedshiftColumn:
    """A column of the target table: the results' name and its Redshift type."""

    name: str  # as in the results; Redshift stores name.lower()
    type: str  # VARCHAR(12), BIGINT, DECIMAL(10,2), TIMESTAMPTZ, SUPER, ...

    @property
    def sql(self) -> str:
        return f"{quote_ident(self.name)} {self.type}"


def redshift_type(
    field: T.StructField, max_bytes: int | None, *, nested_as: NestedAs = "super"
) -> str:
    """The Redshift type of one Spark field; PublishError when Redshift cannot hold it."""
    dtype = field.dataType
    if isinstance(dtype, (T.StringType, T.VarcharType, T.CharType)) or (
        nested_as == "varchar" and isinstance(dtype, (T.ArrayType, T.MapType, T.StructType))
    ):
        return _varchar(field.name, max_bytes)
    if isinstance(dtype, (T.ArrayType, T.MapType, T.StructType)):
        return "SUPER"
    simple = {
        T.BooleanType: "BOOLEAN",
        T.ByteType: "SMALLINT",
        T.ShortType: "SMALLINT",
        T.IntegerType: "INTEGER",
        T.LongType: "BIGINT",
        T.FloatType: "REAL",
        T.DoubleType: "DOUBLE PRECISION",
        T.DateType: "DATE",
        T.TimestampType: "TIMESTAMPTZ",  # an instant: Spark shows it in the session time zone
        T.TimestampNTZType: "TIMESTAMP",  # a wall-clock time
    }
    for spark_type, name in simple.items():
        if type(dtype) is spark_type:
            return name
    if isinstance(dtype, T.DecimalType):
        if dtype.precision > MAX_DECIMAL_PRECISION:  # pragma: no cover - Spark's limit is 38 too
            raise PublishError(f"column {field.name!r}: DECIMAL precision above 38")
        return f"DECIMAL({dtype.precision},{dtype.scale})"
    raise PublishError(
        f"column {field.name!r} has Spark type {dtype.simpleString()}, which Redshift cannot "
        "load from csv, json or avro (convert it to a string in the recipe)"
    )


def _varchar(name: str, max_bytes: int | None) -> str:
    if max_bytes is None:
        raise PublishError(f"column {name!r}: the longest value's byte length was not measured")
    if max_bytes > MAX_VARCHAR_BYTES:
        raise PublishError(
            f"column {name!r} holds a value of {max_bytes} bytes; a Redshift VARCHAR holds at "
            f"most {MAX_VARCHAR_BYTES} bytes"
        )
    return f"VARCHAR({max(max_bytes, 1)})"


def redshift_columns(
    schema: T.StructType,
    max_bytes: Mapping[str, int | None],
    *,
    nested_as: NestedAs = "super",
) -> list[RedshiftColumn]:
    """The target table's columns for results of ``schema``.

    ``max_bytes`` maps each string column (and each nested one with ``nested_as="varchar"``) to
    the UTF-8 byte length of its longest value (0 or None when all are null or empty). Every
    column that cannot be published is reported at once.
    """
    problems = check_columns(schema.fieldNames())
    out: list[RedshiftColumn] = []
    for field in schema.fields:
        try:
            measured = max_bytes.get(field.name)
            if measured is None and field.name in max_bytes:
                measured = 0  # only nulls: VARCHAR(1)
            out.append(
                RedshiftColumn(field.name, redshift_type(field, measured, nested_as=nested_as))
            )
        except PublishError as exc:
            problems.append(exc.message)
    if problems:
        raise PublishError(
            "the results cannot be a Redshift table:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return out
