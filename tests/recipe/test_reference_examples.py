"""Conformance with the public Wrangle reference: each case runs the reference's own step text
(or formula) on the reference's own input table and checks the output the reference states.

The case id names the reference page the example comes from, so a failure says where to look.
Pages: help.alteryx.com/.../wrangle-language/... (same text as docs.trifacta.com). Input columns
are strings typed on import, as the job runner reads a CSV source; expected values are as the
reference prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe
from spark_jobs.recipe.ast import print_step
from spark_jobs.recipe.parser import parse_step
from spark_jobs.recipe.types import infer_types


@dataclass(frozen=True)
class Example:
    page: str  #: the reference page's title
    schema: str  #: the input table's columns (DDL)
    rows: list[tuple[Any, ...]]  #: the input table
    steps: list[str]  #: the reference's step text, unchanged
    columns: list[str]  #: the output columns compared
    expected: list[tuple[Any, ...]]  #: the reference's output rows (in input order)


def _no_datasets(ref: DatasetReference) -> DataFrame:
    raise KeyError(ref)


def _literal(formula: str, *values: Any) -> Example:
    """A Basic Usage formula on a one-row table, e.g. left('Hello, World',5) -> Hello."""
    return Example(
        page="",
        schema="id int",
        rows=[(1,)],
        steps=[f"derive type: single value: {formula} as: 'out'"],
        columns=["out"],
        expected=[values],
    )


def _page(page: str, example: Example) -> Example:
    return Example(
        page, example.schema, example.rows, example.steps, example.columns, example.expected
    )


_ROUNDING_X = ["-2.5", "-1.2", "0", "1", "1.5", "2.5", "3.9", "4", "4.1", "11"]

EXAMPLES: list[Example] = [
    # --- string functions: Basic Usage -------------------------------------------------------
    _page("LEFT Function", _literal("left('Hello, World',5)", "Hello")),
    Example(
        "LEFT Function",
        "MyName string",
        [("Maryland",), ("Al",), (None,)],
        ["derive type: single value: left(MyName,3) as: 'x'"],
        ["x"],
        [("Mar",), ("Al",), (None,)],
    ),
    _page("RIGHT Function", _literal("right('Hello, World',5)", "World")),
    _page("UPPER Function", _literal("upper('Hello, World')", "HELLO, WORLD")),
    _page("LOWER Function", _literal("lower('Hello, World')", "hello, world")),
    _page("PROPER Function", _literal("proper('Hello, world')", "Hello, World")),
    _page("TRIM Function", _literal("trim(' Hello, World ')", "Hello, World")),
    _page(
        "REMOVEWHITESPACE Function", _literal("removewhitespace(' Hello, World ')", "Hello,World")
    ),
    _page("REMOVESYMBOLS Function", _literal("removesymbols('Héllõ, Wõrlds!?!?')", "Héllõ Wõrlds")),
    # "Since the match is found at the fourth character ..., the value 3 is returned"
    _page("FIND Function", _literal("find('Hello, World','lo',false,2)", 3)),
    # "If no match is found, the function returns a null value."
    _page("FIND Function", _literal("find('Hello, World','xyz',false,0)", None)),
    _page("RIGHTFIND Function", _literal("rightfind('Hello, World','xyz',false,0)", None)),
    # "If an input value is longer than the minimum length, no change is made to the string."
    _page("PAD Function", _literal("pad('My Name', 10, '!', right)", "My Name!!!")),
    Example(
        "PAD Function",
        "Whse_Nbr string",
        [("42",), ("1234567",), (None,)],
        ["derive type: single value: pad(Whse_Nbr, 6, '0', left) as: 'x'"],
        ["x"],
        [("000042",), ("1234567",), (None,)],
    ),
    _page("MERGE Function", _literal("merge(['Hello,','World'],' ')", "Hello, World")),
    Example(
        "MERGE Function",
        "string1 string, string2 string",
        [("ab", "cd")],
        ["derive type: single value: merge([string1,string2]) as: 'x'"],
        ["x"],
        [("abcd",)],
    ),
    # "Returns the number of full months that have elapsed between StartDate and EndDate";
    # "Results are calculated to the integer value that is closest to and lower than the exact total"
    Example(
        "DATEDIF Function",
        "StartDate string, EndDate string",
        [("2020-01-15", "2020-03-14"), ("2020-01-15", "2020-03-15"), ("2020-03-15", "2020-01-15")],
        [
            "settype col: StartDate type: Datetime",
            "settype col: EndDate type: Datetime",
            "derive type: single value: datedif(StartDate, EndDate, month) as: 'm'",
        ],
        ["m"],
        [(1,), (2,), (-2,)],
    ),
    _page("SUBSTRING Function", _literal("substring('Hello, World',0,5)", "Hello")),
    # "Returns the first non-missing detected in col1, col2, or col3 in that order."
    Example(
        "COALESCE Function",
        "col1 string, col2 string, col3 string",
        [("a", "b", "c"), (None, "b", "c"), (None, None, "c"), (None, None, None)],
        ["derive type: single value: coalesce([col1,col2,col3]) as: 'x'"],
        ["x"],
        [("a",), ("b",), ("c",), (None,)],
    ),
    # "Returns the values in the myDate column with three months added to them."
    Example(
        "DATEADD Function",
        "myDate string",
        [("2016-12-31",), ("2017-01-15",)],
        ["derive type: single value: dateadd(myDate, 3, month) as: 'x'"],
        ["x"],
        [(datetime(2017, 3, 31),), (datetime(2017, 4, 15),)],
    ),
    # --- DOUBLEMETAPHONE / DOUBLEMETAPHONEEQUALS: Basic Usage -----------------------------------
    _page(
        "DOUBLEMETAPHONE Function", _literal("doublemetaphone('My String')", '["MSTRNK","MSTRNK"]')
    ),
    _page(
        "DOUBLEMETAPHONEEQUALS Function",
        _literal("doublemetaphoneequals('My String', 'my string')", True),
    ),
    # --- IF Function: Basic Usage ---------------------------------------------------------------
    Example(
        "IF Function",
        "State string",
        [("NY",), ("CA",), ("TX",)],
        [
            "derive type: single value: if(State == 'NY','New York, New York!','some other place')"
            " as: 'x'",
            "derive type: single value: if(State == 'NY',0.05,if(State=='CA',0.08,0)) as: 'tax'",
        ],
        ["x", "tax"],
        [("New York, New York!", 0.05), ("some other place", 0.08), ("some other place", 0.0)],
    ),
    # --- DATE Function: "Returns the formatted date value: 2015-02-15."
    _page("DATE Function", _literal("dateformat(date(2015,02,15),'yyyy-MM-dd')", "2015-02-15")),
    # --- EXAMPLE - Case Functions --------------------------------------------------------------
    Example(
        "EXAMPLE - Case Functions",
        "input string",
        [("AbCdEfGh IjKlMnO",), ("go West, young man!",), ("Oh, *(*$%(&! That HURT!",)],
        [
            "derive type: single value: UPPER(input) as: 'uppercase'",
            "derive type: single value: LOWER(input) as: 'lowercase'",
            "derive type: single value: PROPER(input) as: 'propercase'",
        ],
        ["uppercase", "lowercase", "propercase"],
        [
            ("ABCDEFGH IJKLMNO", "abcdefgh ijklmno", "Abcdefgh Ijklmno"),
            ("GO WEST, YOUNG MAN!", "go west, young man!", "Go West, Young Man!"),
            ("OH, *(*$%(&! THAT HURT!", "oh, *(*$%(&! that hurt!", "Oh, *(*$%(&! That Hurt!"),
        ],
    ),
    # --- EXAMPLE - String Cleanup Functions ----------------------------------------------------
    Example(
        "EXAMPLE - String Cleanup Functions",
        "source string",
        [("this source  ",), ("\t\tthis source",), ("\t\tthis source  ",), ("à mañana",)],
        [
            "derive type: single value: TRIM(source) as: 'trim_source'",
            "derive type: single value: REMOVEWHITESPACE(source) as: 'removewhitespace_source'",
        ],
        ["trim_source", "removewhitespace_source"],
        [
            ("this source", "thissource"),
            ("this source", "thissource"),
            ("this source", "thissource"),
            ("à mañana", "àmañana"),
        ],
    ),
    # --- EXAMPLE - Rounding Functions ----------------------------------------------------------
    # The reference's results: ROUND(-2.5) is -2 (halves round up, toward +infinity), and the
    # modulo of a Decimal value is missing.
    Example(
        "EXAMPLE - Rounding Functions",
        "X string",
        [(x,) for x in _ROUNDING_X],
        [
            "derive type: single value: FLOOR(X) as: 'floorX'",
            "derive type: single value: CEILING(X) as: 'ceilingX'",
            "derive type: single value: ROUND (X) as: 'roundX'",
            "derive type: single value: (X % 2) as: 'modX'",
        ],
        ["floorX", "ceilingX", "roundX", "modX"],
        [
            (-3, -2, -2, None),
            (-2, -1, -1, None),
            (0, 0, 0, 0),
            (1, 1, 1, 1),
            (1, 2, 2, None),
            (2, 3, 3, None),
            (3, 4, 4, None),
            (4, 4, 4, 0),
            (4, 5, 4, None),
            (11, 11, 11, 1),
        ],
    ),
    # --- WEEKNUM Function: "increments on Sunday. Week 1 of the year is the week that contains
    # January 1." (2016-01-01 is a Friday, 2017-01-01 a Sunday)
    Example(
        "WEEKNUM Function",
        "MyDate string",
        [
            ("2016-01-01",),
            ("2016-01-02",),
            ("2016-01-03",),
            ("2017-01-01",),
            ("2017-01-07",),
            ("2017-01-08",),
            ("2016-12-31",),
        ],
        [
            "settype col: MyDate type: Datetime",
            "derive type: single value: weeknum(MyDate) as: 'wk'",
        ],
        ["wk"],
        [(1,), (1,), (2,), (1,), (1,), (2,), (53,)],
    ),
    # --- Split Transform: Basic Usage ---------------------------------------------------------
    # "Splits the source MyValues column into four separate columns ... If a row only has two
    # commas in it, then the final generated column is null."
    Example(
        "Split Transform",
        "MyValues string",
        [("a,b,c,d",), ("a,b,c",)],
        ["split col: MyValues on: ',' limit: 3"],
        ["MyValues1", "MyValues2", "MyValues3", "MyValues4"],
        [("a", "b", "c", "d"), ("a", "b", "c", None)],
    ),
    # --- Derive Transform: Basic Usage (the reference writes no space after some colons) ---------
    Example(
        "Derive Transform",
        "productName string, a string, b string",
        [("widget", "3", "4"), ("gadget", "5", "12")],
        [
            "derive type: single value: 'passed' as:'status'",
            "derive type: single value:productName as:'orig_productName'",
            "derive type: single value:SQRT(POW(a,2) + POW(b,2)) as:'c'",
        ],
        ["status", "orig_productName", "c"],
        [("passed", "widget", 5.0), ("passed", "gadget", 13.0)],
    ),
    # "Window function example: derive type: multiple col: avgRolling value: ROLLINGAVERAGE(...)"
    # (one row per saleDate, so each average is the row's own value)
    Example(
        "Derive Transform",
        "saleDate string, POS_Sales string",
        [("2020-01-01", "10"), ("2020-01-02", "20")],
        [
            "derive type: multiple col: avgRolling value: ROLLINGAVERAGE(POS_Sales, 7, 0) "
            "group: saleDate order: saleDate"
        ],
        ["saleDate", "avgRolling"],
        [("2020-01-01", 10.0), ("2020-01-02", 20.0)],
    ),
    # --- Set Transform: Basic Usage -------------------------------------------------------------
    Example(
        "Set Transform",
        "Country string, SSN string, Phone string",
        [("US", "123-45-6789", "555-1234"), (None, "", None)],
        ["set col: Country value: 'USA'", "set col: SSN,Phone value: '##REDACTED###'"],
        ["Country", "SSN", "Phone"],
        [("USA", "##REDACTED###", "##REDACTED###"), ("USA", "##REDACTED###", "##REDACTED###")],
    ),
    # "the values in score1 and score2 are set to the average of the column value when the value
    # in the column is 0. Note that the computation of average is applied across all rows"
    Example(
        "Set Transform",
        "score1 string, score2 string",
        [("0", "4"), ("4", "0"), ("8", "8")],
        [
            "settype col: score1,score2 type: Integer",
            "set col:score1,score2 value:IF ($col == 0, AVERAGE($col), $col)",
        ],
        ["score1", "score2"],
        [(4.0, 4.0), (4.0, 4.0), (8.0, 8.0)],
    ),
    # --- Replace Transform: Basic Usage ----------------------------------------------------------
    # "If honda appears twice a cell, both instances are replaced with toyota."
    Example(
        "Replace Transform",
        "text string",
        [("honda civic, honda fit",), ("ford",), (None,)],
        ["replace col: text on: 'honda' with:'toyota' global: true"],
        ["text"],
        [("toyota civic, toyota fit",), ("ford",), (None,)],
    ),
    # "replace the substring between character 2 and 6 ... If the length of the original cell
    # value is less than 6, the replacement value is inserted."
    Example(
        "Replace Transform",
        "text string",
        [("abcdefgh",)],
        ["replace col: text at: 2,6 with:'replacement text'"],
        ["text"],
        [("abreplacement textgh",)],
    ),
    # --- Nest Transform: Basic Usage (the reference prints {"ItemA":"22","ItemB","33"}, a typo
    # for the JSON object below) ----------------------------------------------------------------
    Example(
        "Nest Transform",
        "ItemA string, ItemB string",
        [("22", "33"), ("44", "55")],
        ["nest col:ItemA,ItemB into:'obj' as:'myObj'"],
        ["ItemA", "ItemB", "myObj"],
        [("22", "33", '{"ItemA":"22","ItemB":"33"}'), ("44", "55", '{"ItemA":"44","ItemB":"55"}')],
    ),
    Example(
        "Nest Transform",
        "ItemA string, ItemB string",
        [("22", "33"), ("44", "55")],
        ["nest col:ItemA,ItemB into:'array' as:'myArray'"],
        ["ItemA", "ItemB", "myArray"],
        [("22", "33", '["22","33"]'), ("44", "55", '["44","55"]')],
    ),
    # --- Filter Transform: Basic Usage, one example per condition type --------------------------
    # "Deletes all rows in which the value in the qty column is missing."
    Example(
        "Filter Transform",
        "id string, qty string",
        [("1", "3"), ("2", ""), ("3", None), ("4", "0")],
        ["filter missing: qty action: Drop"],
        ["id", "qty"],
        [("1", "3"), ("4", "0")],
    ),
    # "Deletes all rows in which the value in the CoName column does not match the String data
    # type." (every text matches String; a missing value is missing, not mismatched)
    Example(
        "Filter Transform",
        "CoName string",
        [("Acme",), ("",), ("42",)],
        ["filter col: CoName mismatched: 'String' action: Drop"],
        ["CoName"],
        [("Acme",), ("",), ("42",)],
    ),
    # "Keeps all rows where 545 appears at the eighth character in the basic column."
    Example(
        "Filter Transform",
        "basic string",
        [("abcdefgh545",), ("545abcdefgh",), ("abcdefg545",), (None,)],
        ["filter col: basic exactly: find(basic, '545', true, 1) == 8 action: Keep"],
        ["basic"],
        [("abcdefgh545",)],
    ),
    # "Keeps all rows in which the value of the zipCode column is either 94104 or 94105"
    Example(
        "Filter Transform",
        "zipCode string",
        [("94104",), ("94105",), ("94106",), (None,)],
        ["filter col: zipCode oneOf: '94104','94105' action: Keep"],
        ["zipCode"],
        [("94104",), ("94105",)],
    ),
    # "Keeps all rows in the dataset where the value in the row_number column is less than or
    # equal to 5. All other rows are deleted."
    Example(
        "Filter Transform",
        "row_number string",
        [("4",), ("5",), ("6",), ("",)],
        ["filter col: row_number lessThanEqual: 5 action: Keep"],
        ["row_number"],
        [("4",), ("5",)],
    ),
    # "Deletes all rows in the dataset where the value in the row_number column is greater than
    # or equal to 10."
    Example(
        "Filter Transform",
        "row_number string",
        [("9",), ("10",), ("11",), ("",)],
        ["filter col: row_number greaterThanEqual: 10 action: Drop"],
        ["row_number"],
        [("9",), ("",)],
    ),
    # --- Pivot Transform: "new columns for each distinct value in the Dates column ... a sum of
    # sales for the product for each date"
    Example(
        "Pivot Transform",
        "prodId string, Dates string, Sales string",
        [("p1", "d1", "2"), ("p1", "d1", "3"), ("p1", "d2", "4"), ("p2", "d2", "5")],
        ["pivot col: Dates value:SUM(Sales) group: prodId", "sort order: prodId"],
        ["prodId", "sum_Sales_d1", "sum_Sales_d2"],
        [("p1", 5, 4), ("p2", None, 5)],
    ),
    # --- Unpivot Transform: "Keys are the names of input columns, and value columns are the cell
    # values from the source. Rows of data are duplicated, once for each input column."
    Example(
        "Unpivot Transform",
        "id string, FirstName string, MiddleInitial string",
        [("1", "Ada", "K")],
        ["unpivot col: FirstName, MiddleInitial"],
        ["id", "key", "value"],
        [("1", "FirstName", "Ada"), ("1", "MiddleInitial", "K")],
    ),
    Example(
        "Unpivot Transform",
        "Column1 string, Column2 string, Column3 string",
        [("a", "b", "c")],
        ["unpivot col:Column1~Column3"],
        ["key", "value"],
        [("Column1", "a"), ("Column2", "b"), ("Column3", "c")],
    ),
    # --- Extract Transform: "Extracts the value honda from the source column text up to 10 times
    # and insert into a new column. The source column text is unmodified."
    Example(
        "Extract Transform",
        "text string",
        [("honda civic, honda fit",)],
        ["extract col: text on: 'honda' limit: 10"],
        ["text", "text1", "text2"],
        [("honda civic, honda fit", "honda", "honda")],
    ),
    # --- Extractlist Transform: Basic Usage -----------------------------------------------------
    Example(
        "Extractlist Transform",
        "myWidgetInventory string",
        [('{ "red":"100","white":"1300","blue":"315","purple":"55"}',)],
        ["extractlist col: myWidgetInventory on:`{digit}+`"],
        ["extractlist_myWidgetInventory"],  # the reference does not name the new column
        [('["100","1300","315","55"]',)],
    ),
    # --- Window Transform: Basic Usage: the new column is called window ------------------------
    Example(
        "Window Transform",
        "customerId string, MyDate string, myValues string",
        [("c1", "2020-01-01", "2"), ("c1", "2020-01-02", "4"), ("c2", "2020-01-01", "10")],
        ["window value: ROLLINGAVERAGE(myValues,3) order: MyDate group: customerId"],
        ["customerId", "MyDate", "window"],
        [("c1", "2020-01-01", 2.0), ("c1", "2020-01-02", 3.0), ("c2", "2020-01-01", 10.0)],
    ),
    # --- ROLLINGSUM Function: "rollingsum(myNumber, 3) ... the current row and the three
    # previous row values"; "If an input value is missing or null, it is not factored in"
    Example(
        "ROLLINGSUM Function",
        "n int, myNumber string",
        [(1, "1"), (2, "2"), (3, None), (4, "4"), (5, "5")],
        ["window value: rollingsum(myNumber, 3) order: n"],
        ["n", "window"],
        [(1, 1), (2, 3), (3, 3), (4, 7), (5, 11)],
    ),
    Example(
        "ROLLINGSUM Function",
        "n int, myCol string",
        [(1, "1"), (2, "2"), (3, None), (4, "4"), (5, "5")],
        ["window value: rollingsum(myCol) order: n"],
        ["n", "window"],
        [(1, 1), (2, 3), (3, 3), (4, 7), (5, 12)],
    ),
]


def _id(example: Example) -> str:
    return f"{example.page}: {' ; '.join(example.steps)}"


@pytest.mark.parametrize("example", EXAMPLES, ids=[_id(e) for e in EXAMPLES])
def test_reference_example(spark: SparkSession, example: Example) -> None:
    # the reference's text parses, and prints back to text that parses to the same steps
    for text in example.steps:
        step = parse_step(text)
        assert parse_step(print_step(step)) == step
    # typed on import as the job runner types a source (Integer, Decimal, Datetime, ...)
    df = infer_types(spark.createDataFrame(example.rows, example.schema))
    out = apply_recipe(df, parse_recipe(example.steps), resolve=_no_datasets, dataset="test")
    got = out.select(*example.columns)
    expected = spark.createDataFrame(example.expected, got.schema)
    assert_df_equality(got, expected, ignore_nullable=True)
