"""Names of databases, schemas, tables and columns in a target's SQL: validated, then quoted.

A table name comes from the publish body, so it is checked against a strict rule before any SQL
is rendered (``orders; DROP TABLE x`` is refused with the rule it breaks), and it is quoted anyway
when rendered. Each target has a :class:`Dialect`; a Redshift publisher uses :data:`REDSHIFT`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spark_jobs.errors import PublishError

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Dialect:
    """How a target spells identifiers."""

    name: str
    quote_char: str
    max_length: int
    #: unquoted names are folded to lower case by the target (how the catalog stores them)
    folds_case: bool = True
    pattern: re.Pattern[str] = _PLAIN
    rule: str = "letters, digits and underscores, starting with a letter or an underscore"

    def problem(self, name: str, *, what: str, max_length: int | None = None) -> str | None:
        """Why ``name`` is not a valid ``what`` (``table name``), or None when it is."""
        limit = self.max_length if max_length is None else max_length
        if not self.pattern.match(name):
            return f"{name!r} is not a valid {self.name} {what}: use {self.rule}"
        if len(name) > limit:
            return f"{self.name} {what} {name!r} is {len(name)} characters long (at most {limit})"
        return None

    def check(self, name: str, *, what: str) -> str:
        """``name`` if valid, else PublishError saying which rule it breaks."""
        problem = self.problem(name, what=what)
        if problem is not None:
            raise PublishError(problem)
        return name

    def quote(self, name: str) -> str:
        """A quoted identifier (the quote character doubled inside), for any name."""
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def stored(self, name: str) -> str:
        """The name as the target's catalog keeps it."""
        return name.lower() if self.folds_case else name


#: Hive metastore: names are case-insensitive and kept in lower case; at most 128 characters.
#: A leading underscore is refused: the table's directory would be named ``_...``, which Hadoop
#: input formats skip as hidden (the table could not be read back)
HIVE = Dialect(
    name="Hive",
    quote_char="`",
    max_length=128,
    pattern=re.compile(r"^[A-Za-z][A-Za-z0-9_]*$"),
    rule="letters, digits and underscores, starting with a letter",
)
#: Redshift: standard identifiers, folded to lower case, at most 127 bytes
REDSHIFT = Dialect(name="Redshift", quote_char='"', max_length=127)


@dataclass(frozen=True)
class TableName:
    """A table in a database (Hive) or schema (Redshift), both parts already validated."""

    database: str
    table: str

    def quoted(self, dialect: Dialect) -> str:
        return f"{dialect.quote(self.database)}.{dialect.quote(self.table)}"

    def stored(self, dialect: Dialect) -> TableName:
        return TableName(dialect.stored(self.database), dialect.stored(self.table))

    def __str__(self) -> str:
        return f"{self.database}.{self.table}"


def helper_table_name(role: str, table: str, token: str, dialect: Dialect) -> str:
    """A valid name for a transient table beside ``table``: ``sj_<role>_<token>_<table>``.

    Cut to the dialect's length limit (the token keeps it unique), so it is valid for any valid
    ``table``. No leading underscore: Hadoop input formats take a directory named ``_...`` for a
    hidden one, and a Hive table's directory is named after the table.
    """
    name = f"sj_{role}_{token}_{table}"
    return name[: dialect.max_length]
