"""Nested functions: arrays and objects.

How nested values flow
----------------------
The platform keeps Arrays and Objects as JSON text (a String column typed Array / Object, as
:mod:`spark_jobs.recipe.types` does: values stay text, the type is metadata). So do we:

* **Input.** An argument may be JSON text (a String column, a quoted literal, the result of
  another nested function), a Spark ``array`` / ``map`` / ``struct`` column (Parquet input), or
  an array literal ``[1, 'a']``. Non-text values are turned into JSON with ``to_json`` first.
* **Inside an expression** an array is an ``array<string>`` whose elements are each element's
  *JSON text* (``1``, ``"a"``, ``{"k":2}``, ``null``), read with ``from_json``
  (:mod:`spark_jobs.recipe.json_text`, no VARIANT: the same on Spark 3.5 and 4): numbers,
  strings, booleans and nested values keep their JSON types, and two elements are equal when
  their JSON texts are. An object is a ``map<string,string>`` of key to value JSON text, in the
  object's own key order.
* **Output.** A function whose result is an array or an object returns JSON text
  (``["a",1]``, ``{"k":"v"}``), which CSV outputs write as it is and JSON outputs as JSON
  values; an element taken out of an array (ARRAYELEMENTAT) is the element's value as text (a
  string without its quotes). Text that is no JSON array (object) reads as missing: the result
  is null.
* JSON numbers are normalised by the reader (``2.50`` becomes ``2.5``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import reduce

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs.compat import array_position, try_cast
from spark_jobs.recipe import ast
from spark_jobs.recipe.context import Arg, CallContext, StepContext
from spark_jobs.recipe.json_text import (
    array_json,
    array_length,
    array_value_at,
    array_values,
    element_number,
    element_value,
    map_json,
    object_json,
    object_keys,
    parse_array,
    parse_object,
    quote_json,
)
from spark_jobs.recipe.registry import function


def _json_text(ctx: StepContext, column: Column, node: ast.Expr | None = None) -> Column:
    if isinstance(node, ast.StringLit):
        return column
    if isinstance(node, ast.ColumnRef) and not node.is_metadata:
        kind = ctx.fields[ctx.resolve_name(node)].dataType
    else:
        kind = ctx.df.select(column).schema.fields[0].dataType
    if isinstance(kind, T.StringType):
        return column
    if isinstance(kind, T.ArrayType | T.MapType | T.StructType):
        return F.to_json(column)
    return column.cast("string")


def text_of(ctx: StepContext, node: ast.Expr) -> Column:
    """An array or object argument as JSON text."""
    if isinstance(node, ast.ArrayLit):
        return F.to_json(F.array(*[ctx.compile(i) for i in node.items]))
    if isinstance(node, ast.ColumnRef):
        return _json_text(ctx, Arg(node, ctx).raw, node)
    return _json_text(ctx, ctx.compile(node), node)


def array_of(ctx: StepContext, node: ast.Expr) -> Column:
    """An array value as ``array<string>`` of element JSON texts (null when no JSON array)."""
    return parse_array(text_of(ctx, node))


def object_of(ctx: StepContext, node: ast.Expr) -> Column:
    """An object value as ``map<string,string>`` of value JSON texts, in its key order."""
    return parse_object(text_of(ctx, node))


def _arrays(ctx: CallContext, arg: Arg, least: int = 1) -> list[Column]:
    """A ``[array1, array2, ...]`` argument as its arrays."""
    if not isinstance(arg.node, ast.ArrayLit):
        raise ctx.error("expects a list of arrays such as [col1, col2]", arg)
    items = arg.node.items
    if len(items) < least:
        raise ctx.error(f"expects at least {least} arrays in the list", arg)
    return [array_of(ctx.ctx, item) for item in items]


def _array(ctx: CallContext, arg: Arg) -> Column:
    return array_of(ctx.ctx, arg.node)


def _index(arg: Arg) -> Column:
    return try_cast(arg.value.cast("string"), "long").cast("int")


def _element_json(ctx: CallContext, arg: Arg) -> Column:
    """A search value as JSON text, so that it compares with elements."""
    value = arg.value
    if isinstance(arg.node, ast.StringLit):
        return quote_json(value)
    if isinstance(arg.node, ast.NumberLit | ast.BoolLit):
        return F.lit(json.dumps(arg.node.value))
    kind = ctx.ctx.df.select(value).schema.fields[0].dataType
    if isinstance(kind, T.StringType):
        return quote_json(value)
    return F.to_json(F.array(value)).substr(F.lit(2), F.length(F.to_json(F.array(value))) - 2)


# --- arrays ---------------------------------------------------------------------------------


@function("ARRAYLEN")
def arraylen(ctx: CallContext, args: list[Arg]) -> Column:
    return array_length(text_of(ctx.ctx, args[0].node)).cast("long")


@function("ARRAYCONCAT")
def arrayconcat(ctx: CallContext, args: list[Arg]) -> Column:
    """ARRAYCONCAT([a1, a2, ...]): the elements of every array, in order (null if one is)."""
    return array_json(F.concat(*_arrays(ctx, args[0])))


@function("ARRAYINTERSECT")
def arrayintersect(ctx: CallContext, args: list[Arg]) -> Column:
    """ARRAYINTERSECT([a1, a2, ...]): distinct elements found in every array."""
    return array_json(reduce(F.array_intersect, _arrays(ctx, args[0], 2)))


@function("ARRAYUNIQUE")
def arrayunique(ctx: CallContext, args: list[Arg]) -> Column:
    """ARRAYUNIQUE([a1, a2, ...]): the distinct elements of all arrays, in first-seen order."""
    return array_json(F.array_distinct(F.concat(*_arrays(ctx, args[0]))))


def _extend_with(other: Column) -> Callable[[Column], Column]:
    def extend(combo: Column) -> Column:
        return F.transform(other, lambda e: F.concat(combo, F.array(e)))

    return extend


@function("ARRAYCROSS")
def arraycross(ctx: CallContext, args: list[Arg]) -> Column:
    """ARRAYCROSS([a1, a2, ...]): every combination of one element of each array, as arrays."""
    arrays = _arrays(ctx, args[0])
    combos = F.transform(arrays[0], lambda e: F.array(e))
    for other in arrays[1:]:
        combos = F.flatten(F.transform(combos, _extend_with(other)))
    return array_json(F.transform(combos, array_json))


@function("ARRAYZIP")
def arrayzip(ctx: CallContext, args: list[Arg]) -> Column:
    """ARRAYZIP([a1, a2, ...]): arrays of the n-th elements (null where an array is shorter)."""
    arrays = _arrays(ctx, args[0])
    longest = reduce(F.greatest, [F.size(a) for a in arrays])
    positions = F.sequence(F.lit(1), longest)
    rows = F.transform(
        positions,
        lambda i: F.array(*[F.coalesce(F.try_element_at(a, i), F.lit("null")) for a in arrays]),
    )
    present = reduce(lambda a, b: a & b, [a.isNotNull() for a in arrays])
    zipped = F.when(longest > 0, array_json(F.transform(rows, array_json))).otherwise("[]")
    return F.when(present, zipped)


@function("ARRAYELEMENTAT", arity=2)
def arrayelementat(ctx: CallContext, args: list[Arg]) -> Column:
    """ARRAYELEMENTAT(array, index): the element at a 0-based index (negative: from the end)."""
    index = _index(args[1])
    position = F.when(index >= 0, index + 1).otherwise(index)
    return array_value_at(text_of(ctx.ctx, args[0].node), position)


@function("ARRAYINDEXOF", arity=2)
def arrayindexof(ctx: CallContext, args: list[Arg]) -> Column:
    """ARRAYINDEXOF(array, value): 0-based index of the first equal element, -1 when absent."""
    return (array_position(_array(ctx, args[0]), _element_json(ctx, args[1])) - 1).cast("long")


@function("ARRAYRIGHTINDEXOF", arity=2)
def arrayrightindexof(ctx: CallContext, args: list[Arg]) -> Column:
    """ARRAYRIGHTINDEXOF(array, value): 0-based index of the last equal element, -1 if absent."""
    elements = _array(ctx, args[0])
    position = array_position(F.reverse(elements), _element_json(ctx, args[1]))
    return F.when(position == 0, F.lit(-1)).otherwise(F.size(elements) - position).cast("long")


@function("ARRAYSLICE", arity=(2, 3))
def arrayslice(ctx: CallContext, args: list[Arg]) -> Column:
    """ARRAYSLICE(array, start, [end]): elements from start up to end (exclusive), 0-based."""
    elements = _array(ctx, args[0])
    size = F.size(elements)
    start = _index(args[1])
    end = _index(args[2]) if len(args) > 2 else size
    start = F.when(start < 0, F.greatest(size + start, F.lit(0))).otherwise(F.least(start, size))
    end = F.when(end < 0, F.greatest(size + end, F.lit(0))).otherwise(F.least(end, size))
    length = F.greatest(end - start, F.lit(0))
    sliced = F.when(length > 0, F.slice(elements, start + 1, length)).otherwise(
        F.array().cast("array<string>")
    )
    return F.when(elements.isNotNull(), array_json(sliced))


def _compare(left: Column, right: Column) -> Column:
    """Numbers by value before text, text by its value; -1 / 0 / 1. ``left`` and ``right`` are
    the structs of :func:`_sort_key`."""
    ln, rn = left.getField("n"), right.getField("n")
    lt, rt = left.getField("t"), right.getField("t")
    by_text = F.when(lt < rt, -1).when(lt > rt, 1).otherwise(0)
    return (
        F.when(ln.isNotNull() & rn.isNotNull(), F.when(ln < rn, -1).when(ln > rn, 1).otherwise(0))
        .when(ln.isNotNull(), -1)
        .when(rn.isNotNull(), 1)
        .otherwise(by_text)
    )


def _sort_key(element: Column) -> Column:
    """An element with its number and text, worked out once (not in every comparison)."""
    return F.struct(
        element_number(element).alias("n"), element_value(element).alias("t"), element.alias("e")
    )


@function("ARRAYSORT", arity=(1, 2))
def arraysort(ctx: CallContext, args: list[Arg]) -> Column:
    """ARRAYSORT(array, ['ascending'|'descending']): numbers first by value, then text."""
    order = "ascending"
    if len(args) > 1:
        node = args[1].node
        if isinstance(node, ast.ColumnRef):
            order = node.name.lower()
        elif args[1].is_literal:
            order = str(args[1].literal).lower()
        else:
            order = ""
    if order not in ("ascending", "descending", "asc", "desc"):
        raise ctx.error("the order is 'ascending' or 'descending'", args[1])
    sign = -1 if order.startswith("desc") else 1
    keyed = F.transform(_array(ctx, args[0]), _sort_key)
    sorted_ = F.array_sort(keyed, lambda a, b: _compare(a, b) * sign)
    return array_json(F.transform(sorted_, lambda k: k.getField("e")))


@function("ARRAYMERGEELEMENTS", arity=(1, 2))
def arraymergeelements(ctx: CallContext, args: list[Arg]) -> Column:
    """ARRAYMERGEELEMENTS(array, ['delimiter']): the elements' text joined."""
    delimiter = str(args[1].literal) if len(args) > 1 else ""
    return F.array_join(array_values(text_of(ctx.ctx, args[0].node)), delimiter)


