"""Column statistics of a DataFrame in two passes, no row ever collected.

Pass 1 (every row; :func:`first_pass`): staged projections compute each value's parse, class
(valid / mismatched / missing) and the values the aggregates read (valid number, timestamp,
length, hash), once per value; aggregates over them give the counts, min/max/mean/stddev,
lengths, date range and distinct count (``approx_count_distinct``). In a job group they are
observed metrics of the target's writes (:meth:`FirstPass.observe`), else one aggregation.

Pass 2 (a sample of at most ``ProfileSettings.sample_rows`` rows, all rows below that): the
sampled rows' staged values (:meth:`FirstPass.sample_frame`), kept in memory for one record per
column and row keyed by histogram bin (numbers, dates; the bins need pass 1's range), value and
character pattern (strings), grouped, counted and cut to the top values / patterns per column
with a window; and ``percentile_approx`` for the quartiles. Only aggregated rows reach the driver.

The classification into valid / mismatched / missing is the recipe engine's own
(``spark_jobs.recipe.types.classify``), so the profile agrees with what the recipe saw.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import reduce
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs.recipe.context import quoted
from spark_jobs.recipe.types import (
    MISMATCHED,
    MISSING,
    VALID,
    WrangleType,
    classify,
    column_type,
    parsed_value,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PROFILE_VERSION = 1

NUMBER_TYPES = frozenset({"Integer", "Decimal"})
DATETIME_TYPES = frozenset({"Datetime", "Date", "Timestamp"})

#: record kinds of pass 2
KIND_BIN, KIND_VALUE, KIND_PATTERN = 0, 1, 2

#: date histogram periods, finest first: (name for date_trunc, approximate length in seconds)
PERIODS: tuple[tuple[str, float], ...] = (
    ("second", 1),
    ("minute", 60),
    ("hour", 3600),
    ("day", 86400),
    ("month", 86400 * 30.44),
    ("year", 86400 * 365.25),
)
TS_FORMAT = "yyyy-MM-dd'T'HH:mm:ss"


@dataclass(frozen=True)
class ProfileSettings:
    """How much a profile computes; the defaults are what the runner uses."""

    histogram_bins: int = 20  # equal-width bins for numbers (fewer for small integer ranges)
    max_period_buckets: int = 60  # a date histogram uses the finest period with at most this many
    top_values: int = 10
    top_patterns: int = 10
    distinct_rsd: float = 0.05  # approx_count_distinct's relative standard deviation
    quantile_accuracy: int = 10000  # percentile_approx accuracy: rank error <= rows / accuracy
    batch_columns: int = 100  # columns per pass-2 record batch (plan size stays bounded)
    sample_rows: int = 100_000  # pass 2 (histograms, top values, quartiles) reads at most ~this
    sample_seed: int = 20261123

    def __post_init__(self) -> None:
        for name in (
            "histogram_bins",
            "max_period_buckets",
            "quantile_accuracy",
            "batch_columns",
            "sample_rows",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"ProfileSettings.{name} must be at least 1")
        if self.top_values < 0 or self.top_patterns < 0:
            raise ValueError("ProfileSettings.top_values / top_patterns must be >= 0")
        if not 0.0 < self.distinct_rsd < 0.4:
            raise ValueError("ProfileSettings.distinct_rsd must be in (0, 0.4)")


@dataclass(frozen=True)
class _Col:
    index: int
    name: str
    field: T.StructField
    wtype: WrangleType
    type_name: str
    kind: str  # number | datetime | string

    @property
    def ref(self) -> Column:
        return quoted(self.name)


def _kind(name: str, data_type: T.DataType) -> str:
    if name in NUMBER_TYPES:
        return "number"
    if name in DATETIME_TYPES:
        return "datetime"
    return "string"


def _columns(df: DataFrame) -> list[_Col]:
    out = []
    for index, field in enumerate(df.schema.fields):
        wtype = column_type(field)
        name = wtype.name
        out.append(_Col(index, field.name, field, wtype, name, _kind(name, field.dataType)))
    return out


def _atomic(data_type: T.DataType) -> bool:
    return not isinstance(data_type, T.ArrayType | T.MapType | T.StructType)


def _text(col: _Col) -> Column:
    return col.ref.cast("string")


# --- pass 1 -------------------------------------------------------------------------------------

#: prefix of the helper columns and aggregate names of pass 1 (kept out of any output)
P1 = "__profile_"


@dataclass(frozen=True)
class FirstPass:
    """Pass 1 as expressions: per-row ``stages`` (projections), then ``aggregates`` over them.

    Why staged: the parse of a typed value, the class that depends on it and the values the
    aggregates read are each computed once per value in its own projection (Spark does not share
    a subexpression between a ``CASE WHEN`` branch and another column, so a single projection
    parsed each date two or three times). The same stages and aggregates serve a plain
    aggregation (:meth:`aggregate`) and observed metrics that ride along the job's writes
    (:meth:`observe`), so a profiled job needs no extra pass for the counts and moments.
    """

    columns: tuple[_Col, ...]
    stages: tuple[tuple[Column, ...], ...]
    aggregates: tuple[Column, ...]

    def _with_stages(self, df: DataFrame) -> DataFrame:
        for stage in self.stages:
            if stage:
                df = df.select("*", *stage)
        return df

    def sample_frame(self, df: DataFrame, plans: dict[int, Any]) -> DataFrame:
        """What pass 2 reads of ``df`` (a sample of the target): the staged values of the
        columns in ``plans`` (valid numbers, valid timestamps, classes and texts of strings),
        so pass 2 parses and classifies nothing again."""
        keep: list[Column] = []
        for col in self.columns:
            if col.index not in plans:
                continue
            if col.kind == "number":
                keep.append(_staged(col, "x"))
            elif col.kind == "datetime":
                keep.append(_staged(col, "t"))
            else:
                keep += [_staged(col, "c"), _text(col).alias(_staged_name(col, "s"))]
        return self._with_stages(df).select(*keep)

    def observe(self, df: DataFrame, observation: Any) -> DataFrame:
        """``df`` with pass 1 observed into ``observation`` (same columns and metadata as df)."""
        keep = [quoted(c) for c in df.columns]
        return self._with_stages(df).observe(observation, *self.aggregates).select(*keep)

    def aggregate(self, df: DataFrame) -> dict[str, Any]:
        """Pass 1 as its own Spark job (when nothing observed it)."""
        if not self.columns:
            return {}
        return self._with_stages(df).agg(*self.aggregates).collect()[0].asDict()

    def read(self, values: dict[str, Any]) -> dict[int, dict[str, Any]]:
        """The aggregated values by column index (the keys :func:`_column_json` reads)."""
        out: dict[int, dict[str, Any]] = {}
        for col in self.columns:
            stats = {"rows": values[f"{P1}rows"]}
            prefix = _prefix(col)
            for key, value in values.items():
                if key.startswith(prefix):
                    stats[key[len(prefix) :]] = value
            out[col.index] = stats
        return out


def _prefix(col: _Col) -> str:
    """The start of every name pass 1 gives a column's stage columns and aggregates."""
    return f"{P1}{col.index}_"


