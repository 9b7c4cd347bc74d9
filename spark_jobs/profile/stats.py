"""Column statistics of a DataFrame in one pass over its rows, no row ever collected.

One JVM aggregate (:mod:`spark_jobs.profile.aggregate`) sees every row once: along the job's
writes as an observed metric, or as its own aggregation. Over every row it counts valid /
mismatched / missing values by the recipe engine's type rules and keeps the moments and ranges
exactly; the distinct count is a HyperLogLog sketch; histograms, quartiles, top values and
patterns come from a uniform sample of the rows the aggregate keeps (:mod:`.sampled`).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pyspark.sql import DataFrame

from spark_jobs.profile import sampled
from spark_jobs.profile.aggregate import (
    ProfileAggregate,
    ProfiledColumn,
    hll_lg_k,
    profile_aggregate,
    profiled_columns,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PROFILE_VERSION = 2


@dataclass(frozen=True)
class ProfileSettings:
    """How much a profile computes; the defaults are what the runner uses."""

    histogram_bins: int = 20  # equal-width bins for numbers (fewer for small integer ranges)
    max_period_buckets: int = 60  # a date histogram uses the finest period with at most this many
    top_values: int = 10
    top_patterns: int = 10
    distinct_rsd: float = 0.05  # at most this relative standard error for the distinct count
    sample_rows: int = 20_000  # the uniform sample behind histograms, quartiles, top lists
    sample_cells: int = 1_000_000  # ... at most this many values (wide data: fewer rows)
    sample_seed: int = 20261123

    def __post_init__(self) -> None:
        for name in ("histogram_bins", "max_period_buckets", "sample_rows", "sample_cells"):
            if getattr(self, name) < 1:
                raise ValueError(f"ProfileSettings.{name} must be at least 1")
        if self.top_values < 0 or self.top_patterns < 0:
            raise ValueError("ProfileSettings.top_values / top_patterns must be >= 0")
        if not 0.0 < self.distinct_rsd < 0.4:
            raise ValueError("ProfileSettings.distinct_rsd must be in (0, 0.4)")

    def sample_size(self, columns: int) -> int:
        """Rows of the sample for ``columns`` columns (each task holds one such sample)."""
        return max(1, min(self.sample_rows, self.sample_cells // max(1, columns)))


def profile_aggregate_for(
    df: DataFrame, settings: ProfileSettings, columns: Sequence[str] | None = None
) -> ProfileAggregate:
    """The one aggregate of a profile of ``df`` (of ``columns`` only, when given)."""
    cols = profiled_columns(df, columns)
    return profile_aggregate(
        cols,
        time_zone=_time_zone(df.sparkSession),
        lg_k=hll_lg_k(settings.distinct_rsd),
        sample_rows=settings.sample_size(len(cols)),
        seed=settings.sample_seed,
    )


def _time_zone(spark: SparkSession) -> str:
    return spark.conf.get("spark.sql.session.timeZone") or "UTC"


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


def profile_dataframe(
    df: DataFrame,
    settings: ProfileSettings | None = None,
    *,
    description: str = "profile",
    aggregate: ProfileAggregate | None = None,
    observed: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The profile of ``df`` as a JSON-ready dict (schema: docs/profile.md).

    ``aggregate`` and ``observed``: the aggregate and the result it observed while the job wrote
    its outputs (:meth:`ProfileAggregate.observe`); without them the aggregate runs here, as
    one Spark job over ``df``.
    """
    settings = settings or ProfileSettings()
    spark = df.sparkSession
    started = time.monotonic()
    tz = ZoneInfo(_time_zone(spark))
    if aggregate is None or observed is None:
        aggregate, observed = profile_aggregate_for(df, settings), None
    result: dict[str, Any] = {"rows": 0, "sampleRows": 0, "columns": []}
    with _counted_jobs(spark) as jobs:
        if observed is not None:
            result = observed
        elif aggregate.columns:
            spark.sparkContext.setJobDescription(f"{description}: every column in one pass")
            result = aggregate.aggregate(df)
            spark.sparkContext.setJobDescription(None)  # type: ignore[arg-type]
    rows, sample_rows = int(result["rows"]), int(result["sampleRows"])
    share_error = sampled.share_error(sample_rows, rows)
    per_column = result["columns"] or [None] * len(aggregate.columns)
    columns = [
        _column_json(col, stats, settings, tz, share_error)
        for col, stats in zip(aggregate.columns, per_column, strict=True)
    ]
    return {
        "profileVersion": PROFILE_VERSION,
        "rowCount": rows,
        "columnCount": len(aggregate.columns),
        "passes": 0 if observed is not None or not aggregate.columns else 1,
        "firstPass": "observed" if observed is not None else "aggregation",
        "sparkJobs": jobs[0],
        "durationMs": int((time.monotonic() - started) * 1000),
        "sample": {
            "rows": sample_rows,
            "fraction": sample_rows / rows if rows else 1.0,
            "seed": settings.sample_seed,
            "shareError": share_error,
        },
        "settings": {
            "histogramBins": settings.histogram_bins,
            "topValues": settings.top_values,
            "topPatterns": settings.top_patterns,
            "distinctRelativeStandardDeviation": _rse(settings),
            "distinctSketchLgK": hll_lg_k(settings.distinct_rsd),
            "sampleRows": settings.sample_size(len(aggregate.columns)),
            "timeZone": str(tz),
        },
        "columns": columns,
    }


