"""Text transforms: replace, extract, countpattern, split (patterns, /regex/ or literal strings)."""

from __future__ import annotations

import re

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_jobs.recipe import ast
from spark_jobs.recipe.context import StepContext, quoted, regex_of
from spark_jobs.recipe.registry import transform
from spark_jobs.recipe.transforms.columns import replace_column


def _text(name: str) -> Column:
    return quoted(name).cast("string")


def _is_literal(node: ast.Expr) -> bool:
    return isinstance(node, ast.StringLit | ast.NumberLit)


def _replacement(ctx: StepContext, literal_on: bool) -> str:
    """The ``with:`` text as a Java replacement: ``$1`` group references kept for a regex."""
    value = ctx.literal("with", "")
    text = "" if value is None else str(value)
    if literal_on:
        return text.replace("\\", "\\\\").replace("$", "\\$")
    return text


def _replace_at(ctx: StepContext) -> DataFrame:
    """``replace col: text at: 2,6 with: 'x'``: characters 2 (0-based) up to 6 (exclusive) become
    the replacement; a value shorter than 6 keeps its head and gets the replacement inserted."""
    bounds = ctx.values("at")
    if len(bounds) != 2 or not all(isinstance(b, ast.NumberLit) for b in bounds):
        raise ctx.error("at: takes two character positions, start,end", ctx.step.param("at"))
    start, end = (int(ctx.literal_of(b)) for b in bounds)
    if start < 0 or end < start:
        raise ctx.error("at: start,end are positions with start <= end", ctx.step.param("at"))
    value = ctx.literal("with", "")
    replacement = F.lit("" if value is None else str(value))
    df = ctx.df
    for name in ctx.column_names("col"):
        text = _text(name)
        head = text.substr(F.lit(1), F.lit(start))
        tail = text.substr(F.lit(end + 1), F.lit(2**31 - 1))
        new = F.when(text.isNotNull(), F.concat(head, replacement, tail))
        df = replace_column(df, name, new, ctx.fields[name].metadata)
    return df


def _shifted(replacement: str, by: int) -> str:
    """``$n`` group references of a replacement moved ``by`` groups to the right."""
    if not by:
        return replacement
    return re.sub(r"\$(\d)", lambda m: f"${int(m.group(1)) + by}", replacement)


def replace_in_columns(ctx: StepContext) -> DataFrame:
    """``col:`` values with the matches of ``on:`` replaced by ``with:`` (replace and
    replacepatterns): the first match, or every one with ``global: true``; ``ignoreCase:``;
    ``after:`` / ``before:`` name what must come right before / after a match (left as is)."""
    if not ctx.has("on"):
        raise ctx.error(
            f"{ctx.step.transform} needs on: (a string, `pattern` or /regex/)"
            + (" or at: start,end" if ctx.step.transform.lower() == "replace" else "")
        )
    node = ctx.node("on")
    regex = regex_of(ctx, node)
    # grouped only when something is put before or after it (a group is matcher work per match)
    if ctx.has("after") or ctx.has("before") or not ctx.flag("global", False):
        regex = f"(?:{regex})"
    replacement = _replacement(ctx, _is_literal(node))
    groups = 0
    if ctx.has("after"):
        regex = f"({regex_of(ctx, ctx.node('after'))}){regex}"
        groups = 1
    if ctx.has("before"):
        regex += f"(?={regex_of(ctx, ctx.node('before'))})"
    if ctx.flag("ignorecase", False):
        regex = "(?i)" + regex
    if not ctx.flag("global", False):
        # first match only: everything before it is kept by a lazy prefix group
        regex = "^((?s:.*?))" + regex
        groups += 1
    kept = "".join(f"${g + 1}" for g in range(groups))
    # a literal on: has no groups of its own, and its replacement no group references
    replacement = kept + (replacement if _is_literal(node) else _shifted(replacement, groups))
    df = ctx.df
    for name in ctx.column_names("col"):
        value = F.regexp_replace(_text(name), F.lit(regex), F.lit(replacement))
        df = replace_column(df, name, value, ctx.fields[name].metadata)
    return df


