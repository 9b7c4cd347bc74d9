"""Grouping transforms: aggregate (one row per group) and window (a value per row, ordered)."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame

from spark_jobs.recipe import ast
from spark_jobs.recipe.compiler import StepContext, quoted
from spark_jobs.recipe.registry import transform
from spark_jobs.recipe.transforms.columns import derive, window_for


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


__all__ = ["aggregate", "derive", "window"]
