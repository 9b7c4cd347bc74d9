"""spark_jobs.compat gives the same results on Spark 3.5 and Spark 4 (`make test-spark35` runs this
file on 3.5, `make test` on 4)."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_jobs.compat import try_cast, try_make_timestamp


def test_try_cast_gives_null_where_the_value_does_not_fit(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("42",), ("4.2",), ("abc",), ("99999999999999999999",), (None,)], "s string"
    )
    got = df.select(
        try_cast(F.col("s"), "bigint").alias("i"), try_cast(F.col("s"), "double").alias("d")
    )
    assert [tuple(r) for r in got.collect()] == [
        (42, 42.0),
        (None, 4.2),
        (None, None),
        (None, 1e20),
        (None, None),
    ]
    assert dict(got.dtypes) == {"i": "bigint", "d": "double"}


def test_try_make_timestamp_gives_null_for_impossible_parts(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(2024, 2, 29, 13, 5, 7.5), (2023, 2, 29, 0, 0, 0.0)],
        "y int, m int, d int, h int, mi int, s double",
    )
    parts = [F.col(c) for c in ("y", "m", "d", "h", "mi")] + [F.col("s").cast("decimal(16,6)")]
    got = [r[0] for r in df.select(try_make_timestamp(*parts)).collect()]
    assert got == [dt.datetime(2024, 2, 29, 13, 5, 7, 500000), None]


def test_json_text_reads_the_same_on_both_lines(spark: SparkSession) -> None:
    """Arrays and objects are read with from_json, not VARIANT (Spark 4 only): strings keep their
    quotes (``"1"`` is not ``1``), nested values their JSON text, keys their order; text that
    is no strict JSON array / object is null."""
    from spark_jobs.recipe.json_text import element_value, parse_array, parse_object

    df = spark.createDataFrame(
        [
            ('[1, "1", 2.50, true, null, "a\\"b", {"k": "x", "q\\"": "\\u0001"}, ["é", ":"]]',),
            ('{"b": "1", "a" : [1, "x"], "c": {"d": "e, f"}}',),
            ("['single quotes']",),
            ("[NaN]",),
            ("not json",),
            ("",),
            (None,),
        ],
        "s string",
    )
    got = df.select(
        parse_array(F.col("s")).alias("a"),
        parse_object(F.col("s")).alias("o"),
        F.map_keys(parse_object(F.col("s"))).alias("keys"),
        F.transform(parse_array(F.col("s")), element_value).alias("v"),
    ).collect()
    assert got[0].a == [
        "1",
        '"1"',
        "2.5",
        "true",
        "null",
        '"a\\"b"',
        '{"k":"x","q\\"":"\\u0001"}',
        '["é",":"]',
    ]
    assert got[0].v == ["1", "1", "2.5", "true", None, 'a"b', got[0].a[6], got[0].a[7]]
    assert got[1].a is None
    assert got[1].o == {"b": '"1"', "a": '[1,"x"]', "c": '{"d":"e, f"}'}
    assert got[1]["keys"] == ["b", "a", "c"]
    assert [r.a for r in got[2:]] == [None] * 5
    assert [r.o for r in got[2:]] == [None] * 5


def test_the_bench_header_names_the_delta_jar_of_the_running_spark_line() -> None:
    """bench/results.md labels the Delta jar the session factory loads for this Spark line
    (4.0.1 under pyspark 4.0, 3.3.3 under 3.5), not the first classpath file it finds."""
    from bench.__main__ import delta_jar_version
    from spark_jobs.io.delta import DELTA_RELEASES
    from spark_jobs.session import spark_line

    assert delta_jar_version() == DELTA_RELEASES[spark_line()][1]
    m2 = "/r/.jars/m2/io/delta"
    assert (
        delta_jar_version(
            [f"{m2}/delta-storage/3.3.3/delta-storage-3.3.3.jar", "/j/delta-spark_2.12-3.3.3.jar"]
        )
        == "3.3.3"
    )
    assert delta_jar_version([f"{m2}/delta-spark_2.13/4.0.1/delta-spark_2.13-4.0.1.jar"]) == "4.0.1"
    assert delta_jar_version(["/j/spark-avro_2.13-4.0.1.jar", "/j/delta-storage-4.0.1.jar"]) == (
        "absent"
    )
