"""Row transforms: delete, keep, filter, sort, deduplicate, header."""

from __future__ import annotations

import re
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs import metadata_columns
from spark_jobs.recipe import ast
from spark_jobs.recipe.context import StepContext, quoted, visible_columns
from spark_jobs.recipe.registry import transform
from spark_jobs.recipe.transforms.columns import sort_columns
from spark_jobs.recipe.types import (
    MISMATCHED,
    MISSING,
    WrangleType,
    classify,
    column_type,
    is_missing,
)


def _true(condition: Column) -> Column:
    """A condition where missing counts as false (the platform keeps / deletes only matches)."""
    return F.coalesce(condition, F.lit(False))


@transform("delete", required=("row",))
def delete(ctx: StepContext) -> DataFrame:
    return ctx.df.filter(~_true(ctx.expr("row")))


@transform("keep", required=("row",))
def keep(ctx: StepContext) -> DataFrame:
    return ctx.df.filter(_true(ctx.expr("row")))


#: filter type -> the parameters that carry its condition
_FILTER_TYPES: dict[str, tuple[str, ...]] = {
    "custom": ("row",),
    "missing": ("missing",),
    "mismatched": ("mismatched",),
    "exactly": ("exactly",),
    "oneof": ("oneof",),
    "contains": ("contains",),
    "startswith": ("startswith",),
    "endswith": ("endswith",),
    "lessthan": ("lessthan", "lessthanequal"),
    "lessthanequal": ("lessthan", "lessthanequal"),
    "greaterthan": ("greaterthan", "greaterthanequal"),
    "greaterthanequal": ("greaterthan", "greaterthanequal"),
    "between": ("lessthan", "lessthanequal", "greaterthan", "greaterthanequal"),
}
_CONDITION_PARAMS = tuple(dict.fromkeys(p for ps in _FILTER_TYPES.values() for p in ps))
_SPELLING = {
    "oneof": "oneOf",
    "startswith": "startsWith",
    "endswith": "endsWith",
    "lessthan": "lessThan",
    "lessthanequal": "lessThanEqual",
    "greaterthan": "greaterThan",
    "greaterthanequal": "greaterThanEqual",
}


def _spelled(name: str) -> str:
    return _SPELLING.get(name, name)


def _filter_kind(ctx: StepContext) -> str:
    """``type:``, or (the reference's Basic Usage writes none) the condition parameter given."""
    if ctx.has("type"):
        kind = str(ctx.literal("type")).lower()
        if kind not in _FILTER_TYPES:
            import difflib

            known = [_spelled(k) for k in _FILTER_TYPES]
            raise ctx.error(
                f"unknown filter type {kind!r} (known: {', '.join(known)})",
                ctx.step.param("type"),
                difflib.get_close_matches(kind, known, n=2, cutoff=0.6),
            )
        return kind
    given = [p for p in _CONDITION_PARAMS if ctx.has(p)]
    if not given:
        raise ctx.error(
            "filter needs a condition: row: (type: custom) or one of "
            + ", ".join(f"{_spelled(p)}:" for p in _CONDITION_PARAMS if p != "row")
        )
    return given[0]


def _subject(ctx: StepContext, kind: str) -> str:
    names = ctx.column_names("col") if ctx.has("col") else []
    if len(names) != 1:
        raise ctx.error(
            f"filter type: {_spelled(kind)} needs col: (one column)", ctx.step.param("col")
        )
    return names[0]


def _is_condition(node: ast.Expr) -> bool:
    """A test rather than a value: a comparison, ``&&`` / ``||`` or ``!``."""
    if isinstance(node, ast.BinaryOp):
        return node.op not in ("+", "-", "*", "/", "%")
    return isinstance(node, ast.UnaryOp) and node.op == "!"


