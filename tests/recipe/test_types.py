"""The Wrangle type system: classification, inference on import, physical typing."""

from __future__ import annotations

import datetime as dt

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs.recipe.types import (
    INTEGER,
    METADATA_KEY,
    MISMATCHED,
    MISSING,
    VALID,
    WrangleType,
    classify,
    column_type,
    infer_types,
    to_physical,
    with_type,
)

# (type, value, expected class)
CASES: list[tuple[str, str | None, int]] = [
    ("String", "anything", VALID),
    ("String", "", MISSING),
    ("String", None, MISSING),
    ("Integer", "42", VALID),
    ("Integer", "-7", VALID),
    ("Integer", "+7", VALID),
    ("Integer", "4.2", MISMATCHED),
    ("Integer", "99999999999999999999", MISMATCHED),  # beyond 64 bits
    ("Integer", "abc", MISMATCHED),
    ("Integer", "", MISSING),
    ("Decimal", "4.2", VALID),
    ("Decimal", "42", VALID),
    ("Decimal", ".5", VALID),
    ("Decimal", "1e10", VALID),
    ("Decimal", "NaN", MISMATCHED),
    ("Decimal", "1,5", MISMATCHED),
    ("Boolean", "true", VALID),
    ("Boolean", "FALSE", VALID),
    ("Boolean", "Yes", VALID),
    ("Boolean", "n", VALID),
    ("Boolean", "off", VALID),
    ("Boolean", "0", VALID),
    ("Boolean", "maybe", MISMATCHED),
    ("Datetime", "2024-01-03", VALID),
    ("Datetime", "2024-01-03 10:11:12", VALID),
    ("Datetime", "2024-01-03T10:11:12", VALID),
    ("Datetime", "12/31/2021", VALID),
    ("Datetime", "2024-13-45", MISMATCHED),
    ("Datetime", "yesterday", MISMATCHED),
    ("Array", "[1, 2, 3]", VALID),
    ("Array", "1, 2", MISMATCHED),
    ("Object", '{"a": 1}', VALID),
    ("Object", "a=1", MISMATCHED),
    ("Email", "ada@example.com", VALID),
    ("Email", "ada.lovelace+x@mail.example.co.uk", VALID),
    ("Email", "ada@", MISMATCHED),
    ("URL", "https://example.com/a?b=c", VALID),
    ("URL", "www.example.com", VALID),
    ("URL", "example", MISMATCHED),
    ("IP Address", "192.168.0.1", VALID),
    ("IP Address", "256.1.1.1", MISMATCHED),
    ("Zip Code", "94105", VALID),
    ("Zip Code", "94105-1234", VALID),
    ("Zip Code", "9410", MISMATCHED),
    ("State", "CA", VALID),
    ("State", "new york", VALID),
    ("State", "ZZ", MISMATCHED),
    ("Phone Number", "(415) 555-0100", VALID),
    ("Phone Number", "+1 415 555 0100", VALID),
    ("Phone Number", "555-01", MISMATCHED),
    ("Social Security Number", "123-45-6789", VALID),
    ("Social Security Number", "000-45-6789", MISMATCHED),
    ("Credit Card", "4111 1111 1111 1111", VALID),
    ("Credit Card", "5500-0000-0000-0004", VALID),
    ("Credit Card", "1234 5678", MISMATCHED),
    ("Gender", "Female", VALID),
    ("Gender", "m", VALID),
    ("Gender", "x", MISMATCHED),
]


def test_classify_every_type(spark: SparkSession) -> None:
    rows = [(i, value) for i, (_, value, _) in enumerate(CASES)]
    df = spark.createDataFrame(rows, "i int, v string")
    exprs = [
        classify(F.col("v"), WrangleType.parse(name)).alias(f"c{i}")
        for i, (name, _, _) in enumerate(CASES)
    ]
    got = {r["i"]: r for r in df.select("i", *exprs).collect()}
    wrong = [
        (name, value, got[i][f"c{i}"], expected)
        for i, (name, value, expected) in enumerate(CASES)
        if got[i][f"c{i}"] != expected
    ]
    assert not wrong, wrong
    assert df.select(exprs[3]).schema.fields[0].dataType == T.IntegerType()


