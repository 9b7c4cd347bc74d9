"""An independent reader of Delta tables for the tests: replays ``_delta_log/*.json`` commit files
(add / remove actions) up to a version and reads the live Parquet files with pyarrow. Neither
Spark nor the product's own code is involved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow.parquet as pq


def commits(table: Path) -> list[int]:
    """The versions that have a commit file, in order."""
    log = table / "_delta_log"
    return sorted(int(p.stem) for p in log.glob("*.json") if p.stem.isdigit())


def actions(table: Path, version: int) -> list[dict[str, Any]]:
    text = (table / "_delta_log" / f"{version:020d}.json").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def commit_info(table: Path, version: int) -> dict[str, Any]:
    return next(a["commitInfo"] for a in actions(table, version) if "commitInfo" in a)


def live_files(table: Path, version: int | None = None) -> list[Path]:
    """The data files of the table at ``version`` (latest when None)."""
    last = commits(table)[-1] if version is None else version
    live: dict[str, None] = {}
    for v in range(last + 1):
        for action in actions(table, v):
            if "add" in action:
                live[action["add"]["path"]] = None
            elif "remove" in action:
                live.pop(action["remove"]["path"], None)
    return [table / unquote(p) for p in live]


def rows(table: Path, version: int | None = None) -> list[dict[str, Any]]:
    """Every row of the table at ``version``, as dicts, sorted by the first column.

    With column mapping the Parquet columns carry physical names (``col-<uuid>``): they are
    renamed to the logical ones by the schema's ``delta.columnMapping.physicalName``."""
    logical = {
        f["metadata"].get("delta.columnMapping.physicalName", f["name"]): f["name"]
        for f in schema_fields(table, version)
    }
    out: list[dict[str, Any]] = []
    for path in live_files(table, version):
        out += [
            {logical.get(k, k): v for k, v in row.items()}
            for row in pq.read_table(path).to_pylist()
        ]
    return sorted(out, key=lambda r: tuple(str(v) for v in r.values()))


def metadata(table: Path, version: int | None = None) -> dict[str, Any]:
    """The table's metaData action in force at ``version``."""
    last = commits(table)[-1] if version is None else version
    found: dict[str, Any] | None = None
    for v in range(last + 1):
        for action in actions(table, v):
            if "metaData" in action:
                found = action["metaData"]
    assert found is not None
    return found


def protocol(table: Path, version: int | None = None) -> tuple[int, int]:
    """The (minReaderVersion, minWriterVersion) in force at ``version``."""
    last = commits(table)[-1] if version is None else version
    found: tuple[int, int] | None = None
    for v in range(last + 1):
        for action in actions(table, v):
            if "protocol" in action:
                found = (
                    action["protocol"]["minReaderVersion"],
                    action["protocol"]["minWriterVersion"],
                )
    assert found is not None
    return found


def schema_fields(table: Path, version: int | None = None) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = json.loads(metadata(table, version)["schemaString"])["fields"]
    return fields


def schema_names(table: Path, version: int | None = None) -> list[str]:
    """The column names of the table's metaData action in force at ``version``."""
    return [f["name"] for f in schema_fields(table, version)]
