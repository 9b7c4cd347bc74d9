"""The Wrangle language as the platform writes it (pure Python, no Spark): {Column Name}s, steps
over several lines with // notes, dataset names with spaces and dots in join / lookup / union,
union's mapping objects, steps that cannot run outside the platform, step descriptions copied
from its UI. The forms come from the real recipes in ../shared/wild (test_real_recipes.py)."""

from __future__ import annotations

import pytest

from spark_jobs.errors import NotWrangleError, PlatformStepError, RecipeError
from spark_jobs.recipe import DatasetReference, parse_recipe
from spark_jobs.recipe import ast as A
from spark_jobs.recipe.ast import print_step
from spark_jobs.recipe.parser import parse_step


def _value(text: str, param: str = "value") -> A.Expr:
    p = parse_step(text).param(param)
    assert p is not None
    return p.values[0]


def _values(text: str, param: str) -> tuple[A.Expr, ...]:
    p = parse_step(text).param(param)
    assert p is not None
    return p.values


def _round_trips(text: str, datasets: tuple[str, ...] = ()) -> A.Step:
    step = parse_step(text, datasets=datasets)
    printed = print_step(step)
    again = parse_step(printed, datasets=datasets)
    assert again == step, printed
    assert print_step(again) == printed
    return step


def col(name: str, dataset: str | None = None) -> A.ColumnRef:
    return A.ColumnRef(name, quoted=True, dataset=dataset)


# --- {Column Name} ---------------------------------------------------------------------------

REAL_STEPS = [
    "drop col: {row number} action: Drop",
    "move col: {a.b} position: after after: {c.d}",
    "derive type: single value: IF(type == 'Auto repair shop' && (ARRAYLEN({Brands in Name}) "
    "|| ARRAYLEN({Brands in Site})), 'authorized car dealer', '') as: 'authorized car dealer'",
    "sort order: -{observation.resultCategoryObservation.submitTime1}",
    "unpivot col: {ACTUAL-PERIODIC-1/1/2020}~{BUDGET-YTD-3/1/2020}",
    "set col: OCCUPATION value: IFMISSING($col, {Most frequent occupation})",
    "derive type: multiple value: LISTIF(Measure, 100, Measure > 0) group: {Truncated Time "
    "(second)} as: 'List Measure in same second'",
    "pivot col: {Indicator Name} group: {Country Name},{Country Code},Year value: SUM(value) "
    "limit: 50",
    "rename type: manual mapping: [{any_-1},'Last value found at millisecond level']",
    'unpivot col: {"1960"}, {"1961"}',
    "derive type: single value: ({Max%SalesInQtr} - {Min%OfSalesInQtr}) * 0.25 as: 'q'",
    "derive type: single value: MERGE(['User: ',{omProcess.license.licenseAttributionSource}])",
    "drop col: {Größe in m²}, {naïve café} action: Drop",
]


@pytest.mark.parametrize("text", REAL_STEPS)
def test_braced_names_parse_and_round_trip(text: str) -> None:
    _round_trips(text)


def test_a_braced_name_is_the_text_between_the_braces() -> None:
    assert _values("drop col: {row number}, plain action: Drop", "col") == (
        col("row number"),
        A.ColumnRef("plain"),
    )
    assert _value("sort order: -{submit time}", "order") == A.UnaryOp("-", col("submit time"))
    assert _value("unpivot col: {ACTUAL-1/1/2020}~{BUDGET-3/1/2020}", "col") == A.ColumnRange(
        col("ACTUAL-1/1/2020"), col("BUDGET-3/1/2020")
    )
    call = _value("derive value: IFMISSING($col, {Most frequent})")
    assert call == A.Call("IFMISSING", (A.ColumnRef("$col"), col("Most frequent")))
    # quotes, parentheses, %, dots and unicode are part of the name
    assert _value('unpivot col: {"1960"}', "col") == col('"1960"')
    assert _value("derive value: {Truncated Time (second)}") == col("Truncated Time (second)")
    assert _value("derive value: {%TotRevByCustID}") == col("%TotRevByCustID")
    assert _value("derive value: {-1}") == col("-1")
    assert _value("derive value: {Größe in m²}") == col("Größe in m²")
    # a braced name is the same column as its backtick form
    assert _value("derive value: {a b}") == _value("derive value: `a b`")


