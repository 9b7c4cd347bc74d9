"""Window functions: over the rows of a group in an order (derive / set with order:), and FILL.

``ROLLINGx(col, [before], [after])`` computes over the rows from ``before`` rows back to
``after`` rows ahead of the current one, in the ``order:`` of the step (within ``group:``);
``before`` -1 (the default) reaches back to the first row, ``after`` defaults to 0. Missing
values are not counted. Numbers are read as numbers (numeric text counts); the ...DATE
versions read dates as the date functions do and return a Datetime.
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, Window
from pyspark.sql import functions as F
from pyspark.sql.window import WindowSpec

from spark_jobs.recipe.context import Arg, CallContext
from spark_jobs.recipe.functions.datetime import _MILLIS, _unit, timestamp
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


def _rows(ctx: CallContext, args: list[Arg], first: int) -> WindowSpec:
    """The window frame of the ``[before], [after]`` arguments starting at ``args[first]``."""
    window = ctx.ctx.window_spec
    if window is None or not ctx.ctx.allow_window:
        raise ctx.error("needs an order: parameter")
    bounds = []
    for arg in args[first : first + 2]:
        value = arg.literal if arg.is_literal else None
        if isinstance(value, bool) or not isinstance(value, int) or value < -1:
            raise ctx.error("the rows before / after are whole numbers (-1: all rows)", arg)
        bounds.append(value)
    while len(bounds) < 2:
        bounds.append((-1, 0)[len(bounds)])
    before, after = bounds
    start = -before if before >= 0 else Window.unboundedPreceding
    end = after if after >= 0 else Window.unboundedFollowing
    return window.rowsBetween(start, end)


def _number(arg: Arg) -> Column:
    return arg.value.cast("double")


def _present(arg: Arg) -> Column:
    raw = arg.raw.cast("string")
    return F.when(raw != "", raw)


def _simple(name: str, agg: Callable[[Column], Column], read: Callable[[Arg], Column]) -> None:
    def fn(ctx: CallContext, args: list[Arg]) -> Column:
        return agg(read(args[0])).over(_rows(ctx, args, 1))

    fn.__name__ = name.lower()
    fn.__doc__ = f"{name}(col, [before], [after])"
    function(name, arity=(1, 3), kind="window", example=f"{name}(d, 2, 1)")(fn)


for _name, _agg in (
    ("ROLLINGMAX", F.max),
    ("ROLLINGMIN", F.min),
    ("ROLLINGSTDEV", F.stddev_pop),
    ("ROLLINGVAR", F.var_pop),
    ("ROLLINGSTDEVSAMP", F.stddev_samp),
    ("ROLLINGVARSAMP", F.var_samp),
):
    _simple(_name, _agg, _number)


@function("ROLLINGCOUNTA", arity=(1, 3), kind="window", example="ROLLINGCOUNTA(s, 2, 1)")
def rollingcounta(ctx: CallContext, args: list[Arg]) -> Column:
    """The number of non-missing values in the frame."""
    return F.count(_present(args[0])).over(_rows(ctx, args, 1))


@function("ROLLINGMAXDATE", arity=(1, 3), kind="window", example="ROLLINGMAXDATE(t, 2, 1)")
def rollingmaxdate(ctx: CallContext, args: list[Arg]) -> Column:
    return F.max(timestamp(ctx, args[0])).over(_rows(ctx, args, 1))


@function("ROLLINGMINDATE", arity=(1, 3), kind="window", example="ROLLINGMINDATE(t, 2, 1)")
def rollingmindate(ctx: CallContext, args: list[Arg]) -> Column:
    return F.min(timestamp(ctx, args[0])).over(_rows(ctx, args, 1))


def _mode_of(values: Column) -> Column:
    """The most frequent value of an array (the smallest of equally frequent ones)."""
    ranked = F.transform(
        F.array_distinct(values),
        lambda v: F.struct(
            F.size(F.filter(values, lambda x: x == v)).alias("n"),
            F.struct(v.alias("v")).alias("k"),
        ),
    )
    # the largest count first; among equal counts the smallest value: sort and take
    best = F.array_sort(
        ranked,
        lambda a, b: (
            F.when(a["n"] > b["n"], -1)
            .when(a["n"] < b["n"], 1)
            .when(a["k"]["v"] < b["k"]["v"], -1)
            .when(a["k"]["v"] > b["k"]["v"], 1)
            .otherwise(0)
        ),
    )
    return F.try_element_at(best, F.lit(1))["k"]["v"]


@function("ROLLINGMODE", arity=(1, 3), kind="window", example="ROLLINGMODE(d, 2, 1)")
def rollingmode(ctx: CallContext, args: list[Arg]) -> Column:
    """The most frequent number in the frame (the smallest of equally frequent ones)."""
    return _mode_of(F.collect_list(_number(args[0])).over(_rows(ctx, args, 1)))


@function("ROLLINGMODEDATE", arity=(1, 3), kind="window", example="ROLLINGMODEDATE(t, 2, 1)")
def rollingmodedate(ctx: CallContext, args: list[Arg]) -> Column:
    """The most frequent date in the frame (the earliest of equally frequent ones)."""
    return _mode_of(F.collect_list(timestamp(ctx, args[0])).over(_rows(ctx, args, 1)))


def _k(ctx: CallContext, arg: Arg) -> int:
    value = arg.literal if arg.is_literal else None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise ctx.error("k must be a whole number from 1 to 1000", arg)
    return value


def _kth(ctx: CallContext, args: list[Arg], distinct: bool) -> Column:
    k = _k(ctx, args[1])
    collect = F.collect_set if distinct else F.collect_list
    values = collect(_number(args[0])).over(_rows(ctx, args, 2))
    return F.try_element_at(F.sort_array(values, asc=False), F.lit(k))


@function("ROLLINGKTHLARGEST", arity=(2, 4), kind="window", example="ROLLINGKTHLARGEST(d, 1, 2, 1)")
def rollingkthlargest(ctx: CallContext, args: list[Arg]) -> Column:
    """ROLLINGKTHLARGEST(col, k, [before], [after]): the k-th largest number in the frame."""
    return _kth(ctx, args, False)


@function(
    "ROLLINGKTHLARGESTUNIQUE",
    arity=(2, 4),
    kind="window",
    example="ROLLINGKTHLARGESTUNIQUE(d, 1, 2, 1)",
)
def rollingkthlargestunique(ctx: CallContext, args: list[Arg]) -> Column:
    """The k-th largest of the distinct numbers in the frame."""
    return _kth(ctx, args, True)


@function("ROLLINGLIST", arity=(1, 3), kind="window", example="ROLLINGLIST(s, 2, 1)")
def rollinglist(ctx: CallContext, args: list[Arg]) -> Column:
    """The non-missing values of the frame as a JSON array of text, in row order."""
    return F.to_json(F.collect_list(_present(args[0])).over(_rows(ctx, args, 1)))


@function("FILL", arity=(1, 2), kind="window", example="FILL(s, 2)")
def fill(ctx: CallContext, args: list[Arg]) -> Column:
    """FILL(col, [rows]): a missing value is replaced by the last non-missing value before it
    (within ``rows`` rows back; -1, the default, any row back); others are kept."""
    window = _rows(ctx, args[1:2], 0)
    value = F.when(args[0].raw.cast("string") != "", args[0].raw)
    return F.last(value, ignorenulls=True).over(window)


_SESSION_UNITS = ("week", "day", "hour", "minute", "second", "millisecond")


@function("SESSION", arity=3, kind="window", example="SESSION(t, 1, hour)")
def session(ctx: CallContext, args: list[Arg]) -> Column:
    """SESSION(datetime, n, unit): session numbers from 1 within each group, in the step's
    order; a row starts a new session when more than n units have passed since the last date
    before it (or it is the first). A row without a date has no session number."""
    unit = _unit(ctx, args[2], _SESSION_UNITS)
    length = args[1].literal if args[1].is_literal else None
    if isinstance(length, bool) or not isinstance(length, int | float) or length <= 0:
        raise ctx.error("the session length must be a positive number", args[1])
    window = ctx.ctx.window_spec
    if window is None or not ctx.ctx.allow_window:
        raise ctx.error("needs an order: parameter")
    millis = F.unix_millis(timestamp(ctx, args[0]))
    before = F.last(millis, ignorenulls=True).over(
        window.rowsBetween(Window.unboundedPreceding, -1)
    )
    gap = millis - before
    timeout = F.lit(float(length) * _MILLIS[unit])
    starts = F.when(millis.isNull(), 0).when(before.isNull() | (gap > timeout), 1).otherwise(0)
    number = F.sum(starts).over(window.rowsBetween(Window.unboundedPreceding, 0))
    return F.when(millis.isNotNull(), number).cast("long")