def _staged_name(col: _Col, suffix: str) -> str:
    return _prefix(col) + suffix


def _staged(col: _Col, suffix: str) -> Column:
    """A column of pass 1's stages: ``p`` parse, ``c`` class, ``h`` value hash, ``x`` valid
    number, ``t`` valid timestamp (epoch microseconds), ``l`` length, ``s`` (pass 2's sample
    only) the text."""
    return F.col(_staged_name(col, suffix))


def _finite(x: Column) -> Column:
    return ~F.isnan(x) & (F.abs(x) != F.lit(float("inf")))


def first_pass(
    df: DataFrame, settings: ProfileSettings | None = None, columns: Sequence[str] | None = None
) -> FirstPass:
    """Pass 1 of a profile of ``df`` (of ``columns`` only, when given): counts per class,
    moments, lengths, date ranges and approximate distinct counts, over every row."""
    settings = settings or ProfileSettings()
    every = _columns(df)
    if columns is not None:
        by_name = {c.name: c for c in every}
        # indexes count the profiled columns only (hidden columns of df are not profiled)
        every = [replace(by_name[name], index=j) for j, name in enumerate(columns)]
    cols = tuple(every)
    parses: list[Column] = []
    classes: list[Column] = []
    values: list[Column] = []
    aggregates: list[Column] = [F.count(F.lit(1)).alias(f"{P1}rows")]
    for col in cols:
        name = _prefix(col)
        dtype = col.field.dataType
        native = isinstance(
            dtype, T.NumericType | T.TimestampType | T.DateType | T.TimestampNTZType
        )
        parse = None if native else parsed_value(col.ref, col.wtype)
        parsed = None
        if parse is not None:
            parses.append(parse.alias(_staged_name(col, "p")))
            parsed = _staged(col, "p")
        classes.append(classify(col.ref, col.wtype, parsed).alias(_staged_name(col, "c")))
        c = _staged(col, "c")
        hashable = col.ref if _atomic(dtype) else _text(col)
        values.append(F.when(c != MISSING, F.xxhash64(hashable)).alias(_staged_name(col, "h")))
        out = [
            ("valid", F.count_if(c == VALID)),
            ("mismatched", F.count_if(c == MISMATCHED)),
            ("missing", F.count_if(c == MISSING)),
            ("distinct", F.approx_count_distinct(_staged(col, "h"), settings.distinct_rsd)),
        ]
        if col.kind == "number":
            number = col.ref.cast("double") if native or parsed is None else parsed.cast("double")
            values.append(
                F.when((c == VALID) & _finite(number), number).alias(_staged_name(col, "x"))
            )
            x = _staged(col, "x")
            out += [
                ("numbers", F.count(x)),
                ("min", F.min(x)),
                ("max", F.max(x)),
                ("mean", F.avg(x)),
                ("stddev", F.stddev_samp(x)),
            ]
        elif col.kind == "datetime":
            if isinstance(dtype, T.TimestampType):
                ts = col.ref
            elif native or parsed is None:
                ts = col.ref.cast("timestamp")
            elif col.type_name == "Date":
                ts = F.to_date(parsed).cast("timestamp")
            else:
                ts = parsed.cast("timestamp")
            values.append(F.unix_micros(F.when(c == VALID, ts)).alias(_staged_name(col, "t")))
            t = _staged(col, "t")
            out += [("timestamps", F.count(t)), ("tmin", F.min(t)), ("tmax", F.max(t))]
        else:
            values.append(F.when(c != MISSING, F.length(_text(col))).alias(_staged_name(col, "l")))
            length = _staged(col, "l")
            out += [("lmin", F.min(length)), ("lmax", F.max(length))]
        aggregates += [agg.alias(f"{name}{stat}") for stat, agg in out]
    return FirstPass(cols, (tuple(parses), tuple(classes), tuple(values)), tuple(aggregates))


