"""Aggregate functions: over the rows of a group (derive / set with group:, aggregate)."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.recipe.compiler import Arg, CallContext
from spark_jobs.recipe.registry import function


def _over(ctx: CallContext, column: Column) -> Column:
    """In derive / set the aggregate is computed per group and given to every row of it."""
    window = ctx.ctx.window_unordered
    return column.over(window) if window is not None else column


@function("SUM", kind="aggregate")
def sum_(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.sum(args[0].value))


@function("AVERAGE", kind="aggregate", aliases=("AVG", "MEAN"))
def average(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.avg(args[0].value))


@function("MIN", kind="aggregate")
def min_(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.min(args[0].value))


@function("MAX", kind="aggregate")
def max_(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.max(args[0].value))


@function("COUNT", arity=0, kind="aggregate")
def count(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.count(F.lit(1)))


@function("COUNTA", kind="aggregate")
def counta(ctx: CallContext, args: list[Arg]) -> Column:
    """Non-missing values."""
    raw = args[0].raw.cast("string")
    return _over(ctx, F.count(F.when(raw.isNotNull() & (raw != ""), 1)))


@function("COUNTDISTINCT", kind="aggregate")
def countdistinct(ctx: CallContext, args: list[Arg]) -> Column:
    window = ctx.ctx.window_unordered
    if window is not None:
        return F.size(F.collect_set(args[0].value).over(window)).cast("long")
    return F.countDistinct(args[0].value)


@function("STDEV", kind="aggregate")
def stdev(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.stddev_pop(args[0].value))


@function("VAR", kind="aggregate")
def var(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.var_pop(args[0].value))


@function("MEDIAN", kind="aggregate")
def median(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.median(args[0].value))
