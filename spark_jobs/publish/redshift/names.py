"""Redshift schema, table and column names: validated, folded to lower case, always quoted.

Redshift folds every identifier to lower case, quoted or not (unless a cluster turns on
``enable_case_sensitive_identifier``), so names are folded here before they are quoted: the SQL
then names the same object on Redshift and on PostgreSQL (the test double), and a catalog lookup
compares like with like.

* Schema and table names come from the publish body: they must be plain identifiers (letters,
  digits, ``_``; :data:`spark_jobs.publish.identifiers.REDSHIFT`), so ``orders; DROP TABLE x`` is
  refused with the rule it breaks. ``MySchema.MyTable`` in ``table`` names the schema.
* Column names come from the results (any Spark name, ``order id`` or ``prix€``): they are
  quoted, and refused only where Redshift cannot hold them: longer than 127 bytes of UTF-8,
  containing a double quote (Redshift's delimited identifiers cannot) or a control character, or
  two names that are the same once folded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spark_jobs.errors import PublishError
from spark_jobs.publish.identifiers import REDSHIFT

MAX_NAME_BYTES = 127
DEFAULT_SCHEMA = "public"


def quote_ident(name: str) -> str:
    """A quoted identifier, folded to lower case as Redshift stores it."""
    folded = name.lower()
    if '"' in folded or "\x00" in folded:
        raise PublishError(f"{name!r} cannot be a Redshift identifier (it holds a double quote)")
    return f'"{folded}"'


@dataclass(frozen=True)
class RedshiftTable:
    """A table in a schema; both names validated and folded to lower case."""

    schema: str
    name: str

    @property
    def sql(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    def sibling(self, name: str) -> RedshiftTable:
        """Another table in the same schema (staging, previous): ``name`` must be valid."""
        return RedshiftTable(self.schema, table_name(name))

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


def table_name(name: str, *, what: str = "table name") -> str:
    """``name`` folded to lower case, or PublishError saying which rule it breaks."""
    REDSHIFT.check(name, what=what)
    return name.lower()


def resolve_table(path: Sequence[str] | None, table: str) -> RedshiftTable:
    """The target of a publish body: ``path`` names the schema (default ``public``), and so does
    a ``MySchema.MyTable`` table value; when both name a schema they must agree."""
    path_schema = path[0] if path else None
    if path and len(path) > 1:
        raise PublishError(f"path {list(path)!r}: a Redshift path is one schema name")
    schema = path_schema
    name = table
    if "." in table:
        prefix, _, name = table.partition(".")
        if path_schema is not None and path_schema.lower() not in (prefix.lower(), DEFAULT_SCHEMA):
            raise PublishError(
                f"table {table!r} names schema {prefix!r} but path names schema {path_schema!r}"
            )
        schema = prefix
    return RedshiftTable(table_name(schema or DEFAULT_SCHEMA, what="schema name"), table_name(name))


def column_problem(name: str) -> str | None:
    """Why ``name`` cannot be a Redshift column, or None."""
    if name == "":
        return "an empty column name"
    if len(name.encode()) > MAX_NAME_BYTES:
        return (
            f"column {name!r} is {len(name.encode())} bytes long (Redshift allows {MAX_NAME_BYTES})"
        )
    if '"' in name:
        return f"column {name!r} holds a double quote, which a Redshift name cannot"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return f"column {name!r} holds a control character"
    return None


def check_columns(names: Sequence[str]) -> list[str]:
    """Every reason the results' column names cannot be Redshift columns ([] when they can)."""
    problems = [p for p in (column_problem(n) for n in names) if p is not None]
    folded: dict[str, list[str]] = {}
    for name in names:
        folded.setdefault(name.lower(), []).append(name)
    problems += [
        f"columns {', '.join(repr(n) for n in group)} are the same name in Redshift, which "
        "folds names to lower case"
        for group in folded.values()
        if len(group) > 1
    ]
    return problems
