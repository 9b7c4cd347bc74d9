"""Task-tree values as the Wrangle text the platform shows.

The spelling follows the recipes the platform itself writes (the ``.wrangle`` downloads): a column
whose name is not a plain identifier in braces (``{Date plus 1 month}``), text in single quotes
with backslash escapes (``'\\"'``, ``'\\n'``), platform patterns in backticks, keywords bare,
operators with the parser's precedence (``a && (b || c)``), and each function's arguments in the
order of its reference page (``IF(test, then, else)``, whatever order the package stores them in).

One table (:data:`FUNCTIONS`) says how each function of a package is written, keyed by the
package's name for it; a function not in it stops the import with a clear error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spark_jobs.importer.values import (
    AllColumns,
    Array,
    Column,
    ColumnRange,
    Constant,
    Func,
    Keyword,
    Matrix,
    Table,
    Value,
    Variable,
)
from spark_jobs.recipe.ast import NEG_PRECEDENCE, NOT_PRECEDENCE, PRECEDENCE

_PLAIN = re.compile(r"[^\W\d]\w*\Z")
_RESERVED = {"true", "false", "null"}


class ConversionError(Exception):
    """A value has no Wrangle spelling here; the task converter adds the recipe and step."""


def column_name(name: str) -> str:
    """``name`` as a column reference: bare when a plain identifier, else ``{name}``."""
    if _PLAIN.match(name) and name.lower() not in _RESERVED:
        return name
    if "{" in name or "}" in name:
        raise ConversionError(f"column name {name!r} holds a brace, which Wrangle cannot name")
    return "{" + name + "}"


_ESCAPES = {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def string(text: str) -> str:
    """``text`` in single quotes, escaped as the platform escapes it."""
    return "'" + "".join(_ESCAPES.get(ch, ch) for ch in text) + "'"


def pattern(text: str) -> str:
    """A platform pattern between backticks (a backtick inside is doubled)."""
    return "`" + text.replace("`", "``") + "`"


def number(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return value
    raise ConversionError(f"{value!r} is not a number")


def constant(value: Constant) -> str:
    kind = value.type
    if value.value is None:
        return "null"
    if kind == "String":
        return string(str(value.value))
    if kind == "Pattern":
        return pattern(str(value.value))
    if kind == "Regex":
        return "/" + str(value.value) + "/"
    if kind == "Bool":
        return "true" if value.value in (True, "true") else "false"
    if kind in ("Integer", "Float"):
        return number(value.value)
    raise ConversionError(f"constant of type {kind!r} ({value.value!r}) has no Wrangle spelling")


@dataclass(frozen=True)
class Names:
    """How a column of a join or lookup is qualified: the table the step works on is
    ``current_dataset``, every other table is called by its dataset's name."""

    current: str | None = None
    tables: tuple[tuple[str, str], ...] = ()

    def qualify(self, ref: Column) -> str:
        if ref.relation is None:
            return column_name(ref.name)
        if ref.relation == self.current:
            return "current_dataset." + column_name(ref.name)
        for table, dataset in self.tables:
            if table == ref.relation:
                return dataset + "." + column_name(ref.name)
        raise ConversionError(
            f"column {ref.name!r} belongs to table {ref.relation!r}, which no input of the step is"
        )


PLAIN_NAMES = Names()

#: operator functions -> their operator (binary)
OPERATORS = {
    "Equal": "==",
    "NotEqual": "!=",
    "LessThan": "<",
    "LessThanEqual": "<=",
    "GreaterThan": ">",
    "GreaterThanEqual": ">=",
    "And": "&&",
    "Or": "||",
    "Add": "+",
    "Subtract": "-",
    "Multiply": "*",
    "Divide": "/",
    "Mod": "%",
}
UNARY = {"Not": ("!", NOT_PRECEDENCE), "Negate": ("-", NEG_PRECEDENCE)}


@dataclass(frozen=True)
class FunctionForm:
    """``NAME(arg, arg, ...)`` from the package's parameters, in this order; ``optional`` ones
    are written only when present, ``defaults`` are left out when they hold that value."""

    name: str
    args: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    defaults: tuple[tuple[str, object], ...] = ()


