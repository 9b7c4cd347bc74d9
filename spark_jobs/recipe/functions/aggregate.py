"""Aggregate functions: over the rows of a group (derive / set with group:, aggregate)."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.compat import mode as mode_of
from spark_jobs.recipe import ast
from spark_jobs.recipe.context import Arg, CallContext
from spark_jobs.recipe.functions.datetime import is_date, kth_largest_date
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


#: LIST / UNIQUE keep at most this many values when no limit is given (the platform's maximum)
DEFAULT_LIST_LIMIT = 1000
#: relative accuracy of the APPROXIMATE... functions (Spark's percentile_approx default)
APPROX_ACCURACY = 10000


def _number(arg: Arg) -> Column:
    """A numeric value; numeric text counts as a number, other text is skipped (null)."""
    return arg.value.cast("double")


def _when(column: Column, test: Arg | None) -> Column:
    """The value where the test holds; a missing test counts as false."""
    if test is None:
        return column
    return F.when(test.value.cast("boolean"), column)


def _int_literal(ctx: CallContext, arg: Arg, what: str, low: int, high: int | None) -> int:
    value = arg.literal
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ctx.error(f"{what} must be a whole number", arg)
    number = int(value)
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ctx.error(f"{what} must be {bound}, not {number}", arg)
    return number


def _method(ctx: CallContext, args: list[Arg], index: int) -> None:
    """The interpolation method: only ``linear`` (a bare word or a quoted string) is known."""
    if len(args) <= index:
        return
    node = args[index].node
    if isinstance(node, ast.ColumnRef) and not node.quoted:
        name = node.name
    elif args[index].is_literal:
        name = str(args[index].literal)
    else:
        raise ctx.error("the interpolation method must be linear", args[index])
    if name.lower() != "linear":
        raise ctx.error(f"unknown interpolation method {name!r} (known: linear)", args[index])


# -- most frequent, percentiles ---------------------------------------------------------------


def _mode(ctx: CallContext, arg: Arg, test: Arg | None) -> Column:
    return _over(ctx, mode_of(_when(arg.value, test)))


@function("MODE", kind="aggregate")
def mode(ctx: CallContext, args: list[Arg]) -> Column:
    """The most frequent value (the smallest of equally frequent ones)."""
    return _mode(ctx, args[0], None)


@function("MODEIF", arity=2, kind="aggregate", example="MODEIF(d, d > 1)")
def modeif(ctx: CallContext, args: list[Arg]) -> Column:
    return _mode(ctx, args[0], args[1])


def _percentile(ctx: CallContext, arg: Arg, fraction: float) -> Column:
    return _over(ctx, F.percentile(_number(arg), F.lit(fraction)))


@function("PERCENTILE", arity=(2, 3), kind="aggregate", example="PERCENTILE(d, 25, linear)")
def percentile(ctx: CallContext, args: list[Arg]) -> Column:
    """Linear interpolation between the two nearest ranks (Excel's PERCENTILE.INC)."""
    k = _int_literal(ctx, args[1], "the percentile", 0, 100)
    _method(ctx, args, 2)
    return _percentile(ctx, args[0], k / 100)


@function("QUARTILE", arity=(2, 3), kind="aggregate", example="QUARTILE(d, 1, linear)")
def quartile(ctx: CallContext, args: list[Arg]) -> Column:
    """Quartile 0 is the minimum, 2 the median and 4 the maximum."""
    q = _int_literal(ctx, args[1], "the quartile", 0, 4)
    _method(ctx, args, 2)
    return _percentile(ctx, args[0], q / 4)


def _approx(ctx: CallContext, arg: Arg, fraction: float) -> Column:
    return _over(ctx, F.percentile_approx(_number(arg), F.lit(fraction), F.lit(APPROX_ACCURACY)))


@function("APPROXIMATEMEDIAN", arity=(1, 2), kind="aggregate")
def approximatemedian(ctx: CallContext, args: list[Arg]) -> Column:
    return _approx(ctx, args[0], 0.5)


@function(
    "APPROXIMATEPERCENTILE", arity=(2, 3), kind="aggregate", example="APPROXIMATEPERCENTILE(d, 90)"
)
def approximatepercentile(ctx: CallContext, args: list[Arg]) -> Column:
    k = _int_literal(ctx, args[1], "the percentile", 0, 100)
    return _approx(ctx, args[0], k / 100)


@function(
    "APPROXIMATEQUARTILE", arity=(2, 3), kind="aggregate", example="APPROXIMATEQUARTILE(d, 3)"
)
def approximatequartile(ctx: CallContext, args: list[Arg]) -> Column:
    q = _int_literal(ctx, args[1], "the quartile", 0, 4)
    return _approx(ctx, args[0], q / 4)


# -- lists of values --------------------------------------------------------------------------


def _present(arg: Arg) -> Column:
    """The stored text of a value, null when it is missing (null or empty)."""
    raw = arg.raw.cast("string")
    return F.when(raw != "", raw)


def _list(ctx: CallContext, arg: Arg, limit: Arg | None, test: Arg | None) -> Column:
    n = (
        DEFAULT_LIST_LIMIT
        if limit is None
        else _int_literal(ctx, limit, "the limit", 1, DEFAULT_LIST_LIMIT)
    )
    values = _over(ctx, F.collect_list(_when(_present(arg), test)))
    return F.to_json(F.slice(values, 1, n))


@function("LIST", arity=(1, 2), kind="aggregate", example="LIST(s, 10)")
def list_(ctx: CallContext, args: list[Arg]) -> Column:
    """The non-missing values of the group as a JSON array of text (at most ``limit``)."""
    return _list(ctx, args[0], args[1] if len(args) > 1 else None, None)


@function("LISTIF", arity=(2, 3), kind="aggregate", example="LISTIF(s, 10, d > 1)")
def listif(ctx: CallContext, args: list[Arg]) -> Column:
    """``LISTIF(col, limit, test)`` or ``LISTIF(col, test)``."""
    limit = args[1] if len(args) == 3 else None
    return _list(ctx, args[0], limit, args[-1])


@function("UNIQUE", arity=(1, 2), kind="aggregate", example="UNIQUE(s, 10)")
def unique(ctx: CallContext, args: list[Arg]) -> Column:
    """The distinct non-missing values of the group, sorted, as a JSON array of text."""
    limit = args[1] if len(args) > 1 else None
    n = (
        DEFAULT_LIST_LIMIT
        if limit is None
        else _int_literal(ctx, limit, "the limit", 1, DEFAULT_LIST_LIMIT)
    )
    values = _over(ctx, F.collect_set(_present(args[0])))
    return F.to_json(F.slice(F.array_sort(values), 1, n))


def _kth(ctx: CallContext, args: list[Arg], distinct: bool, test: Arg | None) -> Column:
    k = _int_literal(ctx, args[1], "k", 1, 1000)
    if is_date(ctx, args[0]):
        # a Datetime column gives a date (as KTHLARGESTDATE does), not epoch seconds
        return kth_largest_date(ctx, args[0], args[1], distinct, test)
    value = _when(_number(args[0]), test)
    values = _over(ctx, F.collect_set(value) if distinct else F.collect_list(value))
    return F.try_element_at(F.sort_array(values, asc=False), F.lit(k))


@function("KTHLARGEST", arity=2, kind="aggregate", example="KTHLARGEST(d, 1)")
def kthlargest(ctx: CallContext, args: list[Arg]) -> Column:
    """The k-th largest value (k = 1 is the maximum); null when the group has fewer values."""
    return _kth(ctx, args, False, None)


@function("KTHLARGESTUNIQUE", arity=2, kind="aggregate", example="KTHLARGESTUNIQUE(d, 1)")
def kthlargestunique(ctx: CallContext, args: list[Arg]) -> Column:
    """The k-th largest of the distinct values."""
    return _kth(ctx, args, True, None)


@function("KTHLARGESTIF", arity=3, kind="aggregate", example="KTHLARGESTIF(d, 1, d > 1)")
def kthlargestif(ctx: CallContext, args: list[Arg]) -> Column:
    return _kth(ctx, args, False, args[2])


@function(
    "KTHLARGESTUNIQUEIF", arity=3, kind="aggregate", example="KTHLARGESTUNIQUEIF(d, 1, d > 1)"
)
def kthlargestuniqueif(ctx: CallContext, args: list[Arg]) -> Column:
    return _kth(ctx, args, True, args[2])


# -- sample statistics, any value -------------------------------------------------------------


@function("STDEVSAMP", kind="aggregate")
def stdevsamp(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.stddev_samp(_number(args[0])))


@function("VARSAMP", kind="aggregate")
def varsamp(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.var_samp(_number(args[0])))


@function("ANY", kind="aggregate")
def any_(ctx: CallContext, args: list[Arg]) -> Column:
    """One non-missing value of the group (the smallest, so that the result is deterministic)."""
    return _over(ctx, F.min(_present(args[0])))


@function("ANYIF", arity=2, kind="aggregate", example="ANYIF(s, d > 1)")
def anyif(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.min(_when(_present(args[0]), args[1])))


# -- conditional aggregates -------------------------------------------------------------------


@function("COUNTIF", arity=1, kind="aggregate", example="COUNTIF(d > 1)")
def countif(ctx: CallContext, args: list[Arg]) -> Column:
    """Rows where the test is true."""
    return _over(ctx, F.count(_when(F.lit(1), args[0])))


@function("COUNTAIF", arity=2, kind="aggregate", example="COUNTAIF(s, d > 1)")
def countaif(ctx: CallContext, args: list[Arg]) -> Column:
    """Non-missing values where the test is true."""
    return _over(ctx, F.count(_when(_present(args[0]), args[1])))


@function("COUNTDISTINCTIF", arity=2, kind="aggregate", example="COUNTDISTINCTIF(s, d > 1)")
def countdistinctif(ctx: CallContext, args: list[Arg]) -> Column:
    value = _when(args[0].value, args[1])
    return F.size(_over(ctx, F.collect_set(value))).cast("long")


def _numeric_if(name: str, agg: str) -> None:
    def fn(ctx: CallContext, args: list[Arg]) -> Column:
        return _over(ctx, getattr(F, agg)(_when(_number(args[0]), args[1])))

    fn.__name__ = name.lower()
    fn.__doc__ = f"``{agg}`` of the values where the test is true."
    function(name, arity=2, kind="aggregate", example=f"{name}(d, d > 1)")(fn)


for _name, _agg in (
    ("SUMIF", "sum"),
    ("AVERAGEIF", "avg"),
    ("MINIF", "min"),
    ("MAXIF", "max"),
    ("VARIF", "var_pop"),
    ("STDEVIF", "stddev_pop"),
    ("VARSAMPIF", "var_samp"),
    ("STDEVSAMPIF", "stddev_samp"),
):
    _numeric_if(_name, _agg)


# -- two-column statistics ----------------------------------------------------------------


@function("CORREL", arity=2, kind="aggregate", example="CORREL(d, n)")
def correl(ctx: CallContext, args: list[Arg]) -> Column:
    """The Pearson correlation of two numeric columns (rows where both are numbers)."""
    return _over(ctx, F.corr(_number(args[0]), _number(args[1])))


@function("COVAR", arity=2, kind="aggregate", example="COVAR(d, n)")
def covar(ctx: CallContext, args: list[Arg]) -> Column:
    """The population covariance of two numeric columns."""
    return _over(ctx, F.covar_pop(_number(args[0]), _number(args[1])))


@function("COVARSAMP", arity=2, kind="aggregate", example="COVARSAMP(d, n)")
def covarsamp(ctx: CallContext, args: list[Arg]) -> Column:
    """The sample covariance of two numeric columns (null for one pair)."""
    return _over(ctx, F.covar_samp(_number(args[0]), _number(args[1])))
