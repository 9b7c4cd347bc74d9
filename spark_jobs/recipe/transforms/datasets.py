"""Transforms that read other datasets of the flow: union, join, lookup.

Their ``with:`` values name the datasets (a name, a `quoted name` or an id); the runner resolves
them (``resolve``) and draws the edges of the job graph from ``Recipe.dataset_references()``.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_jobs.recipe import ast
from spark_jobs.recipe.context import StepContext, quoted, visible_columns
from spark_jobs.recipe.registry import transform


def _others(ctx: StepContext) -> list[DataFrame]:
    frames = []
    for node in ctx.values("with"):
        for ref in ast.dataset_references(node, ctx.step.number):
            try:
                frames.append(ctx.resolve(ref))
            except KeyError:
                raise ctx.error(f"unknown dataset {ref.name or ref.id!r}", node) from None
    if not frames:
        raise ctx.error("with: names no dataset", ctx.step.param("with"))
    return frames


def _visible(df: DataFrame) -> DataFrame:
    return df.select(*[quoted(c) for c in visible_columns(df)])


@transform("union", required=("with",), optional=("type",), dataset_params=("with",))
def union(ctx: StepContext) -> DataFrame:
    """Rows of every dataset, columns matched by name (missing ones are null)."""
    df = _visible(ctx.df)
    for other in _others(ctx):
        df = df.unionByName(_visible(other), allowMissingColumns=True)
    return df


def _keys(ctx: StepContext, right: DataFrame) -> list[tuple[str, str]]:
    """``key: a`` (same name both sides) or ``key: left == right`` pairs; or leftcol/rightcol."""
    pairs: list[tuple[str, str]] = []
    right_ctx = ctx.over(right)
    if ctx.has("leftcol") or ctx.has("rightcol"):
        lefts = ctx.column_names("leftcol")
        rights = right_ctx.column_names("rightcol")
        if len(lefts) != len(rights):
            raise ctx.error("leftcol: and rightcol: must list as many columns")
        return list(zip(lefts, rights, strict=True))
    for node in ctx.values("key"):
        if (
            isinstance(node, ast.BinaryOp)
            and node.op in ("==", "=")
            and isinstance(node.left, ast.ColumnRef)
            and isinstance(node.right, ast.ColumnRef)
        ):
            pairs.append((ctx.resolve_name(node.left), right_ctx.resolve_name(node.right)))
        elif isinstance(node, ast.ColumnRef):
            pairs.append((ctx.resolve_name(node), right_ctx.resolve_name(node)))
        else:
            raise ctx.error("key: takes columns, or left == right pairs", node)
    if not pairs:
        raise ctx.error("join needs key: (or leftcol: and rightcol:)")
    return pairs


def _combine(
    ctx: StepContext, right: DataFrame, pairs: list[tuple[str, str]], how: str, keep_keys: bool
) -> DataFrame:
    left = ctx.df
    lname = {c: f"__l{i}" for i, c in enumerate(left.columns)}
    right_visible = visible_columns(right)
    rname = {c: f"__r{i}" for i, c in enumerate(right_visible)}
    lsel = left.select(*[quoted(c).alias(lname[c]) for c in left.columns])
    rsel = right.select(*[quoted(c).alias(rname[c]) for c in right_visible])
    condition: Column = F.lit(True)
    for lcol, rcol in pairs:
        condition = condition & (F.col(lname[lcol]) == F.col(rname[rcol]))
    joined = lsel.join(rsel, on=condition, how=how)
    taken = set(left.columns)
    out: list[Column] = [F.col(lname[c]).alias(c) for c in left.columns]
    right_keys = {r for _, r in pairs}
    for c in right_visible:
        if c in right_keys and not keep_keys:
            continue
        name, n = c, 1
        while name in taken:
            name, n = f"{c}_{n}", n + 1
        taken.add(name)
        out.append(F.col(rname[c]).alias(name))
    return joined.select(*out)


_JOIN_TYPES = {
    "inner": "inner",
    "left": "left",
    "leftouter": "left",
    "right": "right",
    "rightouter": "right",
    "full": "full",
    "outer": "full",
    "fullouter": "full",
    "leftanti": "left_anti",
    "leftsemi": "left_semi",
}


@transform(
    "join",
    required=("with",),
    optional=("type", "jointype", "key", "leftcol", "rightcol"),
    dataset_params=("with",),
)
def join(ctx: StepContext) -> DataFrame:
    (right,) = _others(ctx)[:1]
    kind = str(ctx.literal("type", None) or ctx.literal("jointype", "inner")).lower()
    how = _JOIN_TYPES.get(kind.replace("_", "").replace(" ", ""))
    if how is None:
        raise ctx.error(f"unknown join type {kind!r}", ctx.step.param("type"))
    pairs = _keys(ctx, right)
    if how in ("left_anti", "left_semi"):
        cond: Column = F.lit(True)
        for lcol, rcol in pairs:
            cond = cond & (ctx.df[lcol] == right[rcol])
        return ctx.df.join(right, on=cond, how=how)
    return _combine(ctx, right, pairs, how, keep_keys=True)


@transform("lookup", required=("with", "col", "key"), dataset_params=("with",))
def lookup(ctx: StepContext) -> DataFrame:
    """Every row kept; the matching row of the other dataset adds its columns (first match)."""
    (right,) = _others(ctx)[:1]
    lefts = ctx.column_names("col")
    right_ctx = ctx.over(right)
    rights = right_ctx.column_names("key")
    if len(lefts) != len(rights):
        raise ctx.error("col: and key: must list as many columns")
    right = right.dropDuplicates(rights)
    return _combine(ctx, right, list(zip(lefts, rights, strict=True)), "left", keep_keys=False)