@transform(
    "replace",
    required=("col",),
    optional=("on", "at", "with", "global", "type", "ignorecase", "after", "before"),
)
def replace(ctx: StepContext) -> DataFrame:
    if ctx.has("at"):
        return _replace_at(ctx)
    return replace_in_columns(ctx)


@transform(
    "replacepatterns",
    required=("col", "on"),
    optional=("with", "global", "ignorecase", "after", "before"),
)
def replacepatterns(ctx: StepContext) -> DataFrame:
    """The platform's "Replace text or pattern" as downloaded recipes write it:
    ``replacepatterns col: a, b with: 'x' on: `{digit}+` global: true`` (``col: *`` for every
    column); the same replacement as ``replace ... on:``."""
    return replace_in_columns(ctx)


@transform("convertpattern", required=("col", "cases"), optional=("after", "before"))
def convertpattern(ctx: StepContext) -> DataFrame:
    """The flow packages' "Convert patterns": ``convertpattern col: d cases: [`({dd})/({mm})`,
    '$2-$1'],[...] after: `{start}` before: `{end}```. Each value is converted by the first case
    whose pattern it holds (between ``after:`` and ``before:``, which are left as they are): that
    first match is replaced, ``$n`` naming the case's groups; a value no case matches is kept."""
    cases: list[tuple[str, str]] = []
    for node in ctx.values("cases"):
        if not isinstance(node, ast.ArrayLit) or len(node.items) != 2:
            raise ctx.error("cases: takes [pattern, 'replacement'] pairs", node)
        pattern, target = node.items
        if not isinstance(target, ast.StringLit):
            raise ctx.error("a case's replacement is a quoted text such as '$1-$2'", target)
        cases.append((regex_of(ctx, pattern), target.value))
    head = "^((?s:.*?))"  # everything before the first match, kept
    groups = 1
    if ctx.has("after"):
        head += f"({regex_of(ctx, ctx.node('after'))})"
        groups = 2
    tail = f"(?={regex_of(ctx, ctx.node('before'))})" if ctx.has("before") else ""
    kept = "".join(f"${g + 1}" for g in range(groups))
    df = ctx.df
    for name in ctx.column_names("col"):
        text = _text(name)
        value: Column = text
        for regex, replacement in reversed(cases):
            full = f"{head}(?:{regex}){tail}"
            converted = F.regexp_replace(
                text, F.lit(full), F.lit(kept + _shifted(replacement, groups))
            )
            value = F.when(text.rlike(full), converted).otherwise(value)
        df = replace_column(df, name, value, ctx.fields[name].metadata)
    return df


def _bound(ctx: StepContext, exclusive: str, inclusive: str) -> tuple[str | None, bool]:
    """One side's bound: ``after:`` / ``before:`` leave it out of the match, ``from:`` / ``to:``
    keep it in; at most one of the pair."""
    if ctx.has(exclusive) and ctx.has(inclusive):
        raise ctx.error(
            f"{exclusive}: and {inclusive}: do not go together", ctx.step.param(inclusive)
        )
    for name, kept in ((exclusive, False), (inclusive, True)):
        if ctx.has(name):
            return regex_of(ctx, ctx.node(name)), kept
    return None, False


def _bounded(ctx: StepContext, regex: str | None) -> tuple[str, int]:
    """The regex with ``after:`` / ``from:`` / ``before:`` / ``to:`` bounds, and the group
    holding the match."""
    start, keep_start = _bound(ctx, "after", "from")
    end, keep_end = _bound(ctx, "before", "to")
    if regex is None:
        regex = "(?s:.*?)" if end else "(?s:.*)"
    if start is None and end is None:
        return regex, 0
    head = "" if start is None else f"(?:{start})"
    tail = "" if end is None else f"(?:{end})"
    body = (head if keep_start else "") + regex + (tail if keep_end else "")
    before = "" if keep_start else head
    after = "" if end is None or keep_end else f"(?={end})"
    return f"{before}({body}){after}", 1


