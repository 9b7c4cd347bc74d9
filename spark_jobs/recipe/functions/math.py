"""Math functions and operators' helpers: typed values (an Integer column as bigint, ...)."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.recipe.compiler import Arg, CallContext, integer_modulo
from spark_jobs.recipe.registry import function


def _num(arg: Arg) -> Column:
    return (
        arg.value.cast("double") if arg.is_literal and isinstance(arg.literal, str) else arg.value
    )


@function("ROUND", arity=(1, 2))
def round_(ctx: CallContext, args: list[Arg]) -> Column:
    """Halves round up, toward +infinity, as the reference's "EXAMPLE - Rounding Functions"
    shows (ROUND(-2.5) is -2, ROUND(2.5) is 3): floor(x * 10^d + 0.5) / 10^d, computed on the
    value's exact decimal form (no binary fraction error: ROUND(1.005, 2) is 1.01). Without
    digits the result is an Integer."""
    digits = int(args[1].literal) if len(args) > 1 else 0
    value = _num(args[0])
    if digits > 17:  # finer than a double's precision: nothing to round
        return value.cast("double")
    exact = value.cast("decimal(38,18)")
    half = F.lit(0.5).cast("decimal(1,1)")
    step = F.lit(10 ** abs(digits)).cast(f"decimal({abs(digits) + 1},0)")
    if digits >= 0:
        halfup = F.floor(exact * step + half) / step
    else:
        halfup = F.floor(exact / step + half) * step
    # from 10^19 on a double has no fraction left to round (and its decimal form overflows)
    big = F.abs(value.cast("double")) >= F.lit(1e19)
    # for values >= 0 "halves toward +infinity" is Spark's HALF_UP round, on the same decimal
    # form: the cheap native path (the decimal arithmetic is only needed below zero)
    native = F.round(value, digits)
    if digits <= 0:
        return F.when(big, native).when(value >= 0, native).otherwise(halfup).cast("long")
    return (
        F.when(big, value.cast("double"))
        .when(value >= 0, native.cast("double"))
        .otherwise(halfup.cast("double"))
    )


@function("FLOOR")
def floor(ctx: CallContext, args: list[Arg]) -> Column:
    return F.floor(_num(args[0]))


@function("CEILING", aliases=("CEIL",))
def ceiling(ctx: CallContext, args: list[Arg]) -> Column:
    return F.ceil(_num(args[0]))


@function("ABS")
def abs_(ctx: CallContext, args: list[Arg]) -> Column:
    return F.abs(_num(args[0]))


@function("SQRT")
def sqrt(ctx: CallContext, args: list[Arg]) -> Column:
    x = _num(args[0])
    return F.when(x >= 0, F.sqrt(x))


@function("POW", arity=2, aliases=("POWER",))
def pow_(ctx: CallContext, args: list[Arg]) -> Column:
    return F.pow(_num(args[0]), _num(args[1]))


@function("EXP")
def exp(ctx: CallContext, args: list[Arg]) -> Column:
    return F.exp(_num(args[0]))


@function("LN")
def ln(ctx: CallContext, args: list[Arg]) -> Column:
    x = _num(args[0])
    return F.when(x > 0, F.log(x))


@function("LOG", arity=(1, 2))
def log(ctx: CallContext, args: list[Arg]) -> Column:
    """LOG(x) is base 10; LOG(x, base) any base."""
    x = _num(args[0])
    if len(args) == 1:
        return F.when(x > 0, F.log10(x))
    base = _num(args[1])
    return F.when((x > 0) & (base > 0) & (base != 1), F.log(x) / F.log(base))


@function("MOD", arity=2)
def mod(ctx: CallContext, args: list[Arg]) -> Column:
    return integer_modulo(_num(args[0]), _num(args[1]))


@function("DIVIDE", arity=2)
def divide(ctx: CallContext, args: list[Arg]) -> Column:
    divisor = _num(args[1])
    return F.when(divisor != 0, _num(args[0]) / divisor)


@function("ADD", arity=2)
def add(ctx: CallContext, args: list[Arg]) -> Column:
    return _num(args[0]) + _num(args[1])


@function("SUBTRACT", arity=2)
def subtract(ctx: CallContext, args: list[Arg]) -> Column:
    return _num(args[0]) - _num(args[1])


@function("MULTIPLY", arity=2)
def multiply(ctx: CallContext, args: list[Arg]) -> Column:
    return _num(args[0]) * _num(args[1])


@function("NEGATE")
def negate(ctx: CallContext, args: list[Arg]) -> Column:
    return -_num(args[0])


@function("TRUNC")
def trunc(ctx: CallContext, args: list[Arg]) -> Column:
    x = _num(args[0])
    return F.when(x >= 0, F.floor(x)).otherwise(F.ceil(x))


@function("NUMFORMAT", arity=2)
def numformat(ctx: CallContext, args: list[Arg]) -> Column:
    """NUMFORMAT(x, '#,##0.00'): Java DecimalFormat patterns via Spark's format_number."""
    pattern = str(args[1].literal)
    return F.call_function("format_number", _num(args[0]).cast("double"), F.lit(pattern))


@function("RANDOM", arity=0)
def random(ctx: CallContext, args: list[Arg]) -> Column:
    return F.rand()


@function("PI", arity=0)
def pi(ctx: CallContext, args: list[Arg]) -> Column:
    return F.lit(3.141592653589793)
