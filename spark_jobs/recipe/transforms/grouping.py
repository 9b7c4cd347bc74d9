"""Grouping transforms: aggregate (one row per group) and window (a value per row, ordered)."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_jobs.recipe import ast
from spark_jobs.recipe.context import StepContext, quoted
from spark_jobs.recipe.registry import transform
from spark_jobs.recipe.transforms.columns import window_for


def _default_name(node: ast.Expr) -> str:
    """``SUM(Qty)`` -> ``sum_Qty``; ``COUNT()`` -> ``count`` (the platform's naming)."""
    if isinstance(node, ast.Call):
        inner = [a.name for a in node.args if isinstance(a, ast.ColumnRef)]
        return "_".join([node.name.lower(), *inner])
    return "value"


@transform("aggregate", required=("value",), optional=("group", "as"))
def aggregate(ctx: StepContext) -> DataFrame:
    ctx.allow_aggregate = True
    group = ctx.column_names("group") if ctx.has("group") else []
    names = [str(ctx.literal_of(v)) for v in ctx.values("as")] if ctx.has("as") else []
    values: list[Column] = []
    for i, node in enumerate(ctx.values("value")):
        name = names[i] if i < len(names) else _default_name(node)
        values.append(ctx.compile(node).alias(name))
    grouped = ctx.df.groupBy(*[quoted(g) for g in group])
    return grouped.agg(*values)


@transform("window", required=("value",), optional=("group", "order", "as"))
def window(ctx: StepContext) -> DataFrame:
    window_for(ctx)
    df = ctx.df
    names = [str(ctx.literal_of(v)) for v in ctx.values("as")] if ctx.has("as") else []
    for i, node in enumerate(ctx.values("value")):
        name = names[i] if i < len(names) else ("window" if i == 0 else f"window{i}")
        df = df.withColumn(name, ctx.compile(node))
    return df


def _safe(value: object) -> str:
    text = "null" if value is None else str(value)
    return "".join(ch if ch.isalnum() else "_" for ch in text)


@transform("pivot", required=("col", "value"), optional=("group", "limit"))
def pivot(ctx: StepContext) -> DataFrame:
    """One row per group, one column per (aggregate, distinct value of col:).

    Columns are named ``<aggregate name>_<value>`` (``sum_amount_west``). The distinct values
    are read with one small Spark job when the recipe is compiled (at most ``limit:``, 50).
    """
    ctx.allow_aggregate = True
    (source,) = ctx.column_names("col")[:1]
    group = ctx.column_names("group") if ctx.has("group") else []
    limit = ctx.integer("limit", 50) or 50
    values = [
        r[0]
        for r in ctx.df.select(quoted(source))
        .distinct()
        .orderBy(quoted(source))
        .limit(limit + 1)
        .collect()
    ]
    if len(values) > limit:
        raise ctx.error(
            f"pivot: column {source!r} has more than {limit} distinct values (raise limit:)",
            ctx.step.param("col"),
        )
    aggregates = [(_default_name(node), ctx.compile(node)) for node in ctx.values("value")]
    pivoted = ctx.df.groupBy(*[quoted(g) for g in group]).pivot(source, values)
    out = pivoted.agg(*[column.alias(name) for name, column in aggregates])
    renamed = []
    for c in out.columns:
        if c in group:
            renamed.append(quoted(c))
            continue
        value, _, agg = c.rpartition("_") if len(aggregates) > 1 else (c, "", aggregates[0][0])
        if len(aggregates) > 1:
            # Spark names them <value>_<alias>; the alias itself may contain '_'
            for name, _col in aggregates:
                if c.endswith("_" + name):
                    value, agg = c[: -len(name) - 1], name
        renamed.append(quoted(c).alias(f"{agg}_{_safe(value)}"))
    return out.select(*renamed)


@transform("unpivot", required=("col",), optional=("groupevery",))
def unpivot(ctx: StepContext) -> DataFrame:
    """The listed columns become rows: ``key`` (the column name) and ``value`` (its text)."""
    names = ctx.column_names("col")
    keep = [c for c in ctx.df.columns if c not in names]
    pairs = F.array(
        *[F.struct(F.lit(n).alias("key"), quoted(n).cast("string").alias("value")) for n in names]
    )
    exploded = ctx.df.select(*[quoted(c) for c in keep], F.explode(pairs).alias("__kv"))
    return exploded.select(
        *[quoted(c) for c in keep],
        F.col("__kv.key").alias("key"),
        F.col("__kv.value").alias("value"),
    )