# --- pass 2 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _NumberBins:
    start: float
    width: float
    count: int

    def index(self, x: Column) -> Column:
        if self.width == 0:
            return F.when(x.isNotNull(), F.lit(0).cast("bigint"))
        raw = F.floor((x - F.lit(self.start)) / F.lit(self.width))
        # greatest/least skip nulls: a null value must stay null (no record), not land in bin 0
        return F.when(x.isNotNull(), F.least(F.greatest(raw, F.lit(0)), F.lit(self.count - 1)))

    def edges(self, i: int) -> tuple[float, float]:
        return self.start + i * self.width, self.start + (i + 1) * self.width


def number_bins(lo: float, hi: float, is_integer: bool, bins: int) -> _NumberBins:
    """Equal-width bins over [lo, hi]; one bin per value for a small integer range."""
    if hi == lo:
        return _NumberBins(lo, 0.0, 1)
    if is_integer and hi - lo + 1 <= bins:
        return _NumberBins(lo, 1.0, int(hi - lo) + 1)
    return _NumberBins(lo, (hi - lo) / bins, bins)


@dataclass(frozen=True)
class _DateBins:
    period: str  # a date_trunc unit, or "bin" (equal width in microseconds)
    start: int  # micros, for "bin"
    width: float
    count: int


def date_bins(tmin: int, tmax: int, settings: ProfileSettings) -> _DateBins:
    span = (tmax - tmin) / 1e6
    for name, seconds in PERIODS:
        if span / seconds + 2 <= settings.max_period_buckets:
            return _DateBins(name, 0, 0.0, 0)
    return _DateBins("bin", tmin, (tmax - tmin) / settings.histogram_bins, settings.histogram_bins)


def _pass2_keys(col: _Col, plan: Any) -> list[tuple[int, Column, Column]]:
    """(kind, bin, text) key columns of one column's pass-2 records (null where no record),
    over :meth:`FirstPass.sample_frame`."""
    null_b, null_s = F.lit(None).cast("bigint"), F.lit(None).cast("string")
    if col.kind == "number":
        return [(KIND_BIN, plan.index(_staged(col, "x")), null_s)]
    if col.kind == "datetime":
        micros = _staged(col, "t")
        if plan.period == "bin":
            raw = F.floor((micros - F.lit(plan.start)) / F.lit(plan.width))
            b = F.when(
                micros.isNotNull(), F.least(F.greatest(raw, F.lit(0)), F.lit(plan.count - 1))
            )
            return [(KIND_BIN, b, null_s)]
        ts = F.timestamp_micros(micros)
        return [(KIND_BIN, null_b, F.date_format(F.date_trunc(plan.period, ts), TS_FORMAT))]
    text = F.when(_staged(col, "c") != MISSING, _staged(col, "s"))
    return [(KIND_VALUE, null_b, text), (KIND_PATTERN, null_b, text)]


