r"""Platform patterns (`` `{digit}{3}-{alpha}+` ``) and ``/regex/flags`` as Java regular expressions.

A platform pattern is literal text with pattern classes in braces (``{digit}``, ``{alpha}``, ...),
quantifiers in braces (``{3}``, ``{2,4}``) or as ``+ * ?``, and ``|`` between alternatives
(``{start}"|"{end}``: a quote at the start or at the end, as the platform's own labs write it;
``\|`` is a literal bar), and parentheses around capture groups (``({digit}{3})``, referred to
as ``$1`` in a replacement; ``\(`` is a literal parenthesis). Every other character stands for
itself. The result is a Java regular
expression for Spark's ``rlike`` / ``regexp_*``; one with alternatives is a single group, so it
composes with the text around it.
"""

from __future__ import annotations

import re

#: pattern class -> Java regular expression
PATTERN_CLASSES: dict[str, str] = {
    "digit": "[0-9]",
    "alpha": "[A-Za-z]",
    "upper": "[A-Z]",
    "lower": "[a-z]",
    "alphanum": "[A-Za-z0-9]",
    "any": ".",
    "start": "^",
    "end": "$",
    "delim": r"[\s,;:|/\\._-]",
    "delim-ws": r"\s*[,;:|/\\._-]?\s*",
    "ws": r"\s",
    "space": " ",
    "hex": "[0-9A-Fa-f]",
    "bool": "(?i:true|false)",
    "zip": "[0-9]{5}(?:-[0-9]{4})?",
    "phone": r"(?:\+?1[-. ]?)?\(?[0-9]{3}\)?[-. ]?[0-9]{3}[-. ]?[0-9]{4}",
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "url": r"(?:https?|ftp)://[^\s]+",
    "ip-address": r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}",
    "alphanum-underscore": "[A-Za-z0-9_]",
}

#: date and time parts, matched case-sensitively before the classes above (``{mm}`` is the month,
#: ``{MM}`` the minutes), as the platform's pattern conversions write them
#: (``({yyyy})-({mm})-({dd}) ({HH}):({MM}):({SS})``)
DATE_CLASSES: dict[str, str] = {
    "yyyy": "[0-9]{4}",
    "yy": "[0-9]{2}",
    "mm": "(?:0[1-9]|1[0-2])",
    "m": "(?:1[0-2]|0?[1-9])",
    "dd": "(?:0[1-9]|[12][0-9]|3[01])",
    "d": "(?:3[01]|[12][0-9]|0?[1-9])",
    "HH": "(?:[01][0-9]|2[0-3])",
    "H": "(?:2[0-3]|[01]?[0-9])",
    "MM": "[0-5][0-9]",
    "SS": "[0-5][0-9]",
}

_QUANTIFIER = re.compile(r"\{(\d+)(,(\d*))?\}")
_CLASS = re.compile(r"\{([A-Za-z][A-Za-z-]*)\}")


class PatternError(ValueError):
    """A pattern or regex is not well formed; ``offset`` is where, inside its text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


def pattern_to_regex(pattern: str) -> str:
    out: list[str] = []
    i = 0
    quantifiable = False
    alternatives = False
    opened: list[int] = []  # where each open group ( began
    while i < len(pattern):
        ch = pattern[i]
        if ch == "|":
            out.append("|")
            alternatives = True
            quantifiable = False
            i += 1
            continue
        if ch == "{":
            m = _CLASS.match(pattern, i)
            if m and m.group(1) in DATE_CLASSES:
                out.append(DATE_CLASSES[m.group(1)])
                quantifiable = True
                i = m.end()
                continue
            if m:
                name = m.group(1).lower()
                if name not in PATTERN_CLASSES:
                    import difflib

                    near = difflib.get_close_matches(name, PATTERN_CLASSES, n=1)
                    hint = f" (did you mean {{{near[0]}}}?)" if near else ""
                    raise PatternError(f"unknown pattern class {{{m.group(1)}}}{hint}", i)
                out.append(PATTERN_CLASSES[name])
                quantifiable = name not in ("start", "end")
                i = m.end()
                continue
            q = _QUANTIFIER.match(pattern, i)
            if q:
                if not quantifiable:
                    raise PatternError("a quantifier must follow something to repeat", i)
                low, high = q.group(1), q.group(3)
                if high and int(high) < int(low):
                    raise PatternError(f"quantifier {q.group(0)} has its bounds reversed", i)
                out.append(q.group(0))
                quantifiable = False
                i = q.end()
                continue
            raise PatternError("'{' starts neither a pattern class nor a quantifier", i)
        if ch in "+*?":
            if not quantifiable:
                raise PatternError(f"{ch!r} must follow something to repeat", i)
            out.append(ch)
            quantifiable = False
            i += 1
            continue
        if ch == "(":
            out.append("(")
            opened.append(i)
            quantifiable = False
            i += 1
            continue
        if ch == ")":
            if not opened:
                raise PatternError("')' closes no group (write \\) for a parenthesis)", i)
            opened.pop()
            out.append(")")
            quantifiable = True
            i += 1
            continue
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            quantifiable = True
            i += 2
            continue
        out.append(re.escape(ch) if ch not in " " else ch)
        quantifiable = True
        i += 1
    if opened:
        raise PatternError(
            "'(' opens a group that is never closed (write \\( for a parenthesis)", opened[-1]
        )
    regex = "".join(out)
    return f"(?:{regex})" if alternatives else regex


_FLAGS = {"i": "i", "m": "m", "s": "s", "g": ""}


def regex_flags(flags: str) -> str:
    """``/x/ims`` flags as a Java inline flag group (``g`` is implied: matches are global)."""
    for j, f in enumerate(flags):
        if f not in _FLAGS:
            raise PatternError(f"unknown regular expression flag {f!r}", j)
    inline = "".join(sorted({_FLAGS[f] for f in flags} - {""}))
    return f"(?{inline})" if inline else ""
