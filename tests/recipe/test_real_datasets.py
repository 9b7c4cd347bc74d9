"""join / lookup / union as the platform downloads them, {Column Name}s end to end, and the older
forms of the real recipes, on small explicit data (nulls, empty strings, unicode names with
spaces and dots)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.errors import RecipeError
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe
from spark_jobs.recipe.types import column_type


def run(
    df: DataFrame,
    steps: Sequence[str],
    frames: dict[str, DataFrame] | None = None,
    *,
    dataset: str = "orders",
) -> DataFrame:
    known = frames or {}

    def resolve(ref: DatasetReference) -> DataFrame:
        if ref.name in known:
            return known[ref.name]
        raise KeyError(ref)

    recipe = parse_recipe(steps, datasets=list(known))
    return apply_recipe(df, recipe, resolve=resolve, dataset=dataset)


def rows(df: DataFrame, order: str | list[str] | None = None) -> list[tuple[Any, ...]]:
    if order:
        df = df.orderBy(order)
    return [tuple(r) for r in df.collect()]


@pytest.fixture(scope="module")
def orders(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [("1", "Ada", "10"), ("2", "Grace", ""), ("3", None, "7"), (None, "Alan", "1")],
        "OrderID string, `Customer Name` string, Amount string",
    )


@pytest.fixture(scope="module")
def details(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [("1", "2.5", "klein"), ("1", "3.5", "groß"), ("3", "", None), (None, "9", "x")],
        "OrderID string, UnitPrice string, `Größe in m²` string",
    )


# --- join ------------------------------------------------------------------------------------


def test_join_with_col_and_row_as_downloaded(orders: DataFrame, details: DataFrame) -> None:
    out = run(
        orders,
        [
            "join with: Order Details.csv \n"
            "col: OrderID = current_dataset.OrderID, \n"
            "     {Customer Name} = current_dataset.{Customer Name},\n"
            "     UnitPrice = Order Details.csv.UnitPrice, \n"
            "     {Größe} = Order Details.csv.{Größe in m²} \n"
            "row: current_dataset.OrderID == Order Details.csv.OrderID \n"
            "type: inner"
        ],
        {"Order Details.csv": details},
    )
    # exactly the columns col: names, in its order; missing keys never match
    assert out.columns == ["OrderID", "Customer Name", "UnitPrice", "Größe"]
    assert rows(out, "UnitPrice") == [
        ("3", None, "", None),
        ("1", "Ada", "2.5", "klein"),
        ("1", "Ada", "3.5", "groß"),
    ]


def test_a_join_condition_may_name_the_other_dataset_first(
    orders: DataFrame, details: DataFrame
) -> None:
    out = run(
        orders,
        [
            "join with: d col: OrderID = current_dataset.OrderID, P = d.UnitPrice "
            "row: d.OrderID == current_dataset.OrderID && d.OrderID == current_dataset.OrderID "
            "type: left"
        ],
        {"d": details},
    )
    assert rows(out, ["OrderID", "P"]) == [
        (None, None),
        ("1", "2.5"),
        ("1", "3.5"),
        ("2", None),
        ("3", ""),
    ]


def test_right_join_with_braced_names(spark: SparkSession) -> None:
    # the Columns_mapping recipe: a right join on {Input Column}, keeping the mapping's rows
    values = spark.createDataFrame(
        [("a", "1", "x"), ("b", "1", "y"), ("zz", "2", "w")],
        "column string, `row number` string, value string",
    )
    mapping = spark.createDataFrame(
        [("a", "1 -- Name"), ("b", "2 -- City"), ("c", "3 -- Zip")],
        "`Input Column` string, `Target Schema with order` string",
    )
    out = run(
        values,
        [
            "join with: Columns_mapping col: column = current_dataset.column,{row number} = "
            "current_dataset.{row number},value = current_dataset.value,{Target Schema with order}"
            " = Columns_mapping.{Target Schema with order} row: current_dataset.column == "
            "Columns_mapping.{Input Column} type: right"
        ],
        {"Columns_mapping": mapping},
    )
    assert out.columns == ["column", "row number", "value", "Target Schema with order"]
    assert rows(out, "`Target Schema with order`") == [
        ("a", "1", "x", "1 -- Name"),
        ("b", "1", "y", "2 -- City"),
        (None, None, None, "3 -- Zip"),
    ]


def test_a_join_without_a_condition_is_a_cross_join(spark: SparkSession, orders: DataFrame) -> None:
    # "Add a list of properties-values as columns": one pivoted row added to every row
    properties = spark.createDataFrame([("p-one", "9")], "P1 string, P9 string")
    out = run(
        orders,
        [
            "join with: Pivot properties col: OrderID = current_dataset.OrderID, "
            "P9 = Pivot properties.P9, P1 = Pivot properties.P1 type: inner"
        ],
        {"Pivot properties": properties},
    )
    assert rows(out, "OrderID") == [
        (None, "9", "p-one"),
        ("1", "9", "p-one"),
        ("2", "9", "p-one"),
        ("3", "9", "p-one"),
    ]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            "join with: d col: x = Other.OrderID row: current_dataset.OrderID == d.OrderID",
            "'Other' is not a dataset of this step",
        ),
        ("join with: d row: current_dataset.OrderID > d.OrderID", "equalities between a column"),
        (
            "join with: d row: current_dataset.OrderID == current_dataset.Amount",
            "compares a column of each dataset",
        ),
        (
            "join with: d col: a = d.OrderID, a = d.UnitPrice row: d.OrderID == current_dataset.OrderID",
            "names the output column 'a' twice",
        ),
        (
            "join with: d col: a = d.nope row: d.OrderID == current_dataset.OrderID",
            "unknown column 'nope'",
        ),
    ],
)
def test_join_errors_name_the_step(
    orders: DataFrame, details: DataFrame, step: str, message: str
) -> None:
    with pytest.raises(RecipeError) as info:
        run(orders, ["derive value: 1 as: 'one'", step], {"d": details})
    assert message in str(info.value) and "step 2" in str(info.value), str(info.value)


# --- lookup ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zips(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [("94105", "CA"), ("10001", "NY"), ("94105", "XX"), ("", "empty")],
        "zip string, state string",
    )


def test_lookup_with_a_dotted_dataset_name(spark: SparkSession, zips: DataFrame) -> None:
    customers = spark.createDataFrame(
        [("c1", "94105"), ("c2", "10001"), ("c3", None), ("c4", ""), ("c5", "99999")],
        "id string, US_PostalCode string",
    )
    out = run(
        customers,
        [
            "lookup with: Lkup_US_Zips_States.csv \ncol: current_dataset.US_PostalCode \n"
            "key: Lkup_US_Zips_States.csv.zip"
        ],
        {"Lkup_US_Zips_States.csv": zips},
    )
    assert out.columns == ["id", "US_PostalCode", "state"]
    got = dict((r[0], r[2]) for r in rows(out))
    # the first match per key; a missing key finds nothing; '' matches ''
    assert got["c1"] in ("CA", "XX") and got["c2"] == "NY"
    assert got["c3"] is None and got["c4"] == "empty" and got["c5"] is None
    assert out.count() == 5


def test_lookup_names_that_need_the_flows_names(spark: SparkSession) -> None:
    months = spark.createDataFrame([("1",), ("4",), (None,)], "OrderMonth string")
    fiscal = spark.createDataFrame([("Q1", "1"), ("Q2", "4")], "column1 string, column2 string")
    other = spark.createDataFrame([("nope", "1")], "column1 string, column2 string")
    out = run(
        months,
        [
            "lookup with: FiscalQtr.csv - Lookup col: MISSING.OrderMonth "
            "key: FiscalQtr.csv - Lookup.column2"
        ],
        # "FiscalQtr.csv" is a dataset too: the longest name that fits wins
        {"FiscalQtr.csv - Lookup": fiscal, "FiscalQtr.csv": other},
    )
    assert rows(out, "OrderMonth") == [(None, None), ("1", "Q1"), ("4", "Q2")]


def test_lookup_qualifiers_must_point_the_right_way(orders: DataFrame, zips: DataFrame) -> None:
    with pytest.raises(RecipeError, match="names columns of this dataset"):
        run(orders, ["lookup with: z col: z.zip key: z.zip"], {"z": zips})
    with pytest.raises(RecipeError, match="names columns of the other dataset"):
        run(orders, ["lookup with: z col: OrderID key: current_dataset.OrderID"], {"z": zips})


# --- union -----------------------------------------------------------------------------------


def test_union_with_a_mapping(spark: SparkSession) -> None:
    current = spark.createDataFrame(
        [("Acme", "10", "x"), ("Émile & Co", None, "y")], "Company string, Price string, k string"
    )
    clean = spark.createDataFrame(
        [("Beta", "", "note b")], "Company string, `List Price` string, Note string"
    )
    out = run(
        current,
        [
            "union with: RS Clean \nmapping: \n"
            "  {'as': 'Company', 'sources': current_dataset.Company,RS Clean.Company},\n"
            "  {'as': 'Price', 'sources': current_dataset.Price,RS Clean.{List Price}},\n"
            "  {'as': 'Note', 'sources': RS Clean.Note}"
        ],
        {"RS Clean": clean},
    )
    assert out.columns == ["Company", "Price", "Note"]
    assert rows(out, "Company") == [
        ("Acme", "10", None),
        ("Beta", "", "note b"),
        ("Émile & Co", None, None),
    ]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ("{'sources': current_dataset.a}", "needs one 'as'"),
        ("{'as': 'x', 'sources': 'a'}", "takes dataset.column names"),
        ("{'as': 'x', 'sources': current_dataset.a, current_dataset.a}", "two columns of one"),
        ("{'as': 'x', 'sources': current_dataset.a}, {'as': 'x', 'sources': o.a}", "twice"),
        ("a", "takes {'as'"),
    ],
)
def test_union_mapping_errors(spark: SparkSession, mapping: str, message: str) -> None:
    df = spark.createDataFrame([("1",)], "a string")
    with pytest.raises(RecipeError) as info:
        run(df, [f"union with: o mapping: {mapping}"], {"o": df})
    assert message in str(info.value), str(info.value)


# --- {Column Name} end to end ----------------------------------------------------------------


def test_braced_names_in_every_place(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [
            ("1", "Ford, BMW", "3", "a"),
            ("2", "", "1", "b"),
            ("3", None, "2", "a"),
        ],
        "`row number` string, `Brands in Name` string, `a.b` string, `Größe in m²` string",
    )
    out = run(
        df,
        [
            "derive type: single value: IF(ISMISSING([{Brands in Name}]) || {Brands in Name} == "
            "'', 'none', {Brands in Name}) as: 'brands'",
            "set col: {Größe in m²} value: IFMISSING($col, 'z')",
            "derive type: single value: COUNT() group: {Größe in m²} as: 'per size'",
            "sort order: -{a.b}",
            "move col: {per size} position: after after: {row number}",
            "move col: brands position: end",
            "drop col: {Brands in Name}~{a.b} action: Drop",
        ],
    )
    assert out.columns == ["row number", "per size", "Größe in m²", "brands"]
    assert rows(out) == [("1", 2, "a", "Ford, BMW"), ("3", 2, "a", "none"), ("2", 1, "b", "none")]


# --- older forms, and the platform's readings the real recipes rely on -----------------------


def test_split_names_its_parts_as_the_platform(spark: SparkSession) -> None:
    # "insert Qtr & Yr Cols": OrderDate -> OrderDate1..3, then OrderDate3 -> OrderDate4, 5
    df = spark.createDataFrame([("1/15/2020 10:00",), ("",), (None,)], "OrderDate string")
    out = run(
        df,
        [
            "splitpatterns col: OrderDate type: on on: '\\/' limit: 2",
            "splitpatterns col: OrderDate3 type: on on: ' '",
            "drop col: OrderDate2 action: Drop",
            "drop col: OrderDate5 action: Drop",
            "rename type: manual mapping: [OrderDate1,'OrderMonth']",
            "rename type: manual mapping: [OrderDate4,'OrderYear']",
        ],
    )
    assert out.columns == ["OrderMonth", "OrderYear"]
    assert rows(out) == [("1", "2020"), ("", None), (None, None)]
    old = run(spark.createDataFrame([("a,b",)], "column1 string"), ["split col: column1 on: ','"])
    assert old.columns == ["column2", "column3"]


def test_older_forms(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("1", "12", "94105", "yes", "a''b"), ("2", "x", "", "n", "")],
        "id string, n string, zip string, flag string, t string",
    )
    out = run(
        df,
        [
            "settype col: n type: 'Integer'",
            "settype col: zip type: 'Zipcode'",
            "settype col: flag type: 'Bool'",
            "replace col: * on: '' with: '' global: true",
            "drop col: t",
        ],
    )
    types = {f.name: column_type(f).name for f in out.schema.fields}
    assert types == {"id": "String", "n": "Integer", "zip": "Zip Code", "flag": "Boolean"}
    assert rows(out) == [("1", "12", "94105", "yes"), ("2", "x", "", "n")]


def test_settype_with_datetimetype_as_downloaded(spark: SparkSession) -> None:
    df = spark.createDataFrame([("20-01-31 10:00:00",), ("",), (None,)], "t string")
    out = run(
        df,
        [
            "settype col: t datetimeType: 'Datetime','yy-mm-dd hh:mm:ss','yyyy*mm*dd*HH:MM:SS' "
            "type: Datetime"
        ],
    )
    older = run(df, ["settype col: t type: 'Datetime','yy-mm-dd hh:mm:ss','yyyy*mm*dd*HH:MM:SS'"])
    assert column_type(out.schema["t"]) == column_type(older.schema["t"])
    assert column_type(out.schema["t"]).formats[0] == "yy-MM-dd HH:mm:ss"
    assert rows(out) == [("20-01-31 10:00:00",), ("",), (None,)]


def test_splitrows_with_a_doubled_quote(spark: SparkSession) -> None:
    df = spark.createDataFrame([('a\n"b\n""c""\nd"\ne',)], "column1 string")
    out = run(df, ["splitrows col: column1 on: '\\n' quote: '\\\"' quoteEscapeChar: '\\\"'"])
    assert rows(out) == [("a",), ('"b\n""c""\nd"',), ("e",)]


def test_moving_columns_next_to_one_of_them(spark: SparkSession) -> None:
    df = spark.createDataFrame([("1", "2", "3", "4")], "a string, b string, c string, d string")
    out = run(df, ["move col: d, b, c position: after after: b"])
    assert out.columns == ["a", "d", "b", "c"]


def test_numbers_and_texts_as_tests(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("1", '["x"]', "[]", "USA"), ("2", "[]", "[]", None), ("3", None, '["y"]', "yes")],
        "id string, a string, b string, c string",
    )
    out = run(
        df,
        [
            "derive type: single value: IF(LEN(a) - 2 || LEN(b) - 2, 'some', 'none') as: 'x'",
            "derive type: single value: IF(AND(!ISMISSING([c]), OR(c, 0)), 't', 'f') as: 'y'",
            "keep row: id != '9'",
        ],
    )
    # a count is true when not 0; a text is true when it reads as true (yes), else missing (USA)
    assert out.columns == ["id", "a", "b", "x", "c", "y"]
    assert rows(out, "id") == [
        ("1", '["x"]', "[]", "some", "USA", "f"),
        ("2", "[]", "[]", "none", None, "f"),
        ("3", None, '["y"]', "some", "yes", "t"),
    ]


def test_nest_into_map_is_an_object(spark: SparkSession) -> None:
    df = spark.createDataFrame([("1", "a")], "x string, y string")
    out = run(df, ["nest col: x, y into: map as: 'misc'"])
    assert rows(out.select("misc")) == [('{"x":"1","y":"a"}',)]


def test_header_over_no_columns_is_a_clear_error(spark: SparkSession) -> None:
    df = spark.createDataFrame([("1",)], "column2 string")
    with pytest.raises(RecipeError, match="no columns to name"):
        run(df, ["drop col: column2 action: Drop", "header"])
