"""After a failed COPY: Redshift's own account of why, as a clear error (never a bare driver
exception, never a secret).

Redshift answers a rejected load with only ``Load into table 'x' failed.  Check
'stl_load_errors' system table for details.``; the details are rows of ``stl_load_errors``
(provisioned clusters) or ``sys_load_error_detail`` (serverless too), keyed by the COPY's query
id, which ``pg_last_copy_id()`` returns in the same session. The failed transaction is rolled
back first (the session cannot query while it is aborted); the error rows survive it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from spark_jobs.errors import RedshiftLoadError
from spark_jobs.publish.redshift.sql import redact

STL_SQL = """SELECT trim(filename), line_number, trim(colname), trim(type), trim(col_length),
  position, trim(raw_line), trim(raw_field_value), err_code, trim(err_reason)
FROM stl_load_errors WHERE query = %s ORDER BY line_number, colname LIMIT {limit:d}"""
SYS_SQL = """SELECT trim(file_name), line_number, trim(column_name), trim(column_type),
  trim(column_length), position, NULL, NULL, error_code, trim(error_message)
FROM sys_load_error_detail WHERE query_id = %s ORDER BY line_number, column_name LIMIT {limit:d}"""
#: how many rows a message names (the error's details keep up to DETAIL_LIMIT)
SHOWN = 3
DETAIL_LIMIT = 20


@dataclass(frozen=True)
class LoadErrorDetail:
    """One rejected row as Redshift recorded it."""

    file: str
    line: int
    column: str
    type: str
    length: str
    position: int
    raw_line: str | None
    raw_value: str | None
    code: int
    reason: str

    def describe(self) -> str:
        column = (
            f"column {self.column} ({self.type}{f'({self.length})' if self.length not in ('', '0') else ''})"
            if self.column
            else "the record"
        )
        value = f", value {self.raw_value[:80]!r}" if self.raw_value else ""
        return f"{self.file} line {self.line}, {column}: {self.reason} (error {self.code}){value}"


def driver_message(exc: BaseException) -> str:
    """The server's message from a redshift_connector error (its args[0] is the fields dict)."""
    fields = exc.args[0] if exc.args else None
    if isinstance(fields, dict):
        text = str(fields.get("M", ""))
        code = fields.get("C")
        return f"{text} (SQLSTATE {code})" if code else text
    return str(exc) or type(exc).__name__


def driver_sqlstate(exc: BaseException) -> str | None:
    fields = exc.args[0] if exc.args else None
    return str(fields.get("C")) if isinstance(fields, dict) and fields.get("C") else None


def fetch_load_errors(
    conn: Any, query_id: int, *, source: str = "auto", limit: int = DETAIL_LIMIT
) -> list[LoadErrorDetail]:
    """The load-error rows of COPY ``query_id``: from stl_load_errors, or sys_load_error_detail
    where stl_load_errors is not there (serverless); ``source`` forces one (``stl``, ``sys``)."""
    queries = {"stl": [STL_SQL], "sys": [SYS_SQL], "auto": [STL_SQL, SYS_SQL]}[source]
    last: BaseException | None = None
    for sql in queries:
        try:
            cursor = conn.cursor()
            cursor.execute(sql.format(limit=int(limit)), (query_id,))
            rows = cursor.fetchall()
        except Exception as exc:  # the table does not exist here: try the other one
            last = exc
            conn.rollback()
            continue
        return [
            LoadErrorDetail(
                file=r[0] or "",
                line=int(r[1] or 0),
                column=r[2] or "",
                type=r[3] or "",
                length=r[4] or "",
                position=int(r[5] or 0),
                raw_line=r[6],
                raw_value=r[7],
                code=int(r[8] or 0),
                reason=r[9] or "",
            )
            for r in rows
        ]
    if last is not None:
        raise last
    return []  # pragma: no cover


def last_copy_id(cursor: Any) -> int:
    cursor.execute("SELECT pg_last_copy_id()")
    return int(cursor.fetchone()[0])


def load_failure(
    conn: Any,
    table: str,
    exc: BaseException,
    *,
    copy_id_before: int,
    secrets: Sequence[str] = (),
    source: str = "auto",
) -> RedshiftLoadError:
    """The clear error for a COPY into ``table`` that failed with driver error ``exc``.

    Rolls the failed transaction back, then reads the COPY's error rows when the load had begun
    (``pg_last_copy_id()`` moved past ``copy_id_before``; a COPY refused earlier, for S3 access
    or a syntax error, has none and its own message says why).
    """
    server_text = redact(driver_message(exc), secrets)
    try:
        conn.rollback()
        cursor = conn.cursor()
        copy_id = last_copy_id(cursor)
        details = (
            fetch_load_errors(conn, copy_id, source=source) if copy_id != copy_id_before else []
        )
        conn.rollback()
    except Exception as fetch_error:  # the connection is gone: say what is known
        return RedshiftLoadError(
            f"COPY into {table} failed: {server_text}; its load errors could not be read "
            f"({redact(driver_message(fetch_error), secrets)})"
        )
    if not details:
        return RedshiftLoadError(f"COPY into {table} failed: {server_text}")
    lines = [redact(d.describe(), secrets) for d in details[:SHOWN]]
    more = f"\n  ... and {len(details) - SHOWN} more" if len(details) > SHOWN else ""
    return RedshiftLoadError(
        f"COPY into {table} failed: Redshift rejected {len(details)}"
        f"{'+' if len(details) >= DETAIL_LIMIT else ''} row(s) (query {copy_id}):\n  "
        + "\n  ".join(lines)
        + more,
        [
            {k: (redact(v, secrets) if isinstance(v, str) else v) for k, v in asdict(d).items()}
            for d in details
        ],
    )
