"""The Wrangle engine on Spark: transforms and functions, from the reference's own examples
(input table, step, expected output) and edge cases (nulls, empty strings, mismatched values,
unicode, long strings); compile-time errors that name the step."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.errors import RecipeError
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe
from spark_jobs.recipe.types import column_type


def _no_datasets(ref: DatasetReference) -> DataFrame:
    raise KeyError(ref)


def run(
    df: DataFrame,
    steps: Sequence[str],
    resolve: Callable[[DatasetReference], DataFrame] = _no_datasets,
) -> DataFrame:
    return apply_recipe(df, parse_recipe(steps), resolve=resolve, dataset="test")


def rows(df: DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in df.collect()]


@pytest.fixture(scope="module")
def orders(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            ("1", "west", " ada LOVELACE ", "3", "19.99"),
            ("2", "east", "grace hopper", "", "249.00"),
            ("3", "north", "alan turing", "ten", "5.50"),
            ("4", "west", None, "2", "5.50"),
        ],
        "id string, region string, customer string, quantity string, unit_price string",
    )


def test_orders_example_recipe(orders: DataFrame, spark: SparkSession) -> None:
    out = run(
        orders,
        [
            "settype col: quantity type: Integer",
            "settype col: unit_price type: Decimal",
            "derive type: single value: UPPER(region) as: 'region_code'",
            "delete row: ISMISSING([quantity])",
            "derive type: single value: ROUND(quantity * unit_price, 2) as: 'line_total'",
            "set col: customer value: PROPER(TRIM(customer))",
            "sort order: -line_total",
        ],
    )
    # the derived column sits right of the column it reads; mismatched 'ten' gives no total
    assert out.columns == [
        "id",
        "region",
        "region_code",
        "customer",
        "quantity",
        "unit_price",
        "line_total",
    ]
    assert rows(out) == [
        ("1", "west", "WEST", "Ada Lovelace", "3", "19.99", 59.97),
        ("4", "west", "WEST", None, "2", "5.50", 11.0),
        ("3", "north", "NORTH", "Alan Turing", "ten", "5.50", None),
    ]
    assert column_type(out.schema["quantity"]).name == "Integer"
    assert column_type(out.schema["line_total"]).name == "Decimal"


def test_column_transforms(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("a", "b", "c", "d", "x y")], "c1 string, c2 string, c3 string, c4 string, `my col` string"
    )
    out = run(
        df,
        [
            "rename type: manual mapping: [c1, 'first'], [`my col`, 'mine']",
            "move col: c4 position: beginning",
            "move col: first after: c3",
            "drop col: c2~c3",
            "merge col: first, mine with: '-' as: 'merged'",
            "derive value: 'const' as: 'k'",
            "drop col: c4, k action: Keep",
        ],
    )
    assert out.columns == ["c4", "k"]
    out2 = run(
        df,
        [
            "rename col: c1 to: 'one'",
            "merge col: one, c2 with: '+'",
            "move col: c4 position: before column: one",
        ],
    )
    assert out2.columns == ["c4", "one", "c2", "one_c2", "c3", "my col"]
    assert rows(out2) == [("d", "a", "b", "a+b", "c", "x y")]


def test_set_with_col_list_and_dollar_col(spark: SparkSession) -> None:
    df = spark.createDataFrame([("ab", "Cd", 1), (None, "", 2)], "a string, b string, n int")
    out = run(df, ["set col: a~b value: UPPER($col)", "set col: n value: n * 10 row: n > 1"])
    assert rows(out) == [("AB", "CD", 1), (None, "", 20)]


def test_row_transforms(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("a", "3"), ("b", "x"), ("a", "3"), ("c", ""), ("d", None)], "k string, v string"
    )
    assert rows(run(df, ["deduplicate", "sort order: k"])) == [
        ("a", "3"),
        ("b", "x"),
        ("c", ""),
        ("d", None),
    ]
    typed = ["settype col: v type: Integer"]
    assert rows(run(df, [*typed, "filter type: mismatched col: v action: Keep"])) == [("b", "x")]
    assert rows(
        run(
            df,
            [*typed, "filter type: missing col: v action: Delete", "deduplicate", "sort order: k"],
        )
    ) == [
        ("a", "3"),
        ("b", "x"),
    ]
    assert rows(run(df, ["keep row: k == 'a' || k == 'c'", "sort order: -k"])) == [
        ("c", ""),
        ("a", "3"),
        ("a", "3"),
    ]
    # a missing condition neither keeps nor deletes a row by accident
    assert [r[0] for r in rows(run(df, [*typed, "delete row: v > 2"]))] == ["b", "c", "d"]
    assert rows(
        run(df, ["filter type: custom row: k == 'b' action: Delete", "keep row: v == '3'"])
    ) == [
        ("a", "3"),
        ("a", "3"),
    ]


def test_splitrows(spark: SparkSession) -> None:
    # reference: "splitrows col: column1 on: '\\r'" turns one blob into rows
    df = spark.createDataFrame([("a,1\rb,2\rc,3", 7), (None, 8)], "column1 string, k int")
    out = run(df, ["splitrows col: column1 on: '\\r'"])
    assert rows(out) == [("a,1", 7), ("b,2", 7), ("c,3", 7), (None, 8)]


def test_settype_datetime_with_platform_format(spark: SparkSession) -> None:
    # the format, then its family (mm*dd*yyyy: month, day, four-digit year, any separator)
    df = spark.createDataFrame([("12-31-21",), ("12/31/2021",), ("2021-12-31",), ("",)], "d string")
    out = run(
        df,
        [
            "settype col: d type: 'Datetime', 'mm-dd-yy', 'mm*dd*yyyy'",
            "derive value: ISMISMATCHED(d, 'Datetime') as: 'bad'",
        ],
    )
    assert column_type(out.schema["d"]).formats == (
        "MM-dd-yy",
        "MM-dd-yyyy",
        "MM/dd/yyyy",
        "MM.dd.yyyy",
    )
    assert rows(out) == [
        ("12-31-21", False),
        ("12/31/2021", False),
        ("2021-12-31", True),
        ("", True),
    ]


def test_header(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("name", "age"), ("ada", "36"), ("bob", "")], "column1 string, column2 string"
    )
    out = run(df, ["header"])
    assert out.columns == ["name", "age"]
    assert rows(out) == [("ada", "36"), ("bob", "")]


def test_replace_patterns_regex_and_literals(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("call 555-1234 or 555-9876", "a.b.c"), (None, ""), ("ünïcödé 123-4567", "x$y")],
        "t string, s string",
    )
    out = run(
        df,
        [
            "replace col: t on: `{digit}{3}-{digit}{4}` with: 'XXX' global: true",
            "replace col: s on: '.' with: '$'",
        ],
    )
    assert rows(out) == [("call XXX or XXX", "a$b.c"), (None, ""), ("ünïcödé XXX", "x$y")]
    out = run(df, ["replace col: t on: /(\\d{3})-(\\d{4})/ with: '$2-$1'"])
    assert rows(out)[0][0] == "call 1234-555 or 555-9876"
    out = run(df, ["replace col: t on: /CALL/i with: 'ring' global: true"])
    assert rows(out)[0][0] == "ring 555-1234 or 555-9876"


def test_split_extract_countpattern(spark: SparkSession) -> None:
    # reference: "split col: MyValues on: ',' limit: 3" makes four columns; short rows end in null
    df = spark.createDataFrame([("a,b,c,d,e",), ("x,y",), (None,)], "MyValues string")
    out = run(df, ["split col: MyValues on: ',' limit: 3"])
    assert out.columns == ["MyValues1", "MyValues2", "MyValues3", "MyValues4"]
    assert rows(out) == [("a", "b", "c", "d,e"), ("x", "y", None, None), (None, None, None, None)]

    # reference: "countpattern col: myCol on: 'honda'"
    cars = spark.createDataFrame([("honda civic, honda fit",), ("ford",), (None,)], "myCol string")
    out = run(cars, ["countpattern col: myCol on: 'honda'"])
    assert rows(out) == [("honda civic, honda fit", 2), ("ford", 0), (None, 0)]

    inv = spark.createDataFrame([('{"red":"100","white":"1300"}',), ("none",)], "inv string")
    out = run(inv, ["extract col: inv on: `{digit}+` limit: 2"])
    assert out.columns == ["inv", "inv1", "inv2"]
    assert rows(out) == [('{"red":"100","white":"1300"}', "100", "1300"), ("none", None, None)]
    out = run(inv, ["extract col: inv after: 'red\":\"' before: '\"' as: 'red'"])
    assert rows(out)[0][1] == "100"


def test_string_functions(spark: SparkSession) -> None:
    long = "x" * 10_000
    df = spark.createDataFrame(
        [("  Hello World  ", "abc"), (None, ""), ("ÉCOLE ünï", long)], "s string, t string"
    )
    out = run(
        df,
        [
            "derive value: TRIM(s) as: 'trim'",
            "derive value: LOWER(s) as: 'lower'",
            "derive value: LEN(t) as: 'len'",
            "derive value: LEFT(t, 2) as: 'left'",
            "derive value: RIGHT(t, 2) as: 'right'",
            "derive value: SUBSTRING(t, 1, 3) as: 'sub'",
            "derive value: FIND(t, 'c') as: 'find'",
            "derive value: MERGE([t, s], '|') as: 'merged'",
            "derive value: STARTSWITH(t, 'ab') as: 'sw'",
            "derive value: MATCHES(t, `{alpha}{3}`) as: 'm'",
            "derive value: PAD(t, 5, '0') as: 'pad'",
            "derive value: SUBSTITUTE(t, 'b', 'B') as: 'subst'",
            "derive value: REMOVEWHITESPACE(s) as: 'nows'",
            "derive value: PROPER(s) as: 'proper'",
        ],
    )
    names = ["trim", "lower", "len", "left", "right", "sub", "find", "merged", "sw", "m", "pad"]
    out = out.select(*names, "subst", "nows", "proper")
    got = rows(out)
    assert got[0] == (
        "Hello World",
        "  hello world  ",
        3,
        "ab",
        "bc",
        "bc",
        2,
        "abc|  Hello World  ",
        True,
        True,
        "00abc",
        "aBc",
        "HelloWorld",
        "  Hello World  ",
    )
    assert got[1] == (None, None, 0, "", "", "", None, "|", False, False, "00000", "", None, None)
    assert got[2][0] == "ÉCOLE ünï" and got[2][1] == "école ünï" and got[2][2] == 10_000
    assert got[2][-1] == "École Ünï"


def test_math_logical_and_type_functions(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("-7", "2.5", "CA"), ("abc", "", "ZZ"), ("", "1e2", None)],
        "qty string, price string, st string",
    )
    out = run(
        df,
        [
            "settype col: qty type: Integer",
            "settype col: price type: Decimal",
            # reference: ismismatched(Qty, 'Integer') || (Qty < 0)
            "derive value: ISMISMATCHED(qty, 'Integer') || (qty < 0) as: 'bad'",
            "derive value: ISMISMATCHED(st, 'State') as: 'bad_state'",
            "derive value: ISVALID(qty, 'Integer') as: 'ok'",
            "derive value: ISMISSING(qty) as: 'missing'",
            "derive value: ISNULL(st) as: 'null_st'",
            "derive value: ABS(qty) + FLOOR(price) as: 'calc'",
            "derive value: ROUND(price / 3, 1) as: 'r'",
            "derive value: IF(price >= 100, 'big', 'small') as: 'size'",
            "derive value: IFMISSING(st, 'n/a') as: 'st2'",
            "derive value: POW(2, 3) % 5 as: 'pw'",
            "derive value: IN(st, ['CA', 'NY']) as: 'in'",
            "derive value: IFMISMATCHED(qty, 'Integer', 0) as: 'q0'",
        ],
    )
    names = ["bad", "bad_state", "ok", "missing", "null_st", "calc", "r", "size", "st2", "pw"]
    out = out.select(*names, "in", "q0")
    assert rows(out) == [
        (True, False, True, False, False, 9, 0.8, "small", "CA", 3.0, True, -7),
        (True, True, False, False, False, None, None, "small", "ZZ", 3.0, False, 0),
        (True, True, False, True, True, None, 33.3, "big", "n/a", 3.0, None, None),
    ]


def test_window_and_aggregate(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("w", 1, 10.0), ("w", 2, 30.0), ("e", 1, 5.0)], "region string, n int, amount double"
    )
    out = run(
        df,
        [
            "derive value: SUM(amount) group: region as: 'total'",
            "derive value: ROWNUMBER() group: region order: -amount as: 'rank'",
            "sort order: region, n",
        ],
    )
    assert rows(out) == [("e", 1, 5.0, 5.0, 1), ("w", 1, 10.0, 40.0, 2), ("w", 2, 30.0, 40.0, 1)]
    agg = run(df, ["aggregate value: SUM(amount), COUNT() group: region", "sort order: region"])
    assert agg.columns == ["region", "sum_amount", "count"]
    assert rows(agg) == [("e", 5.0, 1), ("w", 40.0, 2)]
    piv = run(df, ["pivot col: region value: SUM(amount) group: n", "sort order: n"])
    assert piv.columns == ["n", "sum_amount_e", "sum_amount_w"]
    assert rows(piv) == [(1, 5.0, 10.0), (2, None, 30.0)]
    unp = run(df, ["unpivot col: region, amount", "keep row: n == 2"])
    assert rows(unp) == [(2, "region", "w"), (2, "amount", "30.0")]


def test_union_join_lookup(spark: SparkSession) -> None:
    left = spark.createDataFrame([(1, "a"), (2, "b"), (3, "c")], "id int, v string")
    other = spark.createDataFrame([(4, "d", "extra")], "id int, v string, x string")
    rates = spark.createDataFrame(
        [(1, 0.5, "one"), (2, 0.7, "two")], "id int, rate double, v string"
    )
    frames = {"other": other, "rates": rates}

    def resolve(ref: DatasetReference) -> DataFrame:
        return frames[ref.name or ""]

    out = run(left, ["union with: other", "sort order: id"], resolve)
    assert rows(out) == [(1, "a", None), (2, "b", None), (3, "c", None), (4, "d", "extra")]
    out = run(left, ["join with: rates type: inner key: id", "sort order: id"], resolve)
    assert out.columns == ["id", "v", "id_1", "rate", "v_1"]
    assert rows(out) == [(1, "a", 1, 0.5, "one"), (2, "b", 2, 0.7, "two")]
    out = run(left, ["lookup with: rates col: id key: id", "sort order: id"], resolve)
    assert out.columns == ["id", "v", "rate", "v_1"]
    assert rows(out) == [(1, "a", 0.5, "one"), (2, "b", 0.7, "two"), (3, "c", None, None)]
    with pytest.raises(RecipeError, match="unknown dataset 'nope'"):
        run(left, ["union with: nope"], resolve)


def test_metadata_columns(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("a", "/data/x.csv", 1), ("b", "/data/x.csv", 2)],
        "v string, __sj_filepath string, __sj_sourcerownumber long",
    )
    out = run(
        df,
        [
            "derive value: $sourcerownumber as: 'row'",
            "derive value: FILEPATH() as: 'file'",
            "drop col: v",
        ],
    )
    expected = spark.createDataFrame(
        [("/data/x.csv", 1, 1, "/data/x.csv"), ("/data/x.csv", 2, 2, "/data/x.csv")],
        "__sj_filepath string, __sj_sourcerownumber long, row long, file string",
    )
    assert_df_equality(out, expected, ignore_row_order=True, ignore_column_order=True)
    with pytest.raises(RecipeError, match=r"\$filepath is not available"):
        run(df.drop("__sj_filepath"), ["derive value: $filepath"])


@pytest.mark.parametrize(
    ("steps", "reason", "step", "column", "suggestion"),
    [
        (["derive value: UPPER(regoin)"], "unknown column 'regoin'", 1, 21, "region"),
        (
            ["set col: id value: 1", "drop col: custmer"],
            "unknown column 'custmer'",
            2,
            11,
            "customer",
        ),
        (["settype col: id type: Intger"], "unknown type 'Intger'", 1, 23, "Integer"),
        (["derive value: ISVALID(id, 'Intger')"], "unknown data type 'Intger'", 1, 27, "Integer"),
        (["keep row: SUM(quantity) > 1"], "SUM is an aggregate function", 1, 11, None),
        (["derive value: ROWNUMBER() group: region"], "needs an order", 1, 15, None),
        (["derive value: `{digit}`"], "a pattern is not a value here", 1, 15, None),
    ],
)
def test_compile_errors_name_the_step(
    orders: DataFrame,
    steps: list[str],
    reason: str,
    step: int,
    column: int,
    suggestion: str | None,
) -> None:
    with pytest.raises(RecipeError) as info:
        run(orders, steps)
    err = info.value
    assert reason in err.reason, err
    assert err.location is not None
    assert (err.location.step, err.location.column) == (step, column), err
    assert err.dataset == "test"
    if suggestion:
        assert suggestion in err.suggestions


#: the functions docs/wrangle.md lists under "Python UDFs": the only ones whose plans run Python
PYTHON_UDF_FUNCTIONS = {"DOUBLEMETAPHONE", "DOUBLEMETAPHONEEQUALS"}


def _documented_python_udfs() -> set[str]:
    """The function names (`NAME(...)`) in docs/wrangle.md's "## Python UDFs" section."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "wrangle.md").read_text()
    section = text.split("\n## Python UDFs\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`([A-Z][A-Z0-9]+)\(", section))


