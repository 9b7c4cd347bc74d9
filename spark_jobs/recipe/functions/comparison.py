"""Comparison functions beyond the operators: ISEVEN, ISODD."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.recipe.compiler import Arg, CallContext
from spark_jobs.recipe.registry import function


def _whole(arg: Arg) -> tuple[Column, Column]:
    """The value as a number, and whether it is a whole number (numeric text counts)."""
    x = arg.value.cast("double")
    return x, (x == F.floor(x))


@function("ISEVEN")
def iseven(ctx: CallContext, args: list[Arg]) -> Column:
    """True for an even whole number, false for other numbers; null when no number."""
    x, whole = _whole(args[0])
    return F.when(x.isNotNull(), whole & (F.abs(x) % 2 == 0))


@function("ISODD")
def isodd(ctx: CallContext, args: list[Arg]) -> Column:
    x, whole = _whole(args[0])
    return F.when(x.isNotNull(), whole & (F.abs(x) % 2 == 1))
