"""Parse Wrangle steps (grammar: ``wrangle.lark``) into the typed tree of :mod:`.ast`.

Pure Python. Everything that can be checked without data is checked here, each failure a
:class:`RecipeError` naming the step, line and column with a caret, and the nearest known name
("did you mean"): syntax, unknown transform / parameter / function, wrong number of arguments,
bad platform pattern, bad regular expression, expressions nested past :data:`MAX_DEPTH`. Steps
that only the platform can run (``udf``, ``standardize``, ``load``) and step descriptions copied
from its UI are refused here with what to do instead. Unknown columns are found when the recipe
is applied to a schema.

Dataset names in join / lookup / union are free text (``join with: categories list col: ...``,
``key: FiscalQtr.csv - Lookup.column2``): :func:`_mask_datasets` finds them before the lexer
runs, by the flow's dataset names when it knows them (longest first), else by where the
``with:`` value ends, and hides each behind a same-length DATASET token, so every position the
lexer reports is still a position of the step as written.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Collection
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer_NonRecursive, Tree, UnexpectedCharacters, UnexpectedInput
from lark.exceptions import UnexpectedEOF, UnexpectedToken, VisitError

from spark_jobs.errors import NotWrangleError, PlatformStepError, RecipeError, SourceLocation
from spark_jobs.recipe import ast
from spark_jobs.recipe.patterns import PatternError, pattern_to_regex, regex_flags
from spark_jobs.recipe.registry import FUNCTIONS, TRANSFORMS, load_families


@cache
def _parser() -> Lark:
    grammar = resources.files("spark_jobs.recipe").joinpath("wrangle.lark").read_text("utf-8")
    options: dict[str, Any] = {"parser": "lalr", "propagate_positions": True}
    cache_file = _grammar_cache_file()
    if cache_file is not None:
        options["cache"] = cache_file
    return Lark(grammar, maybe_placeholders=False, **options)


def _grammar_cache_file() -> str | None:
    """Where lark keeps the analysed grammar between processes, or None (no cache).

    Why: building the LALR tables costs every ``spark-jobs run`` about half a second of CPU
    before any work; loading them back costs milliseconds. lark names the grammar's hash in the
    file and rebuilds (and rewrites) it when the grammar or lark changed. The directory is the
    user's own cache (mode 0700), never the shared temporary directory: lark's cache is a pickle.
    ``SPARK_JOBS_NO_GRAMMAR_CACHE=1`` turns it off.
    """
    if os.environ.get("SPARK_JOBS_NO_GRAMMAR_CACHE") == "1":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "spark_jobs")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if os.stat(folder).st_uid != os.getuid() or not os.access(folder, os.W_OK):
            return None
    except OSError:
        return None
    return os.path.join(folder, "wrangle-grammar.lark-cache")


def suggest(name: str, known: Any, n: int = 2) -> list[str]:
    """The nearest known names to ``name`` (case-insensitive), best first."""
    known = list(known)
    by_lower = {k.lower(): k for k in known}
    return [by_lower[m] for m in difflib.get_close_matches(name.lower(), by_lower, n=n, cutoff=0.6)]


_PATTERN_TOKEN = re.compile(r"\{[A-Za-z][A-Za-z-]*\}")


def _pos(item: Token | Tree[Any]) -> ast.Pos:
    if isinstance(item, Token):
        return ast.Pos(item.line or 1, item.column or 1)
    meta = item.meta
    return ast.Pos(getattr(meta, "line", 1), getattr(meta, "column", 1))


def _unescape(body: str) -> str:
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


class _AstError(Exception):
    """A problem the tree builder finds (raised through lark's VisitError)."""

    def __init__(self, reason: str, pos: ast.Pos) -> None:
        super().__init__(reason)
        self.reason = reason
        self.pos = pos


class _ToAst(Transformer_NonRecursive[Token, Any]):
    """Lark's tree to :mod:`.ast`, without recursion (expressions may nest hundreds deep).

    ``source`` is the step as written (the lexer saw it with dataset names masked);
    ``qualified`` says whether ``a.b`` is a dataset-qualified column (join / lookup / union) or,
    anywhere else, the column named ``a.b``.
    """

    def __init__(self, source: str, *, qualified: bool) -> None:
        super().__init__()
        self.source = source
        self.dataset_step = qualified

    def _text(self, token: Token) -> str:
        if token.type == "DATASET":
            return self.source[token.start_pos : token.end_pos]
        if token.type == "BACKTICK":
            return str(token)[1:-1].replace("``", "`")
        if token.type == "BRACED":
            return str(token)[1:-1]
        return str(token)

    def start(self, items: list[Any]) -> ast.Step:
        head = items[0]
        return ast.Step(str(head), tuple(items[1:]), pos=_pos(head))

    def param(self, items: list[Any]) -> ast.Param:
        token, values = items
        return ast.Param(str(token)[:-1], tuple(values), pos=_pos(token))

    def values(self, items: list[Any]) -> list[Any]:
        return items

    def args(self, items: list[Any]) -> list[Any]:
        return items

    def range(self, items: list[Any]) -> ast.ColumnRange:
        start, end = items
        for ref in (start, end):
            if not isinstance(ref, ast.ColumnRef):
                raise _AstError("a column range runs from one column to another", ref.pos)
        return ast.ColumnRange(start, end, pos=start.pos)

    def star(self, items: list[Token]) -> ast.Star:
        return ast.Star(pos=_pos(items[0]))

    def binary_chain(self, items: list[Any]) -> Any:
        node = items[0]
        for i in range(1, len(items), 2):
            op = str(items[i])
            node = ast.BinaryOp(op, node, items[i + 1], pos=_pos(items[i]))
        return node

    def unary(self, items: list[Any]) -> ast.UnaryOp:
        return ast.UnaryOp(str(items[0]), items[1], pos=_pos(items[0]))

    def number(self, items: list[Token]) -> ast.NumberLit:
        return ast.NumberLit(str(items[0]), pos=_pos(items[0]))

    def string(self, items: list[Token]) -> ast.StringLit:
        return ast.StringLit(_unescape(str(items[0])[1:-1]), pos=_pos(items[0]))

    def regex(self, items: list[Token]) -> ast.Regex:
        text = str(items[0])
        end = text.rindex("/")
        return ast.Regex(text[1:end], text[end + 1 :], pos=_pos(items[0]))

    def backtick(self, items: list[Token]) -> ast.Pattern | ast.ColumnRef:
        body = self._text(items[0])
        if _PATTERN_TOKEN.search(body):
            return ast.Pattern(body, pos=_pos(items[0]))
        return ast.ColumnRef(body, quoted=True, pos=_pos(items[0]))

    def braced(self, items: list[Token]) -> ast.ColumnRef:
        return ast.ColumnRef(self._text(items[0]), quoted=True, pos=_pos(items[0]))

    def dataset(self, items: list[Token]) -> ast.ColumnRef:
        # a dataset name the parser masked (only in a with: value): a name, as `quoted` ones are
        return ast.ColumnRef(self._text(items[0]), quoted=True, pos=_pos(items[0]))

    def qualifier(self, items: list[Token]) -> Token:
        return items[0]

    def colname(self, items: list[Token]) -> Token:
        return items[0]

    def qualified(self, items: list[Token]) -> ast.ColumnRef:
        qualifier, *names = items
        pos = _pos(qualifier)
        column = ".".join(self._text(n) for n in names)
        quoted = len(names) > 1 or names[0].type != "NAME"
        if self.dataset_step:
            return ast.ColumnRef(column, quoted=quoted, dataset=self._text(qualifier), pos=pos)
        # outside join / lookup / union, `location.name` is the column named so
        return ast.ColumnRef(f"{self._text(qualifier)}.{column}", quoted=True, pos=pos)

    def call(self, items: list[Any]) -> ast.Call:
        name = items[0]
        args = items[1] if len(items) > 1 else []
        return ast.Call(str(name), tuple(args), pos=_pos(name))

    def array(self, items: list[Any]) -> ast.ArrayLit:
        return ast.ArrayLit(tuple(items))

    def key_entry(self, items: list[Any]) -> tuple[Token, Any]:
        return (items[0], items[1])

    def value_entry(self, items: list[Any]) -> Any:
        return items[0]

    def object(self, items: list[Any]) -> ast.ObjectLit:
        brace = items[0]
        entries: list[tuple[Token, list[Any]]] = []
        for item in items[1:]:
            if isinstance(item, tuple):
                entries.append((item[0], [item[1]]))
            elif not entries:
                raise _AstError("an object starts with a 'key':", getattr(item, "pos", _pos(brace)))
            else:
                entries[-1][1].append(item)
        out = []
        for key, values in entries:
            text = str(key).rstrip()[:-1].rstrip()
            out.append(ast.ObjectEntry(_unescape(text[1:-1]), tuple(values), pos=_pos(key)))
        return ast.ObjectLit(tuple(out), pos=_pos(brace))

    def column(self, items: list[Token]) -> Any:
        token = items[0]
        name = str(token)
        lowered = name.lower()
        if lowered in ("true", "false"):
            return ast.BoolLit(lowered == "true", pos=_pos(token))
        if lowered == "null":
            return ast.NullLit(pos=_pos(token))
        return ast.ColumnRef(name, pos=_pos(token))


_TOKEN_NAMES = {
    "PARAM": "a parameter (name:)",
    "NAME": "a column or function name",
    "BRACED": "a {column name}",
    "DATASET": "a dataset name",
    "KEY": "a 'key':",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "DOT": "'.'",
    "NUMBER": "a number",
    "STRING": "a quoted string",
    "REGEX": "a /regular expression/",
    "BACKTICK": "a `quoted name` or `{pattern}`",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "TILDE": "'~'",
    "STAR": "'*'",
    "MINUS": "'-'",
    "PLUS": "'+'",
    "SLASH": "'/'",
    "PERCENT": "'%'",
    "OR": "'||'",
    "AND": "'&&'",
    "NOT": "'!'",
    "COMPARE": "a comparison",
    "TRANSFORM": "a transform name",
    "$END": "the end of the step",
}


def _describe(expected: set[str]) -> str:
    names = sorted({_TOKEN_NAMES.get(e, e) for e in expected})
    if len(names) > 6:
        names = [*names[:6], "..."]
    return ", ".join(names)


def _syntax_error(exc: UnexpectedInput, number: int, text: str) -> RecipeError:
    line = getattr(exc, "line", 1) or 1
    column = getattr(exc, "column", 1) or 1
    if isinstance(exc, UnexpectedCharacters):
        reason = f"unexpected character {text.splitlines()[line - 1][column - 1]!r}"
        if exc.allowed:
            reason += f"; expected {_describe(set(exc.allowed))}"
    elif isinstance(exc, UnexpectedEOF) or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    ):
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        expected = getattr(exc, "expected", None) or getattr(exc, "accepts", None) or set()
        reason = "the step ends too early"
        if expected:
            reason += f"; expected {_describe(set(expected))}"
    elif isinstance(exc, UnexpectedToken):
        reason = f"unexpected {str(exc.token)[:40]!r}"
        if exc.token.type == "PARAM" and not exc.accepts & {"PARAM"}:
            reason = f"parameter {exc.token!s} has no value"
        elif exc.accepts:
            reason += f"; expected {_describe(set(exc.accepts))}"
    else:
        reason = "syntax error"
    return RecipeError(reason, SourceLocation(number, line, column, text))


#: How deeply one expression may nest: calls inside calls (``IF(a, IF(b, ...), ...)``), operators
#: on operators (``a + b + c ...`` nests one level per operator). Deeper ones are refused with a
#: clear error: the compiler, Spark's analyzer and its code generator all walk expressions
#: recursively; this depth compiles and runs on Spark 4 and 3.5 (tests/recipe/test_deep.py).
MAX_DEPTH = 1000

_MASK = "\ue000"
_PARAM_AT = re.compile(r"(?<!\S)([A-Za-z_][A-Za-z0-9_]*):")
_BRACED = re.compile(r"""\{(?!\s*(?:'[^'\n]*'|"[^"\n]*")\s*:)[^{}\n]+\}""")
_FIRST_WORD = re.compile(r"(?:\s|//[^\n]*)*([A-Za-z][A-Za-z0-9_]*)")
_PLAIN_NAME = re.compile(r"[^\W\d]\w*|\d+")
_CODE, _QUOTED, _COMMENT = 0, 1, 2


def parse_step(text: str, number: int = 1, *, datasets: Collection[str] = ()) -> ast.Step:
    """One step: syntax, then every name checked against the registries.

    ``datasets`` are the names of the flow's datasets, when known: a join / lookup / union
    names one of them by the longest that fits (names may hold spaces, dots and commas).
    """
    if not text.strip():
        raise RecipeError("empty step", SourceLocation(number, 1, 1, text))
    note = _pasted_comment(text, number)
    if note is not None:
        return note
    source = text
    if re.match(r"\s*comment\s*:", text, re.IGNORECASE):
        # the reference's own spelling `comment: 'text'` of `comment comment: 'text'`
        source = "comment " + text
    _refuse_platform_step(source, number)
    masked, qualified = _mask_datasets(source, datasets)
    try:
        tree = _parser().parse(masked)
        step: ast.Step = _ToAst(source, qualified=qualified).transform(tree)
    except UnexpectedInput as exc:
        _refuse_description(text, number)
        raise _syntax_error(exc, number, source) from None
    except VisitError as exc:
        orig = exc.orig_exc
        if isinstance(orig, _AstError):
            where = SourceLocation(number, orig.pos.line, orig.pos.column, source)
            raise RecipeError(orig.reason, where) from None
        raise RecipeError(str(orig), SourceLocation(number, 1, 1, text)) from None
    step = ast.Step(step.transform, step.params, number=number, text=text, pos=step.pos)
    _check_depth(step)
    check_step(step)
    return step