LOGICAL_ARGS = {"AND", "OR", "XOR", "NOT", "IF"}
TYPED_ARGS = {"ISVALID", "VALID", "ISMISMATCHED", "IFMISMATCHED", "IFVALID"}
#: sample calls for functions registered without ``example=`` whose default arguments do not fit
EXAMPLES = {
    **{f: f"{f}([a, a])" for f in ("ARRAYCONCAT", "ARRAYCROSS", "ARRAYINTERSECT", "ARRAYUNIQUE")},
    "ARRAYZIP": "ARRAYZIP([a, a])",
    "CONVERTFROMUTC": "CONVERTFROMUTC(t, 'Europe/Paris')",
    "CONVERTTOUTC": "CONVERTTOUTC(t, 'Europe/Paris')",
    "CONVERTTIMEZONE": "CONVERTTIMEZONE(t, 'UTC', 'Europe/Paris')",
    "DATEADD": "DATEADD(t, 1, day)",
    "DATEDIF": "DATEDIF(t, t, day)",
    "DATETIME": "DATETIME(2024, 1, 2, 3, 4, 5)",
}


def test_no_python_udf_in_function_library(spark: SparkSession) -> None:
    """Every registered function compiles to native Spark expressions: one recipe calls each
    of them once, and its physical plan has no Python evaluation node."""
    from spark_jobs.recipe.registry import FUNCTIONS, load_families

    load_families()
    df = spark.sql(
        "SELECT 'a' s, '1' n, 2.0D d, TIMESTAMP'2024-01-02 03:04:05' t, array('x', 'y') a, "
        "'/f.csv' __sj_filepath, 1L __sj_sourcerownumber"
    )
    steps = []
    for name, spec in sorted(FUNCTIONS.items()):
        low = spec.arity[0]
        example = spec.example or EXAMPLES.get(name)
        if example:
            group = " group: s" if spec.kind == "aggregate" else ""
            order = " order: d" if spec.kind == "window" else ""
            step = f"derive value: {example}{group}{order}"
        elif spec.kind == "aggregate":
            step = f"derive value: {name}({'d' if low else ''}) group: s"
        elif spec.kind == "window":
            step = f"derive value: {name}({', '.join(['d', '1'][:low])}) order: d"
        else:
            args = ["s", "1", "'x'", "'left'"][:low]
            if name in LOGICAL_ARGS:
                args = ["true", "false", "1"][:low]
            elif name in TYPED_ARGS:
                args = ["n", "'Integer'", "0"][:low]
            step = f"derive value: {name}({', '.join(args)})"
        steps.append(f"{step} as: 'f_{name}'")
    assert len(steps) == len(FUNCTIONS) > 100
    # the listed exceptions: each runs as one vectorized (Arrow) Python UDF, never row by row
    assert _documented_python_udfs() == PYTHON_UDF_FUNCTIONS
    udf_steps = [s for s in steps if s.rsplit("'f_", 1)[1].rstrip("'") in PYTHON_UDF_FUNCTIONS]
    assert len(udf_steps) == len(PYTHON_UDF_FUNCTIONS)
    for step in udf_steps:
        plan = run(df, [step])._jdf.queryExecution().executedPlan().toString()
        assert "ArrowEvalPython" in plan and "BatchEvalPython" not in plan, step
    steps = [s for s in steps if s not in udf_steps]
    # recipes of 15 steps: each step re-analyses the plan so far, one long recipe costs n^2
    for i in range(0, len(steps), 15):
        chunk = steps[i : i + 15]
        out = run(df, chunk)
        assert len(out.columns) == 7 + len(chunk)
        plan = out._jdf.queryExecution().executedPlan().toString()
        assert "BatchEvalPython" not in plan and "ArrowEvalPython" not in plan, chunk


