"""Parameters in paths, as the platform defines them: variables, patterns and dates.

An imported dataset's ``uri`` (and an output's ``path``) names its parameters in braces,
``file:///data/{region}/orders-{part}.csv``; each name is declared in the dataset's (the
output's) ``parameters`` list. ``{{`` and ``}}`` stand for literal braces. This module is pure:
it parses templates, turns Trifacta patterns, wildcards and date formats into regular
expressions and globs, and works out the date window of a run. Listing files is the io stage's
business (:mod:`spark_jobs.io.matching`).

Every parameter matches inside one directory level except a date whose format spans levels
(``yyyy/MM/dd``), so a path with parameters becomes a glob with ``*`` in their places: one
listing call finds every candidate, and the regular expression picks the files.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from spark_jobs import dateformats
from spark_jobs.dateformats import UNITS, DateFormat

#: what a parameter may be called: letters, digits, ``_``, ``-`` and ``.`` (``env.bucket``)
NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_.\-]*"
NAME_RE = re.compile(NAME_PATTERN)


class ParameterError(ValueError):
    """A parameter definition, template or value that cannot work; the message says why."""


# --- templates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placeholder:
    """``{name}`` in a template."""

    name: str


TemplatePart = str | Placeholder


@lru_cache(maxsize=1024)
def parse_template(text: str) -> tuple[TemplatePart, ...]:
    """``"a/{x}/b{{1}}"`` -> ``("a/", Placeholder("x"), "/b{1}")``; raises ParameterError."""
    parts: list[TemplatePart] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in "{}" and text.startswith(char * 2, i):
            literal.append(char)
            i += 2
            continue
        if char == "}":
            raise ParameterError(f"unmatched '}}' at position {i + 1}; write '}}}}' for a brace")
        if char == "{":
            end = text.find("}", i + 1)
            name = text[i + 1 : end] if end > 0 else ""
            if end < 0 or not NAME_RE.fullmatch(name):
                raise ParameterError(
                    f"'{{' at position {i + 1} does not start a parameter like {{name}}; "
                    "write '{{' for a brace"
                )
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(Placeholder(name))
            i = end + 1
            continue
        literal.append(char)
        i += 1
    if literal:
        parts.append("".join(literal))
    return tuple(parts)


def placeholder_names(text: str) -> list[str]:
    """The parameter names a template uses, in order of first use."""
    names = [p.name for p in parse_template(text) if isinstance(p, Placeholder)]
    return list(dict.fromkeys(names))


def fill_template(text: str, values: Mapping[str, str]) -> str:
    """The template with every placeholder replaced by its value (all must be given)."""
    out = []
    for part in parse_template(text):
        out.append(values[part.name] if isinstance(part, Placeholder) else part)
    return "".join(out)


# --- patterns -----------------------------------------------------------------------------------

#: Trifacta (Alteryx) pattern classes, as regular expressions that stay inside one path level
TRIFACTA_CLASSES: dict[str, str] = {
    "any": "[^/]",
    "alpha": "[A-Za-z_]",
    "upper": "[A-Z_]",
    "lower": "[a-z_]",
    "digit": "[0-9]",
    "alpha-numeric": "[A-Za-z0-9_]",
    "delim": r"[:,;|\-.\\\s]",
    "delim-ws": r"\s*[:,;|\-.\\]\s*",
    "bool": "(?:[Tt]rue|[Ff]alse|TRUE|FALSE)",
    "zip": r"(?:[0-9]{5}(?:-[0-9]{4})?)",
    "month": "(?:" + "|".join(calendar.month_name[1:]) + ")",
    "month-abbrev": "(?:" + "|".join(calendar.month_abbr[1:]) + ")",
    "dayofweek": "(?:" + "|".join(calendar.day_name) + ")",
    "dayofweek-abbrev": "(?:" + "|".join(calendar.day_abbr) + ")",
    "start": "",
    "end": "",
}
_QUANTIFIER = re.compile(r"\{(\d+)(?:,(\d*))?\}")


def trifacta_pattern_regex(pattern: str) -> str:
    """A Trifacta pattern (``POS-r{digit}{2}``, ``{alpha}+_%*``) as a regular expression.

    ``%`` is any character, ``#`` a digit, ``{class}`` one of :data:`TRIFACTA_CLASSES`;
    ``?``, ``*``, ``+``, ``{n}`` and ``{n,m}`` repeat what precedes them; ``(``, ``)`` and ``|``
    group; ``\\`` makes the next character literal; every other character stands for itself.
    """
    if not pattern:
        raise ParameterError("a pattern cannot be empty")
    out: list[str] = []
    can_repeat = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        quantifier = _QUANTIFIER.match(pattern, i) if char == "{" else None
        if char in "?*+" or quantifier:
            if not can_repeat:
                raise ParameterError(f"{pattern!r}: nothing to repeat at position {i + 1}")
            token = quantifier.group(0) if quantifier else char
            out.append(token)
            i += len(token)
            can_repeat = False
            continue
        if char == "{":
            end = pattern.find("}", i)
            name = pattern[i + 1 : end] if end > 0 else pattern[i + 1 :]
            if name not in TRIFACTA_CLASSES:
                known = ", ".join("{" + n + "}" for n in TRIFACTA_CLASSES)
                raise ParameterError(f"{pattern!r}: unknown pattern {{{name}}} (known: {known})")
            regex = TRIFACTA_CLASSES[name]
            out.append(regex)
            can_repeat = bool(regex)
            i = end + 1
            continue
        if char == "\\":
            if i + 1 >= len(pattern):
                raise ParameterError(f"{pattern!r}: '\\' at the end escapes nothing")
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif char == "%":
            out.append("[^/]")
            i += 1
        elif char == "#":
            out.append("[0-9]")
            i += 1
        elif char in "(|":
            out.append(char)
            i += 1
            can_repeat = False
            continue
        elif char == ")":
            out.append(char)
            i += 1
        else:
            out.append(re.escape(char))
            i += 1
        can_repeat = True
    return _checked_regex("".join(out), pattern)


def wildcard_regex(pattern: str) -> str:
    """A wildcard (``*`` any run of characters, ``?`` one character) as a regular expression."""
    if not pattern:
        raise ParameterError("a wildcard cannot be empty")
    out = []
    for char in pattern:
        out.append({"*": "[^/]*", "?": "[^/]"}.get(char) or re.escape(char))
    return _checked_regex("".join(out), pattern)


def user_regex(pattern: str) -> str:
    """A regular expression as written by the user; ``^`` / ``$`` around it are implied."""
    if not pattern:
        raise ParameterError("a regular expression cannot be empty")
    body = pattern[1:] if pattern.startswith("^") else pattern
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    return _checked_regex(body, pattern)


def _checked_regex(regex: str, source: str) -> str:
    if "/" in source:
        raise ParameterError(
            f"{source!r}: a pattern matches inside one directory level and cannot hold '/'; "
            "use one parameter per level"
        )
    try:
        re.compile(regex)
    except re.error as exc:
        raise ParameterError(f"{source!r} is not a valid pattern: {exc}") from None
    return regex


# --- date formats -------------------------------------------------------------------------------


def date_format(text: str) -> DateFormat:
    """A path date format compiled (see :func:`spark_jobs.dateformats.date_format`); raises
    ParameterError."""
    try:
        return dateformats.date_format(text)
    except dateformats.FormatError as exc:
        raise ParameterError(str(exc)) from None


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(
            f"unknown time zone {name!r} (use an IANA name such as UTC or Europe/Berlin)"
        ) from None


def parse_moment(text: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 date or date-time, as a naive local time in ``zone``."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ParameterError(
            f"{text!r} is not an ISO 8601 date or date-time (such as 2024-05-01 or "
            "2024-05-01T06:00:00)"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return moment


def add_units(moment: datetime, unit: str, count: int) -> datetime:
    """``moment`` moved by ``count`` units (months and years by the calendar)."""
    if unit in ("year", "month"):
        months = moment.month - 1 + count * (12 if unit == "year" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)
    seconds = {
        "week": 7 * 86400,
        "day": 86400,
        "hour": 3600,
        "minute": 60,
        "second": 1,
        "millisecond": 0.001,
    }[unit]
    return moment + timedelta(seconds=seconds * count)


def start_of(moment: datetime, unit: str) -> datetime:
    """The start of the unit ``moment`` is in (weeks start on Monday)."""
    if unit == "millisecond":
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    if unit == "week":
        day = start_of(moment, "day")
        return day - timedelta(days=day.weekday())
    fields = ("year", "month", "day", "hour", "minute", "second")
    kept = fields.index(unit) + 1
    parts = [getattr(moment, name) for name in fields[:kept]]
    defaults = [1970, 1, 1, 0, 0, 0]
    return datetime(*parts, *defaults[kept:])


@dataclass(frozen=True)
class DateWindow:
    """The dates a date parameter accepts in one run: ``start <= t < end`` (local, naive)."""

    start: datetime | None
    end: datetime | None
    zone: str

    def accepts(self, value: datetime, unit: str) -> bool:
        """Whether the period a path names (``value`` for one ``unit``) overlaps the window."""
        period_end = add_units(value, unit, 1)
        return (self.end is None or value < self.end) and (
            self.start is None or period_end > self.start
        )

    def describe(self) -> str:
        start = self.start.isoformat() if self.start else None
        end = self.end.isoformat() if self.end else None
        if start and end:
            return f"{start} <= t < {end} ({self.zone})"
        if start:
            return f"t >= {start} ({self.zone})"
        return f"t < {end} ({self.zone})"


def normalize_unit(unit: str) -> str:
    unit = unit.lower()
    unit = unit[:-1] if unit.endswith("s") else unit
    if unit not in UNITS or unit == "millisecond":
        raise ParameterError(f"unknown unit {unit!r} (use minute, hour, day, week, month or year)")
    return unit


def run_moment(run_time: datetime, zone: ZoneInfo) -> datetime:
    """The run's time as a naive local time in ``zone``."""
    if run_time.tzinfo is None:
        run_time = run_time.replace(tzinfo=timezone.utc)
    return run_time.astimezone(zone).replace(tzinfo=None)