def _equals(ctx: StepContext, column: str, node: ast.Expr) -> Column:
    """``column`` equal to ``node``: numbers as numbers on a numeric column, else as text."""
    if isinstance(node, ast.LITERALS) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.NumberLit)
    ):
        value = ctx.literal_of(node)
        if value is None:
            return is_missing(quoted(column))
        numeric = ctx.wtype(column).name in ("Integer", "Decimal")
        if numeric and isinstance(value, int | float) and not isinstance(value, bool):
            return ctx.compile(ast.ColumnRef(column)) == F.lit(value)
        text = node.text if isinstance(node, ast.NumberLit) else str(value)
        if isinstance(value, bool):
            text = "true" if value else "false"
        return quoted(column).cast("string") == F.lit(text)
    return ctx.compile(ast.ColumnRef(column)) == ctx.compile(node)


def _compared(ctx: StepContext, column: str, node: ast.Expr) -> tuple[Column, Column]:
    """The column's value and the bound, typed alike for ``<`` / ``>``."""
    value = ctx.compile(ast.ColumnRef(column))
    bound = ctx.compile(node)
    numeric_bound = isinstance(node, ast.NumberLit) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.NumberLit)
    )
    if numeric_bound and isinstance(ctx.fields[column].dataType, T.StringType):
        # a String column compared with a number: its numeric values (others are not less or
        # greater than anything)
        from spark_jobs.compat import try_cast

        value = try_cast(quoted(column), "double")
    return value, bound


def _bounds(ctx: StepContext, kind: str, column: str) -> Column:
    """``lessThan: 730 lessThanEqual: true`` (a strict bound made inclusive by its flag), or
    ``lessThanEqual: 5`` (an inclusive bound); the same for greaterThan; both for between."""
    tests: list[Column] = []
    for strict, inclusive, op in (
        ("lessthan", "lessthanequal", "<"),
        ("greaterthan", "greaterthanequal", ">"),
    ):
        bound_node: ast.Expr | None = None
        closed = False
        if ctx.has(inclusive) and not isinstance(ctx.node(inclusive), ast.BoolLit):
            if ctx.has(strict):
                raise ctx.error(
                    f"{_spelled(strict)}: and {_spelled(inclusive)}: both give a bound",
                    ctx.step.param(inclusive),
                )
            bound_node, closed = ctx.node(inclusive), True
        elif ctx.has(strict):
            bound_node = ctx.node(strict)
            closed = ctx.flag(inclusive, False) if ctx.has(inclusive) else False
        elif ctx.has(inclusive):
            raise ctx.error(
                f"{_spelled(inclusive)}: true needs {_spelled(strict)}: (the bound)",
                ctx.step.param(inclusive),
            )
        if bound_node is None:
            continue
        value, bound = _compared(ctx, column, bound_node)
        if op == "<":
            tests.append(value <= bound if closed else value < bound)
        else:
            tests.append(value >= bound if closed else value > bound)
    if kind == "between" and len(tests) != 2:
        raise ctx.error(
            "filter type: between needs a lower bound (greaterThan: or greaterThanEqual:) and "
            "an upper bound (lessThan: or lessThanEqual:)"
        )
    if not tests:
        raise ctx.error(f"filter type: {_spelled(kind)} needs {_spelled(kind)}: (the bound)")
    return reduce(lambda a, b: a & b, tests)


def _text_test(ctx: StepContext, kind: str, column: str) -> Column:
    from spark_jobs.recipe.context import regex_of

    regex = regex_of(ctx, ctx.node(kind))
    if kind == "startswith":
        regex = f"^(?:{regex})"
    elif kind == "endswith":
        regex = f"(?:{regex})$"
    if ctx.flag("ignorecase", False):
        regex = "(?i)" + regex
    return quoted(column).cast("string").rlike(regex)


