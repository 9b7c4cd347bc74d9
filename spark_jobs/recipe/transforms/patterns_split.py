"""Pattern transforms: ``extractpatterns`` (well-known patterns such as URLs, e-mail addresses,
IP addresses and HTTP query fields, or a custom pattern), ``extractbetweendelimiters`` and
``splitpatterns`` (split on a delimiter, a sequence of
delimiters, character positions or every n characters).

``split_columns`` is shared with ``split`` (transforms/text.py) for its ``delimiters:``,
``positions:`` and ``every:`` options.
"""

from __future__ import annotations

import re

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from spark_jobs.recipe import ast
from spark_jobs.recipe.context import StepContext, quoted, regex_of
from spark_jobs.recipe.registry import transform

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"

#: extractpatterns type -> (Java regex, group holding the value)
PATTERNS: dict[str, str] = {
    "url": r"(?i)\b(?:(?:https?|ftp)://|www\.)[^\s\"'<>]+",
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    "ipaddress": rf"(?<![0-9.]){_OCTET}(?:\.{_OCTET}){{3}}(?![0-9.])",
    "number": r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)",
}
TYPES = (*PATTERNS, "httpquerystrings", "between", "custom")


def _text(name: str) -> Column:
    return quoted(name).cast("string")


def _first(value: Column, regex: str, group: int = 0) -> Column:
    """The first match (or the group of it); null when nothing matches."""
    return F.try_element_at(F.regexp_extract_all(value, F.lit(regex), F.lit(group)), F.lit(1))


def split_names(columns: list[str], source: str, count: int) -> list[str]:
    """Names of the ``count`` columns a split of ``source`` makes, as the platform names them:
    the source's name without its trailing digits, numbered from 1, skipping names the dataset
    already has, in any case (the source's included). ``MyValues`` gives ``MyValues1``, ``MyValues2``, ...;
    ``column1`` gives ``column2``, ``column3``, ... (the platform's own flow exports list these)."""
    base = source.rstrip("0123456789") or source
    taken = {c.lower() for c in columns}
    names: list[str] = []
    n = 1
    while len(names) < count:
        name = f"{base}{n}"
        if name.lower() not in taken:
            names.append(name)
            taken.add(name.lower())
        n += 1
    return names


def replace_with_parts(ctx: StepContext, source: str, parts: list[Column]) -> DataFrame:
    """``source`` replaced, in place, by the split's new columns (see :func:`split_names`)."""
    names = split_names(ctx.df.columns, source, len(parts))
    columns: list[Column] = []
    for c in ctx.df.columns:
        if c == source:
            columns.extend(p.alias(n) for p, n in zip(parts, names, strict=True))
        else:
            columns.append(quoted(c))
    return ctx.df.select(*columns)


@transform(
    "extractpatterns",
    required=("col", "type"),
    optional=("queryfield", "as", "start", "end", "ignorecase", "on"),
)
def extractpatterns(ctx: StepContext) -> DataFrame:
    names = ctx.column_names("col")
    if len(names) != 1:
        raise ctx.error("extractpatterns takes one column", ctx.step.param("col"))
    source = names[0]
    kind = str(ctx.literal("type")).lower()
    for param in ("start", "end"):
        if ctx.has(param) and kind != "between":
            raise ctx.error(f"{param}: goes with type: between", ctx.step.param(param))
    if ctx.has("on") and kind != "custom":
        raise ctx.error("on: goes with type: custom", ctx.step.param("on"))
    if ctx.has("ignorecase") and kind not in ("between", "custom"):
        raise ctx.error(
            "ignorecase: goes with type: between or custom", ctx.step.param("ignorecase")
        )
    if kind == "custom":
        if not ctx.has("on"):
            raise ctx.error("type: custom needs on: (the `pattern`, /regex/ or text to extract)")
        regex = regex_of(ctx, ctx.node("on"))
        if ctx.flag("ignorecase", False):
            regex = "(?i)" + regex
        value = _first(_text(source), regex)
        # the platform names it as a split does: ``url`` -> ``url1``
        name = ctx.new_name("as") if ctx.has("as") else split_names(ctx.df.columns, source, 1)[0]
        return ctx.place_after(ctx.df.withColumn(name, value), name, source)
    if kind == "between":
        if ctx.has("queryfield"):
            raise ctx.error(
                "queryfield: goes with type: httpquerystrings", ctx.step.param("queryfield")
            )
        start, end = _between(ctx)
        regex = f"(?:{start})((?s:.*?))(?:{end})"
        if ctx.flag("ignorecase", False):
            regex = "(?i)" + regex
        value = _first(_text(source), regex, 1)
    elif kind == "httpquerystrings":
        if not ctx.has("queryfield"):
            raise ctx.error("type: httpquerystrings needs queryfield: (the field's name)")
        field = str(ctx.literal("queryfield"))
        value = _first(_text(source), rf"[?&]{re.escape(field)}=([^&#\s]*)", 1)
    elif kind in PATTERNS:
        if ctx.has("queryfield"):
            raise ctx.error(
                "queryfield: goes with type: httpquerystrings", ctx.step.param("queryfield")
            )
        value = _first(_text(source), PATTERNS[kind])
    else:
        raise ctx.error(
            f"unknown pattern type {kind!r} (known: {', '.join(TYPES)})",
            ctx.node("type"),
            _close(kind),
        )
    name = ctx.new_name("as") if ctx.has("as") else f"{source}_{kind}"
    return ctx.place_after(ctx.df.withColumn(name, value), name, source)


