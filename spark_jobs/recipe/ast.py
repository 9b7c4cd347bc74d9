"""The typed syntax tree of a Wrangle step, and its printer (the inverse of the parser).

Every node carries its position inside the step (``line``, ``column``, 1-based) for error
messages; positions take no part in equality, so ``parse(print(step)) == step``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class Pos:
    line: int = 1
    column: int = 1


NOWHERE = Pos()


@dataclass(frozen=True)
class StringLit:
    value: str
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class NumberLit:
    text: str
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)

    @property
    def value(self) -> int | float:
        try:
            return int(self.text)
        except ValueError:
            return float(self.text)


@dataclass(frozen=True)
class BoolLit:
    value: bool
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class NullLit:
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class ColumnRef:
    """A column: a bare name, ``{Column Name}`` or a backtick-quoted name (``quoted``), ``$col``
    or ``$filepath`` / ``$sourcerownumber``. In join / lookup / union a column may be qualified
    by the dataset it belongs to (``current_dataset.id``, ``Orders.csv.id``): ``dataset``."""

    name: str
    quoted: bool = False
    dataset: str | None = None
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)

    @property
    def is_metadata(self) -> bool:
        return self.name.lower() in ("$filepath", "$sourcerownumber")

    @property
    def is_current(self) -> bool:
        return self.name.lower() == "$col"


@dataclass(frozen=True)
class Pattern:
    """A platform pattern between backticks, such as ``{digit}{3}-{alpha}+``."""

    text: str
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class Regex:
    pattern: str
    flags: str = ""
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...] = ()
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class BinaryOp:
    op: str
    left: Expr
    right: Expr
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class UnaryOp:
    op: str
    operand: Expr
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class ArrayLit:
    """``[a, b, c]``: a column list inside a function call, or an array of literals."""

    items: tuple[Expr, ...] = ()
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class ObjectEntry:
    """``'key': value, value ...`` inside an object literal."""

    key: str
    values: tuple[Expr, ...] = ()
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class ObjectLit:
    """``{'as': 'Company', 'sources': a, b}``: union's ``mapping:`` entries."""

    entries: tuple[ObjectEntry, ...] = ()
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)

    def get(self, key: str) -> tuple[Expr, ...] | None:
        for entry in self.entries:
            if entry.key.lower() == key.lower():
                return entry.values
        return None


@dataclass(frozen=True)
class ColumnRange:
    """``first~last``: every column from ``first`` to ``last`` in the dataset's order."""

    start: ColumnRef
    end: ColumnRef
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class Star:
    """``*``: every column."""

    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)


Expr = Union[  # noqa: UP007 - used at runtime by isinstance-free code and the printer
    StringLit,
    NumberLit,
    BoolLit,
    NullLit,
    ColumnRef,
    Pattern,
    Regex,
    Call,
    BinaryOp,
    UnaryOp,
    ArrayLit,
    ObjectLit,
    ColumnRange,
    Star,
]
LITERALS = (StringLit, NumberLit, BoolLit, NullLit)


@dataclass(frozen=True)
class Param:
    name: str
    values: tuple[Expr, ...]
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class Step:
    """One step of a recipe: ``transform`` with its parameters, as written at position ``number``."""

    transform: str
    params: tuple[Param, ...] = ()
    number: int = field(default=1, compare=False)
    text: str = field(default="", compare=False)
    pos: Pos = field(default=NOWHERE, compare=False, kw_only=True)

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name.lower() == name.lower():
                return p
        return None

    def walk(self) -> Iterator[Expr]:
        for p in self.params:
            for v in p.values:
                yield from walk(v)


def children(node: Expr) -> tuple[Expr, ...]:
    """The nodes right below ``node``, in the order they are written."""
    if isinstance(node, Call):
        return node.args
    if isinstance(node, BinaryOp):
        return (node.left, node.right)
    if isinstance(node, UnaryOp):
        return (node.operand,)
    if isinstance(node, ArrayLit):
        return node.items
    if isinstance(node, ObjectLit):
        return tuple(v for e in node.entries for v in e.values)
    if isinstance(node, ColumnRange):
        return (node.start, node.end)
    return ()


def walk(node: Expr) -> Iterator[Expr]:
    """``node`` and every node below it, in written order (iterative: any depth)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def depth(node: Expr) -> int:
    """How deeply ``node`` nests (a leaf is 1)."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((c, level + 1) for c in children(current))
    return deepest


