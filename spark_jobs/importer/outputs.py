"""Output objects -> writeSettings, jobGroup bodies and publish bodies.

Each output object of a package is one job group the platform would run: its write settings are
stored with the wrangled dataset (a re-run body ``{"wrangledDataset": {"id": n}}`` uses them),
its ``execution`` and ``profiler`` go in the jobGroup body's ``overrides``, and each publication
becomes the body of ``PUT /v4/jobGroups/<id>/publish``. What has no counterpart here is reported
as a warning and left out, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from spark_jobs.importer.package import OutputObject, PackageWriteSetting, Publication
from spark_jobs.importer.sources import _insert_parameters

#: platform output formats -> ours
FORMATS = {"csv": "csv", "json": "json", "avro": "avro", "pqt": "pqt", "parquet": "pqt"}
EXECUTIONS = {"photon", "spark", "databricksSpark", "emrSpark"}
#: schemes no output of this installation writes to without a rule rebinding them
UNWRITABLE_SCHEMES = ("gs://",)
#: publication target -> formats its publish loads
PUBLISH_FORMATS = {"hive": ("pqt", "avro", "delta"), "redshift": ("csv", "json", "avro")}


@dataclass
class OutputPlan:
    write_settings: list[dict[str, Any]] = field(default_factory=list)
    job_group: dict[str, Any] = field(default_factory=dict)
    publications: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def write_setting(
    setting: PackageWriteSetting, where: str, location: Callable[[str], str]
) -> tuple[dict[str, Any] | None, list[str]]:
    """Our writeSettings entry for one of the package's (or None, with the reason)."""
    fmt = FORMATS.get(setting.format)
    if fmt is None:
        return None, [
            f"{where}: format {setting.format!r} has no counterpart here (csv, json, avro, pqt); left out"
        ]
    params = [p for p in setting.run_parameters if p.positions]
    path = location(_insert_parameters(setting.path, tuple(params)))
    if path.startswith(UNWRITABLE_SCHEMES):
        return None, [
            f"{where}: {path} is a Google Cloud Storage location and no fileLocation rule rebinds it; left out"
        ]
    warnings = []
    out: dict[str, Any] = {"path": path, "action": setting.action, "format": fmt}
    if fmt in ("csv", "json"):
        if setting.compression in ("gzip", "bzip2"):
            out["compression"] = setting.compression
        if setting.as_single_file:
            out["asSingleFile"] = True
    if fmt == "csv" and setting.header:
        out["header"] = True
    if fmt == "csv" and setting.delimiter not in (None, ","):
        warnings.append(
            f"{where}: the csv delimiter {setting.delimiter!r} is not supported; ',' is written"
        )
    seen: set[str] = set()
    declared = []
    for p in params:
        if p.key not in seen:
            seen.add(p.key)
            declared.append({"name": p.key, "variable": {"value": p.value}})
    if declared:
        out["parameters"] = declared
    return out, warnings


def publication_body(
    publication: Publication,
    node_id: int,
    formats: list[str],
    connection: Mapping[str, Any] | None,
    where: str,
) -> tuple[dict[str, Any] | None, list[str]]:
    target = publication.target_type.lower()
    if target not in PUBLISH_FORMATS:
        return None, [
            f"{where}: a {publication.target_type} publication ({publication.table}) has no counterpart here (hive, redshift); left out"
        ]
    fmt = next((f for f in formats if f in PUBLISH_FORMATS[target]), None)
    if fmt is None:
        return None, [
            f"{where}: the {target} publication of {publication.table!r} loads "
            f"{' or '.join(PUBLISH_FORMATS[target])} results, and the output writes none; left out"
        ]
    warnings = []
    connection_id = connection.get("id") if connection else None
    if connection_id is None:
        connection_id = publication.connection_id
        warnings.append(
            f"{where}: no connection rule maps connection {publication.connection_id} of the "
            f"{publication.table!r} publication; its id is kept (it must exist in conf/connections.json)"
        )
    if connection_id is None:
        return None, [
            *warnings[:0],
            f"{where}: the {publication.table!r} publication names no connection; left out",
        ]
    body = {
        "connection": {"id": int(connection_id)},
        "path": list(publication.path) or ["default"],
        "table": publication.table,
        "action": publication.action,
        "inputFormat": fmt,
        "flowNodeId": node_id,
    }
    return body, warnings


def plan_output(
    output: OutputObject,
    dataset_name: str,
    location: Callable[[str], str],
    connection_of: Callable[[int | None], Mapping[str, Any] | None],
) -> OutputPlan:
    plan = OutputPlan()
    where = f"output of {dataset_name!r}"
    for setting in output.write_settings:
        converted, warnings = write_setting(setting, where, location)
        plan.warnings += warnings
        if converted is not None:
            plan.write_settings.append(converted)
    overrides: dict[str, Any] = {}
    if output.execution in EXECUTIONS:
        overrides["execution"] = output.execution
    elif output.execution:
        plan.warnings.append(
            f"{where}: execution {output.execution!r} has no counterpart here; the job runs on Spark"
        )
    if output.profiler:
        overrides["profiler"] = True
    plan.job_group = {"wrangledDataset": {"id": output.node_id}}
    if overrides:
        plan.job_group["overrides"] = overrides
    formats = [s["format"] for s in plan.write_settings]
    for publication in output.publications:
        body, warnings = publication_body(
            publication, output.node_id, formats, connection_of(publication.connection_id), where
        )
        plan.warnings += warnings
        if body is not None:
            plan.publications.append(body)
    return plan
