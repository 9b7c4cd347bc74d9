"""More math functions: SIGN and LCM."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.recipe.compiler import Arg, CallContext
from spark_jobs.recipe.registry import function

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
