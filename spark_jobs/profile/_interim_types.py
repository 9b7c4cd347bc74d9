"""Interim stand-in for ``spark_jobs.recipe.types`` (the Wrangle type system) until it lands.

Same names and contract as docs/architecture.md: ``column_type(field) -> WrangleType`` and
``classify(column, wtype) -> Column`` (IntegerType: VALID=0, MISMATCHED=1, MISSING=2). A column's
platform type is the StructField metadata ``wrangleType`` when present, otherwise derived from its
Spark type. Delete this module once ``spark_jobs.recipe.types`` provides the real one.
"""

from __future__ import annotations

from enum import Enum

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

VALID = 0
MISMATCHED = 1
MISSING = 2


class WrangleType(str, Enum):
    STRING = "String"
    INTEGER = "Integer"
    DECIMAL = "Decimal"
    BOOLEAN = "Boolean"
    DATETIME = "Datetime"
    ARRAY = "Array"
    OBJECT = "Object"


_PATTERNS = {
    WrangleType.INTEGER: r"^[+-]?[0-9]+$",
    WrangleType.DECIMAL: r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$",
    WrangleType.BOOLEAN: r"^(?i)(true|false)$",
    WrangleType.DATETIME: r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?$",
}


def column_type(field: T.StructField) -> WrangleType:
    declared = field.metadata.get("wrangleType") if field.metadata else None
    if declared:
        return WrangleType(declared)
    dt = field.dataType
    if isinstance(dt, T.IntegralType):
        return WrangleType.INTEGER
    if isinstance(dt, T.FractionalType):
        return WrangleType.DECIMAL
    if isinstance(dt, T.BooleanType):
        return WrangleType.BOOLEAN
    if isinstance(dt, T.DateType | T.TimestampType | T.TimestampNTZType):
        return WrangleType.DATETIME
    if isinstance(dt, T.ArrayType):
        return WrangleType.ARRAY
    if isinstance(dt, T.MapType | T.StructType):
        return WrangleType.OBJECT
    return WrangleType.STRING


def classify(column: Column, wtype: WrangleType) -> Column:
    text = column.cast("string")
    missing = column.isNull() | (text == F.lit(""))
    pattern = _PATTERNS.get(wtype)
    valid = F.lit(True) if pattern is None else text.rlike(pattern)
    return (
        F.when(missing, F.lit(MISSING))
        .when(valid, F.lit(VALID))
        .otherwise(F.lit(MISMATCHED))
        .cast("int")
    )