def _location(number: int, text: str, offset: int) -> SourceLocation:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return SourceLocation(number, line, column, text)


def _pasted_comment(text: str, number: int) -> ast.Step | None:
    """``// text`` or ``/* text */``: the platform turns these into a comment step.

    A note over several lines is one comment. So is a note followed by a step description
    (``//Delete Step:\nKeep rows where ...``, as authors mark a step they removed). A note
    followed by Wrangle is that step: the grammar skips ``//`` lines.
    """
    stripped = text.strip()
    if stripped.startswith("/*") and stripped.endswith("*/") and len(stripped) >= 4:
        body = stripped[2:-2].strip()
    elif stripped.startswith("//"):
        lines = [line.strip() for line in stripped.splitlines()]
        rest = next((i for i, line in enumerate(lines) if line and not line.startswith("//")), None)
        notes = [line[2:].strip() if line.startswith("//") else line for line in lines[:rest]]
        if rest is not None:
            remainder = "\n".join(lines[rest:])
            if _description(remainder) is None:
                return None
            notes += lines[rest:]
        body = "\n".join(notes).strip()
    else:
        return None
    start = text.index(stripped[0]) + 1
    pos = ast.Pos(1, start)
    value = ast.StringLit(body, pos=pos)
    step = ast.Step(
        "comment", (ast.Param("comment", (value,), pos=pos),), number=number, text=text, pos=pos
    )
    check_step(step)
    return step


