"""What differs between the Spark lines the package runs on (3.5 and 4.x), in one place.

Each helper uses the Spark 4 API when the installed pyspark has it and an equivalent that gives
the same result on Spark 3.5 otherwise, so that callers never test versions themselves.
"""

from __future__ import annotations

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F

from spark_jobs.errors import SparkJobsError


def try_cast(column: Column, type_name: str) -> Column:
    """``column`` cast to ``type_name`` (a DDL type such as ``bigint``), null where it does not fit.

    Spark 4 has ``Column.try_cast``; on Spark 3.5 the same ``TRY_CAST`` expression (``Cast`` in
    ``TRY`` mode) is built through the driver JVM, which needs a classic (non-Connect) session.
    """
    if hasattr(Column, "try_cast"):
        return column.try_cast(type_name)
    spark = SparkSession.getActiveSession()
    java_column = getattr(column, "_jc", None)
    if spark is None or java_column is None:
        raise SparkJobsError(
            "TRY_CAST on Spark 3.5 needs a classic Spark session (not Spark Connect); "
            "use Spark 4 or a single-user cluster"
        )
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    expressions = jvm.org.apache.spark.sql.catalyst.expressions
    cast = expressions.Cast(
        java_column.expr(),
        jvm.org.apache.spark.sql.types.DataType.fromDDL(type_name),
        jvm.scala.Option.empty(),
        expressions.EvalMode.TRY(),
    )
    return Column(jvm.org.apache.spark.sql.Column(cast))


def try_make_timestamp(*parts: Column) -> Column:
    """A timestamp from its parts (year, month, day, hour, minute, second), null when they do
    not make one.

    Spark 4 has ``try_make_timestamp``; Spark 3.5's ``make_timestamp`` gives the same null for
    invalid parts when ANSI mode is off, which every session of ours sets
    (``spark_jobs.session.PRODUCT_RUNTIME_CONF``).
    """
    if hasattr(F, "try_make_timestamp"):
        return F.call_function("try_make_timestamp", *parts)
    return F.call_function("make_timestamp", *parts)


def mode(column: Column) -> Column:
    """The most frequent value, the smallest one on ties (Spark 4); Spark 3.5's ``mode`` has no
    deterministic tie-break and returns any of the tied values."""
    try:
        return F.mode(column, deterministic=True)  # type: ignore[call-arg,unused-ignore]
    except TypeError:
        return F.mode(column)


def floor_at(column: Column, scale: int) -> Column:
    """``floor(column, scale)``: rounded down at ``scale`` decimal places (negative: tens, ...).

    Spark SQL has the two-argument FLOOR on both lines; pyspark's ``floor`` takes ``scale`` from
    Spark 4 on, so on 3.5 the same function is called by name.
    """
    try:
        return F.floor(column, F.lit(scale))
    except TypeError:
        return F.call_function("floor", column, F.lit(scale))


def array_position(array: Column, value: Column) -> Column:
    """``array_position(array, value)``: the 1-based position of the first element equal to
    ``value``, 0 when none is.

    pyspark's ``array_position`` takes a column as the value from Spark 4 on (a literal only on
    3.5); the SQL function takes a column on both lines, so it is called by name.
    """
    return F.call_function("array_position", array, value)