#: package function name -> how it is written (the Wrangle name is the upper-cased key unless
#: ``name`` says otherwise)
FUNCTIONS: dict[str, FunctionForm] = {
    "If": FunctionForm("IF", ("predicate", "true_expression", "false_expression")),
    "IfMissing": FunctionForm("IFMISSING", ("col", "true_expression")),
    "IsMissing": FunctionForm("ISMISSING", ("col",)),
    "IsNull": FunctionForm("ISNULL", ("col",)),
    "IsMismatched": FunctionForm("ISMISMATCHED", ("col", "type")),
    "In": FunctionForm("IN", ("lhs", "rhs")),
    "Null": FunctionForm("NULL"),
    "Now": FunctionForm("NOW", (), ("timezone",)),
    "Date": FunctionForm("DATE", ("year", "month", "date")),
    "DateAdd": FunctionForm("DATEADD", ("col", "delta", "measure")),
    "DateDif": FunctionForm("DATEDIF", ("lhs", "rhs", "measure")),
    "DateFormat": FunctionForm("DATEFORMAT", ("col", "format")),
    "ParseDate": FunctionForm("PARSEDATE", ("col",), ("inputFormats",)),
    "UnixTimeFormat": FunctionForm("UNIXTIMEFORMAT", ("col", "format")),
    "Year": FunctionForm("YEAR", ("col",)),
    "Month": FunctionForm("MONTH", ("col",)),
    "WeekNum": FunctionForm("WEEKNUM", ("col",)),
    "Count": FunctionForm("COUNT"),
    "CountIf": FunctionForm("COUNTIF", ("row",)),
    "CountDistinct": FunctionForm("COUNTDISTINCT", ("col",)),
    "Sum": FunctionForm("SUM", ("col",)),
    "Average": FunctionForm("AVERAGE", ("col",)),
    "Max": FunctionForm("MAX", ("col",)),
    "Min": FunctionForm("MIN", ("col",)),
    "Any": FunctionForm("ANY", ("col",)),
    "AnyIf": FunctionForm("ANYIF", ("col", "row")),
    "List": FunctionForm("LIST", ("col",), ("limit",)),
    "ListIf": FunctionForm("LISTIF", ("col", "limit", "row")),
    "Prev": FunctionForm("PREV", ("col", "intParam")),
    "Next": FunctionForm("NEXT", ("col", "intParam")),
    "RowNumber": FunctionForm("ROWNUMBER"),
    "Round": FunctionForm("ROUND", ("operand",), ("digits",)),
    "Range": FunctionForm("RANGE", ("start", "stop"), ("step",)),
    "ArrayIntersect": FunctionForm("ARRAYINTERSECT", ("col",)),
    "ArrayLen": FunctionForm("ARRAYLEN", ("col",)),
    "ArraysToMap": FunctionForm(
        "ARRAYSTOMAP", ("keyArray", "valueArray"), ("defaultKey",), (("defaultKey", "DEFAULT_KEY"),)
    ),
    "Merge": FunctionForm("MERGE", ("col",), ("delimiter",)),
    "Domain": FunctionForm("DOMAIN", ("col",)),
    "Case": FunctionForm("CASE", ("predicateValuePairs",)),
}

#: functions written as metadata references, not calls
METADATA_REFERENCES = {"SourceRowNumber": "$sourcerownumber", "FilePath": "$filepath"}


def expression(value: Value, names: Names = PLAIN_NAMES, parent: int = 0) -> str:
    """A value inside an expression (a function argument, ``value:``, ``row:``)."""
    if isinstance(value, Constant):
        text = constant(value)
        if parent >= NEG_PRECEDENCE and text.startswith("-"):
            return f"({text})"
        return text
    if isinstance(value, Column):
        return names.qualify(value)
    if isinstance(value, Variable):
        return "$" + value.name
    if isinstance(value, Keyword):
        return value.value
    if isinstance(value, AllColumns):
        return "*"
    if isinstance(value, ColumnRange):
        return column_name(value.start) + "~" + column_name(value.end)
    if isinstance(value, Array):
        return "[" + ",".join(expression(v, names) for v in value.items) + "]"
    if isinstance(value, Func):
        return call(value, names, parent)
    if isinstance(value, (Matrix, Table)):
        raise ConversionError(f"a {type(value).__name__.lower()} cannot stand in an expression")
    raise ConversionError(f"unknown value {value!r}")  # pragma: no cover - Value is closed


