"""Flow parameters: ``$name`` in a recipe stands for the flow parameter's value."""

from __future__ import annotations

import pytest

from spark_jobs.errors import SpecError
from spark_jobs.recipe import parse_recipe, with_parameters
from spark_jobs.recipe.ast import print_step
from spark_jobs.runner.plan import plan_job
from spark_jobs.spec import load_job_spec


def _spec(overrides: list[dict[str, str]] | None = None) -> dict:
    spec: dict = {
        "jobGroup": {"wrangledDataset": {"id": 2}},
        "flow": {
            "importedDatasets": [
                {
                    "id": 1,
                    "name": "dummy",
                    "uri": "catalog:",
                    "format": "sql",
                    "options": {"query": "select 1 as dummy"},
                }
            ],
            "wrangledDatasets": [
                {
                    "id": 2,
                    "name": "calendar",
                    "input": {"importedDataset": {"id": 1}},
                    "recipe": [
                        "derive type: single value: RANGE(0, $nb_increments, 1) as: 'increments'",
                        "derive type: single value: $label as: 'label'",
                    ],
                    "writeSettings": [
                        {"path": "/tmp/never-written.csv", "action": "create", "format": "csv"}
                    ],
                }
            ],
            "parameters": [
                {"name": "nb_increments", "variable": {"value": "10"}},
                {"name": "label", "variable": {"value": "days"}},
            ],
        },
    }
    if overrides is not None:
        spec["jobGroup"]["runParameters"] = {"overrides": {"data": overrides}}
    return spec


def test_a_parameter_becomes_a_number_or_a_text() -> None:
    recipe = with_parameters(
        parse_recipe(["derive type: single value: IF($a > 1, $b, $col) as: 'x'"]),
        {"a": "2.5", "b": "it's"},
    )
    assert (
        print_step(recipe.steps[0])
        == "derive type: single value: IF(2.5 > 1, 'it\\'s', $col) as: 'x'"
    )


def test_the_planner_uses_the_default_or_the_runs_override() -> None:
    plan = plan_job(load_job_spec(_spec()))
    assert [print_step(s) for s in plan.order[0].recipe.steps] == [
        "derive type: single value: RANGE(0, 10, 1) as: 'increments'",
        "derive type: single value: 'days' as: 'label'",
    ]
    plan = plan_job(load_job_spec(_spec([{"key": "nb_increments", "value": "3"}])))
    assert (
        print_step(plan.order[0].recipe.steps[0])
        == "derive type: single value: RANGE(0, 3, 1) as: 'increments'"
    )


def test_an_override_must_name_a_parameter() -> None:
    with pytest.raises(
        SpecError, match="no parameter named 'nb' \\(parameters: label, nb_increments\\)"
    ):
        load_job_spec(_spec([{"key": "nb", "value": "3"}]))
