"""Comparison functions (the operators ==, <, ... are in the grammar): EQUAL, GREATERTHAN, ...,
IN, COALESCE, ISEVEN, ISODD."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.recipe import ast
from spark_jobs.recipe.context import Arg, CallContext
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


@function("EQUAL", arity=2)
def equal(ctx: CallContext, args: list[Arg]) -> Column:
    return args[0].value == args[1].value


@function("NOTEQUAL", arity=2)
def notequal(ctx: CallContext, args: list[Arg]) -> Column:
    return args[0].value != args[1].value


@function("GREATERTHAN", arity=2)
def greaterthan(ctx: CallContext, args: list[Arg]) -> Column:
    return args[0].value > args[1].value


@function("GREATERTHANEQUAL", arity=2)
def greaterthanequal(ctx: CallContext, args: list[Arg]) -> Column:
    return args[0].value >= args[1].value


@function("LESSTHAN", arity=2)
def lessthan(ctx: CallContext, args: list[Arg]) -> Column:
    return args[0].value < args[1].value


@function("LESSTHANEQUAL", arity=2)
def lessthanequal(ctx: CallContext, args: list[Arg]) -> Column:
    return args[0].value <= args[1].value


@function("IN", arity=2)
def in_(ctx: CallContext, args: list[Arg]) -> Column:
    """IN(value, [a, b, c])."""
    node = args[1].node
    items = node.items if isinstance(node, ast.ArrayLit) else (node,)
    return args[0].value.isin(*[Arg(i, ctx.ctx).value for i in items])


@function("COALESCE", arity=(1, None))
def coalesce(ctx: CallContext, args: list[Arg]) -> Column:
    """COALESCE([a, b, c]) (the reference's form: one list of columns) or COALESCE(a, b, c): the
    first value that is not missing."""
    values: list[Column] = []
    for arg in args:
        if isinstance(arg.node, ast.ArrayLit):
            values.extend(arg.ctx.compile(item) for item in arg.node.items)
        else:
            values.append(arg.value)
    return F.coalesce(*values)
