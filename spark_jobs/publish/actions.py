"""The publish actions of ``PUT /v4/jobGroups/<id>/publish``, and what each one does to a table.

| action            | table                       | data                 | existing table |
|-------------------|-----------------------------|----------------------|----------------|
| `create`          | new, timestamped name       | none (schema only)   | -              |
| `load`            | must exist                  | appended             | kept, rows added |
| `createAndLoad`   | new, timestamped name       | the results          | -              |
| `truncateAndLoad` | must exist                  | replaces its rows    | staged, swapped |
| `dropAndLoad`     | created if missing          | the results          | staged, swapped |

Shared by every target (Hive, Redshift): the names, the rule for timestamped names, and which
action needs what.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, get_args

from spark_jobs.spec.publish import PublishAction

ACTIONS: tuple[str, ...] = get_args(PublishAction)
#: actions that create a new table whose name is the requested one plus a timestamp
NEW_TABLE_ACTIONS = frozenset({"create", "createAndLoad"})
#: actions that need the table to exist already, with the results' schema
EXISTING_TABLE_ACTIONS = frozenset({"load", "truncateAndLoad"})
#: actions that load the results' rows
LOADING_ACTIONS = frozenset({"load", "createAndLoad", "truncateAndLoad", "dropAndLoad"})
#: actions that replace a table's rows: the new rows are staged first, then swapped in
REPLACING_ACTIONS = frozenset({"truncateAndLoad", "dropAndLoad"})

#: ``<table>_<YYYYMMDD>_<HHMMSS>`` in UTC: digits and underscores only, so the name is a valid
#: identifier on every target and reads the same after a catalog folds it to lower case
TIMESTAMP_FORMAT = "%Y%m%d_%H%M%S"
TIMESTAMP_SUFFIX_LENGTH = len("_20240501_101500")
#: room kept for ``_<n>`` when two tables are created in the same second
COLLISION_SUFFIX_LENGTH = 3
MAX_COLLISIONS = 99


def timestamped_name(table: str, at: datetime) -> str:
    """``test_table`` at 2024-05-01 10:15:00 UTC -> ``test_table_20240501_101500``."""
    if at.tzinfo is None:
        raise ValueError("timestamped_name needs an aware datetime")
    return f"{table}_{at.astimezone(timezone.utc).strftime(TIMESTAMP_FORMAT)}"


def timestamped_candidates(table: str, at: datetime) -> Iterator[str]:
    """The timestamped name, then ``..._2``, ``..._3``: for a second publish in the same second."""
    base = timestamped_name(table, at)
    yield base
    for n in range(2, MAX_COLLISIONS + 1):
        yield f"{base}_{n}"


def max_table_length(action: str, target_max: int) -> int:
    """The longest table name a body may give for ``action`` (new tables get a suffix)."""
    if action in NEW_TABLE_ACTIONS:
        return target_max - TIMESTAMP_SUFFIX_LENGTH - COLLISION_SUFFIX_LENGTH
    return target_max


@dataclass
class PublishOutcome:
    """What a publish did: recorded in the publish job of the job group's result."""

    table: (
        str  # fully qualified, as the target's catalog names it: ``default.orders_20240501_101500``
    )
    action: str
    rows: int
    details: dict[str, Any] = field(default_factory=dict)
