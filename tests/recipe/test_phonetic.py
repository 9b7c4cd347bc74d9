"""DOUBLEMETAPHONE / DOUBLEMETAPHONEEQUALS (functions/phonetic.py): the pairs of the reference's
"EXAMPLE - Double Metaphone Functions" (its notes say which match), thresholds, missing values
and a bad threshold."""

from __future__ import annotations

import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.errors import RecipeError
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe


def _no_datasets(ref: DatasetReference) -> DataFrame:
    raise KeyError(ref)


def run(df: DataFrame, steps: list[str]) -> DataFrame:
    return apply_recipe(df, parse_recipe(steps), resolve=_no_datasets, dataset="test")


# (string1, string2, match?) with the example's note
PAIRS = [
    ("My String", "my string", True),  # comparison is case-insensitive
    ("judge", "juge", True),  # typo
    ("knock", "nock", True),  # silent letters
    ("white", "wite", True),  # missing letters
    ("pair", "pear", True),  # these match but are different words
    ("bookkeeper", "book keeper", False),  # spaces cause failures in comparison
    ("test1", "test123", True),  # digits are not compared
    ("the end.", "the end….", True),  # punctuation differences do not matter
    ("a elephant", "an elephant", False),  # a and an are treated differently
]


def test_example_double_metaphone_functions(spark: SparkSession) -> None:
    df = spark.createDataFrame([(a, b) for a, b, _ in PAIRS], "string1 string, string2 string")
    out = run(
        df,
        [
            "derive type: single value: DOUBLEMETAPHONE(string1) as: 'dblmeta_s1'",
            "derive type: single value: DOUBLEMETAPHONEEQUALS(string1, string2) as: 'eq'",
        ],
    )
    got = [(r["string1"], r["eq"]) for r in out.collect()]
    assert got == [(a, match) for a, _, match in PAIRS]
    assert out.collect()[0]["dblmeta_s1"] == '["MSTRNK","MSTRNK"]'


def test_thresholds_and_missing_values(spark: SparkSession) -> None:
    # white: AT / AT, wite: AT / FT; Smith: SM0 / XMT, Schmidt: XMT / SMT
    df = spark.createDataFrame(
        [("white", "wite"), ("Smith", "Schmidt"), (None, "x"), ("", "")], "a string, b string"
    )
    out = run(
        df,
        [
            "derive value: doublemetaphoneequals(a, b, 'strong') as: 'strong'",
            "derive value: doublemetaphoneequals(a, b) as: 'normal'",
            "derive value: doublemetaphoneequals(a, b, 'weak') as: 'weak'",
            "derive value: doublemetaphone(a) as: 'codes'",
        ],
    )
    rows = [(r["strong"], r["normal"], r["weak"], r["codes"]) for r in out.collect()]
    assert rows == [
        (True, True, False, '["AT","AT"]'),
        (False, True, False, '["SM0","XMT"]'),
        (None, None, None, None),
        (None, None, None, None),  # empty text is missing
    ]


def test_bad_threshold_names_the_step(spark: SparkSession) -> None:
    df = spark.createDataFrame([("a", "b")], "a string, b string")
    with pytest.raises(RecipeError) as info:
        run(df, ["derive value: doublemetaphoneequals(a, b, 'loose') as: 'x'"])
    assert "match threshold" in str(info.value) and "step 1" in str(info.value)
