"""Read a flow package (``GET /v4/flows/<id>/package``) into typed records, once.

A package is a ZIP holding one ``flow_<id>_<uuid>.json``, or that JSON itself. Two layouts are
known; both become the same :class:`FlowPackage`:

* **flat** (releases 6.0-6.4, Enterprise): ``{metadata, data: {flows, flownodes, flowedges,
  datasources, storagelocations, editablescripts, edits, editsscriptlines, scriptlines,
  outputobjects, writesettings, publications, runparameters, runparameteredits, connections,
  relationalsources, convertedsources, ...}}``; a recipe is editablescripts -> its current edit ->
  editsscriptlines (ordered by ``index``) -> scriptlines' ``task``.
* **nested** (releases 6.8-7.9, Enterprise and Cloud Dataprep): ``{type: "flow", kind:
  "artifact", metadata, data: {flows: [{flownodes, flowedges, recipes: [{steps: [{task}]}],
  datasources, outputobjects: [{writesettings, publications, ...}], runparameters, ...}],
  connections}}``.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spark_jobs.errors import FlowImportError
from spark_jobs.importer.values import Task, read_task

FLAT = "flat (releases 6.0-6.4)"
NESTED = "nested (releases 6.8-7.9)"


@dataclass(frozen=True)
class Step:
    """One step of a recipe: its task, and the column names the platform recorded for it."""

    number: int
    task: Task
    table_data: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Recipe:
    id: int
    name: str
    steps: tuple[Step, ...]
    #: data quality rules attached to the recipe (not part of a job run here)
    quality_rules: int = 0


@dataclass(frozen=True)
class RunParameter:
    """A parameter of a path or a query: its name (``overrideKey``), default value and the
    character positions where it is inserted into the datasource's dynamic path or SQL."""

    key: str
    value: str
    type: str = "path"
    positions: tuple[int, ...] = ()


@dataclass(frozen=True)
class Relational:
    """A table or custom SQL of a relational datasource."""

    table: str | None
    path: tuple[str, ...] = ()
    sql: str | None = None


@dataclass(frozen=True)
class Datasource:
    id: int
    uri: str
    storage_type: str
    location_path: str = ""
    connection_id: int | None = None
    parsing_recipe_id: int | None = None
    has_structuring: bool = True
    converted_sheets: tuple[str, ...] | None = None
    dynamic_path: str | None = None
    run_parameters: tuple[RunParameter, ...] = ()
    relational: Relational | None = None


@dataclass(frozen=True)
class FlowNode:
    id: int
    recipe_id: int
    wrangled: bool


@dataclass(frozen=True)
class FlowEdge:
    """``source`` feeds ``target``; ``port`` is the target's input port (None: its main input)."""

    source: int
    target: int
    port: int | None = None


@dataclass(frozen=True)
class PackageWriteSetting:
    path: str
    action: str
    format: str
    compression: str = "none"
    header: bool = False
    as_single_file: bool = False
    delimiter: str | None = None
    run_parameters: tuple[RunParameter, ...] = ()


@dataclass(frozen=True)
class Publication:
    target_type: str
    path: tuple[str, ...]
    table: str
    action: str
    connection_id: int | None = None


@dataclass(frozen=True)
class OutputObject:
    id: int
    node_id: int
    execution: str | None
    profiler: bool
    write_settings: tuple[PackageWriteSetting, ...] = ()
    publications: tuple[Publication, ...] = ()


@dataclass(frozen=True)
class Connection:
    id: int
    name: str
    type: str
    uuid: str | None = None


@dataclass(frozen=True)
class Flow:
    id: int
    name: str
    nodes: tuple[FlowNode, ...]
    edges: tuple[FlowEdge, ...]
    recipes: tuple[Recipe, ...]
    datasources: tuple[Datasource, ...]
    outputs: tuple[OutputObject, ...] = ()
    parameters: tuple[RunParameter, ...] = ()

    def recipe(self, recipe_id: int) -> Recipe | None:
        return next((r for r in self.recipes if r.id == recipe_id), None)

    def node(self, node_id: int) -> FlowNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)


@dataclass(frozen=True)
class FlowPackage:
    layout: str
    version: str
    edition: str
    flows: tuple[Flow, ...]
    connections: tuple[Connection, ...] = field(default=())


