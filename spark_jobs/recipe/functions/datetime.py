"""Date and time functions.

A date argument is read as a Spark timestamp: a column typed Datetime / Date reads its typed
value (``Arg.value``), a timestamp or date column is used as it is, and any other text (an
untyped column, a quoted literal, a function's string result) is parsed against the default
Datetime formats of :mod:`spark_jobs.recipe.types`. A value that is no date gives null (the
platform's missing result). The session time zone is UTC.

Format strings (DATEFORMAT, UNIXTIMEFORMAT, PARSEDATE) use the platform's formatting tokens,
which are Java's; :func:`spark_jobs.dateformats.spark_pattern` checks them and turns them into Spark datetime
patterns (see docs/wrangle.md for the table).
"""

from __future__ import annotations

import zoneinfo

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs.compat import mode, try_cast, try_make_timestamp
from spark_jobs.dateformats import FormatError, spark_pattern
from spark_jobs.recipe import ast
from spark_jobs.recipe.context import Arg, CallContext
from spark_jobs.recipe.registry import function
from spark_jobs.recipe.types import column_type, parse_datetime


def _format(ctx: CallContext, arg: Arg) -> str:
    if not arg.is_literal or arg.literal is None:
        raise ctx.error("the date format must be a quoted literal such as 'yyyy-MM-dd'", arg)
    text = str(arg.literal)
    try:
        return spark_pattern(text)
    except FormatError as exc:
        raise ctx.error(f"bad date format {text!r}: {exc}", arg) from None


def data_type(ctx: CallContext, column: Column) -> T.DataType:
    """The Spark type of an expression (analysis only, no job)."""
    return ctx.ctx.df.select(column).schema.fields[0].dataType


def _kind(ctx: CallContext, arg: Arg, value: Column) -> T.DataType:
    """The Spark type of an argument's value; literals and columns without analysing the plan."""
    node = arg.node
    if isinstance(node, ast.StringLit):
        return T.StringType()
    if isinstance(node, ast.ColumnRef) and not node.is_metadata:
        field = ctx.ctx.fields[ctx.ctx.resolve_name(node)]
        if not isinstance(field.dataType, T.StringType):
            return field.dataType
        wtype = column_type(field).name
        return (
            T.TimestampType()
            if wtype == "Datetime"
            else T.DateType()
            if wtype == "Date"
            else (T.StringType())
        )
    return data_type(ctx, value)


#: a time of day as TIME writes it (``23:58:59``), also with minutes only or a fraction
_TIME_OF_DAY = r"^\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?$"


def timestamp(ctx: CallContext, arg: Arg) -> Column:
    """The argument as a timestamp (null when it is no date).

    ``TIME(h, m, s)`` as an argument is that time on 1970-01-01 (its own result is text, see
    :func:`time`), and so is text holding a time of day only (``23:58:59``, what TIME wrote
    into a column): the platform's date functions accept TIME's value.
    """
    node = arg.node
    if isinstance(node, ast.Call) and node.name.upper() == "TIME" and len(node.args) == 3:
        return _time_of_day([Arg(n, ctx.ctx) for n in node.args])
    value = arg.value
    kind = _kind(ctx, arg, value)
    if isinstance(kind, T.TimestampType | T.TimestampNTZType):
        return value
    if isinstance(kind, T.DateType):
        return value.cast("timestamp")
    if isinstance(kind, T.StringType):
        on_epoch_day = try_cast(F.concat(F.lit("1970-01-01 "), value), "timestamp")
        return F.coalesce(parse_datetime(value), F.when(value.rlike(_TIME_OF_DAY), on_epoch_day))
    return F.lit(None).cast("timestamp")


def _int(arg: Arg) -> Column:
    return arg.value.cast("long")


def _zone(ctx: CallContext, arg: Arg) -> str:
    if not arg.is_literal or arg.literal is None:
        raise ctx.error("the time zone must be a quoted literal such as 'America/New_York'", arg)
    name = str(arg.literal)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ctx.error(f"unknown time zone {name!r}", arg) from None
    return name


