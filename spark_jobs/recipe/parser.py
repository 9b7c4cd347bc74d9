"""Parse Wrangle steps (grammar: ``wrangle.lark``) into the typed tree of :mod:`.ast`.

Pure Python. Everything that can be checked without data is checked here, each failure a
:class:`RecipeError` naming the step, line and column with a caret, and the nearest known name
("did you mean"): syntax, unknown transform / parameter / function, wrong number of arguments,
bad platform pattern, bad regular expression. Unknown columns are found when the recipe is
applied to a schema.
"""

from __future__ import annotations

import difflib
import os
import re
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer, Tree, UnexpectedCharacters, UnexpectedInput
from lark.exceptions import UnexpectedEOF, UnexpectedToken, VisitError

from spark_jobs.errors import RecipeError, SourceLocation
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


class _ToAst(Transformer[Token, Any]):
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
        return ast.ColumnRange(items[0], items[1], pos=items[0].pos)

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
        body = str(items[0])[1:-1].replace("``", "`")
        if _PATTERN_TOKEN.search(body):
            return ast.Pattern(body, pos=_pos(items[0]))
        return ast.ColumnRef(body, quoted=True, pos=_pos(items[0]))

    def call(self, items: list[Any]) -> ast.Call:
        name = items[0]
        args = items[1] if len(items) > 1 else []
        return ast.Call(str(name), tuple(args), pos=_pos(name))

    def array(self, items: list[Any]) -> ast.ArrayLit:
        return ast.ArrayLit(tuple(items))

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


def parse_step(text: str, number: int = 1) -> ast.Step:
    """One step: syntax, then every name checked against the registries."""
    if not text.strip():
        raise RecipeError("empty step", SourceLocation(number, 1, 1, text))
    note = _pasted_comment(text, number)
    if note is not None:
        return note
    source = text
    if re.match(r"\s*comment\s*:", text, re.IGNORECASE):
        # the reference's own spelling `comment: 'text'` of `comment comment: 'text'`
        source = "comment " + text
    try:
        tree = _parser().parse(source)
        step: ast.Step = _ToAst().transform(tree)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, number, source) from None
    except VisitError as exc:  # pragma: no cover - the transformer has no failing paths
        raise RecipeError(str(exc.orig_exc), SourceLocation(number, 1, 1, text)) from None
    step = ast.Step(step.transform, step.params, number=number, text=text, pos=step.pos)
    check_step(step)
    return step


def _pasted_comment(text: str, number: int) -> ast.Step | None:
    """``// text`` or ``/* text */``: the platform turns these into a comment step."""
    stripped = text.strip()
    if stripped.startswith("//"):
        body = stripped[2:]
    elif stripped.startswith("/*") and stripped.endswith("*/") and len(stripped) >= 4:
        body = stripped[2:-2]
    else:
        return None
    if "\n" in body or "\r" in body:
        raise RecipeError(
            "multi-line comments are not supported", SourceLocation(number, 1, 1, text)
        )
    start = text.index(stripped[0]) + 1
    pos = ast.Pos(1, start)
    value = ast.StringLit(body.strip(), pos=pos)
    step = ast.Step(
        "comment", (ast.Param("comment", (value,), pos=pos),), number=number, text=text, pos=pos
    )
    check_step(step)
    return step


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