def transform(node: Expr, fn: Callable[[Expr], Expr]) -> Expr:
    """``node`` rebuilt bottom-up, each node passed through ``fn`` (positions kept)."""
    if isinstance(node, Call):
        node = Call(node.name, tuple(transform(a, fn) for a in node.args), pos=node.pos)
    elif isinstance(node, BinaryOp):
        node = BinaryOp(node.op, transform(node.left, fn), transform(node.right, fn), pos=node.pos)
    elif isinstance(node, UnaryOp):
        node = UnaryOp(node.op, transform(node.operand, fn), pos=node.pos)
    elif isinstance(node, ArrayLit):
        node = ArrayLit(tuple(transform(i, fn) for i in node.items), pos=node.pos)
    elif isinstance(node, ObjectLit):
        entries = tuple(
            ObjectEntry(e.key, tuple(transform(v, fn) for v in e.values), pos=e.pos)
            for e in node.entries
        )
        node = ObjectLit(entries, pos=node.pos)
    return fn(node)


# --- printer ---------------------------------------------------------------------------------

#: binding strength of each binary operator (higher binds tighter)
PRECEDENCE: dict[str, int] = {
    "||": 1,
    "&&": 2,
    "==": 4,
    "!=": 4,
    "<>": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
}
NOT_PRECEDENCE = 3
NEG_PRECEDENCE = 7


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


_PATTERN_CLASS = re.compile(r"\{[A-Za-z][A-Za-z-]*\}")
_IDENTIFIER = re.compile(r"\$?[^\W\d]\w*")


def _quoted_name(name: str) -> str:
    """A name the parser reads back as exactly ``name``: in backticks, or in braces when the
    backtick form would read as a pattern (a body with a ``{class}`` token)."""
    if _PATTERN_CLASS.search(name) and not re.search(r"[{}\n]", name):
        return "{" + name + "}"
    return "`" + name.replace("`", "``") + "`"


def _name(ref: ColumnRef) -> str:
    text = _quoted_name(ref.name) if ref.quoted else ref.name
    if ref.dataset is None:
        return text
    qualifier = ref.dataset
    if not _IDENTIFIER.fullmatch(qualifier):
        qualifier = "`" + qualifier.replace("`", "``") + "`"
    return f"{qualifier}.{text}"


def print_expr(node: Expr, parent: int = 0) -> str:
    if isinstance(node, StringLit):
        return _quote(node.value)
    if isinstance(node, NumberLit):
        return node.text
    if isinstance(node, BoolLit):
        return "true" if node.value else "false"
    if isinstance(node, NullLit):
        return "null"
    if isinstance(node, ColumnRef):
        return _name(node)
    if isinstance(node, Pattern):
        return "`" + node.text + "`"
    if isinstance(node, Regex):
        return "/" + node.pattern + "/" + node.flags
    if isinstance(node, Call):
        return node.name + "(" + ", ".join(print_expr(a) for a in node.args) + ")"
    if isinstance(node, ArrayLit):
        return "[" + ", ".join(print_expr(a) for a in node.items) + "]"
    if isinstance(node, ObjectLit):
        entries = (
            _quote(e.key) + ": " + ", ".join(print_expr(v) for v in e.values) for e in node.entries
        )
        return "{" + ", ".join(entries) + "}"
    if isinstance(node, ColumnRange):
        return _name(node.start) + "~" + _name(node.end)
    if isinstance(node, Star):
        return "*"
    if isinstance(node, UnaryOp):
        strength = NOT_PRECEDENCE if node.op == "!" else NEG_PRECEDENCE
        text = node.op + print_expr(node.operand, strength)
        return f"({text})" if strength < parent else text
    if isinstance(node, BinaryOp):
        strength = PRECEDENCE[node.op]
        # operators are left-associative: a right operand of equal strength needs parentheses
        text = f"{print_expr(node.left, strength)} {node.op} {print_expr(node.right, strength + 1)}"
        return f"({text})" if strength < parent else text
    raise TypeError(f"not a Wrangle expression: {node!r}")


def print_step(step: Step) -> str:
    parts = [step.transform]
    for p in step.params:
        parts.append(f"{p.name}: " + ", ".join(print_expr(v) for v in p.values))
    return " ".join(parts)


@dataclass(frozen=True)
class DatasetReference:
    """Another dataset of the flow a step reads (union / join / lookup): by name or by id."""

    name: str | None
    id: int | None
    step: int


def dataset_references(node: Expr, step: int) -> list[DatasetReference]:
    """The datasets of the flow a ``with:`` value names: by name, `quoted name` or id."""
    if isinstance(node, ArrayLit):
        return [r for item in node.items for r in dataset_references(item, step)]
    if isinstance(node, NumberLit) and isinstance(node.value, int):
        return [DatasetReference(name=None, id=node.value, step=step)]
    if isinstance(node, ColumnRef):
        return [DatasetReference(name=node.name, id=None, step=step)]
    if isinstance(node, StringLit):
        return [DatasetReference(name=node.value, id=None, step=step)]
    return []
