"""String functions. Each works on the value's text (a typed column's value as imported)."""

from __future__ import annotations

import unicodedata

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.recipe import ast
from spark_jobs.recipe.context import Arg, CallContext
from spark_jobs.recipe.registry import function


def _text(arg: Arg) -> Column:
    return arg.raw.cast("string")


def _int(ctx: CallContext, arg: Arg) -> Column:
    return arg.value.cast("int")


@function("UPPER")
def upper(ctx: CallContext, args: list[Arg]) -> Column:
    return F.upper(_text(args[0]))


@function("LOWER")
def lower(ctx: CallContext, args: list[Arg]) -> Column:
    return F.lower(_text(args[0]))


@function("PROPER")
def proper(ctx: CallContext, args: list[Arg]) -> Column:
    """First letter of each word upper case, the rest lower case."""
    return F.initcap(_text(args[0]))


@function("TRIM")
def trim(ctx: CallContext, args: list[Arg]) -> Column:
    """Leading and trailing whitespace removed, inner runs of whitespace kept."""
    return F.regexp_replace(_text(args[0]), r"^\s+|\s+$", "")


@function("REMOVEWHITESPACE")
def removewhitespace(ctx: CallContext, args: list[Arg]) -> Column:
    return F.regexp_replace(_text(args[0]), r"\s+", "")


@function("REMOVESYMBOLS")
def removesymbols(ctx: CallContext, args: list[Arg]) -> Column:
    return F.regexp_replace(_text(args[0]), r"[^\p{L}\p{N}\s]", "")


@function("LEN")
def length(ctx: CallContext, args: list[Arg]) -> Column:
    return F.char_length(_text(args[0])).cast("long")


@function("LEFT", arity=2)
def left(ctx: CallContext, args: list[Arg]) -> Column:
    return F.left(_text(args[0]), _int(ctx, args[1]))


@function("RIGHT", arity=2)
def right(ctx: CallContext, args: list[Arg]) -> Column:
    return F.right(_text(args[0]), _int(ctx, args[1]))


@function("SUBSTRING", arity=3)
def substring(ctx: CallContext, args: list[Arg]) -> Column:
    """SUBSTRING(text, start, end): characters from index start (0-based) up to end (exclusive)."""
    start, end = _int(ctx, args[1]), _int(ctx, args[2])
    # Column.substr takes columns on every Spark line (F.substring only ints before Spark 4)
    return _text(args[0]).substr(start + F.lit(1), end - start)


@function("FIND", arity=(2, 4))
def find(ctx: CallContext, args: list[Arg]) -> Column:
    """FIND(text, search, [ignoreCase], [start]): 0-based index of the first match; missing when
    absent (the reference: "If no match is found, the function returns a null value")."""
    text = _text(args[0])
    needle = _text(args[1])
    if len(args) > 2 and args[2].is_literal and args[2].literal is True:
        text, needle = F.lower(text), F.lower(needle)
    start = _int(ctx, args[3]) if len(args) > 3 else F.lit(0)
    found = F.call_function("locate", needle, text, start + 1)
    return F.when(found > 0, found - 1).cast("long")


@function("STARTSWITH", arity=(2, 3))
def startswith(ctx: CallContext, args: list[Arg]) -> Column:
    return _text(args[0]).rlike("^(?:" + args[1].regex + ")")


@function("ENDSWITH", arity=(2, 3))
def endswith(ctx: CallContext, args: list[Arg]) -> Column:
    return _text(args[0]).rlike("(?:" + args[1].regex + ")$")


@function("MATCHES", arity=(2, 3))
def matches(ctx: CallContext, args: list[Arg]) -> Column:
    """MATCHES(text, pattern): true when the pattern occurs in the text.

    The pattern may also be an expression (``MATCHES([YEAR(submitTime)], YEAR(NOW('UTC')))``, a
    real recipe): its value is then matched as literal text, as a quoted string is."""
    ignore_case = len(args) > 2 and args[2].is_literal and args[2].literal is True
    if not isinstance(args[1].node, (ast.Pattern, ast.Regex, ast.StringLit)) and not (
        isinstance(args[1].node, ast.ColumnRef) and args[1].node.quoted
    ):
        text, needle = _text(args[0]), args[1].raw.cast("string")
        if ignore_case:
            text, needle = F.lower(text), F.lower(needle)
        return F.call_function("locate", needle, text) > 0
    regex = args[1].regex
    if ignore_case:
        regex = "(?i)" + regex
    return _text(args[0]).rlike(regex)


@function("EXACT", arity=2)
def exact(ctx: CallContext, args: list[Arg]) -> Column:
    return _text(args[0]) == _text(args[1])


@function("REPEAT", arity=2)
def repeat(ctx: CallContext, args: list[Arg]) -> Column:
    # by name: F.repeat takes a column count only from Spark 4 on
    return F.call_function("repeat", _text(args[0]), _int(ctx, args[1]))


@function("MERGE", arity=(1, 2))
def merge(ctx: CallContext, args: list[Arg]) -> Column:
    """MERGE([a, b, ...], 'sep'): the values' text joined (missing values as empty)."""
    columns = args[0].columns if len(args[0].columns) > 1 else [args[0].raw]
    separator = str(args[1].literal) if len(args) > 1 else ""
    return F.concat_ws(separator, *[F.coalesce(c.cast("string"), F.lit("")) for c in columns])


@function("CONCAT", arity=(1, None))
def concat(ctx: CallContext, args: list[Arg]) -> Column:
    return F.concat(*[c.cast("string") for a in args for c in a.columns])


