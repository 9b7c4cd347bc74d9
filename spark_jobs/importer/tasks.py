"""One converter per task type: a package's task tree -> the Wrangle step the platform shows.

:data:`TASKS` is keyed by the platform's task type name (``Derive``, ``Pivot``, ...), as the
recipe registry is keyed by transform name, so "how is a Pivot task converted" has one answer:
the function registered for ``"Pivot"``. Each writes its parameters in the order the platform's
own recipes (the ``.wrangle`` downloads) and reference pages write them, and leaves out what the
platform leaves out: defaults (``matchAll: false``, ``sanitize: false``) and the names it
generated (``as`` of split, pivot, unnest ...), which the engine derives the same way.

A task type that is not registered, or a parameter a converter does not know, stops the import
with an error naming the task type, the recipe and the step (:meth:`TaskContext.error`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from spark_jobs.errors import FlowImportError
from spark_jobs.importer.package import Recipe, Step
from spark_jobs.importer.text import (
    ConversionError,
    Names,
    column_list,
    column_name,
    expression,
    literal,
    literal_list,
    string,
    value_list,
)
from spark_jobs.importer.values import (
    Array,
    Column,
    Constant,
    Matrix,
    Table,
    Task,
    Value,
    constant_text,
)


@dataclass(frozen=True)
class TaskContext:
    """What a converter sees: the task, where it is, and the names of the tables it may join."""

    recipe: Recipe
    step: Step
    #: ``table_<hash>`` -> the name of the flow's dataset loaded into it (join, lookup, union)
    tables: tuple[tuple[str, str], ...] = ()

    @property
    def task(self) -> Task:
        return self.step.task

    def error(self, reason: str) -> FlowImportError:
        return FlowImportError(
            f"recipe {self.recipe.name!r}, step {self.step.number} (task {self.task.type}): {reason}"
        )

    def get(self, name: str) -> Value | None:
        return self.task.get(name)

    def require(self, name: str) -> Value:
        value = self.task.get(name)
        if value is None:
            raise self.error(f"parameter {name!r} is missing")
        return value

    def table_name(self, value: Value | None) -> str:
        """The dataset a ``with:`` table stands for."""
        if not isinstance(value, Table):
            raise self.error("with: does not name a table")
        for table, dataset in self.tables:
            if table == value.name:
                return dataset
        raise self.error(
            f"table {value.name!r} is loaded from no input of the flow "
            "(no Load step of this recipe names it)"
        )

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.task.get(name)
        if isinstance(value, Constant):
            return value.value in (True, "true")
        return default


Converter = Callable[[TaskContext], "str | None"]
TASKS: dict[str, Converter] = {}


def task(name: str, *, params: Sequence[str] = ()) -> Callable[[Converter], Converter]:
    """Register the converter of the platform's task type ``name``. ``params`` are the task
    parameters it understands; any other one is an error (never silently dropped)."""

    def register(fn: Converter) -> Converter:
        if name in TASKS:
            raise ValueError(f"task type {name!r} is registered twice")
        known = frozenset(params)

        def convert(ctx: TaskContext) -> str | None:
            unknown = [p for p in ctx.task.names if p not in known]
            if unknown:
                raise ctx.error(f"parameter {unknown[0]!r} is not known for {name} tasks")
            try:
                return fn(ctx)
            except ConversionError as exc:
                raise ctx.error(str(exc)) from None

        convert.__doc__ = fn.__doc__
        TASKS[name] = convert
        return convert

    return register


def convert_step(ctx: TaskContext) -> str | None:
    """The Wrangle text of one step (``None`` for the hidden Load steps that wire inputs)."""
    converter = TASKS.get(ctx.task.type)
    if converter is None:
        raise ctx.error(
            f"task type {ctx.task.type!r} has no counterpart here "
            f"(known: {', '.join(sorted(TASKS))})"
        )
    return converter(ctx)


def step_text(transform: str, *params: tuple[str, str | None]) -> str:
    """``transform name: value name: value``; parameters whose text is ``None`` are left out."""
    parts = [transform]
    parts.extend(f"{name}: {text}" for name, text in params if text is not None)
    return " ".join(parts)


def _keyword(ctx: TaskContext, name: str) -> str | None:
    value = ctx.get(name)
    return None if value is None else literal(value)


def _optional_literal(ctx: TaskContext, name: str, *, skip: object = object()) -> str | None:
    value = ctx.get(name)
    if value is None:
        return None
    if isinstance(value, Constant) and value.value == skip:
        return None
    return literal(value)


def _expression(ctx: TaskContext, name: str, names: Names | None = None) -> str | None:
    value = ctx.get(name)
    if value is None:
        return None
    return expression(value, names) if names is not None else expression(value)


def _as_string(ctx: TaskContext, name: str = "as") -> str | None:
    value = ctx.get(name)
    if value is None:
        return None
    if isinstance(value, Array) and len(value.items) == 1:
        value = value.items[0]  # the one name the platform generated, kept as a list
    text = constant_text(value)
    if text is None:
        raise ctx.error(f"{name}: is not a name")
    return string(text)


# --- tasks ---------------------------------------------------------------------------------


@task("Load", params=("format", "location", "enableLineage", "as", "inputEncoding", "isSampleLoad"))
def load(ctx: TaskContext) -> str | None:
    """Reads the step's input (``portId://null``), a source (``id://<datasource>``) or another
    dataset of the flow (``portId://<n>``): the import wires these as the dataset's input and
    the join / lookup tables; no step of their own."""
    return None


@task("Comment", params=("comment",))
def comment(ctx: TaskContext) -> str:
    text = constant_text(ctx.require("comment")) or ""
    if "\n" in text or "\r" in text:
        return step_text("comment", ("comment", string(text)))
    return "//" + text


@task("Derive", params=("type", "value", "group", "order", "as"))
def derive(ctx: TaskContext) -> str:
    return step_text(
        "derive",
        ("type", _keyword(ctx, "type")),
        ("value", expression(ctx.require("value"))),
        ("group", column_list(ctx.get("group")) if ctx.get("group") else None),
        ("order", column_list(ctx.get("order")) if ctx.get("order") else None),
        ("as", _as_string(ctx)),
    )


@task("Set", params=("col", "value", "row", "group", "order"))
def set_(ctx: TaskContext) -> str:
    return step_text(
        "set",
        ("col", column_list(ctx.require("col"))),
        ("value", expression(ctx.require("value"))),
        ("row", _expression(ctx, "row")),
        ("group", column_list(ctx.get("group")) if ctx.get("group") else None),
        ("order", column_list(ctx.get("order")) if ctx.get("order") else None),
    )


@task("Drop", params=("col", "action", "table"))
def drop(ctx: TaskContext) -> str:
    return step_text(
        "drop", ("col", column_list(ctx.require("col"))), ("action", _keyword(ctx, "action"))
    )


@task("Filter", params=("type", "rowType", "row", "col", "action"))
def filter_(ctx: TaskContext) -> str:
    kind = _keyword(ctx, "type")
    if kind != "custom":
        raise ctx.error(f"filter type {kind!r} is not known (known: custom)")
    return step_text(
        "filter",
        ("type", kind),
        ("rowType", _keyword(ctx, "rowType")),
        ("row", expression(ctx.require("row"))),
        ("col", column_list(ctx.get("col")) if ctx.get("col") else None),
        ("action", _keyword(ctx, "action")),
    )


@task("Header", params=("as", "sanitize", "sourcerownumber"))
def header(ctx: TaskContext) -> str:
    """The names taken from the row are the platform's (``as`` / ``tableData``); the engine
    reads the same row, so only a non-default row or sanitizing is written."""
    return step_text(
        "header",
        ("sourcerownumber", _optional_literal(ctx, "sourcerownumber")),
        ("sanitize", "true" if ctx.flag("sanitize") else None),
    )


@task("SplitRows", params=("col", "on", "quote", "quoteEscapeChar"))
def splitrows(ctx: TaskContext) -> str:
    return step_text(
        "splitrows",
        ("col", column_list(ctx.require("col"))),
        ("on", literal(ctx.require("on"))),
        ("quote", _optional_literal(ctx, "quote")),
        ("quoteEscapeChar", _optional_literal(ctx, "quoteEscapeChar")),
    )


@task("Split", params=("col", "type", "on", "limit", "quote", "ignoreCase", "as"))
def split(ctx: TaskContext) -> str:
    return step_text(
        "split",
        ("type", _keyword(ctx, "type")),
        ("col", column_list(ctx.require("col"))),
        ("on", literal(ctx.require("on"))),
        ("limit", _optional_literal(ctx, "limit")),
        ("quote", _optional_literal(ctx, "quote")),
        ("ignoreCase", "true" if ctx.flag("ignoreCase") else None),
    )


@task("SplitPatterns", params=("col", "type", "on", "limit", "quote", "ignoreCase", "as"))
def splitpatterns(ctx: TaskContext) -> str:
    return step_text(
        "splitpatterns",
        ("col", column_list(ctx.require("col"))),
        ("type", _keyword(ctx, "type")),
        ("on", literal(ctx.require("on"))),
        ("limit", _optional_literal(ctx, "limit")),
        ("quote", _optional_literal(ctx, "quote")),
        ("ignoreCase", "true" if ctx.flag("ignoreCase") else None),
    )


@task("Replace", params=("col", "type", "on", "with", "global"))
def replace(ctx: TaskContext) -> str:
    kind = _keyword(ctx, "type")
    if kind not in (None, "on"):
        raise ctx.error(f"replace type {kind!r} is not known (known: on)")
    return step_text(
        "replace",
        ("col", column_list(ctx.require("col"))),
        ("with", literal(ctx.require("with"))),
        ("on", literal(ctx.require("on"))),
        ("global", "true" if ctx.flag("global") else None),
    )


@task("ReplacePatterns", params=("col", "with", "on", "global", "ignoreCase", "as"))
def replacepatterns(ctx: TaskContext) -> str:
    return step_text(
        "replacepatterns",
        ("col", column_list(ctx.require("col"))),
        ("with", literal(ctx.require("with"))),
        ("on", literal(ctx.require("on"))),
        ("global", "true" if ctx.flag("global") else None),
        ("ignoreCase", "true" if ctx.flag("ignoreCase") else None),
    )


@task(
    "Rename",
    params=(
        "type",
        "mapping",
        "col",
        "on",
        "with",
        "matchAll",
        "method",
        "sourcerownumbers",
        "separator",
        "filltype",
        "sanitize",
        "as",
    ),
)
def rename(ctx: TaskContext) -> str:
    kind = _keyword(ctx, "type")
    if kind == "manual":
        mapping = ctx.require("mapping")
        if not isinstance(mapping, Matrix) or not mapping.rows:
            raise ctx.error("mapping: is not a list of [column, 'new name'] pairs")
        pairs = []
        for row in mapping.rows:
            if len(row) != 2 or not isinstance(row[0], Column) or not isinstance(row[1], Constant):
                raise ctx.error("mapping: holds a pair that is not [column, 'new name']")
            pairs.append(f"[{column_name(row[0].name)},{string(str(row[1].value))}]")
        return step_text("rename", ("type", kind), ("mapping", ",".join(pairs)))
    if kind == "findAndReplace":
        return step_text(
            "rename",
            ("type", kind),
            ("col", column_list(ctx.require("col"))),
            ("on", literal(ctx.require("on"))),
            ("with", literal(ctx.require("with"))),
            ("matchAll", "true" if ctx.flag("matchAll") else None),
        )
    if kind == "header":
        return step_text(
            "rename",
            ("type", kind),
            ("method", _keyword(ctx, "method")),
            (
                "sourcerownumbers",
                literal_list(ctx.get("sourcerownumbers")) if ctx.get("sourcerownumbers") else None,
            ),
            ("separator", _optional_literal(ctx, "separator")),
            ("filltype", "true" if ctx.flag("filltype") else None),
            ("sanitize", "true" if ctx.flag("sanitize") else None),
        )
    raise ctx.error(f"rename type {kind!r} is not known (known: manual, findAndReplace, header)")


@task("SetType", params=("col", "type"))
def settype(ctx: TaskContext) -> str:
    return step_text(
        "settype", ("col", column_list(ctx.require("col"))), ("type", literal(ctx.require("type")))
    )


@task("TextFormat", params=("col", "type"))
def textformat(ctx: TaskContext) -> str:
    return step_text(
        "textformat",
        ("col", column_list(ctx.require("col"))),
        ("type", literal(ctx.require("type"))),
    )


@task("DateFormat", params=("col", "type", "format"))
def dateformat(ctx: TaskContext) -> str:
    return step_text(
        "dateformat",
        ("col", column_list(ctx.require("col"))),
        ("type", _keyword(ctx, "type")),
        ("format", _optional_literal(ctx, "format")),
    )


@task("Merge", params=("col", "with", "as"))
def merge(ctx: TaskContext) -> str:
    return step_text(
        "merge",
        ("col", column_list(ctx.require("col"))),
        ("with", _optional_literal(ctx, "with")),
        ("as", _as_string(ctx)),
    )


@task("Nest", params=("col", "into", "as"))
def nest(ctx: TaskContext) -> str:
    return step_text(
        "nest",
        ("col", column_list(ctx.require("col"))),
        ("into", literal(ctx.require("into"))),
        ("as", _as_string(ctx)),
    )


@task("Unnest", params=("col", "keys", "pluck", "markLineage", "as"))
def unnest(ctx: TaskContext) -> str:
    return step_text(
        "unnest",
        ("col", column_list(ctx.require("col"))),
        ("keys", literal_list(ctx.require("keys"))),
        ("pluck", "true" if ctx.flag("pluck") else "false"),
        ("markLineage", "true" if ctx.flag("markLineage") else "false"),
    )


@task("Flatten", params=("col",))
def flatten(ctx: TaskContext) -> str:
    return step_text("flatten", ("col", column_list(ctx.require("col"))))


@task("ExtractList", params=("col", "on", "delimiter", "quote", "as"))
def extractlist(ctx: TaskContext) -> str:
    return step_text(
        "extractlist",
        ("col", column_list(ctx.require("col"))),
        ("on", literal(ctx.require("on"))),
        ("delimiter", _optional_literal(ctx, "delimiter")),
        ("quote", _optional_literal(ctx, "quote")),
        ("as", _as_string(ctx)),
    )


@task("ExtractPatterns", params=("col", "type", "on", "ignoreCase", "as"))
def extractpatterns(ctx: TaskContext) -> str:
    return step_text(
        "extractpatterns",
        ("type", _keyword(ctx, "type")),
        ("col", column_list(ctx.require("col"))),
        ("on", literal(ctx.require("on"))),
        ("ignoreCase", "true" if ctx.flag("ignoreCase") else None),
        ("as", _as_string(ctx)),
    )


@task("ExtractBetweenDelimiters", params=("col", "start", "end", "as"))
def extractbetweendelimiters(ctx: TaskContext) -> str:
    return step_text(
        "extractbetweendelimiters",
        ("col", column_list(ctx.require("col"))),
        ("start", literal(ctx.require("start"))),
        ("end", literal(ctx.require("end"))),
        ("as", _as_string(ctx)),
    )


@task("ConvertPattern", params=("col", "cases", "before", "after"))
def convertpattern(ctx: TaskContext) -> str:
    cases = ctx.require("cases")
    if not isinstance(cases, Array):
        raise ctx.error("cases: is not a list of [pattern, replacement] pairs")
    pairs = []
    for case in cases.items:
        if not isinstance(case, Array) or len(case.items) != 2:
            raise ctx.error("cases: holds an entry that is not [pattern, replacement]")
        pairs.append("[" + ",".join(literal(v) for v in case.items) + "]")
    return step_text(
        "convertpattern",
        ("col", column_list(ctx.require("col"))),
        ("cases", ",".join(pairs)),
        ("before", _optional_literal(ctx, "before", skip="")),
        ("after", _optional_literal(ctx, "after", skip="")),
    )


@task("ColumnByExample", params=("columns", "exampleMappingId", "value", "as"))
def columnbyexample(ctx: TaskContext) -> str:
    """A column made from examples (its source ``columns`` and the examples stay on the
    platform): the formula the platform derived from them is what runs."""
    return step_text(
        "derive",
        ("type", "single"),
        ("value", expression(ctx.require("value"))),
        ("as", _as_string(ctx)),
    )


@task("Select", params=("values",))
def select(ctx: TaskContext) -> str:
    values = ctx.require("values")
    if not isinstance(values, Matrix) or not values.rows:
        raise ctx.error("values: is not a list of [expression, 'name'] pairs")
    pairs = []
    for row in values.rows:
        if len(row) != 2 or not isinstance(row[1], Constant):
            raise ctx.error("values: holds a pair that is not [expression, 'name']")
        pairs.append(f"[{expression(row[0])},{string(str(row[1].value))}]")
    return step_text("select", ("values", ",".join(pairs)))


@task("GroupBy", params=("group", "value", "type", "as"))
def groupby(ctx: TaskContext) -> str:
    return step_text(
        "groupby",
        ("group", column_list(ctx.get("group")) if ctx.get("group") else None),
        ("value", value_list(ctx.require("value"))),
        ("type", _keyword(ctx, "type")),
    )


@task("Pivot", params=("col", "group", "value", "limit", "as"))
def pivot(ctx: TaskContext) -> str:
    return step_text(
        "pivot",
        ("col", column_list(ctx.get("col")) if ctx.get("col") else None),
        ("group", column_list(ctx.get("group")) if ctx.get("group") else None),
        ("value", value_list(ctx.require("value"))),
        ("limit", _optional_literal(ctx, "limit")),
    )


@task("Unpivot", params=("col", "groupEvery", "as"))
def unpivot(ctx: TaskContext) -> str:
    return step_text(
        "unpivot",
        ("col", column_list(ctx.require("col"))),
        ("groupEvery", _optional_literal(ctx, "groupEvery")),
    )


def _join_names(ctx: TaskContext) -> Names:
    current = ctx.require("table")
    other = ctx.require("with")
    if not isinstance(current, Table) or not isinstance(other, Table):
        raise ctx.error("table: and with: do not name tables")
    return Names(current=current.name, tables=((other.name, ctx.table_name(other)),))


@task("Join", params=("with", "table", "type", "col", "row", "as"))
def join(ctx: TaskContext) -> str:
    names = _join_names(ctx)
    cols = ctx.require("col")
    outputs = ctx.require("as")
    if (
        not isinstance(cols, Array)
        or not isinstance(outputs, Array)
        or len(cols.items) != len(outputs.items)
    ):
        raise ctx.error("col: and as: must list as many columns")
    pairs = []
    for out, source in zip(outputs.items, cols.items, strict=True):
        out_name = constant_text(out)
        if out_name is None or not isinstance(source, Column):
            raise ctx.error("col: holds something that is not a column of either table")
        pairs.append(f"{column_name(out_name)} = {names.qualify(source)}")
    return step_text(
        "join",
        ("with", ctx.table_name(ctx.get("with"))),
        ("col", ", ".join(pairs)),
        ("row", _expression(ctx, "row", names)),
        ("type", _keyword(ctx, "type")),
    )


@task("Lookup", params=("with", "table", "col", "key", "as"))
def lookup(ctx: TaskContext) -> str:
    """The column looked up belongs to the current dataset and the key to the other, whatever
    intermediate table the package names for them."""
    _join_names(ctx)  # both tables must be known
    col, key = ctx.require("col"), ctx.require("key")
    if not isinstance(col, Column) or not isinstance(key, Column):
        raise ctx.error("col: and key: are single columns")
    other = ctx.table_name(ctx.get("with"))
    return step_text(
        "lookup",
        ("with", other),
        ("col", "current_dataset." + column_name(col.name)),
        ("key", other + "." + column_name(key.name)),
    )