def _filter_condition(ctx: StepContext, kind: str) -> Column:
    if kind == "custom":
        if not ctx.has("row"):
            raise ctx.error("filter type: custom needs row: (the condition)")
        row_type = str(ctx.literal("rowtype", "single")).lower()
        if row_type != "single":
            raise ctx.error(
                f"rowType: {row_type} is not supported (single is: one condition on each row)",
                ctx.step.param("rowtype"),
            )
        return ctx.expr("row")
    if kind == "missing":
        names = ctx.column_names("missing") if ctx.has("missing") else ctx.column_names("col")
        if not names:
            raise ctx.error("filter type: missing needs missing: (or col:) naming the columns")
        tests = [classify(quoted(n), column_type(ctx.fields[n])) == MISSING for n in names]
        return reduce(lambda a, b: a | b, tests)
    if kind == "mismatched":
        names = ctx.column_names("col")
        if not names:
            raise ctx.error("filter type: mismatched needs col:")
        wanted = None
        if ctx.has("mismatched"):
            type_name = str(ctx.literal("mismatched"))
            try:
                wanted = WrangleType.parse(type_name)
            except KeyError:
                from spark_jobs.recipe.parser import suggest
                from spark_jobs.recipe.types import known_type_names

                raise ctx.error(
                    f"unknown type {type_name!r}",
                    ctx.step.param("mismatched"),
                    suggest(type_name, known_type_names()),
                ) from None
        tests = [
            classify(quoted(n), wanted or column_type(ctx.fields[n])) == MISMATCHED for n in names
        ]
        return reduce(lambda a, b: a | b, tests)
    column = _subject(ctx, kind)
    if kind == "exactly":
        if not ctx.has("exactly"):
            raise ctx.error("filter type: exactly needs exactly: (the value)")
        node = ctx.node("exactly")
        # the reference's own example: exactly: find(basic, '545', true, 1) == 8
        return ctx.compile(node) if _is_condition(node) else _equals(ctx, column, node)
    if kind == "oneof":
        if not ctx.has("oneof"):
            raise ctx.error("filter type: oneOf needs oneOf: (the values)")
        tests = [_equals(ctx, column, v) for v in ctx.values("oneof")]
        return reduce(lambda a, b: a | b, tests)
    if kind in ("contains", "startswith", "endswith"):
        if not ctx.has(kind):
            raise ctx.error(
                f"filter type: {_spelled(kind)} needs {_spelled(kind)}: (a text, `pattern` or /regex/)"
            )
        return _text_test(ctx, kind, column)
    return _bounds(ctx, kind, column)


@transform(
    "filter",
    optional=("type", "row", "rowtype", "col", "action", "ignorecase", *_CONDITION_PARAMS),
)
def filter_(ctx: StepContext) -> DataFrame:
    """Keep or delete (``action: Keep | Delete``, the reference also writes ``Drop``) the rows
    matching a condition: ``type: custom rowType: single row: expr``, or a condition on one
    column (``type: exactly col: x exactly: 1``, ``oneOf:``, ``contains:`` / ``startsWith:`` /
    ``endsWith:`` a text, pattern or regex, ``lessThan: 730 lessThanEqual: true``,
    ``greaterThanEqual: 10``, ``between`` with a lower and an upper bound), or ``missing: col``,
    ``col: x mismatched: 'String'``. A condition that is missing for a row does not match it."""
    kind = _filter_kind(ctx)
    action = str(ctx.literal("action", "Keep")).lower()
    if action not in ("keep", "delete", "drop"):
        raise ctx.error("action: is Keep or Delete", ctx.step.param("action"))
    own = set(_FILTER_TYPES[kind])
    for p in ctx.step.params:
        key = p.name.lower()
        if key in _CONDITION_PARAMS and key not in own:
            raise ctx.error(f"{p.name}: does not go with filter type: {_spelled(kind)}", p)
        if key == "ignorecase" and kind not in ("contains", "startswith", "endswith"):
            raise ctx.error(f"{p.name}: goes with contains, startsWith or endsWith", p)
        if key == "rowtype" and kind != "custom":
            raise ctx.error(f"{p.name}: goes with filter type: custom", p)
    condition = _filter_condition(ctx, kind)
    return ctx.df.filter(_true(condition) if action == "keep" else ~_true(condition))


@transform("sort", required=("order",))
def sort(ctx: StepContext) -> DataFrame:
    return ctx.df.orderBy(*sort_columns(ctx, "order"))


@transform("deduplicate")
def deduplicate(ctx: StepContext) -> DataFrame:
    return ctx.df.dropDuplicates(visible_columns(ctx.df))


