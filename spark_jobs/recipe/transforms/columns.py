"""Column transforms: derive, set, rename, drop, move, settype, merge."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs import metadata_columns
from spark_jobs.dateformats import type_format_patterns
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


def _renamed(ctx: StepContext, df: DataFrame, mapping: dict[str, str]) -> DataFrame:
    """``df`` with the columns of ``mapping`` renamed; new names must be unique and non-empty."""
    for new in mapping.values():
        if not new:
            raise ctx.error("a column name cannot be empty")
    final = [mapping.get(c, c) for c in df.columns]
    duplicates = sorted({n for n in final if final.count(n) > 1})
    if duplicates:
        raise ctx.error(f"rename would create duplicate column {duplicates[0]!r}")
    return df.select(
        *[quoted(c).alias(mapping[c]) if c in mapping else quoted(c) for c in df.columns]
    )


def _find_and_replace(ctx: StepContext) -> dict[str, str]:
    """``type: findAndReplace col: * on: `any_{digit}+` with: ''``: the names of the listed
    columns with the first match of ``on:`` (every match with ``matchAll: true``) replaced."""
    import re

    from spark_jobs.recipe.context import regex_of

    if not ctx.has("on"):
        raise ctx.error("type: findAndReplace needs on: (a string, `pattern` or /regex/)")
    node = ctx.node("on")
    try:
        # column names are known when the recipe is compiled: the (Java) regex runs in Python,
        # whose dialect reads what patterns, strings and ordinary /regex/ produce
        regex = re.compile(
            regex_of(ctx, node), re.IGNORECASE if ctx.flag("ignorecase", False) else 0
        )
    except re.error as exc:
        raise ctx.error(f"on: cannot be matched against column names: {exc}", node) from None
    with_value = ctx.literal("with", "")
    replacement = "" if with_value is None else str(with_value)
    count = 0 if ctx.flag("matchall", False) else 1
    names = ctx.column_names("col") if ctx.has("col") else visible_columns(ctx.df)
    return {n: regex.sub(lambda _m: replacement, n, count=count) for n in names}


def _header_rows(ctx: StepContext) -> DataFrame:
    """``type: header method: multi sourcerownumbers: 1,2,3 separator: '-' filltype: true``:
    the names come from those source rows (their values joined by ``separator:``, default a
    space), which leave the data. With ``filltype: true`` an empty cell of a header row takes
    the value on its left (a merged cell of a spreadsheet header). A column whose header cells
    are all empty keeps its name. Reads those rows with one small Spark job."""
    method = str(ctx.literal("method", "multi")).lower()
    if method not in ("multi", "single"):
        raise ctx.error("method: is single or multi", ctx.step.param("method"))
    param = "sourcerownumbers" if ctx.has("sourcerownumbers") else "sourcerownumber"
    numbers: list[int] = []
    for node in ctx.values(param):
        value = ctx.literal_of(node)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ctx.error(f"{param}: takes source row numbers (1, 2, ...)", node)
        numbers.append(value)
    if not numbers:
        raise ctx.error("type: header needs sourcerownumbers: (the rows holding the names)")
    if method == "single" and len(numbers) != 1:
        raise ctx.error("method: single takes one source row", ctx.step.param(param))
    df = ctx.df
    if metadata_columns.SOURCE_ROW_NUMBER not in df.columns:
        raise ctx.error(
            f"rename type: header needs $sourcerownumber, which this source lacks "
            f"(the rows {numbers} cannot be found)",
            ctx.step.param(param),
        )
    separator = ctx.text("separator", " ") or ""
    fill = ctx.flag("filltype", False)
    visible = visible_columns(df)
    number = quoted(metadata_columns.SOURCE_ROW_NUMBER)
    found = {
        r[0]: list(r[1:])
        for r in df.filter(number.isin(numbers))
        .select(number, *[quoted(c).cast("string") for c in visible])
        .collect()
    }
    lacking = [n for n in numbers if n not in found]
    if lacking:
        raise ctx.error(f"type: header: the dataset has no source row {lacking[0]}")
    cells: list[list[str]] = []
    for n in numbers:
        row = ["" if v is None else str(v) for v in found[n]]
        if fill:
            for k in range(1, len(row)):
                if row[k] == "":
                    row[k] = row[k - 1]
        cells.append(row)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for k, column in enumerate(visible):
        parts = [row[k] for row in cells if row[k] != ""]
        base = separator.join(parts) if parts else column
        candidate, m = base, 2
        while candidate in taken:
            candidate, m = f"{base}{m}", m + 1
        taken.add(candidate)
        mapping[column] = candidate
    return _renamed(ctx, df.filter(~number.isin(numbers)), mapping)


_RENAME_PARAMS = {
    "manual": ("mapping", "col", "to"),
    "findandreplace": ("col", "on", "with", "matchall", "ignorecase"),
    "header": ("method", "sourcerownumbers", "sourcerownumber", "separator", "filltype"),
    "prefix": ("col", "value"),
    "suffix": ("col", "value"),
}


@transform(
    "rename",
    optional=(
        "type",
        "mapping",
        "col",
        "to",
        "value",
        "on",
        "with",
        "matchall",
        "ignorecase",
        "method",
        "sourcerownumbers",
        "sourcerownumber",
        "separator",
        "filltype",
    ),
)
def rename(ctx: StepContext) -> DataFrame:
    """``type: manual mapping: [old,'new'], ...`` (or ``col: to:``), ``type: findAndReplace``,
    ``type: header`` (names from source rows), ``type: prefix|suffix value:``."""
    kind = str(ctx.literal("type", "manual")).lower()
    if kind not in _RENAME_PARAMS:
        raise ctx.error(
            f"rename type: is one of manual, findAndReplace, header, prefix, suffix, not {kind!r}",
            ctx.step.param("type"),
        )
    allowed = {"type", *_RENAME_PARAMS[kind]}
    for p in ctx.step.params:
        if p.name.lower() not in allowed:
            raise ctx.error(f"{p.name}: does not go with rename type: {kind}", p)
    if kind == "header":
        return _header_rows(ctx)
    mapping: dict[str, str] = {}
    if kind == "findandreplace":
        mapping = _find_and_replace(ctx)
    elif ctx.has("mapping"):
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
    return _renamed(ctx, ctx.df, mapping)


@transform("select", required=("values",))
def select(ctx: StepContext) -> DataFrame:
    """The flow packages' "Select columns": ``select values: [expr,'name'],[$filepath,'source']``
    keeps only these values, in this order, each under its name (the hidden per-row metadata
    stays for later steps)."""
    columns: list[Column] = []
    seen: set[str] = set()
    for node in ctx.values("values"):
        if not isinstance(node, ast.ArrayLit) or len(node.items) != 2:
            raise ctx.error("values: takes [expression, 'name'] pairs", node)
        expr, label = node.items
        if not isinstance(label, ast.StringLit) or not label.value:
            raise ctx.error("a value's name is a quoted, non-empty text such as 'total'", label)
        if label.value.lower() in seen:
            raise ctx.error(f"values: names {label.value!r} twice", label)
        seen.add(label.value.lower())
        columns.append(ctx.compile(expr).alias(label.value))
    hidden = [quoted(c) for c in ctx.df.columns if c not in visible_columns(ctx.df)]
    return ctx.df.select(*columns, *hidden)


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
        # the platform writes this when the moved columns include the one they go next to:
        # they gather, in the listed order, where that column stands
        at = ctx.df.columns.index(anchor)
        before = [c for c in rest if ctx.df.columns.index(c) < at]
        order = before + names + rest[len(before) :]
    elif position in ("beginning", "start", "first"):
        order = names + rest
    elif position in ("end", "last"):
        order = rest + names
    elif position in ("after", "before") and anchor is not None:
        i = rest.index(anchor) + (1 if position == "after" else 0)
        order = rest[:i] + names + rest[i:]
    else:
        raise ctx.error("position: is beginning, end, after or before (with column:)")
    return ctx.df.select(*[quoted(c) for c in order])


@transform("settype", required=("col", "type"), optional=("lockdatatype", "datetimetype"))
def settype(ctx: StepContext) -> DataFrame:
    """``settype col: a type: Integer``; ``type: 'Datetime', 'mm-dd-yy', 'mm*dd*yyyy'`` or the platform's
    ``datetimeType: 'Datetime','yy-mm-dd hh:mm:ss','yyyy*mm*dd*HH:MM:SS'`` give the format
    and its family (see :func:`spark_jobs.dateformats.type_format_patterns`). ``lockDataType: true`` is accepted: this engine never
    re-infers a type after a step, so every type is locked."""
    names = ctx.column_names("col")
    values = ctx.values("type")
    type_name = str(ctx.literal_of(values[0]))
    formats = [str(ctx.literal_of(v)) for v in values[1:]]
    if ctx.has("lockdatatype"):
        ctx.flag("lockdatatype")  # must be true or false; no effect (see above)
    if ctx.has("datetimetype"):
        spec = ctx.values("datetimetype")
        spec_type = str(ctx.literal_of(spec[0]))
        if spec_type.lower() != type_name.lower():
            raise ctx.error(
                f"datetimeType: describes {spec_type!r}, but type: is {type_name!r}", spec[0]
            )
        if formats:
            raise ctx.error("give the format in type: or in datetimeType:, not both", values[1])
        formats = [str(ctx.literal_of(v)) for v in spec[1:]]
    try:
        wtype = WrangleType.parse(type_name, type_format_patterns(formats))
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
