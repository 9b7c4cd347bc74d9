"""Redshift's COPY conversions of a field's text to a column's type, with Redshift's load errors.

Each target column is described once (:class:`TargetColumn`, from PostgreSQL's catalog); each
field is converted to the text PostgreSQL's ``COPY FROM STDIN`` accepts for that column, or a
:class:`FieldError` carrying Redshift's error code and reason (``1204 String length exceeds DDL
length``, ``1207 Invalid digit, Value 'a', Pos 0, Type: Integer``, ...), which the loader turns
into an ``stl_load_errors`` row.

Redshift semantics kept here (where PostgreSQL differs): CHAR/VARCHAR lengths are bytes, not
characters; ``VARCHAR`` without a length and ``TEXT`` are ``VARCHAR(256)``; an empty or blank
field of a non-character type loads NULL; decimals with too many fraction digits are truncated
(rounded with ROUNDEC); dates and timestamps follow DATEFORMAT / TIMEFORMAT.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

INT_RANGES = {
    "smallint": (-(2**15), 2**15 - 1, "Short"),
    "integer": (-(2**31), 2**31 - 1, "Integer"),
    "bigint": (-(2**63), 2**63 - 1, "Long"),
}
#: PostgreSQL type names (pg_type.typname) -> the kinds converted here
KINDS = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "numeric": "numeric",
    "float4": "real",
    "float8": "double",
    "bool": "boolean",
    "bpchar": "char",
    "varchar": "varchar",
    "text": "varchar",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
    "super": "super",
}
_INT = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity|nan)", re.I)
TRUE_WORDS = {"t", "true", "y", "yes", "1"}
FALSE_WORDS = {"f", "false", "n", "no", "0"}
REAL_MAX = 3.4028235e38


class FieldError(Exception):
    """A value that does not fit its column: Redshift's error code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class TargetColumn:
    """A column of the table being loaded, as PostgreSQL's catalog describes it."""

    name: str
    typname: str  # pg_type.typname: int4, varchar, numeric, super, ...
    typmod: int
    not_null: bool

    @property
    def kind(self) -> str:
        return KINDS.get(self.typname, "other")

    @property
    def length(self) -> int:
        """CHAR/VARCHAR length in bytes (Redshift: VARCHAR and TEXT without one are 256)."""
        if self.typmod >= 4:
            return self.typmod - 4
        return 256 if self.kind == "varchar" else 1

    @property
    def precision_scale(self) -> tuple[int, int]:
        if self.typmod < 4:
            return 18, 0  # Redshift's DECIMAL without arguments
        mod = self.typmod - 4
        return (mod >> 16) & 0xFFFF, mod & 0xFFFF

    @property
    def col_length(self) -> str:
        """What stl_load_errors.col_length shows for this column."""
        if self.kind in ("char", "varchar"):
            return str(self.length)
        if self.kind == "numeric":
            precision, scale = self.precision_scale
            return f"{precision},{scale}"
        return "0"


@dataclass(frozen=True)
class ConversionOptions:
    """The COPY options that change how a field converts."""

    dateformat: str | None = None
    timeformat: str | None = None
    empty_as_null: bool = False
    blanks_as_null: bool = False
    accept_inv_chars: str | None = None
    truncate_columns: bool = False
    null_as: str | None = None
    trim_blanks: bool = False
    round_dec: bool = False


def convert(column: TargetColumn, value: Any, options: ConversionOptions) -> str | None:
    """The PostgreSQL COPY text of ``value`` for ``column`` (None: NULL), or FieldError.

    ``value`` is a field's text (csv, json scalars), None (a missing or null field), or for
    json and avro a typed value (dict, list, bool, int, float, Decimal, date, datetime, bytes).
    """
    out = _convert(column, value, options)
    if out is None and column.not_null:
        raise FieldError(1213, "Missing data for not-null field")
    return out


