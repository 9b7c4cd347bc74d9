"""Run one Redshift COPY from S3 inside the client's own PostgreSQL session.

The order is Redshift's: find the table and its columns, authorize and list the S3 objects
(failures there do not count as a load: ``pg_last_copy_id()`` is not moved), then the load begins:
a query id is allocated, every record is read and converted, rejected rows are recorded in
``stl_load_errors``, and when more than MAXERROR rows were rejected the COPY fails with Redshift's
message. Otherwise the accepted rows go into the table with one ``COPY ... FROM STDIN`` on the
client's connection, so they are part of the client's transaction: rolled back with it, invisible
to others until it commits, and a failed COPY changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

from .catalog import LoadErrorRow, SystemTables
from .convert import ConversionOptions, FieldError, TargetColumn, convert
from .formats import Record, avro_records, csv_records, json_records
from .s3source import LoadFailure, S3Settings, staged_objects
from .sql import CopyStatement


class BackendError(Exception):
    """PostgreSQL answered an injected statement with an error (its ErrorResponse fields)."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(fields.get("M", "error"))
        self.fields = fields


class Session(Protocol):
    """What the loader needs from the proxied client session."""

    backend_pid: int
    system: SystemTables
    s3: S3Settings

    def query(self, sql: str) -> list[list[str | None]]: ...
    def copy_in(self, sql: str, rows: Sequence[str]) -> int: ...
    def in_transaction_block(self) -> bool: ...


@dataclass
class CopyResult:
    tag: str
    notices: list[str]


def literal(text: str) -> str:
    """A SQL string literal (standard_conforming_strings is on)."""
    if "\x00" in text:
        raise LoadFailure("invalid NUL character in name", "22021")
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def failed_load_message(table: str) -> str:
    return f"Load into table '{table}' failed.  Check 'stl_load_errors' system table for details."


def run_copy(session: Session, statement: CopyStatement) -> CopyResult:
    """Carry out the COPY; raise LoadFailure with Redshift's error when it fails."""
    rows = session.query(
        "SELECT c.oid, n.nspname, c.relname, c.relkind,"
        " (SELECT usesysid FROM pg_user WHERE usename = current_user)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        f" WHERE c.oid = to_regclass({literal(statement.table)})"
    )
    if not rows or rows[0][3] not in ("r", "p"):
        raise LoadFailure(f'relation "{statement.table_display}" does not exist', "42P01")
    oid, schema, relname, _, userid = rows[0]
    columns = [
        TargetColumn(name or "", typname or "", int(typmod or -1), notnull == "t")
        for name, typname, typmod, notnull in session.query(
            "SELECT a.attname, t.typname, a.atttypmod, a.attnotnull FROM pg_attribute a"
            " JOIN pg_type t ON t.oid = a.atttypid"
            f" WHERE a.attrelid = {int(oid or 0)} AND a.attnum > 0 AND NOT a.attisdropped"
            " ORDER BY a.attnum"
        )
    ]
    if statement.columns is not None:
        by_name = {c.name: c for c in columns}
        targets = []
        for name in statement.columns:
            if name not in by_name:
                raise LoadFailure(
                    f'column "{name}" of relation "{relname}" does not exist', "42703"
                )
            targets.append(by_name[name])
    else:
        targets = columns
    objects = list(staged_objects(statement, session.s3))  # S3 problems: before the load

    starttime = datetime.now(timezone.utc).replace(tzinfo=None)
    query_id = session.system.next_query_id()
    table_id = int(oid or 0)
    session.system.copy_started(session.backend_pid, query_id, table_id, starttime)

    options = ConversionOptions(
        dateformat=statement.dateformat,
        timeformat=statement.timeformat,
        empty_as_null=statement.empty_as_null,
        blanks_as_null=statement.blanks_as_null,
        accept_inv_chars=statement.accept_inv_chars,
        truncate_columns=statement.truncate_columns,
        null_as=statement.null_as,
        trim_blanks=statement.trim_blanks,
        round_dec=statement.round_dec,
    )
    accepted: list[str] = []
    errors: list[LoadErrorRow] = []
    for staged in objects:
        for record in _records(statement, staged.data):
            line, error = _row(statement, targets, record, options, staged.url)
            if error is not None:
                errors.append(error)
                if len(errors) > statement.max_error:
                    break
            else:
                accepted.append(line)
        if len(errors) > statement.max_error:
            break

    session.system.record_errors(
        errors,
        userid=int(userid or 0),
        tbl=table_id,
        session=session.backend_pid,
        query=query_id,
        starttime=starttime,
    )
    if len(errors) > statement.max_error:
        raise LoadFailure(failed_load_message(relname or ""), "XX000")

    target = f"{quote_ident(schema or '')}.{quote_ident(relname or '')}"
    column_list = ", ".join(quote_ident(c.name) for c in targets)
    try:
        loaded = session.copy_in(f"COPY {target} ({column_list}) FROM STDIN", accepted)
    except BackendError as exc:
        raise LoadFailure(
            exc.fields.get("M", "COPY failed"), exc.fields.get("C", "XX000"), exc.fields.get("D")
        ) from None
    session.system.copy_finished(query_id, loaded)
    notices = [f"Load into table '{relname}' completed, {loaded} record(s) loaded successfully."]
    if errors:
        notices.append(
            f"Load into table '{relname}' completed, {len(errors)} record(s) could not be loaded."
            "  Check 'stl_load_errors' system table for details."
        )
    return CopyResult(f"COPY {loaded}", notices)