def _rse(settings: ProfileSettings) -> float:
    """The distinct count's relative standard error (HyperLogLog of 2^lgK registers)."""
    return 1.04 / math.sqrt(2 ** hll_lg_k(settings.distinct_rsd))


# --- one column's JSON --------------------------------------------------------------------------


def _json_number(value: float | None, integer: bool) -> float | int | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if integer and float(value).is_integer() and abs(value) < 2**53:
        return int(value)
    return float(value)


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")


def _column_json(
    col: ProfiledColumn,
    s: dict[str, Any] | None,
    settings: ProfileSettings,
    tz: ZoneInfo,
    share_error: float,
) -> dict[str, Any]:
    s = s or {"valid": 0, "mismatched": 0, "missing": 0, "distinct": 0, "sample": []}
    out: dict[str, Any] = {
        "index": col.index,
        "name": col.name,
        "type": col.type_name,
        "sparkType": col.field.dataType.simpleString(),
        "kind": col.kind,
        "valid": int(s["valid"]),
        "mismatched": int(s["mismatched"]),
        "missing": int(s["missing"]),
        "distinct": {
            "approx": int(s["distinct"]),
            "relativeStandardDeviation": _rse(settings),
        },
    }
    if col.kind == "number":
        out["number"] = _number_json(col, s, settings, share_error)
    elif col.kind == "datetime":
        out["datetime"] = _datetime_json(s, settings, tz, share_error)
    else:
        out["string"] = _string_json(s, settings, share_error)
    return out


def _number_json(
    col: ProfiledColumn, s: dict[str, Any], settings: ProfileSettings, share_error: float
) -> dict[str, Any]:
    integer = col.type_name == "Integer"
    values = s["sample"]
    q: Sequence[float | None] = sampled.quartiles(values) or (None, None, None)
    count = int(s.get("numbers") or 0)
    histogram = []
    if count:
        bins = sampled.number_bins(s["min"], s["max"], integer, settings.histogram_bins)
        for i, c in enumerate(sampled.number_histogram(values, bins)):
            lo, hi = bins.edges(i)
            histogram.append(
                {"start": _json_number(lo, integer), "end": _json_number(hi, integer), "count": c}
            )
    return {
        "count": count,
        "min": _json_number(s.get("min"), integer),
        "max": _json_number(s.get("max"), integer),
        "mean": _json_number(s.get("mean"), False),
        "stddev": _json_number(s.get("stddev"), False),
        "sum": _json_number(s.get("sum"), integer),
        "q1": _json_number(q[0], integer),
        "median": _json_number(q[1], integer),
        "q3": _json_number(q[2], integer),
        "histogram": histogram,
        "sampleCount": len(values),
        "shareError": share_error,
    }


def _datetime_json(
    s: dict[str, Any], settings: ProfileSettings, tz: ZoneInfo, share_error: float
) -> dict[str, Any]:
    count = int(s.get("timestamps") or 0)
    out: dict[str, Any] = {"count": count, "min": None, "max": None, "period": None}
    out.update(histogram=[], sampleCount=len(s["sample"]), shareError=share_error)
    if not count:
        return out
    tmin, tmax = int(s["tmin"]), int(s["tmax"])
    out["min"], out["max"] = _iso(sampled.local(tmin, tz)), _iso(sampled.local(tmax, tz))
    period = sampled.date_period(tmin, tmax, settings.max_period_buckets)
    if period is None:
        out["period"] = "bin"
        bins = sampled.width_histogram(s["sample"], tmin, tmax, settings.histogram_bins)
        out["histogram"] = [
            {"start": _iso(sampled.local(a, tz)), "end": _iso(sampled.local(b, tz)), "count": c}
            for a, b, c in bins
        ]
    else:
        out["period"] = period
        buckets = sampled.period_histogram(s["sample"], tmin, tmax, period, tz)
        out["histogram"] = [{"start": _iso(a), "end": _iso(b), "count": c} for a, b, c in buckets]
    return out


def _string_json(
    s: dict[str, Any], settings: ProfileSettings, share_error: float
) -> dict[str, Any]:
    texts: list[str] = s["sample"]
    return {
        "lengthMin": None if s.get("lmin") is None else int(s["lmin"]),
        "lengthMax": None if s.get("lmax") is None else int(s["lmax"]),
        "topValues": [{"value": v, "count": c} for v, c in sampled.top(texts, settings.top_values)],
        "topPatterns": [
            {"pattern": p, "count": c}
            for p, c in sampled.top([sampled.pattern(t) for t in texts], settings.top_patterns)
        ],
        "sampleCount": len(texts),
        "shareError": share_error,
    }


__all__ = [
    "PROFILE_VERSION",
    "ProfileSettings",
    "profile_aggregate_for",
    "profile_dataframe",
]
