"""Split a staged file into records the way Redshift's COPY reads CSV, JSON and Avro.

Each record keeps what ``stl_load_errors`` reports about it: its line number in the file (for
JSON the *last* line of the object, as Redshift records it; for Avro the record's ordinal), its raw
text, and for CSV where each field starts in the line. A record that cannot be read at all (an
unterminated quote, malformed JSON) comes back with its error; the rest of that file is then
unreadable and skipped, as there is no way to find where the next record starts.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import fastavro

from .convert import FieldError


@dataclass
class Record:
    line_number: int
    raw_line: str
    fields: list[str] = field(default_factory=list)  # csv: the fields' text
    positions: list[int] = field(default_factory=list)  # csv: where each field starts
    mapping: dict[str, Any] | None = None  # json / avro: the object
    error: FieldError | None = None


def _skip_lines(text: str, count: int) -> tuple[int, int]:
    pos, line = 0, 1
    for _ in range(count):
        newline = text.find("\n", pos)
        if newline < 0:
            return len(text), line
        pos, line = newline + 1, line + 1
    return pos, line


def csv_records(
    text: str, *, delimiter: str, quote: str, ignore_header: int, ignore_blank_lines: bool
) -> Iterator[Record]:
    """CSV as Redshift reads it: quoted fields may hold delimiters, quotes (doubled) and newlines;
    white space between a delimiter and a quote is ignored; CRLF line ends are accepted."""
    n = len(text)
    pos, line = _skip_lines(text, ignore_header)
    while pos < n:
        start, start_line = pos, line
        fields: list[str] = []
        positions: list[int] = []
        while True:
            field_start = pos
            probe = pos
            while probe < n and text[probe] in " \t" and text[probe] != delimiter:
                probe += 1
            if probe < n and text[probe] == quote:
                pos = probe + 1
                parts = []
                while True:
                    close = text.find(quote, pos)
                    if close < 0:
                        yield Record(
                            start_line,
                            text[start : start + 1024],
                            error=FieldError(1214, "Delimited value missing end quote"),
                        )
                        return
                    parts.append(text[pos:close])
                    if close + 1 < n and text[close + 1] == quote:
                        parts.append(quote)
                        pos = close + 2
                        continue
                    pos = close + 1
                    break
                line += text.count("\n", field_start, pos)
                while pos < n and text[pos] in " \t\r" and text[pos] != delimiter:
                    pos += 1
                value = "".join(parts)
                if pos < n and text[pos] not in (delimiter, "\n"):
                    stop = _field_end(text, pos, delimiter)
                    value += text[pos:stop]  # text after the closing quote is kept
                    pos = stop
            else:
                stop = _field_end(text, pos, delimiter)
                value = text[pos:stop]
                if value.endswith("\r") and (stop >= n or text[stop] == "\n"):
                    value = value[:-1]
                pos = stop
            fields.append(value)
            positions.append(field_start - start)
            if pos >= n:
                break
            if text[pos] == delimiter:
                pos += 1
                continue
            pos += 1  # the newline
            line += 1
            break
        raw = text[start:pos].rstrip("\n").rstrip("\r")
        if ignore_blank_lines and raw == "":
            continue
        yield Record(start_line, raw, fields=fields, positions=positions)


def _field_end(text: str, pos: int, delimiter: str) -> int:
    ends = [i for i in (text.find(delimiter, pos), text.find("\n", pos)) if i >= 0]
    return min(ends) if ends else len(text)


_DECODER = json.JSONDecoder(parse_float=Decimal)


def json_records(text: str, *, ignore_header: int) -> Iterator[Record]:
    """JSON objects one after another, separated by white space only (not commas)."""
    pos, line = _skip_lines(text, ignore_header)
    n = len(text)
    while True:
        while pos < n and text[pos] in " \t\r\n":
            if text[pos] == "\n":
                line += 1
            pos += 1
        if pos >= n:
            return
        start = pos
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            bad_line = line + text.count("\n", start, exc.pos)
            yield Record(
                bad_line,
                text[start : start + 1024],
                error=FieldError(1216, f"Invalid JSON: {exc.msg}"),
            )
            return
        line += text.count("\n", start, end)
        if not isinstance(value, dict):
            yield Record(
                line,
                text[start:end],
                error=FieldError(
                    1216, "Invalid JSONPath format: an array needs a JSONPaths file, not 'auto'"
                ),
            )
        else:
            yield Record(line, text[start:end], mapping=value)
        pos = end


def avro_records(data: bytes) -> Iterator[Record]:
    """Avro object container files; the record's ordinal stands for its line number."""
    try:
        reader = fastavro.reader(io.BytesIO(data))
    except Exception as exc:
        yield Record(1, "", error=FieldError(1216, f"Invalid AVRO file: {exc}"))
        return
    index = 0
    try:
        for index, value in enumerate(reader, 1):
            raw = json.dumps(value, default=str, ensure_ascii=False)
            yield Record(index, raw[:1024], mapping=value if isinstance(value, dict) else {})
    except Exception as exc:
        yield Record(index + 1, "", error=FieldError(1216, f"Invalid AVRO data: {exc}"))