@transform("extractbetweendelimiters", required=("col", "start", "end"), optional=("as",))
def extractbetweendelimiters(ctx: StepContext) -> DataFrame:
    """``extractbetweendelimiters col: url start: `//` end: `/` as: 'url1'``, the flow packages'
    "Extract between delimiters": the shortest text between the first ``start:`` match and the
    next ``end:`` match (both left out), null when there is none; without ``as:`` the new column
    is named as a split names its parts (``url1``), right of the source."""
    names = ctx.column_names("col")
    if len(names) != 1:
        raise ctx.error("extractbetweendelimiters takes one column", ctx.step.param("col"))
    source = names[0]
    start, end = regex_of(ctx, ctx.node("start")), regex_of(ctx, ctx.node("end"))
    value = _first(_text(source), f"(?:{start})((?s:.*?))(?:{end})", 1)
    name = ctx.new_name("as") if ctx.has("as") else split_names(ctx.df.columns, source, 1)[0]
    if name in ctx.df.columns:
        raise ctx.error(f"as: the dataset already has a column {name!r}", ctx.step.param("as"))
    return ctx.place_after(ctx.df.withColumn(name, value), name, source)


def outside_quotes(regex: str, quote: str) -> str:
    """``regex`` where it stands outside ``quote``-delimited text: an even number of quotes
    must follow it (possessive quantifiers, so long values do not backtrack)."""
    q = re.escape(quote)
    other = f"[^{q}]" if len(quote) == 1 else f"(?:(?!{q})[\\s\\S])"
    return f"(?:{regex})(?=(?:{other}*+{q}{other}*+{q})*+{other}*+\\z)"


def quote_of(ctx: StepContext) -> str | None:
    """The ``quote:`` text (delimiters inside it do not count), if the step has one."""
    if not ctx.has("quote"):
        return None
    node = ctx.node("quote")
    if not isinstance(node, ast.StringLit) or not node.value:
        raise ctx.error("quote: takes a quoted, non-empty text such as '\"'", node)
    return node.value


def _between(ctx: StepContext) -> tuple[str, str]:
    for param in ("start", "end"):
        if not ctx.has(param):
            raise ctx.error("type: between needs start: and end: (a pattern, /regex/ or text)")
    return regex_of(ctx, ctx.node("start")), regex_of(ctx, ctx.node("end"))


def _close(word: str) -> list[str]:
    import difflib

    return difflib.get_close_matches(word, TYPES, n=2, cutoff=0.6)


def _positions(ctx: StepContext, param: str) -> list[int]:
    out: list[int] = []
    for node in ctx.values(param):
        value = ctx.literal_of(node)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ctx.error(f"{param}: takes whole numbers of at least 1", node)
        out.append(value)
    if not out:
        raise ctx.error(f"{param}: needs at least one value", ctx.step.param(param))
    if out != sorted(set(out)):
        raise ctx.error(f"{param}: must be increasing", ctx.step.param(param))
    return out


