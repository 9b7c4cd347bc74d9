"""Task trees -> the Wrangle text the platform shows, checked against its own downloads."""

from __future__ import annotations

import re

import pytest
from importer_helpers import downloads, examples_dir

from spark_jobs.errors import FlowImportError
from spark_jobs.importer import load_document, read_package
from spark_jobs.importer.flow import wrangled_texts
from spark_jobs.importer.package import Recipe, Step
from spark_jobs.importer.tasks import TASKS, TaskContext, convert_step
from spark_jobs.importer.text import column_name, expression, string
from spark_jobs.importer.values import read_task, read_value

#: download file -> the recipe of its flow (names differ where the file was renamed)
RECIPE_OF = {
    "Find values and create field.wrangle": "Find values and create field",
    "categories list.wrangle": "categories list",
    "Columns_mapping.wrangle": "Columns_mapping",
    "Customers Output.wrangle": "Customers Output",
    "Data transposed.wrangle": "Data transposed",
    "Set value at second level.wrangle": "Set value at second level",
    "Last month day.wrangle": "Last month day",
    "All days.wrangle": "All days",
    "replace missing.wrangle": "customer_small",
    "Remove rows with dup names.wrangle": "Remove rows with dup names",
    "my_calendars.wrangle": "my calendars",
    "Add properties in columns.wrangle": "Add properties in columns",
    "Pivot properties.wrangle": "Pivot properties",
}


def _normal(step: str) -> str:
    """Whitespace aside: runs collapsed, none around commas."""
    return re.sub(r"\s*,\s*", ",", re.sub(r"\s+", " ", step.strip()))


def _converted(folder: str, recipe: str) -> list[str]:
    (package,) = (examples_dir() / folder).glob("*.zip")
    texts = wrangled_texts(read_package(load_document(package)))
    (steps,) = [s for name, s in texts.values() if name == recipe]
    return steps


def test_the_13_downloads_are_known() -> None:
    assert sorted(r["path"].split("/")[1] for r in downloads()) == sorted(RECIPE_OF)


@pytest.mark.parametrize("download", downloads(), ids=lambda r: r["path"].split("/")[1])
def test_each_converted_recipe_equals_its_download_step_for_step(download: dict) -> None:
    folder, name = download["path"].split("/")
    ours = _converted(folder, RECIPE_OF[name])
    theirs = download["steps"]
    assert len(ours) == len(theirs)
    differ = [(a, b) for a, b in zip(ours, theirs, strict=True) if _normal(a) != _normal(b)]
    if name == "Set value at second level.wrangle":
        # the column was renamed after the download: the package wins
        assert differ == [
            (
                "rename type: manual mapping: [{any_-1},'Last value at second level']",
                "rename type: manual mapping: [{any_-1},'Last value found at millisecond level']",
            )
        ]
    else:
        assert differ == []


# --- the spelling of values -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("column1", "column1"),
        ("Date plus 1 month", "{Date plus 1 month}"),
        ("-1", "{-1}"),
        ("any_-1", "{any_-1}"),
        ("ACTUAL-PERIODIC-1/1/2020", "{ACTUAL-PERIODIC-1/1/2020}"),
        ("CodeVéhicule", "CodeVéhicule"),
        ("true", "{true}"),
        ("2020", "{2020}"),
    ],
)
def test_column_names_are_bare_or_in_braces(name: str, written: str) -> None:
    assert column_name(name) == written


def test_text_is_single_quoted_with_the_platforms_escapes() -> None:
    assert string('"') == "'\\\"'"
    assert string("\n") == "'\\n'"
    assert string("it's") == "'it\\'s'"
    assert string("a\\b") == "'a\\\\b'"


def _value(tree: dict) -> str:
    return expression(read_value(tree, "test"))


def _col(name: str) -> dict:
    return {"kind": "column", "type": "Column", "value": name, "relation": None}


def _const(value: object, kind: str = "String") -> dict:
    return {"kind": "constant", "type": kind, "value": value}


def _func(name: str, **params: dict) -> dict:
    return {"kind": "func", "type": name, "parameters": params}


def test_operators_keep_their_precedence_and_functions_their_argument_order() -> None:
    tree = _func(
        "If",
        true_expression=_const("yes"),
        false_expression=_const(""),
        predicate=_func(
            "And",
            lhs=_func("Equal", lhs=_col("type"), rhs=_const("shop")),
            rhs=_func("Or", lhs=_func("ArrayLen", col=_col("a b")), rhs=_const(1, "Integer")),
        ),
    )
    assert _value(tree) == "IF(type == 'shop' && (ARRAYLEN({a b}) || 1), 'yes', '')"
    minus = _func(
        "Subtract", lhs=_const(3, "Integer"), rhs=_func("Subtract", lhs=_col("a"), rhs=_col("b"))
    )
    assert _value(minus) == "3 - (a - b)"
    assert (
        _value(
            _func(
                "Not",
                operand=_func(
                    "IsMissing", col={"kind": "array", "type": "Array", "value": [_col("x")]}
                ),
            )
        )
        == "!ISMISSING([x])"
    )
    assert _value(_func("SourceRowNumber")) == "$sourcerownumber"
    assert (
        _value(
            _func(
                "Range",
                start=_const(0, "Integer"),
                step=_const(1, "Integer"),
                stop={"kind": "variable", "type": "Variable", "value": "n"},
            )
        )
        == "RANGE(0, $n, 1)"
    )
    case = _func(
        "Case",
        predicateValuePairs={
            "kind": "array",
            "type": "Array",
            "value": [_func("IsNull", col=_col("t")), _func("Null"), _const("other")],
        },
    )
    assert _value(case) == "CASE([ISNULL(t), NULL(), 'other'])"


def _context(task: dict) -> TaskContext:
    recipe = Recipe(7, "my recipe", ())
    return TaskContext(recipe, Step(4, read_task(task, "test")))


def test_an_unknown_parameter_is_an_error_naming_task_recipe_and_step() -> None:
    task = {
        "kind": "task",
        "type": "Drop",
        "parameters": {
            "col": {"kind": "array", "type": "Array", "value": [_col("a")]},
            "action": {"kind": "enumerable", "type": "Enumerable", "value": "Drop"},
            "cascade": _const(True, "Bool"),
        },
    }
    with pytest.raises(
        FlowImportError,
        match=r"recipe 'my recipe', step 4 \(task Drop\): parameter 'cascade' is not known for Drop tasks",
    ):
        convert_step(_context(task))


def test_every_task_type_of_the_corpus_has_a_converter() -> None:
    expected = {
        "Load",
        "Comment",
        "Derive",
        "Set",
        "Drop",
        "Filter",
        "Header",
        "SplitRows",
        "Split",
        "SplitPatterns",
        "Replace",
        "ReplacePatterns",
        "Rename",
        "SetType",
        "TextFormat",
        "DateFormat",
        "Merge",
        "Nest",
        "Unnest",
        "Flatten",
        "ExtractList",
        "ExtractPatterns",
        "ExtractBetweenDelimiters",
        "ConvertPattern",
        "ColumnByExample",
        "Select",
        "GroupBy",
        "Pivot",
        "Unpivot",
        "Join",
        "Lookup",
    }
    assert expected <= set(TASKS)
