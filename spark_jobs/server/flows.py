"""The flows the server can run: ``--flows DIR`` holds ``*.json`` files, each a job spec's ``flow``.

A flow file may also carry the flow's ``id`` (for ``POST /v4/flows/<id>/run``) and ``name``;
without an ``id`` a file named ``<digits>.json`` has that id. Wrangled and imported dataset ids
are unique across all files, since a ``POST /v4/jobGroups`` body names only a wrangled dataset.
Every file is validated when the server starts; a bad one stops the start with its problems.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spark_jobs.errors import Problem, SpecError
from spark_jobs.spec import Flow
from spark_jobs.spec.validate import flow_problems, parse_json_bytes, validate_model

DOCUMENT = "flow file"


@dataclass(frozen=True)
class FlowEntry:
    """One flow file: its raw ``flow`` document (as a job spec embeds it) and its model."""

    file: str
    id: int | None
    name: str
    document: Mapping[str, Any]
    flow: Flow

    def output_datasets(self) -> list[int]:
        """Wrangled datasets with stored outputs: what running the whole flow runs."""
        return [d.id for d in self.flow.wrangledDatasets if d.writeSettings]


def _strip_root(problems: list[Problem]) -> list[Problem]:
    """``$.flow.x`` (paths inside a job spec) -> ``$.x`` (paths inside the flow file)."""
    out = []
    for p in problems:
        path = "$" + p.path[len("$.flow") :] if p.path.startswith("$.flow") else p.path
        out.append(Problem(path, p.message))
    return out


def parse_flow(data: bytes, *, file: str) -> FlowEntry:
    """Validate one flow file; raises SpecError naming the file and every problem."""
    what = f"{DOCUMENT} {file}"
    document = parse_json_bytes(data, what=what)
    if not isinstance(document, dict):
        raise SpecError([Problem("$", "a flow file is a JSON object")], document=what)
    body = dict(document)
    flow_id = body.pop("id", None)
    name = body.pop("name", None)
    problems: list[Problem] = []
    if flow_id is not None and (not isinstance(flow_id, int) or isinstance(flow_id, bool)):
        problems.append(Problem("$.id", f"a flow id is a number, not {flow_id!r}"))
        flow_id = None
    if name is not None and not isinstance(name, str):
        problems.append(Problem("$.name", f"a flow name is text, not {name!r}"))
        name = None
    stem = Path(file).stem
    if flow_id is None and stem.isdigit():
        flow_id = int(stem)
    problems += _strip_root(flow_problems({"flow": body}))
    flow = validate_model(Flow, body, what=what, extra=problems)
    return FlowEntry(file=file, id=flow_id, name=name or stem, document=body, flow=flow)


class FlowCatalog:
    """Every flow of ``--flows DIR``, indexed by flow id and by wrangled dataset id."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._entries: dict[str, FlowEntry] = {}
        self._by_dataset: dict[int, FlowEntry] = {}
        self._by_flow: dict[int, FlowEntry] = {}

    def load(self) -> None:
        """Read and check every ``*.json`` of the folder; raises SpecError with every problem."""
        problems: list[Problem] = []
        entries: list[FlowEntry] = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                entries.append(parse_flow(path.read_bytes(), file=path.name))
            except SpecError as exc:
                problems += [Problem(f"{path.name}: {p.path}", p.message) for p in exc.problems]
        if problems:
            raise SpecError(problems, document=f"flows in {self.folder}")
        with self._lock:
            self._entries = {}
            self._by_dataset = {}
            self._by_flow = {}
            for entry in entries:
                self._add(entry)

    def _add(self, entry: FlowEntry) -> None:
        """Index one flow; raises SpecError when its ids are taken by another file."""
        problems = []
        for dataset in entry.flow.wrangledDatasets:
            other = self._by_dataset.get(dataset.id)
            if other is not None and other.file != entry.file:
                problems.append(
                    Problem(
                        f"{entry.file}: $.wrangledDatasets",
                        f"wrangled dataset id {dataset.id} is also in {other.file}",
                    )
                )
        imported_elsewhere = {
            d.id: e.file
            for e in self._entries.values()
            if e.file != entry.file
            for d in e.flow.importedDatasets
        }
        for source in entry.flow.importedDatasets:
            if source.id in imported_elsewhere:
                problems.append(
                    Problem(
                        f"{entry.file}: $.importedDatasets",
                        f"imported dataset id {source.id} is also in {imported_elsewhere[source.id]}",
                    )
                )
        if entry.id is not None and entry.id in self._by_flow:
            other_file = self._by_flow[entry.id].file
            if other_file != entry.file:
                problems.append(
                    Problem(f"{entry.file}: $.id", f"flow id {entry.id} is also {other_file}")
                )
        if problems:
            raise SpecError(problems, document=f"flows in {self.folder}")
        self._entries[entry.file] = entry
        for dataset in entry.flow.wrangledDatasets:
            self._by_dataset[dataset.id] = entry
        if entry.id is not None:
            self._by_flow[entry.id] = entry

    def add(self, entry: FlowEntry) -> FlowEntry:
        """Add a new flow (an imported package) and keep it as a file of the folder."""
        with self._lock:
            if entry.file in self._entries:
                raise SpecError(
                    [Problem("$", f"a flow file named {entry.file} already exists")],
                    document=DOCUMENT,
                )
            self._add(entry)
            target = self.folder / entry.file
            tmp = target.with_name(f".{target.name}.tmp")
            document = dict(entry.document)
            if entry.id is not None:
                document = {"id": entry.id, "name": entry.name, **document}
            tmp.write_text(json.dumps(document, indent=2))
            os.replace(tmp, target)
        return entry

    def for_dataset(self, wrangled_id: int) -> FlowEntry | None:
        with self._lock:
            return self._by_dataset.get(wrangled_id)

    def flow(self, flow_id: int) -> FlowEntry | None:
        with self._lock:
            return self._by_flow.get(flow_id)

    def next_flow_id(self) -> int:
        with self._lock:
            return max(self._by_flow, default=0) + 1

    def dataset_ids(self) -> list[int]:
        with self._lock:
            return sorted(self._by_dataset)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
