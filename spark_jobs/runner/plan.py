"""Plan a job group before Spark does any work: which datasets run, in which order, from which sources.

Everything a user can get wrong is checked here and reported at once, each problem with its JSON
path: recipe syntax, references to datasets that do not exist, dependency cycles, input files
that are not there, datasets with parameters that match no file. Only the checks that need a
schema (unknown columns, ...) wait for the sources to be opened.

Parameters get their values for the run here, once: every dataset with parameters is listed
into its files (``source_uris``), every output path gets its variables and timestamp
(``outputs``), and what each parameter stood for is kept for the result (``parameters``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from spark_jobs.errors import Problem, RecipeError, SpecError, first_line
from spark_jobs.io.fs import filesystem_for, is_local, local_path, normalize_uri
from spark_jobs.jobstore import now
from spark_jobs.recipe import DatasetReference, Recipe, parse_recipe, with_parameters
from spark_jobs.runner.sources import SourceLister, dataset_path
from spark_jobs.spec.models import ImportedDataset, JobSpec, WrangledDataset, WriteSetting
from spark_jobs.spec.parameters import EffectiveValue, ParameterError, merge_effective
from spark_jobs.spec.resolve import resolve_output, resolve_source

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@dataclass(frozen=True)
class DatasetKey:
    """A dataset of the flow: ``("wrangled", 7)`` or ``("imported", 1)``."""

    kind: str
    id: int


@dataclass
class DatasetPlan:
    """One wrangled dataset of the job graph, with its parsed recipe and resolved dependencies."""

    dataset: WrangledDataset
    index: int  # position in flow.wrangledDatasets, for JSON paths
    recipe: Recipe
    input: DatasetKey
    references: dict[DatasetReference, DatasetKey] = field(default_factory=dict)

    @property
    def depends_on(self) -> list[DatasetKey]:
        keys = [self.input, *self.references.values()]
        return list(dict.fromkeys(keys))


@dataclass
class JobPlan:
    spec: JobSpec
    order: list[DatasetPlan]  # dependency order; the target is last
    imported: dict[int, ImportedDataset]
    metadata_by_source: dict[int, set[str]]
    #: the files each dataset with parameters reads (datasets without read their uri)
    source_uris: dict[int, list[str]] = field(default_factory=dict)
    #: the run's write settings with their path parameters filled in (None: the spec's own)
    write_settings: list[WriteSetting] | None = None
    #: what every parameter of the job graph and the outputs stood for in this run
    parameters: list[EffectiveValue] = field(default_factory=list)
    run_time: datetime = field(default_factory=now)
    #: datasets with parameters on a Hadoop file system, not listed for want of a session
    unlisted: list[int] = field(default_factory=list)

    @property
    def target(self) -> DatasetPlan:
        return self.order[-1]

    @property
    def outputs(self) -> list[WriteSetting]:
        """The outputs of this run, ready to write."""
        return self.spec.write_settings if self.write_settings is None else self.write_settings

    def dataset_edges(self) -> list[tuple[int, int]]:
        """(upstream wrangled id, downstream wrangled id) pairs inside the job graph."""
        edges = []
        for plan in self.order:
            for key in plan.depends_on:
                if key.kind == "wrangled":
                    edges.append((key.id, plan.dataset.id))
        return edges


def _resolve_reference(
    spec: JobSpec, ref: DatasetReference
) -> tuple[DatasetKey | None, str | None]:
    """Find the dataset a recipe step refers to: wrangled datasets first, then imported ones."""
    flow = spec.flow
    if ref.id is not None:
        if any(d.id == ref.id for d in flow.wrangledDatasets):
            return DatasetKey("wrangled", ref.id), None
        if any(d.id == ref.id for d in flow.importedDatasets):
            return DatasetKey("imported", ref.id), None
        return None, f"no dataset with id {ref.id} in the flow"
    name = ref.name or ""
    wrangled = [d for d in flow.wrangledDatasets if d.name == name]
    imported = [d for d in flow.importedDatasets if d.name == name]
    if len(wrangled) == 1:
        return DatasetKey("wrangled", wrangled[0].id), None
    if len(wrangled) > 1:
        return None, f"{len(wrangled)} wrangled datasets are named {name!r}; refer to one by id"
    if len(imported) == 1:
        return DatasetKey("imported", imported[0].id), None
    if len(imported) > 1:
        return None, f"{len(imported)} imported datasets are named {name!r}; refer to one by id"
    known = sorted(
        {d.name for d in flow.wrangledDatasets} | {d.name for d in flow.importedDatasets}
    )
    return None, f"no dataset named {name!r} in the flow (known: {', '.join(known)})"


def _recipe_problem(index: int, dataset: WrangledDataset, error: RecipeError) -> Problem:
    step = error.location.step if error.location else None
    path = f"$.flow.wrangledDatasets[{index}].recipe"
    if step is not None:
        path += f"[{step - 1}]"
    return Problem(path, error.with_dataset(dataset.name).message)


def plan_job(
    spec: JobSpec,
    *,
    list_sources: Callable[[ImportedDataset, JobSpec], list[str]] | None = None,
    run_time: datetime | None = None,
) -> JobPlan:
    """Validate what needs no data and order the job graph. Raises SpecError with every problem.

    ``list_sources`` expands a dataset with parameters into the files it reads; the default
    (:class:`~spark_jobs.runner.sources.SourceLister` without a session) lists local paths and
    leaves Hadoop ones unlisted. A dataset without parameters reads its ``uri``; a local one must
    exist, a non-local one is checked by :func:`check_remote_inputs` once a session exists.
    ``run_time`` is the instant relative dates and output timestamps refer to (default: now).
    """
    run_time = run_time or now()
    lister = list_sources or SourceLister(run_time=run_time)
    problems: list[Problem] = []
    plans = _dataset_plans(spec, problems)
    order = _job_graph(spec, plans, problems)
    imported, metadata = _sources_of(spec, order)
    source_uris, values = _list_sources(spec, imported, lister, run_time, problems)
    outputs, output_values = _resolve_outputs(spec, run_time)
    values += output_values
    if problems:
        raise SpecError(problems)
    return JobPlan(
        spec=spec,
        order=order,
        imported=imported,
        metadata_by_source=metadata,
        source_uris=source_uris,
        write_settings=outputs,
        parameters=merge_effective(values),
        run_time=run_time,
        unlisted=list(getattr(lister, "unlisted", [])),
    )


def _dataset_plans(spec: JobSpec, problems: list[Problem]) -> dict[int, DatasetPlan]:
    """Every wrangled dataset of the flow with its parsed recipe, its input and the datasets its
    steps refer to; what cannot be parsed or resolved is added to ``problems``."""
    plans: dict[int, DatasetPlan] = {}
    names = {d.name for d in spec.flow.wrangledDatasets} | {
        d.name for d in spec.flow.importedDatasets
    }
    flow_values = spec.flow.parameter_values(spec.run_parameters)
    for index, dataset in enumerate(spec.flow.wrangledDatasets):
        try:
            recipe = with_parameters(parse_recipe(dataset.recipe, datasets=names), flow_values)
        except RecipeError as exc:
            problems.append(_recipe_problem(index, dataset, exc))
            recipe = parse_recipe([])
        source = dataset.input
        if source.importedDataset is not None:
            input_key = DatasetKey("imported", source.importedDataset.id)
        else:
            assert source.wrangledDataset is not None
            input_key = DatasetKey("wrangled", source.wrangledDataset.id)
        plan = DatasetPlan(dataset=dataset, index=index, recipe=recipe, input=input_key)
        for ref in recipe.dataset_references():
            key, why = _resolve_reference(spec, ref)
            if key is None:
                problems.append(
                    Problem(f"$.flow.wrangledDatasets[{index}].recipe[{ref.step - 1}]", str(why))
                )
            else:
                plan.references[ref] = key
        plans[dataset.id] = plan
    return plans


def _job_graph(
    spec: JobSpec, plans: dict[int, DatasetPlan], problems: list[Problem]
) -> list[DatasetPlan]:
    """The target and everything it depends on, each once, in dependency order; a dependency
    cycle is added to ``problems``."""
    flow = spec.flow
    index_of = {d.id: i for i, d in enumerate(flow.wrangledDatasets)}
    order: list[DatasetPlan] = []
    state: dict[int, str] = {}

    def visit(dataset_id: int, trail: list[int]) -> None:
        if state.get(dataset_id) == "done":
            return
        if state.get(dataset_id) == "active":
            cycle = [*trail[trail.index(dataset_id) :], dataset_id]
            names = " -> ".join(f"{flow.wrangled(i).name} ({i})" for i in cycle)
            problems.append(
                Problem(
                    f"$.flow.wrangledDatasets[{index_of[dataset_id]}]", f"dependency cycle: {names}"
                )
            )
            return
        plan = plans.get(dataset_id)
        if plan is None:
            return  # an unknown id: already reported by spec validation
        state[dataset_id] = "active"
        for key in plan.depends_on:
            if key.kind == "wrangled":
                visit(key.id, [*trail, dataset_id])
        state[dataset_id] = "done"
        order.append(plan)

    visit(spec.jobGroup.wrangledDataset.id, [])
    return order


def _sources_of(
    spec: JobSpec, order: list[DatasetPlan]
) -> tuple[dict[int, ImportedDataset], dict[int, set[str]]]:
    """The imported datasets the job graph reads, and the hidden metadata columns
    (``$filepath``, ...) each must carry for the recipes that read it, directly or through the
    recipes between (an imported flow's parsing recipe is a wrangled dataset of its own; the
    rows keep their source's metadata through it, as on the platform)."""
    imported: dict[int, ImportedDataset] = {}
    metadata: dict[int, set[str]] = {}
    for plan in order:
        for key in plan.depends_on:
            if key.kind == "imported":
                imported[key.id] = spec.flow.imported(key.id)
                metadata.setdefault(key.id, set())
    wanted: dict[int, set[str]] = {}  # wrangled dataset id -> what its consumers read
    for plan in reversed(order):  # consumers come after their inputs
        needed = plan.recipe.metadata_columns() | wanted.get(plan.dataset.id, set())
        if plan.input.kind == "imported":
            metadata[plan.input.id] |= needed
        else:
            wanted.setdefault(plan.input.id, set()).update(needed)
    return imported, metadata


def _list_sources(
    spec: JobSpec,
    imported: dict[int, ImportedDataset],
    lister: Callable[[ImportedDataset, JobSpec], list[str]],
    run_time: datetime,
    problems: list[Problem],
) -> tuple[dict[int, list[str]], list[EffectiveValue]]:
    """The files each imported dataset with parameters reads and what its parameters stood for;
    a local input without parameters must exist. What is wrong is added to ``problems``."""
    imported_index = {d.id: i for i, d in enumerate(spec.flow.importedDatasets)}
    source_uris: dict[int, list[str]] = {}
    values: list[EffectiveValue] = []
    for source_id, source_dataset in imported.items():
        path = f"$.flow.importedDatasets[{imported_index[source_id]}].uri"
        if not source_dataset.is_file:
            continue  # a query: nothing to list or find before it runs
        if not source_dataset.parameters:
            if is_local(normalize_uri(source_dataset.uri)):
                problems += _missing_input_problems(source_dataset, path, None)
            continue
        where = dataset_path(spec, source_dataset)
        try:
            values += resolve_source(source_dataset, spec.run_parameters, run_time, where=where)[1]
            source_uris[source_id] = lister(source_dataset, spec)
        except ParameterError as exc:
            problems.append(Problem(path, str(exc)))
        except SpecError as exc:
            problems += exc.problems
    return source_uris, values


def _write_settings_path(spec: JobSpec) -> str:
    """Where the run's outputs are in the document: the overrides', else the target's."""
    overrides = spec.jobGroup.overrides
    if overrides is not None and overrides.writeSettings is not None:
        return "$.jobGroup.overrides.writeSettings"
    index = next(i for i, d in enumerate(spec.flow.wrangledDatasets) if d.id == spec.target.id)
    return f"$.flow.wrangledDatasets[{index}].writeSettings"


def _resolve_outputs(
    spec: JobSpec, run_time: datetime
) -> tuple[list[WriteSetting], list[EffectiveValue]]:
    base = _write_settings_path(spec)
    outputs, values = [], []
    for index, setting in enumerate(spec.write_settings):
        resolved, used = resolve_output(
            setting, spec.run_parameters, run_time, where=f"{base}[{index}]"
        )
        outputs.append(resolved)
        values += used
    return outputs, values


def check_remote_inputs(plan: JobPlan, spark: SparkSession) -> None:
    """Check that every non-local input exists (needs Spark for the Hadoop file systems)."""
    index = {d.id: i for i, d in enumerate(plan.spec.flow.importedDatasets)}
    problems: list[Problem] = []
    for dataset_id, dataset in plan.imported.items():
        if dataset.is_file and not dataset.parameters and not is_local(normalize_uri(dataset.uri)):
            path = f"$.flow.importedDatasets[{index[dataset_id]}].uri"
            problems += _missing_input_problems(dataset, path, spark)
    if problems:
        raise SpecError(problems)


def _missing_input_problems(
    dataset: ImportedDataset, path: str, spark: SparkSession | None
) -> list[Problem]:
    uri = normalize_uri(dataset.uri)
    if is_local(uri):
        import glob
        import os

        local = local_path(uri)
        if not (os.path.exists(local) or glob.glob(local)):
            return [Problem(path, f"input not found: {dataset.uri}")]
        return []
    if spark is None:
        return []
    fs = filesystem_for(uri, spark)
    try:
        found = fs.exists(uri) or bool(fs.glob(uri))
    except Exception as exc:
        reason = first_line(exc, limit=200)
        return [Problem(path, f"input cannot be reached: {dataset.uri} ({reason})")]
    return [] if found else [Problem(path, f"input not found: {dataset.uri}")]
