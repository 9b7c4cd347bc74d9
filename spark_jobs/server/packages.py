"""``POST /v4/flows/package``: a flow package (the platform's export ZIP) becomes a flow here.

The package is imported by the importer (:func:`spark_jobs.importer.import_flow`), exactly as
``spark-jobs import-flow`` does, with the import rules of the request's optional ``rules`` part;
the flow it makes is checked as every flow file is, given the next free flow id, and kept as
``<id>.json`` in ``--flows`` (so a restarted server still has it). Dataset ids are the package's
own: a package whose ids another flow already uses is refused with 409 (importing the same
package twice is such a clash), and nothing is written. See docs/serve.md.
"""

from __future__ import annotations

import json
from typing import Any

from spark_jobs.errors import FlowImportError, SpecError
from spark_jobs.importer import import_flow, load_document, parse_rules, read_package
from spark_jobs.server.errors import Conflict, InvalidRequest, invalid
from spark_jobs.server.flows import FlowCatalog, parse_flow
from spark_jobs.server.requests import FormPart
from spark_jobs.server.settings import ServerSettings
from spark_jobs.server.store import timestamp
from spark_jobs.spec.validate import parse_json_bytes

#: the multipart field holding the package (the platform's: ``-F data=@flow.zip``)
PACKAGE_PART = "data"
#: the optional field holding import rules (a JSON list, as ``import-flow --rules`` reads)
RULES_PART = "rules"


def _rules(part: FormPart | None) -> Any:
    if part is None:
        return None
    label = f"the {RULES_PART!r} part" + (f" ({part.filename})" if part.filename else "")
    try:
        document = parse_json_bytes(part.data, what=label)
        return parse_rules(document, label=label)
    except SpecError as exc:
        raise invalid(exc) from None
    except FlowImportError as exc:
        raise invalid(exc) from None


def import_package(
    catalog: FlowCatalog, settings: ServerSettings, parts: dict[str, FormPart]
) -> dict[str, Any]:
    """Import the request's package into ``catalog``; the platform's 201 answer (the objects
    made: ``primaryFlowIds``, ``flows``, ``datasources``, ``flownodes``) plus our ``warnings``."""
    unknown = sorted(set(parts) - {PACKAGE_PART, RULES_PART})
    if unknown:
        raise InvalidRequest(
            f"unknown multipart parts {unknown}: send the package as {PACKAGE_PART!r} and the "
            f"import rules (optional) as {RULES_PART!r}",
            {"parts": unknown},
        )
    package = parts.get(PACKAGE_PART)
    if package is None or not package.data:
        raise InvalidRequest(
            f"no flow package: send it as the multipart part {PACKAGE_PART!r} "
            "(curl -F 'data=@flow.zip')",
            {"parts": sorted(parts)},
        )
    rules = _rules(parts.get(RULES_PART))
    label = package.filename or "the flow package"
    flow_id = catalog.next_flow_id()
    output_dir = settings.workdir / "output" / f"flow-{flow_id}"
    try:
        result = import_flow(
            package.data, rules=rules, default_output_dir=output_dir.as_uri(), name=label
        )
        flows = read_package(load_document(package.data, name=label), label=label).flows
    except FlowImportError as exc:
        raise invalid(exc) from None
    name = flows[0].name if flows and flows[0].name else label
    document = {"id": flow_id, "name": name, **result.spec["flow"]}
    try:
        entry = parse_flow(json.dumps(document).encode(), file=f"{flow_id}.json")
    except SpecError as exc:  # the importer validates its spec: this would be its bug
        raise invalid(exc) from None
    try:
        catalog.add(entry)
    except SpecError as exc:
        raise Conflict(
            f"{label}: its flow clashes with a flow the server has (ids are kept as the "
            "package has them; remove or rename the other flow file to import it again)",
            {"problems": [p.to_json() for p in exc.problems]},
        ) from None
    now = timestamp()
    return {
        "importRuleChanges": {"object": [], "value": []},
        "deletedObjects": {},
        "primaryFlowIds": [flow_id],
        "flows": [
            {
                "id": flow_id,
                "name": name,
                "description": None,
                "createdAt": now,
                "updatedAt": now,
            }
        ],
        "datasources": [
            {"id": d.id, "name": d.name, "path": d.uri, "type": d.format, "flow": {"id": flow_id}}
            for d in entry.flow.importedDatasets
        ],
        "flownodes": [
            {
                "id": d.id,
                "name": d.name,
                "wrangled": True,
                "hasOutputs": bool(d.writeSettings),
                "flow": {"id": flow_id},
            }
            for d in entry.flow.wrangledDatasets
        ],
        "warnings": list(result.warnings),
    }