def test_classify_typed_columns(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(1, 2.5, True, dt.datetime(2024, 1, 2, 3, 4, 5), [1, 2]), (None, None, None, None, None)],
        "i long, d double, b boolean, t timestamp, a array<int>",
    )
    out = df.select(
        *[classify(F.col(f.name), column_type(f)).alias(f.name) for f in df.schema.fields]
    ).collect()
    assert list(out[0]) == [VALID] * 5
    assert list(out[1]) == [MISSING] * 5
    assert [column_type(f).name for f in df.schema.fields] == [
        "Integer",
        "Decimal",
        "Boolean",
        "Datetime",
        "Array",
    ]


def test_parse_type_names() -> None:
    assert WrangleType.parse("integer") == INTEGER
    assert WrangleType.parse("Phone Number").name == "Phone Number"
    assert WrangleType.parse("ssn").name == "Social Security Number"
    assert WrangleType.parse("IPAddress").is_semantic
    with pytest.raises(KeyError):
        WrangleType.parse("Intger")


def test_infer_types_from_the_data(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [
            ("1", "1.5", "true", "2024-01-03", "a@b.com", "Ada", "1"),
            ("2", "2", "no", "2024-01-04 10:00:00", "c@d.org", "Bob", "x"),
            ("", "3.25", "yes", "12/31/2021", "", "Cy", "y"),
            (None, "-4", "F", "2024-02-01", "e@f.net", "", "z"),
        ],
        "a string, b string, c string, d string, e string, f string, g string",
    )
    typed = infer_types(df)
    assert [column_type(f).name for f in typed.schema.fields] == [
        "Integer",
        "Decimal",
        "Boolean",
        "Datetime",
        "Email",
        "String",
        "String",
    ]
    # values are kept as imported
    assert typed.collect() == df.collect()
    assert typed.schema["a"].metadata == {METADATA_KEY: {"type": "Integer"}}


def test_infer_types_keeps_hidden_and_typed_columns(spark: SparkSession) -> None:
    df = spark.createDataFrame([("1", 2, "3")], "a string, b int, __sj_sourcerownumber string")
    typed = infer_types(df)
    assert typed.schema["b"].dataType == T.IntegerType()
    assert typed.schema["__sj_sourcerownumber"].metadata == {}
    assert column_type(typed.schema["a"]) == INTEGER


def test_to_physical_types_the_columns(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("1", "1.5", "yes", "2024-01-03 10:11:12", "x"), ("oops", "", "maybe", "never", "y")],
        "a string, b string, c string, d string, e string",
    )
    for name, wtype in [("a", "Integer"), ("b", "Decimal"), ("c", "Boolean"), ("d", "Datetime")]:
        df = with_type(df, name, WrangleType.parse(wtype))
    physical = to_physical(df)
    assert [f.dataType for f in physical.schema.fields] == [
        T.LongType(),
        T.DoubleType(),
        T.BooleanType(),
        T.TimestampType(),
        T.StringType(),
    ]
    rows = physical.collect()
    assert tuple(rows[0]) == (1, 1.5, True, dt.datetime(2024, 1, 3, 10, 11, 12), "x")
    assert tuple(rows[1]) == (None, None, None, None, "y")


def test_settype_of_a_typed_column_keeps_the_text(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1.5,), (None,)], "x double")
    out = with_type(df, "x", WrangleType.parse("String"))
    assert out.schema["x"].dataType == T.StringType()
    assert [r.x for r in out.collect()] == ["1.5", None]
    assert column_type(out.schema["x"]).name == "String"