# --- bytes -> JSON document -------------------------------------------------------------------


def load_document(source: str | Path | bytes, *, name: str | None = None) -> Any:
    """The JSON document of a package: a path or the bytes of a ZIP or of the JSON inside."""
    if isinstance(source, bytes):
        data, label = source, name or "package"
    else:
        path = Path(source)
        label = name or str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FlowImportError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return _json_in_zip(data, label)
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = (
            f" (line {exc.lineno}, column {exc.colno})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise FlowImportError(
            f"{label}: not a flow package: neither a ZIP file nor JSON{where}"
        ) from None


def _json_in_zip(data: bytes, label: str) -> Any:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = [
            n for n in archive.namelist() if n.lower().endswith(".json") and not n.endswith("/")
        ]
        if len(names) != 1:
            found = ", ".join(names) if names else "none"
            raise FlowImportError(
                f"{label}: a flow package ZIP holds exactly one JSON file, found {len(names)} ({found})"
            )
        raw = archive.read(names[0])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise FlowImportError(f"{label}: damaged ZIP file ({exc})") from None
    except KeyError as exc:  # pragma: no cover - listed names are readable
        raise FlowImportError(f"{label}: damaged ZIP file ({exc})") from None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FlowImportError(f"{label}: {names[0]} in the ZIP is not JSON ({exc})") from None


# --- JSON document -> FlowPackage -------------------------------------------------------------


def read_package(document: Any, *, label: str = "package") -> FlowPackage:
    """The typed records of a package document (either layout)."""
    if not isinstance(document, Mapping):
        raise FlowImportError(f"{label}: not a flow package: the JSON is not an object")
    data = document.get("data")
    if not isinstance(data, Mapping):
        hint = ""
        if (
            "content" in document
            or "contentChecksum" in document
            or "@yxmdVer" in json.dumps(document)[:2000]
        ):
            hint = " (this looks like a Designer Cloud workflow, another product's format)"
        raise FlowImportError(
            f"{label}: not a flow package: no 'data' object with flows{hint}; "
            "expected the JSON of GET /v4/flows/<id>/package"
        )
    raw_metadata = document.get("metadata")
    metadata: Mapping[str, Any] = raw_metadata if isinstance(raw_metadata, Mapping) else {}
    version = str(metadata.get("trifactaVersion") or "")
    edition = str(metadata.get("edition") or "")
    if "editablescripts" in data and isinstance(data.get("flows"), list):
        flows = _read_flat(data, label)
        layout = FLAT
    elif (
        isinstance(data.get("flows"), list)
        and all(isinstance(f, Mapping) and "recipes" in f for f in data["flows"])
        and data["flows"]
    ):
        flows = tuple(_read_nested_flow(f, label) for f in data["flows"])
        layout = NESTED
    else:
        keys = ", ".join(sorted(str(k) for k in data)) or "nothing"
        raise FlowImportError(
            f"{label}: unknown flow package layout (data holds {keys}); known: {FLAT} with "
            f"data.editablescripts, {NESTED} with data.flows[].recipes"
        )
    connections = tuple(
        _connection(c) for c in data.get("connections") or [] if isinstance(c, Mapping)
    )
    return FlowPackage(layout, version, edition, flows, connections)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _connection(raw: Mapping[str, Any]) -> Connection:
    return Connection(
        int(raw.get("id") or 0),
        str(raw.get("name") or ""),
        str(raw.get("type") or ""),
        raw.get("uuid"),
    )


def _steps(tasks: Sequence[tuple[Any, Any]], recipe_name: str, label: str) -> tuple[Step, ...]:
    out = []
    for number, (raw_task, table_data) in enumerate(tasks, start=1):
        task = read_task(raw_task, f"{label}: recipe {recipe_name!r}, step {number}")
        out.append(Step(number, task, table_data if isinstance(table_data, Mapping) else None))
    return tuple(out)


def _run_parameter(raw: Mapping[str, Any], kind: str | None = None) -> RunParameter | None:
    nested = raw.get("runParameterEdit")
    edit: Mapping[str, Any] = nested if isinstance(nested, Mapping) else raw
    key = edit.get("overrideKey")
    if not key:
        return None
    value = edit.get("value")
    text = ""
    if isinstance(value, Mapping):
        variable = value.get("variable")
        if isinstance(variable, Mapping):
            text = str(variable.get("value") if variable.get("value") is not None else "")
    positions = tuple(
        int(i["index"])
        for i in edit.get("insertionIndices") or []
        if isinstance(i, Mapping) and isinstance(i.get("index"), int)
    )
    return RunParameter(str(key), text, str(kind or raw.get("type") or "path"), positions)