def _pass2(
    df: DataFrame, cols: Sequence[_Col], plans: dict[int, Any], settings: ProfileSettings
) -> list[Any]:
    """Bins, values and patterns counted in one aggregation (batches of columns unioned)."""
    wanted = [c for c in cols if c.index in plans]
    if not wanted:
        return []
    parts: list[DataFrame] = []
    for start in range(0, len(wanted), settings.batch_columns):
        batch = wanted[start : start + settings.batch_columns]
        keys: list[Column] = []
        records: list[Column] = []
        for col in batch:
            for kind, b, text in _pass2_keys(col, plans[col.index]):
                name = f"k{col.index}_{kind}"
                if kind == KIND_PATTERN:
                    # in the projection, so the record below reads it (a CASE WHEN would run
                    # the two regular expressions twice per value)
                    text = F.regexp_replace(F.regexp_replace(text, r"\p{L}", "a"), r"\p{Nd}", "9")
                keys += [b.alias(f"{name}_b"), text.alias(f"{name}_s")]
                b_ref, s_ref = F.col(f"{name}_b"), F.col(f"{name}_s")
                records.append(
                    F.when(
                        b_ref.isNotNull() | s_ref.isNotNull(),
                        F.struct(
                            F.lit(col.index).alias("i"),
                            F.lit(kind).alias("k"),
                            b_ref.alias("b"),
                            s_ref.alias("s"),
                        ),
                    )
                )
        part = df.select(*keys).select(F.inline(F.array(*records))).where(F.col("i").isNotNull())
        parts.append(part)
    recs = reduce(DataFrame.unionAll, parts)
    counts = recs.groupBy("i", "k", "b", "s").count()
    order = Window.partitionBy("i", "k").orderBy(
        F.col("count").desc(), F.col("s").asc_nulls_first(), F.col("b").asc_nulls_first()
    )
    limit = (
        F.when(F.col("k") == KIND_VALUE, settings.top_values)
        .when(F.col("k") == KIND_PATTERN, settings.top_patterns)
        .otherwise(None)
    )
    top = (
        counts.withColumn("rank", F.row_number().over(order))
        .where(limit.isNull() | (F.col("rank") <= limit))
        .select("i", "k", "b", "s", "count", "rank")
    )
    return top.collect()


def _quartiles(df: DataFrame, cols: Sequence[_Col], settings: ProfileSettings) -> dict[int, Any]:
    """Quartiles and median of every number column, one aggregation over (column, value)."""
    numbers = [c for c in cols if c.kind == "number"]
    if not numbers:
        return {}
    parts = []
    for start in range(0, len(numbers), settings.batch_columns):
        batch = numbers[start : start + settings.batch_columns]
        records = [F.struct(F.lit(c.index).alias("i"), _staged(c, "x").alias("x")) for c in batch]
        parts.append(df.select(F.inline(F.array(*records))).where(F.col("x").isNotNull()))
    quartiles = F.percentile_approx("x", [0.25, 0.5, 0.75], settings.quantile_accuracy)
    rows = reduce(DataFrame.unionAll, parts).groupBy("i").agg(quartiles.alias("q")).collect()
    return {row["i"]: row["q"] for row in rows}


# --- the whole profile --------------------------------------------------------------------------


@contextmanager
def _counted_jobs(spark: SparkSession) -> Iterator[list[int]]:
    """Count the Spark jobs run inside the block (its job group; a temporary one if none)."""
    sc = spark.sparkContext
    tracker = sc.statusTracker()
    group = sc.getLocalProperty("spark.jobGroup.id")
    own = group is None
    if own:
        group = f"spark-jobs-profile-{uuid.uuid4()}"
        sc.setJobGroup(group, "visual profile")
    before = set(tracker.getJobIdsForGroup(group))
    counter: list[int] = [0]
    try:
        yield counter
    finally:
        counter[0] = len(set(tracker.getJobIdsForGroup(group)) - before)
        if own:
            sc.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
            sc.setLocalProperty("spark.job.description", None)  # type: ignore[arg-type]


def _json_number(value: float | None, integer: bool) -> float | int | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if integer and float(value).is_integer() and abs(value) < 2**53:
        return int(value)
    return float(value)


