"""Row transforms: delete, keep, filter, sort, deduplicate, header."""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_jobs import metadata_columns
from spark_jobs.recipe.context import StepContext, quoted, visible_columns
from spark_jobs.recipe.registry import transform
from spark_jobs.recipe.transforms.columns import sort_columns
from spark_jobs.recipe.types import MISMATCHED, MISSING, classify, column_type


def _true(condition: Column) -> Column:
    """A condition where missing counts as false (the platform keeps / deletes only matches)."""
    return F.coalesce(condition, F.lit(False))


@transform("delete", required=("row",))
def delete(ctx: StepContext) -> DataFrame:
    return ctx.df.filter(~_true(ctx.expr("row")))


@transform("keep", required=("row",))
def keep(ctx: StepContext) -> DataFrame:
    return ctx.df.filter(_true(ctx.expr("row")))


@transform("filter", optional=("type", "row", "col", "action"))
def filter_(ctx: StepContext) -> DataFrame:
    kind = str(ctx.literal("type", "custom")).lower()
    action = str(ctx.literal("action", "Keep")).lower()
    if action not in ("keep", "delete"):
        raise ctx.error("action: is Keep or Delete", ctx.step.param("action"))
    if kind == "custom":
        condition = ctx.expr("row")
    elif kind in ("missing", "mismatched"):
        wanted = MISSING if kind == "missing" else MISMATCHED
        names = ctx.column_names("col")
        tests = [classify(quoted(n), column_type(ctx.fields[n])) == wanted for n in names]
        condition = reduce(lambda a, b: a | b, tests)
    else:
        raise ctx.error("type: is custom, missing or mismatched", ctx.step.param("type"))
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

    if ctx.has("quoteescapechar"):
        raise ctx.error("quoteescapechar: is not supported", ctx.step.param("quoteescapechar"))
    source = names[0]
    regex = regex_of(ctx, node)
    quote = quote_of(ctx)
    if quote is not None:
        regex = outside_quotes(regex, quote)
    parts = F.explode_outer(F.split(quoted(source).cast("string"), regex, -1))
    return ctx.df.select(*[parts.alias(c) if c == source else quoted(c) for c in ctx.df.columns])