def _write_setting(raw: Mapping[str, Any]) -> PackageWriteSetting:
    params = tuple(p for p in (_run_parameter(r) for r in raw.get("runParameters") or []) if p)
    return PackageWriteSetting(
        path=str(raw.get("path") or ""),
        action=str(raw.get("action") or "create"),
        format=str(raw.get("format") or "csv"),
        compression=str(raw.get("compression") or "none"),
        header=bool(raw.get("header")),
        as_single_file=bool(raw.get("asSingleFile")),
        delimiter=raw.get("delim"),
        run_parameters=params,
    )


def _publication(raw: Mapping[str, Any]) -> Publication:
    return Publication(
        target_type=str(raw.get("targetType") or ""),
        path=tuple(str(p) for p in raw.get("path") or []),
        table=str(raw.get("tableName") or ""),
        action=str(raw.get("action") or "create"),
        connection_id=_int(raw.get("connectionId")),
    )


def _relational(raw: Any) -> Relational | None:
    if not isinstance(raw, Mapping):
        return None
    sql = raw.get("raw")
    if isinstance(sql, list):
        sql = ";\n".join(str(s) for s in sql) if sql else None
    path = tuple(str(p) for p in raw.get("relationalPath") or [])
    return Relational(raw.get("tableName"), path, sql if isinstance(sql, str) else None)


def _datasource(
    raw: Mapping[str, Any],
    location: Mapping[str, Any],
    relational: Any,
    converted: Any,
    parameters: tuple[RunParameter, ...],
) -> Datasource:
    sheets = None
    if isinstance(converted, Mapping) or raw.get("isConverted"):
        selection = converted.get("selection") if isinstance(converted, Mapping) else None
        sheets = tuple(str(s) for s in selection or [])
    return Datasource(
        id=int(raw["id"]),
        uri=str(location.get("fullUri") or ""),
        storage_type=str(location.get("type") or raw.get("type") or ""),
        location_path=str(location.get("path") or ""),
        connection_id=_int(raw.get("connectionId")),
        parsing_recipe_id=_int(raw.get("parsingScriptId")),
        has_structuring=bool(raw.get("hasStructuring")),
        converted_sheets=sheets,
        dynamic_path=raw.get("dynamicPath") if raw.get("isDynamic") else None,
        run_parameters=parameters,
        relational=_relational(relational),
    )


def _read_nested_flow(raw: Mapping[str, Any], label: str) -> Flow:
    recipes = tuple(
        Recipe(
            int(r["id"]),
            str(r.get("name") or r["id"]),
            _steps(
                [(s.get("task"), s.get("tableData")) for s in r.get("steps") or []],
                str(r.get("name")),
                label,
            ),
            len(r.get("dqScriptRules") or []),
        )
        for r in raw.get("recipes") or []
    )
    datasources = []
    for ds in raw.get("datasources") or []:
        params = tuple(p for p in (_run_parameter(r) for r in ds.get("runParameters") or []) if p)
        datasources.append(
            _datasource(
                ds,
                ds.get("storageLocation") or {},
                ds.get("relationalsource"),
                ds.get("convertedSource"),
                params,
            )
        )
    outputs = tuple(
        OutputObject(
            id=int(o["id"]),
            node_id=int(o["flowNodeId"]),
            execution=o.get("execution"),
            profiler=bool(o.get("profiler")),
            write_settings=tuple(_write_setting(w) for w in o.get("writesettings") or []),
            publications=tuple(_publication(p) for p in o.get("publications") or []),
        )
        for o in raw.get("outputobjects") or []
    )
    flow_params = [
        p for p in (_run_parameter(r) for r in raw.get("flowrunparameteroverrides") or []) if p
    ]
    flow_params += [p for p in (_run_parameter(r) for r in raw.get("runparameters") or []) if p]
    return Flow(
        id=int(raw["id"]),
        name=str(raw.get("name") or ""),
        nodes=tuple(
            FlowNode(int(n["id"]), int(n["scriptId"]), bool(n.get("wrangled")))
            for n in raw.get("flownodes") or []
        ),
        edges=tuple(
            FlowEdge(int(e["inFlowNodeId"]), int(e["outFlowNodeId"]), _int(e.get("outPortId")))
            for e in raw.get("flowedges") or []
        ),
        recipes=recipes,
        datasources=tuple(datasources),
        outputs=outputs,
        parameters=tuple(flow_params),
    )