@function("SUBSTITUTE", arity=(3, 4))
def substitute(ctx: CallContext, args: list[Arg]) -> Column:
    """SUBSTITUTE(text, pattern, replacement): every match replaced."""
    replacement = args[2].literal if args[2].is_literal else ""
    return F.regexp_replace(_text(args[0]), args[1].regex, str(replacement))


@function("PAD", arity=(2, 4))
def pad(ctx: CallContext, args: list[Arg]) -> Column:
    """PAD(text, length, ['char'], [left|right]): the reference writes the side as a bare word
    (``pad(Whse_Nbr, 6, '0', left)``) and the fill defaults to a space."""
    side = "left"
    if len(args) > 3:
        node = args[3].node
        if isinstance(node, ast.ColumnRef) and not node.is_metadata:
            side = node.name.lower()
        else:
            side = str(args[3].literal).lower()
        if side not in ("left", "right"):
            raise ctx.error("the side is left or right", args[3])
    length = _int(ctx, args[1])
    fill = _text(args[2]) if len(args) > 2 else F.lit(" ")
    # by name: F.lpad/F.rpad take a column length only from Spark 4 on
    fn = "lpad" if side == "left" else "rpad"
    text = _text(args[0])
    return F.when(F.char_length(text) >= length, text).otherwise(
        F.call_function(fn, text, length, fill)
    )


@function("CHAR")
def char(ctx: CallContext, args: list[Arg]) -> Column:
    return F.char(args[0].value.cast("long"))


@function("UNICODE")
def unicode(ctx: CallContext, args: list[Arg]) -> Column:
    return F.ascii(_text(args[0])).cast("long")


@function("STRINGGREATERTHAN", arity=2)
def string_gt(ctx: CallContext, args: list[Arg]) -> Column:
    return _text(args[0]) > _text(args[1])


@function("STRINGLESSTHAN", arity=2)
def string_lt(ctx: CallContext, args: list[Arg]) -> Column:
    return _text(args[0]) < _text(args[1])


def _ignore_case(ctx: CallContext, args: list[Arg], index: int) -> bool:
    if len(args) <= index:
        return False
    value = args[index].literal if args[index].is_literal else None
    if not isinstance(value, bool):
        raise ctx.error("ignore case is true or false", args[index])
    return value


@function("RIGHTFIND", arity=(2, 4), example="RIGHTFIND(s, 'a', true, 0)")
def rightfind(ctx: CallContext, args: list[Arg]) -> Column:
    """RIGHTFIND(text, search, [ignoreCase], [start]): 0-based index of the last match that
    starts at or after ``start`` counted from the end (0: the whole text); missing when absent, as the reference says."""
    text, needle = _text(args[0]), _text(args[1])
    if _ignore_case(ctx, args, 2):
        text, needle = F.lower(text), F.lower(needle)
    start = args[3].value.cast("int") if len(args) > 3 else F.lit(0)
    # search the reversed text: the first match there is the last one here
    head = F.reverse(text).substr(start + 1, F.lit(2**31 - 1))
    found = F.call_function("locate", F.reverse(needle), head)
    index = F.char_length(text) - start - found - F.char_length(needle) + 1
    result = F.when(found > 0, index).cast("long")
    return F.when(text.isNotNull() & needle.isNotNull(), result)


@function("STRINGGREATERTHANEQUAL", arity=2)
def string_ge(ctx: CallContext, args: list[Arg]) -> Column:
    return _text(args[0]) >= _text(args[1])


@function("STRINGLESSTHANEQUAL", arity=2)
def string_le(ctx: CallContext, args: list[Arg]) -> Column:
    return _text(args[0]) <= _text(args[1])


@function("BASE64ENCODE")
def base64encode(ctx: CallContext, args: list[Arg]) -> Column:
    """The UTF-8 bytes of the text in base64."""
    return F.base64(_text(args[0]).cast("binary"))


_BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


@function("BASE64DECODE")
def base64decode(ctx: CallContext, args: list[Arg]) -> Column:
    """Base64 text decoded as UTF-8; null for text that is no base64."""
    text = F.regexp_replace(_text(args[0]), r"\s", "")
    return F.when(text.rlike(_BASE64), F.unbase64(text).cast("string"))


def _ascii_table() -> tuple[str, str, dict[str, str]]:
    """Letters with accents and their ASCII letters (one for one, for ``translate``), and the
    letters that become two (``ß`` -> ``ss``)."""
    source, target = [], []
    wider = {"ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Þ": "TH", "þ": "th"}
    single = {"Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Ł": "L", "ł": "l", "Ħ": "H", "ħ": "h"}
    for code in range(0x00C0, 0x0250):
        ch = chr(code)
        if ch in wider:
            continue
        base = single.get(ch) or "".join(
            c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
        )
        if len(base) == 1 and base.isascii() and base.isalpha() and base != ch:
            source.append(ch)
            target.append(base)
    return "".join(source), "".join(target), wider


_FROM, _TO, _WIDER = _ascii_table()


@function("TRANSLITERATE")
def transliterate(ctx: CallContext, args: list[Arg]) -> Column:
    """Latin letters with accents as ASCII letters (``Crème Brûlée`` -> ``Creme Brulee``);
    other characters are kept."""
    text = F.translate(_text(args[0]), _FROM, _TO)
    for letter, ascii_ in _WIDER.items():
        text = F.regexp_replace(text, letter, ascii_)
    return text