@function("ARRAYSTOMAP", arity=2)
def arraystomap(ctx: CallContext, args: list[Arg]) -> Column:
    """ARRAYSTOMAP(keys, values): an object of keys[i]: values[i] (first key wins; a key
    without a value maps to null)."""
    keys = F.transform(_array(ctx, args[0]), element_value)
    values = _array(ctx, args[1])
    positions = F.sequence(F.lit(1), F.greatest(F.size(keys), F.lit(1)))
    kept = F.filter(
        positions,
        lambda i: (
            (F.size(keys) >= i)
            & F.try_element_at(keys, i).isNotNull()
            & (array_position(keys, F.try_element_at(keys, i)) == i)
        ),
    )
    picked_keys = F.transform(kept, lambda i: F.try_element_at(keys, i))
    picked_values = F.transform(
        kept, lambda i: F.coalesce(F.try_element_at(values, i), F.lit("null"))
    )
    return F.when(keys.isNotNull() & values.isNotNull(), object_json(picked_keys, picked_values))


# --- objects --------------------------------------------------------------------------------


@function("KEYS")
def keys(ctx: CallContext, args: list[Arg]) -> Column:
    """KEYS(object): its keys as an array, in the object's order."""
    return array_json(F.transform(object_keys(text_of(ctx.ctx, args[0].node)), quote_json))