def _rounded(spark: SparkSession, values: list[str | None], calls: list[str]) -> list[Any]:
    """Each call (of ``x``, typed Decimal) on each value, as rows of results."""
    df = spark.createDataFrame([(v,) for v in values], "x string")
    steps = ["settype col: x type: Decimal"]
    steps += [f"derive value: {call} as: 'r{i}'" for i, call in enumerate(calls)]
    return rows(run(df, steps).select(*[f"r{i}" for i in range(len(calls))]))


def test_round_beyond_the_fast_width_and_missing_values(spark: SparkSession) -> None:
    """Values past 10^15 stay in the decimal form (15 places below 10^22), rounding finer than 14
    places past 10^19 takes the double itself (3.0e19 at 16 digits); halves of negative values
    still go toward +infinity at negative digits; missing stays missing."""
    values = ["1234567890123456.5", "-12345678901234567", "3.0e19", "-25", "-35", None, "abc"]
    got = _rounded(spark, values, ["ROUND(x, 2)", "ROUND(x, -1)", "ROUND(x, 16)"])
    assert got[0] == (1234567890123456.5, 1234567890123460, 1234567890123456.5)
    assert got[1] == (-12345678901234567.0, -12345678901234570, -12345678901234567.0)
    assert got[2][0] == 3.0e19 and got[2][2] == 3.0e19
    assert got[3] == (-25.0, -20, -25.0)
    assert got[4] == (-35.0, -30, -35.0)
    assert got[5] == (None, None, None)
    assert got[6] == (None, None, None)


