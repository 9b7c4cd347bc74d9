"""Column transforms: derive, set, rename, drop, move, settype, merge."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs import metadata_columns
from spark_jobs.recipe import ast
from spark_jobs.recipe.context import StepContext, quoted, visible_columns
from spark_jobs.recipe.registry import transform
from spark_jobs.recipe.types import WrangleType, with_type


def _unused_name(df: DataFrame, base: str = "column") -> str:
    n = 1
    while f"{base}{n}" in df.columns:
        n += 1
    return f"{base}{n}"


def window_for(ctx: StepContext, whole_dataset: bool = False) -> None:
    """Enable aggregate / window functions when the step has ``group:`` and / or ``order:``.

    With ``whole_dataset`` (derive, set) an aggregate without ``group:`` is computed over all
    rows, as the reference's Set Transform says of ``IF ($col == 0, AVERAGE($col), $col)``."""
    group = [quoted(c) for c in ctx.column_names("group")] if ctx.has("group") else []
    order = sort_columns(ctx, "order") if ctx.has("order") else []
    if not group and not order:
        if whole_dataset:
            ctx.window_unordered = Window.partitionBy()
            ctx.allow_aggregate = True
        return
    spec = Window.partitionBy(*group) if group else Window.partitionBy()
    ctx.window_spec = spec.orderBy(*order) if order else spec
    ctx.window_unordered = spec
    ctx.allow_aggregate = True
    ctx.allow_window = bool(order)


def sort_columns(ctx: StepContext, name: str) -> list[Column]:
    """``order: a, -b``: each a column (descending with a leading minus) or an expression."""
    out: list[Column] = []
    for node in ctx.values(name):
        descending = isinstance(node, ast.UnaryOp) and node.op == "-"
        target = node.operand if isinstance(node, ast.UnaryOp) and descending else node
        if isinstance(target, ast.StringLit):
            target = ast.ColumnRef(target.value, pos=target.pos)
        column = ctx.compile(target)
        out.append(column.desc_nulls_last() if descending else column.asc_nulls_first())
    return out


def replace_column(
    df: DataFrame, name: str, value: Column, metadata: dict | None = None
) -> DataFrame:
    """``df`` with column ``name`` replaced in place by ``value``."""
    new = value.alias(name, metadata=metadata) if metadata else value.alias(name)
    return df.select(*[new if c == name else quoted(c) for c in df.columns])


def _derived_name(ctx: StepContext) -> str:
    """``as: 'name'``; else ``col: name`` (the reference's own window example writes
    ``derive type: multiple col: avgRolling value: ...``); else column1, column2, ..."""
    if ctx.has("as"):
        return ctx.new_name("as")
    if ctx.has("col"):
        node = ctx.node("col")
        if isinstance(node, ast.ColumnRef) and not node.is_metadata:
            return node.name
        if isinstance(node, ast.StringLit) and node.value:
            return node.value
        raise ctx.error("col: names the new column", node)
    return _unused_name(ctx.df)


@transform("derive", required=("value",), optional=("type", "as", "col", "group", "order"))
def derive(ctx: StepContext) -> DataFrame:
    window_for(ctx, whole_dataset=True)
    node = ctx.node("value")
    name = _derived_name(ctx)
    value = ctx.compile(node)
    referenced = ctx.referenced_columns(node)
    anchor = referenced[-1] if referenced else None
    df = ctx.df
    if name in df.columns:
        return replace_column(df, name, value)
    return ctx.place_after(df.withColumn(name, value), name, anchor)


@transform("set", required=("col", "value"), optional=("row", "group", "order"))
def set_(ctx: StepContext) -> DataFrame:
    window_for(ctx, whole_dataset=True)
    names = ctx.column_names("col")
    condition = ctx.expr("row") if ctx.has("row") else None
    values: dict[str, Column] = {}
    for name in names:
        with ctx.for_column(name):
            value = ctx.expr("value")
        if condition is not None:
            value = F.when(F.coalesce(condition, F.lit(False)), value).otherwise(quoted(name))
        values[name] = value.alias(name)
    return ctx.df.select(*[values.get(c, quoted(c)) for c in ctx.df.columns])


@transform("rename", optional=("type", "mapping", "col", "to", "value"))
def rename(ctx: StepContext) -> DataFrame:
    kind = str(ctx.literal("type", "manual")).lower()
    mapping: dict[str, str] = {}
    if ctx.has("mapping"):
        for pair in ctx.values("mapping"):
            if not (isinstance(pair, ast.ArrayLit) and len(pair.items) == 2):
                raise ctx.error("mapping: takes [column, 'new name'] pairs", pair)
            old = ctx.names_of([pair.items[0]])[0]
            mapping[old] = str(ctx.literal_of(pair.items[1]))
    elif ctx.has("col") and ctx.has("to"):
        names = ctx.column_names("col")
        targets = [str(ctx.literal_of(v)) for v in ctx.values("to")]
        if len(names) != len(targets):
            raise ctx.error("col: and to: must list as many names", ctx.step.param("to"))
        mapping = dict(zip(names, targets, strict=True))
    elif kind in ("prefix", "suffix") and ctx.has("value"):
        affix = str(ctx.literal("value"))
        names = ctx.column_names("col") if ctx.has("col") else visible_columns(ctx.df)
        mapping = {n: (affix + n if kind == "prefix" else n + affix) for n in names}
    else:
        raise ctx.error("rename needs mapping: [column, 'new'] (or col: with to:)")
    for new in mapping.values():
        if not new:
            raise ctx.error("a column name cannot be empty")
    final = [mapping.get(c, c) for c in ctx.df.columns]
    duplicates = sorted({n for n in final if final.count(n) > 1})
    if duplicates:
        raise ctx.error(f"rename would create duplicate column {duplicates[0]!r}")
    return ctx.df.select(
        *[quoted(c).alias(mapping[c]) if c in mapping else quoted(c) for c in ctx.df.columns]
    )


