"""The regex guards in front of each datetime format, and the cast fast path for ISO texts,
never change what a format parses.

``parse_datetime`` checks a cheap regular expression before each ``try_to_timestamp`` (a failed
parse costs a Java exception). The guard must be a superset of what the format accepts: these
tests parse the same texts with and without the guards and require identical results.
"""

from __future__ import annotations

import random

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_jobs.dateformats import format_guard
from spark_jobs.recipe.types import DEFAULT_DATETIME_FORMATS, parse_datetime

EXTRA_FORMATS = (
    "dd.MM.yyyy",
    "MM-dd-yy HH:mm",
    "d MMMM yyyy hh:mm:ss a",
    "yyyy-MM-dd hh:mm a",
    "yyyyDDD",
    "HH:mm:ss.SSSSSS",
    "yyyy-MM-dd'T'HH:mm:ssZ",
)
FORMATS = (*DEFAULT_DATETIME_FORMATS, *EXTRA_FORMATS)

ODD_TEXTS = [
    "",
    " ",
    "n/a",
    "2020-13-01",
    "2020-02-30",
    " 2020-01-05 ",
    "2020-1-5",
    "1/5/2020",
    "01/05/2020",
    "5-1-2020",
    "2020/01/05 7:08:09",
    "2020-01-05T07:08:09Z",
    "2020-01-05T07:08:09+05:30",
    "2020-01-05T07:08:09.123-0800",
    "jan 5, 2020",
    "JANUARY 5, 2020",
    "5 Jan 2020",
    "Sun, 5 Jan 2020 07:08:09",
    "20200105",
    "2020005",
    "+2020-01-05",
    "２０２０-01-05",  # full-width digits
    "2020-01-05\n",
    "12:30:45.123456",
    "2020-01-05 07:08 pm",
    "99999-01-01",
    # the cast fast path's edges: year 0, early years, leap days, hour 24, second 60
    "0000-01-01",
    "0999-12-31",
    "1000-01-01",
    "2020-02-29",
    "2019-02-29",
    "2020-01-05 24:00:00",
    "2020-01-05 23:59:60",
    "2020-01-05T23:59:59",
    "2020-00-05",
    "2020-01-00",
]


def _texts(spark: SparkSession) -> list[str]:
    """Timestamps rendered by every format, plus odd texts."""
    rng = random.Random(7)
    seconds = [rng.randint(-2_000_000_000, 4_000_000_000) for _ in range(40)]
    frame = spark.createDataFrame([(s,) for s in seconds], "s long").select(
        F.timestamp_seconds("s").alias("t")
    )
    rendered = frame.select(*[F.date_format("t", f).alias(f"f{i}") for i, f in enumerate(FORMATS)])
    texts = {v for row in rendered.collect() for v in row if v is not None}
    return sorted(texts | set(ODD_TEXTS))


def test_every_guard_is_a_valid_java_regex_and_most_formats_have_one() -> None:
    guarded = [f for f in FORMATS if format_guard(f) is not None]
    assert len(guarded) == len(FORMATS)
    assert format_guard("yyyy-MM-dd[ HH:mm]") is None  # optional sections are not modelled
    assert format_guard("yyyy-'W'ww") is None  # week fields are not modelled


@pytest.mark.parametrize("pattern", FORMATS)
def test_guarded_parse_equals_unguarded_parse(spark: SparkSession, pattern: str) -> None:
    df = spark.createDataFrame([(t,) for t in _texts(spark)], "text string")
    text = F.col("text")
    # compared as epoch microseconds: Python has no year 0
    guarded = F.unix_micros(parse_datetime(text, [pattern]))
    plain = F.unix_micros(F.try_to_timestamp(text, F.lit(pattern)))
    rows = df.select("text", guarded.alias("g"), plain.alias("p")).collect()
    differing = [(r["text"], r["g"], r["p"]) for r in rows if r["g"] != r["p"]]
    assert differing == []
    assert any(r["p"] is not None for r in rows)  # the format parses some of the texts


def test_default_formats_in_order_are_unchanged(spark: SparkSession) -> None:
    df = spark.createDataFrame([(t,) for t in _texts(spark)], "text string")
    text = F.col("text")
    plain = F.coalesce(*[F.try_to_timestamp(text, F.lit(f)) for f in DEFAULT_DATETIME_FORMATS])
    guarded = parse_datetime(text)
    rows = df.select(
        "text", F.unix_micros(guarded).alias("g"), F.unix_micros(plain).alias("p")
    ).collect()
    assert [(r["text"], r["g"]) for r in rows] == [(r["text"], r["p"]) for r in rows]
    assert sum(r["g"] is not None for r in rows) > 100
