"""Phonetic functions: DOUBLEMETAPHONE and DOUBLEMETAPHONEEQUALS.

The Double Metaphone algorithm has no Spark expression, so its codes come from the one Python UDF
of the function library (listed in docs/wrangle.md): a vectorized ``pandas_udf`` over the
DoubleMetaphone package (Lawrence Philips' C++ code; full-length codes, as the reference's
``doublemetaphone('My String')`` = ``["MSTRNK","MSTRNK"]`` shows). Everything around the codes
(the JSON array, the comparisons) is native Spark.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from doublemetaphone import doublemetaphone
from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.recipe import ast
from spark_jobs.recipe.context import Arg, CallContext
from spark_jobs.recipe.json_text import array_json, quote_json
from spark_jobs.recipe.registry import function

if TYPE_CHECKING:
    import pandas as pd


def _encode(value: object) -> list[str] | None:
    # a missing value (null or empty text) has no codes
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    primary, secondary = doublemetaphone(str(value))
    return [primary, secondary]


def _encode_batch(values: pd.Series) -> pd.Series:
    """[primary, secondary] Double Metaphone codes of each text (null for a missing one)."""
    return values.map(_encode)


@functools.cache
def _codes_udf() -> Callable[[Column], Column]:
    # made on first use, on the driver: a UDF built at import time would need a SparkContext in
    # every Python worker that imports this module to unpickle _encode_batch. pandas is imported
    # here, not with the module: every recipe's parse loads this module, and importing pandas
    # cost each run about half a second (pyspark reads the UDF's kind from the type hints,
    # which therefore get the real class now)
    import pandas

    _encode_batch.__annotations__ = {"values": pandas.Series, "return": pandas.Series}
    return F.pandas_udf(_encode_batch, "array<string>")  # type: ignore[call-overload]


def codes(text: Column) -> Column:
    """The two codes of ``text`` as ``array<string>``; missing text gives null."""
    return _codes_udf()(text.cast("string"))


@function("DOUBLEMETAPHONE", example="DOUBLEMETAPHONE(s)")
def double_metaphone(ctx: CallContext, args: list[Arg]) -> Column:
    """DOUBLEMETAPHONE(s): ``["primary","secondary"]`` (an Array, as JSON text)."""
    return array_json(F.transform(codes(args[0].value), quote_json))


_THRESHOLDS = ("strong", "normal", "weak")


def _threshold(ctx: CallContext, arg: Arg) -> str:
    node = arg.node
    if isinstance(node, ast.ColumnRef) and not node.is_metadata:
        word = node.name.lower()
    else:
        word = str(arg.literal).lower() if arg.is_literal else ""
    if word not in _THRESHOLDS:
        raise ctx.error("the match threshold is 'strong', 'normal' or 'weak'", arg)
    return word


@function("DOUBLEMETAPHONEEQUALS", arity=(2, 3), example="DOUBLEMETAPHONEEQUALS(s, 'x', 'weak')")
def double_metaphone_equals(ctx: CallContext, args: list[Arg]) -> Column:
    """DOUBLEMETAPHONEEQUALS(a, b, ['strong'|'normal'|'weak']): strong, the primary codes match;
    normal (the default), a primary code matches either code of the other value; weak, the
    secondary codes match ("only the secondary encodings for each input must match")."""
    threshold = _threshold(ctx, args[2]) if len(args) > 2 else "normal"
    a, b = codes(args[0].value), codes(args[1].value)
    p1, s1, p2, s2 = a[0], a[1], b[0], b[1]
    if threshold == "strong":
        return p1 == p2
    if threshold == "weak":
        return s1 == s2
    return (p1 == p2) | (p1 == s2) | (s1 == p2)