def _convert(column: TargetColumn, value: Any, options: ConversionOptions) -> str | None:
    if value is None:
        return None
    kind = column.kind
    if kind == "super":
        return _super(value)
    if not isinstance(value, str):
        value = _typed_to_text(column, value)
        if value is None:
            return None
    if options.null_as is not None and value == options.null_as:
        return None
    if kind in ("char", "varchar"):
        return _character(column, value, options)
    if any("\udc80" <= c <= "\udcff" for c in value):
        raise FieldError(
            1220, "String contains invalid or unsupported UTF8 codepoints. Bad UTF8 hex sequence"
        )
    if value.strip() == "":
        return None  # empty and blank fields of other types always load NULL
    text = value.strip()
    if kind in INT_RANGES:
        return _integer(kind, text)
    if kind == "numeric":
        return _numeric(column, text, options)
    if kind in ("real", "double"):
        return _float(kind, text)
    if kind == "boolean":
        lowered = text.lower()
        if lowered in TRUE_WORDS:
            return "t"
        if lowered in FALSE_WORDS:
            return "f"
        raise FieldError(1210, f"Invalid Boolean, Value '{text}'")
    if kind == "date":
        return parse_date(text, options.dateformat).isoformat()
    if kind == "timestamp":
        moment = parse_timestamp(text, options.timeformat, with_zone=False)
        return moment.replace(tzinfo=None).isoformat(sep=" ")
    if kind == "timestamptz":
        moment = parse_timestamp(text, options.timeformat, with_zone=True)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.isoformat(sep=" ")
    return value  # a type the double does not know: PostgreSQL converts it


def _typed_to_text(column: TargetColumn, value: Any) -> str | None:
    """A json/avro typed value as the text Redshift would convert."""
    if isinstance(value, bool):
        if column.kind in INT_RANGES or column.kind in ("numeric", "real", "double"):
            return "1" if value else "0"
        return "true" if value else "false"
    if isinstance(value, datetime):
        if column.kind == "date":
            return value.date().isoformat()
        if value.tzinfo is not None and column.kind != "timestamptz":
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="surrogateescape")
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _character(column: TargetColumn, value: str, options: ConversionOptions) -> str | None:
    if any("\udc80" <= c <= "\udcff" for c in value):
        if options.accept_inv_chars is None:
            raise FieldError(
                1220,
                "String contains invalid or unsupported UTF8 codepoints. Bad UTF8 hex sequence: "
                + next(f"{ord(c) - 0xDC00:02x}" for c in value if "\udc80" <= c <= "\udcff")
                + " (error 4)",
            )
        value = "".join(options.accept_inv_chars if "\udc80" <= c <= "\udcff" else c for c in value)
    if options.empty_as_null and value == "":
        return None
    if options.blanks_as_null and value != "" and value.strip(" \t") == "":
        return None
    if options.trim_blanks:
        value = value.rstrip(" ")
    if column.kind == "char" and not value.isascii():
        raise FieldError(
            1215, "Multibyte character not supported for CHAR (Hint: try using VARCHAR)"
        )
    encoded = value.encode()
    if len(encoded) > column.length:
        if not options.truncate_columns:
            raise FieldError(1204, "String length exceeds DDL length")
        value = encoded[: column.length].decode(errors="ignore")
    return value


def _invalid_digit(
    text: str, type_name: str, code: int = 1207, allowed: str = "+-0123456789"
) -> FieldError:
    pos, char = 0, text[:1]
    for index, c in enumerate(text):
        if c not in allowed or (c in "+-" and index > 0):
            pos, char = index, c
            break
    return FieldError(code, f"Invalid digit, Value '{char}', Pos {pos}, Type: {type_name}")


def _integer(kind: str, text: str) -> str:
    low, high, type_name = INT_RANGES[kind]
    if not _INT.fullmatch(text):
        raise _invalid_digit(text, type_name)
    number = int(text)
    if not low <= number <= high:
        raise FieldError(1204, f"Overflow, Value '{text}', Pos 0, Type: {type_name}")
    return str(number)


