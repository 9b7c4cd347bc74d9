"""What every target's publisher provides, and how a connection finds its publisher.

A publisher is made for one request (connection, body, the results to load). ``prepare()``
checks everything it can against the target without changing it (database, table, schema) and
raises a UserError (exit 2, nothing recorded); ``run()`` does the work and returns what it did,
or raises (the publish job is then Failed, exit 1). Every target's publisher derives from
:class:`BasePublisher`. Adding a target: a connection model in
``spark_jobs.spec.connections.CONNECTION_TYPES``, a package ``publish/<target>/`` with its
publisher, and its row in :data:`spark_jobs.publish.targets.PUBLISHERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar, get_args

from spark_jobs import jobstore
from spark_jobs.errors import Problem
from spark_jobs.publish.actions import NEW_TABLE_ACTIONS, PublishOutcome, max_table_length
from spark_jobs.publish.identifiers import Dialect
from spark_jobs.publish.source import PublishSource
from spark_jobs.spec.connections import ConnectionBase
from spark_jobs.spec.publish import PublishBody, PublishFormat

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: the connection model of a target (HiveConnection, RedshiftConnection)
C = TypeVar("C", bound=ConnectionBase)


@dataclass
class PublishHooks:
    """Seams for tests: the clock that names new tables, and a call before each named step.

    ``before_step(name)`` may raise to simulate a failure at that point of the publish (the step
    names are listed in docs/publish.md).
    """

    before_step: Callable[[str], None] | None = None
    now: Callable[[], datetime] = field(default=jobstore.now)

    def step(self, name: str) -> None:
        if self.before_step is not None:
            self.before_step(name)


@dataclass(frozen=True)
class BodyRules:
    """What a target asks of a raw publish body, beyond the body model: the input formats it
    loads, one valid container name in ``path`` (a Hive database, a Redshift schema) and a
    table name that fits its dialect."""

    target: str  # the target's name for messages ("Hive")
    dialect: Dialect
    formats: frozenset[str]
    #: why another known format is refused; ``{fmt}`` stands for the format asked for
    format_message: str
    container: str  # what ``path`` names: "database name", "schema name"
    example: str  # a container name for the message
    #: whether ``table`` may name its container too (``schema.table``)
    qualified_table: bool = False

    def problems(self, document: Mapping[str, Any]) -> list[Problem]:
        problems = []
        fmt = document.get("inputFormat")
        if isinstance(fmt, str) and fmt not in self.formats and fmt in get_args(PublishFormat):
            problems.append(Problem("$.inputFormat", self.format_message.format(fmt=fmt)))
        path = document.get("path")
        if isinstance(path, list) and path:
            if len(path) != 1:
                problems.append(
                    Problem(
                        "$.path",
                        f"a {self.target} path is one {self.container}, like "
                        f'["{self.example}"] (got {len(path)} names)',
                    )
                )
            if isinstance(path[0], str) and path[0]:
                why = self.dialect.problem(path[0], what=self.container)
                if why:
                    problems.append(Problem("$.path[0]", why))
        table = document.get("table")
        if isinstance(table, str) and table:
            name = table
            if self.qualified_table:
                container, dot, name = table.rpartition(".")
                if dot and container:
                    why = self.dialect.problem(container, what=self.container)
                    if why:
                        problems.append(Problem("$.table", why))
            why = _table_name_problem(name, document.get("action"), self.dialect)
            if why:
                problems.append(Problem("$.table", why))
        return problems


def _table_name_problem(name: str, action: object, dialect: Dialect) -> str | None:
    """Why ``name`` cannot be the table of ``action`` (new tables need room for the suffix)."""
    limit = max_table_length(action if isinstance(action, str) else "", dialect.max_length)
    why = dialect.problem(name, what="table name", max_length=limit)
    if why and len(name) > limit and action in NEW_TABLE_ACTIONS:
        why += " (a new table's name gets a timestamp suffix, which must fit too)"
    return why


class BasePublisher(Generic[C]):
    """What every target's publisher holds: the request it was made for.

    A subclass names its ``target`` and the ``input_formats`` it loads, gives its
    ``body_problems`` (the target's rules for a raw body), sets up what it derives from the
    request in ``setup()`` and adds ``prepare()`` and ``run()``.
    """

    target: ClassVar[str]
    input_formats: ClassVar[frozenset[str]]

    def __init__(
        self,
        spark: SparkSession,
        connection: C,
        body: PublishBody,
        source: PublishSource,
        hooks: PublishHooks | None = None,
    ) -> None:
        self.spark = spark
        self.connection = connection
        self.body = body
        self.source = source
        self.hooks = hooks or PublishHooks()
        self.action = body.action
        self.setup()

    def setup(self) -> None:
        """What the target derives from the request (its table name, tokens, ...)."""


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
