"""Transforms the flow packages' task types convert to (see docs/import.md): select,
convertpattern, extractbetweendelimiters, extractpatterns type: custom, splitrows with a
backslash quote escape; and pattern capture groups / date parts: examples, nulls, bad steps."""

from __future__ import annotations

import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.errors import RecipeError
from spark_jobs.metadata_columns import FILEPATH
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe
from spark_jobs.recipe.patterns import PatternError, pattern_to_regex


def _no_datasets(ref: DatasetReference) -> DataFrame:
    raise KeyError(ref)


def run(df: DataFrame, steps: list[str]) -> DataFrame:
    return apply_recipe(df, parse_recipe(steps), resolve=_no_datasets, dataset="test")


def test_pattern_groups_and_date_parts() -> None:
    assert pattern_to_regex("({digit}{3})-x") == "([0-9]{3})\\-x"
    assert pattern_to_regex("\\(({digit})\\)") == "\\(([0-9])\\)"
    # {mm} is the month, {MM} the minutes: case matters for date parts only
    assert pattern_to_regex("{mm}") == "(?:0[1-9]|1[0-2])"
    assert pattern_to_regex("{MM}") == "[0-5][0-9]"
    assert pattern_to_regex("{Digit}") == "[0-9]"
    with pytest.raises(PatternError, match="never closed"):
        pattern_to_regex("({digit}")
    with pytest.raises(PatternError, match="closes no group"):
        pattern_to_regex("{digit})")


def test_convertpattern_first_matching_case_wins(spark: SparkSession) -> None:
    values = ["2019-03-07 4:05:09", "2019-Feb-17 14:05:09", "2019-03-07 14:05:09", "x", None]
    df = spark.createDataFrame([(v,) for v in values], "t string")
    steps = [
        "convertpattern col: t cases: "
        "[`({yyyy})-({mm})-({dd}) ({digit}):({MM}):({SS})`,'$1-$2-$3 0$4:$5:$6'],"
        "[`({yyyy})-Feb-({dd}) ({HH}):({MM}):({SS})`,'$1-02-$2 $3:$4:$5'] "
        "before: `{end}` after: `{start}`"
    ]
    got = [r["t"] for r in run(df, steps).collect()]
    assert got == [
        "2019-03-07 04:05:09",
        "2019-02-17 14:05:09",
        "2019-03-07 14:05:09",  # no case matches (a two-digit hour): kept
        "x",
        None,
    ]


def test_convertpattern_without_bounds_replaces_the_first_match(spark: SparkSession) -> None:
    df = spark.createDataFrame([("call 415-555 or 212-555",)], "p string")
    out = run(df, ["convertpattern col: p cases: [`({digit}{3})-({digit}{3})`,'($1) $2']"])
    assert out.first()["p"] == "call (415) 555 or 212-555"


def test_convertpattern_bad_case(spark: SparkSession) -> None:
    df = spark.createDataFrame([("a",)], "p string")
    with pytest.raises(RecipeError, match=r"\[pattern, 'replacement'\]"):
        run(df, ["convertpattern col: p cases: [`{digit}`]"]).schema  # noqa: B018


def test_extractbetweendelimiters(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("a", "x <12/7> y"), ("b", "no delimiters"), ("c", None)], "id string, column2 string"
    )
    out = run(df, ["extractbetweendelimiters col: column2 start: `<` end: `/`"])
    # named as the platform names it (a split of column2 -> column1), right of the source
    assert out.columns == ["id", "column2", "column1"]
    assert [r["column1"] for r in out.collect()] == ["12", None, None]
    named = run(df, ["extractbetweendelimiters col: column2 start: `<` end: `/` as: 'n'"])
    assert named.first()["n"] == "12"
    with pytest.raises(RecipeError, match="already has a column 'id'"):
        run(df, ["extractbetweendelimiters col: column2 start: `<` end: `/` as: 'id'"])


def test_extractpatterns_custom(spark: SparkSession) -> None:
    df = spark.createDataFrame([("/ad/12-345/x",), ("/AD/none",), (None,)], "url string")
    out = run(df, ["extractpatterns type: custom col: url on: `{digit}+-{digit}+` as: 'url1'"])
    assert [r["url1"] for r in out.collect()] == ["12-345", None, None]
    default = run(df, ["extractpatterns type: custom col: url on: `ad`"])
    assert default.columns == ["url", "url1"]
    case = run(df, ["extractpatterns type: custom col: url on: `ad` ignoreCase: true"])
    assert [r["url1"] for r in case.collect()] == ["ad", "AD", None]
    with pytest.raises(RecipeError, match="type: custom needs on:"):
        run(df, ["extractpatterns type: custom col: url"])
    with pytest.raises(RecipeError, match="on: goes with type: custom"):
        run(df, ["extractpatterns type: url col: url on: `ad`"])


def test_select_keeps_the_named_values(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("r1", "ok", 3, "file:/a.csv")],
        f"description string, status string, n int, {FILEPATH} string",
    )
    out = run(
        df,
        [
            "select values: [$filepath,'source'],[status,'rule_status'],[n * 2,'twice']",
            "derive type: single value: $filepath as: 'again'",
        ],
    )
    assert out.columns == ["source", "rule_status", "twice", FILEPATH, "again"]
    row = out.first()
    assert (row["source"], row["rule_status"], row["twice"], row["again"]) == (
        "file:/a.csv",
        "ok",
        6,
        "file:/a.csv",
    )
    with pytest.raises(RecipeError, match="names 'A' twice"):
        run(df, ["select values: [status,'a'],[n,'A']"])
    with pytest.raises(RecipeError, match="unknown column 'nope'"):
        run(df, ["select values: [nope,'a']"])


def test_splitrows_with_a_backslash_quote_escape(spark: SparkSession) -> None:
    text = '{"t": "a \\" b\nc"}\n{"t": "d"}'
    df = spark.createDataFrame([(text,)], "column1 string")
    out = run(df, ["splitrows col: column1 on: '\\n' quote: '\\\"' quoteEscapeChar: '\\\\'"])
    assert [r["column1"] for r in out.collect()] == ['{"t": "a \\" b\nc"}', '{"t": "d"}']
    with pytest.raises(RecipeError, match="goes with quote:"):
        run(df, ["splitrows col: column1 on: '\\n' quoteEscapeChar: '\\\\'"])
