"""The Wrangle parser: round trips, precedence, and errors that name step, line and column."""

from __future__ import annotations

import pytest

from spark_jobs.errors import RecipeError
from spark_jobs.recipe import DatasetReference, parse_recipe
from spark_jobs.recipe import ast as A
from spark_jobs.recipe.ast import print_step
from spark_jobs.recipe.parser import parse_step
from spark_jobs.recipe.patterns import PatternError, pattern_to_regex

STEPS = [
    "settype col: quantity type: Integer",
    "settype col: d type: 'Datetime', 'mm-dd-yy', 'mm*dd*yyyy'",
    "derive type: single value: UPPER(region) as: 'region_code'",
    "delete row: ISMISSING([quantity])",
    "derive type: single value: ROUND(quantity * unit_price, 2) as: 'line_total'",
    "set col: customer value: PROPER(TRIM(customer))",
    "sort order: -line_total, name",
    "drop col: a~c, `my col`, d action: Drop",
    "set col: * value: $col / 2 - -3",
    "filter type: custom row: !(a > 3 && b == 'x') || c <> 2 action: Keep",
    "replace col: phone on: `{digit}{3}-{digit}{4}` with: 'xxx' global: true",
    "replace col: a on: /ab+c\\/d/i with: '$1'",
    "replace col: a on: 'it\\'s' with: \"q\"",
    "derive value: $sourcerownumber as: 'row'",
    "derive value: $filepath",
    "derive value: IF(a >= 1.5e3, 'big', NULL()) as: 'size'",
    "derive value: (a + b) * c - d / e % f",
    "derive value: a - (b - c)",
    "derive value: -(a + b)",
    "derive value: !ISNULL(a) && (b || c)",
    "keep row: IN(state, ['CA', 'NY'])",
    "rename type: manual mapping: [a, 'x'], [`b c`, 'y']",
    "derive value: SUM(q) group: region, city as: 'total'",
    "derive value: ROWNUMBER() order: -amount group: region",
    "split col: name on: ' ' limit: 2",
    "extract col: a on: `{alpha}+` limit: 3",
    "countpattern col: a on: 'x'",
    "merge col: first, last with: ' ' as: 'full name'",
    "move col: a position: after column: b",
    "derive value: MERGE([first, last], ' ') as: 'ünïcödé'",
    "derive value: true && false || null == null",
    "header",
    "deduplicate",
]


@pytest.mark.parametrize("text", STEPS)
def test_round_trip(text: str) -> None:
    step = parse_step(text)
    printed = print_step(step)
    again = parse_step(printed)
    assert again == step, printed
    assert print_step(again) == printed


def test_ast_shape_and_precedence() -> None:
    step = parse_step("derive value: a + b * c > 2 && !d || e as: 'x'")
    value = step.param("value").values[0]  # type: ignore[union-attr]
    # || is loosest, then &&, then !, then comparison, then + -, then * /
    assert isinstance(value, A.BinaryOp) and value.op == "||"
    land = value.left
    assert isinstance(land, A.BinaryOp) and land.op == "&&"
    cmp = land.left
    assert isinstance(cmp, A.BinaryOp) and cmp.op == ">"
    add = cmp.left
    assert add == A.BinaryOp(
        "+", A.ColumnRef("a"), A.BinaryOp("*", A.ColumnRef("b"), A.ColumnRef("c"))
    )
    assert land.right == A.UnaryOp("!", A.ColumnRef("d"))
    assert step.param("as").values == (A.StringLit("x"),)  # type: ignore[union-attr]


def test_literals_and_references() -> None:
    step = parse_step("derive value: MERGE([`my col`, $col, 'it\\'s', 42, 4.5, true, null])")
    array = step.param("value").values[0].args[0]  # type: ignore[union-attr]
    assert array.items == (
        A.ColumnRef("my col", quoted=True),
        A.ColumnRef("$col"),
        A.StringLit("it's"),
        A.NumberLit("42"),
        A.NumberLit("4.5"),
        A.BoolLit(True),
        A.NullLit(),
    )
    pattern = parse_step("replace col: a on: `{digit}{3}` with: ''").param("on")
    assert pattern.values == (A.Pattern("{digit}{3}"),)  # type: ignore[union-attr]
    regex = parse_step("replace col: a on: /x+/i with: ''").param("on")
    assert regex.values == (A.Regex("x+", "i"),)  # type: ignore[union-attr]
    rng = parse_step("drop col: a~c").param("col")
    assert rng.values == (A.ColumnRange(A.ColumnRef("a"), A.ColumnRef("c")),)  # type: ignore[union-attr]