# --- steps only the platform runs, and descriptions copied from its UI -----------------------

_PLATFORM_ONLY = {
    "udf": (
        "{what} calls a function registered on the platform (a UDF deployed to it), which does "
        "not exist outside the platform, so this step cannot run here: compute the value with "
        "Wrangle functions instead (docs/wrangle.md lists them), or run this recipe on the "
        "platform"
    ),
    "standardize": (
        "standardize maps values through a standardization artifact stored on the platform "
        "(its mapping or dictionary: artifactTable:, targetmappingId:, with: <dictionary>), "
        "which does not exist outside the platform, so this step cannot run here: spell the "
        "mapping out as Wrangle instead, e.g. set col: City value: CASE([City == 'S.F.', "
        "'San Francisco', ...]) or replace steps"
    ),
    "load": (
        "load is an internal step the platform writes when it loads a dataset into a recipe; "
        "here the job spec's input (the imported dataset) does that, so this step cannot run: "
        "delete it and declare the file as the recipe's input"
    ),
}


def _refuse_platform_step(source: str, number: int) -> None:
    match = _FIRST_WORD.match(source)
    if match is None:
        return
    word = match.group(1).lower()
    load_families()
    if word not in _PLATFORM_ONLY or word in TRANSFORMS:
        return
    what = "udf"
    if word == "udf":
        named = re.search(r"""\bname:\s*(?:'([^']*)'|"([^"]*)"|(\w+))""", source)
        if named:
            what = f"udf (function {next(g for g in named.groups() if g is not None)!r})"
    reason = "cannot run outside the platform: " + _PLATFORM_ONLY[word].format(what=what)
    raise PlatformStepError(reason, _location(number, source, match.start(1)))