def _by_positions(value: Column, positions: list[int]) -> list[Column]:
    """Pieces between 0-based character positions; a piece past the end of the value is null."""
    bounds = [0, *positions]
    length = F.char_length(value)
    parts = []
    for i, start in enumerate(bounds):
        end = bounds[i + 1] if i + 1 < len(bounds) else None
        size = end - start if end is not None else 1 << 30
        piece = F.substring(value, start + 1, size)
        parts.append(F.when(length > start, piece) if start else piece)
    return parts


def _by_delimiters(ctx: StepContext, value: Column, nodes: tuple[ast.Expr, ...]) -> list[Column]:
    """The value cut at the first delimiter, the rest at the second, and so on."""
    if not nodes:
        raise ctx.error("delimiters: needs at least one delimiter", ctx.step.param("delimiters"))
    parts = []
    rest = value
    for node in nodes:
        pieces = F.split(rest, regex_of(ctx, node), 2)
        parts.append(F.try_element_at(pieces, F.lit(1)))
        rest = F.try_element_at(pieces, F.lit(2))
    parts.append(rest)
    return parts


def split_columns(ctx: StepContext, source: str, how: str) -> DataFrame:
    """Replace ``source`` by ``source1``, ``source2``, ... split by ``how``: ``delimiters``,
    ``positions`` or ``every`` (with ``limit:``, the number of splits)."""
    value = _text(source)
    if how == "delimiters":
        parts = _by_delimiters(ctx, value, ctx.values("delimiters"))
    elif how == "positions":
        parts = _by_positions(value, _positions(ctx, "positions"))
    else:
        (every,) = _positions(ctx, "every")
        if not ctx.has("limit"):
            raise ctx.error("every: needs limit: (how many splits, so that the columns are known)")
        limit = ctx.integer("limit") or 0
        if limit < 1:
            raise ctx.error("limit: must be at least 1", ctx.step.param("limit"))
        parts = _by_positions(value, [every * (i + 1) for i in range(limit)])
    return replace_with_parts(ctx, source, parts)


@transform(
    "splitpatterns",
    required=("col", "type"),
    optional=(
        "on",
        "limit",
        "ignorecase",
        "delimiters",
        "positions",
        "every",
        "start",
        "end",
        "quote",
    ),
)
def splitpatterns(ctx: StepContext) -> DataFrame:
    names = ctx.column_names("col")
    if len(names) != 1:
        raise ctx.error("splitpatterns takes one column", ctx.step.param("col"))
    source = names[0]
    kind = str(ctx.literal("type")).lower()
    known = ("on", "delimiters", "positions", "every", "between")
    if kind not in known:
        raise ctx.error(
            f"unknown split type {kind!r} (known: {', '.join(known)})", ctx.node("type")
        )
    for param in ("start", "end"):
        if ctx.has(param) and kind != "between":
            raise ctx.error(f"{param}: goes with type: between", ctx.step.param(param))
    if ctx.has("quote") and kind not in ("on", "between"):
        raise ctx.error("quote: goes with type: on or type: between", ctx.step.param("quote"))
    if kind == "between":
        start, end = _between(ctx)
        # the whole stretch from the start pattern to the next end pattern is the delimiter
        regex = f"(?:{start})(?s:.*?)(?:{end})"
    elif not ctx.has(kind):
        raise ctx.error(f"type: {kind} needs {kind}:")
    elif kind != "on":
        return split_columns(ctx, source, kind)
    else:
        regex = regex_of(ctx, ctx.node("on"))
    quote = quote_of(ctx)
    if quote is not None:
        regex = outside_quotes(regex, quote)
    if ctx.flag("ignorecase", False):
        regex = "(?i)" + regex
    limit = ctx.integer("limit", 1) or 1
    if limit < 1:
        raise ctx.error("limit: must be at least 1", ctx.step.param("limit"))
    pieces = F.split(_text(source), regex, limit + 1)
    parts = [F.try_element_at(pieces, F.lit(i + 1)) for i in range(limit + 1)]
    return replace_with_parts(ctx, source, parts)