def _records(statement: CopyStatement, data: bytes) -> Any:
    if statement.format == "avro":
        return avro_records(data)
    text = data.decode("utf-8", errors="surrogateescape")
    if statement.format == "json":
        return json_records(text, ignore_header=statement.ignore_header)
    return csv_records(
        text,
        delimiter=statement.delimiter or ",",
        quote=statement.quote,
        ignore_header=statement.ignore_header,
        ignore_blank_lines=statement.ignore_blank_lines,
    )


def _error(
    url: str,
    record: Record,
    column: TargetColumn | None,
    position: int,
    raw_field: str,
    exc: FieldError,
) -> LoadErrorRow:
    return LoadErrorRow(
        filename=url,
        line_number=record.line_number,
        colname=column.name if column else "",
        type=column.typname if column else "",
        col_length=column.col_length if column else "",
        position=position,
        raw_line=record.raw_line,
        raw_field_value=raw_field,
        err_code=exc.code,
        err_reason=exc.reason,
    )


def _row(
    statement: CopyStatement,
    targets: Sequence[TargetColumn],
    record: Record,
    options: ConversionOptions,
    url: str,
) -> tuple[str, LoadErrorRow | None]:
    """The record as a line of PostgreSQL COPY text, or the error that rejects it."""
    if record.error is not None:
        return "", _error(url, record, None, 0, "", record.error)
    values: list[Any]
    positions: list[int]
    if record.mapping is None:
        if len(record.fields) < len(targets):
            column = targets[len(record.fields)]
            return "", _error(
                url,
                record,
                column,
                len(record.raw_line),
                "",
                FieldError(1214, "Delimiter not found"),
            )
        if len(record.fields) > len(targets):
            return "", _error(
                url,
                record,
                targets[-1] if targets else None,
                record.positions[len(targets)],
                record.fields[len(targets)],
                FieldError(1214, "Extra column(s) found"),
            )
        values, positions = list(record.fields), record.positions
    else:
        values = _lookup(record.mapping, targets, ignore_case=statement.format_arg != "auto")
        positions = [0] * len(targets)
    out = []
    for column, value, position in zip(targets, values, positions, strict=True):
        try:
            out.append(convert(column, value, options))
        except FieldError as exc:
            raw = value if isinstance(value, str) else json.dumps(value, default=str)
            return "", _error(url, record, column, position, raw, exc)
    return "\t".join(_copy_text(v) for v in out), None


def _lookup(
    mapping: dict[str, Any], targets: Sequence[TargetColumn], *, ignore_case: bool
) -> list[Any]:
    """'auto' matches keys to column names exactly (Redshift's names are lower case);
    'auto ignorecase' without regard to case."""
    if not ignore_case:
        return [mapping.get(c.name) for c in targets]
    lowered: dict[str, Any] = {}
    for key, value in mapping.items():
        lowered.setdefault(key.lower(), value)
    return [lowered.get(c.name.lower()) for c in targets]


def _copy_text(value: str | None) -> str:
    if value is None:
        return "\\N"
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )
