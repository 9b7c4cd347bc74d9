"""Window functions: over the rows of a group in an order (derive / set with order:)."""

from __future__ import annotations

from pyspark.sql import Column, Window
from pyspark.sql import functions as F
from pyspark.sql.window import WindowSpec

from spark_jobs.recipe.compiler import Arg, CallContext
from spark_jobs.recipe.registry import function


def _window(ctx: CallContext) -> WindowSpec:
    window = ctx.ctx.window_spec
    if window is None or not ctx.ctx.allow_window:
        raise ctx.error("needs an order: parameter")
    return window


@function("ROWNUMBER", arity=0, kind="window")
def rownumber(ctx: CallContext, args: list[Arg]) -> Column:
    return F.row_number().over(_window(ctx)).cast("long")


@function("RANK", arity=0, kind="window")
def rank(ctx: CallContext, args: list[Arg]) -> Column:
    return F.rank().over(_window(ctx)).cast("long")


@function("DENSERANK", arity=0, kind="window")
def denserank(ctx: CallContext, args: list[Arg]) -> Column:
    return F.dense_rank().over(_window(ctx)).cast("long")


@function("PREV", arity=2, kind="window")
def prev(ctx: CallContext, args: list[Arg]) -> Column:
    return F.lag(args[0].value, int(args[1].literal)).over(_window(ctx))


@function("NEXT", arity=2, kind="window")
def next_(ctx: CallContext, args: list[Arg]) -> Column:
    return F.lead(args[0].value, int(args[1].literal)).over(_window(ctx))


@function("ROLLINGSUM", arity=(1, 3), kind="window")
def rollingsum(ctx: CallContext, args: list[Arg]) -> Column:
    """ROLLINGSUM(x, [before], [after]): sum over rows before..after around the current one."""
    before = int(args[1].literal) if len(args) > 1 else -1
    after = int(args[2].literal) if len(args) > 2 else 0
    start = -before if before >= 0 else Window.unboundedPreceding
    return F.sum(args[0].value).over(_window(ctx).rowsBetween(start, after))


@function("ROLLINGAVERAGE", arity=(1, 3), kind="window")
def rollingaverage(ctx: CallContext, args: list[Arg]) -> Column:
    before = int(args[1].literal) if len(args) > 1 else -1
    after = int(args[2].literal) if len(args) > 2 else 0
    start = -before if before >= 0 else Window.unboundedPreceding
    return F.avg(args[0].value).over(_window(ctx).rowsBetween(start, after))
