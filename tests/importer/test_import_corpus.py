"""Every package of the corpus imports, and its recipes compile, or fails with a clear error.

Compiling needs each source's columns: they are the ones the package recorded (the header a
parsing recipe found, a relational table's columns, ``column1`` for raw lines). Each source is
a stand-in of 5 rows numbered as source rows 1..5, each holding what a later ``header`` step
reads (text columns hold their own names), so the recipes compile in flow order over it, step
after step, as ``tests/recipe/test_real_recipes.py`` compiles the real recipes: before each step
the frame is widened by the columns the step names that it lacks (``tests/recipe/corpus.py``):
a pivot's columns come from values, a header from rows the stand-in does not have. Spark
analyses every step; only ``header`` and ``rename type: header`` read rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from importer_helpers import package_paths
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import LongType, StringType, StructField, StructType

from spark_jobs.errors import FlowImportError, RecipeError
from spark_jobs.importer import import_flow, load_document, read_package
from spark_jobs.importer.package import FlowPackage
from spark_jobs.importer.values import Func, constant_text, string_list
from spark_jobs.metadata_columns import FILEPATH, SOURCE_ROW_NUMBER
from spark_jobs.recipe import DatasetReference, Recipe, apply_recipe, parse_recipe, with_parameters
from spark_jobs.spec import load_job_spec
from tests.recipe.corpus import SOURCE_ROWS, missing, reseeded, widened, widened_for

#: packages that are not flows the platform can run, and the error each one gets
NOT_IMPORTED = {
    "Internships Workflow.json": "not a flow package",
    "a26ba65526": "flow is empty",
    "ddca52d244": "flow is empty",
}


def _expected_error(path: Path) -> str | None:
    return next((m for key, m in NOT_IMPORTED.items() if key in str(path)), None)


def _header_line(package: FlowPackage, source_id: int) -> tuple[list[str], str | None]:
    """The columns of a source as the platform recorded them, and the first line a later
    ``header`` step turns into names (None: no such step)."""
    for flow in package.flows:
        source = next((d for d in flow.datasources if d.id == source_id), None)
        if source is None:
            continue
        recipe = flow.recipe(source.parsing_recipe_id or -1)
        tasks = [s.task for s in recipe.steps] if recipe else []
        node = next((n for n in flow.nodes if n.recipe_id == source.parsing_recipe_id), None)
        if node is not None:  # the recipes reading it, in flow order
            for edge in flow.edges:
                if edge.source == node.id and edge.port is None:
                    target = flow.node(edge.target)
                    reader = flow.recipe(target.recipe_id) if target else None
                    tasks += [s.task for s in reader.steps] if reader else []
        load = next((t for t in tasks if t.type == "Load"), None)
        if load is not None and source.relational is not None:
            fmt = load.get("format")
            return (string_list(fmt.get("columnNames")) if isinstance(fmt, Func) else []), None
        delimiter = next((constant_text(t.get("on")) for t in tasks if t.type == "Split"), None)
        header = next((t for t in tasks if t.type == "Header"), None)
        if header is None:
            return [], None
        names = string_list(header.get("as"))
        return names, (delimiter or ",").join(names)
    return [], None


def _frame(spark: SparkSession, dataset: dict[str, Any], package: FlowPackage) -> DataFrame:
    """A source's stand-in: source rows 1..5, each text column holding its own name (a raw-line
    source: the header line a later ``header`` step reads, on every row)."""
    names, line = _header_line(package, dataset["id"])
    fmt, options = dataset["format"], dataset.get("options", {})
    if fmt == "csv" or (fmt == "excel" and options.get("header")):
        columns, row = names, names
    elif fmt == "sql":
        columns = row = names or ["dummy"]
    else:
        columns, row = ["column1"], [line or "column1"]
    # the hidden metadata the reader adds for recipes that read $filepath / $sourcerownumber
    schema = StructType(
        [StructField(c, StringType()) for c in columns]
        + [StructField(FILEPATH, StringType()), StructField(SOURCE_ROW_NUMBER, LongType())]
    )
    rows = [(*row, "file:/source.csv", n) for n in range(1, SOURCE_ROWS + 1)]
    return spark.createDataFrame(rows, schema)


def _compile(
    spark: SparkSession, df: DataFrame, recipe: Recipe, frames: dict[str, DataFrame], name: str
) -> DataFrame:
    """``recipe`` applied step after step, each step on the frame widened by the columns it names
    that the frame lacks (and the datasets it reads by the columns it names in them). A step
    refused over a frame an earlier step emptied (the stand-in's rows did not have what that step
    keeps) is compiled again over fresh stand-in rows of the same columns, and fails the test
    with both messages when it is refused there too."""
    before: list[tuple[str, DataFrame]] = []
    for step in recipe.steps:
        df, theirs = widened_for(spark, df, step)
        others = {
            other: widened(spark, frames[other], missing(step, frames[other], columns))
            for other, columns in theirs.items()
        }

        def resolve(ref: DatasetReference, others: dict[str, DataFrame] = others) -> DataFrame:
            return others[ref.name or ""]

        try:
            out = apply_recipe(df, Recipe((step,)), resolve=resolve, dataset=name)
            out.schema  # noqa: B018 - Spark analyses the step here
        except RecipeError as exc:
            if not df.isEmpty():
                raise AssertionError(exc.message) from exc
            # an earlier step removed every stand-in row (real rows would have what it keeps):
            # the step must compile over fresh stand-in rows of the same columns
            message = _emptied(exc, before, df)
            df = reseeded(spark, df)
            try:
                out = apply_recipe(df, Recipe((step,)), resolve=resolve, dataset=name)
                out.schema  # noqa: B018
            except RecipeError as again:
                raise AssertionError(f"{again.message}\n{message}") from again
        before.append((step.text, df))
        df = out
    return df


def _emptied(exc: RecipeError, before: list[tuple[str, DataFrame]], df: DataFrame) -> str:
    """``exc``'s message, and which step removed every stand-in row when one did (``before``:
    each earlier step with the frame it ran on; ``df``: the frame the refused step ran on)."""
    if not df.isEmpty():
        return exc.message
    afters = [frame for _, frame in before[1:]] + [df]
    emptied = [
        text
        for (text, frame), after in zip(before, afters, strict=True)
        if after.isEmpty() and not frame.isEmpty()
    ]
    return (
        f"{exc.message}\n(the stand-in rows were all removed by an earlier step, {emptied}: "
        "this step needs rows the stand-in data does not have)"
    )


def compile_flow(spark: SparkSession, spec: dict[str, Any], package: FlowPackage) -> None:
    """Every wrangled dataset's recipe applied over its inputs; raises what the compiler raises."""
    model = load_job_spec(spec)
    values = model.flow.parameter_values({})
    frames: dict[tuple[str, int], DataFrame] = {
        ("imported", d["id"]): _frame(spark, d, package) for d in spec["flow"]["importedDatasets"]
    }
    names = {d.name: ("wrangled", d.id) for d in reversed(model.flow.wrangledDatasets)}
    imported = {d.name: ("imported", d.id) for d in model.flow.importedDatasets}
    datasets = set(names) | set(imported)
    pending = list(model.flow.wrangledDatasets)
    while pending:
        progressed = False
        for dataset in list(pending):
            source = dataset.input
            key = (
                ("imported", source.importedDataset.id)
                if source.importedDataset
                else ("wrangled", source.wrangledDataset.id)
            )  # type: ignore[union-attr]
            recipe = with_parameters(parse_recipe(dataset.recipe, datasets=datasets), values)
            refs = {
                r.name or "": names.get(r.name or "") or imported.get(r.name or "")
                for r in recipe.dataset_references()
            }
            if key not in frames or any(r not in frames for r in refs.values()):
                continue
            others = {name: frames[ref] for name, ref in refs.items()}  # type: ignore[index]
            frames[("wrangled", dataset.id)] = _compile(
                spark, frames[key], recipe, others, dataset.name
            )
            pending.remove(dataset)
            progressed = True
        if not progressed:
            raise AssertionError(f"recipes never got their inputs: {[d.name for d in pending]}")


@pytest.mark.parametrize("path", package_paths(), ids=lambda p: "/".join(p.parts[-3:]))
def test_each_package_imports_and_its_recipes_compile(
    path: Path, spark: SparkSession, tmp_path: Path
) -> None:
    expected = _expected_error(path)
    if expected is not None:
        with pytest.raises(FlowImportError, match=expected):
            import_flow(path, default_output_dir=f"file://{tmp_path}")
        return
    result = import_flow(path, default_output_dir=f"file://{tmp_path}")
    compile_flow(spark, result.spec, read_package(load_document(path)))
