"""The profile's one aggregate on the JVM (jvm/profile, ``sparkjobs.profile.ProfileAggregator``).

Every profiled column goes in as text; for each row the aggregate classifies every value by the
recipe engine's rules (:func:`spark_jobs.recipe.types.rule_definition` hands them over as data),
keeps exact counts, moments, ranges and lengths, feeds a HyperLogLog sketch per column, and
keeps a uniform sample of the rows (a reservoir) for histograms, quartiles, top values and
patterns. Its result is the final buffer, serialized, which the JVM turns into one JSON
document once (:meth:`ProfileAggregate.read`). It rides along a write as an observed metric
(:meth:`ProfileAggregate.observe`) or runs as its own aggregation (:meth:`aggregate`).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs.errors import SparkJobsError
from spark_jobs.recipe.context import quoted
from spark_jobs.recipe.types import WrangleType, column_type, rule_definition

AGGREGATOR_CLASS = "sparkjobs.profile.ProfileAggregator"
NUMBER_TYPES = frozenset({"Integer", "Decimal"})
DATETIME_TYPES = frozenset({"Datetime", "Date", "Timestamp"})
#: between two texts of the aggregate's input (never a byte of UTF-8)
SEPARATOR = bytearray(b"\xff")
#: the name of the observed metric (and of the aggregation's column)
METRIC = "__profile"


@dataclass(frozen=True)
class ProfiledColumn:
    """A column of the profiled frame, with the Wrangle type its values are classified by."""

    index: int
    name: str
    field: T.StructField
    wtype: WrangleType
    kind: str  # number | datetime | string

    @property
    def type_name(self) -> str:
        return self.wtype.name


def _kind(type_name: str) -> str:
    if type_name in NUMBER_TYPES:
        return "number"
    if type_name in DATETIME_TYPES:
        return "datetime"
    return "string"


def profiled_columns(df: DataFrame, names: Sequence[str] | None = None) -> list[ProfiledColumn]:
    """The columns of ``df`` (only ``names``, indexed in that order, when given)."""
    every = []
    for index, field in enumerate(df.schema.fields):
        wtype = column_type(field)
        every.append(ProfiledColumn(index, field.name, field, wtype, _kind(wtype.name)))
    if names is None:
        return every
    by_name = {c.name: c for c in every}
    return [replace(by_name[name], index=j) for j, name in enumerate(names)]


def packed_row(columns: Sequence[ProfiledColumn]) -> Column:
    """The aggregate's input: every column's text as UTF-8 bytes, separated by the byte 0xFF
    (which UTF-8 never uses), in one binary value per row (jvm/profile, ``Packed``). Null and
    empty texts are both missing, so null goes in as empty. Why one binary: Spark then hands
    the aggregate one byte array per row instead of decoding every value into a Java string
    (measured: bench/results.md).

    Built as ``concat_ws`` of the texts with a one-byte 0xFF text as separator (Spark's cast of
    binary to string keeps the bytes as they are): one buffer per row, which the cast to binary
    hands on without copying, instead of a copy of every value and then their concatenation."""
    if not columns:
        return F.lit(b"")
    texts = [F.coalesce(quoted(c.name).cast("string"), F.lit("")) for c in columns]
    separator = F.lit(SEPARATOR).cast("string")
    return F.call_function("concat_ws", separator, *texts).cast("binary")


def hll_lg_k(relative_standard_deviation: float) -> int:
    """The smallest HyperLogLog size (log2 of its registers) whose relative standard error
    (1.04 / sqrt(registers), merged sketches) is at most the one asked for."""
    return max(4, min(21, math.ceil(2 * math.log2(1.04 / relative_standard_deviation))))


@dataclass(frozen=True)
class ProfileAggregate:
    """The aggregate over ``columns``: build it with :func:`profile_aggregate`."""

    columns: tuple[ProfiledColumn, ...]
    spec: str  # the JSON the JVM side reads

    def _column(self, spark: SparkSession) -> Column:
        name = f"spark_jobs_profile_{uuid.uuid4().hex}"
        _aggregator_class(spark).register(spark._jsparkSession, name, self.spec)
        return F.call_udf(name, packed_row(self.columns)).alias(METRIC)

    def observe(self, df: DataFrame, observation: Any) -> DataFrame:
        """``df`` with the aggregate observed into ``observation`` while it is written."""
        return df.observe(observation, self._column(df.sparkSession))

    def aggregate(self, df: DataFrame) -> dict[str, Any]:
        """The aggregate as its own Spark job (when no write observed it)."""
        spark = df.sparkSession
        return self.read(spark, df.agg(self._column(spark)).collect()[0].asDict())

    def read(self, spark: SparkSession, values: dict[str, Any]) -> dict[str, Any]:
        """The aggregate's result from an observation's or a row's values: the final buffer,
        which the JVM turns into the JSON document once (``ProfileAggregator.report``); a
        clear error when some rows held texts that are not UTF-8 (see ``packed_row``)."""
        report = _aggregator_class(spark).report(self.spec, bytearray(values[METRIC]))
        result: dict[str, Any] = json.loads(report)
        if result.get("unreadableRows"):
            raise SparkJobsError(
                f"the profile cannot read {result['unreadableRows']} row(s): a value holds the "
                "byte 0xFF, so it is not UTF-8 text; the outputs are written, only the profile "
                "is missing"
            )
        return result


def profile_aggregate(
    columns: Sequence[ProfiledColumn],
    *,
    time_zone: str,
    lg_k: int,
    sample_rows: int,
    seed: int,
) -> ProfileAggregate:
    """The aggregate over ``columns`` with the type rules of each and the sketch sizes."""
    spec = {
        "timeZone": time_zone,
        "hllLgK": lg_k,
        "sampleRows": sample_rows,
        "seed": seed,
        "columns": [{"kind": c.kind, **rule_definition(c.wtype)} for c in columns],
    }
    return ProfileAggregate(tuple(columns), json.dumps(spec))


def _aggregator_class(spark: SparkSession) -> Any:
    """The JVM class, or a clear error when the profile's jar is not on the classpath."""
    from py4j.java_gateway import JavaClass

    jvm = spark.sparkContext._jvm
    found = jvm is not None and isinstance(
        getattr(jvm.sparkjobs.profile, "ProfileAggregator", None), JavaClass
    )
    if not found:
        raise SparkJobsError(
            f"the visual profile needs the spark-jobs-profile jar ({AGGREGATOR_CLASS}) on "
            "spark.jars: `make jars` builds it into .jars/; on a cluster ship it like the "
            "other JVM extras (docs/cluster.md)"
        )
    assert jvm is not None
    return jvm.sparkjobs.profile.ProfileAggregator


__all__ = [
    "ProfileAggregate",
    "ProfiledColumn",
    "hll_lg_k",
    "profile_aggregate",
    "profiled_columns",
]
