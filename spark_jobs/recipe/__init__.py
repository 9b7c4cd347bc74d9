"""The Wrangle engine's public surface (see docs/architecture.md and docs/wrangle.md).

``parse_recipe`` is pure Python (grammar, names, arities, patterns); ``apply_recipe`` compiles
each step against the DataFrame's schema into native Spark operations (unknown columns are found
there) and returns the transformed DataFrame, without running a Spark job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial

from py4j.protocol import Py4JJavaError
from pyspark.errors import PySparkException
from pyspark.sql import DataFrame

from spark_jobs.errors import RecipeError, SourceLocation, first_line
from spark_jobs.recipe import ast
from spark_jobs.recipe.ast import DatasetReference
from spark_jobs.recipe.parser import parse_step

__all__ = [
    "DatasetReference",
    "Recipe",
    "RecipeError",
    "apply_recipe",
    "parse_recipe",
    "with_parameters",
]


@dataclass(frozen=True)
class Recipe:
    steps: tuple[ast.Step, ...]

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.steps)

    def dataset_references(self) -> list[DatasetReference]:
        from spark_jobs.recipe.registry import TRANSFORMS

        out: list[DatasetReference] = []
        for step in self.steps:
            spec = TRANSFORMS[step.transform.lower()]
            for name in spec.dataset_params:
                param = step.param(name)
                for node in param.values if param else ():
                    out.extend(ast.dataset_references(node, step.number))
        return list(dict.fromkeys(out))

    def metadata_columns(self) -> set[str]:
        """The hidden per-row metadata the steps read (``$filepath``, ``$sourcerownumber``)."""
        out: set[str] = set()
        for step in self.steps:
            for node in step.walk():
                if isinstance(node, ast.ColumnRef) and node.is_metadata:
                    out.add(node.name.lower())
                elif isinstance(node, ast.Call) and node.name.upper() in _METADATA_FUNCTIONS:
                    out.add(_METADATA_FUNCTIONS[node.name.upper()])
            if step.transform.lower() == "header" and step.param("sourcerownumber"):
                out.add("$sourcerownumber")
            if step.transform.lower() == "rename" and _is_header_rename(step):
                out.add("$sourcerownumber")
        return out


_METADATA_FUNCTIONS = {"SOURCEROWNUMBER": "$sourcerownumber", "FILEPATH": "$filepath"}


def with_parameters(recipe: Recipe, values: Mapping[str, str]) -> Recipe:
    """``recipe`` with each flow parameter ``$name`` replaced by its value: a number when the
    value is one (``RANGE(0, $n, 1)``), text otherwise. Other ``$`` names are left as they are."""
    if not values:
        return recipe
    lowered = {k.lower(): v for k, v in values.items()}

    def literal(node: ast.Expr) -> ast.Expr:
        if isinstance(node, ast.ColumnRef) and not node.quoted and node.name.startswith("$"):
            value = lowered.get(node.name[1:].lower())
            if value is not None:
                if _NUMBER.fullmatch(value.strip()):
                    return ast.NumberLit(value.strip(), pos=node.pos)
                return ast.StringLit(value, pos=node.pos)
        return node

    steps = tuple(
        replace(
            step,
            params=tuple(
                replace(p, values=tuple(ast.transform(v, literal) for v in p.values))
                for p in step.params
            ),
        )
        for step in recipe.steps
    )
    return Recipe(steps)


_NUMBER = re.compile(r"-?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def _is_header_rename(step: ast.Step) -> bool:
    """``rename type: header ...``: names read from source rows (by ``$sourcerownumber``)."""
    kind = step.param("type")
    if kind is None or len(kind.values) != 1:
        return False
    value = kind.values[0]
    text = value.name if isinstance(value, ast.ColumnRef) else getattr(value, "value", None)
    return isinstance(text, str) and text.lower() == "header"


def parse_recipe(steps: Sequence[str], *, datasets: Collection[str] = ()) -> Recipe:
    """Parse every step; the first error raises (naming its step, line and column).

    ``datasets``: the names of the flow's datasets, which join / lookup / union steps may name
    (the longest name that fits wins, so names may hold spaces, dots and commas)."""
    return Recipe(
        tuple(
            parse_step(text, number, datasets=datasets)
            for number, text in enumerate(steps, start=1)
        )
    )


def apply_recipe(
    df: DataFrame,
    recipe: Recipe,
    *,
    resolve: Callable[[DatasetReference], DataFrame],
    dataset: str,
) -> DataFrame:
    """``df`` transformed by every step of ``recipe`` (lazily: no Spark job runs here)."""
    from spark_jobs.recipe.compiler import compile_expression
    from spark_jobs.recipe.context import StepContext
    from spark_jobs.recipe.deep import JVM_STACK_OPTION, run_deep, step_depth
    from spark_jobs.recipe.registry import TRANSFORMS, load_families

    load_families()
    for step in recipe.steps:
        spec = TRANSFORMS[step.transform.lower()]
        try:
            ctx = StepContext(
                df=df, step=step, resolve=resolve, dataset=dataset, compiler=compile_expression
            )
            df = run_deep(partial(spec.fn, ctx), step_depth(step))
        except RecipeError as exc:
            raise exc.with_dataset(dataset) from None
        except Py4JJavaError as exc:
            if not _stack_overflow(exc):
                raise
            raise RecipeError(
                "the step nests an expression too deeply for the driver JVM's thread stack: "
                f"start the driver with {JVM_STACK_OPTION} (docs/cluster.md, 'Deeply nested "
                "expressions'), or split the expression over several steps",
                SourceLocation(step.number, 1, 1, step.text),
                dataset=dataset,
            ) from None
        except PySparkException as exc:
            reason = first_line(exc)
            raise RecipeError(
                f"Spark rejected the step: {reason}",
                SourceLocation(step.number, 1, 1, step.text),
                dataset=dataset,
            ) from None
    return df


def _stack_overflow(exc: Py4JJavaError) -> bool:
    try:
        return bool(exc.java_exception.getClass().getName() == "java.lang.StackOverflowError")
    except Exception:  # the JVM cannot say: not ours to explain
        return False
