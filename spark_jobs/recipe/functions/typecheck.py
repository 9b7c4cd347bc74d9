"""Type checks: ISMISSING, ISNULL, ISVALID, ISMISMATCHED and their IF... forms, PARSE*."""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.dateformats import type_format_patterns
from spark_jobs.recipe import ast
from spark_jobs.recipe.context import Arg, CallContext
from spark_jobs.recipe.registry import function
from spark_jobs.recipe.types import (
    BOOLEAN,
    DECIMAL,
    INTEGER,
    VALID,
    WrangleType,
    classify,
    is_missing,
    known_type_names,
    typed_value,
)


def _any(columns: list[Column]) -> Column:
    return reduce(lambda a, b: a | b, columns)


def _wtype(ctx: CallContext, arg: Arg, value: Arg | None = None) -> WrangleType:
    """The type named by ``arg``; a column ``value`` of that type lends its Datetime formats."""
    wtype = _named_type(ctx, arg)
    if wtype.formats:  # given with the type: they decide
        return wtype
    column_type = value.wtype if value is not None else None
    if column_type is not None and column_type.name == wtype.name and column_type.formats:
        return column_type
    return wtype


def _named_type(ctx: CallContext, arg: Arg) -> WrangleType:
    """``'Integer'``, or the platform's ``['Datetime', 'mm-dd-yy', 'mm*dd*yyyy']`` (the type, a
    format and its family, as in settype)."""
    formats: list[str] = []
    if isinstance(arg.node, ast.ArrayLit) and arg.node.items:
        items = [Arg(item, arg.ctx) for item in arg.node.items]
        if not all(item.is_literal for item in items):
            raise ctx.error("the data type must be ['Type', 'format', ...] of quoted texts", arg)
        arg, formats = items[0], [str(item.literal) for item in items[1:]]
    if not arg.is_literal:
        raise ctx.error("the data type must be a quoted literal such as 'Integer'", arg)
    name = str(arg.literal)
    try:
        if formats:
            return WrangleType.parse(name, type_format_patterns(formats))
        return WrangleType.parse(name)
    except KeyError:
        from spark_jobs.recipe.parser import suggest

        raise ctx.ctx.error(
            f"{ctx.call.name.upper()}: unknown data type {name!r}",
            arg.node,
            suggest(name, known_type_names()),
        ) from None


@function("ISMISSING")
def ismissing(ctx: CallContext, args: list[Arg]) -> Column:
    """True when the value (any value of a [list]) is null or empty."""
    return _any([is_missing(c) for c in args[0].columns])


@function("ISNULL")
def isnull(ctx: CallContext, args: list[Arg]) -> Column:
    return _any([c.isNull() for c in args[0].columns])


@function("NULL", arity=0)
def null(ctx: CallContext, args: list[Arg]) -> Column:
    return F.lit(None)


@function("ISVALID", arity=2, aliases=("VALID",))
def isvalid(ctx: CallContext, args: list[Arg]) -> Column:
    wtype = _wtype(ctx, args[1], args[0])
    return classify(args[0].raw, wtype) == VALID


@function("ISMISMATCHED", arity=2)
def ismismatched(ctx: CallContext, args: list[Arg]) -> Column:
    """Not a valid value of the type (missing values included, as the reference says)."""
    wtype = _wtype(ctx, args[1], args[0])
    return _any([classify(c, wtype) != VALID for c in args[0].columns])


@function("IFNULL", arity=2)
def ifnull(ctx: CallContext, args: list[Arg]) -> Column:
    return F.coalesce(args[0].value, args[1].value)


@function("IFMISSING", arity=2)
def ifmissing(ctx: CallContext, args: list[Arg]) -> Column:
    return F.when(is_missing(args[0].raw), args[1].value).otherwise(args[0].value)


@function("IFMISMATCHED", arity=3)
def ifmismatched(ctx: CallContext, args: list[Arg]) -> Column:
    """IFMISMATCHED(value, 'Type', replacement): mismatched values replaced."""
    wtype = _wtype(ctx, args[1], args[0])
    raw = args[0].raw
    return F.when(classify(raw, wtype) == 1, args[2].value).otherwise(args[0].value)


@function("IFVALID", arity=3)
def ifvalid(ctx: CallContext, args: list[Arg]) -> Column:
    """IFVALID(value, 'Type', replacement): valid values replaced."""
    wtype = _wtype(ctx, args[1], args[0])
    return F.when(classify(args[0].raw, wtype) == VALID, args[2].value).otherwise(args[0].value)


@function("PARSEINT")
def parseint(ctx: CallContext, args: list[Arg]) -> Column:
    return typed_value(args[0].raw, INTEGER)


@function("PARSEFLOAT")
def parsefloat(ctx: CallContext, args: list[Arg]) -> Column:
    return typed_value(args[0].raw, DECIMAL)


@function("PARSEBOOL")
def parsebool(ctx: CallContext, args: list[Arg]) -> Column:
    return typed_value(args[0].raw, BOOLEAN)


@function("PARSESTRING", aliases=("STRING",))
def parsestring(ctx: CallContext, args: list[Arg]) -> Column:
    return args[0].raw.cast("string")