@transform("drop", required=("col",), optional=("action",))
def drop(ctx: StepContext) -> DataFrame:
    names = set(ctx.column_names("col"))
    action = str(ctx.literal("action", "Drop")).lower()
    if action not in ("drop", "keep"):
        raise ctx.error("action: is Drop or Keep", ctx.step.param("action"))
    if action == "keep":
        kept = [c for c in ctx.df.columns if c in names or metadata_columns.is_hidden(c)]
    else:
        kept = [c for c in ctx.df.columns if c not in names]
    return ctx.df.select(*[quoted(c) for c in kept])


@transform("move", required=("col",), optional=("position", "column", "after", "before"))
def move(ctx: StepContext) -> DataFrame:
    names = ctx.column_names("col")
    rest = [c for c in ctx.df.columns if c not in names]
    anchor: str | None
    if ctx.has("after") or ctx.has("before"):
        position = "after" if ctx.has("after") else "before"
        anchor = ctx.names_of(ctx.values(position))[0]
    else:
        position = str(ctx.literal("position", "end")).lower()
        anchor = ctx.names_of(ctx.values("column"))[0] if ctx.has("column") else None
    if anchor in names:
        raise ctx.error("cannot move a column next to itself", ctx.step.param("col"))
    if position in ("beginning", "start", "first"):
        order = names + rest
    elif position in ("end", "last"):
        order = rest + names
    elif position in ("after", "before") and anchor is not None:
        i = rest.index(anchor) + (1 if position == "after" else 0)
        order = rest[:i] + names + rest[i:]
    else:
        raise ctx.error("position: is beginning, end, after or before (with column:)")
    return ctx.df.select(*[quoted(c) for c in order])


#: the platform's date tokens -> Spark's (month is ``mm`` in a date, minutes after ``HH:``)
_PLATFORM_FORMAT = [
    ("yyyy", "yyyy"),
    ("yy", "yy"),
    ("mmmm", "MMMM"),
    ("mmm", "MMM"),
    ("mm", "MM"),
    ("dd", "dd"),
    ("m", "M"),
    ("d", "d"),
]


def platform_datetime_format(fmt: str) -> str:
    """A platform Datetime format (``mm-dd-yyyy``, ``yyyy-mm-dd HH:MM:SS``) as a Spark pattern."""
    if " " in fmt or "T" in fmt:
        date, sep, time = fmt.partition(" ") if " " in fmt else fmt.partition("T")
        time = time.replace("MM", "mm").replace("SS", "ss").replace("hh", "HH")
        return platform_datetime_format(date) + (sep if sep == " " else "'T'") + time
    out = []
    i = 0
    while i < len(fmt):
        for src, dst in _PLATFORM_FORMAT:
            if fmt.lower().startswith(src, i):
                out.append(dst)
                i += len(src)
                break
        else:
            ch = fmt[i]
            out.append(ch if not ch.isalpha() else f"'{ch}'")
            i += 1
    return "".join(out)


@transform("settype", required=("col", "type"))
def settype(ctx: StepContext) -> DataFrame:
    names = ctx.column_names("col")
    values = ctx.values("type")
    type_name = str(ctx.literal_of(values[0]))
    formats = [str(ctx.literal_of(v)) for v in values[1:2]]
    try:
        wtype = WrangleType.parse(type_name, [platform_datetime_format(f) for f in formats])
    except KeyError:
        from spark_jobs.recipe.parser import suggest
        from spark_jobs.recipe.types import known_type_names

        raise ctx.error(
            f"unknown type {type_name!r}", values[0], suggest(type_name, known_type_names())
        ) from None
    df = ctx.df
    for name in names:
        df = with_type(df, name, wtype)
    return df


@transform("merge", required=("col",), optional=("with", "as"))
def merge(ctx: StepContext) -> DataFrame:
    names = ctx.column_names("col")
    separator = str(ctx.literal("with", ""))
    name = ctx.new_name("as") if ctx.has("as") else "_".join(names)
    parts = [F.coalesce(quoted(n).cast(T.StringType()), F.lit("")) for n in names]
    value = F.concat_ws(separator, *parts)
    df = ctx.df
    if name in df.columns:
        return replace_column(df, name, value)
    return ctx.place_after(df.withColumn(name, value), name, names[-1])