def _unit(ctx: CallContext, arg: Arg, allowed: tuple[str, ...]) -> str:
    # the platform writes the unit as a bare word (month) or a quoted string ('month')
    if isinstance(arg.node, ast.ColumnRef) and not arg.node.is_metadata:
        unit = arg.node.name.lower()
    else:
        unit = str(arg.literal).lower() if arg.is_literal else ""
    unit = unit[:-1] if unit.endswith("s") and unit[:-1] in allowed else unit
    if unit not in allowed:
        raise ctx.error(f"the date unit is one of {', '.join(allowed)}", arg)
    return unit


# --- construction ---------------------------------------------------------------------------


@function("DATE", arity=3)
def date(ctx: CallContext, args: list[Arg]) -> Column:
    """DATE(year, month, day): a Date (null for an impossible date)."""
    return F.make_date(*[_int(a).cast("int") for a in args])


@function("DATETIME", arity=6)
def datetime_(ctx: CallContext, args: list[Arg]) -> Column:
    """DATETIME(year, month, day, hour, minute, second): a Datetime."""
    year, month, day, hour, minute = (_int(a).cast("int") for a in args[:5])
    seconds = args[5].value.cast("decimal(16,6)")
    return try_make_timestamp(year, month, day, hour, minute, seconds)


def _time_of_day(args: list[Arg]) -> Column:
    """hour, minute, second as that time on 1970-01-01 (null when out of range)."""
    hour, minute = (_int(a).cast("int") for a in args[:2])
    seconds = args[2].value.cast("decimal(16,6)")
    return try_make_timestamp(F.lit(1970), F.lit(1), F.lit(1), hour, minute, seconds)


@function("TIME", arity=3)
def time(ctx: CallContext, args: list[Arg]) -> Column:
    """TIME(hour, minute, second): the time of day as text ``HH:mm:ss``; as the argument of a
    date function (``DATEFORMAT(TIME(23, 58, 59), 'HH mm ss')``) it is a time (see
    :func:`timestamp`)."""
    return F.date_format(_time_of_day(args), "HH:mm:ss")


@function("NOW", arity=(0, 1))
def now(ctx: CallContext, args: list[Arg]) -> Column:
    """NOW(['time zone']): the current date and time (UTC, or in the zone)."""
    current = F.current_timestamp()
    return F.from_utc_timestamp(current, _zone(ctx, args[0])) if args else current


@function("TODAY", arity=(0, 1))
def today(ctx: CallContext, args: list[Arg]) -> Column:
    """TODAY(['time zone']): the current date (UTC, or in the zone)."""
    return F.to_date(now(ctx, args))


@function("PARSEDATE", arity=(1, 2))
def parsedate(ctx: CallContext, args: list[Arg]) -> Column:
    """PARSEDATE(text, ['fmt', ...]): the first format that fits (the default formats without)."""
    text = args[0].raw.cast("string")
    if len(args) == 1:
        return parse_datetime(text)
    node = args[1]
    items = [Arg(n, ctx.ctx) for n in getattr(node.node, "items", (node.node,))]
    return parse_datetime(text, [_format(ctx, item) for item in items])


# --- formatting -----------------------------------------------------------------------------


@function("DATEFORMAT", arity=2)
def dateformat(ctx: CallContext, args: list[Arg]) -> Column:
    return F.date_format(timestamp(ctx, args[0]), _format(ctx, args[1]))


@function("UNIXTIME")
def unixtime(ctx: CallContext, args: list[Arg]) -> Column:
    """Milliseconds since 1970-01-01 00:00:00 UTC."""
    return F.unix_millis(timestamp(ctx, args[0]))


