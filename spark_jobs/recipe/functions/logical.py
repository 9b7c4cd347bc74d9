"""Logical functions: IF, AND, OR, NOT, XOR (the operators &&, ||, ! are in the grammar)."""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.recipe import ast
from spark_jobs.recipe.context import Arg, CallContext, truth
from spark_jobs.recipe.registry import function


def _nested_if(node: ast.Expr) -> ast.Call | None:
    if isinstance(node, ast.Call) and node.name.upper() == "IF":
        return node
    return None


@function("IF", arity=(2, 3))
def if_(ctx: CallContext, args: list[Arg]) -> Column:
    """IF(test, then, [else]): a missing test counts as false.

    IFs nested in a branch (``IF(a, IF(b, x, y), z)``, as generated recipes nest them hundreds
    deep) become the branches of one flat CASE WHEN: ``WHEN NOT a THEN z WHEN NOT b THEN y ELSE
    x``, so neither the compiler nor Spark's analyzer and code generator recurse per level.
    """
    step = ctx.ctx
    branches: list[tuple[Column, Column]] = []
    call: ast.Call = ctx.call
    while True:
        test = F.coalesce(truth(step.compile(call.args[0])), F.lit(False))
        then = call.args[1]
        otherwise = call.args[2] if len(call.args) > 2 else None
        if otherwise is not None and (inner := _nested_if(otherwise)) is not None:
            branches.append((test, step.compile(then)))
        elif (inner := _nested_if(then)) is not None:
            fallback = step.compile(otherwise) if otherwise is not None else F.lit(None)
            branches.append((~test, fallback))
        else:
            last = step.compile(otherwise) if otherwise is not None else F.lit(None)
            branches.append((test, step.compile(then)))
            break
        call = inner
    condition, value = branches[0]
    out = F.when(condition, value)
    for condition, value in branches[1:]:
        out = out.when(condition, value)
    return out.otherwise(last)


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
