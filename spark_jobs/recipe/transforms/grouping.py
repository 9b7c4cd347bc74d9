"""Grouping transforms: aggregate and groupby (one row per group), window (a value per row,
ordered), pivot / unpivot, and bin (bin numbers from the column's range or given limits)."""

from __future__ import annotations

import re
from collections.abc import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs.compat import try_cast
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


def _platform_name(node: ast.Expr) -> str:
    """The name the platform gives an aggregate column in groupby and pivot: ``COUNT()`` is
    ``row_count``, ``SUM(Qty)`` is ``sum_Qty`` (its flow exports list ``row_count``,
    ``average_subscriber_age``, ``countdistinct_CALL_TYPE``)."""
    if isinstance(node, ast.Call) and node.name.upper() == "COUNT" and not node.args:
        return "row_count"
    return _default_name(node)


def _aggregates(ctx: StepContext, naming: Callable[[ast.Expr], str]) -> list[tuple[str, Column]]:
    """``value:`` aggregates with their names (``as:`` first, then ``naming``)."""
    ctx.allow_aggregate = True
    names = [str(ctx.literal_of(v)) for v in ctx.values("as")] if ctx.has("as") else []
    out: list[tuple[str, Column]] = []
    for i, node in enumerate(ctx.values("value")):
        name = names[i] if i < len(names) else naming(node)
        out.append((name, ctx.compile(node)))
    return out


def _grouped(ctx: StepContext, group: list[str], aggregates: list[tuple[str, Column]]) -> DataFrame:
    """One row per group (one row in all without ``group:``): the group columns, then the
    aggregates; without aggregates, the distinct groups."""
    if not aggregates:
        if not group:
            raise ctx.error(f"{ctx.step.transform} needs group:, value: or both")
        return ctx.df.select(*[quoted(g) for g in group]).distinct()
    grouped = ctx.df.groupBy(*[quoted(g) for g in group])
    return grouped.agg(*[column.alias(name) for name, column in aggregates])


@transform("groupby", required=("type",), optional=("group", "value", "as"))
def groupby(ctx: StepContext) -> DataFrame:
    """``groupby group: a, b value: SUM(x), ANY(y) type: agg``: one row per group with its
    aggregates (``sum_x``, ``any_y``, ``row_count`` for COUNT()); without ``group:`` one row
    over the whole dataset; without ``value:`` the distinct groups."""
    kind = str(ctx.literal("type")).lower()
    if kind != "agg":
        raise ctx.error(f"groupby type: is agg, not {kind!r}", ctx.step.param("type"))
    group = ctx.column_names("group") if ctx.has("group") else []
    aggregates = _aggregates(ctx, _platform_name) if ctx.has("value") else []
    if ctx.has("as") and not ctx.has("value"):
        raise ctx.error("as: names value: aggregates", ctx.step.param("as"))
    return _grouped(ctx, group, aggregates)


def _natural_key(value: str | None) -> tuple[int, list[tuple[int, int | str]]]:
    """Sort key: null first, then text with its digit runs compared as numbers."""
    if value is None:
        return (0, [])
    parts = re.split(r"(\d+)", value)
    return (1, [(0, int(p)) if p.isdigit() else (1, p) for p in parts if p])


@transform("pivot", required=("value",), optional=("col", "group", "limit"))
def pivot(ctx: StepContext) -> DataFrame:
    """One row per group, one column per (distinct value of ``col:``, aggregate), named
    ``<aggregate name>_<value>`` with the value as it is (``sum_amount_west``,
    ``any_value_1 -- ID_CUSTOMER``); several ``col:`` columns pivot on their values joined by
    ``_``. Without ``col:`` the aggregates per group (``value: SUM(x), AVERAGE(x) group: g``).

    The distinct values are read with one small Spark job when the recipe is compiled
    (at most ``limit:``, 50).
    """
    aggregates = _aggregates(ctx, _platform_name)
    group = ctx.column_names("group") if ctx.has("group") else []
    if not ctx.has("col"):
        return _grouped(ctx, group, aggregates)
    sources = ctx.column_names("col")
    limit = ctx.integer("limit", 50) or 50
    texts = [quoted(c).cast("string") for c in sources]
    key = texts[0] if len(texts) == 1 else F.concat_ws("_", *texts)
    pivot_column = "__sj_pivot"
    keyed = ctx.df.withColumn(pivot_column, key)
    values = [
        r[0]
        for r in keyed.select(pivot_column)
        .distinct()
        .orderBy(pivot_column)
        .limit(limit + 1)
        .collect()
    ]
    # numbers inside values compare as numbers ("2 -- STATUS" before "10 -- CITY"): the
    # platform's order, which the example flow "Columns mapping" relies on to order columns
    values.sort(key=_natural_key)
    if len(values) > limit:
        raise ctx.error(
            f"pivot: {', '.join(repr(c) for c in sources)} has more than {limit} distinct "
            "values (raise limit:)",
            ctx.step.param("col"),
        )
    pivoted = keyed.groupBy(*[quoted(g) for g in group]).pivot(pivot_column, values)
    out = pivoted.agg(*[column.alias(name) for name, column in aggregates])
    # Spark orders the new columns by value, then by aggregate, as the platform does
    names = [f"{name}_{'null' if v is None else v}" for v in values for name, _ in aggregates]
    made = out.columns[len(group) :]
    return out.select(
        *[quoted(g) for g in group],
        *[quoted(c).alias(n) for c, n in zip(made, names, strict=True)],
    )


