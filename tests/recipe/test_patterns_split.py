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
        ("splitpatterns col: code type: betwen", "unknown split type"),
        ("splitpatterns col: code type: delimiters", "needs delimiters"),
        ("split col: code positions: 'x'", "whole numbers"),
    ],
)
def test_pattern_transform_errors(logs: DataFrame, step: str, message: str) -> None:
    with pytest.raises(RecipeError) as err:
        run(logs, ["derive value: id as: 'copy'", step])
    text = str(err.value)
    assert message in text and "step 2" in text, text


# --- quote: and type: between ------------------------------------------------------------


@pytest.fixture(scope="module")
def quoted_csv(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            ("1", 'a,"b,c",d'),
            ("2", '"x, y",z'),
            ("3", "plain,text"),
            ("4", '"never closed, here'),
            ("5", ""),
            ("6", None),
            ("7", '"ü,ö",é'),
        ],
        "id string, v string",
    )


def test_split_quote_keeps_quoted_delimiters(quoted_csv: DataFrame) -> None:
    out = run(quoted_csv, ["split col: v on: ',' limit: 2 quote: '\"'"])
    assert out.columns == ["id", "v1", "v2", "v3"]
    got = {r["id"]: tuple(r)[1:] for r in out.collect()}
    assert got["1"] == ("a", '"b,c"', "d")
    assert got["2"] == ('"x, y"', "z", None)
    assert got["3"] == ("plain", "text", None)
    # an unmatched quote: a delimiter counts when an even number of quotes follows it
    assert got["4"] == ('"never closed', " here", None)
    assert got["5"] == ("", None, None) and got["6"] == (None, None, None)
    assert got["7"] == ('"ü,ö"', "é", None)
    # without quote: the quoted comma splits
    plain = {
        r["id"]: tuple(r)[1:] for r in run(quoted_csv, ["split col: v on: ',' limit: 2"]).collect()
    }
    assert plain["1"] == ("a", '"b', 'c",d')


def test_splitpatterns_on_quote_and_multichar_quote(spark: SparkSession) -> None:
    # the same text opens and closes a quoted stretch
    df = spark.createDataFrame([("1", "a|##b|c##|d")], "id string, v string")
    out = run(df, ["splitpatterns col: v type: on on: '|' limit: 3 quote: '##'"])
    assert tuple(out.collect()[0])[1:] == ("a", "##b|c##", "d", None)


def test_splitrows_quote(quoted_csv: DataFrame) -> None:
    out = run(quoted_csv, ["splitrows col: v on: ',' quote: '\"'"])
    got = sorted((r["id"], r["v"]) for r in out.collect() if r["id"] in ("1", "2", "6"))
    assert got == [("1", '"b,c"'), ("1", "a"), ("1", "d"), ("2", '"x, y"'), ("2", "z"), ("6", None)]


def test_split_quote_long_value(spark: SparkSession) -> None:
    # 20 000 quoted commas then one real delimiter: possessive matching, no stack overflow
    value = '"' + "x," * 20_000 + '"' + ";tail"
    df = spark.createDataFrame([(value,)], "v string")
    out = run(df, ["split col: v on: /[,;]/ limit: 1 quote: '\"'"])
    row = out.collect()[0]
    assert row["v1"] == '"' + "x," * 20_000 + '"' and row["v2"] == "tail"


def test_splitpatterns_between(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("1", "a[x]b[y]c"), ("2", "no brackets"), ("3", "[]"), ("4", None), ("5", "Ü[ö]")],
        "id string, v string",
    )
    out = run(df, ["splitpatterns col: v type: between start: '[' end: ']' limit: 2"])
    assert out.columns == ["id", "v1", "v2", "v3"]
    got = {r["id"]: tuple(r)[1:] for r in out.collect()}
    assert got["1"] == ("a", "b", "c")
    assert got["2"] == ("no brackets", None, None)
    assert got["3"] == ("", "", None)
    assert got["4"] == (None, None, None)
    assert got["5"] == ("Ü", "", None)


def test_extractpatterns_between(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("1", "id=<A1> and <B2>"), ("2", "none"), ("3", None), ("4", "<>"), ("5", "X<ünï>")],
        "id string, v string",
    )
    out = run(
        df,
        [
            "extractpatterns col: v type: between start: '<' end: '>'",
            "extractpatterns col: v type: between start: `{upper}<` end: '>' as: 'after_upper'",
            "extractpatterns col: v type: between start: 'ID=' end: ' ' ignorecase: true as: 'ci'",
        ],
    )
    # each new column right of the source
    assert out.columns == ["id", "v", "ci", "after_upper", "v_between"]
    got = {r["id"]: r.asDict() for r in out.collect()}
    assert got["1"]["v_between"] == "A1" and got["1"]["ci"] == "<A1>"
    assert got["2"]["v_between"] is None and got["3"]["v_between"] is None
    assert got["4"]["v_between"] == ""
    assert got["5"]["v_between"] == "ünï" and got["5"]["after_upper"] == "ünï"
    assert got["1"]["after_upper"] is None


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("splitpatterns col: msg type: between start: '['", "needs start: and end:"),
        ("splitpatterns col: msg type: on on: ',' start: '['", "goes with type: between"),
        ("splitpatterns col: msg type: positions positions: 2 quote: '\"'", "quote: goes with"),
        ("split col: msg on: ',' quote: ''", "non-empty"),
        ("split col: msg on: ',' quote: msg", "quoted, non-empty"),
        ("split col: msg positions: 2 quote: '\"'", "quote: goes with on:"),
        ("splitrows col: msg on: ',' quote: '\"' quoteescapechar: 'ab'", "one quoted character"),
        ("extractpatterns type: between col: msg end: '>'", "needs start: and end:"),
        ("extractpatterns type: url col: msg start: '<'", "goes with type: between"),
        ("extractpatterns type: between col: msg start: '<' end: /(/", "bad regular expression"),
    ],
)
def test_quote_and_between_errors(logs: DataFrame, step: str, message: str) -> None:
    with pytest.raises(RecipeError) as err:
        run(logs, ["derive value: id as: 'copy'", step])
    text = str(err.value)
    assert message in text and "step 2" in text, text
