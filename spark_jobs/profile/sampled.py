"""What the profile computes from the uniform sample of rows: histograms, quartiles, top values
and top patterns. The sample is the aggregate's reservoir (at most ``sample_rows`` rows, all of
them when the dataset has no more); the bins come from the exact ranges over every row.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

#: date histogram periods, finest first: (name, approximate length in seconds)
PERIODS: tuple[tuple[str, float], ...] = (
    ("second", 1),
    ("minute", 60),
    ("hour", 3600),
    ("day", 86400),
    ("month", 86400 * 30.44),
    ("year", 86400 * 365.25),
)


@dataclass(frozen=True)
class NumberBins:
    """Equal-width bins: bin i is [start + i * width, start + (i + 1) * width), the last closed."""

    start: float
    width: float
    count: int

    def index(self, x: float) -> int:
        if self.width == 0:
            return 0
        return min(max(math.floor((x - self.start) / self.width), 0), self.count - 1)

    def edges(self, i: int) -> tuple[float, float]:
        if self.width == 0:
            return self.start, self.start
        return self.start + i * self.width, self.start + (i + 1) * self.width


def number_bins(lo: float, hi: float, is_integer: bool, bins: int) -> NumberBins:
    """Equal-width bins over [lo, hi]; one bin per value for a small integer range."""
    if hi == lo:
        return NumberBins(lo, 0.0, 1)
    if is_integer and hi - lo + 1 <= bins:
        return NumberBins(lo, 1.0, int(hi - lo) + 1)
    return NumberBins(lo, (hi - lo) / bins, bins)


def quartiles(values: Sequence[float]) -> list[float] | None:
    """Q1, median, Q3 of ``values``: the smallest value with at least that share at or below it
    (numpy's ``inverted_cdf``)."""
    if not values:
        return None
    ordered = sorted(values)
    n = len(ordered)
    return [ordered[max(0, math.ceil(q * n) - 1)] for q in (0.25, 0.5, 0.75)]


def number_histogram(values: Sequence[float], bins: NumberBins) -> list[int]:
    counts = [0] * bins.count
    for x in values:
        counts[bins.index(x)] += 1
    return counts


def local(micros: int, tz: ZoneInfo) -> datetime:
    instant = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=micros)
    return instant.astimezone(tz).replace(tzinfo=None)


def truncate(value: datetime, period: str) -> datetime:
    """The start of the ``period`` (second ... year) that holds ``value``."""
    value = value.replace(microsecond=0)
    if period == "second":
        return value
    value = value.replace(second=0)
    if period == "minute":
        return value
    value = value.replace(minute=0)
    if period == "hour":
        return value
    value = value.replace(hour=0)
    if period == "day":
        return value
    value = value.replace(day=1)
    return value if period == "month" else value.replace(month=1)


def next_bucket(value: datetime, period: str) -> datetime:
    steps = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
    if period in steps:
        return value + timedelta(seconds=steps[period])
    if period == "month":
        return value.replace(year=value.year + value.month // 12, month=value.month % 12 + 1)
    return value.replace(year=value.year + 1)


def date_period(tmin: int, tmax: int, max_buckets: int) -> str | None:
    """The finest period with at most ``max_buckets`` buckets from tmin to tmax, else None."""
    span = (tmax - tmin) / 1e6
    for name, seconds in PERIODS:
        if span / seconds + 2 <= max_buckets:
            return name
    return None


def period_histogram(
    values: Sequence[int], tmin: int, tmax: int, period: str, tz: ZoneInfo
) -> list[tuple[datetime, datetime, int]]:
    """(start, end, count) of every bucket from the first value's to the last's."""
    found: Counter[datetime] = Counter()
    for micros, n in Counter(values).items():  # each distinct instant converted once
        found[truncate(local(micros, tz), period)] += n
    bucket = truncate(local(tmin, tz), period)
    last = local(tmax, tz)
    keys = set(found)
    while bucket <= last:
        keys.add(bucket)
        bucket = next_bucket(bucket, period)
    return [(k, next_bucket(k, period), found.get(k, 0)) for k in sorted(keys)]


def width_histogram(
    values: Sequence[int], tmin: int, tmax: int, bins: int
) -> list[tuple[int, int, int]]:
    """(start, end, count) in microseconds of ``bins`` equal-width bins from tmin to tmax."""
    width = (tmax - tmin) / bins
    counts = [0] * bins
    for v in values:
        counts[min(max(math.floor((v - tmin) / width), 0), bins - 1)] += 1
    return [(tmin + int(i * width), tmin + int((i + 1) * width), c) for i, c in enumerate(counts)]


def pattern(text: str) -> str:
    """Every letter becomes ``a``, every decimal digit ``9``, anything else stays."""
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        out.append("a" if category[0] == "L" else "9" if category == "Nd" else ch)
    return "".join(out)


def top(items: Sequence[str], k: int) -> list[tuple[str, int]]:
    """The ``k`` most frequent items with their counts, ties by item."""
    counts = Counter(items)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


def share_error(sample_rows: int, rows: int) -> float:
    """At 99% confidence, how far a share (of a bin, a value, a rank) estimated from a uniform
    sample of ``sample_rows`` of ``rows`` rows can be from the dataset's: z * sqrt(p(1-p) / m)
    * sqrt(1 - m/N) with p(1-p) <= 1/4; 0 when the sample is every row."""
    if sample_rows >= rows or sample_rows == 0:
        return 0.0
    return 2.576 * 0.5 * math.sqrt((1 - sample_rows / rows) / sample_rows)


__all__ = [
    "NumberBins",
    "date_period",
    "number_bins",
    "number_histogram",
    "pattern",
    "period_histogram",
    "quartiles",
    "share_error",
    "top",
    "width_histogram",
]