@transform("unpivot", required=("col",), optional=("groupevery",))
def unpivot(ctx: StepContext) -> DataFrame:
    """The listed columns become rows: ``key`` (the column name) and ``value`` (its text).
    ``groupEvery: 1`` (what the platform writes) is the same; larger groups are refused."""
    every = ctx.integer("groupevery", 1)
    if every != 1:
        raise ctx.error(
            "unpivot groupEvery: other than 1 is not supported (the stored reference does not "
            "describe it)",
            ctx.step.param("groupevery"),
        )
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


def _numbers(ctx: StepContext, name: str) -> Column:
    """A column's numeric values (missing where the value is no number)."""
    if isinstance(ctx.fields[name].dataType, T.NumericType):
        return quoted(name).cast("double")
    return try_cast(quoted(name).cast("string"), "double")


def _bin_edges(ctx: StepContext) -> list[float]:
    edges: list[float] = []
    for node in ctx.values("binvalues"):
        value = ctx.literal_of(node)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ctx.error("binValues: takes numbers", node)
        edges.append(float(value))
    if not edges:
        raise ctx.error("options: customBins needs binValues: (the bins' lower limits)")
    if edges != sorted(set(edges)):
        raise ctx.error("binValues: must be increasing", ctx.step.param("binvalues"))
    return edges


@transform(
    "bin",
    required=("col", "options"),
    optional=("bins", "binvalues", "default", "as"),
)
def bin_(ctx: StepContext) -> DataFrame:
    """A new column (``as:``, default ``bin_<col>``, right of the source) with the bin number
    of each numeric value, from 0. ``options: equalBins bins: n``: ``n`` bins of equal width
    from the column's minimum to its maximum (read with one small Spark job when the recipe is
    compiled; the maximum is in the last bin). ``options: customBins binValues: 2000, 5000``:
    bin 0 below the first value, 1 from it up to the next, ... (each value starts a bin).
    ``default:`` is the bin of a missing or non-numeric value (else missing)."""
    options = str(ctx.literal("options")).lower()
    sources = ctx.column_names("col")
    if len(sources) != 1:
        raise ctx.error("bin takes one column", ctx.step.param("col"))
    source = sources[0]
    value = _numbers(ctx, source)
    if options == "equalbins":
        if ctx.has("binvalues"):
            raise ctx.error("binValues: goes with options: customBins", ctx.step.param("binvalues"))
        count = ctx.integer("bins", None)
        if count is None or count < 1:
            raise ctx.error("options: equalBins needs bins: (a whole number of at least 1)")
        low, high = ctx.df.select(F.min(value), F.max(value)).first() or (None, None)
        if low is None or high is None or high == low:
            number = F.when(value.isNotNull(), F.lit(0))
        else:
            width = (high - low) / count
            position = F.floor((value - F.lit(low)) / F.lit(width))
            number = F.when(value.isNotNull(), F.least(position, F.lit(count - 1)))
    elif options == "custombins":
        # ``bins:`` is read but not needed: the one real recipe writes bins: 2 with four values
        ctx.integer("bins", None)
        edges = _bin_edges(ctx)
        number = sum(
            (F.when(value >= F.lit(e), F.lit(1)).otherwise(F.lit(0)) for e in edges),
            F.lit(0),
        )
        number = F.when(value.isNotNull(), number)
    else:
        raise ctx.error(
            f"bin options: is equalBins or customBins, not {options!r}", ctx.step.param("options")
        )
    number = number.cast("long")
    if ctx.has("default"):
        fallback = ctx.literal("default")
        if isinstance(fallback, bool) or not isinstance(fallback, int):
            raise ctx.error("default: takes a whole number (a bin)", ctx.step.param("default"))
        number = F.coalesce(number, F.lit(fallback).cast("long"))
    name = ctx.new_name("as") if ctx.has("as") else f"bin_{source}"
    df = ctx.df
    if name in df.columns:
        return df.select(*[number.alias(name) if c == name else quoted(c) for c in df.columns])
    return ctx.place_after(df.withColumn(name, number), name, source)
