"""comment, textformat, setcriteria and case (transforms/formatting.py): the reference's own
examples, nulls, empty strings, unicode, long values, and bad steps."""

from __future__ import annotations

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.errors import RecipeError
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe
from spark_jobs.recipe.ast import print_step
from spark_jobs.recipe.parser import parse_step


def _no_datasets(ref: DatasetReference) -> DataFrame:
    raise KeyError(ref)


def run(df: DataFrame, steps: list[str]) -> DataFrame:
    return apply_recipe(df, parse_recipe(steps), resolve=_no_datasets, dataset="test")


def _plan(df: DataFrame) -> str:
    return str(df._jdf.queryExecution().executedPlan().toString())


# --- comment -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("comment comment: 'This is a comment.'", "This is a comment."),
        ("comment: 'This is a comment.'", "This is a comment."),
        ("// This is a comment.", "This is a comment."),
        ("/* This is also a comment. */", "This is also a comment."),
        ("  // ünïcode, 'quotes' and \\ backslash", "ünïcode, 'quotes' and \\ backslash"),
        ("//", ""),
    ],
)
def test_comment_forms_parse_and_round_trip(text: str, note: str) -> None:
    step = parse_step(text)
    assert step.transform == "comment"
    param = step.param("comment")
    assert param is not None and param.values[0].value == note  # type: ignore[union-attr]
    printed = print_step(step)
    assert printed.startswith("comment comment: ")
    again = parse_step(printed)
    assert again == step and print_step(again) == printed


def test_comment_leaves_data_and_plan_alone(spark: SparkSession) -> None:
    df = spark.createDataFrame([("1", "a"), ("2", None)], "id string, v string")
    out = run(
        df,
        [
            "// clean up the names",
            "set col: v value: UPPER(v)",
            "comment comment: 'upper-cased above'",
            "/* end */",
        ],
    )
    assert_df_equality(out, run(df, ["set col: v value: UPPER(v)"]), ignore_row_order=True)
    # nothing of the comments is in the physical plan
    assert "upper-cased" not in _plan(out) and "clean up" not in _plan(out)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("comment comment: 3", "takes a quoted text"),
        ("comment comment: 'a', 'b'", "takes one value"),
        ("comment", "needs parameter 'comment'"),
        ("comment text: 'x'", "has no parameter 'text'"),
    ],
)
def test_comment_errors(spark: SparkSession, text: str, message: str) -> None:
    df = spark.createDataFrame([("1",)], "id string")
    with pytest.raises(RecipeError) as err:
        run(df, ["derive value: id as: 'copy'", text])
    assert message in str(err.value) and "step 2" in str(err.value), str(err.value)


# --- textformat ----------------------------------------------------------------------------

# The reference's string clean-up example (TRIM / REMOVEWHITESPACE / REMOVESYMBOLS sources) plus
# quotes, nulls, empty strings and unicode.
SOURCES = [
    ("1", "this source  "),
    ("2", "\t\tthis source"),
    ("3", "\t\tthis source  "),
    ("4", "this source's?"),
    ("5", "Why, you @#$%^&*()!"),
    ("6", "this söurce"),
    ("7", " this söurce"),
    ("8", "à mañana"),
    ("9", '"quoted"'),
    ("10", "'it''s'"),
    ("11", ""),
    ("12", None),
]


