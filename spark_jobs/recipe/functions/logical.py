"""Logical and comparison functions (the operators &&, ||, !, ==, ... are in the grammar)."""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.recipe import ast
from spark_jobs.recipe.compiler import Arg, CallContext, truth
from spark_jobs.recipe.registry import function


@function("IF", arity=(2, 3))
def if_(ctx: CallContext, args: list[Arg]) -> Column:
    """IF(test, then, [else]): a missing test counts as false."""
    otherwise = args[2].value if len(args) > 2 else F.lit(None)
    return F.when(F.coalesce(truth(args[0].value), F.lit(False)), args[1].value).otherwise(
        otherwise
    )


@function("AND", arity=(2, None))
def and_(ctx: CallContext, args: list[Arg]) -> Column:
    return reduce(lambda a, b: a & b, [truth(a.value) for a in args])


@function("OR", arity=(2, None))
def or_(ctx: CallContext, args: list[Arg]) -> Column:
    return reduce(lambda a, b: a | b, [truth(a.value) for a in args])


@function("NOT")
def not_(ctx: CallContext, args: list[Arg]) -> Column:
    return ~truth(args[0].value)


@function("XOR", arity=2)
def xor(ctx: CallContext, args: list[Arg]) -> Column:
    a, b = truth(args[0].value), truth(args[1].value)
    return (a | b) & ~(a & b)


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
    from spark_jobs.recipe import ast

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
