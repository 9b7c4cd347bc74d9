"""A read package -> the job spec ``spark-jobs run`` takes, with its job groups and publications.

Wiring comes from the flow's nodes and edges, never from the ``original_datasource_<id>`` names
inside recipes: a wrangled node's input is the node on the edge into its main port, and a
``Load`` of ``portId://<n>`` inside a recipe (a join, lookup or union table) is the node on the
edge into port ``<n>``. Imported datasets keep their datasource ids; wrangled datasets take their
flow node ids, as the platform's API numbers them (``POST /v4/jobGroups {"wrangledDataset":
{"id": <flow node id>}}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spark_jobs.errors import FlowImportError, RecipeError, SpecError
from spark_jobs.importer.outputs import plan_output, write_setting
from spark_jobs.importer.package import Connection, Flow, FlowNode, FlowPackage, Recipe, Step
from spark_jobs.importer.rules import Rules
from spark_jobs.importer.sources import dynamic_uri, plan_source
from spark_jobs.importer.tasks import TaskContext, convert_step
from spark_jobs.importer.values import Constant
from spark_jobs.recipe import parse_recipe
from spark_jobs.spec import load_job_spec

_PORT = re.compile(r"portId://(\d+|null)\Z")


@dataclass
class ImportResult:
    """What a package becomes: the job spec (``jobGroup`` for its first output), one jobGroup
    body per output, the publish bodies, and every warning about what was left out."""

    spec: dict[str, Any]
    job_groups: list[dict[str, Any]] = field(default_factory=list)
    publications: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    layout: str = ""
    version: str = ""


@dataclass
class ConvertedRecipe:
    steps: list[str]
    origins: list[Step]


def recipe_texts(
    recipe: Recipe,
    tables: Mapping[str, str] | None = None,
    steps: tuple[Step, ...] | None = None,
) -> ConvertedRecipe:
    """Every step of ``recipe`` (or ``steps`` of it) as the Wrangle text the platform shows."""
    out = ConvertedRecipe([], [])
    pairs = tuple((tables or {}).items())
    for step in steps if steps is not None else recipe.steps:
        text = convert_step(TaskContext(recipe, step, pairs))
        if text is not None:
            out.steps.append(text)
            out.origins.append(step)
    return out


def convert_recipe(
    recipe: Recipe,
    tables: Mapping[str, str] | None = None,
    steps: tuple[Step, ...] | None = None,
) -> ConvertedRecipe:
    """:func:`recipe_texts`, each step checked by the parser (the error names the task)."""
    out = recipe_texts(recipe, tables, steps)
    try:
        parse_recipe(out.steps)
    except RecipeError as exc:
        number = exc.location.step if exc.location else 1
        origin = out.origins[number - 1]
        raise FlowImportError(
            f"recipe {recipe.name!r}, step {origin.number} (task {origin.task.type}): the converted "
            f"step does not parse here: {exc.reason}\n    {out.steps[number - 1]}"
        ) from None
    return out


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "output"


class _Builder:
    def __init__(
        self,
        package: FlowPackage,
        rules: Rules,
        default_output_dir: str | None,
        *,
        check: bool = True,
    ) -> None:
        self.package = package
        self.check = check
        self.rules = rules
        self.default_output_dir = default_output_dir
        self.warnings: list[str] = []
        self.imported: list[dict[str, Any]] = []
        self.wrangled: list[dict[str, Any]] = []
        self.job_groups: list[dict[str, Any]] = []
        self.publications: list[dict[str, Any]] = []
        self.parameters: list[dict[str, Any]] = []
        #: node id -> (("imported" | "wrangled", id), display name)
        self.refs: dict[int, tuple[tuple[str, int], str]] = {}

    def connection(self, connection_id: int | None) -> Mapping[str, Any] | None:
        if connection_id is None:
            return None
        found = next((c for c in self.package.connections if c.id == connection_id), None)
        return self.rules.connection(found or Connection(connection_id, "", ""))

    # -- datasets -------------------------------------------------------------------------

    def build(self) -> None:
        for flow in self.package.flows:
            self._flow(flow)

    def _flow(self, flow: Flow) -> None:
        sources = {d.parsing_recipe_id: d for d in flow.datasources}
        for node in flow.nodes:
            if not node.wrangled:
                self._source_node(flow, node, sources)
        for node in flow.nodes:
            if node.wrangled:
                recipe = self._recipe(flow, node)
                self.refs[node.id] = (("wrangled", node.id), recipe.name)
        for node in flow.nodes:
            if node.wrangled:
                self._wrangled_node(flow, node)
        self._outputs(flow)
        self._flow_parameters(flow)

    def _flow_parameters(self, flow: Flow) -> None:
        """Flow parameters: a value for a dataset's parameter of that name becomes its default
        (the platform's flow-level override); any other is a flow parameter (``$name``)."""
        seen = {p["name"] for p in self.parameters}
        for parameter in flow.parameters:
            if parameter.key in seen:
                continue
            seen.add(parameter.key)
            owners = [
                p
                for d in self.imported
                for p in d.get("parameters", [])
                if p["name"] == parameter.key
            ]
            for owner in owners:
                owner["variable"] = {"value": parameter.value}
            if not owners:
                self.parameters.append(
                    {"name": parameter.key, "variable": {"value": parameter.value}}
                )

    def _recipe(self, flow: Flow, node: FlowNode) -> Recipe:
        recipe = flow.recipe(node.recipe_id)
        if recipe is None:
            raise FlowImportError(
                f"flow {flow.name!r}: node {node.id} names recipe {node.recipe_id}, which the package does not hold"
            )
        return recipe

    def _source_node(self, flow: Flow, node: FlowNode, sources: Mapping[int | None, Any]) -> None:
        recipe = self._recipe(flow, node)
        source = sources.get(node.recipe_id)
        if source is None:
            raise FlowImportError(
                f"flow {flow.name!r}: imported dataset {recipe.name!r} (node {node.id}) has no datasource"
            )
        location = (
            None if source.relational is not None else self.rules.location(dynamic_uri(source))
        )
        plan = plan_source(
            source,
            recipe,
            name=recipe.name,
            location=location,
            connection=self.connection(source.connection_id),
        )
        self.warnings += plan.warnings
        if location is not None and location.startswith("gs://"):
            self.warnings.append(
                f"imported dataset {recipe.name!r}: {location} is a Google Cloud Storage location "
                "and no fileLocation rule rebinds it"
            )
        self.imported.append(plan.dataset)
        if plan.parsing_steps:
            converted = self._convert(recipe, None, plan.parsing_steps)
            self.wrangled.append(
                {
                    "id": node.id,
                    "name": recipe.name,
                    "input": {"importedDataset": {"id": source.id}},
                    "recipe": converted.steps,
                }
            )
            self.refs[node.id] = (("wrangled", node.id), recipe.name)
        else:
            self.refs[node.id] = (("imported", source.id), recipe.name)

    def _wrangled_node(self, flow: Flow, node: FlowNode) -> None:
        recipe = self._recipe(flow, node)
        into = [e for e in flow.edges if e.target == node.id]
        main = [e for e in into if e.port is None]
        if not main and not any(o.node_id == node.id for o in flow.outputs):
            self.warnings.append(
                f"recipe {recipe.name!r} has no input in the flow (a recipe left unconnected); left out"
            )
            del self.refs[node.id]
            return
        if len(main) != 1:
            raise FlowImportError(
                f"recipe {recipe.name!r}: {len(main)} edges feed its main input (expected one)"
            )
        source_ref, _ = self._ref(main[0].source, recipe)
        tables: dict[str, str] = {}
        for step in recipe.steps:
            task = step.task
            if task.type != "Load":
                continue
            location = task.get("location")
            match = _PORT.match(str(location.value)) if isinstance(location, Constant) else None
            if match is None or match.group(1) == "null":
                continue
            port = int(match.group(1))
            edge = next((e for e in into if e.port == port), None)
            if edge is None:
                raise FlowImportError(
                    f"recipe {recipe.name!r}, step {step.number} (task Load): no edge of the flow "
                    f"feeds its port {port}"
                )
            key, name = self._ref(edge.source, recipe)
            self._check_name_resolves(name, key, recipe)
            if task.output_name:
                tables[task.output_name] = name
        converted = self._convert(recipe, tables, None)
        if recipe.quality_rules:
            self.warnings.append(
                f"recipe {recipe.name!r}: its {recipe.quality_rules} data quality rules are not "
                "checked here (the profile has no rules); left out"
            )
        kind, ident = source_ref
        self.wrangled.append(
            {
                "id": node.id,
                "name": recipe.name,
                "input": {
                    "importedDataset" if kind == "imported" else "wrangledDataset": {"id": ident}
                },
                "recipe": converted.steps,
            }
        )

    def _convert(
        self, recipe: Recipe, tables: Mapping[str, str] | None, steps: tuple[Step, ...] | None
    ) -> ConvertedRecipe:
        if self.check:
            return convert_recipe(recipe, tables, steps)
        return recipe_texts(recipe, tables, steps)

    def _ref(self, node_id: int, recipe: Recipe) -> tuple[tuple[str, int], str]:
        if node_id not in self.refs:
            raise FlowImportError(
                f"recipe {recipe.name!r}: an edge comes from node {node_id}, which the flow does not hold"
            )
        return self.refs[node_id]

    def _check_name_resolves(self, name: str, key: tuple[str, int], recipe: Recipe) -> None:
        """The runner finds a ``with:`` dataset by name (wrangled first): it must find this one."""
        wrangled = [r for r in self.refs.values() if r[1] == name and r[0][0] == "wrangled"]
        imported = [r for r in self.refs.values() if r[1] == name and r[0][0] == "imported"]
        candidates = {r[0] for r in (wrangled or imported)}
        if candidates != {key}:
            raise FlowImportError(
                f"recipe {recipe.name!r} joins dataset {name!r}, and {len(candidates)} datasets of "
                "the flow have that name; rename them apart on the platform and export again"
            )

    def pass_through(self) -> None:
        """A flow of datasets without recipes: one empty recipe over each (the platform's
        "add a recipe"), so its data can be run and written."""
        for dataset in self.imported:
            node = next(
                n for n, (key, _) in self.refs.items() if key == ("imported", dataset["id"])
            )
            self.wrangled.append(
                {
                    "id": node,
                    "name": dataset["name"],
                    "input": {"importedDataset": {"id": dataset["id"]}},
                    "recipe": [],
                }
            )
            self.warnings.append(
                f"the flow has no recipe: {dataset['name']!r} gets an empty one (wrangled dataset {node})"
            )
            if self.default_output_dir is not None:
                self._default_output(None, self.wrangled[-1])

    # -- outputs ---------------------------------------------------------------------------

    def _outputs(self, flow: Flow) -> None:
        by_id = {d["id"]: d for d in self.wrangled}
        names = {n.id: self.refs[n.id][1] for n in flow.nodes if n.id in self.refs}
        for output in flow.outputs:
            dataset = by_id.get(output.node_id)
            if dataset is None:
                raise FlowImportError(
                    f"an output of flow {flow.name!r} belongs to node {output.node_id}, which is no recipe"
                )
            plan = plan_output(
                output,
                names.get(output.node_id, str(output.node_id)),
                self.rules.location,
                self.connection,
            )
            self.warnings += plan.warnings
            dataset.setdefault("writeSettings", []).extend(plan.write_settings)
            self.job_groups.append(plan.job_group)
            self.publications += plan.publications
        if flow.outputs:
            for output in flow.outputs:
                dataset = by_id[output.node_id]
                if not dataset.get("writeSettings"):  # everything it wrote was left out
                    self._default_output(flow, dataset, job_group=False)
            return
        feeding = {e.source for e in flow.edges}
        for node in flow.nodes:
            if node.wrangled and node.id not in feeding:
                self._default_output(flow, by_id[node.id])

    def _default_output(
        self, flow: Flow | None, dataset: dict[str, Any], *, job_group: bool = True
    ) -> None:
        """The platform's default output for ``dataset`` (which writes nothing the import could
        carry over) in ``default_output_dir``; ``job_group``: add a job group for it (an
        output object already has one)."""
        name = dataset["name"]
        label = f"flow {flow.name!r}" if flow is not None else "the flow"
        if self.default_output_dir is None:
            self.warnings.append(
                f"{label} has no outputs and no output directory was given: {name!r} writes nothing"
            )
            return
        from spark_jobs.importer.package import PackageWriteSetting

        path = self.default_output_dir.rstrip("/") + "/" + _slug(name) + ".csv"
        default = PackageWriteSetting(
            path=path, action="create", format="csv", header=True, as_single_file=True
        )
        setting, warnings = write_setting(default, f"output of {name!r}", self.rules.location)
        self.warnings += warnings
        if setting is None:
            return
        dataset.setdefault("writeSettings", []).append(setting)
        if job_group:
            self.job_groups.append({"wrangledDataset": {"id": dataset["id"]}})
        self.warnings.append(
            f"{label} has no outputs{'' if job_group else ' carried over'} for {name!r}: "
            f"it is written to {setting['path']} "
            "(the platform's default: csv with a header, one file, a new file each run)"
        )


def wrangled_texts(package: FlowPackage) -> dict[int, tuple[str, list[str]]]:
    """Each recipe of the package as the platform shows it, unchecked: flow node id ->
    (recipe name, steps). For comparing with the platform's own downloads."""
    builder = _Builder(package, Rules(), None, check=False)
    builder.build()
    return {d["id"]: (d["name"], list(d["recipe"])) for d in builder.wrangled}


def _match_rules(package: FlowPackage, rules: Rules, default_output_dir: str | None) -> None:
    """Every rule must match something in the package: checked before any recipe is converted,
    so a rule meant for another package is the error reported."""
    locations = [
        dynamic_uri(d) for f in package.flows for d in f.datasources if d.relational is None
    ]
    locations += [w.path for f in package.flows for o in f.outputs for w in o.write_settings]
    if default_output_dir is not None:
        locations.append(default_output_dir)
    for location in locations:
        rules.location(location)
    connections = {c.id: c for c in package.connections}
    used = {d.connection_id for f in package.flows for d in f.datasources}
    used |= {p.connection_id for f in package.flows for o in f.outputs for p in o.publications}
    for connection_id in sorted(i for i in used if i is not None):
        rules.connection(connections.get(connection_id) or Connection(connection_id, "", ""))
    rules.check_all_used()


def build_spec(
    package: FlowPackage, rules: Rules, *, default_output_dir: str | None = None
) -> ImportResult:
    """The job spec of ``package`` (validated), its job groups, publications and warnings."""
    _match_rules(package, rules, default_output_dir)
    builder = _Builder(package, rules, default_output_dir)
    builder.build()
    if not builder.imported and not builder.wrangled:
        raise FlowImportError(
            "the package's flow is empty: it holds no dataset and no recipe to import"
        )
    if not builder.wrangled:
        builder.pass_through()
    first = next(
        (
            jg
            for jg in builder.job_groups
            if any(
                d["id"] == jg["wrangledDataset"]["id"] and d.get("writeSettings")
                for d in builder.wrangled
            )
        ),
        builder.job_groups[0]
        if builder.job_groups
        else {"wrangledDataset": {"id": builder.wrangled[-1]["id"]}},
    )
    flow: dict[str, Any] = {
        "importedDatasets": builder.imported,
        "wrangledDatasets": builder.wrangled,
    }
    if builder.parameters:
        flow["parameters"] = builder.parameters
    spec = {"jobGroup": first, "flow": flow}
    try:
        load_job_spec(spec)
    except SpecError as exc:
        raise FlowImportError(
            "the imported job spec is not valid:\n" + "\n".join(f"  - {p}" for p in exc.problems)
        ) from None
    return ImportResult(
        spec=spec,
        job_groups=builder.job_groups,
        publications=builder.publications,
        warnings=builder.warnings,
        layout=package.layout,
        version=package.version,
    )
