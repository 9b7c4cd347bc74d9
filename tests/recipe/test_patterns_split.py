"""extractpatterns and splitpatterns (transforms/patterns_split.py), and split's delimiters: /
positions: / every: options: examples, nulls, empty and unicode values, bad steps."""

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
def logs(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            ("1", "see https://example.com/a?color=blue&shape=square now", "20240131"),
            ("2", "mail ann.lee@mail.example.org from 10.0.0.255 (x=-3.5)", "1999-12"),
            ("3", "", ""),
            ("4", None, None),
            ("5", "ünïcode www.ex.org?shape=ö&x=1 999.1.1.1", "ab"),
        ],
        "id string, msg string, code string",
    )


def test_extractpatterns(logs: DataFrame) -> None:
    out = run(
        logs,
        [
            "extractpatterns type: url col: msg",
            "extractpatterns type: email col: msg",
            "extractpatterns type: ipaddress col: msg as: 'ip'",
            "extractpatterns type: httpquerystrings col: msg queryfield: 'shape'",
            "extractpatterns type: number col: msg as: 'num'",
        ],
    )
    assert out.columns[:2] == ["id", "msg"]
    got = {r["id"]: r.asDict() for r in out.collect()}
    assert got["1"]["msg_url"] == "https://example.com/a?color=blue&shape=square"
    assert got["1"]["msg_httpquerystrings"] == "square"
    assert got["2"]["msg_email"] == "ann.lee@mail.example.org"
    assert got["2"]["ip"] == "10.0.0.255" and got["2"]["num"] == "10.0"
    assert got["1"]["msg_email"] is None and got["1"]["ip"] is None
    # 999.1.1.1 is no IP address; unicode query values are kept
    assert got["5"]["ip"] is None and got["5"]["msg_httpquerystrings"] == "ö"
    assert got["5"]["msg_url"] == "www.ex.org?shape=ö&x=1"
    for empty in ("3", "4"):
        assert got[empty]["msg_url"] is None and got[empty]["num"] is None


def test_splitpatterns_and_split_options(logs: DataFrame) -> None:
    out = run(
        logs.select("id", "code"),
        [
            "derive value: code as: 'd'",
            "derive value: code as: 'e'",
            "derive value: code as: 'p'",
            "splitpatterns col: code type: positions positions: 4, 6",
            "splitpatterns col: d type: delimiters delimiters: '-', '2'",
            "split col: e every: 3 limit: 2",
            "splitpatterns col: p type: on on: `{digit}` limit: 1",
        ],
    )
    order = ["code1", "code2", "code3", "d1", "d2", "d3", "e1", "e2", "e3", "p1", "p2"]
    assert out.columns[0] == "id" and sorted(out.columns[1:]) == order
    out = out.select("id", *order)
    got = {r["id"]: tuple(r)[1:] for r in out.collect()}
    assert got["1"] == (
        "2024",
        "01",
        "31",
        "20240131",
        None,
        None,
        "202",
        "401",
        "31",
        "",
        "0240131",
    )
    assert got["2"] == ("1999", "-1", "2", "1999", "1", "", "199", "9-1", "2", "", "999-12")
    assert got["5"] == ("ab", None, None, "ab", None, None, "ab", None, None, "ab", None)
    assert got["3"] == ("", None, None, "", None, None, "", None, None, "", None)
    assert got["4"] == (None,) * 11


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("extractpatterns type: phonebook col: msg", "unknown pattern type"),
        ("extractpatterns type: httpquerystrings col: msg", "needs queryfield"),
        ("extractpatterns type: url col: msg, code", "one column"),
        ("extractpatterns type: url col: nope", "unknown column"),
        ("splitpatterns col: code type: positions positions: 6, 4", "increasing"),
        ("splitpatterns col: code type: positions positions: 0", "at least 1"),
        ("splitpatterns col: code type: every every: 2", "needs limit"),
        ("splitpatterns col: code type: between", "unknown split type"),
        ("splitpatterns col: code type: delimiters", "needs delimiters"),
        ("split col: code positions: 'x'", "whole numbers"),
    ],
)
def test_pattern_transform_errors(logs: DataFrame, step: str, message: str) -> None:
    with pytest.raises(RecipeError) as err:
        run(logs, ["derive value: id as: 'copy'", step])
    text = str(err.value)
    assert message in text and "step 2" in text, text
