"""Math functions, and the modulo the ``%`` operator shares with MOD.

Arguments are typed values (an Integer column as bigint, ...)."""

from __future__ import annotations

from decimal import Decimal

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.compat import floor_at, try_cast
from spark_jobs.recipe.context import Arg, CallContext
from spark_jobs.recipe.registry import function


def integer_modulo(a: Column, b: Column, *, a_whole: bool = False, b_whole: bool = False) -> Column:
    """``a % b`` / MOD: the remainder of whole numbers only, as the reference's "EXAMPLE -
    Rounding Functions" shows (``X % 2`` is missing for 1.5, 0 for 4); missing for a zero divisor.
    The sign follows the dividend. ``a_whole`` / ``b_whole`` say an operand is known to be whole
    (an Integer column, an integer literal): its check is left out, so Spark evaluates it once."""
    checks = []
    for operand, known in ((a, a_whole), (b, b_whole)):
        if not known:
            as_double = operand.cast("double")
            checks.append(as_double == F.floor(as_double))
    whole = b.cast("double") != 0
    for check in checks:
        whole = check & whole
    return F.when(whole, a.cast("long") % b.cast("long"))


def _num(arg: Arg) -> Column:
    return (
        arg.value.cast("double") if arg.is_literal and isinstance(arg.literal, str) else arg.value
    )


@function("ROUND", arity=(1, 2))
def round_(ctx: CallContext, args: list[Arg]) -> Column:
    """Halves round up, toward +infinity, as the reference's "EXAMPLE - Rounding Functions"
    shows (ROUND(-2.5) is -2, ROUND(2.5) is 3): floor(x + 0.5 * 10^-d) at d digits, computed on
    the value's decimal form (no binary fraction error: ROUND(1.005, 2) is 1.01). Without digits
    the result is an Integer.

    The decimal form is read to 15 places (18 when rounding finer than 14), in a width that
    keeps the ``+ half`` exact (37 digits: one more is Spark's 38 limit, past which it would round
    the sum to fewer places); below 10^22 (10^19) every double fits, and past it a double has no
    fraction left, so Spark's round of the double itself follows (``coalesce`` evaluates it only
    when the cast overflowed to null). The argument appears twice, not once per width: a filter
    pushed below ROUND repeats the whole expression for every row (Spark shares no
    subexpression inside a filter), and each copy of a large argument costs the JIT's inlining
    budget of the whole stage."""
    digits = int(args[1].literal) if len(args) > 1 else 0
    value = _num(args[0])
    if digits > 17:  # finer than a double's precision: nothing to round
        return value.cast("double")
    half = F.lit(Decimal(5).scaleb(-digits - 1))
    decimal_type = "decimal(37,15)" if digits < 15 else "decimal(37,18)"
    beyond = F.round(value, digits) if digits < 0 else value
    rounded = F.coalesce(floor_at(try_cast(value, decimal_type) + half, digits), beyond)
    return rounded.cast("long") if digits <= 0 else rounded.cast("double")


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


#: Euclid's algorithm on 64-bit numbers ends within 93 steps (consecutive Fibonacci numbers)
_EUCLID_STEPS = 100


def _integer(arg: Arg) -> Column:
    """A whole number (numeric text counts); null for other values (mismatched)."""
    x = arg.value.cast("double")
    return F.when(x == F.floor(x), x.cast("long"))


def _gcd(a: Column, b: Column) -> Column:
    start = F.struct(F.abs(a).alias("a"), F.abs(b).alias("b"))
    steps = F.sequence(F.lit(1), F.lit(_EUCLID_STEPS))
    last = F.aggregate(
        steps,
        start,
        lambda acc, _: F.when(acc["b"] == 0, acc).otherwise(
            F.struct(acc["b"].alias("a"), (acc["a"] % acc["b"]).alias("b"))
        ),
    )
    return last["a"]


@function("SIGN")
def sign(ctx: CallContext, args: list[Arg]) -> Column:
    """1 for a positive number, -1 for a negative one, 0 for zero; null for no number."""
    return F.signum(args[0].value.cast("double")).cast("long")


@function("LCM", arity=2, example="LCM(10, 4)")
def lcm(ctx: CallContext, args: list[Arg]) -> Column:
    """LCM(a, b): the least common multiple of two whole numbers (0 when either is 0); a
    value that is no whole number gives null."""
    a, b = _integer(args[0]), _integer(args[1])
    gcd = _gcd(a, b)
    multiple = (F.abs(a) / gcd).cast("long") * F.abs(b)
    return F.when(gcd == 0, F.lit(0).cast("long")).otherwise(multiple)