@function("UNIXTIMEFORMAT", arity=2)
def unixtimeformat(ctx: CallContext, args: list[Arg]) -> Column:
    """UNIXTIMEFORMAT(milliseconds, 'fmt')."""
    millis = try_cast(args[0].value.cast("string"), "long")
    return F.date_format(F.timestamp_millis(millis), _format(ctx, args[1]))


# --- parts ----------------------------------------------------------------------------------


@function("YEAR")
def year(ctx: CallContext, args: list[Arg]) -> Column:
    return F.year(timestamp(ctx, args[0])).cast("long")


@function("MONTH")
def month(ctx: CallContext, args: list[Arg]) -> Column:
    return F.month(timestamp(ctx, args[0])).cast("long")


@function("DAY")
def day(ctx: CallContext, args: list[Arg]) -> Column:
    return F.dayofmonth(timestamp(ctx, args[0])).cast("long")


@function("HOUR")
def hour(ctx: CallContext, args: list[Arg]) -> Column:
    return F.hour(timestamp(ctx, args[0])).cast("long")


@function("MINUTE")
def minute(ctx: CallContext, args: list[Arg]) -> Column:
    return F.minute(timestamp(ctx, args[0])).cast("long")


@function("SECOND")
def second(ctx: CallContext, args: list[Arg]) -> Column:
    return F.second(timestamp(ctx, args[0])).cast("long")


@function("MONTHNAME")
def monthname(ctx: CallContext, args: list[Arg]) -> Column:
    """The month's full English name: January ... December."""
    return F.date_format(timestamp(ctx, args[0]), "MMMM")


@function("WEEKDAY")
def weekday(ctx: CallContext, args: list[Arg]) -> Column:
    """The day of the week: 1 Monday ... 7 Sunday."""
    return (F.weekday(timestamp(ctx, args[0])) + 1).cast("long")


@function("WEEKDAYNAME")
def weekdayname(ctx: CallContext, args: list[Arg]) -> Column:
    """The day's full English name: Monday ... Sunday."""
    return F.date_format(timestamp(ctx, args[0]), "EEEE")


@function("WEEKNUM")
def weeknum(ctx: CallContext, args: list[Arg]) -> Column:
    """The week of the year as the reference defines it: "The output of this function increments
    on Sunday. Week 1 of the year is the week that contains January 1." (not ISO-8601)."""
    t = timestamp(ctx, args[0])
    jan1 = F.trunc(t, "year")
    # dayofweek: 1 Sunday ... 7 Saturday; days before Jan 1 in its week shift the count
    return (F.floor((F.dayofyear(t) - 2 + F.dayofweek(jan1)) / 7) + 1).cast("long")


# --- arithmetic -----------------------------------------------------------------------------

_DIF_UNITS = (
    "year",
    "quarter",
    "month",
    "dayofyear",
    "week",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
)
_MILLIS = {
    "week": 7 * 86_400_000,
    "day": 86_400_000,
    "hour": 3_600_000,
    "minute": 60_000,
    "second": 1_000,
    "millisecond": 1,
}


@function("DATEDIF", arity=3)
def datedif(ctx: CallContext, args: list[Arg]) -> Column:
    """DATEDIF(start, end, unit): whole units from start to end (floored; negative if earlier)."""
    unit = _unit(ctx, args[2], _DIF_UNITS)
    start, end = timestamp(ctx, args[0]), timestamp(ctx, args[1])
    if unit in ("year", "quarter", "month"):
        months = F.months_between(end, start, roundOff=False)
        per = {"year": 12, "quarter": 3, "month": 1}[unit]
        return F.floor(months / per).cast("long")
    if unit == "dayofyear":
        return (F.dayofyear(end) - F.dayofyear(start)).cast("long")
    millis = F.unix_millis(end) - F.unix_millis(start)
    return F.floor(millis / F.lit(_MILLIS[unit])).cast("long")


_ADD_UNITS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond")


