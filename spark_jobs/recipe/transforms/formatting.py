"""Formatting and conditional transforms: ``comment`` (a recipe note, no effect on the data),
``textformat`` (trim, case, prefix / suffix, padding of the values in place), ``setcriteria``
(a selection made in the grid: no effect on the data) and ``case`` (if / then / else and case
logic into a new column).

Every value is a native Spark expression (``regexp_replace``, ``upper``, ``lpad``, ``when`` ...).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_jobs.recipe import ast
from spark_jobs.recipe.context import StepContext, quoted
from spark_jobs.recipe.registry import transform
from spark_jobs.recipe.transforms.columns import replace_column
from spark_jobs.recipe.types import WrangleType


@transform("comment", required=("comment",))
def comment(ctx: StepContext) -> DataFrame:
    """A note in the recipe; the data is unchanged (the reference: "ignored during job
    execution"). ``// text`` and ``/* text */`` lines are read as this step by the parser."""
    value = ctx.literal("comment")
    if not isinstance(value, str):
        raise ctx.error("comment: takes a quoted text", ctx.step.param("comment"))
    return ctx.df


def _text(name: str) -> Column:
    return quoted(name).cast("string")


def _affix(ctx: StepContext, param: str) -> str:
    node = ctx.node(param)
    if isinstance(node, ast.NumberLit):
        return node.text
    if not isinstance(node, ast.StringLit):
        raise ctx.error(f"{param}: takes a quoted text", node)
    return node.value


def _pad(ctx: StepContext, left: bool) -> Callable[[Column], Column]:
    length = ctx.integer("length")
    if length is None or length < 1:
        raise ctx.error(
            "length: (the width to pad to) must be a whole number of at least 1",
            ctx.step.param("length") or None,
        )
    char = ctx.text("char", " ")
    if char is None or len(char) != 1:
        raise ctx.error("char: takes exactly one character", ctx.step.param("char"))
    pad = F.lpad if left else F.rpad

    def apply(value: Column) -> Column:
        # lpad / rpad would cut longer values: those are kept whole
        return F.when(F.char_length(value) >= length, value).otherwise(pad(value, length, char))

    return apply


#: textformat type -> (parameters it takes, how it builds the new value)
_SIMPLE: dict[str, Callable[[Column], Column]] = {
    "uppercase": F.upper,
    "lowercase": F.lower,
    "propercase": F.initcap,
    "trimwhitespace": lambda v: F.regexp_replace(v, r"^\s+|\s+$", ""),
    "trimquotes": lambda v: F.regexp_replace(v, r"^['\"]+|['\"]+$", ""),
    "removewhitespace": lambda v: F.regexp_replace(v, r"\s+", ""),
    "removesymbols": lambda v: F.regexp_replace(v, r"[^\p{L}\p{N}\s]", ""),
}
_WITH_PARAMS = {
    "addprefix": ("prefix",),
    "addsuffix": ("suffix",),
    "padleft": ("length", "char"),
    "padright": ("length", "char"),
}
TEXTFORMAT_TYPES = (*_SIMPLE, *_WITH_PARAMS)
_TEXTFORMAT_PARAMS = {"prefix", "suffix", "length", "char"}


def _format(ctx: StepContext, kind: str) -> Callable[[Column], Column]:
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind == "addprefix":
        prefix = _affix(ctx, "prefix")
        return lambda v: F.concat(F.lit(prefix), v)
    if kind == "addsuffix":
        suffix = _affix(ctx, "suffix")
        return lambda v: F.concat(v, F.lit(suffix))
    return _pad(ctx, left=kind == "padleft")


@transform("textformat", required=("col", "type"), optional=tuple(sorted(_TEXTFORMAT_PARAMS)))
def textformat(ctx: StepContext) -> DataFrame:
    """Each listed column's values rewritten in place; a missing value stays missing."""
    kind = str(ctx.literal("type")).lower()
    if kind not in TEXTFORMAT_TYPES:
        raise ctx.error(
            f"unknown textformat type {kind!r} (known: {', '.join(TEXTFORMAT_TYPES)})",
            ctx.node("type"),
            difflib.get_close_matches(kind, TEXTFORMAT_TYPES, n=2, cutoff=0.6),
        )
    wanted = set(_WITH_PARAMS.get(kind, ()))
    for p in ctx.step.params:
        key = p.name.lower()
        if key in _TEXTFORMAT_PARAMS and key not in wanted:
            raise ctx.error(f"{p.name}: does not go with type: {kind}", p)
    for key in _WITH_PARAMS.get(kind, ()):
        if key != "char" and not ctx.has(key):
            raise ctx.error(f"type: {kind} needs {key}:")
    build = _format(ctx, kind)
    df = ctx.df
    for name in ctx.column_names("col"):
        df = replace_column(df, name, build(_text(name)), ctx.fields[name].metadata)
    return df


@transform("setcriteria", optional=("row", "col", "type", "value"))
def setcriteria(ctx: StepContext) -> DataFrame:
    """A selection made in the data grid of the platform's editor (not a transform of the
    data): the step is read and checked (its columns and condition must exist), and the data
    passes through unchanged."""
    if ctx.has("col"):
        ctx.column_names("col")
    if ctx.has("row"):
        ctx.expr("row")
    if ctx.has("value"):
        ctx.expr("value")
    return ctx.df


def _pairs(ctx: StepContext, param: str) -> list[tuple[ast.Expr, ast.Expr]]:
    out = []
    for node in ctx.values(param):
        if not isinstance(node, ast.ArrayLit) or len(node.items) != 2:
            raise ctx.error(f"{param}: takes pairs [test, result], ...", node)
        out.append((node.items[0], node.items[1]))
    if not out:
        raise ctx.error(f"{param}: needs at least one [test, result] pair", ctx.step.param(param))
    return out


#: case condition: (as the platform writes it) -> the parameter of that form
_CASE_CONDITIONS = {"ifthenelse": "if", "columnconditions": "colcases", "customconditions": "cases"}


@transform(
    "case",
    optional=("condition", "if", "then", "else", "col", "colcases", "cases", "default", "as"),
)
def case(ctx: StepContext) -> DataFrame:
    """``if: then: else:``, ``col: colCases: [value, result], ... default:`` (exact matches of
    one column) or ``cases: [test, result], ... default:`` (the first true test wins); the
    result goes to the new column ``as:`` (default ``case``, ``case1``, ...) at the end.
    ``condition: ifThenElse | columnConditions | customConditions``, which the platform writes
    first, names the form."""
    forms = [f for f in ("if", "colcases", "cases") if ctx.has(f)]
    if len(forms) != 1:
        raise ctx.error("case needs exactly one of if: (with then:), colCases: (with col:), cases:")
    form = forms[0]
    if ctx.has("condition"):
        node = ctx.node("condition")
        named = node.name if isinstance(node, ast.ColumnRef) else ctx.literal("condition")
        wanted = _CASE_CONDITIONS.get(str(named).lower())
        if wanted is None:
            raise ctx.error(
                f"condition: is ifThenElse, columnConditions or customConditions, not {named!r}",
                node,
            )
        if wanted != form:
            spelled = {"if": "if:", "colcases": "colCases:", "cases": "cases:"}
            raise ctx.error(f"condition: {named} goes with {spelled[wanted]}", node)
    if form == "if":
        if not ctx.has("then"):
            raise ctx.error("if: needs then:")
        for other in ("col", "default"):
            if ctx.has(other):
                raise ctx.error(f"{other}: does not go with if:", ctx.step.param(other))
        value = F.when(ctx.expr("if"), ctx.expr("then"))
        if ctx.has("else"):
            value = value.otherwise(ctx.expr("else"))
    else:
        for other in ("then", "else"):
            if ctx.has(other):
                raise ctx.error(f"{other}: goes with if:", ctx.step.param(other))
        pairs = _pairs(ctx, form)
        if form == "colcases":
            names = ctx.column_names("col") if ctx.has("col") else []
            if len(names) != 1:
                raise ctx.error("colCases: needs col: (one column)", ctx.step.param("col"))
            subject = _text(names[0])
        elif ctx.has("col"):
            raise ctx.error("col: goes with colCases:", ctx.step.param("col"))
        built: Column | None = None
        for test_node, result in pairs:
            if form == "colcases":
                if not isinstance(test_node, ast.LITERALS):
                    raise ctx.error("colCases: compares with literal values", test_node)
                condition = subject == F.lit(ctx.literal_of(test_node)).cast("string")
            else:
                condition = ctx.compile(test_node)
            outcome = ctx.compile(result)
            built = F.when(condition, outcome) if built is None else built.when(condition, outcome)
        assert built is not None
        value = built
        if ctx.has("default"):
            value = value.otherwise(ctx.expr("default"))
    if ctx.has("as"):
        name = ctx.new_name("as")
    else:
        name, n = "case", 0
        while name in ctx.df.columns:
            n += 1
            name = f"case{n}"
    if name in ctx.df.columns:
        return replace_column(ctx.df, name, value)
    return ctx.df.withColumn(name, value)


#: dateformat type: -> the platform format it stands for (``custom`` takes ``format:``)
DATEFORMAT_TYPES: dict[str, str] = {
    "ddmmcommondate": "dd/MM/yyyy",
    "mmddcommondate": "MM/dd/yyyy",
}


@transform("dateformat", required=("col", "type"), optional=("format",))
def dateformat(ctx: StepContext) -> DataFrame:
    """``dateformat col: a, b type: custom format: 'dd-MM-yyyy'`` (or a named format such as
    ``type: ddmmcommondate``): each value rewritten in place as DATEFORMAT($col, format) does;
    a value that is no date becomes missing. The columns stay typed Datetime, in that format."""
    from spark_jobs.dateformats import FormatError, spark_pattern

    kind_node = ctx.node("type")
    kind = str(kind_node.name if isinstance(kind_node, ast.ColumnRef) else ctx.literal("type"))
    if kind.lower() == "custom":
        if not ctx.has("format"):
            raise ctx.error("dateformat type: custom needs format: (such as 'yyyy-MM-dd')")
        node = ctx.node("format")
        if not isinstance(node, ast.StringLit):
            raise ctx.error("format: takes a quoted date format such as 'yyyy-MM-dd'", node)
        fmt = node.value
    elif kind.lower() in DATEFORMAT_TYPES:
        if ctx.has("format"):
            raise ctx.error("format: goes with type: custom", ctx.step.param("format"))
        fmt = DATEFORMAT_TYPES[kind.lower()]
        node = ast.StringLit(fmt, pos=kind_node.pos)
    else:
        known = ["custom", *DATEFORMAT_TYPES]
        raise ctx.error(
            f"unknown dateformat type {kind!r} (known: {', '.join(known)})",
            kind_node,
            difflib.get_close_matches(kind.lower(), known, n=2, cutoff=0.6),
        )
    try:
        pattern = spark_pattern(fmt)
    except FormatError as exc:
        raise ctx.error(f"bad date format {fmt!r}: {exc}", node) from None
    metadata = WrangleType("Datetime", (pattern,)).to_metadata()
    df = ctx.df
    for name in ctx.column_names("col"):
        call = ast.Call("DATEFORMAT", (ast.ColumnRef(name, quoted=True), node), pos=node.pos)
        df = replace_column(df, name, ctx.compile(call), metadata)
    return df
