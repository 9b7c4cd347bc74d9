"""extract's from: / to: (bounds kept in the match, unlike after: / before:) and quote: (a match
inside quotes does not count): the reference's syntax, nulls, unicode, bad steps."""

from __future__ import annotations

import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.errors import RecipeError
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe


def _no_datasets(ref: DatasetReference) -> DataFrame:
    raise KeyError(ref)


def run(df: DataFrame, steps: list[str]) -> DataFrame:
    return apply_recipe(df, parse_recipe(steps), resolve=_no_datasets, dataset="test")


@pytest.fixture(scope="module")
def texts(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            ("1", "id: <A-12> ok"),
            ("2", 'n 12 "34" 56'),
            ("3", "ünï <Ö-7>"),
            ("4", ""),
            ("5", None),
        ],
        "id string, t string",
    )


def test_extract_from_to(texts: DataFrame) -> None:
    out = run(
        texts,
        [
            "extract col: t from: '<' to: '>' as: 'both'",
            "extract col: t after: '<' to: '>' as: 'right'",
            "extract col: t from: '<' before: '>' as: 'left'",
            "extract col: t after: '<' before: '>' as: 'none'",
            "extract col: t from: '<' on: `{upper}` as: 'letter'",
        ],
    )
    got = {r["id"]: r.asDict() for r in out.collect()}
    assert got["1"]["both"] == "<A-12>" and got["1"]["right"] == "A-12>"
    assert got["1"]["left"] == "<A-12" and got["1"]["none"] == "A-12"
    assert got["1"]["letter"] == "<A"
    assert got["3"]["both"] == "<Ö-7>" and got["3"]["none"] == "Ö-7"
    for key in ("2", "4", "5"):
        assert got[key]["both"] is None and got[key]["none"] is None


def test_extract_quote(texts: DataFrame) -> None:
    out = run(texts, ["extract col: t on: `{digit}+` limit: 3 quote: '\"'"])
    got = {r["id"]: (r["t1"], r["t2"], r["t3"]) for r in out.collect()}
    assert got["2"] == ("12", "56", None)  # 34 is quoted
    assert got["1"] == ("12", None, None) and got["5"] == (None, None, None)
    plain = run(texts, ["extract col: t on: `{digit}+` limit: 3"])
    assert {r["id"]: r["t2"] for r in plain.collect()}["2"] == "34"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("extract col: t after: '<' from: '<'", "do not go together"),
        ("extract col: t before: '>' to: '>'", "do not go together"),
        ("extract col: t limit: 2", "needs on:, after:, before:, from: or to:"),
        ("extract col: t on: 'x' quote: 3", "quoted, non-empty"),
        ("extract col: t from: /(/", "bad regular expression"),
    ],
)
def test_extract_bound_errors(texts: DataFrame, step: str, message: str) -> None:
    with pytest.raises(RecipeError) as err:
        run(texts, ["derive value: id as: 'copy'", step])
    text = str(err.value)
    assert message in text and "step 2" in text, text
