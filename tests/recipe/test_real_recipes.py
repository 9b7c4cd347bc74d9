"""Every step of the real-recipe corpus through the parser and the compiler.

The corpus is ``recipes.json`` in the directory ``SPARK_JOBS_WILD`` names (default
``<repository root>/../shared/wild``): recipes real people wrote or downloaded from the platform,
read here at test time and never copied into the repository. A missing corpus fails the test.

Each recipe is compiled step after step against a one-row DataFrame holding, as text, the columns
its steps name: before a step, every column the step reads that the frame lacks is added (so a
step is never refused for a column an earlier step of the real flow would have made, or that a
header row would have named); the datasets a join / lookup / union reads are one-row frames with
the columns the step names in them (``tests/recipe/corpus.py``, shared with the flow-package
corpus test). Every step must compile, except the kinds that cannot run
outside the platform (``udf``, ``standardize``, ``load``, descriptions copied from the UI), which
must be refused with their own error. ``python -m tests.recipe.test_real_recipes`` prints the
census (``N/M real steps compile``) and every step that fails, grouped by cause.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.errors import NotWrangleError, PlatformStepError, RecipeError
from spark_jobs.recipe import DatasetReference, Recipe, apply_recipe
from spark_jobs.recipe.parser import parse_step
from spark_jobs.recipe.patterns import PATTERN_CLASSES
from tests.recipe.corpus import missing, stand_in, widened_for

REPO = Path(__file__).resolve().parents[2]


def wild_dir() -> Path:
    return Path(os.environ.get("SPARK_JOBS_WILD") or REPO.parent / "shared" / "wild")


def load_corpus() -> list[dict[str, Any]]:
    """The corpus; a missing one fails the calling test (it is never skipped)."""
    path = wild_dir() / "recipes.json"
    if not path.is_file():
        pytest.fail(
            f"the real-recipe corpus is missing: {path} does not exist. Set SPARK_JOBS_WILD to "
            "the directory holding recipes.json (CI has it at <repository root>/../shared/wild)",
            pytrace=False,
        )
    recipes: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))
    return recipes


@dataclass(frozen=True)
class Outcome:
    recipe: int
    number: int
    text: str
    #: "compiled", "platform" (refused as a step that cannot run outside it), "invalid" (refused:
    #: not Wrangle the platform runs either, see :func:`_invalid_pattern`) or "failed"
    kind: str
    error: str = ""

    @property
    def first_word(self) -> str:
        words = self.text.split()
        return words[0] if words else ""


def _invalid_pattern(text: str) -> str | None:
    """A pattern class the language does not have (``{MM}``, ``{a}`` in a hand-written recipe's
    backtick patterns), or None. Such a step is refused by the platform as by this engine."""
    for body in re.findall(r"`([^`]*)`", text):
        for name in re.findall(r"\{([^{}]*)\}", body):
            if name.lower() not in PATTERN_CLASSES and not re.fullmatch(r"\d+(,\d*)?", name):
                return "{" + name + "}"
    return None


def compile_recipe(spark: SparkSession, index: int, steps: list[str]) -> list[Outcome]:
    """Each step parsed, then compiled on the frame the steps before it made (widened by the
    columns it names that the frame lacks)."""
    outcomes: list[Outcome] = []
    df: DataFrame | None = None
    for number, text in enumerate(steps, start=1):
        try:
            step = parse_step(text, number)
        except (PlatformStepError, NotWrangleError) as exc:
            outcomes.append(Outcome(index, number, text, "platform", exc.message))
            continue
        except RecipeError as exc:
            kind = "invalid" if _invalid_pattern(text) else "failed"
            outcomes.append(Outcome(index, number, text, kind, exc.message))
            continue
        df, theirs = widened_for(spark, df, step)
        frames = {name: stand_in(spark, missing(step, None, cols)) for name, cols in theirs.items()}

        def resolve(ref: DatasetReference, frames: dict[str, DataFrame] = frames) -> DataFrame:
            if ref.name in frames:
                return frames[ref.name]
            raise KeyError(ref)

        try:
            df = apply_recipe(df, Recipe((step,)), resolve=resolve, dataset="corpus")
        except RecipeError as exc:
            kind = "invalid" if _invalid_pattern(text) else "failed"
            outcomes.append(Outcome(index, number, text, kind, exc.message))
            continue
        outcomes.append(Outcome(index, number, text, "compiled"))
    return outcomes


def run_corpus(spark: SparkSession) -> list[Outcome]:
    return [
        outcome
        for index, recipe in enumerate(load_corpus())
        for outcome in compile_recipe(spark, index, recipe["steps"])
    ]


def _cause(outcome: Outcome) -> str:
    reason = outcome.error.splitlines()[0] if outcome.error else ""
    reason = re.sub(r"^(recipe of [^,]+, )?step \d+, line \d+, column \d+: ", "", reason)
    reason = re.sub(r"'[^']*'", "'…'", reason)[:90]
    return f"{outcome.first_word}: {reason}"


def summary(outcomes: list[Outcome]) -> str:
    total = len(outcomes)
    compiled = sum(o.kind == "compiled" for o in outcomes)
    platform = [o for o in outcomes if o.kind == "platform"]
    failed = [o for o in outcomes if o.kind == "failed"]
    invalid = [o for o in outcomes if o.kind == "invalid"]
    lines = [
        f"{compiled}/{total} real steps compile; {len(platform)} cannot run outside the platform "
        f"(refused with their message); {len(invalid)} not valid Wrangle (refused); "
        f"{len(failed)} fail"
    ]
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in failed:
        groups[_cause(outcome)].append(outcome)
    for cause, members in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        first = members[0]
        lines.append(
            f"  {len(members):4d}  {cause}   e.g. recipe {first.recipe} step {first.number}: "
            + " ".join(first.text.split())[:120]
        )
    kinds = Counter(o.first_word for o in platform)
    if kinds:
        lines.append("  cannot run: " + ", ".join(f"{k} x{n}" for k, n in kinds.most_common()))
    return "\n".join(lines)


@pytest.fixture(scope="module")
def outcomes(spark: SparkSession) -> list[Outcome]:
    return run_corpus(spark)


def test_corpus_is_there() -> None:
    recipes = load_corpus()
    assert sum(len(r["steps"]) for r in recipes) > 900, "the corpus lost steps"


def test_every_real_step_compiles(outcomes: list[Outcome]) -> None:
    failed = [o for o in outcomes if o.kind == "failed"]
    assert not failed, summary(outcomes)


def test_steps_that_cannot_run_say_so(outcomes: list[Outcome]) -> None:
    refused = {o.first_word.lower() for o in outcomes if o.kind == "platform"}
    # the corpus holds a Java UDF, two standardize forms, a load step and UI descriptions
    assert {"udf", "standardize", "load", "keep", "delete"} <= refused, refused
    for outcome in outcomes:
        if outcome.kind == "platform":
            assert "cannot run outside the platform" in outcome.error or (
                "not Wrangle" in outcome.error
            ), outcome.error
            assert f"step {outcome.number}, line " in outcome.error


def test_steps_that_are_not_wrangle_are_refused(outcomes: list[Outcome]) -> None:
    invalid = [o for o in outcomes if o.kind == "invalid"]
    # one hand-written step uses the classes {a}, {MM}, {SS}, which the language does not have
    assert len(invalid) <= 1, summary(outcomes)
    for outcome in invalid:
        assert f"step {outcome.number}, line " in outcome.error, outcome.error


if __name__ == "__main__":  # pragma: no cover - the census for the README
    from spark_jobs.session import LocalSessionSettings, build_local_session

    session = build_local_session(
        LocalSessionSettings(
            app_name="real recipes",
            master="local[2]",
            conf_file=REPO / "conf" / "spark-defaults.conf",
            extra_conf={"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2"},
        )
    )
    try:
        print(summary(run_corpus(session)))
    finally:
        session.stop()
    sys.exit(0)
