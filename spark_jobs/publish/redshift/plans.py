"""The publish actions as Redshift needs them: plans of statements run in ONE transaction.

Redshift differs from Hive and PostgreSQL in two ways that decide the plans:

* ``TRUNCATE`` commits the open transaction, so a truncate-then-COPY is never atomic: a failed
  COPY would leave the table empty. ``truncateAndLoad`` instead COPYs into a staging table and
  then ``DELETE``s the target's rows and ``INSERT ... SELECT``s the new ones, all in the one
  transaction: the table object (grants, owner, dependent views) is kept, and readers see the old
  rows until the commit, then the new ones.
* ``DROP TABLE`` fails while views are bound to the table. ``dropAndLoad`` builds and loads the
  new table beside the target, then swaps it in by renaming and drops the old one, in the one
  transaction; when views depend on the target it refuses up front and names them (late-binding
  views, ``WITH NO SCHEMA BINDING``, do not block it).

Either way a failed COPY, or any failed step, rolls everything back: the target keeps its
definition and rows, and no reader ever sees it empty or half loaded.

| action            | steps (one transaction)                                                  |
|-------------------|--------------------------------------------------------------------------|
| `create`          | create_table                                                             |
| `load`            | copy (into the target, column list by name)                              |
| `createAndLoad`   | create_table, copy                                                       |
| `truncateAndLoad` | create_staging (LIKE target), copy_staging, delete_target, insert_from_staging, drop_staging |
| `dropAndLoad`     | create_new, copy_new, rename_target_aside, rename_new_into_place, drop_previous (no target yet: create_table, copy) |
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from spark_jobs.errors import PublishError, RedshiftError, RedshiftLoadError
from spark_jobs.publish.redshift.load_errors import (
    driver_message,
    driver_sqlstate,
    last_copy_id,
    load_failure,
)
from spark_jobs.publish.redshift.names import RedshiftTable, quote_ident
from spark_jobs.publish.redshift.sql import (
    DEPENDENT_VIEWS_SQL,
    TABLE_COLUMNS_SQL,
    CopyOptions,
    column_list,
    copy_sql,
    create_staging_sql,
    create_table_sql,
    redact,
)
from spark_jobs.publish.redshift.types import RedshiftColumn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One statement of a plan: its name (docs, hooks, messages), the SQL, the SQL for logs."""

    name: str
    sql: str
    logged: str
    copy_into: RedshiftTable | None = None  # set on the COPY step


@dataclass(frozen=True)
class ActionPlan:
    action: str
    target: RedshiftTable
    steps: tuple[Step, ...]
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def logged_sql(self) -> list[str]:
        """The statements with no secret in them: for logs and the publish job's record."""
        return [s.logged for s in self.steps]

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]


@dataclass(frozen=True)
class TargetState:
    """What the target looks like before the publish (read by :func:`inspect_target`)."""

    exists: bool
    columns: tuple[tuple[str, str], ...] = ()  # (name, type as Redshift spells it)
    dependent_views: tuple[str, ...] = ()


def _step(name: str, sql: str) -> Step:
    return Step(name, sql, sql)


def _copy_step(
    name: str,
    table: RedshiftTable,
    columns: Sequence[RedshiftColumn],
    source: str,
    options: CopyOptions,
) -> Step:
    names = [c.name for c in columns]
    return Step(
        name,
        copy_sql(table, names, source, options),
        copy_sql(table, names, source, options, masked=True),
        copy_into=table,
    )


def helper_name(role: str, token: str, table: str) -> str:
    """``sj_<role>_<token>_<table>``, cut to 127 bytes (the token keeps it unique)."""
    if not re.fullmatch(r"[a-z0-9]{1,16}", token):
        raise ValueError("token: 1 to 16 lower-case letters or digits")
    return f"sj_{role}_{token}_{table}"[:127]