@function("FILTEROBJECT", arity=2)
def filterobject(ctx: CallContext, args: list[Arg]) -> Column:
    """FILTEROBJECT(object, 'key' | ['k1', 'k2']): the object with only those keys."""
    node = args[1].node
    names = node.items if isinstance(node, ast.ArrayLit) else (node,)
    wanted = [Arg(n, ctx.ctx) for n in names]
    for w in wanted:
        if not w.is_literal:
            raise ctx.error("the keys must be quoted literals", w)
    obj = F.map_filter(
        object_of(ctx.ctx, args[0].node),
        lambda k, v: k.isin([str(w.literal) for w in wanted]),
    )
    return F.when(obj.isNotNull(), map_json(obj))


# --- lists: statistics over an array's numeric elements ------------------------------------


def _numbers(ctx: CallContext, arg: Arg) -> Column:
    """The numeric elements (others skipped) as doubles."""
    values = array_values(text_of(ctx.ctx, arg.node))
    numbers = F.transform(values, lambda v: try_cast(v, "double"))
    return F.filter(numbers, lambda x: x.isNotNull())


def _sum(numbers: Column) -> Column:
    return F.aggregate(numbers, F.lit(0.0), lambda acc, x: acc + x)


def _mean(numbers: Column) -> Column:
    n = F.size(numbers)
    return F.when(n > 0, _sum(numbers) / n)