_UI_VERBS = (
    "Keep|Delete|Remove|Drop|Filter|Rename|Change|Convert|Set|Replace|Create|Split|Merge|Sort|"
    "Extract|Format|Join|Union|Lookup|Pivot|Unpivot|Nest|Unnest|Count|Insert|Add|Move|Copy|Trim|"
    "Standardize|Group|Aggregate|Calculate|Edit|Flatten|Deduplicate"
)
_DESCRIPTION = re.compile(rf"\s*({_UI_VERBS})\s+\S", re.DOTALL)


def _description(text: str) -> str | None:
    """What the Wrangle for a step description would be ('' when not easy), or None when
    ``text`` is no description: a capitalised verb, more words, and no ``param:``."""
    match = _DESCRIPTION.match(text)
    if match is None:
        return None
    kinds = _code_kinds(text)
    if any(kinds[m.start()] == _CODE for m in _PARAM_AT.finditer(text)):
        return None
    words = " ".join(text.split())
    rows = re.match(r"(Keep|Delete|Remove) rows? where (.+)$", words, re.IGNORECASE)
    missing = re.match(r"(?:Delete|Remove) rows? with missing values in (.+)$", words, re.I)
    column = re.match(r"(?:Delete|Remove|Drop)(?: columns?)? ([^\s,]+(?:, ?[^\s,]+)*)$", words)
    suggestion = ""
    if rows:
        verb = "keep" if rows.group(1).lower() == "keep" else "delete"
        condition = re.sub(r" is not ", " != ", rows.group(2))
        condition = re.sub(r" is ", " == ", condition)
        suggestion = f"{verb} row: {condition}"
    elif missing:
        names = ", ".join(_column_text(c) for c in re.split(r",\s*|\s+and\s+", missing.group(1)))
        suggestion = f"delete row: ISMISSING([{names}])"
    elif column:
        names = ", ".join(_column_text(c) for c in column.group(1).split(","))
        suggestion = f"drop col: {names} action: Drop"
    if suggestion:
        try:
            parse_step(suggestion)
        except RecipeError:
            suggestion = ""
    return suggestion


def _column_text(name: str) -> str:
    name = name.strip()
    if re.fullmatch(r"[^\W\d]\w*|\{[^{}]+\}|`[^`]+`", name):
        return name
    return "{" + name + "}"


