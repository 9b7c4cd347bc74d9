"""More string functions: RIGHTFIND, STRINGGREATERTHANEQUAL / STRINGLESSTHANEQUAL,
BASE64ENCODE / BASE64DECODE and TRANSLITERATE. Each works on the value's text."""

from __future__ import annotations

import unicodedata

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.recipe.compiler import Arg, CallContext
from spark_jobs.recipe.registry import function


def _text(arg: Arg) -> Column:
    return arg.raw.cast("string")


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
