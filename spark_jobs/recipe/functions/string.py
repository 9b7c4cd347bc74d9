"""String functions. Each works on the value's text (a typed column's value as imported)."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from spark_jobs.recipe import ast
from spark_jobs.recipe.compiler import Arg, CallContext
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
    """MATCHES(text, pattern): true when the pattern occurs in the text."""
    regex = args[1].regex
    if len(args) > 2 and args[2].is_literal and args[2].literal is True:
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