def _refuse_description(text: str, number: int) -> None:
    suggestion = _description(text)
    if suggestion is None:
        return
    reason = (
        "this is a step's description as the platform's recipe panel shows it, not Wrangle: "
        "copy the step's Wrangle text instead (download the recipe, or open the step in the "
        "platform's editor)"
    )
    if suggestion:
        reason += f"; in Wrangle it would read: {suggestion}"
    offset = len(text) - len(text.lstrip())
    raise NotWrangleError(reason, _location(number, text, offset))


# --- dataset names in join / lookup / union --------------------------------------------------


def _code_kinds(text: str) -> list[int]:
    """For every character: code, inside a quote / `name` / {name}, or a // comment."""
    kinds = [_CODE] * len(text)
    i = 0
    while i < len(text):
        ch = text[i]
        kind = _QUOTED
        if ch in "'\"":
            j = i + 1
            while j < len(text) and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            end = min(j + 1, len(text))
        elif ch == "`":
            j = i + 1
            while j < len(text) and not (text[j] == "`" and text[j + 1 : j + 2] != "`"):
                j += 2 if text[j] == "`" else 1
            end = min(j + 1, len(text))
        elif ch == "{" and (braced := _BRACED.match(text, i)):
            end = braced.end()
        elif text.startswith("//", i):
            kind = _COMMENT
            newline = text.find("\n", i)
            end = len(text) if newline < 0 else newline
        else:
            i += 1
            continue
        kinds[i:end] = [kind] * (end - i)
        i = end
    return kinds


def _mask_datasets(text: str, datasets: Collection[str]) -> tuple[str, bool]:
    """``text`` with every dataset name of a join / lookup / union that is no plain identifier
    replaced by as many mask characters (the DATASET token), in its ``with:`` value and where it
    qualifies a column (``FiscalQtr.csv - Lookup.column2``); and whether the step is one of them.
    """
    first = _FIRST_WORD.match(text)
    if first is None:
        return text, False
    load_families()
    spec = TRANSFORMS.get(first.group(1).lower())
    if spec is None or not spec.dataset_params:
        return text, False
    kinds = _code_kinds(text)
    params = [m for m in _PARAM_AT.finditer(text, first.end()) if kinds[m.start()] == _CODE]
    starts = {m.start() for m in params}
    chars = list(text)
    names: set[str] = set()
    consumed = 0
    for param in params:
        if param.start() < consumed or param.group(1).lower() not in spec.dataset_params:
            continue
        for start, end in _dataset_spans(text, param.end(), kinds, starts, datasets):
            consumed = end
            name = text[start:end]
            if name[0] in "'\"`" or _PLAIN_NAME.fullmatch(name):
                continue  # a quoted name, an id or an identifier: the grammar reads those
            names.add(name)
            chars[start:end] = _MASK * (end - start)
    for name in sorted(names, key=len, reverse=True):
        at = text.find(name + ".")
        while at >= 0:
            before = text[at - 1] if at else " "
            if (
                kinds[at] == _CODE
                and chars[at] != _MASK
                and not (before.isalnum() or before in "_.$")
            ):
                chars[at : at + len(name)] = _MASK * len(name)
            at = text.find(name + ".", at + 1)
    return "".join(chars), True


def _dataset_spans(
    text: str, pos: int, kinds: list[int], params: set[int], datasets: Collection[str]
) -> list[tuple[int, int]]:
    """Where the dataset names of one ``with:`` value starting at ``pos`` are: one of the flow's
    names, longest first, where one fits (followed by a comma, the next parameter or the end);
    else the text up to the next comma or parameter."""
    by_length = sorted((d for d in datasets if d), key=len, reverse=True)

    def skip_blank(i: int) -> int:
        while i < len(text) and (text[i].isspace() or kinds[i] == _COMMENT):
            i += 1
        return i

    def ends_there(i: int) -> bool:
        i = skip_blank(i)
        return i >= len(text) or i in params or (text[i] == "," and kinds[i] == _CODE)

    spans = []
    pos = skip_blank(pos)
    while pos < len(text):
        end = next(
            (
                pos + len(name)
                for name in by_length
                if text.startswith(name, pos) and ends_there(pos + len(name))
            ),
            None,
        )
        if end is None:
            if pos in params:  # the next parameter, unless a name of the flow starts so
                break
            end = pos
            while end < len(text) and not (
                end in params
                or kinds[end] == _COMMENT
                or (text[end] == "," and kinds[end] == _CODE)
            ):
                end += 1
            while end > pos and text[end - 1].isspace():
                end -= 1
        spans.append((pos, end))
        pos = skip_blank(end)
        if pos < len(text) and text[pos] == "," and kinds[pos] == _CODE:
            pos = skip_blank(pos + 1)
        else:
            break
    return spans


