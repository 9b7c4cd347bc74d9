"""The values of a flow package's task trees, typed once when the package is read.

A step of a recipe is stored as a JSON tree, not as Wrangle text::

    {"kind": "task", "type": "Derive", "parameters": {
        "type": {"kind": "bundle", "type": "Bundle", "value": "single"},
        "value": {"kind": "func", "type": "DateAdd", "parameters": {
            "col": {"kind": "column", "type": "Column", "value": "Dates", "relation": null},
            "delta": {"kind": "constant", "type": "Integer", "value": 1},
            "measure": {"kind": "enumerable", "type": "Enumerable", "value": "month"}}},
        "as": {"kind": "constant", "type": "String", "value": "Date plus 1 month"}}}

Every node kind seen in the platform's packages has one class here; anything else is an error
naming where it is, so a converter never meets an untyped dictionary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from spark_jobs.errors import FlowImportError


@dataclass(frozen=True)
class Constant:
    """A literal: ``type`` is the platform's (String, Integer, Float, Bool, Pattern, Regex)."""

    type: str
    value: Any


@dataclass(frozen=True)
class Column:
    """A column; ``relation`` names the table it belongs to in a join or lookup (``table_<hash>``)."""

    name: str
    relation: str | None = None


@dataclass(frozen=True)
class AllColumns:
    """``*``: every column."""


@dataclass(frozen=True)
class ColumnRange:
    """``first~last``: the columns from ``first`` to ``last``."""

    start: str
    end: str


@dataclass(frozen=True)
class Keyword:
    """An enumerable or bundle value, written bare (``day``, ``uppercase``, ``Keep``)."""

    value: str


@dataclass(frozen=True)
class Variable:
    """``$col`` (the current column of a multi-column step) or a flow parameter ``$name``."""

    name: str


@dataclass(frozen=True)
class Table:
    """A table inside a recipe (``table_<hash>``): the current data or one loaded from a port."""

    name: str


@dataclass(frozen=True)
class Array:
    items: tuple[Value, ...] = ()


@dataclass(frozen=True)
class Matrix:
    rows: tuple[tuple[Value, ...], ...] = ()


@dataclass(frozen=True)
class Func:
    """A function or operator call; ``params`` keep the package's names (``lhs``, ``col`` ...)."""

    type: str
    params: tuple[tuple[str, Value], ...] = ()

    def get(self, name: str) -> Value | None:
        return dict(self.params).get(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.params)


Value = Union[  # noqa: UP007 - a runtime alias used in isinstance-free signatures
    Constant, Column, AllColumns, ColumnRange, Keyword, Variable, Table, Array, Matrix, Func
]


@dataclass(frozen=True)
class Task:
    """One step's task: its type (``Derive``, ``Join`` ...) and typed parameters."""

    type: str
    params: tuple[tuple[str, Value], ...] = ()
    output_name: str | None = None
    hidden: bool = False
    annotations: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def get(self, name: str) -> Value | None:
        return dict(self.params).get(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.params)


def read_task(raw: Any, where: str) -> Task:
    """The task of one step (``where`` names it in errors: recipe and step)."""
    if not isinstance(raw, Mapping) or raw.get("kind") != "task" or not raw.get("type"):
        raise FlowImportError(f"{where}: not a task (expected {{'kind': 'task', 'type': ...}})")
    params = raw.get("parameters") or {}
    if not isinstance(params, Mapping):
        raise FlowImportError(
            f"{where}: task {raw['type']!r} has parameters that are not an object"
        )
    annotations = raw.get("annotations") or {}
    return Task(
        type=str(raw["type"]),
        params=tuple(
            (str(k), read_value(v, f"{where}, {raw['type']}.{k}")) for k, v in params.items()
        ),
        output_name=raw.get("outputName"),
        hidden=bool(isinstance(annotations, Mapping) and annotations.get("hidden")),
        annotations=annotations if isinstance(annotations, Mapping) else {},
    )


def read_value(raw: Any, where: str) -> Value:
    """One node of a task tree, by its ``kind`` (and ``type`` where a kind has several)."""
    if not isinstance(raw, Mapping):
        raise FlowImportError(f"{where}: expected a value object, found {type(raw).__name__}")
    kind = raw.get("kind")
    vtype = raw.get("type")
    value = raw.get("value")
    if kind == "constant":
        return Constant(str(vtype), value)
    if kind == "column":
        if vtype == "Wildcard":
            return AllColumns()
        if vtype == "ColumnRange":
            if not (isinstance(value, list) and len(value) == 2):
                raise FlowImportError(f"{where}: a column range holds two names, found {value!r}")
            return ColumnRange(str(value[0]), str(value[1]))
        return Column(str(value), raw.get("relation"))
    if kind in ("enumerable", "bundle"):
        return Keyword(str(value))
    if kind == "variable":
        return Variable(str(value))
    if kind == "table":
        return Table(str(value))
    if kind == "array":
        items = value if isinstance(value, list) else []
        return Array(tuple(read_value(v, f"{where}[{i}]") for i, v in enumerate(items)))
    if kind == "matrix":
        rows = value if isinstance(value, list) else []
        return Matrix(tuple(_matrix_row(row, f"{where}[{i}]") for i, row in enumerate(rows)))
    if kind == "func":
        params = raw.get("parameters") or {}
        return Func(
            str(vtype),
            tuple((str(k), read_value(v, f"{where}.{vtype}.{k}")) for k, v in params.items()),
        )
    raise FlowImportError(f"{where}: unknown value kind {kind!r} (type {vtype!r})")


def _matrix_row(raw: Any, where: str) -> tuple[Value, ...]:
    row = (
        read_value(raw, where)
        if isinstance(raw, Mapping)
        else Array(tuple(read_value(v, f"{where}[{i}]") for i, v in enumerate(raw or [])))
    )
    if not isinstance(row, Array):
        raise FlowImportError(f"{where}: a matrix row is an array")
    return row.items


def constant_text(value: Value | None, default: str | None = None) -> str | None:
    """The text of a constant or keyword parameter (``None`` when absent)."""
    if isinstance(value, Constant):
        return None if value.value is None else str(value.value)
    if isinstance(value, Keyword):
        return value.value
    return default


def string_list(value: Value | None) -> list[str]:
    """An array of string constants (``as`` lists of generated column names)."""
    if isinstance(value, Array):
        return [str(v.value) for v in value.items if isinstance(v, Constant)]
    if isinstance(value, Constant) and value.value is not None:
        return [str(value.value)]
    return []
