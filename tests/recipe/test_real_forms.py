"""Transforms and forms as real recipes write them (issue 19): rename findAndReplace / header,
replacepatterns, filter's condition types, groupby, settype lockDataType / datetimeType, case
condition:, split type: on, countpattern type: between, bin, replacemissing, dateformat, pivot
without col:, unpivot groupEvery:. Each with small explicit data: the real step's own text,
nulls, empty strings, unicode names, and the errors of a bad step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs import metadata_columns
from spark_jobs.dateformats import type_format_patterns
from spark_jobs.errors import RecipeError
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe
from spark_jobs.recipe.types import column_type, infer_types

SRN = metadata_columns.SOURCE_ROW_NUMBER


def _no_datasets(ref: DatasetReference) -> DataFrame:
    raise KeyError(ref)


def run(df: DataFrame, steps: Sequence[str]) -> DataFrame:
    return apply_recipe(df, parse_recipe(steps), resolve=_no_datasets, dataset="test")


def rows(df: DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in df.collect()]


def fails(df: DataFrame, steps: Sequence[str], *words: str) -> RecipeError:
    with pytest.raises(RecipeError) as info:
        run(df, steps).collect()
    text = str(info.value)
    for word in words:
        assert word in text, text
    return info.value


# --- rename ---------------------------------------------------------------------------------


def test_rename_find_and_replace(spark: SparkSession) -> None:
    # the real step after a pivot: "rename type: findAndReplace col: * on: `any_value_{digit}+ -- `
    # with: ''" turns the pivot's any_value_1 -- ID_CUSTOMER into ID_CUSTOMER
    df = spark.createDataFrame(
        [("1", "Paris", "x", "é")],
        "`any_value_1 -- ID_CUSTOMER` string, `any_value_10 -- CITY` string, banana string, "
        "`prix ü.x` string",
    )
    out = run(df, ["rename type: findAndReplace col: * on: `any_value_{digit}+ -- ` with: ''"])
    assert out.columns == ["ID_CUSTOMER", "CITY", "banana", "prix ü.x"]
    assert rows(out) == [("1", "Paris", "x", "é")]
    # first match only, every match with matchAll: true; only the listed columns
    first = run(df, ["rename type: findAndReplace col: banana on: 'a' with: 'A'"])
    assert first.columns[2] == "bAnana"
    every = run(df, ["rename type: findAndReplace col: banana on: 'a' with: 'A' matchAll: true"])
    assert every.columns[2] == "bAnAnA"
    # the platform's own export: spaces to underscores, in a unicode name with a dot
    spaced = run(df, ["rename type: findAndReplace col: * on: ' ' with: '_' matchAll: true"])
    assert spaced.columns == [
        "any_value_1_--_ID_CUSTOMER",
        "any_value_10_--_CITY",
        "banana",
        "prix_ü.x",
    ]
    ignoring = run(
        df, ["rename type: findAndReplace col: * on: 'BANANA' with: 'b' ignoreCase: true"]
    )
    assert ignoring.columns[2] == "b"
    regex = run(df, ["rename type: findAndReplace col: * on: /^any_value_[0-9]+ -- / with: ''"])
    assert regex.columns[:2] == ["ID_CUSTOMER", "CITY"]
    fails(
        df,
        ["rename type: findAndReplace col: * on: `any_value_{digit}+ -- {any}+` with: 'X'"],
        "duplicate column 'X'",
    )
    fails(df, ["rename type: findAndReplace col: banana on: 'banana' with: ''"], "cannot be empty")
    fails(df, ["rename type: findAndReplace col: * with: ''"], "needs on:")
    fails(df, ["rename type: findAndReplace on: 'a' mapping: [banana, 'b']"], "mapping:")
    fails(df, ["rename type: sideways mapping: [banana, 'b']"], "findAndReplace")


def test_rename_header_from_several_rows(spark: SparkSession) -> None:
    # the Excel crosstab flow: "rename type: header method: multi sourcerownumbers: 1,2,3
    # separator: '-' filltype: true"; three header rows, a merged cell left empty (filled from
    # its left), columns without any header text keep their names, the rows leave the data
    df = spark.createDataFrame(
        [
            (None, None, "ACTUAL", "", 1),
            (None, None, "PERIODIC", "YTD", 2),
            (None, "Région", "1/1/2020", "1/1/2020", 3),
            ("Offer1", "KPI 1", "10", "20", 4),
            ("Offer1", None, "", "30", 5),
        ],
        f"column1 string, column2 string, column3 string, column4 string, {SRN} long",
    )
    steps = [
        "rename type: header method: multi sourcerownumbers: 1,2,3 separator: '-' filltype: true"
    ]
    out = run(df, steps)
    visible = [c for c in out.columns if c != SRN]
    assert visible == ["column1", "Région", "ACTUAL-PERIODIC-1/1/2020", "ACTUAL-YTD-1/1/2020"]
    assert [r[:4] for r in rows(out)] == [
        ("Offer1", "KPI 1", "10", "20"),
        ("Offer1", None, "", "30"),
    ]
    unfilled = run(df, [steps[0].replace("filltype: true", "filltype: false")])
    assert [c for c in unfilled.columns if c != SRN][3] == "YTD-1/1/2020"
    # one row, default separator; the recipe asks for $sourcerownumber
    single = run(df, ["rename type: header method: single sourcerownumbers: 2"])
    assert [c for c in single.columns if c != SRN] == ["column1", "column2", "PERIODIC", "YTD"]
    assert parse_recipe(steps).metadata_columns() == {"$sourcerownumber"}
    fails(df, ["rename type: header sourcerownumbers: 1,9"], "no source row 9")
    fails(df, ["rename type: header method: single sourcerownumbers: 1,2"], "one source row")
    no_numbers = df.drop(SRN)
    fails(no_numbers, ["rename type: header sourcerownumbers: 1"], "$sourcerownumber")


# --- replacepatterns ------------------------------------------------------------------------


def test_replacepatterns(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [('"abc"', '"a"b"', "foo. bar. "), (None, "", None), ("ünï", '""', "x")],
        "`a b` string, c string, d string",
    )
    # the FEC lab's step: a quote at the start or at the end of every value (`|` between
    # alternatives of a pattern)
    out = run(df, ["replacepatterns col: * with: '' on: `{start}\"|\"{end}` global: true"])
    assert rows(out) == [("abc", 'a"b', "foo. bar. "), (None, "", None), ("ünï", "", "x")]
    # the crosstab flow's step: every quote, `"` being a pattern of one literal character
    every = run(df, ["replacepatterns col: * with: '' on: `\"` global: true"])
    assert rows(every)[0][:2] == ("abc", "ab")
    # first match only without global:; a literal replacement keeps its $ and backslash
    first = run(df, ["replacepatterns col: d with: '$1\\\\' on: '. '"])
    assert rows(first)[0][2] == "foo$1\\bar. "
    # after: / before: only match what follows / precedes them, which stay
    money = spark.createDataFrame([("cost $12 and 34 or $5",)], "t string")
    after = run(money, ["replacepatterns col: t with: 'N' on: `{digit}+` after: '$' global: true"])
    assert rows(after) == [("cost $N and 34 or $N",)]
    before = run(money, ["replacepatterns col: t with: 'N' on: `{digit}+` before: ' or'"])
    assert rows(before) == [("cost $12 and N or $5",)]
    groups = run(money, ["replacepatterns col: t with: '<$1>' on: /\\$(\\d+)/ after: 'cost '"])
    assert rows(groups) == [("cost <12> and 34 or $5",)]
    caseless = run(money, ["replacepatterns col: t with: 'X' on: 'COST' ignoreCase: true"])
    assert rows(caseless) == [("X $12 and 34 or $5",)]
    # a typed column keeps its type
    typed = infer_types(spark.createDataFrame([("1",), ("22",)], "n string"))
    kept = run(typed, ["replacepatterns col: n with: '9' on: '2' global: true"])
    assert column_type(kept.schema["n"]).name == "Integer"
    assert rows(kept) == [("1",), ("99",)]
    fails(df, ["replacepatterns col: d with: 'x'"], "needs parameter 'on'")
    fails(df, ["replacepatterns col: nope with: 'x' on: 'a'"], "unknown column 'nope'")


# --- filter ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def people(spark: SparkSession) -> DataFrame:
    return infer_types(
        spark.createDataFrame(
            [
                ("1", "Ann", "94104", "730", "0"),
                ("2", "bob", "94105", "731", "0.0"),
                ("3", "Ćelia", "", "12", "10"),
                ("4", None, "10001", None, None),
                ("5", "N/A", "abc", "5.5", "0.5"),
            ],
            "id string, `first name` string, zip string, days string, score string",
        )
    )


def _ids(df: DataFrame) -> list[str]:
    return [r["id"] for r in df.collect()]


def test_filter_real_forms(people: DataFrame) -> None:
    # Recency Frequency.wrangle: a strict bound made inclusive by its flag
    assert _ids(
        run(
            people,
            [
                "filter type: lessThan \ncol: days \nlessThan: 730 \nlessThanEqual: true \naction: Keep"
            ],
        )
    ) == ["1", "3", "5"]
    assert _ids(run(people, ["filter type: lessThan col: days lessThan: 730 action: Keep"])) == [
        "3",
        "5",
    ]
    # exactly: a number on a numeric column, a text (escaped slash) on a text column
    assert _ids(run(people, ["filter type: exactly col: days exactly: 12 action: Keep"])) == ["3"]
    assert _ids(
        run(people, ["filter type: exactly col: `first name` exactly: 'N\\/A' action: Delete"])
    ) == ["1", "2", "3", "4"]
    # contains a /regex/: the DataDive recipe's zero scores
    assert _ids(
        run(people, ["filter type: contains col: score contains: /(^0$|^0\\.0$)/ action: Delete"])
    ) == ["3", "4", "5"]
    # missing: names the column (the World Bank recipe)
    assert _ids(run(people, ["filter type: missing missing: zip action: Delete"])) == [
        "1",
        "2",
        "4",
        "5",
    ]
    # custom with rowType: single (the form Cloud Dataprep downloads)
    assert _ids(
        run(people, ["filter type: custom rowType: single row: zip == '94105' action: Keep"])
    ) == ["2"]
    assert _ids(
        run(
            people,
            ["filter type: custom rowType: single row: ISMISSING([`first name`]) action: Delete"],
        )
    ) == ["1", "2", "3", "5"]


def test_filter_condition_types(people: DataFrame) -> None:
    def kept(step: str) -> list[str]:
        return _ids(run(people, [step]))

    assert kept("filter type: startsWith col: `first name` startsWith: 'b' action: Keep") == ["2"]
    assert kept(
        "filter type: startsWith col: `first name` startsWith: 'B' ignoreCase: true action: Keep"
    ) == ["2"]
    assert kept("filter type: endsWith col: zip endsWith: `{digit}{2}` action: Keep") == [
        "1",
        "2",
        "4",
    ]
    assert kept("filter type: contains col: `first name` contains: 'eli' action: Keep") == ["3"]
    assert kept("filter type: oneOf col: zip oneOf: '94104', '10001' action: Keep") == ["1", "4"]
    assert kept(
        "filter type: between col: days greaterThanEqual: 12 lessThan: 731 action: Keep"
    ) == ["1", "3"]
    assert kept(
        "filter type: between col: days greaterThan: 12 greaterThanEqual: true lessThan: 731 "
        "lessThanEqual: true action: Delete"
    ) == ["4", "5"]
    assert kept("filter type: greaterThan col: days greaterThan: 730 action: Keep") == ["2"]
    assert kept("filter type: mismatched col: zip mismatched: 'Zipcode' action: Delete") == [
        "1",
        "2",
        "3",
        "4",
    ]


def test_filter_errors(people: DataFrame) -> None:
    fails(
        people,
        ["filter type: custom rowType: multiple row: zip == '1' action: Keep"],
        "rowType: multiple",
    )
    fails(
        people, ["filter type: lessthen col: days lessThan: 1"], "unknown filter type", "lessThan"
    )
    fails(people, ["filter type: lessThan col: days lessThanEqual: true"], "needs lessThan:")
    fails(people, ["filter type: between col: days lessThan: 5"], "lower bound")
    fails(people, ["filter type: exactly col: zip exactly: '1' contains: 'x'"], "contains:")
    fails(people, ["filter type: exactly exactly: '1'"], "needs col:")
    fails(people, ["filter col: zip lessThan: 1 lessThanEqual: 2"], "both give a bound")
    fails(people, ["filter type: exactly col: zip exactly: '1' action: Maybe"], "Keep or Delete")
    fails(people, ["filter type: oneOf col: zip oneOf: 'a' ignoreCase: true"], "ignoreCase")
    fails(people, ["filter action: Keep"], "needs a condition")


# --- groupby --------------------------------------------------------------------------------


def test_groupby(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("w", "ü x", 1.0), ("w", "ü x", 3.0), ("e", None, 5.0), (None, "b", None)],
        "region string, `brand name` string, amount double",
    )
    out = run(
        df,
        ["groupby group: region value: SUM(amount), COUNT() type: agg", "sort order: region"],
    )
    assert out.columns == ["region", "sum_amount", "row_count"]
    assert rows(out) == [(None, None, 1), ("e", 5.0, 1), ("w", 4.0, 2)]
    # "groupby value: LIST(brands, 100) type: agg": one row over the whole dataset
    listed = run(df, ["groupby value: COUNTDISTINCT(`brand name`) type: agg"])
    assert listed.columns == ["countdistinct_brand name"]
    assert rows(listed) == [(2,)]
    # the Northwind step: the distinct groups, no aggregate
    distinct = run(
        df,
        ["groupby group: region,`brand name` \ntype: agg", "sort order: region"],
    )
    assert rows(distinct) == [(None, "b"), ("e", None), ("w", "ü x")]
    named = run(df, ["groupby group: region value: MAX(amount) type: agg as: 'top'"])
    assert named.columns == ["region", "top"]
    fails(df, ["groupby group: region type: window"], "groupby type: is agg")
    fails(df, ["groupby type: agg"], "needs group:, value: or both")
    fails(df, ["groupby group: region value: amount + 1 type: agg"], "group")


# --- settype --------------------------------------------------------------------------------


def test_settype_lock_and_datetime_type(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("0012", "21-03-04 10:00:00"), ("x", "2021/03/04T10:00:00")], "sku string, t string"
    )
    out = run(
        df,
        [
            "settype col: sku lockDataType: true type: String",
            "settype col: t datetimeType: 'Datetime','yy-mm-dd hh:mm:ss','yyyy*mm*dd*HH:MM:SS' "
            "type: Datetime",
            "derive value: ISMISMATCHED(t, 'Datetime') as: 'bad'",
        ],
    )
    assert column_type(out.schema["sku"]).name == "String"
    assert column_type(out.schema["t"]).formats[0] == "yy-MM-dd HH:mm:ss"
    assert rows(out) == [("0012", "21-03-04 10:00:00", False), ("x", "2021/03/04T10:00:00", False)]
    fails(df, ["settype col: sku lockDataType: maybe type: String"], "true or false")
    fails(
        df,
        ["settype col: t datetimeType: 'Datetime','yy-mm-dd' type: Integer"],
        "datetimeType: describes 'Datetime'",
    )


def test_ismismatched_with_a_type_and_formats(spark: SparkSession) -> None:
    # "filter ... ISMISMATCHED({Time Event Began}, ['Datetime','hh:mm:ss','hh:MMa'])"
    df = spark.createDataFrame([("10:30:00",), ("09:05PM",), ("later",), (None,)], "t string")
    out = run(
        df,
        [
            "filter type: custom rowType: single row: "
            "ISMISMATCHED(t, ['Datetime','hh:mm:ss','hh:MMa']) action: Delete"
        ],
    )
    assert rows(out) == [("10:30:00",), ("09:05PM",)]
    fails(df, ["derive value: ISMISMATCHED(t, ['Datetime', t]) as: 'x'"], "quoted texts")


# --- case -----------------------------------------------------------------------------------


def test_case_condition(spark: SparkSession) -> None:
    df = spark.createDataFrame([(0, "a"), (2, "b"), (None, "c"), (9, "")], "size long, s string")
    # getCustomerSize.wrangle
    out = run(
        df,
        [
            "case condition: columnConditions \ncol: size \n"
            "colCases: [0,'Small'],[1,'Medium'],[2,'Large'],[3,'ExtraLarge'] \n"
            "default: 'Small' as: 'AutoCustSizeEqual'"
        ],
    )
    assert rows(out) == [
        (0, "a", "Small"),
        (2, "b", "Large"),
        (None, "c", "Small"),
        (9, "", "Small"),
    ]
    ite = run(df, ["case condition: ifThenElse if: size > 1 then: 'big' else: 'small' as: 'k'"])
    assert [r["k"] for r in ite.collect()] == ["small", "big", "small", "big"]
    custom = run(
        df,
        ["case condition: customConditions cases: [s == 'a', 1], [size > 5, 2] default: 0"],
    )
    assert [r["case"] for r in custom.collect()] == [1, 0, 0, 2]
    fails(df, ["case condition: ifThenElse col: size colCases: [0, 'x']"], "goes with if:")
    fails(df, ["case condition: sometimes if: size > 1 then: 'x'"], "ifThenElse")


# --- split, countpattern --------------------------------------------------------------------


def test_split_type_on(spark: SparkSession) -> None:
    # Data transposed.wrangle: "split type: on col: column1 on: ',' limit: 13 quote: '\"'"; the
    # platform names the pieces column2, column3, ... (its flow export lists them)
    df = spark.createDataFrame(
        [('a,"b,c",d,e', 1), ("x", 2), (None, 3)], "column1 string, column9 long"
    )
    out = run(df, ["split type: on col: column1 on: ',' limit: 2 quote: '\\\"'"])
    assert out.columns == ["column2", "column3", "column4", "column9"]
    assert rows(out) == [("a", '"b,c"', "d,e", 1), ("x", None, None, 2), (None, None, None, 3)]
    # the older form names them the same way
    older = run(df, ["split col: column1 on: ',' limit: 1"])
    assert older.columns == ["column2", "column3", "column9"]
    words = spark.createDataFrame([("é f g",)], "`ünï name` string")
    spaced = run(words, ["split type: on col: `ünï name` on: ' ' limit: 2"])
    assert spaced.columns == ["ünï name1", "ünï name2", "ünï name3"]
    every = run(words, ["split type: positions col: `ünï name` positions: 1"])
    assert rows(every) == [("é", " f g")]
    fails(df, ["split type: on col: column1"], "type: on needs on:")
    fails(df, ["split col: column1 on: ',' start: 'a'"], "goes with type: between")


def test_countpattern_between(spark: SparkSession) -> None:
    # the iNaturalist recipe: photos between `"photo` and `\}\}`
    df = spark.createDataFrame(
        [('[{"photo":{"id":1}}, {"photo":{"id":2}}]',), ("none",), (None,), ("",)],
        "observation_photos string",
    )
    out = run(
        df,
        [
            'countpattern type: between col: observation_photos start: `"photo` includeStart: true '
            "end: `\\}\\}` includeEnd: true as: 'countpattern_observation_photos'"
        ],
    )
    assert [r[1] for r in rows(out)] == [2, 0, 0, 0]
    # an end left out of the match may start the next stretch
    quotes = spark.createDataFrame([("'a'b'c'",)], "t string")
    kept_end = run(
        quotes, ['countpattern type: between col: t start: "\'" end: "\'" includeEnd: true']
    )
    open_end = run(quotes, ['countpattern type: between col: t start: "\'" end: "\'"'])
    assert rows(kept_end)[0][1] == 2
    assert rows(open_end)[0][1] == 3
    assert open_end.columns == ["t", "countpattern_t"]
    fails(quotes, ["countpattern type: between col: t start: 'a'"], "needs start: and end:")
    fails(quotes, ["countpattern col: t on: 'a' includeEnd: true"], "goes with type: between")
    fails(quotes, ["countpattern type: sideways col: t on: 'a'"], "on or between")


# --- bin ------------------------------------------------------------------------------------


def test_bin(spark: SparkSession) -> None:
    df = infer_types(
        spark.createDataFrame(
            [("0",), ("10",), ("25",), ("40",), (None,), ("abc",)], "`Agg LIR` string"
        )
    )
    # getCustomerSize.wrangle
    out = run(
        df, ["bin options: equalBins \ncol: `Agg LIR` \nbins: 4 \nas: 'CustomerSize_EqualBins'"]
    )
    assert out.columns == ["Agg LIR", "CustomerSize_EqualBins"]
    assert [r[1] for r in rows(out)] == [0, 1, 2, 3, None, None]
    defaulted = run(df, ["bin options: equalBins col: `Agg LIR` bins: 2 default: 9"])
    assert defaulted.columns == ["Agg LIR", "bin_Agg LIR"]
    assert [r[1] for r in rows(defaulted)] == [0, 0, 1, 1, 9, 9]
    custom = run(
        df,
        [
            "bin options: customBins \ncol: `Agg LIR` \nbins: 2 \nbinValues: 10,20,40 \n"
            "default: 0 \nas: 'CustomerSize_CustomBins'"
        ],
    )
    assert [r[1] for r in rows(custom)] == [0, 1, 2, 3, 0, 0]
    same = spark.createDataFrame([(7.0,), (7.0,)], "v double")
    assert [r[1] for r in rows(run(same, ["bin options: equalBins col: v bins: 3"]))] == [0, 0]
    fails(df, ["bin options: equalBins col: `Agg LIR`"], "needs bins:")
    fails(df, ["bin options: customBins col: `Agg LIR` binValues: 5, 1"], "increasing")
    fails(df, ["bin options: quantiles col: `Agg LIR` bins: 2"], "equalBins or customBins")
    fails(df, ["bin options: equalBins col: `Agg LIR` bins: 2 default: 'x'"], "whole number")


# --- replacemissing, dateformat -------------------------------------------------------------


def test_replacemissing(spark: SparkSession) -> None:
    df = infer_types(
        spark.createDataFrame(
            [("12345", "1"), (None, ""), ("", None)], "`Ship Postal.Code` string, n string"
        )
    )
    # Orders_clean.wrangle
    out = run(df, ["replacemissing col: `Ship Postal.Code` \nwith: custom text: 'T12'"])
    assert [r[0] for r in rows(out)] == ["12345", "T12", "T12"]
    numbers = run(df, ["replacemissing col: n with: custom text: 0"])
    assert [r[1] for r in rows(numbers)] == ["1", "0", "0"]
    assert column_type(numbers.schema["n"]).name == "Integer"
    assert [r[1] for r in rows(run(df, ["replacemissing col: n with: empty"]))] == ["1", "", ""]
    assert [r[1] for r in rows(run(df, ["replacemissing col: n with: null"]))] == ["1", None, None]
    fails(df, ["replacemissing col: n with: custom"], "needs text:")
    fails(df, ["replacemissing col: n with: average"], "custom, empty, null")
    fails(df, ["replacemissing col: n with: empty text: 'x'"], "goes with with: custom")


def test_dateformat_transform(spark: SparkSession) -> None:
    df = infer_types(
        spark.createDataFrame(
            [("2024-01-31", "x"), ("2023-12-01", "y"), (None, "z")],
            "`Initial date` string, s string",
        )
    )
    # my_calendars.wrangle
    out = run(
        df,
        [
            "dateformat col: `Initial date` type: custom format: 'dd-MM-yyyy'",
            "derive value: MONTH(`Initial date`) as: 'm'",
        ],
    )
    assert rows(out) == [("31-01-2024", 1, "x"), ("01-12-2023", 12, "y"), (None, None, "z")]
    assert column_type(out.schema["Initial date"]).formats == ("dd-MM-yyyy",)
    named = run(df, ["dateformat col: `Initial date` type: ddmmcommondate"])
    assert [r[0] for r in rows(named)] == ["31/01/2024", "01/12/2023", None]
    text = run(df, ["dateformat col: s type: custom format: 'yyyy'"])
    assert [r[1] for r in rows(text)] == [None, None, None]
    fails(df, ["dateformat col: s type: custom"], "needs format:")
    fails(df, ["dateformat col: s type: custom format: 'yyyy-qq'"], "bad date format")
    fails(
        df, ["dateformat col: s type: ddmmcomondate"], "unknown dateformat type", "ddmmcommondate"
    )


# --- pivot, unpivot -------------------------------------------------------------------------


def test_pivot_forms(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [
            ("c1", "Mr", "MOC", 10.0),
            ("c1", "Mr", "MOT", -2.0),
            ("c2", "Mrs", "MOC", 4.0),
            ("c2", "Mr", "MOC", None),
        ],
        "column2 string, title string, `call type` string, column16 double",
    )
    # the FEC lab: "pivot value:sum(column16),average(column16),countif(column16 > 0) group: ..."
    out = run(
        df,
        [
            "pivot value:sum(column16),average(column16),countif(column16 > 0) group: column2",
            "sort order: column2",
        ],
    )
    assert out.columns == ["column2", "sum_column16", "average_column16", "countif"]
    assert rows(out) == [("c1", 8.0, 4.0, 1), ("c2", 4.0, 4.0, 1)]
    # several col: columns; names carry the values as they are, COUNT() is row_count
    wide = run(
        df,
        [
            "pivot col: title, `call type` value: COUNT(), MAX(column16) group: column2",
            "sort order: column2",
        ],
    )
    assert wide.columns == [
        "column2",
        "row_count_Mr_MOC",
        "max_column16_Mr_MOC",
        "row_count_Mr_MOT",
        "max_column16_Mr_MOT",
        "row_count_Mrs_MOC",
        "max_column16_Mrs_MOC",
    ]
    assert rows(wide) == [("c1", 1, 10.0, 1, -2.0, None, None), ("c2", 1, None, None, None, 1, 4.0)]
    spaced = spark.createDataFrame(
        [("1 -- ID", "a"), ("10 -- CITY", "b")], "k string, value string"
    )
    named = run(spaced, ["pivot col: k value: ANY(value) limit: 50"])
    assert named.columns == ["any_value_1 -- ID", "any_value_10 -- CITY"]
    fails(df, ["pivot col: title value: SUM(column16) limit: 1"], "more than 1 distinct")


def test_unpivot_group_every(spark: SparkSession) -> None:
    df = spark.createDataFrame([("o", "1", "2")], "OFFER string, `A-1/1/2020` string, `B-2` string")
    out = run(df, ["unpivot col: `A-1/1/2020`, `B-2` groupEvery: 1"])
    assert rows(out) == [("o", "A-1/1/2020", "1"), ("o", "B-2", "2")]
    fails(df, ["unpivot col: `A-1/1/2020`, `B-2` groupEvery: 2"], "groupEvery")


def test_type_format_patterns() -> None:
    # pure Python: the Datetime type's dialect (mm = month in a date, MM = minutes), its family
    assert type_format_patterns(["mm-dd-yy"]) == ["MM-dd-yy"]
    assert type_format_patterns(["yy-mm-dd hh:mm:ss", "yyyy*mm*dd*HH:MM:SS"]) == [
        "yy-MM-dd HH:mm:ss",
        "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy/MM/dd HH:mm:ss",
        "yyyy/MM/dd'T'HH:mm:ss",
        "yyyy.MM.dd HH:mm:ss",
        "yyyy.MM.dd'T'HH:mm:ss",
    ]
    # a time alone; hh is the 12-hour clock only with an AM/PM marker
    assert type_format_patterns(["hh:mm:ss", "hh:MMa"]) == ["HH:mm:ss", "hh:mma"]


# --- MATCHES with an expression as its pattern ------------------------------------------------


def test_matches_an_expression_as_literal_text(spark: SparkSession) -> None:
    # a real recipe keeps this year's rows: MATCHES([YEAR(submitTime)], YEAR(NOW('UTC')), true)
    df = spark.createDataFrame(
        [("2024-03-01", "2024"), ("2023-12-31", "2024"), (None, "2024"), ("x.y", "X.")],
        "t string, y string",
    )
    out = run(
        df,
        [
            "derive value: MATCHES([t], y) as: 'plain'",
            "derive value: MATCHES([LOWER(t)], y, true) as: 'nocase'",
        ],
    )
    # the value is text, not a pattern: "." matches only a dot
    assert rows(out.select("plain", "nocase")) == [
        (True, True),
        (False, False),
        (None, None),
        (False, True),
    ]