def test_positions_are_recorded() -> None:
    step = parse_step("derive value:\n  UPPER(x) as: 'y'")
    call = step.param("value").values[0]  # type: ignore[union-attr]
    assert (call.pos.line, call.pos.column) == (2, 3)


def test_recipe_metadata_and_references() -> None:
    recipe = parse_recipe(
        [
            "derive value: $filepath as: 'f'",
            "derive value: SOURCEROWNUMBER() as: 'n'",
            "set col: a value: UPPER(a)",
        ]
    )
    assert recipe.metadata_columns() == {"$filepath", "$sourcerownumber"}
    assert parse_recipe(["set col: a value: UPPER(a)"]).metadata_columns() == set()
    assert recipe.dataset_references() == []


def test_dataset_references_of_union_join_lookup() -> None:
    recipe = parse_recipe(
        [
            "union with: other, 12",
            "join with: `customers db` type: inner leftcol: id rightcol: id",
            "lookup with: 'rates' col: code key: code",
        ]
    )
    assert recipe.dataset_references() == [
        DatasetReference(name="other", id=None, step=1),
        DatasetReference(name=None, id=12, step=1),
        DatasetReference(name="customers db", id=None, step=2),
        DatasetReference(name="rates", id=None, step=3),
    ]


def _error(steps: list[str]) -> RecipeError:
    with pytest.raises(RecipeError) as info:
        parse_recipe(steps)
    return info.value


@pytest.mark.parametrize(
    ("step", "reason", "column", "suggestion"),
    [
        ("derve value: 1", "unknown transform 'derve'", 1, "derive"),
        ("derive vale: 1", "has no parameter 'vale'", 8, "value"),
        ("derive value: UPPPER(a)", "unknown function 'UPPPER'", 15, "UPPER"),
        ("derive value: ROUND()", "ROUND takes 1 to 2 arguments, got 0", 15, None),
        ("derive value: LEFT(a)", "LEFT takes 2 arguments, got 1", 15, None),
        ("replace col: a on: `{digt}+` with: ''", "unknown pattern class {digt}", 21, None),
        ("replace col: a on: `+{digit}` with: ''", "must follow something", 21, None),
        ("replace col: a on: /a(b/ with: ''", "bad regular expression", 22, None),
        ("replace col: a on: /ab/q with: ''", "unknown regular expression flag 'q'", 24, None),
        ("derive value: (a + ", "ends too early", 20, None),
        ("derive value: a b", "unexpected 'b'", 17, None),
        ("derive value: a @ b", "unexpected character '@'", 17, None),
        ("derive as: 'x'", "needs parameter 'value'", 15, None),
        ("derive value: 1 value: 2", "given twice", 17, None),
        ("sort order:", "ends too early", 12, None),
    ],
)
def test_bad_steps_name_step_line_column(
    step: str, reason: str, column: int, suggestion: str | None
) -> None:
    err = _error(["set col: a value: 1", step])
    assert err.location is not None
    assert (err.location.step, err.location.line, err.location.column) == (2, 1, column), err
    assert reason in err.reason, err.reason
    if suggestion:
        assert suggestion in err.suggestions
        assert f"did you mean '{suggestion}'" in str(err)
    caret_line = str(err).splitlines()[-1]
    assert caret_line.index("^") == 4 + column - 1
    assert err.to_json()["step"] == 2


def test_multiline_step_error_line() -> None:
    err = _error(["derive value: 1", "derive\n  value: FOO(a)"])
    assert err.location is not None
    assert (err.location.step, err.location.line, err.location.column) == (2, 2, 10)


def test_empty_step() -> None:
    err = _error(["  "])
    assert "empty step" in err.reason


def test_patterns_to_regex() -> None:
    assert pattern_to_regex("{digit}{3}-{alpha}+") == "[0-9]{3}\\-[A-Za-z]+"
    assert pattern_to_regex("{start}a.b{end}") == "^a\\.b$"
    # alternatives (the FEC lab's `{start}"|"{end}`) make one group; \\| is a literal bar
    assert pattern_to_regex('{start}"|"{end}') == '(?:^"|"$)'
    assert pattern_to_regex("a\\|b") == "a\\|b"
    with pytest.raises(PatternError):
        pattern_to_regex("{digit}{4,2}")
    with pytest.raises(PatternError):
        pattern_to_regex("{ digit}")
