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