def profile_dataframe(
    df: DataFrame,
    settings: ProfileSettings | None = None,
    *,
    description: str = "profile",
    first: FirstPass | None = None,
    observed: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The profile of ``df`` as a JSON-ready dict (schema: docs/profile.md).

    ``first`` and ``observed``: pass 1 and the values it observed while the job wrote its
    outputs (:meth:`FirstPass.observe`); without them pass 1 runs here as its own aggregation.
    Pass 2 reads a uniform sample of at most ``settings.sample_rows`` rows (all rows when there
    are no more), kept in memory for its two small aggregations.
    """
    settings = settings or ProfileSettings()
    spark = df.sparkSession
    started = time.monotonic()
    tz = ZoneInfo(spark.conf.get("spark.sql.session.timeZone") or "UTC")
    if first is None or observed is None:
        first, observed = first_pass(df, settings), None
    cols = list(first.columns)
    sc = spark.sparkContext
    stats: dict[int, Any] = {}
    top: list[Any] = []
    quartiles: dict[int, Any] = {}
    passes = 0
    rows = 0
    sample_rows = 0
    fraction = 1.0
    with _counted_jobs(spark) as jobs:
        if observed is not None:
            stats = first.read(observed)
        elif cols:
            sc.setJobDescription(f"{description}: counts, moments, distinct counts")
            stats = first.read(first.aggregate(df))
            passes += 1
        if stats:
            rows = int(next(iter(stats.values()))["rows"])
        plans: dict[int, Any] = {}
        for col in cols:
            s = stats.get(col.index)
            if s is None:
                continue
            if col.kind == "number" and s["numbers"]:
                plans[col.index] = number_bins(
                    s["min"], s["max"], col.type_name == "Integer", settings.histogram_bins
                )
            elif col.kind == "datetime" and s["timestamps"]:
                plans[col.index] = date_bins(s["tmin"], s["tmax"], settings)
            elif col.kind == "string" and s["valid"] + s["mismatched"]:
                plans[col.index] = None
        if plans:
            sc.setJobDescription(f"{description}: sample, histograms, top values, quartiles")
            fraction = min(1.0, settings.sample_rows / rows) if rows else 1.0
            sample = df if fraction >= 1.0 else df.sample(False, fraction, settings.sample_seed)
            sample = first.sample_frame(sample, plans).persist(StorageLevel.MEMORY_AND_DISK)
            try:
                top = _pass2(sample, cols, plans, settings)
                quartiles = _quartiles(sample, [c for c in cols if c.index in plans], settings)
                sample_rows = rows if fraction >= 1.0 else sample.count()
            finally:
                sample.unpersist()
            passes += 1
        sc.setJobDescription(None)  # type: ignore[arg-type]

    by_col: dict[tuple[int, int], list[Any]] = {}
    for row in top:
        by_col.setdefault((row["i"], row["k"]), []).append(row)
    columns = []
    for c in cols:
        s = stats.get(c.index)
        if s is not None:
            s = {**s, "quartiles": quartiles.get(c.index)}
        columns.append(_column_json(c, s, plans.get(c.index), by_col, rows, settings, tz))
    return {
        "profileVersion": PROFILE_VERSION,
        "rowCount": rows,
        "columnCount": len(cols),
        "passes": passes,
        "firstPass": "observed" if observed is not None else "aggregation",
        "sparkJobs": jobs[0],
        "durationMs": int((time.monotonic() - started) * 1000),
        "sample": {"rows": sample_rows, "fraction": fraction, "seed": settings.sample_seed},
        "settings": {
            "histogramBins": settings.histogram_bins,
            "topValues": settings.top_values,
            "topPatterns": settings.top_patterns,
            "distinctRelativeStandardDeviation": settings.distinct_rsd,
            "quantileAccuracy": settings.quantile_accuracy,
            "quantileRelativeRankError": 1.0 / settings.quantile_accuracy,
            "sampleRows": settings.sample_rows,
            "timeZone": str(tz),
        },
        "columns": columns,
    }


def _local(micros: int, tz: ZoneInfo) -> datetime:
    instant = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=micros)
    return instant.astimezone(tz).replace(tzinfo=None)


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")


def _truncate(value: datetime, period: str) -> datetime:
    if period == "second":
        return value.replace(microsecond=0)
    if period == "minute":
        return value.replace(second=0, microsecond=0)
    if period == "hour":
        return value.replace(minute=0, second=0, microsecond=0)
    if period == "day":
        return value.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        return value.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return value.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def _next(value: datetime, period: str) -> datetime:
    steps = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
    if period in steps:
        return value + timedelta(seconds=steps[period])
    if period == "month":
        return value.replace(year=value.year + value.month // 12, month=value.month % 12 + 1)
    return value.replace(year=value.year + 1)


def _column_json(
    col: _Col,
    s: dict[str, Any] | None,
    plan: Any,
    top: dict[tuple[int, int], list[Any]],
    rows: int,
    settings: ProfileSettings,
    tz: ZoneInfo,
) -> dict[str, Any]:
    valid = int(s["valid"]) if s else 0
    mismatched = int(s["mismatched"]) if s else 0
    missing = int(s["missing"]) if s else 0
    out: dict[str, Any] = {
        "index": col.index,
        "name": col.name,
        "type": col.type_name,
        "sparkType": col.field.dataType.simpleString(),
        "kind": col.kind,
        "valid": valid,
        "mismatched": mismatched,
        "missing": missing,
        "distinct": {
            "approx": int(s["distinct"]) if s else 0,
            "relativeStandardDeviation": settings.distinct_rsd,
        },
    }
    if col.kind == "number":
        integer = col.type_name == "Integer"
        q = (s or {}).get("quartiles") or [None, None, None]
        number: dict[str, Any] = {
            "count": int(s["numbers"]) if s else 0,
            "min": _json_number(s["min"] if s else None, integer),
            "max": _json_number(s["max"] if s else None, integer),
            "mean": _json_number(s["mean"] if s else None, False),
            "stddev": _json_number(s["stddev"] if s else None, False),
            "q1": _json_number(q[0], integer),
            "median": _json_number(q[1], integer),
            "q3": _json_number(q[2], integer),
            "histogram": [],
        }
        if plan is not None:
            counts = {r["b"]: int(r["count"]) for r in top.get((col.index, KIND_BIN), [])}
            for i in range(plan.count):
                lo, hi = plan.edges(i)
                if plan.width == 0:
                    hi = lo
                number["histogram"].append(
                    {
                        "start": _json_number(lo, integer),
                        "end": _json_number(hi, integer),
                        "count": counts.get(i, 0),
                    }
                )
        out["number"] = number
    elif col.kind == "datetime":
        dt: dict[str, Any] = {
            "count": int(s["timestamps"]) if s else 0,
            "min": _iso(_local(s["tmin"], tz)) if s and s["tmin"] is not None else None,
            "max": _iso(_local(s["tmax"], tz)) if s and s["tmax"] is not None else None,
            "period": plan.period if plan is not None else None,
            "histogram": [],
        }
        if plan is not None and s is not None:
            records = top.get((col.index, KIND_BIN), [])
            if plan.period == "bin":
                counts = {r["b"]: int(r["count"]) for r in records}
                for i in range(plan.count):
                    lo = _local(plan.start + int(i * plan.width), tz)
                    hi = _local(plan.start + int((i + 1) * plan.width), tz)
                    dt["histogram"].append(
                        {"start": _iso(lo), "end": _iso(hi), "count": counts.get(i, 0)}
                    )
            else:
                found = {datetime.fromisoformat(r["s"]): int(r["count"]) for r in records}
                bucket = _truncate(_local(s["tmin"], tz), plan.period)
                last = _local(s["tmax"], tz)
                keys = set(found)
                while bucket <= last:
                    keys.add(bucket)
                    bucket = _next(bucket, plan.period)
                for key in sorted(keys):
                    dt["histogram"].append(
                        {
                            "start": _iso(key),
                            "end": _iso(_next(key, plan.period)),
                            "count": found.get(key, 0),
                        }
                    )
        out["datetime"] = dt
    else:
        values = top.get((col.index, KIND_VALUE), [])
        patterns = top.get((col.index, KIND_PATTERN), [])
        out["string"] = {
            "lengthMin": int(s["lmin"]) if s and s["lmin"] is not None else None,
            "lengthMax": int(s["lmax"]) if s and s["lmax"] is not None else None,
            "topValues": [
                {"value": r["s"], "count": int(r["count"])}
                for r in sorted(values, key=lambda r: r["rank"])
            ],
            "topPatterns": [
                {"pattern": r["s"], "count": int(r["count"])}
                for r in sorted(patterns, key=lambda r: r["rank"])
            ],
        }
    return out


__all__ = ["PROFILE_VERSION", "FirstPass", "ProfileSettings", "first_pass", "profile_dataframe"]
