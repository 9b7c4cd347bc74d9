"""What every target's publisher provides, and how a connection finds its publisher.

A publisher is made for one request (connection, body, the results to load). ``prepare()``
checks everything it can against the target without changing it (database, table, schema) and
raises a UserError (exit 2, nothing recorded); ``run()`` does the work and returns what it did,
or raises (the publish job is then Failed, exit 1). Adding a target: a connection model in
``spark_jobs.spec.connections.CONNECTION_TYPES`` and a publisher class here in
:func:`publisher_for`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from spark_jobs.errors import Problem, PublishError
from spark_jobs.publish.actions import NEW_TABLE_ACTIONS, PublishOutcome, max_table_length
from spark_jobs.publish.identifiers import Dialect
from spark_jobs.publish.source import PublishSource
from spark_jobs.spec.connections import ConnectionBase
from spark_jobs.spec.publish import PublishBody

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class PublishHooks:
    """Seams for tests: the clock that names new tables, and a call before each named step.

    ``before_step(name)`` may raise to simulate a failure at that point of the publish (the step
    names are listed in docs/publish.md).
    """

    before_step: Callable[[str], None] | None = None
    now: Callable[[], datetime] = field(default=_utc_now)

    def step(self, name: str) -> None:
        if self.before_step is not None:
            self.before_step(name)


def path_problems(
    document: Mapping[str, Any], dialect: Dialect, *, target: str, what: str, example: str
) -> list[Problem]:
    """A body's ``path``: exactly one valid container name (Hive database, Redshift schema)."""
    problems = []
    path = document.get("path")
    if isinstance(path, list) and path:
        if len(path) != 1:
            problems.append(
                Problem(
                    "$.path",
                    f'a {target} path is one {what}, like ["{example}"] (got {len(path)} names)',
                )
            )
        if isinstance(path[0], str) and path[0]:
            why = dialect.problem(path[0], what=what)
            if why:
                problems.append(Problem("$.path[0]", why))
    return problems


def table_name_problem(name: str, action: object, dialect: Dialect) -> str | None:
    """Why ``name`` cannot be the table of ``action`` (new tables need room for the suffix)."""
    limit = max_table_length(action if isinstance(action, str) else "", dialect.max_length)
    why = dialect.problem(name, what="table name", max_length=limit)
    if why and len(name) > limit and action in NEW_TABLE_ACTIONS:
        why += " (a new table's name gets a timestamp suffix, which must fit too)"
    return why


class Publisher(Protocol):
    def prepare(self) -> None: ...
    def run(self) -> PublishOutcome: ...


class PublisherType(Protocol):
    """The class of a target's publisher."""

    @property
    def target(self) -> str:
        """The target's name for messages (``Hive``)."""
        ...

    @property
    def input_formats(self) -> frozenset[str]:
        """The inputFormats the target can be loaded from."""
        ...

    def body_problems(self, document: Mapping[str, Any]) -> list[Problem]:
        """The target's rules for a raw publish body (formats, path, identifiers)."""
        ...

    def __call__(
        self,
        spark: SparkSession,
        connection: Any,
        body: PublishBody,
        source: PublishSource,
        hooks: PublishHooks,
    ) -> Publisher: ...


def publisher_for(connection: ConnectionBase) -> PublisherType:
    """The publisher class of a connection's type."""
    if connection.type == "hive":
        from spark_jobs.publish.hive import HivePublisher

        return HivePublisher
    if connection.type == "redshift":
        from spark_jobs.publish.redshift import RedshiftPublisher

        return RedshiftPublisher
    raise PublishError(
        f"connection {connection.label}: no publisher for connection type {connection.type!r}"
    )