@function("DATEADD", arity=3)
def dateadd(ctx: CallContext, args: list[Arg]) -> Column:
    """DATEADD(date, n, unit): the date moved by n units (months keep the day where they can)."""
    unit = _unit(ctx, args[2], _ADD_UNITS)
    ts = timestamp(ctx, args[0])
    n = _int(args[1]).cast("int")
    zero = F.lit(0)
    if unit in ("year", "quarter", "month"):
        months = n * {"year": 12, "quarter": 3, "month": 1}[unit]
        return ts + F.make_interval(zero, months)
    if unit in ("week", "day"):
        days = n * (7 if unit == "week" else 1)
        return ts + F.make_interval(zero, zero, zero, days)
    seconds = args[1].value.cast("decimal(18,6)")
    if unit == "millisecond":
        seconds = seconds / F.lit(1000)
    elif unit != "second":
        seconds = seconds * F.lit(60 if unit == "minute" else 3600)
    return ts + F.make_interval(zero, zero, zero, zero, zero, zero, seconds)


def _holidays(ctx: CallContext, args: list[Arg]) -> Column:
    if not args:
        return F.array().cast("array<date>")
    node = args[0].node
    items = getattr(node, "items", None)
    if items is None:
        return F.array(F.to_date(timestamp(ctx, args[0])))
    return F.array(*[F.to_date(timestamp(ctx, Arg(n, ctx.ctx))) for n in items])


#: days of the week that are no working days (Spark ``weekday``: 0 Monday ... 6 Sunday)
_SAT_SUN = (5, 6)
#: Excel-style weekend numbers: 1-7 two days (1 = Saturday and Sunday), 11-17 one day
_WEEKEND_CODES = {
    **{code: ((code + 4) % 7, (code + 5) % 7) for code in range(1, 8)},
    **{code: ((code - 5) % 7,) for code in range(11, 18)},
}


def _workdays(days: Column, holidays: Column, weekend: tuple[int, ...] = _SAT_SUN) -> Column:
    def working(d: Column) -> Column:
        off_day = F.weekday(d).isin(list(weekend)) if weekend else F.lit(False)
        return ~off_day & ~F.array_contains(holidays, d)

    return F.filter(days, working)


def _weekend(ctx: CallContext, arg: Arg) -> tuple[int, ...]:
    """A weekend mask: seven characters 0/1 from Monday to Sunday, 1 for a day off
    (``'0000011'`` is Saturday and Sunday), or an Excel weekend number (1-7, 11-17)."""
    value = arg.literal if arg.is_literal else None
    if isinstance(value, str) and len(value) == 7 and set(value) <= {"0", "1"}:
        return tuple(i for i, ch in enumerate(value) if ch == "1")
    if isinstance(value, int | float) and not isinstance(value, bool) and value in _WEEKEND_CODES:
        return _WEEKEND_CODES[int(value)]
    raise ctx.error(
        "the working days are a quoted string of seven 0/1 characters from Monday to Sunday "
        "(1 for a day off, such as '0000011') or a weekend number 1-7, 11-17",
        arg,
    )


def _intl_args(ctx: CallContext, args: list[Arg]) -> tuple[tuple[int, ...], list[Arg]]:
    """The optional ``[str_workingdays] [, array_holiday]`` arguments after the first two."""
    rest = args[2:]
    if rest and not isinstance(rest[0].node, ast.ArrayLit):
        return _weekend(ctx, rest[0]), rest[1:]
    if len(rest) > 1:
        raise ctx.error("the working days come before the holidays", rest[1])
    return _SAT_SUN, rest


@function("NETWORKDAYS", arity=(2, 3))
def networkdays(ctx: CallContext, args: list[Arg]) -> Column:
    """NETWORKDAYS(start, end, [holidays]): working days (Mon-Fri) from start to end, both
    counted; null when end is before start (the reference's rule)."""
    return _networkdays(ctx, args[0], args[1], _SAT_SUN, args[2:])


