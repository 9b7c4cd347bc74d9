"""Source metadata: SOURCEROWNUMBER() and FILEPATH() (also written $sourcerownumber, $filepath)."""

from __future__ import annotations

from pyspark.sql import Column

from spark_jobs.recipe import ast
from spark_jobs.recipe.context import Arg, CallContext
from spark_jobs.recipe.registry import function


@function("SOURCEROWNUMBER", arity=0)
def sourcerownumber(ctx: CallContext, args: list[Arg]) -> Column:
    return ctx.ctx.compile(ast.ColumnRef("$sourcerownumber", pos=ctx.call.pos))


@function("FILEPATH", arity=0)
def filepath(ctx: CallContext, args: list[Arg]) -> Column:
    return ctx.ctx.compile(ast.ColumnRef("$filepath", pos=ctx.call.pos))