@transform(
    "extract",
    optional=(
        "col",
        "on",
        "limit",
        "after",
        "before",
        "from",
        "to",
        "quote",
        "as",
        "type",
        "ignorecase",
    ),
)
def extract(ctx: StepContext) -> DataFrame:
    names = ctx.column_names("col")
    if len(names) != 1:
        raise ctx.error("extract takes one column", ctx.step.param("col"))
    source = names[0]
    if not any(ctx.has(p) for p in ("on", "after", "before", "from", "to")):
        raise ctx.error("extract needs on:, after:, before:, from: or to:")
    regex, group = _bounded(ctx, regex_of(ctx, ctx.node("on")) if ctx.has("on") else None)
    from spark_jobs.recipe.transforms.patterns_split import outside_quotes, quote_of

    quote = quote_of(ctx)
    if quote is not None:
        # a match inside quotes does not count
        regex = outside_quotes(regex, quote)
    if ctx.flag("ignorecase", False):
        regex = "(?i)" + regex
    limit = ctx.integer("limit", 1) or 1
    if limit < 1:
        raise ctx.error("limit: must be at least 1", ctx.step.param("limit"))
    matches = F.regexp_extract_all(_text(source), F.lit(regex), F.lit(group))
    base = ctx.new_name("as") if ctx.has("as") else source
    df = ctx.df
    anchor = source
    for i in range(limit):
        name = base if (ctx.has("as") and limit == 1) else f"{base}{i + 1}"
        df = ctx.place_after(
            df.withColumn(name, F.try_element_at(matches, F.lit(i + 1))), name, anchor
        )
        anchor = name
    return df


def _count_regex(ctx: StepContext) -> tuple[str, int]:
    """The regex whose matches countpattern counts, and the group to take."""
    kind = str(ctx.literal("type", "on")).lower()
    between_only = ("start", "end", "includestart", "includeend")
    if kind == "between":
        for p in ("on", "after", "before"):
            if ctx.has(p):
                raise ctx.error(f"{p}: does not go with type: between", ctx.step.param(p))
        if not (ctx.has("start") and ctx.has("end")):
            raise ctx.error("type: between needs start: and end: (a pattern, /regex/ or text)")
        start = regex_of(ctx, ctx.node("start"))
        end = regex_of(ctx, ctx.node("end"))
        # an end left out of the match is not consumed: it may start the next stretch
        tail = f"(?:{end})" if ctx.flag("includeend", False) else f"(?=(?:{end}))"
        ctx.flag("includestart", False)  # checked for a true/false value; the count is the same
        return f"(?:{start})(?s:.*?){tail}", 0
    if kind != "on":
        raise ctx.error(f"countpattern type: is on or between, not {kind!r}", ctx.node("type"))
    for p in between_only:
        if ctx.has(p):
            raise ctx.error(f"{p}: goes with type: between", ctx.step.param(p))
    return _bounded(ctx, regex_of(ctx, ctx.node("on")) if ctx.has("on") else None)


@transform(
    "countpattern",
    required=("col",),
    optional=(
        "on",
        "after",
        "before",
        "as",
        "ignorecase",
        "type",
        "start",
        "end",
        "includestart",
        "includeend",
    ),
)
def countpattern(ctx: StepContext) -> DataFrame:
    """A new column ``countpattern_<col>`` (or ``as:``): how many times ``on:`` matches, or
    (``type: between start: end:``) how many stretches run from a start to the next end."""
    regex, group = _count_regex(ctx)
    if ctx.flag("ignorecase", False):
        regex = "(?i)" + regex
    df = ctx.df
    for source in ctx.column_names("col"):
        count = F.size(
            F.regexp_extract_all(F.coalesce(_text(source), F.lit("")), F.lit(regex), F.lit(group))
        )
        name = ctx.new_name("as") if ctx.has("as") else f"countpattern_{source}"
        df = ctx.place_after(df.withColumn(name, count.cast("long")), name, source)
    return df


