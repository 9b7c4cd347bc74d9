r"""Platform patterns (`` `{digit}{3}-{alpha}+` ``) and ``/regex/flags`` as Java regular expressions.

A platform pattern is literal text with pattern classes in braces (``{digit}``, ``{alpha}``, ...),
quantifiers in braces (``{3}``, ``{2,4}``) or as ``+ * ?``, and ``|`` between alternatives
(``{start}"|"{end}``: a quote at the start or at the end, as the platform's own labs write it;
``\|`` is a literal bar). Every other character stands for itself. The result is a Java regular
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
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            quantifiable = True
            i += 2
            continue
        out.append(re.escape(ch) if ch not in " " else ch)
        quantifiable = True
        i += 1
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