@pytest.fixture(scope="module")
def sources(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(SOURCES, "id string, source string")


def _formatted(df: DataFrame, step: str) -> dict[str, str | None]:
    out = run(df, [step])
    assert out.columns == df.columns  # formatted in place
    return {r["id"]: r["source"] for r in out.collect()}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "trimwhitespace",
            {"1": "this source", "2": "this source", "3": "this source", "7": "this söurce"},
        ),
        (
            "removewhitespace",
            {"1": "thissource", "3": "thissource", "8": "àmañana", "5": "Why,you@#$%^&*()!"},
        ),
        (
            "removesymbols",
            {"4": "this sources", "5": "Why you ", "6": "this söurce", "8": "à mañana"},
        ),
        ("trimquotes", {"9": "quoted", "10": "it''s", "4": "this source's?"}),
        ("uppercase", {"6": "THIS SÖURCE", "8": "À MAÑANA"}),
        ("lowercase", {"5": "why, you @#$%^&*()!"}),
        ("propercase", {"8": "À Mañana", "4": "This Source's?"}),
    ],
)
def test_textformat_types(sources: DataFrame, kind: str, expected: dict[str, str]) -> None:
    got = _formatted(sources, f"textformat col: source type: {kind}")
    for key, value in expected.items():
        assert got[key] == value, (key, got[key])
    assert got["12"] is None and got["11"] == ""


def test_textformat_prefix_suffix_padding(sources: DataFrame) -> None:
    got = _formatted(sources, "textformat col: source type: addprefix prefix: '» '")
    assert got["8"] == "» à mañana" and got["11"] == "» " and got["12"] is None
    got = _formatted(sources, "textformat col: source type: addsuffix suffix: 42")
    assert got["6"] == "this söurce42"
    got = _formatted(sources, "textformat col: source type: padleft length: 12 char: '0'")
    assert got["8"] == "0000à mañana" and got["11"] == "000000000000"
    assert got["5"] == "Why, you @#$%^&*()!"  # longer than 12: kept whole, never cut
    got = _formatted(sources, "textformat col: source type: padright length: 10")
    assert got["8"] == "à mañana  " and got["12"] is None


def test_textformat_several_columns_reference_recipe(spark: SparkSession) -> None:
    # a published World Bank recipe: `textformat col: column2,column3,column4,column5 type: trimquotes`
    df = spark.createDataFrame(
        [('"Aruba"', '"ABW"', '"1960"', "x")],
        "column2 string, column3 string, column4 string, c5 string",
    )
    out = run(df, ["textformat col: column2,column3,column4 type: trimquotes"])
    assert out.collect()[0].asDict() == {
        "column2": "Aruba",
        "column3": "ABW",
        "column4": "1960",
        "c5": "x",
    }
    assert "BatchEvalPython" not in _plan(out) and "ArrowEvalPython" not in _plan(out)


def test_textformat_keeps_type_metadata_and_long_values(spark: SparkSession) -> None:
    long = "  " + "ab c" * 50_000 + "  "
    df = spark.createDataFrame([(long, "7")], "t string, n string")
    out = run(
        df,
        [
            "settype col: n type: Integer",
            "textformat col: t, n type: trimwhitespace",
            "textformat col: t type: removewhitespace",
        ],
    )
    row = out.collect()[0]
    assert row["t"] == "abc" * 50_000 and row["n"] == "7"
    assert (
        out.schema["n"].metadata == run(df, ["settype col: n type: Integer"]).schema["n"].metadata
    )


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("textformat col: source type: trimwhitspace", "unknown textformat type"),
        ("textformat col: source type: addprefix", "needs prefix:"),
        ("textformat col: source type: uppercase prefix: 'x'", "does not go with type: uppercase"),
        ("textformat col: source type: addprefix prefix: source", "takes a quoted text"),
        ("textformat col: source type: padleft length: 0", "at least 1"),
        ("textformat col: source type: padleft length: 'x'", "whole number"),
        ("textformat col: source type: padleft length: 3 char: 'ab'", "exactly one character"),
        ("textformat col: sorce type: uppercase", "unknown column"),
        ("textformat col: source", "needs parameter 'type'"),
        ("textformat col: source type: uppercase on: 'x'", "has no parameter 'on'"),
    ],
)
def test_textformat_errors(sources: DataFrame, step: str, message: str) -> None:
    with pytest.raises(RecipeError) as err:
        run(sources, ["derive value: id as: 'copy'", step])
    text = str(err.value)
    assert message in text and "step 2" in text, text
    assert "Traceback" not in text