def plan_action(
    action: str,
    target: RedshiftTable,
    columns: Sequence[RedshiftColumn],
    *,
    source: str,
    options: CopyOptions,
    state: TargetState,
    token: str,
) -> ActionPlan:
    """The statements that carry out ``action`` on ``target`` (pure: nothing is run).

    ``columns`` are the results' columns (names and types), ``source`` the manifest (or object)
    the rows are COPYed from, ``state`` what :func:`inspect_target` found, ``token`` a short
    random string that names helper tables. Raises PublishError when the action cannot be done
    on the target as it is (missing for load, present for create, schemas that differ, views
    bound to a table dropAndLoad would drop).
    """
    if action in ("create", "createAndLoad"):
        if state.exists:
            raise PublishError(f"table {target} already exists ({action} makes a new table)")
        steps = [_step("create_table", create_table_sql(target, columns))]
        if action == "createAndLoad":
            steps.append(_copy_step("copy", target, columns, source, options))
    elif action in ("load", "truncateAndLoad"):
        if not state.exists:
            raise PublishError(f"table {target} does not exist ({action} needs it)")
        problems = schema_problems(columns, state.columns)
        if problems:
            raise PublishError(
                f"the results do not fit table {target} (action {action} keeps the table's "
                "schema):\n" + "\n".join(f"  - {p}" for p in problems)
            )
        if action == "load":
            steps = [_copy_step("copy", target, columns, source, options)]
        else:
            stage = target.sibling(helper_name("staging", token, target.name))
            names = column_list([c.name for c in columns])
            steps = [
                _step("create_staging", create_staging_sql(stage, target)),
                _copy_step("copy_staging", stage, columns, source, options),
                _step("delete_target", f"DELETE FROM {target.sql}"),
                _step(
                    "insert_from_staging",
                    f"INSERT INTO {target.sql} ({names}) SELECT {names} FROM {stage.sql}",
                ),
                _step("drop_staging", f"DROP TABLE {stage.sql}"),
            ]
    elif action == "dropAndLoad":
        if not state.exists:
            steps = [
                _step("create_table", create_table_sql(target, columns)),
                _step_copy_target(target, columns, source, options),
            ]
        else:
            if state.dependent_views:
                raise dependent_views_error(target, state.dependent_views)
            new = target.sibling(helper_name("new", token, target.name))
            previous = helper_name("previous", token, target.name)
            steps = [
                _step("create_new", create_table_sql(new, columns)),
                _copy_step("copy_new", new, columns, source, options),
                _step(
                    "rename_target_aside",
                    f"ALTER TABLE {target.sql} RENAME TO {quote_ident(previous)}",
                ),
                _step(
                    "rename_new_into_place",
                    f"ALTER TABLE {new.sql} RENAME TO {quote_ident(target.name)}",
                ),
                _step("drop_previous", f"DROP TABLE {target.sibling(previous).sql}"),
            ]
    else:
        raise PublishError(f"unknown publish action {action!r}")
    return ActionPlan(action, target, tuple(steps), options.secrets)


def _step_copy_target(
    target: RedshiftTable, columns: Sequence[RedshiftColumn], source: str, options: CopyOptions
) -> Step:
    return _copy_step("copy", target, columns, source, options)


def dependent_views_error(
    target: RedshiftTable, views: Sequence[str], *, server: str | None = None
) -> PublishError:
    which = f"views depend on it ({', '.join(views)})" if views else f"Redshift says: {server}"
    return PublishError(
        f"dropAndLoad cannot drop table {target}: {which}. "
        "Redshift refuses to drop a table that views are bound to. Use truncateAndLoad (it "
        "keeps the table, so the views keep working), or recreate the views WITH NO SCHEMA "
        "BINDING (late-binding views do not block the drop)."
    )


_TYPE_SPELLINGS = [
    (r"character varying\((\d+)\)", r"VARCHAR(\1)"),
    (r"character varying", "VARCHAR(256)"),
    (r"text", "VARCHAR(256)"),
    (r"character\((\d+)\)", r"CHAR(\1)"),
    (r"numeric\((\d+),(\d+)\)", r"DECIMAL(\1,\2)"),
    (r"timestamp without time zone", "TIMESTAMP"),
    (r"timestamp with time zone", "TIMESTAMPTZ"),
]


def normalize_type(spelled: str) -> str:
    """A catalog type (``character varying(12)``) as this package spells it (``VARCHAR(12)``)."""
    text = spelled.strip().lower()
    for pattern, replacement in _TYPE_SPELLINGS:
        if re.fullmatch(pattern, text):
            return re.sub(pattern, replacement, text).upper()
    return text.upper()