@transform("header", optional=("sourcerownumber",))
def header(ctx: StepContext) -> DataFrame:
    """Row ``sourcerownumber`` (default: the first) becomes the column names and is removed.

    Reads that one row when the recipe is compiled (a small Spark job).
    """
    df = ctx.df
    number = ctx.integer("sourcerownumber", None)
    visible = visible_columns(df)
    if not visible:
        raise ctx.error("header: the dataset has no columns to name")
    if number is not None:
        if metadata_columns.SOURCE_ROW_NUMBER not in df.columns:
            raise ctx.error(
                "header sourcerownumber: needs $sourcerownumber, which this source lacks",
                ctx.step.param("sourcerownumber"),
            )
        is_header = quoted(metadata_columns.SOURCE_ROW_NUMBER) == F.lit(number)
        rows = df.filter(is_header).select(*[quoted(c) for c in visible]).limit(1).collect()
    else:
        rows = df.select(*[quoted(c) for c in visible]).limit(1).collect()
        is_header = None
    if not rows:
        raise ctx.error("header: the dataset has no such row")
    values = list(rows[0])
    names: list[str] = []
    for i, value in enumerate(values):
        base = str(value) if value not in (None, "") else f"column{i + 1}"
        candidate, n = base, 2
        while candidate in names:
            candidate, n = f"{base}{n}", n + 1
        names.append(candidate)
    if is_header is None:
        matches = [quoted(c).eqNullSafe(F.lit(v)) for c, v in zip(visible, values, strict=True)]
        is_header = reduce(lambda a, b: a & b, matches)
    renamed = {c: n for c, n in zip(visible, names, strict=True)}
    return df.filter(~is_header).select(
        *[quoted(c).alias(renamed[c]) if c in renamed else quoted(c) for c in df.columns]
    )


def _outside_escaped_quotes(regex: str, quote: str, escape: str) -> str:
    """``regex`` where it stands outside quotes, a quote right after ``escape`` not counting:
    an even number of unescaped quotes must follow it (escape + any character read as one)."""
    q, e = re.escape(quote), re.escape(escape)
    other = f"(?:[^{q}{e}]|{e}[\\s\\S])"
    return f"(?:{regex})(?=(?:{other}*+{q}{other}*+{q})*+{other}*+\\z)"


@transform("splitrows", required=("col", "on"), optional=("quote", "quoteescapechar"))
def splitrows(ctx: StepContext) -> DataFrame:
    """Each value of ``col:`` split on ``on:`` (a literal string) into one row per part."""
    from spark_jobs.recipe import ast
    from spark_jobs.recipe.context import regex_of

    names = ctx.column_names("col")
    if len(names) != 1:
        raise ctx.error("splitrows takes one column", ctx.step.param("col"))
    node = ctx.node("on")
    if not isinstance(node, ast.StringLit):
        raise ctx.error("splitrows splits on a quoted string only", node)
    from spark_jobs.recipe.transforms.patterns_split import outside_quotes, quote_of

    source = names[0]
    regex = regex_of(ctx, node)
    quote = quote_of(ctx)
    escape: str | None = None
    if ctx.has("quoteescapechar"):
        # a quote written twice inside quotes ("a ""b"" c") leaves the count of quotes after a
        # delimiter even or odd as it was, so the quote rule below already reads it right; any
        # other escape character (\" in "a \"b\" c") hides the quote it comes before
        node = ctx.node("quoteescapechar")
        if quote is None:
            raise ctx.error("quoteescapechar: goes with quote:", node)
        if not (isinstance(node, ast.StringLit) and len(node.value) == 1 and len(quote) == 1):
            raise ctx.error("quoteescapechar: takes one quoted character such as '\\\\'", node)
        if node.value != quote:
            escape = node.value
    if quote is not None and escape is not None:
        regex = _outside_escaped_quotes(regex, quote, escape)
    elif quote is not None:
        regex = outside_quotes(regex, quote)
    parts = F.explode_outer(F.split(quoted(source).cast("string"), regex, -1))
    return ctx.df.select(*[parts.alias(c) if c == source else quoted(c) for c in ctx.df.columns])