def test_round_keeps_the_fifteenth_place_of_the_sum(spark: SparkSession) -> None:
    """x + half stays at 15 places: a width of 38 digits would make Spark round the sum to 14
    places first (1.004999999999995 + 0.005 to 1.01000000000000), a half up too many."""
    values = ["1.004999999999995", "-1.004999999999995", "0.494999999999995"]
    assert _rounded(spark, values, ["ROUND(x, 2)", "ROUND(x, 13)", "ROUND(x, 1)"]) == [
        (1.0, 1.005, 1.0),
        (-1.0, -1.005, -1.0),
        (0.49, 0.495, 0.5),
    ]


def test_round_names_its_argument_twice_and_modulo_once(spark: SparkSession) -> None:
    """A filter pushed below ROUND repeats ROUND's expression for every row (Spark shares no
    subexpression inside a filter), so ROUND names its argument twice (its decimal form, and the
    double past that form's range), and ``%`` on an Integer column checks nothing it already
    knows is whole."""
    df = spark.createDataFrame([("3", "2.5"), ("7", "1.25")], "q string, p string")
    out = run(
        df,
        [
            "settype col: q type: Integer",
            "settype col: p type: Decimal",
            "derive value: ROUND(q * p, 1) as: 'total'",
            "derive value: q % 2 as: 'odd'",
            "keep row: total > 1",
        ],
    )
    plan = out._jdf.queryExecution().optimizedPlan().toString()
    condition = next(line for line in plan.splitlines() if "Filter" in line)
    # the q * p product appears once in the decimal form and once in the fallback beyond it
    assert condition.count("try_cast(p#") <= 2, condition
    assert "FLOOR(cast(try_cast(q" not in plan, plan
    assert rows(out.select("total", "odd")) == [(7.5, 1), (8.8, 1)]


