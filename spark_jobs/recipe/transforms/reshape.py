"""Reshaping transforms for nested data and wide tables: nest, unnest, flatten, extractkv,
extractlist, valuestocols.

Arrays and objects are JSON text, as in the nested function family
(:mod:`spark_jobs.recipe.functions.nested`): nest and extractkv write JSON text typed
Array / Object in the column's metadata, unnest and flatten read JSON text (or Spark nested
columns).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_jobs.metadata_columns import HIDDEN_PREFIX
from spark_jobs.recipe import ast
from spark_jobs.recipe.context import StepContext, quoted, regex_of
from spark_jobs.recipe.functions.nested import text_of
from spark_jobs.recipe.json_text import (
    array_json,
    array_values,
    member,
    member_of,
    object_json,
    quote_json,
    raw_json,
    raw_value,
    read_array,
    read_object,
)
from spark_jobs.recipe.registry import transform
from spark_jobs.recipe.types import ARRAY, OBJECT, annotated

#: valuestocols makes at most this many columns unless limit: says otherwise
DEFAULT_VALUES_LIMIT = 50


def _one_column(ctx: StepContext) -> str:
    names = ctx.column_names("col")
    if len(names) != 1:
        raise ctx.error(
            f"{ctx.step.transform}: col: takes one column, got {len(names)}",
            ctx.step.param("col"),
        )
    return names[0]


def _add(ctx: StepContext, df: DataFrame, name: str, value: Column, anchor: str) -> DataFrame:
    """``df`` with ``value`` as column ``name`` right after ``anchor`` (replaced if it exists)."""
    if name in df.columns:
        return df.select(*[value.alias(name) if c == name else quoted(c) for c in df.columns])
    return ctx.place_after(df.withColumn(name, value), name, anchor)


def _texts(ctx: StepContext, name: str) -> list[str]:
    return [str(ctx.literal_of(v)) for v in ctx.values(name)]


# --- nest -----------------------------------------------------------------------------------


@transform("nest", required=("col", "into"), optional=("as",))
def nest(ctx: StepContext) -> DataFrame:
    """``nest col: a, b into: array|object as: 'x'``: the columns' values as one JSON value.

    ``into: array`` gives ``["va","vb"]``; ``into: object`` gives ``{"a":"va","b":"vb"}``.
    Values are written as their text (JSON strings); missing values as JSON null.
    """
    names = ctx.column_names("col")
    into = str(ctx.literal("into")).lower()
    # the reference's own example writes into:'obj'; recipes the platform downloads, into: map
    into = {"obj": "object", "map": "object", "arr": "array"}.get(into, into)
    if into not in ("array", "object"):
        raise ctx.error("into: is array or object", ctx.step.param("into"))
    default = "column1" if "column1" not in ctx.df.columns else f"nest_{'_'.join(names)}"
    target = ctx.new_name("as") if ctx.has("as") else default
    values = F.array(
        *[F.coalesce(quote_json(quoted(n).cast("string")), F.lit("null")) for n in names]
    )
    if into == "array":
        value = annotated(array_json(values), target, ARRAY)
    else:
        keys = F.array(*[F.lit(n) for n in names])
        value = annotated(object_json(keys, values), target, OBJECT)
    return _add(ctx, ctx.df, target, value, names[-1])


# --- unnest ---------------------------------------------------------------------------------


def _path(key: str) -> list[str]:
    """``'a.b'``, ``'a[0]'``, ``'[0]'``, ``'[my key]'`` as a path of keys / indexes."""
    parts: list[str] = []
    i = 0
    current = ""
    while i < len(key):
        ch = key[i]
        if ch == ".":
            if current:
                parts.append(current)
            current = ""
        elif ch == "[":
            if current:
                parts.append(current)
            end = key.find("]", i)
            if end < 0:
                end = len(key)
            inner = key[i + 1 : end].strip()
            parts.append(inner.strip("'\""))
            current = ""
            i = end
        else:
            current += ch
        i += 1
    if current:
        parts.append(current)
    return parts


@transform("unnest", required=("col", "keys"), optional=("pluck", "marklineage"))
def unnest(ctx: StepContext) -> DataFrame:
    """One new column per key (``'a'``, ``'a.b'``, ``'[0]'``, ``'a[1].b'``) holding its value's
    text; ``markLineage: true`` names them ``<col>_<key>``; ``pluck: true`` removes the keys
    from the source object."""
    source = _one_column(ctx)
    keys = _texts(ctx, "keys")
    lineage = ctx.flag("marklineage", False)
    pluck = ctx.flag("pluck", False)
    raw = quoted(source)
    kind = ctx.fields[source].dataType
    text = raw if kind.typeName() == "string" else F.to_json(raw)
    paths = [_path(key) for key in keys]
    for key, path in zip(keys, paths, strict=True):
        if not path:
            raise ctx.error(f"unnest: empty key {key!r}", ctx.step.param("keys"))
    # the source is read once per row into hidden columns (a real object has dozens of keys:
    # one parse, not one per key); Spark keeps the projection since its value is used often
    members_name, elements_name = _hidden(ctx.df, "members"), _hidden(ctx.df, "elements")
    read = [read_object(text).alias(members_name)]
    if any(path[0].lstrip("-").isdigit() for path in paths):
        read.append(read_array(text).alias(elements_name))
    df = ctx.df.select(*[quoted(c) for c in ctx.df.columns], *read)
    members = F.col(members_name)
    elements = F.col(elements_name) if len(read) > 1 else None
    anchor = source
    for path in paths:
        found = member_of(elements, members, path[0])
        for part in path[1:]:
            found = member(raw_json(found), part)
        name = "_".join([source, *path]) if lineage else "_".join(path)
        df = _add(ctx, df, name, raw_value(found), anchor)
        anchor = name
    if pluck:
        top = sorted({p[0] for p in paths if len(p) == 1})
        remaining = F.map_filter(members, lambda k, v: ~k.isin(top))
        values = F.transform(
            F.map_values(remaining), lambda v: F.coalesce(raw_json(v), F.lit("null"))
        )
        plucked = F.when(members.isNotNull(), object_json(F.map_keys(remaining), values))
        df = df.select(
            *[
                plucked.alias(c, metadata=ctx.fields[c].metadata) if c == source else quoted(c)
                for c in df.columns
            ]
        )
    return df.drop(members_name, elements_name)


def _hidden(df: DataFrame, what: str) -> str:
    """A name for a working column that no column of ``df`` has."""
    name = f"{HIDDEN_PREFIX}unnest_{what}"
    while name in df.columns:
        name += "_"
    return name


# --- flatten --------------------------------------------------------------------------------


@transform("flatten", required=("col",))
def flatten(ctx: StepContext) -> DataFrame:
    """One row per element of the array column (the element's text); an empty or missing
    array keeps its row with a missing value."""
    source = _one_column(ctx)
    elements = array_values(text_of(ctx, ast.ColumnRef(source)))
    return ctx.df.select(
        *[
            F.explode_outer(elements).alias(source) if c == source else quoted(c)
            for c in ctx.df.columns
        ]
    )


# --- extractkv / extractlist ----------------------------------------------------------------


@transform("extractkv", required=("col", "key", "valueafter"), optional=("delimiter", "as"))
def extractkv(ctx: StepContext) -> DataFrame:
    """``extractkv col: x key: `{alpha}+{digit}` valueafter: '=' delimiter: ','``: the
    key-value pairs whose key matches ``key:`` as an Object (``{"key1":"value1"}``)."""
    source = _one_column(ctx)
    key = regex_of(ctx, ctx.node("key"))
    after = regex_of(ctx, ctx.node("valueafter"))
    delimiter = regex_of(ctx, ctx.node("delimiter")) if ctx.has("delimiter") else ","
    pairs = F.split(quoted(source).cast("string"), delimiter)
    pair_regex = rf"^\s*((?:{key}))\s*(?:{after})(.*)$"
    matching = F.filter(pairs, lambda p: p.rlike(pair_regex))
    keys = F.transform(matching, lambda p: F.regexp_extract(p, pair_regex, 1))
    values = F.transform(matching, lambda p: quote_json(F.regexp_extract(p, pair_regex, 2)))
    target = ctx.new_name("as") if ctx.has("as") else f"extractkv_{source}"
    value = F.when(quoted(source).isNotNull(), object_json(keys, values))
    return _add(ctx, ctx.df, target, annotated(value, target, OBJECT), source)


@transform("extractlist", required=("col", "on"), optional=("delimiter", "as", "quote"))
def extractlist(ctx: StepContext) -> DataFrame:
    """``extractlist col: x on: `{digit}+` as: 'nums'``: every match as an Array of text."""
    source = _one_column(ctx)
    regex = regex_of(ctx, ctx.node("on"))
    matches = F.regexp_extract_all(quoted(source).cast("string"), F.lit(regex), 0)
    target = ctx.new_name("as") if ctx.has("as") else f"extractlist_{source}"
    value = F.when(quoted(source).isNotNull(), array_json(F.transform(matches, quote_json)))
    return _add(ctx, ctx.df, target, annotated(value, target, ARRAY), source)


# --- valuestocols ---------------------------------------------------------------------------


def _safe(value: object) -> str:
    text = "null" if value is None else str(value)
    return "".join(ch if ch.isalnum() else "_" for ch in text)


@transform("valuestocols", required=("col",), optional=("value", "limit"))
def valuestocols(ctx: StepContext) -> DataFrame:
    """One new column ``<col>_<value>`` per distinct value of ``col:``. A row holds ``value:``
    (default 1) in its own value's column and is missing in the others.

    The distinct values are read with one small Spark job when the recipe is compiled
    (at most ``limit:``, 50).
    """
    source = _one_column(ctx)
    limit = ctx.integer("limit", DEFAULT_VALUES_LIMIT) or DEFAULT_VALUES_LIMIT
    value = ctx.expr("value") if ctx.has("value") else F.lit(1)
    text = quoted(source).cast("string")
    rows = (
        ctx.df.select(text.alias("v"))
        .where(F.col("v").isNotNull() & (F.col("v") != ""))
        .distinct()
        .orderBy("v")
        .limit(limit + 1)
        .collect()
    )
    if len(rows) > limit:
        raise ctx.error(
            f"valuestocols: column {source!r} has more than {limit} distinct values (raise limit:)",
            ctx.step.param("col"),
        )
    df = ctx.df
    anchor = source
    for row in rows:
        name = f"{source}_{_safe(row[0])}"
        df = _add(ctx, df, name, F.when(text == F.lit(row[0]), value), anchor)
        anchor = name
    return df
