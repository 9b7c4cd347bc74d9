"""Does the results' schema fit a table? Shared by every target: names compared without case
(catalogs fold them), types compared as the target spells them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """A column as the target sees it: its name and its type in the target's SQL (``BIGINT``)."""

    name: str
    type: str


def case_collisions(columns: Sequence[Column]) -> list[list[str]]:
    """Groups of column names that differ only in case (one column for a case-insensitive target)."""
    groups: dict[str, list[str]] = {}
    for column in columns:
        groups.setdefault(column.name.lower(), []).append(column.name)
    return [names for names in groups.values() if len(names) > 1]


def schema_differences(results: Sequence[Column], table: Sequence[Column]) -> list[str]:
    """Every way ``results`` differ from ``table``, one sentence each; [] when they match.

    Column order does not matter (rows are loaded by name); nullability does not either.
    """
    by_name = {c.name.lower(): c for c in table}
    found = {c.name.lower(): c for c in results}
    out = []
    for column in table:
        if column.name.lower() not in found:
            out.append(
                f"missing column {column.name} ({column.type}): in the table, not in the results"
            )
    for column in results:
        other = by_name.get(column.name.lower())
        if other is None:
            out.append(
                f"extra column {column.name} ({column.type}): in the results, not in the table"
            )
        elif other.type != column.type:
            out.append(
                f"type mismatch in column {other.name}: the results have {column.type}, the table {other.type}"
            )
    return out


def select_in_table_order(results: Sequence[Column], table: Sequence[Column]) -> list[str]:
    """The results' column names, in the order of the table's columns (the schemas match)."""
    found = {c.name.lower(): c.name for c in results}
    return [found[c.name.lower()] for c in table]