def _numeric(column: TargetColumn, text: str, options: ConversionOptions) -> str:
    if not _DECIMAL.fullmatch(text):
        raise _invalid_digit(text, "Decimal", allowed="+-0123456789.")
    precision, scale = column.precision_scale
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise _invalid_digit(text, "Decimal", allowed="+-0123456789.") from None
    rounding = ROUND_HALF_UP if options.round_dec else ROUND_DOWN
    number = number.quantize(Decimal(1).scaleb(-scale), rounding=rounding)
    digits = len(number.as_tuple().digits) if number != 0 else 1
    integer_digits = max(digits - scale, 0) if number != 0 else 0
    if integer_digits > precision - scale:
        raise FieldError(1204, f"Numeric data overflow (result precision), Value '{text}'")
    return format(number, "f")


def _float(kind: str, text: str) -> str:
    type_name = "Float" if kind == "real" else "Double"
    if not _FLOAT.fullmatch(text):
        raise _invalid_digit(text, type_name, code=1208, allowed="+-0123456789.eE")
    number = float(text)
    if (
        kind == "real"
        and abs(number) > REAL_MAX
        and number != float("inf")
        and number != float("-inf")
    ):
        raise FieldError(1204, f"Overflow, Value '{text}', Type: {type_name}")
    return repr(number) if number == number and abs(number) != float("inf") else text