def _check_depth(step: ast.Step) -> None:
    for param in step.params:
        for value in param.values:
            stack = [(value, 1)]
            while stack:
                node, level = stack.pop()
                if level > MAX_DEPTH:
                    raise _error(
                        step,
                        f"the expression nests more than {MAX_DEPTH} levels deep, the most this "
                        "engine compiles: split it over several steps (derive the inner parts "
                        "as columns first)",
                        node.pos,
                    )
                stack.extend((child, level + 1) for child in ast.children(node))


def _error(
    step: ast.Step, reason: str, pos: ast.Pos, suggestions: list[str] | None = None
) -> RecipeError:
    return RecipeError(
        reason,
        SourceLocation(step.number, pos.line, pos.column, step.text),
        suggestions=suggestions or (),
    )


def check_step(step: ast.Step) -> None:
    """Names and arities against the registries; patterns and regexes well formed."""
    load_families()
    spec = TRANSFORMS.get(step.transform.lower())
    if spec is None:
        raise _error(
            step,
            f"unknown transform {step.transform!r}",
            step.pos,
            suggest(step.transform, TRANSFORMS),
        )
    seen: set[str] = set()
    for p in step.params:
        key = p.name.lower()
        if key not in spec.params:
            raise _error(
                step,
                f"transform {spec.name!r} has no parameter {p.name!r}",
                p.pos,
                suggest(p.name, spec.params),
            )
        if key in seen:
            raise _error(step, f"parameter {p.name!r} is given twice", p.pos)
        seen.add(key)
    missing = [name for name in spec.required if name not in seen]
    if missing:
        raise _error(
            step,
            f"transform {spec.name!r} needs parameter {missing[0]!r}",
            ast.Pos(1, len(step.text.rstrip()) + 1),
        )
    for node in step.walk():
        if isinstance(node, ast.Call):
            fn = FUNCTIONS.get(node.name.upper())
            if fn is None:
                raise _error(
                    step, f"unknown function {node.name!r}", node.pos, suggest(node.name, FUNCTIONS)
                )
            low, high = fn.arity
            n = len(node.args)
            if n < low or (high is not None and n > high):
                raise _error(
                    step,
                    f"function {fn.name} takes {fn.arity_text()}, got {n}",
                    node.pos,
                )
        elif isinstance(node, ast.Pattern):
            try:
                pattern_to_regex(node.text)
            except PatternError as exc:
                col = node.pos.column + 1 + exc.offset
                raise _error(step, f"bad pattern: {exc}", ast.Pos(node.pos.line, col)) from None
        elif isinstance(node, ast.Regex):
            try:
                regex_flags(node.flags)
            except PatternError as exc:
                col = node.pos.column + len(node.pattern) + 2 + exc.offset
                raise _error(step, str(exc), ast.Pos(node.pos.line, col)) from None
            try:
                _check_regex(node.pattern)
            except PatternError as exc:
                col = node.pos.column + 1 + exc.offset
                raise _error(
                    step, f"bad regular expression: {exc}", ast.Pos(node.pos.line, col)
                ) from None


def _check_regex(pattern: str) -> None:
    # Python's regex dialect stands in for Java's; escapes only Java knows are let through.
    if re.search(r"\\[pPQEGZ]", pattern):
        return
    try:
        re.compile(pattern)
    except re.error as exc:
        raise PatternError(str(exc), exc.pos or 0) from None