def _by(rows: Any, key: str) -> dict[Any, list[Mapping[str, Any]]]:
    out: dict[Any, list[Mapping[str, Any]]] = {}
    for row in rows or []:
        if isinstance(row, Mapping):
            out.setdefault(row.get(key), []).append(row)
    return out


def _read_flat(data: Mapping[str, Any], label: str) -> tuple[Flow, ...]:
    scriptlines = {s["id"]: s for s in data.get("scriptlines") or []}
    lines_by_edit = _by(data.get("editsscriptlines"), "editId")
    recipes = []
    for script in data.get("editablescripts") or []:
        lines = sorted(lines_by_edit.get(script.get("currentEditId"), []), key=lambda r: r["index"])
        tasks = []
        for line in lines:
            row = scriptlines.get(line["scriptlineId"])
            if row is None:
                raise FlowImportError(
                    f"{label}: recipe {script.get('name')!r} names scriptline {line['scriptlineId']}, "
                    "which the package does not hold"
                )
            tasks.append((row.get("task"), None))
        recipes.append(
            Recipe(
                int(script["id"]),
                str(script.get("name") or script["id"]),
                _steps(tasks, str(script.get("name")), label),
            )
        )
    locations = {s["id"]: s for s in data.get("storagelocations") or []}
    relational = {r.get("datasourceId"): r for r in data.get("relationalsources") or []}
    converted = {c.get("datasourceId"): c for c in data.get("convertedsources") or []}
    edits = {e["id"]: e for e in data.get("runparameteredits") or []}
    params_by_source: dict[Any, list[RunParameter]] = {}
    for rp in data.get("runparameters") or []:
        edit = edits.get(rp.get("runParameterEditId"))
        parameter = _run_parameter(edit, rp.get("type")) if edit else None
        if parameter:
            params_by_source.setdefault(rp.get("datasourceId"), []).append(parameter)
    datasources = tuple(
        _datasource(
            ds,
            locations.get(ds.get("storageLocationId"), {}),
            relational.get(ds["id"]),
            converted.get(ds["id"]),
            tuple(params_by_source.get(ds["id"], [])),
        )
        for ds in data.get("datasources") or []
    )
    settings = _by(data.get("writesettings"), "outputObjectId")
    publications = _by(data.get("publications"), "outputObjectId")
    outputs = tuple(
        OutputObject(
            id=int(o["id"]),
            node_id=int(o["flowNodeId"]),
            execution=o.get("execution"),
            profiler=bool(o.get("profiler")),
            write_settings=tuple(_write_setting(w) for w in settings.get(o["id"], [])),
            publications=tuple(_publication(p) for p in publications.get(o["id"], [])),
        )
        for o in data.get("outputobjects") or []
    )
    nodes_by_flow = _by(data.get("flownodes"), "flowId")
    edges_by_flow = _by(data.get("flowedges"), "flowId")
    flows = []
    for raw in data.get("flows") or []:
        nodes = tuple(
            FlowNode(int(n["id"]), int(n["scriptId"]), bool(n.get("wrangled")))
            for n in nodes_by_flow.get(raw["id"], [])
        )
        node_ids = {n.id for n in nodes}
        params = tuple(
            p for p in (_run_parameter(r) for r in raw.get("flowRunParameterOverrides") or []) if p
        )
        flows.append(
            Flow(
                id=int(raw["id"]),
                name=str(raw.get("name") or ""),
                nodes=nodes,
                edges=tuple(
                    FlowEdge(
                        int(e["inFlowNodeId"]), int(e["outFlowNodeId"]), _int(e.get("outPortId"))
                    )
                    for e in edges_by_flow.get(raw["id"], [])
                ),
                recipes=tuple(recipes),
                datasources=datasources,
                outputs=tuple(o for o in outputs if o.node_id in node_ids),
                parameters=params,
            )
        )
    return tuple(flows)
