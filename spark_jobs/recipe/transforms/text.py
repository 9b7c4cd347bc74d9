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


@transform(
    "replace",
    required=("col",),
    optional=("on", "at", "with", "global", "type", "ignorecase", "after", "before"),
)
def replace(ctx: StepContext) -> DataFrame:
    if ctx.has("at"):
        return _replace_at(ctx)
    if not ctx.has("on"):
        raise ctx.error("replace needs on: (a string, `pattern` or /regex/) or at: start,end")
    node = ctx.node("on")
    regex = regex_of(ctx, node)
    if ctx.flag("ignorecase", False):
        regex = "(?i)" + regex
    replacement = _replacement(ctx, _is_literal(node))
    every = ctx.flag("global", False)
    if not every:
        # first match only: everything before it is kept by a lazy prefix group
        replacement = "$1" + re.sub(r"\$(\d)", lambda m: f"${int(m.group(1)) + 1}", replacement)
        regex = "^((?s:.*?))(?:" + regex + ")"
    df = ctx.df
    for name in ctx.column_names("col"):
        value = F.regexp_replace(_text(name), F.lit(regex), F.lit(replacement))
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


@transform(
    "countpattern", required=("col",), optional=("on", "after", "before", "as", "ignorecase")
)
def countpattern(ctx: StepContext) -> DataFrame:
    df = ctx.df
    for source in ctx.column_names("col"):
        regex, group = _bounded(ctx, regex_of(ctx, ctx.node("on")) if ctx.has("on") else None)
        if ctx.flag("ignorecase", False):
            regex = "(?i)" + regex
        count = F.size(
            F.regexp_extract_all(F.coalesce(_text(source), F.lit("")), F.lit(regex), F.lit(group))
        )
        name = ctx.new_name("as") if ctx.has("as") else f"countpattern_{source}"
        df = ctx.place_after(df.withColumn(name, count.cast("long")), name, source)
    return df


@transform(
    "split",
    required=("col",),
    optional=("on", "limit", "ignorecase", "quote", "delimiters", "positions", "every"),
)
def split(ctx: StepContext) -> DataFrame:
    names = ctx.column_names("col")
    if len(names) != 1:
        raise ctx.error("split takes one column", ctx.step.param("col"))
    for how in ("delimiters", "positions", "every"):  # see transforms/patterns_split.py
        if ctx.has(how):
            if ctx.has("quote"):
                raise ctx.error("quote: goes with on:", ctx.step.param("quote"))
            from spark_jobs.recipe.transforms.patterns_split import split_columns

            return split_columns(ctx, names[0], how)
    if not ctx.has("on"):
        raise ctx.error("split needs on: (a delimiter, pattern or /regex/)")
    source = names[0]
    regex = regex_of(ctx, ctx.node("on"))
    from spark_jobs.recipe.transforms.patterns_split import outside_quotes, quote_of

    quote = quote_of(ctx)
    if quote is not None:
        regex = outside_quotes(regex, quote)
    if ctx.flag("ignorecase", False):
        regex = "(?i)" + regex
    limit = ctx.integer("limit", 1) or 1
    if limit < 1:
        raise ctx.error("limit: must be at least 1", ctx.step.param("limit"))
    parts = F.split(_text(source), regex, limit + 1)
    new = [
        F.try_element_at(parts, F.lit(i + 1)).alias(f"{source}{i + 1}") for i in range(limit + 1)
    ]
    columns: list[Column] = []
    for c in ctx.df.columns:
        columns.extend(new if c == source else [quoted(c)])
    return ctx.df.select(*columns)
