"""The contract between the engine and the families: what a transform and a function see.

A transform receives a :class:`StepContext` (the DataFrame, the step, helpers to read its
parameters as columns, expressions or literals); a function receives a :class:`CallContext` and
its arguments as :class:`Arg` objects. Families import from here, never from the compiler,
which is the engine behind ``StepContext.compile`` (CDAP Wrangler keeps its directive API
apart from its executor the same way).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import WindowSpec

from spark_jobs import metadata_columns
from spark_jobs.errors import RecipeError, SourceLocation
from spark_jobs.recipe import ast
from spark_jobs.recipe.patterns import PatternError, pattern_to_regex, regex_flags
from spark_jobs.recipe.types import WrangleType, column_type

#: how the engine compiles an expression node of a step to a Column
ExpressionCompiler = Callable[["StepContext", ast.Expr], Column]


def quoted(name: str) -> Column:
    """A column by its exact name (dots, spaces and backticks included)."""
    return F.col("`" + name.replace("`", "``") + "`")


def truth(value: Column) -> Column:
    """A value as a test (``&&``, ``||``, ``!``, AND, OR, NOT, XOR, IF): a boolean as it is (the
    optimizer drops the no-op cast); a number is true when it is not 0, as the platform reads
    ``IF(ARRAYLEN(a) || ARRAYLEN(b), ...)``; a text is true or false when it reads as one
    (true/false, yes/no, y/n, t/f, 1/0), else missing."""
    return value.cast(T.BooleanType())


def visible_columns(df: DataFrame) -> list[str]:
    return [c for c in df.columns if not metadata_columns.is_hidden(c)]


@dataclass
class StepContext:
    """What a transform sees: the input DataFrame, its step and helpers bound to both."""

    df: DataFrame
    step: ast.Step
    resolve: Callable[[ast.DatasetReference], DataFrame]
    dataset: str
    #: compiles an expression of this step to a Column (the engine's :mod:`.compiler`)
    compiler: ExpressionCompiler
    #: the column ``$col`` stands for while a multi-column value is compiled
    current: str | None = None
    #: whether aggregate / window functions may appear (transforms that group or order rows)
    allow_aggregate: bool = False
    allow_window: bool = False
    #: the window of ``group:`` / ``order:`` (ordered) and of ``group:`` alone (unordered)
    window_spec: WindowSpec | None = None
    window_unordered: WindowSpec | None = None
    fields: dict[str, T.StructField] = field(init=False)

    def __post_init__(self) -> None:
        self.fields = {f.name: f for f in self.df.schema.fields}

    # --- errors ---------------------------------------------------------------------------
    def error(self, reason: str, node: Any = None, suggestions: Sequence[str] = ()) -> RecipeError:
        pos = getattr(node, "pos", None) or self.step.pos
        return RecipeError(
            reason,
            SourceLocation(self.step.number, pos.line, pos.column, self.step.text),
            suggestions=suggestions,
        )

    # --- parameters -----------------------------------------------------------------------
    def has(self, name: str) -> bool:
        return self.step.param(name) is not None

    def values(self, name: str) -> tuple[ast.Expr, ...]:
        p = self.step.param(name)
        return p.values if p else ()

    def node(self, name: str) -> ast.Expr:
        p = self.step.param(name)
        if p is None:
            raise self.error(f"transform {self.step.transform!r} needs parameter {name!r}")
        if len(p.values) != 1:
            raise self.error(f"parameter {name!r} takes one value, got {len(p.values)}", p)
        return p.values[0]

    def literal(self, name: str, default: Any = None) -> Any:
        """A parameter's value as a Python value: a string, number, boolean or a bare word."""
        p = self.step.param(name)
        if p is None:
            return default
        return self.literal_of(self.node(name))

    def literal_of(self, node: ast.Expr) -> Any:
        if isinstance(node, ast.StringLit | ast.BoolLit):
            return node.value
        if isinstance(node, ast.NumberLit):
            return node.value
        if isinstance(node, ast.NullLit):
            return None
        if isinstance(node, ast.ColumnRef):
            return node.name
        if (
            isinstance(node, ast.UnaryOp)
            and node.op == "-"
            and isinstance(node.operand, ast.NumberLit)
        ):
            return -node.operand.value
        raise self.error("expected a literal value", node)

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.literal(name, default)
        return None if value is None else str(value)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.literal(name, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.error(f"parameter {name!r} takes true or false", self.step.param(name))

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.literal(name, default)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise self.error(f"parameter {name!r} takes a whole number", self.step.param(name))

    # --- columns --------------------------------------------------------------------------
    def resolve_name(self, ref: ast.ColumnRef) -> str:
        """The DataFrame column a reference names (exact, else the only case-insensitive match)."""
        if ref.is_metadata:
            hidden = metadata_columns.BY_WRANGLE_NAME[ref.name.lower()]
            if hidden not in self.fields:
                raise self.error(f"{ref.name} is not available for this dataset", ref)
            return hidden
        if ref.is_current:
            if self.current is None:
                raise self.error("$col is only meaningful with a col: parameter", ref)
            return self.current
        if ref.name in self.fields:
            return ref.name
        folded = [c for c in self.fields if c.lower() == ref.name.lower()]
        if len(folded) == 1:
            return folded[0]
        visible = visible_columns(self.df)
        raise self.error(
            f"unknown column {ref.name!r}",
            ref,
            [m for m in difflib.get_close_matches(ref.name, visible, n=2, cutoff=0.6)],
        )

    def column_names(self, name: str) -> list[str]:
        """The columns a ``col:``-like parameter lists (names, ``a~c`` ranges, ``*``)."""
        return self.names_of(self.values(name))

    def names_of(self, nodes: Sequence[ast.Expr]) -> list[str]:
        out: list[str] = []
        for node in nodes:
            if isinstance(node, ast.ColumnRef):
                out.append(self.resolve_name(node))
            elif isinstance(node, ast.StringLit):
                out.append(self.resolve_name(ast.ColumnRef(node.value, pos=node.pos)))
            elif isinstance(node, ast.ColumnRange):
                visible = visible_columns(self.df)
                start = self.resolve_name(node.start)
                end = self.resolve_name(node.end)
                i, j = visible.index(start), visible.index(end)
                out.extend(visible[min(i, j) : max(i, j) + 1])
            elif isinstance(node, ast.Star):
                out.extend(visible_columns(self.df))
            elif isinstance(node, ast.ArrayLit):
                out.extend(self.names_of(node.items))
            else:
                raise self.error("expected column names", node)
        return list(dict.fromkeys(out))

    def new_name(self, name: str = "as", default: str | None = None) -> str:
        value = self.literal(name, default)
        if value is None or str(value) == "":
            raise self.error(f"parameter {name!r} needs a column name", self.step.param(name))
        return str(value)

    # --- expressions ----------------------------------------------------------------------
    def expr(self, name: str) -> Column:
        return self.compile(self.node(name))

    def compile(self, node: ast.Expr) -> Column:
        return self.compiler(self, node)

    def over(self, df: DataFrame) -> StepContext:
        """A context for the same step over another DataFrame (a joined dataset's columns)."""
        return StepContext(
            df=df,
            step=self.step,
            resolve=self.resolve,
            dataset=self.dataset,
            compiler=self.compiler,
        )

    @contextmanager
    def for_column(self, name: str) -> Iterator[StepContext]:
        previous, self.current = self.current, name
        try:
            yield self
        finally:
            self.current = previous

    def wtype(self, column: str) -> WrangleType:
        return column_type(self.fields[column])

    def referenced_columns(self, node: ast.Expr) -> list[str]:
        """Columns an expression reads, in the dataset's order."""
        names = set()
        for n in ast.walk(node):
            if isinstance(n, ast.ColumnRef) and not n.is_metadata:
                try:
                    names.add(self.resolve_name(n))
                except RecipeError:
                    # a bare word that is no column (a unit such as DATEDIF's month); the
                    # compiled expression has already rejected real unknown columns
                    continue
        return [c for c in self.df.columns if c in names]

    def place_after(self, df: DataFrame, new: str, anchor: str | None) -> DataFrame:
        """``df`` with its (last) column ``new`` moved right after ``anchor``."""
        if anchor is None or anchor not in df.columns or anchor == new:
            return df
        cols = [c for c in df.columns if c != new]
        cols.insert(cols.index(anchor) + 1, new)
        return df.select(*[quoted(c) for c in cols])


@dataclass
class Arg:
    """One argument of a function call, compiled on demand."""

    node: ast.Expr
    ctx: StepContext

    @property
    def value(self) -> Column:
        """The value typed by its Wrangle type (an Integer column as a bigint, ...)."""
        return self.ctx.compile(self.node)

    @property
    def raw(self) -> Column:
        """The value as stored: a column's text, whatever its Wrangle type."""
        if isinstance(self.node, ast.ColumnRef):
            return quoted(self.ctx.resolve_name(self.node))
        return self.value

    @property
    def is_literal(self) -> bool:
        return isinstance(self.node, ast.LITERALS) or (
            isinstance(self.node, ast.UnaryOp)
            and self.node.op == "-"
            and isinstance(self.node.operand, ast.NumberLit)
        )

    @property
    def literal(self) -> Any:
        if not self.is_literal:
            raise self.ctx.error("expected a literal value here", self.node)
        return self.ctx.literal_of(self.node)

    @property
    def wtype(self) -> WrangleType | None:
        if isinstance(self.node, ast.ColumnRef):
            return self.ctx.wtype(self.ctx.resolve_name(self.node))
        return None

    @property
    def column_name(self) -> str:
        if not isinstance(self.node, ast.ColumnRef):
            raise self.ctx.error("expected a column", self.node)
        return self.ctx.resolve_name(self.node)

    @property
    def columns(self) -> list[Column]:
        """A ``[a, b]`` list, a range or a single value, as raw columns; literals in the list
        are values (the reference's ``merge(['Hello,','World'],' ')``)."""
        if isinstance(self.node, ast.ArrayLit):
            out: list[Column] = []
            for item in self.node.items:
                if isinstance(item, ast.LITERALS):
                    out.append(F.lit(self.ctx.literal_of(item)))
                else:
                    out.extend(quoted(n) for n in self.ctx.names_of([item]))
            return out
        if isinstance(self.node, ast.ColumnRange | ast.Star):
            return [quoted(n) for n in self.ctx.names_of([self.node])]
        return [self.raw]

    @property
    def regex(self) -> str:
        """A pattern, ``/regex/`` or quoted string (matched literally) as a Java regex."""
        return regex_of(self.ctx, self.node)


def regex_of(ctx: StepContext, node: ast.Expr) -> str:
    if isinstance(node, ast.Pattern):
        return pattern_to_regex(node.text)
    if isinstance(node, ast.ColumnRef) and node.quoted:
        # a backtick text without a pattern class (`"`, `\}\}`) where a pattern is expected: the
        # platform reads it as a pattern of literal characters, not as a column
        try:
            return pattern_to_regex(node.name)
        except PatternError as exc:
            raise ctx.error(f"bad pattern: {exc}", node) from None
    if isinstance(node, ast.Regex):
        return regex_flags(node.flags) + node.pattern
    if isinstance(node, ast.StringLit):
        return re.escape(node.value)
    if isinstance(node, ast.NumberLit):
        return re.escape(node.text)
    raise ctx.error("expected a `pattern`, /regular expression/ or 'string'", node)


@dataclass
class CallContext:
    ctx: StepContext
    call: ast.Call

    def error(self, reason: str, arg: Arg | None = None) -> RecipeError:
        return self.ctx.error(f"{self.call.name.upper()}: {reason}", arg.node if arg else self.call)
