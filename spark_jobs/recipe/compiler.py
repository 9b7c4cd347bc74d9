"""The engine: compile Wrangle expressions to Spark Columns and run a recipe's transforms.

Transforms and functions see only the contract in :mod:`spark_jobs.recipe.context`; this module
is what ``StepContext.compile`` calls (operators, column references typed by their Wrangle type,
calls dispatched through the function registry). Everything becomes native Spark Column
expressions.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs.recipe import ast
from spark_jobs.recipe.context import Arg, CallContext, StepContext, quoted, truth
from spark_jobs.recipe.functions.math import integer_modulo
from spark_jobs.recipe.registry import FUNCTIONS
from spark_jobs.recipe.types import column_type, typed_value

_TYPED_BY_METADATA = ("Integer", "Decimal", "Boolean", "Datetime", "Date")


_COMPARE = {
    "==": lambda a, b: a == b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<>": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "&&": lambda a, b: truth(a) & truth(b),
    "||": lambda a, b: truth(a) | truth(b),
}


def compile_expression(ctx: StepContext, node: ast.Expr) -> Column:
    """``node`` of ``ctx``'s step as a Column (what ``StepContext.compile`` runs)."""
    return ExprCompiler(ctx).compile(node)


class ExprCompiler:
    def __init__(self, ctx: StepContext) -> None:
        self.ctx = ctx

    def statically_whole(self, node: ast.Expr) -> bool:
        """Whether every value of ``node`` is a whole number or missing, known without the data:
        an integer literal, or a column of type Integer (parsed to a Spark bigint)."""
        if isinstance(node, ast.NumberLit):
            return isinstance(node.value, int)
        if isinstance(node, ast.ColumnRef):
            field = self.ctx.fields[self.ctx.resolve_name(node)]
            if isinstance(field.dataType, T.IntegralType):
                return True
            return isinstance(field.dataType, T.StringType) and column_type(field).name == "Integer"
        return False

    def compile(self, node: ast.Expr) -> Column:
        ctx = self.ctx
        if isinstance(node, ast.StringLit | ast.BoolLit):
            return F.lit(node.value)
        if isinstance(node, ast.NumberLit):
            return F.lit(node.value)
        if isinstance(node, ast.NullLit):
            return F.lit(None)
        if isinstance(node, ast.ColumnRef):
            name = ctx.resolve_name(node)
            column = quoted(name)
            f = ctx.fields[name]
            wtype = column_type(f)
            if isinstance(f.dataType, T.StringType) and wtype.name in _TYPED_BY_METADATA:
                return typed_value(column, wtype)
            return column
        if isinstance(node, ast.BinaryOp):
            left, right = self.compile(node.left), self.compile(node.right)
            if node.op == "%":
                return integer_modulo(
                    left,
                    right,
                    a_whole=self.statically_whole(node.left),
                    b_whole=self.statically_whole(node.right),
                )
            return _COMPARE[node.op](left, right)
        if isinstance(node, ast.UnaryOp):
            operand = self.compile(node.operand)
            return ~truth(operand) if node.op == "!" else -operand
        if isinstance(node, ast.Call):
            spec = FUNCTIONS[node.name.upper()]
            if spec.kind == "aggregate" and not ctx.allow_aggregate:
                raise ctx.error(
                    f"{spec.name} is an aggregate function: use it in derive or set (over all rows, "
                    "or per group:) or in the aggregate transform",
                    node,
                )
            if spec.kind == "window" and not ctx.allow_window:
                raise ctx.error(
                    f"{spec.name} is a window function: it needs an order: parameter", node
                )
            args = [Arg(a, ctx) for a in node.args]
            return spec.fn(CallContext(ctx, node), args)
        if isinstance(node, ast.ArrayLit):
            return F.array(*[self.compile(i) for i in node.items])
        if isinstance(node, ast.Pattern | ast.Regex):
            raise ctx.error("a pattern is not a value here", node)
        if isinstance(node, ast.ColumnRange | ast.Star):
            raise ctx.error("a list of columns is not a value here", node)
        raise ctx.error(f"cannot compile {type(node).__name__}", node)
