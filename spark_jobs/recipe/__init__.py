"""The Wrangle engine's public surface (see docs/architecture.md).

Placeholder until the engine lands: an empty recipe passes data through.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pyspark.sql import DataFrame

from spark_jobs.errors import RecipeError, SourceLocation


@dataclass(frozen=True)
class DatasetReference:
    name: str | None
    id: int | None
    step: int


@dataclass(frozen=True)
class Recipe:
    steps: tuple[str, ...]

    def dataset_references(self) -> list[DatasetReference]:
        return []

    def metadata_columns(self) -> set[str]:
        return set()


def parse_recipe(steps: Sequence[str]) -> Recipe:
    for number, text in enumerate(steps, start=1):
        raise RecipeError(
            "the Wrangle engine is not available yet", SourceLocation(number, 1, 1, text)
        )
    return Recipe(tuple(steps))


def apply_recipe(
    df: DataFrame, recipe: Recipe, *, resolve: Callable[[DatasetReference], DataFrame], dataset: str
) -> DataFrame:
    return df