def test_deleting_missing_rows_tells_spark_the_column_is_not_null(spark: SparkSession) -> None:
    """ISMISSING is never null itself, so ``delete row: ISMISSING([q])`` needs no coalesce and
    becomes Spark's own ``isnotnull(q) AND NOT q <=> ''``: the optimizer then knows q is not null
    in every later step (no null checks in the generated code)."""
    df = spark.createDataFrame([("1",), ("",), (None,), (" ",)], "q string")
    out = run(df, ["delete row: ISMISSING([q])"])
    plan = out._jdf.queryExecution().optimizedPlan().toString()
    condition = next(line for line in plan.splitlines() if "Filter" in line)
    assert "isnotnull(q#" in condition and "coalesce" not in condition, condition
    assert rows(out) == [("1",), (" ",)]


def test_round_halves_toward_plus_infinity_on_the_decimal_form(spark: SparkSession) -> None:
    """ROUND rounds the value's decimal form (1.005 -> 1.01, not its binary fraction), halves
    toward +infinity (-0.125 -> -0.12), for positive and negative values alike."""
    values = ["1.005", "2.675", "0.125", "-0.125", "-1.005", "-2.5", "2.5", "-0.4", "123.456"]
    assert _rounded(spark, values, ["ROUND(x, 2)", "ROUND(x)", "ROUND(x, -1)"]) == [
        (1.01, 1, 0),
        (2.68, 3, 0),
        (0.13, 0, 0),
        (-0.12, 0, 0),
        (-1.0, -1, 0),
        (-2.5, -2, 0),
        (2.5, 3, 0),
        (-0.4, 0, 0),
        (123.46, 123, 120),
    ]
