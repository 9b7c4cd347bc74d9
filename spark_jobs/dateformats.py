"""Date format strings (``yyyy-MM-dd``): one tokenizer, read three ways.

The platform writes date formats with Java's letters: a run of one letter is a field (``yyyy``,
``MM``), text in single quotes is literal (``''`` is a quote), and every other character stands
for itself. The spec (dates in paths), the recipe's date functions and the recipe's type system
all read them; this module, outside every stage, is where the format is taken apart, so they
cannot disagree on where a field starts:

* :func:`spark_pattern`: a format as a Spark datetime pattern (DATEFORMAT, PARSEDATE, ...).
* :func:`format_guard`: a cheap regular expression every text a Spark pattern parses matches.
* :func:`date_format`: a path date format (``yyyy/MM/dd``) to match, parse, render and glob.
* :func:`type_format_patterns`: the platform's Datetime *type* formats (``'mm-dd-yy',
  'mm*dd*yyyy'``, another dialect: lower-case ``mm`` is a month) as Spark patterns.

Pure Python: no Spark, no stage imports.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache


class FormatError(ValueError):
    """A date format that cannot be read; the message says what and where."""


@dataclass(frozen=True)
class Field:
    """A run of one pattern letter (``yyyy``) starting at ``position`` (0-based)."""

    letter: str
    width: int
    position: int

    @property
    def text(self) -> str:
        return self.letter * self.width


@dataclass(frozen=True)
class Literal:
    """Text that stands for itself: a quoted stretch (``source`` keeps the quotes) or one
    character."""

    text: str
    source: str
    position: int
    quoted: bool = False


Token = Field | Literal


def tokenize(fmt: str) -> Iterator[Token]:
    """The fields and literals of ``fmt`` in order; an ASCII letter starts a field.

    Raises :class:`FormatError` for a quote that is never closed.
    """
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "'":
            end = fmt.find("'", i + 1)
            if end < 0:
                raise FormatError(f"unclosed quote at position {i + 1}")
            yield Literal(fmt[i + 1 : end] or "'", fmt[i : end + 1], i, quoted=True)
            i = end + 1
        elif ch.isascii() and ch.isalpha():
            run = len(fmt) - i - len(fmt[i:].lstrip(ch))
            yield Field(ch, run, i)
            i += run
        else:
            yield Literal(ch, ch, i)
            i += 1


def _reading(tokens: Iterator[Token], reword: Callable[[str], str]) -> Iterator[Token]:
    """``tokens`` as they come (so a caller's error before a bad quote is the one raised), with
    a tokenizer error reworded for the caller."""
    try:
        yield from tokens
    except FormatError as exc:
        raise FormatError(reword(str(exc))) from None


# --- Spark datetime patterns (the recipe's date functions) ---------------------------------------

#: platform token letter -> (Spark letter, longest run Spark accepts)
_SPARK_LETTERS: dict[str, tuple[str, int]] = {
    "y": ("y", 4),  # year: yy, yyyy
    "M": ("M", 4),  # month: M, MM, MMM (Jan), MMMM (January)
    "L": ("L", 4),  # stand-alone month
    "d": ("d", 2),  # day of month
    "D": ("D", 3),  # day of year
    "E": ("E", 4),  # day name: EEE (Wed), EEEE (Wednesday)
    "H": ("H", 2),  # hour 0-23
    "k": ("k", 2),  # hour 1-24
    "h": ("h", 2),  # hour 1-12 (with a)
    "K": ("K", 2),  # hour 0-11 (with a)
    "m": ("m", 2),  # minute
    "s": ("s", 2),  # second
    "S": ("S", 9),  # fraction of second: SSS milliseconds
    "a": ("a", 1),  # AM / PM
    "X": ("X", 3),  # offset: X (+08), XX (+0800), XXX (+08:00), Z for zero
    "x": ("x", 3),
    "Z": ("Z", 3),  # offset +0800
    "z": ("z", 4),  # zone name
    "Q": ("Q", 4),  # quarter
    "G": ("G", 4),  # era
}


def spark_pattern(fmt: str) -> str:
    """A platform date format string as a Spark datetime pattern.

    Letters are tokens (runs of one letter); text in single quotes and any other character
    are copied. Raises :class:`FormatError` for a letter or run the platform and Spark lack.
    """
    out: list[str] = []
    for token in _reading(tokenize(fmt), lambda _: "unterminated quote"):
        if isinstance(token, Literal):
            out.append(token.source)
            continue
        ch, run = token.letter, token.width
        if ch not in _SPARK_LETTERS:
            raise FormatError(f"unknown format letter {ch!r}")
        letter, longest = _SPARK_LETTERS[ch]
        if run > longest:
            raise FormatError(f"{ch * run!r} is too long (at most {ch * longest!r})")
        out.append(letter * (4 if ch == "y" and run == 3 else run))
    return "".join(out)


#: a regular expression that every text a run of one pattern letter can parse matches
_FIELD_REGEX: dict[str, str] = {
    "y": r"[+-]?\d+",
    "u": r"[+-]?\d+",
    "d": r"\d{1,2}",
    "H": r"\d{1,2}",
    "h": r"\d{1,2}",
    "k": r"\d{1,2}",
    "K": r"\d{1,2}",
    "m": r"\d{1,2}",
    "s": r"\d{1,2}",
    "D": r"\d{1,3}",
    "S": r"\d+",
    "E": r"\p{L}+\.?",
    "a": r"\p{L}+\.?",
    "X": r"[\w:+\-/]+",
    "x": r"[\w:+\-/]+",
    "Z": r"[\w:+\-/]+",
    "O": r"[\w:+\-/]+",
    "V": r"[\w:+\-/]+",
    "z": r"[\w:+\-/ ]+",
}


def format_guard(pattern: str) -> str | None:
    """A cheap regular expression that every text ``pattern`` can parse matches, or None.

    Why: a failed ``try_to_timestamp`` costs a Java exception (stack trace included), so trying a
    value against several formats made classification of a Date column ~100x slower than the
    CSV read itself. Checking the guard first skips the formats a text cannot fit. The guard is
    deliberately looser than the formatter (a superset), so it never changes a result; patterns
    with parts it does not model (optional sections ``[...]``, rare letters) get no guard.
    """
    out: list[str] = []
    try:
        tokens = list(tokenize(pattern))
    except FormatError:
        return None
    for token in tokens:
        if isinstance(token, Field):
            if token.letter in ("M", "L"):
                out.append(r"\d{1,2}" if token.width <= 2 else r"\p{L}+\.?")
            elif token.letter in _FIELD_REGEX:
                out.append(_FIELD_REGEX[token.letter])
            else:
                return None
        elif not token.quoted and (token.text in "[]{}#" or token.text.isalpha()):
            # optional sections and reserved characters are not modelled; a non-ASCII letter
            # is left unguarded as it always was
            return None
        else:
            out.append(re.escape(token.text))
    return r"(?i)^\s*" + "".join(out) + r"\s*$"


# --- path date formats (the spec's dateRange and timestamp parameters) ---------------------------

#: format letters -> (field, regex); ``YYYY`` and ``DD`` are the platform UI's spellings
_DATE_TOKENS: dict[str, tuple[str, str]] = {
    "yyyy": ("year", r"\d{4}"),
    "YYYY": ("year", r"\d{4}"),
    "yy": ("year2", r"\d{2}"),
    "YY": ("year2", r"\d{2}"),
    "MMMM": ("month_name", "(?:" + "|".join(calendar.month_name[1:]) + ")"),
    "MMM": ("month_abbr", "(?:" + "|".join(calendar.month_abbr[1:]) + ")"),
    "MM": ("month", r"\d{2}"),
    "M": ("month", r"\d{1,2}"),
    "dd": ("day", r"\d{2}"),
    "DD": ("day", r"\d{2}"),
    "d": ("day", r"\d{1,2}"),
    "D": ("day", r"\d{1,2}"),
    "HH": ("hour", r"\d{2}"),
    "H": ("hour", r"\d{1,2}"),
    "mm": ("minute", r"\d{2}"),
    "ss": ("second", r"\d{2}"),
    "SSS": ("millisecond", r"\d{3}"),
}
#: granularity of a format: the finest field it holds
_UNIT_OF_FIELD = {
    "year": "year",
    "year2": "year",
    "month": "month",
    "month_name": "month",
    "month_abbr": "month",
    "day": "day",
    "hour": "hour",
    "minute": "minute",
    "second": "second",
    "millisecond": "millisecond",
}
#: the units of time, coarsest first
UNITS = ("year", "month", "week", "day", "hour", "minute", "second", "millisecond")


@dataclass(frozen=True)
class DateFormat:
    """A date format such as ``yyyy/MM/dd``: match, parse, render and glob it."""

    text: str
    tokens: tuple[tuple[str, str], ...]  # ("token", "yyyy") or ("literal", "/")
    regex: str  # no capturing groups: embeddable
    unit: str  # finest unit it holds: "day" for yyyy-MM-dd

    def glob_parts(self) -> list[str | None]:
        """Literal text and ``None`` for each stretch of date digits (a glob's ``*``)."""
        out: list[str | None] = []
        for kind, value in self.tokens:
            if kind == "literal":
                out.append(value)
            elif not out or out[-1] is not None:
                out.append(None)
        return out

    def parse(self, text: str) -> datetime | None:
        """The (naive) date the text holds, or None when it is not a date in this format."""
        match = _parser(self.text).fullmatch(text)
        if match is None:
            return None
        fields: dict[str, int] = {}
        for index, (kind, value) in enumerate(self.tokens):
            if kind != "token":
                continue
            raw = match.group(f"t{index}")
            name = _DATE_TOKENS[value][0]
            if name == "year2":
                name, number = "year", 2000 + int(raw)
            elif name == "month_name":
                name, number = "month", list(calendar.month_name).index(raw)
            elif name == "month_abbr":
                name, number = "month", list(calendar.month_abbr).index(raw)
            else:
                number = int(raw)
            if fields.setdefault(name, number) != number:
                return None
        try:
            return datetime(
                fields.get("year", 1970),
                fields.get("month", 1),
                fields.get("day", 1),
                fields.get("hour", 0),
                fields.get("minute", 0),
                fields.get("second", 0),
                fields.get("millisecond", 0) * 1000,
            )
        except ValueError:
            return None

    def render(self, moment: datetime) -> str:
        out = []
        for kind, value in self.tokens:
            if kind == "literal":
                out.append(value)
                continue
            out.append(
                {
                    "yyyy": f"{moment.year:04d}",
                    "YYYY": f"{moment.year:04d}",
                    "yy": f"{moment.year % 100:02d}",
                    "YY": f"{moment.year % 100:02d}",
                    "MMMM": calendar.month_name[moment.month],
                    "MMM": calendar.month_abbr[moment.month],
                    "MM": f"{moment.month:02d}",
                    "M": str(moment.month),
                    "dd": f"{moment.day:02d}",
                    "DD": f"{moment.day:02d}",
                    "d": str(moment.day),
                    "D": str(moment.day),
                    "HH": f"{moment.hour:02d}",
                    "H": str(moment.hour),
                    "mm": f"{moment.minute:02d}",
                    "ss": f"{moment.second:02d}",
                    "SSS": f"{moment.microsecond // 1000:03d}",
                }[value]
            )
        return "".join(out)


def _path_tokens(text: str) -> list[tuple[str, str]]:
    """``text`` as known tokens and literals; a run longer than any token of its letter is
    read as the longest tokens that fit (``MMMMM`` is ``MMMM`` then ``M``)."""
    tokens: list[tuple[str, str]] = []
    for part in _reading(tokenize(text), lambda reason: f"date format {text!r}: {reason}"):
        if isinstance(part, Literal):
            tokens.append(("literal", part.text))
            continue
        at, left = part.position, part.width
        while left:
            width = next((w for w in range(left, 0, -1) if part.letter * w in _DATE_TOKENS), 0)
            if not width:
                known = " ".join(sorted(_DATE_TOKENS, key=str.lower))
                raise FormatError(
                    f"date format {text!r}: unknown letter {part.letter!r} at position {at + 1} "
                    f"(known: {known}; quote literal text as 'T')"
                )
            tokens.append(("token", part.letter * width))
            at, left = at + width, left - width
    return tokens


@lru_cache(maxsize=256)
def date_format(text: str) -> DateFormat:
    """Compile a date format: ``yyyy`` (or ``YYYY``) ``yy`` ``MMMM`` ``MMM`` ``MM`` ``M`` ``dd``
    (or ``DD``) ``d`` ``HH`` ``H`` ``mm`` ``ss`` ``SSS``; text in single quotes is literal, as is
    every character that is not a letter. Raises :class:`FormatError`."""
    if not text:
        raise FormatError("a date format cannot be empty")
    tokens = _path_tokens(text)
    fields = [_DATE_TOKENS[v][0] for k, v in tokens if k == "token"]
    if not fields:
        raise FormatError(f"date format {text!r} holds no date (use e.g. yyyy-MM-dd)")
    units = {_UNIT_OF_FIELD[f] for f in fields}
    unit = max(units, key=UNITS.index)
    regex = "".join(
        _DATE_TOKENS[value][1] if kind == "token" else re.escape(value) for kind, value in tokens
    )
    return DateFormat(text=text, tokens=tuple(tokens), regex=regex, unit=unit)


@lru_cache(maxsize=256)
def _parser(text: str) -> re.Pattern[str]:
    fmt = date_format(text)
    return re.compile(
        "".join(
            f"(?P<t{index}>{_DATE_TOKENS[value][1]})" if kind == "token" else re.escape(value)
            for index, (kind, value) in enumerate(fmt.tokens)
        )
    )


# --- the Datetime type's formats (settype, ISMISMATCHED) ------------------------------------


#: the platform's date tokens -> Spark's (month is ``mm`` in a date, minutes after ``HH:``)
_PLATFORM_FORMAT = [
    ("yyyy", "yyyy"),
    ("yy", "yy"),
    ("mmmm", "MMMM"),
    ("mmm", "MMM"),
    ("mm", "MM"),
    ("dd", "dd"),
    ("m", "M"),
    ("d", "d"),
]


def _platform_time_format(time: str) -> str:
    """The time part of a platform format: ``MM`` minutes, ``SS`` seconds; ``hh`` is the 24-hour
    clock unless an ``a`` (AM/PM) follows, as in ``hh:MMa``."""
    time = time.replace("MM", "mm").replace("SS", "ss")
    return time if "a" in time else time.replace("hh", "HH")


def type_format_pattern(fmt: str) -> str:
    """A format of the platform's Datetime *type* (``mm-dd-yyyy``, ``yyyy-mm-dd HH:MM:SS``,
    ``hh:MMa``: lower-case ``mm`` is the month in a date, ``MM`` the minutes in a time; what
    settype and ISMISMATCHED take) as a Spark pattern."""
    if " " in fmt or "T" in fmt:
        date, sep, time = fmt.partition(" ") if " " in fmt else fmt.partition("T")
        return (
            type_format_pattern(date)
            + (sep if sep == " " else "'T'")
            + (_platform_time_format(time))
        )
    if ":" in fmt:
        return _platform_time_format(fmt)
    out = []
    i = 0
    while i < len(fmt):
        for src, dst in _PLATFORM_FORMAT:
            if fmt.lower().startswith(src, i):
                out.append(dst)
                i += len(src)
                break
        else:
            ch = fmt[i]
            out.append(ch if not ch.isalpha() else f"'{ch}'")
            i += 1
    return "".join(out)


#: what a ``*`` of a platform format family stands for: a date separator, or (before the hour)
#: the one between date and time
_FAMILY_DATE_SEPARATORS = ("-", "/", ".")
_FAMILY_TIME_SEPARATORS = (" ", "T")


def type_format_patterns(specs: Sequence[str]) -> list[str]:
    """Spark patterns of a platform Datetime type written as ``'Datetime', format, family``
    (``'yy-mm-dd hh:mm:ss', 'yyyy*mm*dd*HH:MM:SS'``): the format, then each spelling of the
    family, whose ``*`` is any one date separator (``-``, ``/``, ``.``), and ``' '`` or ``T``
    before the hour."""
    out = [type_format_pattern(specs[0])] if specs else []
    for family in specs[1:]:
        pieces = family.split("*")
        for date_sep in _FAMILY_DATE_SEPARATORS:
            for time_sep in _FAMILY_TIME_SEPARATORS:
                text = pieces[0]
                for piece in pieces[1:]:
                    text += (time_sep if piece[:1] in ("H", "h") else date_sep) + piece
                out.append(type_format_pattern(text))
    return list(dict.fromkeys(out))
