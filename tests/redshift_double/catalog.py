"""The Redshift system objects the double adds to its PostgreSQL database, and the side
connection that writes load errors.

Objects live in the schema ``redshift_system``, which is on the database's default
``search_path`` after ``public`` (so ``select * from stl_load_errors`` works unqualified, as on
Redshift where they are in ``pg_catalog``):

* ``stl_load_errors`` with Redshift's columns and types (character columns blank-padded, as on
  Redshift, which is why readers ``trim()`` them);
* ``sys_load_error_detail``, a view over it with the serverless view's column names;
* ``pg_last_copy_id()``: the query id of the session's latest COPY that began loading, -1 if none;
* ``pg_last_copy_count()``: the rows that COPY loaded (0 when it failed);
* ``SUPER``: a domain over ``jsonb``;
* ``raise_error(code, message, detail)``: how the double makes a COPY failure abort the client's
  transaction (PostgreSQL raises it inside that transaction).

Load errors are written through a separate autocommit connection, so they survive the rollback of
the failed COPY's transaction, as Redshift's system tables do.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pg8000.native

SCHEMA = "redshift_system"

SETUP_SQL = [
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.stl_load_errors (
        userid integer NOT NULL,
        slice integer NOT NULL,
        tbl integer NOT NULL,
        starttime timestamp NOT NULL,
        session integer NOT NULL,
        query integer NOT NULL,
        filename character(256) NOT NULL,
        line_number bigint NOT NULL,
        colname character(127) NOT NULL,
        "type" character(10) NOT NULL,
        col_length character(10) NOT NULL,
        "position" integer NOT NULL,
        raw_line character(1024) NOT NULL,
        raw_field_value character(1024) NOT NULL,
        err_code integer NOT NULL,
        err_reason character(100) NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.copy_history (
        session integer NOT NULL,
        query integer NOT NULL,
        tbl integer NOT NULL,
        starttime timestamp NOT NULL,
        rows_loaded bigint NOT NULL DEFAULT 0)""",
    f"CREATE SEQUENCE IF NOT EXISTS {SCHEMA}.query_ids START 1000",
    f"""CREATE OR REPLACE VIEW {SCHEMA}.sys_load_error_detail AS
        SELECT userid AS user_id, query::bigint AS query_id, NULL::bigint AS transaction_id,
               session AS session_id, current_database()::character(64) AS database_name,
               tbl AS table_id, starttime AS start_time, filename AS file_name, line_number,
               colname AS column_name, "type" AS column_type, col_length AS column_length,
               "position", err_code AS error_code, err_reason::character(512) AS error_message
        FROM {SCHEMA}.stl_load_errors""",
    f"""CREATE OR REPLACE FUNCTION {SCHEMA}.pg_last_copy_id() RETURNS integer
        LANGUAGE sql STABLE AS $$
          SELECT coalesce((SELECT query FROM {SCHEMA}.copy_history
                           WHERE session = pg_backend_pid() ORDER BY query DESC LIMIT 1), -1)
        $$""",
    f"""CREATE OR REPLACE FUNCTION {SCHEMA}.pg_last_copy_count() RETURNS bigint
        LANGUAGE sql STABLE AS $$
          SELECT coalesce((SELECT rows_loaded FROM {SCHEMA}.copy_history
                           WHERE session = pg_backend_pid() ORDER BY query DESC LIMIT 1), 0)
        $$""",
    f"""DO $$ BEGIN
          CREATE DOMAIN {SCHEMA}.super AS jsonb;
        EXCEPTION WHEN duplicate_object THEN NULL; END $$""",
    f"""CREATE OR REPLACE FUNCTION {SCHEMA}.raise_error(code text, message text, detail text)
        RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message, DETAIL = coalesce(detail, '');
        END $$""",
    f"GRANT USAGE ON SCHEMA {SCHEMA} TO PUBLIC",
    f"GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO PUBLIC",
]


def install(conn: pg8000.native.Connection, database: str) -> None:
    """Create the system objects in ``database`` and put their schema on its search_path."""
    for statement in SETUP_SQL:
        conn.run(statement)
    conn.run(f'ALTER DATABASE "{database}" SET search_path = "$user", public, {SCHEMA}')


@dataclass(frozen=True)
class LoadErrorRow:
    """One stl_load_errors row (the values before blank padding)."""

    filename: str
    line_number: int
    colname: str
    type: str
    col_length: str
    position: int
    raw_line: str
    raw_field_value: str
    err_code: int
    err_reason: str


def redshift_text(text: str, limit: int) -> str:
    """As Redshift stores raw text in its load error tables: multibyte characters become a
    period, and the text is cut to the column's size."""
    return "".join(c if (c.isascii() and c.isprintable()) or c == "\t" else "." for c in text)[
        :limit
    ]


class SystemTables:
    """Writes the double's system tables through its own autocommit connection (thread-safe)."""

    def __init__(self, connect: pg8000.native.Connection) -> None:
        self._conn = connect
        self._lock = threading.Lock()

    def next_query_id(self) -> int:
        with self._lock:
            return int(self._conn.run(f"SELECT nextval('{SCHEMA}.query_ids')")[0][0])

    def forget_session(self, session: int) -> None:
        """A new client session: PostgreSQL reuses process ids, pg_last_copy_id must not."""
        with self._lock:
            self._conn.run(f"DELETE FROM {SCHEMA}.copy_history WHERE session = :s", s=session)

    def copy_started(self, session: int, query: int, tbl: int, at: datetime) -> None:
        with self._lock:
            self._conn.run(
                f"INSERT INTO {SCHEMA}.copy_history VALUES (:s, :q, :t, :at)",
                s=session,
                q=query,
                t=tbl,
                at=at,
            )

    def copy_finished(self, query: int, rows: int) -> None:
        with self._lock:
            self._conn.run(
                f"UPDATE {SCHEMA}.copy_history SET rows_loaded = :n WHERE query = :q",
                n=rows,
                q=query,
            )

    def record_errors(
        self,
        rows: Sequence[LoadErrorRow],
        *,
        userid: int,
        tbl: int,
        session: int,
        query: int,
        starttime: datetime,
    ) -> None:
        if not rows:
            return
        with self._lock:
            for row in rows:
                self._conn.run(
                    f"""INSERT INTO {SCHEMA}.stl_load_errors VALUES
                        (:userid, 0, :tbl, :starttime, :session, :query, :filename, :line,
                         :colname, :type, :col_length, :position, :raw_line, :raw_field,
                         :code, :reason)""",
                    userid=userid,
                    tbl=tbl,
                    starttime=starttime,
                    session=session,
                    query=query,
                    filename=row.filename[:256],
                    line=row.line_number,
                    colname=row.colname[:127],
                    type=row.type[:10],
                    col_length=row.col_length[:10],
                    position=row.position,
                    raw_line=redshift_text(row.raw_line, 1024),
                    raw_field=redshift_text(row.raw_field_value, 1024),
                    code=row.err_code,
                    reason=row.err_reason[:100],
                )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