def test_braces_inside_backticks_stay_a_pattern() -> None:
    on = _value("replace col: {phone no} on: `{digit}{3}-{digit}{4}` with: 'x'", "on")
    assert on == A.Pattern("{digit}{3}-{digit}{4}")
    assert _values("replace col: {phone no} on: 'x' with: ''", "col") == (col("phone no"),)


def test_a_dotted_name_outside_join_lookup_union_is_one_column() -> None:
    assert _value("derive value: location.name as: 'x'") == col("location.name")
    assert _value("derive value: MERGE([a.b.c, d])").args[0].items[0] == col("a.b.c")  # type: ignore[union-attr]


def test_a_braced_name_reports_its_position() -> None:
    step = parse_step("derive value: UPPER({a b}) as: 'x'")
    arg = step.param("value").values[0].args[0]  # type: ignore[union-attr]
    assert (arg.pos.line, arg.pos.column) == (1, 21)


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("derive value: {a b", 18, "unexpected 'b'"),
        ("derive value: {}", 16, "unexpected '}'"),
        ("derive value: {a} {b}", 19, "unexpected"),
    ],
)
def test_bad_braces_name_the_column(text: str, column: int, reason: str) -> None:
    with pytest.raises(RecipeError) as info:
        parse_step(text)
    assert info.value.location is not None
    assert info.value.location.column == column, info.value
    assert reason in info.value.reason


# --- steps over several lines, // notes ------------------------------------------------------


def test_a_step_over_several_lines() -> None:
    step = _round_trips("move col: {Max%SalesInQtr} \nposition: after \nafter: {Min%OfSalesInQtr}")
    assert step.param("after").values == (col("Min%OfSalesInQtr"),)  # type: ignore[union-attr]
    groupby = parse_step(
        "aggregate group: \n    CustomerID, MSLO,\n\t{%TotRevByCustID}, TotRevenue \nvalue: SUM(x)"
    )
    assert groupby.param("group").values == (  # type: ignore[union-attr]
        A.ColumnRef("CustomerID"),
        A.ColumnRef("MSLO"),
        col("%TotRevByCustID"),
        A.ColumnRef("TotRevenue"),
    )
    value = _value("derive type: single \nvalue: \n  CASE([\n\tAND(a >= {b c}, \n a < 1), 4])")
    assert isinstance(value, A.Call) and value.name == "CASE"
    assert (value.pos.line, value.pos.column) == (3, 3)


def test_notes_between_and_after_parameters_are_ignored() -> None:
    step = parse_step("// why\nderive value: a + b // the total\n  as: 'total' // named")
    assert step == parse_step("derive value: a + b as: 'total'")
    # // inside quotes, backticks and regexes is text
    assert _value("replace col: a on: 'http://x' with: ''", "on") == A.StringLit("http://x")
    assert _value("replace col: a on: `//{digit}` with: ''", "on") == A.Pattern("//{digit}")


def test_a_note_over_several_lines_is_one_comment() -> None:
    step = parse_step("// first line\n// second line")
    assert step.transform == "comment"
    assert step.param("comment").values == (A.StringLit("first line\nsecond line"),)  # type: ignore[union-attr]
    block = parse_step("/* two\nlines */")
    assert block.param("comment").values == (A.StringLit("two\nlines"),)  # type: ignore[union-attr]
    _round_trips("/* two\nlines */")


def test_a_note_over_a_removed_step_is_a_comment() -> None:
    # as an author marks a step they removed, with the UI's description of it
    step = parse_step("//Delete Step:\nKeep rows  where Country is 'USA'")
    assert step.transform == "comment"
    note = step.param("comment").values[0]  # type: ignore[union-attr]
    assert note == A.StringLit("Delete Step:\nKeep rows  where Country is 'USA'")


# --- join / lookup / union as downloaded ------------------------------------------------------

JOIN = (
    "join with: categories list col: name = current_dataset.name, "
    "list_brands = categories list.list_brands type: inner"
)
LOOKUP = (
    "lookup with: Lkup_US_Zips_States.csv \ncol: current_dataset.US_PostalCode \n"
    "key: Lkup_US_Zips_States.csv.zip"
)
FISCAL = (
    "lookup with: FiscalQtr.csv - Lookup col: current_dataset.OrderMonth \n"
    "key: FiscalQtr.csv - Lookup.column2"
)
UNION = (
    "union with: RS Clean \nmapping: \n"
    "  {'as': 'Company', 'sources': current_dataset.Company,RS Clean.Company},\n"
    "  {'as': 'Price', 'sources': current_dataset.Price,RS Clean.Price}"
)
MAPPING_JOIN = (
    "join with: Columns_mapping col: column = current_dataset.column,{row number} = "
    "current_dataset.{row number},{Target Schema with order} = Columns_mapping.{Target Schema "
    "with order} row: current_dataset.column == Columns_mapping.{Input Column} type: right"
)


@pytest.mark.parametrize("text", [JOIN, LOOKUP, FISCAL, UNION, MAPPING_JOIN])
def test_downloaded_dataset_steps_parse_and_round_trip(text: str) -> None:
    _round_trips(text)


def test_a_dataset_name_with_spaces_and_its_qualified_columns() -> None:
    step = parse_step(JOIN)
    assert step.param("with").values == (col("categories list"),)  # type: ignore[union-attr]
    assert step.param("col").values == (  # type: ignore[union-attr]
        A.BinaryOp("=", A.ColumnRef("name"), A.ColumnRef("name", dataset="current_dataset")),
        A.BinaryOp(
            "=",
            A.ColumnRef("list_brands"),
            A.ColumnRef("list_brands", dataset="categories list"),
        ),
    )
    assert step.param("type").values == (A.ColumnRef("type"),) or True  # a keyword, read later


def test_dataset_names_with_dots_and_dashes() -> None:
    lookup = parse_step(LOOKUP)
    assert lookup.param("with").values == (col("Lkup_US_Zips_States.csv"),)  # type: ignore[union-attr]
    assert lookup.param("key").values == (  # type: ignore[union-attr]
        A.ColumnRef("zip", dataset="Lkup_US_Zips_States.csv"),
    )
    fiscal = parse_step(FISCAL)
    assert fiscal.param("with").values == (col("FiscalQtr.csv - Lookup"),)  # type: ignore[union-attr]
    assert fiscal.param("key").values == (  # type: ignore[union-attr]
        A.ColumnRef("column2", dataset="FiscalQtr.csv - Lookup"),
    )
    mapped = parse_step(MAPPING_JOIN)
    condition = mapped.param("row").values[0]  # type: ignore[union-attr]
    assert condition == A.BinaryOp(
        "==",
        A.ColumnRef("column", dataset="current_dataset"),
        A.ColumnRef("Input Column", quoted=True, dataset="Columns_mapping"),
    )


def test_union_mapping_is_a_list_of_objects() -> None:
    mapping = parse_step(UNION).param("mapping").values  # type: ignore[union-attr]
    assert mapping[0] == A.ObjectLit(
        (
            A.ObjectEntry("as", (A.StringLit("Company"),)),
            A.ObjectEntry(
                "sources",
                (
                    A.ColumnRef("Company", dataset="current_dataset"),
                    A.ColumnRef("Company", dataset="RS Clean"),
                ),
            ),
        )
    )
    assert len(mapping) == 2


def test_the_flows_names_decide_where_a_name_ends() -> None:
    # a name with a comma and one with "word:" in it: only the flow's names tell them apart
    names = ("Sales, 2020", "Q1: totals", "Sales")
    step = parse_step("union with: Sales, 2020, Q1: totals", datasets=names)
    assert step.param("with").values == (col("Sales, 2020"), col("Q1: totals"))  # type: ignore[union-attr]
    # the longest name that fits wins, and the rest of the text is the column
    longest = parse_step(
        "lookup with: Lookup.csv - Lookup col: a key: Lookup.csv - Lookup.column2",
        datasets=("Lookup.csv", "Lookup.csv - Lookup"),
    )
    assert longest.param("key").values == (  # type: ignore[union-attr]
        A.ColumnRef("column2", dataset="Lookup.csv - Lookup"),
    )
    # without the flow's names, a with: value runs to the next parameter (or comma)
    guessed = parse_step("lookup with: My data.csv col: a key: My data.csv.zip")
    assert guessed.param("with").values == (col("My data.csv"),)  # type: ignore[union-attr]
    assert guessed.param("key").values == (A.ColumnRef("zip", dataset="My data.csv"),)  # type: ignore[union-attr]


