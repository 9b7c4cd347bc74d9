"""Every statistic of the profile against pandas / numpy on the same data."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs.errors import SparkJobsError
from spark_jobs.profile import ProfileSettings, profile_dataframe
from spark_jobs.recipe.types import WrangleType, with_type
from tests.profile.profile_helpers import (
    DATETIME_FORMAT,
    classify_series,
    number_expectation,
    pattern,
    top_counts,
)

ROWS = 240
TYPES = {
    "qty": "Integer",
    "small": "Integer",
    "price": "Decimal",
    "name": "String",
    "when": "Datetime",
    "nothing": "String",
}
NAMES = ["Ada", "Grace", "Zoë 2", "x-1", "Alan T.", "", None, "  ", "ab12", "Ω mega"]


def mixed_rows(n: int = ROWS, seed: int = 7) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1)
    rows = []
    for _ in range(n):
        r = rng.random()
        qty = (
            None
            if r < 0.05
            else ""
            if r < 0.1
            else "abc"
            if r < 0.13
            else "4.5"
            if r < 0.15
            else str(rng.randint(-20, 300))
        )
        small = None if rng.random() < 0.1 else rng.randint(1, 6)
        price = None if rng.random() < 0.1 else round(rng.uniform(0, 1000), 2)
        name = rng.choice(NAMES)
        r = rng.random()
        when = (
            None
            if r < 0.05
            else "soon"
            if r < 0.1
            else (start + timedelta(seconds=rng.randint(0, 100 * 86400))).strftime(DATETIME_FORMAT)
        )
        rows.append((qty, small, price, name, when, None))
    return rows


SCHEMA = T.StructType(
    [
        T.StructField("qty", T.StringType()),
        T.StructField("small", T.IntegerType()),
        T.StructField("price", T.DoubleType()),
        T.StructField("name", T.StringType()),
        T.StructField("when", T.StringType()),
        T.StructField("nothing", T.StringType()),
    ]
)


def typed_frame(spark: SparkSession, rows: list[tuple[Any, ...]]) -> DataFrame:
    df = spark.createDataFrame(rows, SCHEMA)
    df = with_type(df, "qty", WrangleType("Integer"))
    return with_type(df, "when", WrangleType("Datetime"))


def pandas_frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[f.name for f in SCHEMA.fields], dtype=object)


def close(a: float | None, b: float | None, rel: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


def check_column(col: dict[str, Any], values: pd.Series, wtype: str, settings: ProfileSettings):
    classes = classify_series(values, wtype)
    assert col["type"] == wtype
    assert (col["valid"], col["mismatched"], col["missing"]) == (
        int((classes == 0).sum()),
        int((classes == 1).sum()),
        int((classes == 2).sum()),
    ), col["name"]
    present = values[classes != 2]
    exact = present.astype(str).nunique() if wtype != "Decimal" else present.nunique()
    approx = col["distinct"]["approx"]
    assert abs(approx - exact) <= max(1, 3 * settings.distinct_rsd * exact), (approx, exact)
    valid = values[classes == 0]
    if wtype in ("Integer", "Decimal"):
        exp = number_expectation(valid.astype(float), wtype == "Integer", settings.histogram_bins)
        n = col["number"]
        assert n["count"] == exp["count"]
        if not exp["count"]:
            assert n["min"] is None and n["histogram"] == []
            return
        for key in ("min", "max", "mean", "stddev", "q1", "median", "q3"):
            assert close(n[key], exp[key]), (col["name"], key, n[key], exp[key])
        assert close(n["sum"], float(valid.astype(float).sum()))
        assert n["shareError"] == 0 and n["sampleCount"] == exp["count"]  # every row sampled
        got = [(b["start"], b["count"]) for b in n["histogram"]]
        assert len(got) == len(exp["histogram"])
        for (gs, gc), (es, ec) in zip(got, exp["histogram"], strict=True):
            assert close(gs, es) and gc == ec, (col["name"], got, exp["histogram"])
        assert sum(b["count"] for b in n["histogram"]) == exp["count"]
    elif wtype == "Datetime":
        ts = pd.to_datetime(valid.astype(str), format=DATETIME_FORMAT)
        d = col["datetime"]
        assert d["count"] == len(ts)
        assert d["min"] == ts.min().isoformat() and d["max"] == ts.max().isoformat()
        assert d["period"] == "month"  # 100 days: the finest period with at most 60 buckets
        months = ts.dt.to_period("M")
        expected = [
            (p.start_time.isoformat(), int((months == p).sum()))
            for p in pd.period_range(months.min(), months.max(), freq="M")
        ]
        assert [(b["start"], b["count"]) for b in d["histogram"]] == expected
    else:
        s = col["string"]
        texts = [str(v) for v in present]
        if not texts:
            assert (s["lengthMin"], s["lengthMax"], s["topValues"], s["topPatterns"]) == (
                None,
                None,
                [],
                [],
            )
            return
        assert s["lengthMin"] == min(len(t) for t in texts)
        assert s["lengthMax"] == max(len(t) for t in texts)
        assert [(v["value"], v["count"]) for v in s["topValues"]] == top_counts(
            texts, settings.top_values
        )
        assert [(p["pattern"], p["count"]) for p in s["topPatterns"]] == top_counts(
            [pattern(t) for t in texts], settings.top_patterns
        )


def test_every_statistic_matches_pandas(spark: SparkSession) -> None:
    rows = mixed_rows()
    settings = ProfileSettings(top_values=5, top_patterns=4)
    profile = profile_dataframe(typed_frame(spark, rows), settings)
    pdf = pandas_frame(rows)
    assert profile["rowCount"] == ROWS and profile["columnCount"] == len(TYPES)
    assert [c["name"] for c in profile["columns"]] == list(TYPES)
    for col in profile["columns"]:
        check_column(col, pdf[col["name"]], TYPES[col["name"]], settings)
    nothing = profile["columns"][-1]
    assert (nothing["valid"], nothing["missing"]) == (0, ROWS)  # the all-null column


def test_spark_job_count_is_measured_and_small(spark: SparkSession) -> None:
    """The profile reports the Spark jobs it ran; the status tracker, read here, agrees."""
    df = typed_frame(spark, mixed_rows(40)).cache()
    df.count()
    sc = spark.sparkContext
    group = "profile-job-count-test"
    sc.setJobGroup(group, "profile job count")
    try:
        before = set(sc.statusTracker().getJobIdsForGroup(group))
        profile = profile_dataframe(df)
        after = set(sc.statusTracker().getJobIdsForGroup(group))
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
        df.unpersist()
    assert profile["sparkJobs"] == len(after - before)
    assert profile["passes"] == 1
    assert 1 <= profile["sparkJobs"] <= 2  # docs/profile.md: one aggregation (+ an AQE stage job)


def test_single_row(spark: SparkSession) -> None:
    rows = [("42", 3, 9.5, "Zoë 2", "2024-02-03 04:05:06", None)]
    profile = profile_dataframe(typed_frame(spark, rows))
    assert profile["rowCount"] == 1
    by = {c["name"]: c for c in profile["columns"]}
    n = by["qty"]["number"]
    assert (n["min"], n["max"], n["median"], n["q1"], n["q3"]) == (42, 42, 42, 42, 42)
    assert n["mean"] == 42.0 and n["stddev"] is None  # sample deviation of one value: undefined
    assert n["histogram"] == [{"start": 42, "end": 42, "count": 1}]
    d = by["when"]["datetime"]
    assert d["min"] == d["max"] == "2024-02-03T04:05:06"
    assert sum(b["count"] for b in d["histogram"]) == 1
    assert by["name"]["string"]["topValues"] == [{"value": "Zoë 2", "count": 1}]
    assert by["name"]["string"]["topPatterns"] == [{"pattern": "aaa 9", "count": 1}]
    assert by["nothing"]["missing"] == 1 and by["nothing"]["distinct"]["approx"] == 0


def test_empty_dataset(spark: SparkSession) -> None:
    profile = profile_dataframe(typed_frame(spark, []))
    assert profile["rowCount"] == 0 and profile["columnCount"] == len(TYPES)
    assert profile["passes"] == 1 and profile["sample"] == {
        "rows": 0,
        "fraction": 1.0,
        "seed": ProfileSettings().sample_seed,
        "shareError": 0.0,
    }
    for col in profile["columns"]:
        assert (col["valid"], col["mismatched"], col["missing"]) == (0, 0, 0)
        assert col["distinct"]["approx"] == 0
    by = {c["name"]: c for c in profile["columns"]}
    assert by["price"]["number"]["min"] is None and by["price"]["number"]["histogram"] == []
    assert by["when"]["datetime"]["histogram"] == []
    assert by["name"]["string"]["topValues"] == []


def test_no_columns(spark: SparkSession) -> None:
    profile = profile_dataframe(spark.range(3).select())
    assert profile["columnCount"] == 0 and profile["columns"] == [] and profile["sparkJobs"] == 0


@pytest.mark.slow  # ~60-90 s on a quiet 2-core machine: code generation for 500 columns
def test_wide_dataset_500_columns(spark: SparkSession) -> None:
    """500 columns, alternating Integer and String, each checked against pandas."""
    width, rows = 500, 6
    data = [
        tuple(
            (r * 7 + c) % 11 if c % 2 else (None if (r + c) % 5 == 0 else f"v{(r + c) % 3}")
            for c in range(width)
        )
        for r in range(rows)
    ]
    schema = T.StructType(
        [T.StructField(f"c{c}", T.LongType() if c % 2 else T.StringType()) for c in range(width)]
    )
    df = spark.createDataFrame(data, schema)
    settings = ProfileSettings()
    profile = profile_dataframe(df, settings)
    assert profile["columnCount"] == width and profile["rowCount"] == rows
    assert profile["passes"] == 1 and profile["sparkJobs"] <= 2  # one aggregation
    pdf = pd.DataFrame(data, columns=[f"c{c}" for c in range(width)], dtype=object)
    for col in profile["columns"]:
        check_column(col, pdf[col["name"]], col["type"], settings)
    assert {c["type"] for c in profile["columns"]} == {"Integer", "String"}


def test_nan_and_infinity_stay_out_of_the_moments(spark: SparkSession) -> None:
    values = [1.0, float("nan"), float("inf"), 3.0, None]
    df = spark.createDataFrame([(v,) for v in values], "x double")
    col = profile_dataframe(df)["columns"][0]
    assert (col["valid"], col["mismatched"], col["missing"]) == (2, 2, 1)  # NaN, Infinity
    n = col["number"]
    assert (n["count"], n["min"], n["max"], n["mean"]) == (2, 1.0, 3.0, 2.0)


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="histogram_bins"):
        ProfileSettings(histogram_bins=0)


def test_dates_of_a_date_column_use_the_session_time_zone(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(datetime(2020, 5, 1),), (datetime(2023, 8, 9),)], "d timestamp"
    ).select(F.col("d").cast("date").alias("d"))
    col = profile_dataframe(df)["columns"][0]
    assert col["type"] == "Date" and col["kind"] == "datetime"
    d = col["datetime"]
    assert (d["min"], d["max"], d["period"]) == (
        "2020-05-01T00:00:00",
        "2023-08-09T00:00:00",
        "month",
    )
    assert sum(b["count"] for b in d["histogram"]) == 2 and len(d["histogram"]) == 40


def test_sampled_statistics_and_exact_counts(spark: SparkSession) -> None:
    """Above sample_rows, histograms and top lists come from a uniform sample of that many rows
    (with its stated error); the counts and moments stay exact over every row."""
    rows = mixed_rows(2000, seed=11)
    settings = ProfileSettings(sample_rows=300)
    df = typed_frame(spark, rows).repartition(3)
    profile = profile_dataframe(df, settings)
    again = profile_dataframe(df, settings)
    pdf = pandas_frame(rows)
    sample = profile["sample"]
    assert sample["rows"] == 300 and sample["fraction"] == pytest.approx(300 / 2000)
    # 99% bound on any share estimated from 300 of 2000 rows
    assert sample["shareError"] == pytest.approx(2.576 * 0.5 * math.sqrt((1 - 0.15) / 300))
    assert profile["rowCount"] == 2000
    for col in profile["columns"]:
        wtype = TYPES[col["name"]]
        classes = classify_series(pdf[col["name"]], wtype)
        assert (col["valid"], col["mismatched"], col["missing"]) == (
            int((classes == 0).sum()),
            int((classes == 1).sum()),
            int((classes == 2).sum()),
        )
        if wtype in ("Integer", "Decimal"):
            valid = pdf[col["name"]][classes == 0].astype(float)
            n = col["number"]
            assert n["count"] == len(valid)
            assert close(n["min"], valid.min()) and close(n["max"], valid.max())
            assert close(n["mean"], valid.mean()) and close(n["stddev"], valid.std())
            in_sample = sum(b["count"] for b in n["histogram"])
            assert 0 < in_sample == n["sampleCount"] < len(valid)
            shares = [b["count"] / in_sample for b in n["histogram"]]
            bins = number_expectation(valid, wtype == "Integer", settings.histogram_bins)
            for share, (_, exact) in zip(shares, bins["histogram"], strict=True):
                assert abs(share - exact / len(valid)) <= sample["shareError"]
            assert n["min"] <= n["q1"] <= n["median"] <= n["q3"] <= n["max"]
        elif wtype == "String" and col["string"]["topValues"]:
            full = pdf[col["name"]][classes != 2].astype(str).value_counts()
            for top in col["string"]["topValues"]:
                assert 0 < top["count"] <= full[top["value"]]
    # a fixed seed: the same sample, the same profile
    assert again["columns"] == profile["columns"] and again["sample"] == sample


def test_a_text_that_is_not_utf8_fails_the_profile_clearly(spark: SparkSession) -> None:
    """The byte 0xFF separates the aggregate's texts; a text holding it cannot be read."""
    df = spark.createDataFrame([(bytearray(b"a\xffb"),), (bytearray(b"ok"),)], "b binary")
    with pytest.raises(SparkJobsError, match=r"cannot read 1 row\(s\).*0xFF"):
        profile_dataframe(df.select(F.col("b").cast("string").alias("s")))