def call(func: Func, names: Names = PLAIN_NAMES, parent: int = 0) -> str:
    if func.type in OPERATORS:
        op = OPERATORS[func.type]
        strength = PRECEDENCE[op]
        left, right = func.get("lhs"), func.get("rhs")
        if left is None or right is None:
            raise ConversionError(
                f"operator {func.type} needs lhs and rhs, found {', '.join(func.names)}"
            )
        text = f"{expression(left, names, strength)} {op} {expression(right, names, strength + 1)}"
        return f"({text})" if strength < parent else text
    if func.type in UNARY:
        op, strength = UNARY[func.type]
        operand = func.get("operand")
        if operand is None:
            raise ConversionError(f"operator {func.type} needs an operand")
        text = op + expression(operand, names, strength)
        return f"({text})" if strength < parent else text
    if func.type in METADATA_REFERENCES:
        return METADATA_REFERENCES[func.type]
    form = FUNCTIONS.get(func.type)
    if form is None:
        raise ConversionError(f"function {func.type!r} has no counterpart here")
    known = set(form.args) | set(form.optional)
    extra = [n for n in func.names if n not in known]
    if extra:
        raise ConversionError(
            f"function {func.type} has parameter {extra[0]!r}, which is not known"
        )
    defaults = dict(form.defaults)
    args = []
    for name in form.args:
        arg = func.get(name)
        if arg is None:
            raise ConversionError(f"function {func.type} lacks its parameter {name!r}")
        args.append(expression(arg, names))
    for name in form.optional:
        arg = func.get(name)
        if arg is None:
            continue
        if name in defaults and isinstance(arg, Constant) and arg.value == defaults[name]:
            continue
        args.append(expression(arg, names))
    if form.name == "CASE":
        return "CASE(" + _case_items(func, names) + ")"
    return form.name + "(" + ", ".join(args) + ")"


def _case_items(func: Func, names: Names) -> str:
    pairs = func.get("predicateValuePairs")
    if not isinstance(pairs, Array):
        raise ConversionError("function Case needs an array of tests and results")
    return "[" + ", ".join(expression(v, names) for v in pairs.items) + "]"


def column_list(value: Value | None, names: Names = PLAIN_NAMES, sep: str = ",") -> str:
    """``col:`` and ``group:`` lists: ``a,{b c}``; ``*`` and ``a~b`` stand as they are."""
    if value is None:
        raise ConversionError("a column list is missing")
    items = value.items if isinstance(value, Array) else (value,)
    out = []
    for item in items:
        if isinstance(item, (Column, AllColumns, ColumnRange, Variable)):
            out.append(expression(item, names))
        elif isinstance(item, Func) and item.type in METADATA_REFERENCES:
            out.append(METADATA_REFERENCES[item.type])
        else:
            raise ConversionError(f"expected a column, found {type(item).__name__.lower()}")
    return sep.join(out)


def value_list(value: Value | None, names: Names = PLAIN_NAMES, sep: str = ",") -> str:
    """A list of expressions (``value: ANY(a),SUM(b)``)."""
    if value is None:
        raise ConversionError("a value is missing")
    items = value.items if isinstance(value, Array) else (value,)
    return sep.join(expression(v, names) for v in items)


def literal(value: Value | None) -> str:
    """A parameter holding one literal: a string, pattern, number, boolean or keyword."""
    if isinstance(value, Constant):
        return constant(value)
    if isinstance(value, Keyword):
        return value.value
    raise ConversionError(f"expected a literal, found {type(value).__name__.lower()}")


def literal_list(value: Value | None, sep: str = ",") -> str:
    if isinstance(value, Array):
        return sep.join(literal(v) for v in value.items)
    return literal(value)