def _networkdays(
    ctx: CallContext, first: Arg, last: Arg, weekend: tuple[int, ...], holidays: list[Arg]
) -> Column:
    start = F.to_date(timestamp(ctx, first))
    end = F.to_date(timestamp(ctx, last))
    days = F.sequence(start, F.greatest(start, end))
    count = F.size(_workdays(days, _holidays(ctx, holidays), weekend))
    return F.when(end >= start, count).cast("long")


@function("WORKDAY", arity=(2, 3))
def workday(ctx: CallContext, args: list[Arg]) -> Column:
    """WORKDAY(date, n, [holidays]): the n-th working day after (n < 0: before) the date."""
    start = F.to_date(timestamp(ctx, args[0]))
    n = _int(args[1]).cast("int")
    holidays = _holidays(ctx, args[2:])
    span = F.abs(n) * 2 + F.size(holidays) + 7
    forward = F.sequence(F.date_add(start, 1), F.date_add(start, span))
    backward = F.reverse(F.sequence(F.date_sub(start, span), F.date_sub(start, 1)))
    days = _workdays(F.when(n >= 0, forward).otherwise(backward), holidays)
    return F.when(n == 0, start).otherwise(F.element_at(days, F.abs(n)))


@function("NETWORKDAYSINTL", arity=(2, 4), example="NETWORKDAYSINTL(t, t, '0000011')")
def networkdaysintl(ctx: CallContext, args: list[Arg]) -> Column:
    """NETWORKDAYSINTL(start, end, ['weekend mask'], [holidays]): working days from start to
    end, both counted; null when end is before start (the reference's rule)."""
    weekend, holidays = _intl_args(ctx, args)
    return _networkdays(ctx, args[0], args[1], weekend, holidays)


@function("WORKDAYINTL", arity=(2, 4), example="WORKDAYINTL(t, 2, '0000001')")
def workdayintl(ctx: CallContext, args: list[Arg]) -> Column:
    """WORKDAYINTL(date, n, ['weekend mask'], [holidays]): the n-th working day after
    (n < 0: before) the date; null when the mask leaves no working day."""
    weekend, rest = _intl_args(ctx, args)
    if len(weekend) == 7:
        return F.lit(None).cast("date")
    start = F.to_date(timestamp(ctx, args[0]))
    n = _int(args[1]).cast("int")
    holidays = _holidays(ctx, rest)
    per_week = 7 - len(weekend)
    span = (F.abs(n) * 7 / per_week).cast("int") + F.size(holidays) + 7
    forward = F.sequence(F.date_add(start, 1), F.date_add(start, span))
    backward = F.reverse(F.sequence(F.date_sub(start, span), F.date_sub(start, 1)))
    days = _workdays(F.when(n >= 0, forward).otherwise(backward), holidays, weekend)
    return F.when(n == 0, start).otherwise(F.element_at(days, F.abs(n)))


# --- time zones -----------------------------------------------------------------------------


@function("CONVERTFROMUTC", arity=2)
def convertfromutc(ctx: CallContext, args: list[Arg]) -> Column:
    """CONVERTFROMUTC(date, 'zone'): a UTC time as the zone's wall-clock time."""
    return F.from_utc_timestamp(timestamp(ctx, args[0]), _zone(ctx, args[1]))


@function("CONVERTTOUTC", arity=2)
def converttoutc(ctx: CallContext, args: list[Arg]) -> Column:
    """CONVERTTOUTC(date, 'zone'): the zone's wall-clock time as UTC."""
    return F.to_utc_timestamp(timestamp(ctx, args[0]), _zone(ctx, args[1]))


@function("CONVERTTIMEZONE", arity=3)
def converttimezone(ctx: CallContext, args: list[Arg]) -> Column:
    """CONVERTTIMEZONE(date, 'from zone', 'to zone')."""
    utc = F.to_utc_timestamp(timestamp(ctx, args[0]), _zone(ctx, args[1]))
    return F.from_utc_timestamp(utc, _zone(ctx, args[2]))


# --- aggregates -----------------------------------------------------------------------------


