"""Logical functions: IF, AND, OR, NOT, XOR (the operators &&, ||, ! are in the grammar)."""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.recipe.context import Arg, CallContext
from spark_jobs.recipe.registry import function


@function("IF", arity=(2, 3))
def if_(ctx: CallContext, args: list[Arg]) -> Column:
    """IF(test, then, [else]): a missing test counts as false."""
    otherwise = args[2].value if len(args) > 2 else F.lit(None)
    return F.when(F.coalesce(args[0].value, F.lit(False)), args[1].value).otherwise(otherwise)


@function("AND", arity=(2, None))
def and_(ctx: CallContext, args: list[Arg]) -> Column:
    return reduce(lambda a, b: a & b, [a.value for a in args])


@function("OR", arity=(2, None))
def or_(ctx: CallContext, args: list[Arg]) -> Column:
    return reduce(lambda a, b: a | b, [a.value for a in args])


@function("NOT")
def not_(ctx: CallContext, args: list[Arg]) -> Column:
    return ~args[0].value


@function("XOR", arity=2)
def xor(ctx: CallContext, args: list[Arg]) -> Column:
    a, b = args[0].value, args[1].value
    return (a | b) & ~(a & b)
