"""Import the platform's flows: a flow package -> a job spec ``spark-jobs run`` takes.

    from spark_jobs.importer import import_flow
    result = import_flow("flow_Custom Calendars.zip", rules=[...])
    result.spec            # {"jobGroup": ..., "flow": {"importedDatasets": ..., "wrangledDatasets": ...}}
    result.job_groups      # one POST /v4/jobGroups body per output of the flow
    result.publications    # PUT /v4/jobGroups/<id>/publish bodies
    result.warnings        # what has no counterpart here and was left out

Pure Python (no Spark): the package is read into typed records once (:mod:`.package`), its task
trees converted one task type at a time (:mod:`.tasks`, :mod:`.text`), each converted recipe
checked by the recipe parser, and the spec validated by the spec models. See docs/import.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spark_jobs.errors import FlowImportError
from spark_jobs.importer.flow import ImportResult, build_spec, convert_recipe, recipe_texts
from spark_jobs.importer.package import FlowPackage, load_document, read_package
from spark_jobs.importer.rules import Rules, load_rules, parse_rules

__all__ = [
    "FlowImportError",
    "FlowPackage",
    "ImportResult",
    "Rules",
    "convert_recipe",
    "import_flow",
    "load_document",
    "load_rules",
    "parse_rules",
    "read_package",
    "recipe_texts",
]


def import_flow(
    package: str | Path | bytes,
    *,
    rules: str | Path | Any | None = None,
    default_output_dir: str | None = None,
    name: str | None = None,
) -> ImportResult:
    """Import a flow package: a path to the ZIP or its JSON, or their bytes (``name`` labels
    them in errors). ``rules``: a rules file, a parsed rules list or None. ``default_output_dir``:
    where a flow without outputs writes its final recipes (csv, as the platform's default).

    Raises :class:`FlowImportError` (exit code 2) with one clear message; nothing is written.
    """
    label = name or (str(package) if not isinstance(package, bytes) else "package")
    parsed_rules = rules if isinstance(rules, Rules) else load_rules(rules)
    document = load_document(package, name=label)
    return build_spec(
        read_package(document, label=label), parsed_rules, default_output_dir=default_output_dir
    )