def _var(numbers: Column) -> Column:
    n = F.size(numbers)
    mean = _mean(numbers)
    squares = F.aggregate(numbers, F.lit(0.0), lambda acc, x: acc + (x - mean) * (x - mean))
    return F.when(n > 0, squares / n)


@function("LISTSUM")
def listsum(ctx: CallContext, args: list[Arg]) -> Column:
    numbers = _numbers(ctx, args[0])
    return F.when(numbers.isNotNull(), _sum(numbers))


@function("LISTAVERAGE")
def listaverage(ctx: CallContext, args: list[Arg]) -> Column:
    return _mean(_numbers(ctx, args[0]))


@function("LISTMIN")
def listmin(ctx: CallContext, args: list[Arg]) -> Column:
    return F.array_min(_numbers(ctx, args[0]))


@function("LISTMAX")
def listmax(ctx: CallContext, args: list[Arg]) -> Column:
    return F.array_max(_numbers(ctx, args[0]))


@function("LISTVAR")
def listvar(ctx: CallContext, args: list[Arg]) -> Column:
    """Population variance of the numeric elements."""
    return _var(_numbers(ctx, args[0]))


@function("LISTSTDEV")
def liststdev(ctx: CallContext, args: list[Arg]) -> Column:
    """Population standard deviation of the numeric elements."""
    return F.sqrt(_var(_numbers(ctx, args[0])))


@function("LISTMODE")
def listmode(ctx: CallContext, args: list[Arg]) -> Column:
    """The most frequent numeric element (the smallest of equally frequent ones)."""
    numbers = _numbers(ctx, args[0])
    ranked = F.transform(
        F.array_distinct(numbers),
        lambda v: F.struct(
            F.size(F.filter(numbers, lambda x: x == v)).alias("n"),
            (-v).alias("k"),
            v.alias("v"),
        ),
    )
    return F.array_max(ranked).getField("v")


# --- parsing --------------------------------------------------------------------------------


@function("PARSEARRAY")
def parsearray(ctx: CallContext, args: list[Arg]) -> Column:
    """PARSEARRAY(text): the text as an Array (normalised JSON); null when it is none."""
    elements = _array(ctx, args[0])
    return F.when(elements.isNotNull(), array_json(elements))


@function("PARSEOBJECT")
def parseobject(ctx: CallContext, args: list[Arg]) -> Column:
    """PARSEOBJECT(text): the text as an Object (normalised JSON); null when it is none."""
    obj = object_of(ctx.ctx, args[0].node)
    return F.when(obj.isNotNull(), map_json(obj))