def _over(ctx: CallContext, column: Column) -> Column:
    window = ctx.ctx.window_unordered
    return column.over(window) if window is not None else column


@function("MINDATE", kind="aggregate")
def mindate(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.min(timestamp(ctx, args[0])))


@function("MAXDATE", kind="aggregate")
def maxdate(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.max(timestamp(ctx, args[0])))


@function("MODEDATE", kind="aggregate")
def modedate(ctx: CallContext, args: list[Arg]) -> Column:
    """The most frequent date of the group (the earliest of equally frequent ones)."""
    return _over(ctx, mode(timestamp(ctx, args[0])))


def _k(ctx: CallContext, arg: Arg) -> int:
    value = arg.literal if arg.is_literal else None
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ctx.error("k must be a whole number", arg)
    if not 1 <= int(value) <= 1000:
        raise ctx.error(f"k must be between 1 and 1000, not {int(value)}", arg)
    return int(value)


def _when_test(value: Column, test: Arg | None) -> Column:
    """The value where the test holds; a missing test counts as false."""
    return value if test is None else F.when(test.value.cast("boolean"), value)


def kth_largest_date(
    ctx: CallContext, value: Arg, k: Arg, distinct: bool, test: Arg | None
) -> Column:
    """The k-th latest date of the group (k = 1 is the latest); null with fewer dates."""
    n = _k(ctx, k)
    dates = _when_test(timestamp(ctx, value), test)
    collected = _over(ctx, F.collect_set(dates) if distinct else F.collect_list(dates))
    return F.try_element_at(F.sort_array(collected, asc=False), F.lit(n))


def is_date(ctx: CallContext, arg: Arg) -> bool:
    """Whether an argument is a date: a column typed Datetime / Date, a timestamp or date."""
    kind = _kind(ctx, arg, arg.value)
    return isinstance(kind, T.TimestampType | T.TimestampNTZType | T.DateType)


@function("KTHLARGESTDATE", arity=2, kind="aggregate", example="KTHLARGESTDATE(t, 1)")
def kthlargestdate(ctx: CallContext, args: list[Arg]) -> Column:
    return kth_largest_date(ctx, args[0], args[1], False, None)


@function("KTHLARGESTUNIQUEDATE", arity=2, kind="aggregate", example="KTHLARGESTUNIQUEDATE(t, 1)")
def kthlargestuniquedate(ctx: CallContext, args: list[Arg]) -> Column:
    """The k-th latest of the distinct dates."""
    return kth_largest_date(ctx, args[0], args[1], True, None)


@function("KTHLARGESTDATEIF", arity=3, kind="aggregate", example="KTHLARGESTDATEIF(t, 1, d > 1)")
def kthlargestdateif(ctx: CallContext, args: list[Arg]) -> Column:
    return kth_largest_date(ctx, args[0], args[1], False, args[2])


@function(
    "KTHLARGESTUNIQUEDATEIF",
    arity=3,
    kind="aggregate",
    example="KTHLARGESTUNIQUEDATEIF(t, 1, d > 1)",
)
def kthlargestuniquedateif(ctx: CallContext, args: list[Arg]) -> Column:
    return kth_largest_date(ctx, args[0], args[1], True, args[2])


@function("MINDATEIF", arity=2, kind="aggregate", example="MINDATEIF(t, d > 1)")
def mindateif(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.min(_when_test(timestamp(ctx, args[0]), args[1])))


@function("MAXDATEIF", arity=2, kind="aggregate", example="MAXDATEIF(t, d > 1)")
def maxdateif(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, F.max(_when_test(timestamp(ctx, args[0]), args[1])))


@function("MODEDATEIF", arity=2, kind="aggregate", example="MODEDATEIF(t, d > 1)")
def modedateif(ctx: CallContext, args: list[Arg]) -> Column:
    return _over(ctx, mode(_when_test(timestamp(ctx, args[0]), args[1])))
