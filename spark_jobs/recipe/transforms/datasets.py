"""Transforms that read other datasets of the flow: union, join, lookup.

Their ``with:`` values name the datasets (a name, a `quoted name` or an id); the runner resolves
them (``resolve``) and draws the edges of the job graph from ``Recipe.dataset_references()``.
Columns are qualified by the dataset they come from as the platform writes them:
``current_dataset.OrderID`` is this dataset's, ``Orders.csv.OrderID`` is the other one's
(the parser tells the dataset name from the column, see ``parser._mask_datasets``).
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs.recipe import ast
from spark_jobs.recipe.context import StepContext, quoted, visible_columns
from spark_jobs.recipe.registry import transform

#: how the platform qualifies a column of the dataset the recipe belongs to
CURRENT = "current_dataset"
#: what the platform writes where it has lost the name of the dataset a column came from; only
#: lookup's col: accepts it, since that parameter always names this dataset's columns
LOST = "MISSING"


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


def _with_names(ctx: StepContext) -> list[str | None]:
    """The name each dataset of ``with:`` is written with (None for one given by id)."""
    return [ref.name for node in ctx.values("with") for ref in ast.dataset_references(node, 0)]


def _source(ctx: StepContext, ref: ast.ColumnRef, names: Sequence[str | None]) -> int | None:
    """Which dataset a qualified column belongs to: 0 for this one, i for the i-th of
    ``with:``; None when it is not qualified."""
    qualifier = ref.dataset
    if qualifier is None:
        return None
    for i, name in enumerate(names, start=1):
        if name == qualifier:
            return i
    if qualifier.lower() == CURRENT or qualifier == ctx.dataset:
        return 0
    folded = [i for i, n in enumerate(names, start=1) if n and n.lower() == qualifier.lower()]
    if len(folded) == 1:
        return folded[0]
    known = [CURRENT, *(n for n in names if n)]
    raise ctx.error(
        f"{qualifier!r} is not a dataset of this step (columns are qualified by "
        + " or ".join(repr(k) for k in known)
        + ")",
        ref,
    )


def _plain(ref: ast.ColumnRef) -> ast.ColumnRef:
    return ast.ColumnRef(ref.name, quoted=ref.quoted, pos=ref.pos)


def _visible(df: DataFrame) -> DataFrame:
    return df.select(*[quoted(c) for c in visible_columns(df)])


@transform("union", required=("with",), optional=("type", "mapping"), dataset_params=("with",))
def union(ctx: StepContext) -> DataFrame:
    """Rows of every dataset, columns matched by name (missing ones are null); with
    ``mapping: {'as': 'A', 'sources': current_dataset.a, Other.b}, ...`` the output has exactly
    the mapped columns, each taken from the named column of every dataset (null where a dataset
    has none)."""
    others = _others(ctx)
    if not ctx.has("mapping"):
        df = _visible(ctx.df)
        for other in others:
            df = df.unionByName(_visible(other), allowMissingColumns=True)
        return df
    frames = [ctx.df, *others]
    names = _with_names(ctx)
    outputs: list[str] = []
    columns: list[list[Column]] = [[] for _ in frames]
    for entry in ctx.values("mapping"):
        if not isinstance(entry, ast.ObjectLit):
            raise ctx.error("mapping: takes {'as': 'name', 'sources': columns} entries", entry)
        as_values = entry.get("as")
        if not as_values or len(as_values) != 1:
            raise ctx.error("a mapping entry needs one 'as': name", entry)
        out = str(ctx.literal_of(as_values[0]))
        if out in outputs:
            raise ctx.error(f"mapping: names the output column {out!r} twice", entry)
        outputs.append(out)
        sources: dict[int, ast.ColumnRef] = {}
        for node in entry.get("sources") or ():
            if not isinstance(node, ast.ColumnRef):
                raise ctx.error("'sources': takes dataset.column names", node)
            index = _source(ctx, node, names)
            index = 0 if index is None else index
            if index in sources:
                raise ctx.error("'sources': names two columns of one dataset", node)
            sources[index] = node
        for index, frame in enumerate(frames):
            ref = sources.get(index)
            if ref is None:
                value = F.lit(None).cast(T.StringType())
            else:
                value = quoted(ctx.over(frame).resolve_name(_plain(ref)))
            columns[index].append(value.alias(out))
    df = frames[0].select(*columns[0])
    for frame, selected in zip(frames[1:], columns[1:], strict=True):
        df = df.unionByName(frame.select(*selected))
    return df


def _pair(
    ctx: StepContext,
    right_ctx: StepContext,
    node: ast.BinaryOp,
    names: Sequence[str | None],
) -> tuple[str, str]:
    """``left == right`` (either order when qualified) as (this dataset's column, other's)."""
    a, b = node.left, node.right
    if not (isinstance(a, ast.ColumnRef) and isinstance(b, ast.ColumnRef)):
        raise ctx.error("a join condition compares a column of each dataset", node)
    sides = [_source(ctx, a, names), _source(ctx, b, names)]
    if (sides[0] is not None and sides[0] > 0) or sides[1] == 0:
        a, b = b, a
        sides.reverse()
    if sides[0] not in (0, None) or sides[1] not in (1, None):
        raise ctx.error("a join condition compares a column of each dataset", node)
    return ctx.resolve_name(_plain(a)), right_ctx.resolve_name(_plain(b))


def _conjuncts(node: ast.Expr) -> list[ast.Expr]:
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.BinaryOp) and current.op == "&&":
            stack += [current.right, current.left]
        else:
            out.append(current)
    return out


def _keys(ctx: StepContext, right: DataFrame) -> list[tuple[str, str]]:
    """The key pairs: ``row: a == b && ...`` (the platform's form, columns qualified or not),
    ``key: a`` (same name both sides) or ``key: left == right``; or leftcol:/rightcol:. None at
    all is a cross join."""
    right_ctx = ctx.over(right)
    names = _with_names(ctx)
    if ctx.has("leftcol") or ctx.has("rightcol"):
        lefts = ctx.column_names("leftcol")
        rights = right_ctx.column_names("rightcol")
        if len(lefts) != len(rights):
            raise ctx.error("leftcol: and rightcol: must list as many columns")
        return list(zip(lefts, rights, strict=True))
    pairs: list[tuple[str, str]] = []
    conditions = [c for node in ctx.values("row") for c in _conjuncts(node)]
    for node in conditions:
        if not (isinstance(node, ast.BinaryOp) and node.op in ("==", "=")):
            raise ctx.error(
                "row: of a join takes equalities between a column of each dataset, joined by &&",
                node,
            )
        pairs.append(_pair(ctx, right_ctx, node, names))
    for node in ctx.values("key"):
        if isinstance(node, ast.BinaryOp) and node.op in ("==", "="):
            pairs.append(_pair(ctx, right_ctx, node, names))
        elif isinstance(node, ast.ColumnRef):
            pairs.append((ctx.resolve_name(_plain(node)), right_ctx.resolve_name(_plain(node))))
        else:
            raise ctx.error("key: takes columns, or left == right pairs", node)
    return pairs


def _outputs(ctx: StepContext, right: DataFrame) -> list[tuple[str, int, str]] | None:
    """join's ``col: out = current_dataset.a, out2 = Other.b, ...``: (output name, side, column)
    in the written order; None without col:."""
    if not ctx.has("col"):
        return None
    right_ctx = ctx.over(right)
    names = _with_names(ctx)
    out: list[tuple[str, int, str]] = []
    for node in ctx.values("col"):
        if (
            isinstance(node, ast.BinaryOp)
            and node.op in ("=", "==")
            and isinstance(node.left, ast.ColumnRef)
            and node.left.dataset is None
        ):
            name, source = node.left.name, node.right
        else:
            name, source = None, node
        if not isinstance(source, ast.ColumnRef):
            raise ctx.error("col: of a join takes name = dataset.column entries", node)
        side = _source(ctx, source, names)
        if side is None:  # unqualified: this dataset's column if it has one, else the other's
            side = (
                0 if source.name in ctx.fields or right_ctx.fields.get(source.name) is None else 1
            )
        column = (ctx if side == 0 else right_ctx).resolve_name(_plain(source))
        name = name or source.name
        if any(name == o[0] for o in out):
            raise ctx.error(f"col: names the output column {name!r} twice", node)
        out.append((name, min(side, 1), column))
    return out


def _combine(
    ctx: StepContext,
    right: DataFrame,
    pairs: list[tuple[str, str]],
    how: str,
    keep_keys: bool,
    outputs: list[tuple[str, int, str]] | None = None,
) -> DataFrame:
    left = ctx.df
    lname = {c: f"__l{i}" for i, c in enumerate(left.columns)}
    right_visible = visible_columns(right)
    rname = {c: f"__r{i}" for i, c in enumerate(right_visible)}
    lsel = left.select(*[quoted(c).alias(lname[c]) for c in left.columns])
    rsel = right.select(*[quoted(c).alias(rname[c]) for c in right_visible])
    if pairs:
        condition: Column = F.lit(True)
        for lcol, rcol in pairs:
            condition = condition & (F.col(lname[lcol]) == F.col(rname[rcol]))
        joined = lsel.join(rsel, on=condition, how=how)
    elif how == "inner":
        joined = lsel.crossJoin(rsel)
    else:
        joined = lsel.join(rsel, on=F.lit(True), how=how)
    if outputs is not None:
        selected = [
            F.col(lname[column] if side == 0 else rname[column]).alias(name)
            for name, side, column in outputs
        ]
        taken = {name for name, _, _ in outputs}
        hidden = [c for c in left.columns if c not in visible_columns(left) and c not in taken]
        return joined.select(*selected, *[F.col(lname[c]).alias(c) for c in hidden])
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
    optional=("type", "jointype", "key", "leftcol", "rightcol", "row", "col"),
    dataset_params=("with",),
)
def join(ctx: StepContext) -> DataFrame:
    """Rows of both datasets where the keys match; ``col:`` picks and names the output columns
    (the platform's downloaded form), else every column of both (clashing right ones get _1).
    No key at all is a cross join, as the platform's join without a condition."""
    (right,) = _others(ctx)[:1]
    kind = str(ctx.literal("type", None) or ctx.literal("jointype", "inner")).lower()
    how = _JOIN_TYPES.get(kind.replace("_", "").replace(" ", ""))
    if how is None:
        raise ctx.error(f"unknown join type {kind!r}", ctx.step.param("type"))
    pairs = _keys(ctx, right)
    if how in ("left_anti", "left_semi"):
        if not pairs:
            raise ctx.error(f"a {kind} join needs a condition (row: or key:)")
        cond: Column = F.lit(True)
        for lcol, rcol in pairs:
            cond = cond & (ctx.df[lcol] == right[rcol])
        return ctx.df.join(right, on=cond, how=how)
    return _combine(ctx, right, pairs, how, keep_keys=True, outputs=_outputs(ctx, right))


@transform("lookup", required=("with", "col", "key"), dataset_params=("with",))
def lookup(ctx: StepContext) -> DataFrame:
    """Every row kept; the matching row of the other dataset adds its columns (first match).
    ``col:`` names this dataset's columns (``current_dataset.`` may qualify them), ``key:`` the
    other's (``Other.csv.zip``)."""
    (right,) = _others(ctx)[:1]
    names = _with_names(ctx)
    lefts: list[str] = []
    for node in ctx.values("col"):
        if isinstance(node, ast.ColumnRef) and node.dataset is not None:
            if node.dataset != LOST and _source(ctx, node, names) != 0:
                raise ctx.error("col: of lookup names columns of this dataset", node)
            node = _plain(node)
        lefts += ctx.names_of([node])
    right_ctx = ctx.over(right)
    rights: list[str] = []
    for node in ctx.values("key"):
        if isinstance(node, ast.ColumnRef) and node.dataset is not None:
            if _source(ctx, node, names) == 0:
                raise ctx.error("key: of lookup names columns of the other dataset", node)
            node = _plain(node)
        rights += right_ctx.names_of([node])
    if len(lefts) != len(rights):
        raise ctx.error("col: and key: must list as many columns")
    right = right.dropDuplicates(rights)
    return _combine(ctx, right, list(zip(lefts, rights, strict=True)), "left", keep_keys=False)