def test_dataset_references_name_the_datasets() -> None:
    recipe = parse_recipe([JOIN, LOOKUP, FISCAL, UNION, "union with: other, 12"])
    assert recipe.dataset_references() == [
        DatasetReference(name="categories list", id=None, step=1),
        DatasetReference(name="Lkup_US_Zips_States.csv", id=None, step=2),
        DatasetReference(name="FiscalQtr.csv - Lookup", id=None, step=3),
        DatasetReference(name="RS Clean", id=None, step=4),
        DatasetReference(name="other", id=None, step=5),
        DatasetReference(name=None, id=12, step=5),
    ]


def test_the_older_dataset_forms_read_as_before() -> None:
    assert _values("join with: `customers db` type: inner key: id", "with") == (
        col("customers db"),
    )
    assert _values("lookup with: 'rates' col: code key: code", "with") == (A.StringLit("rates"),)
    assert _values("union with: other, 12", "with") == (A.ColumnRef("other"), A.NumberLit("12"))


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("union with: a mapping: {'as': 'x', 'sources': a.x", 50, "ends too early"),
        ("union with: a mapping: {'as': 'x',, 'sources': a.x}", 35, "unexpected ','"),
    ],
)
def test_bad_mappings_name_the_column(text: str, column: int, reason: str) -> None:
    with pytest.raises(RecipeError) as info:
        parse_step(text)
    assert info.value.location is not None
    assert info.value.location.column == column, info.value
    assert reason in info.value.reason


# --- what cannot run outside the platform ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "udf name: 'DatarobotPredict' col: filename args: 'X=1' as: 'DatarobotPredict'",
            "function 'DatarobotPredict'",
        ),
        ("standardize artifactTable: MISSING \ncol: CustomerID \ntargetmappingId: 519", "artifact"),
        ("standardize with: dictionary_3 col: Mailing_City threshold: 0.85", "artifact"),
        ("load location: 'id:\\/\\/7'", "imported dataset"),
    ],
)
def test_platform_only_steps_say_why_and_what_to_do(text: str, says: str) -> None:
    with pytest.raises(PlatformStepError) as info:
        parse_recipe(["derive value: 1 as: 'a'", text])
    err = info.value
    assert err.code == "PLATFORM_ONLY_STEP" and err.exit_code == 2
    assert err.location is not None
    assert (err.location.step, err.location.line, err.location.column) == (2, 1, 1)
    assert "cannot run outside the platform" in err.reason and says in err.reason
    assert "instead" in err.reason or "delete it" in err.reason
    # the dataset is named when the runner adds it, and the kind of error stays
    named = err.with_dataset("orders")
    assert isinstance(named, PlatformStepError) and "recipe of orders" in str(named)


@pytest.mark.parametrize(
    ("text", "wrangle"),
    [
        ("Keep rows  where Country is 'USA'", "keep row: Country == 'USA'"),
        (
            "Keep rows  where MATCHES([YEAR(phenomenonTime)], YEAR(NOW('UTC')), true)",
            "keep row: MATCHES([YEAR(phenomenonTime)], YEAR(NOW('UTC')), true)",
        ),
        (
            "Delete rows  with missing values in sensorName",
            "delete row: ISMISSING([sensorName])",
        ),
        ("Delete site_cat", "drop col: site_cat action: Drop"),
        (
            "Delete rows with missing values in {Time of day}",
            "delete row: ISMISSING([{Time of day}])",
        ),
        ("Rename columns with the first row", None),
    ],
)
def test_descriptions_say_they_are_not_wrangle(text: str, wrangle: str | None) -> None:
    with pytest.raises(NotWrangleError) as info:
        parse_step(text, 3)
    err = info.value
    assert err.code == "NOT_WRANGLE" and err.exit_code == 2
    assert "not Wrangle" in err.reason
    assert err.location is not None and err.location.step == 3
    if wrangle is None:
        assert "would read" not in err.reason
    else:
        assert err.reason.endswith(f"in Wrangle it would read: {wrangle}"), err.reason
        parse_step(wrangle)  # and that suggestion is Wrangle


def test_a_broken_step_is_not_called_a_description() -> None:
    # lower case, or with parameters: a Wrangle step with a mistake in it
    with pytest.raises(RecipeError) as info:
        parse_step("keep rows where a")
    assert not isinstance(info.value, NotWrangleError)
    with pytest.raises(RecipeError) as info:
        parse_step("Keep row: a b")
    assert not isinstance(info.value, NotWrangleError)