def schema_problems(
    results: Sequence[RedshiftColumn], table: Sequence[tuple[str, str]]
) -> list[str]:
    """How the results do not fit an existing table (names compared after folding, in any
    order; a VARCHAR fits a wider one); [] when they fit."""
    by_name = {name.lower(): normalize_type(spelled) for name, spelled in table}
    out = []
    for column in results:
        have = by_name.pop(column.name.lower(), None)
        if have is None:
            out.append(
                f"extra column {column.name} ({column.type}): in the results, not in the table"
            )
        elif have != column.type and not _fits(column.type, have):
            out.append(
                f"type mismatch in column {column.name.lower()}: the results need {column.type}, "
                f"the table has {have}"
            )
    out += [
        f"missing column {name} ({spelled}): in the table, not in the results"
        for name, spelled in by_name.items()
    ]
    return out


def _fits(needed: str, have: str) -> bool:
    need = re.fullmatch(r"VARCHAR\((\d+)\)", needed)
    got = re.fullmatch(r"VARCHAR\((\d+)\)", have)
    return bool(need and got and int(need[1]) <= int(got[1]))


# --- running a plan ---------------------------------------------------------------------------


def inspect_target(conn: Any, target: RedshiftTable) -> TargetState:
    """Whether the target exists, its columns, and the views bound to it (reads only)."""
    cursor = conn.cursor()
    try:
        cursor.execute(TABLE_COLUMNS_SQL, (target.schema, target.name))
        columns = tuple((str(n), str(t)) for n, t in cursor.fetchall())
        views: tuple[str, ...] = ()
        if columns:
            cursor.execute(DEPENDENT_VIEWS_SQL, (target.schema, target.name))
            views = tuple(f"{s}.{v}" for s, v in cursor.fetchall())
        conn.rollback()
    except Exception as exc:
        _rollback(conn)
        raise RedshiftError(
            f"could not read table {target} from Redshift: {driver_message(exc)}"
        ) from None
    return TargetState(exists=bool(columns), columns=columns, dependent_views=views)


def run_plan(
    conn: Any,
    plan: ActionPlan,
    *,
    expected_rows: int | None = None,
    before_step: Callable[[str], None] | None = None,
    load_error_source: str = "auto",
) -> int:
    """Run every step in one transaction and commit; return the rows the COPY loaded.

    Any failure rolls the whole plan back and raises RedshiftLoadError (the COPY: with
    Redshift's load-error rows) or RedshiftError (another step), their messages free of secrets.
    ``expected_rows``: the rows the results hold; a COPY that loaded another number fails the
    plan. ``before_step(name)`` is a seam for tests (it may raise to simulate a failure there).
    """
    autocommit = conn.autocommit
    conn.autocommit = False
    cursor = conn.cursor()
    loaded = 0
    current = "start"
    try:
        copy_before = last_copy_id(cursor)
        for step in plan.steps:
            current = step.name
            if before_step is not None:
                before_step(step.name)
            log.info("redshift publish %s: %s", step.name, step.logged)
            try:
                cursor.execute(step.sql)
            except Exception as exc:
                if step.copy_into is not None:
                    raise load_failure(
                        conn,
                        str(step.copy_into),
                        exc,
                        copy_id_before=copy_before,
                        secrets=plan.secrets,
                        source=load_error_source,
                    ) from None
                if driver_sqlstate(exc) == "2BP01":  # a view was bound to it meanwhile
                    raise dependent_views_error(
                        plan.target, [], server=redact(driver_message(exc), plan.secrets)
                    ) from None
                raise RedshiftError(
                    f"{plan.action} of {plan.target} failed at step {step.name}: "
                    f"{redact(driver_message(exc), plan.secrets)}"
                ) from None
            if step.copy_into is not None:
                cursor.execute("SELECT pg_last_copy_count()")
                loaded = int(cursor.fetchone()[0])
                if expected_rows is not None and loaded != expected_rows:
                    raise RedshiftLoadError(
                        f"COPY into {step.copy_into} loaded {loaded} rows, the results hold "
                        f"{expected_rows}: the staged files are not the results"
                    )
        current = "commit"
        conn.commit()
    except BaseException as exc:
        _rollback(conn)
        if isinstance(exc, (RedshiftError, PublishError)) or not _is_driver_error(exc):
            raise
        raise RedshiftError(
            f"{plan.action} of {plan.target} failed at {current}: "
            f"{redact(driver_message(exc), plan.secrets)}"
        ) from None
    finally:
        conn.autocommit = autocommit
    return loaded


def _is_driver_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("redshift_connector")


def _rollback(conn: Any) -> None:
    try:
        conn.rollback()
    except Exception:  # the connection is gone; the server rolls back on its own
        log.debug("rollback failed", exc_info=True)
