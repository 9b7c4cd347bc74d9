"""Trigonometry functions: angles in radians; DEGREES and RADIANS convert. A value outside a
function's domain (ASIN(2), ACOSH(0), ...) gives a missing value (null), not NaN."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.recipe.context import Arg, CallContext
from spark_jobs.recipe.registry import function


def _defined(column: Column) -> Column:
    return F.when(~F.isnan(column), column)


def _register(name: str, spark_name: str) -> None:
    def fn(ctx: CallContext, args: list[Arg]) -> Column:
        return _defined(getattr(F, spark_name)(args[0].value.cast("double")))

    fn.__name__ = name.lower()
    fn.__doc__ = f"{name}(x): Spark ``{spark_name}``; null outside its domain."
    function(name, example=f"{name}(d)")(fn)


for _name, _spark in (
    ("SIN", "sin"),
    ("COS", "cos"),
    ("TAN", "tan"),
    ("ASIN", "asin"),
    ("ACOS", "acos"),
    ("ATAN", "atan"),
    ("SINH", "sinh"),
    ("COSH", "cosh"),
    ("TANH", "tanh"),
    ("ASINH", "asinh"),
    ("ACOSH", "acosh"),
    ("ATANH", "atanh"),
    ("DEGREES", "degrees"),
    ("RADIANS", "radians"),
):
    _register(_name, _spark)