def last_window(number: int, unit: str, zone_name: str, run_time: datetime) -> DateWindow:
    """The ``number`` whole units before the current one (which is left out), as the platform's
    ``last`` range: on 2024-05-08, the last 7 days are 2024-05-01 to 2024-05-07."""
    unit = normalize_unit(unit)
    end = start_of(run_moment(run_time, time_zone(zone_name)), unit)
    return DateWindow(add_units(end, unit, -number), end, zone_name)


# --- values of a run ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveValue:
    """What a parameter stood for in a run (recorded in the result JSON)."""

    name: str
    type: str  # variable | pattern | datetime | timestamp
    value: str
    source: str  # default | override | runTime
    used_by: tuple[str, ...] = field(default=(), compare=False)


def unique_names(names: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for name in names:
        if name not in seen:
            seen.add(name)
            yield name


def merge_effective(values: Sequence[EffectiveValue]) -> list[EffectiveValue]:
    """One entry per (name, type, value, source), listing every definition that used it."""
    merged: dict[tuple[str, str, str, str], list[str]] = {}
    for value in values:
        key = (value.name, value.type, value.value, value.source)
        merged.setdefault(key, []).extend(value.used_by)
    return [
        EffectiveValue(name, kind, text, source, tuple(unique_names(used)))
        for (name, kind, text, source), used in merged.items()
    ]
