"""One definition of the type rules: the profile's JVM classifier (jvm/profile, ``ColumnRule``)
and the recipe engine's ``recipe.types.classify`` give every value the same class, and the same
parsed value (number, or epoch microseconds) to every valid one."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from spark_jobs.profile.aggregate import _aggregator_class
from spark_jobs.recipe.types import (
    DEFAULT_DATETIME_FORMATS,
    VALID,
    WrangleType,
    classify,
    known_type_names,
    parsed_value,
    rule_definition,
)

EDGES = [
    None,
    "",
    " ",
    "0",
    "-0",
    "+0",
    "007",
    "+12",
    "-12",
    "12 ",
    " 12",
    "12\n",
    "12\r\n",
    "12\r",
    "12\u0085",
    "12\u2028",
    "12\u2029",
    "\n12",
    "1e5",
    "1E-5",
    "1.",
    ".5",
    "-.5",
    "+.5e3",
    ".",
    "-",
    "+",
    "1.2.3",
    "1,5",
    "1_000",
    "0x1F",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1d",
    "1f",
    "1.5\n",
    "١٢٣",
    "１２",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "123456789012345678",
    "1234567890123456789",
    "99999999999999999999999",
    "1e309",
    "-1e309",
    "4.9e-324",
    "1e-400",
    "0.1",
    "0.30000000000000004",
    "123456789012345.6",
    "1234567890123456.7",
    "3.141592653589793238",
    "true",
    "FALSE",
    "t",
    "Yes",
    "no",
    "on",
    "OFF",
    "1",
    "y",
    "N",
    "[1, 2]",
    "[]",
    "{}",
    '{"a": 1}',
    "[\n]",
    "a@b.co",
    "x.y+z@host-1.example.org",
    "bad@",
    "http://x.org/a?b",
    "www.example.com",
    "ftp://h",
    "192.168.0.1",
    "256.1.1.1",
    "01.2.3.4",
    "12345",
    "12345-6789",
    "1234",
    "CA",
    "ny",
    "New York",
    "north dakota",
    "(212) 555-1234",
    "+1 212 555 1234",
    "112-555-1234",
    "123-45-6789",
    "000-12-3456",
    "666-12-3456",
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "5500000000000004",
    "378282246310005",
    "male",
    "F",
    "Women",
    "2020-01-05",
    "2020-1-5",
    "2020-02-29",
    "2021-02-29",
    "2020-13-01",
    "2020-00-10",
    "2020-01-00",
    "0999-01-01",
    "1000-01-01",
    "9999-12-31",
    "2020-01-05 10:11:12",
    "2020-01-05T10:11:12",
    "2020-01-05 24:00:00",
    "2020-01-05 23:59:60",
    "2020-01-05 10:11",
    "2020-01-05T10:11:12Z",
    "2020-01-05T10:11:12+02:00",
    "2020-01-05T10:11:12.345",
    "2020-01-05 10:11:12.345",
    "2020-01-05\n",
    "2020/01/05",
    "2020/01/05 10:11:12",
    "1/5/2020",
    "01/05/2020",
    "1/5/20",
    "5-1-2020",
    "Jan 5, 2020",
    "January 5, 2020",
    "5 Jan 2020",
    "20200105",
    "2020-01-05 ",
    " 2020-01-05",
    "2020-01-05 10:11:12.123456",
    "Zoë",
    "Ω mega",
    "05.01.2020 10:11",
    "31.02.2020 10:11",
    "5.1.2020 10:11",
    "😀",
    "a\tb",
    "\x00",
]


def random_texts(rng: random.Random, n: int) -> list[str]:
    alphabet = "0123456789+-.eE :/T,aZ\n\u00e9\u0663\uff11"
    out = []
    for _ in range(n):
        k = rng.randint(1, 14)
        out.append("".join(rng.choice(alphabet) for _ in range(k)))
        out.append(str(rng.randint(-(10**20), 10**20)))
        out.append(repr(rng.uniform(-1e6, 1e6)))
    return out


def datetime_texts(spark: SparkSession, rng: random.Random) -> list[str]:
    """Every default format applied to random date-times (Spark's own formatter writes them)."""
    start = datetime(1990, 1, 1)
    moments = [start + timedelta(seconds=rng.randint(0, 40 * 365 * 86400)) for _ in range(25)]
    df = spark.createDataFrame([(m,) for m in moments], "t timestamp")
    formats = [F.date_format("t", f).alias(f"f{i}") for i, f in enumerate(DEFAULT_DATETIME_FORMATS)]
    return [v for row in df.select(*formats).collect() for v in row]


TYPES = [WrangleType(name) for name in known_type_names()] + [
    WrangleType("Datetime", ("dd.MM.yyyy HH:mm",)),
    WrangleType("Date", ("yyyy-MM-dd",)),
    WrangleType("Datetime", ("yyyy-MM-dd'T'HH:mm:ss", "M/d/yyyy")),
]


def jvm_classes(spark: SparkSession, wtype: WrangleType, texts: list[str | None]) -> list[str]:
    kind = "number" if wtype.name in ("Integer", "Decimal") else "datetime"
    if wtype.name not in ("Integer", "Decimal", "Datetime", "Date"):
        kind = "string"
    spec = {
        "timeZone": spark.conf.get("spark.sql.session.timeZone"),
        "hllLgK": 8,
        "sampleRows": 1,
        "seed": 1,
        "columns": [{"kind": kind, **rule_definition(wtype)}],
    }
    gateway = spark.sparkContext._gateway
    assert gateway is not None
    array = gateway.new_array(gateway.jvm.java.lang.String, len(texts))
    for i, text in enumerate(texts):
        array[i] = text
    rules = _aggregator_class(spark)  # the jar is there (else a clear error)
    assert rules is not None
    return list(gateway.jvm.sparkjobs.profile.TypeRules.classify(json.dumps(spec), array))


def spark_classes(spark: SparkSession, wtype: WrangleType, texts: list[str | None]) -> list[str]:
    df = spark.createDataFrame([(t,) for t in texts], "x string")
    x = F.col("x")
    parsed = parsed_value(x, wtype)
    if wtype.name in ("Integer", "Decimal"):
        value = parsed.cast("double").cast("string")  # type: ignore[union-attr]
    elif wtype.name == "Date":
        value = F.unix_micros(F.to_date(parsed).cast("timestamp")).cast("string")
    elif wtype.name == "Datetime":
        value = F.unix_micros(parsed).cast("string")  # type: ignore[arg-type]
    else:
        value = F.lit("")
    cls = classify(x, wtype)
    rows = df.select(cls.alias("c"), F.when(cls == VALID, value).alias("v")).collect()
    return [f"{r['c']}:{r['v'] or ''}" for r in rows]


def normalized(entry: str) -> tuple[int, float | None]:
    cls, _, value = entry.partition(":")
    return int(cls), (float(value) if value else None)


@pytest.mark.parametrize("wtype", TYPES, ids=lambda t: f"{t.name}{list(t.formats) or ''}")
def test_jvm_classifier_agrees_with_the_recipe_engine(
    spark: SparkSession, wtype: WrangleType
) -> None:
    rng = random.Random(21)
    texts: list[str | None] = [*EDGES, *random_texts(rng, 150), *datetime_texts(spark, rng)]
    jvm = [normalized(e) for e in jvm_classes(spark, wtype, texts)]
    engine = [normalized(e) for e in spark_classes(spark, wtype, texts)]
    differ = [(t, j, e) for t, j, e in zip(texts, jvm, engine, strict=True) if j != e]
    assert not differ, f"{wtype.name}: {differ[:10]}"
    reached = {c for c, _ in engine}
    assert reached == ({0, 2} if wtype.name == "String" else {0, 1, 2})  # every class reached