@transform(
    "split",
    required=("col",),
    optional=(
        "on",
        "limit",
        "ignorecase",
        "quote",
        "delimiters",
        "positions",
        "every",
        "type",
        "start",
        "end",
    ),
)
def split(ctx: StepContext) -> DataFrame:
    """``split col: x on: ',' limit: 2`` and the newer form the platform writes,
    ``split type: on col: x on: ',' limit: 2 quote: '"'`` (``type:`` on, delimiters, positions,
    every, between, as in splitpatterns). The source column is replaced by the pieces."""
    from spark_jobs.recipe.transforms.patterns_split import (
        outside_quotes,
        quote_of,
        replace_with_parts,
        split_columns,
        splitpatterns,
    )

    if ctx.has("type"):
        return splitpatterns(ctx)
    for param in ("start", "end"):
        if ctx.has(param):
            raise ctx.error(f"{param}: goes with type: between", ctx.step.param(param))
    names = ctx.column_names("col")
    if len(names) != 1:
        raise ctx.error("split takes one column", ctx.step.param("col"))
    for how in ("delimiters", "positions", "every"):  # see transforms/patterns_split.py
        if ctx.has(how):
            if ctx.has("quote"):
                raise ctx.error("quote: goes with on:", ctx.step.param("quote"))
            return split_columns(ctx, names[0], how)
    if not ctx.has("on"):
        raise ctx.error("split needs on: (a delimiter, pattern or /regex/)")
    source = names[0]
    regex = regex_of(ctx, ctx.node("on"))
    quote = quote_of(ctx)
    if quote is not None:
        regex = outside_quotes(regex, quote)
    if ctx.flag("ignorecase", False):
        regex = "(?i)" + regex
    limit = ctx.integer("limit", 1) or 1
    if limit < 1:
        raise ctx.error("limit: must be at least 1", ctx.step.param("limit"))
    parts = F.split(_text(source), regex, limit + 1)
    pieces = [F.try_element_at(parts, F.lit(i + 1)) for i in range(limit + 1)]
    return replace_with_parts(ctx, source, pieces)


#: replacemissing with: -> the value written in place of a missing one
_MISSING_WITH = ("custom", "empty", "null")


@transform("replacemissing", required=("col", "with"), optional=("text",))
def replacemissing(ctx: StepContext) -> DataFrame:
    """``replacemissing col: a, b with: custom text: 'T12'``: every missing value (null or
    empty) of the listed columns becomes ``text:``; ``with: empty`` writes the empty string,
    ``with: null`` a null. Present values and the columns' types are kept."""
    node = ctx.node("with")
    kind = node.name if isinstance(node, ast.ColumnRef) and not node.quoted else None
    if isinstance(node, ast.NullLit):
        kind = "null"
    if kind is None or kind.lower() not in _MISSING_WITH:
        raise ctx.error(
            f"with: is one of {', '.join(_MISSING_WITH)} (custom takes text:)",
            node,
        )
    kind = kind.lower()
    if kind == "custom":
        if not ctx.has("text"):
            raise ctx.error("with: custom needs text: (the value to write)")
        value = ctx.literal("text")
        if value is None or isinstance(value, bool):
            raise ctx.error("text: takes a quoted text or a number", ctx.step.param("text"))
        text = ctx.node("text")
        fill: Column = F.lit(text.text if isinstance(text, ast.NumberLit) else str(value))
    elif ctx.has("text"):
        raise ctx.error(f"text: goes with with: custom, not {kind}", ctx.step.param("text"))
    else:
        fill = F.lit("") if kind == "empty" else F.lit(None).cast("string")
    df = ctx.df
    for name in ctx.column_names("col"):
        current = _text(name)
        missing = current.isNull() | (current == F.lit(""))
        # a column typed by Spark (a computed bigint, ...) becomes text typed by metadata, the
        # engine's way of keeping a value that does not fit (custom text in a number column)
        metadata = ctx.fields[name].metadata or ctx.wtype(name).to_metadata()
        df = replace_column(df, name, F.when(missing, fill).otherwise(current), metadata)
    return df