def _super(value: Any) -> str:
    """SUPER: json/avro values are kept as they are; text (csv) must be well-formed JSON."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value, parse_float=Decimal)
        except ValueError:
            raise FieldError(
                1224, "Invalid JSON for SUPER: input is not well-formed JSON"
            ) from None
        return json.dumps(parsed, default=_json_default, ensure_ascii=False)
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode(errors="replace")
    return str(value)


# --- DATEFORMAT / TIMEFORMAT -------------------------------------------------------------------

_MONTHS = {
    name: index + 1
    for index, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for name in names
}
#: Redshift's dateparts and timeparts, longest first, and the regex group each one reads
_PARTS = [
    ("YYYY", r"(?P<year>\d{4})"),
    ("HH24", r"(?P<hour>\d{1,2})"),
    ("HH12", r"(?P<hour12>\d{1,2})"),
    ("MON", r"(?P<mon>[A-Za-z]{3,9})"),
    ("YY", r"(?P<yy>\d{2})"),
    ("MM", r"(?P<month>\d{1,2})"),
    ("DD", r"(?P<day>\d{1,2})"),
    ("HH", r"(?P<hour>\d{1,2})"),
    ("MI", r"(?P<minute>\d{1,2})"),
    ("SS", r"(?P<second>\d{1,2})(?:\.(?P<fraction>\d{1,6}))?"),
    ("AM", r"(?P<ampm>[AaPp][Mm])"),
    ("PM", r"(?P<ampm>[AaPp][Mm])"),
]


def _format_regex(fmt: str) -> re.Pattern[str]:
    out = []
    pos = 0
    used: set[str] = set()
    while pos < len(fmt):
        for token, pattern in _PARTS:
            if fmt[pos : pos + len(token)].upper() == token:
                group = re.search(r"\?P<(\w+)>", pattern)
                name = group.group(1) if group else token
                if name in used:
                    pattern = re.sub(r"\?P<\w+>", "?:", pattern)
                used.add(name)
                out.append(pattern)
                pos += len(token)
                break
        else:
            char = fmt[pos]
            out.append(r"\s+" if char == " " else re.escape(char))
            pos += 1
    return re.compile("".join(out))


def _from_parts(parts: dict[str, str | None]) -> datetime:
    if parts.get("year"):
        year = int(parts["year"] or 0)
    elif parts.get("yy"):
        yy = int(parts["yy"] or 0)
        year = 2000 + yy if yy < 70 else 1900 + yy
    else:
        year = 1900
    if parts.get("mon"):
        month = _MONTHS.get((parts["mon"] or "").lower())
        if month is None:
            raise ValueError("month name")
    else:
        month = int(parts.get("month") or 1)
    day = int(parts.get("day") or 1)
    hour = int(parts.get("hour") or 0)
    if parts.get("hour12"):
        hour = int(parts["hour12"] or 0) % 12
        if (parts.get("ampm") or "").lower() == "pm":
            hour += 12
    fraction = (parts.get("fraction") or "").ljust(6, "0")
    return datetime(
        year,
        month,
        day,
        hour,
        int(parts.get("minute") or 0),
        int(parts.get("second") or 0),
        int(fraction or 0),
    )


_DEFAULT_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[ T])")
_DEFAULT_TS = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ ](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?)?"
    r"(?P<offset>\s*(?:[+-]\d{1,2}(?::?\d{2})?|Z|UTC))?"
)


def parse_date(text: str, fmt: str | None) -> date:
    try:
        if fmt is None:
            match = _DEFAULT_DATE.match(text)
            if not match:
                raise ValueError(text)
            return date(int(match[1]), int(match[2]), int(match[3]))
        if fmt == "auto":
            return _auto(text).date()
        match = _format_regex(fmt).match(text)
        if not match:
            raise ValueError(text)
        return _from_parts(match.groupdict()).date()
    except (ValueError, OverflowError):
        shown = "YYYY-MM-DD" if fmt is None else fmt
        raise FieldError(1205, f"Invalid date format or value [{shown}], Value '{text}'") from None


def parse_timestamp(text: str, fmt: str | None, *, with_zone: bool) -> datetime:
    try:
        if fmt is None:
            match = _DEFAULT_TS.fullmatch(text)
            if not match or (match["offset"] and not with_zone):
                raise ValueError(text)
            moment = datetime(
                int(match[1]),
                int(match[2]),
                int(match[3]),
                int(match[4] or 0),
                int(match[5] or 0),
                int(match[6] or 0),
                int((match[7] or "").ljust(6, "0") or 0),
            )
            if match["offset"]:
                moment = moment.replace(tzinfo=_offset(match["offset"].strip()))
            return moment
        if fmt == "epochsecs":
            return datetime.fromtimestamp(float(text), timezone.utc).replace(
                tzinfo=timezone.utc if with_zone else None
            )
        if fmt == "epochmillisecs":
            return datetime.fromtimestamp(float(text) / 1000, timezone.utc).replace(
                tzinfo=timezone.utc if with_zone else None
            )
        if fmt == "auto":
            return _auto(text)
        match = _format_regex(fmt).fullmatch(text)
        if not match:
            raise ValueError(text)
        return _from_parts(match.groupdict())
    except (ValueError, OverflowError, OSError):
        shown = "YYYY-MM-DD HH24:MI:SS" if fmt is None else fmt
        raise FieldError(
            1206, f"Invalid timestamp format or value [{shown}], Value '{text}'"
        ) from None


def _offset(text: str) -> timezone:
    if text in ("Z", "UTC"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:-2] if len(digits) > 2 else digits)
    minutes = int(digits[-2:]) if len(digits) > 2 else 0
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


_AUTO_FORMATS = [
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%Y%m%d %H%M%S",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%Y/%m/%d",
    "%Y%m%d",
    "%b-%d-%Y",
    "%d %b %Y",
    "%b %d %Y",
    "%b %d %Y %H:%M:%S",
    "%Y.%j",
]


def _auto(text: str) -> datetime:
    """DATEFORMAT/TIMEFORMAT 'auto': ISO 8601 (with T, Z, offsets) and the common spellings."""
    candidate = text.strip()
    if candidate.endswith("Z") or candidate.endswith("z"):
        candidate = candidate[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    match = re.fullmatch(r"(.*\d)\s*([+-]\d{1,2}(?::?\d{2})?)", candidate)
    if match:
        try:
            return datetime.fromisoformat(match[1]).replace(tzinfo=_offset(match[2]))
        except ValueError:
            pass
    for fmt in _AUTO_FORMATS:
        try:
            return datetime.strptime(candidate, fmt)
        except ValueError:
            continue
    raise ValueError(text)