def test_textformat_suggests_the_type(sources: DataFrame) -> None:
    with pytest.raises(RecipeError) as err:
        run(sources, ["textformat col: source type: uppercse"])
    assert "uppercase" in str(err.value)


# --- setcriteria ---------------------------------------------------------------------------


def test_setcriteria_passes_data_through(spark: SparkSession) -> None:
    df = spark.createDataFrame([("1", 5), ("2", None)], "id string, q int")
    out = run(df, ["setcriteria col: q row: q > 3", "setcriteria"])
    assert_df_equality(out, df, ignore_row_order=True)
    step = parse_step("setcriteria col: q row: q > 3")
    assert parse_step(print_step(step)) == step
    with pytest.raises(RecipeError) as err:
        run(df, ["setcriteria row: nope > 3"])
    assert "unknown column 'nope'" in str(err.value)


# --- case ----------------------------------------------------------------------------------


def test_case_if_then_else_reference_example(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("a", 75), ("b", 60), ("c", 59), ("d", None)], "n string, testScore int"
    )
    out = run(df, ["case if: testScore >= 60 then: 'yes' else: 'no' as: 'passedTest'"])
    assert out.columns == ["n", "testScore", "passedTest"]
    got = {r["n"]: r["passedTest"] for r in out.collect()}
    # a missing score is no comparison that holds: else
    assert got == {"a": "yes", "b": "yes", "c": "no", "d": "no"}


def test_case_single_column_reference_example(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("Big Co",), ("Little Guy Ltd",), ("Other",), (None,), ("",)], "custName string"
    )
    out = run(
        df,
        [
            "case col: custName colCases: ['Big Co',0.2],['Little Guy Ltd',0.05] default: 0 as: 'discountRate'"
        ],
    )
    got = {r["custName"]: r["discountRate"] for r in out.collect()}
    assert got == {"Big Co": 0.2, "Little Guy Ltd": 0.05, "Other": 0, None: 0, "": 0}


def test_case_custom_conditions(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("x", 5, 10), ("y", 50, 90), ("z", 50, 10), ("ü", None, None)], "c string, q int, days int"
    )
    out = run(
        df,
        [
            "case cases: [q < 10, 'low'], [days > 60, 'late'] default: 'ok' as: 'risk'",
            "case cases: [q < 10, 'low'] as: 'nodefault'",
            "case if: q > 10 then: 'big'",
        ],
    )
    got = {r["c"]: (r["risk"], r["nodefault"], r["case"]) for r in out.collect()}
    assert got == {
        "x": ("low", "low", None),
        "y": ("late", None, "big"),
        "z": ("ok", None, "big"),
        "ü": ("ok", None, None),
    }
    assert "BatchEvalPython" not in _plan(out)
    for text in (
        "case if: testScore >= 60 then: 'yes' else: 'no' as: 'passedTest'",
        "case cases: [q < 10, 'low'], [days > 60, 'late'] default: 'ok' as: 'risk'",
    ):
        step = parse_step(text)
        assert parse_step(print_step(step)) == step


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("case then: 'a'", "exactly one of"),
        ("case if: q > 1 cases: [q < 1, 'a']", "exactly one of"),
        ("case if: q > 1", "needs then:"),
        ("case if: q > 1 then: 'a' default: 'b'", "does not go with if:"),
        ("case cases: [q < 1, 'a'] then: 'b'", "goes with if:"),
        ("case cases: [q < 1] default: 'b'", "pairs"),
        ("case colCases: ['a', 1]", "needs col:"),
        ("case col: c colCases: [q, 1]", "literal values"),
        ("case cases: [qq < 1, 'a']", "unknown column 'qq'"),
        ("case if: q > 1 then: NOSUCH(q)", "unknown function"),
    ],
)
def test_case_errors(spark: SparkSession, step: str, message: str) -> None:
    df = spark.createDataFrame([("x", 5)], "c string, q int")
    with pytest.raises(RecipeError) as err:
        run(df, ["derive value: q as: 'copy'", step])
    text = str(err.value)
    assert message in text and "step 2" in text, text
