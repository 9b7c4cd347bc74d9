"""Expressions nested hundreds deep, as generated recipes nest them: they parse, compile and run
up to parser.MAX_DEPTH levels, and past it fail with a clear error (exit 2), never a
RecursionError or a JVM stack overflow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs import cli
from spark_jobs.errors import RecipeError
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe
from spark_jobs.recipe import ast as A
from spark_jobs.recipe.deep import JVM_STACK_OPTION, step_depth
from spark_jobs.recipe.parser import MAX_DEPTH, parse_step
from spark_jobs.session import STACK_JAVA_OPTIONS


def nested_if(levels: int) -> str:
    """``IF(a > n-1, IF(a > n-2, ... IF(a > 0, 'leaf', 'v0') ...), 'v<n-1>')``: ``levels`` IFs,
    each in the THEN branch of the one outside it."""
    expr = "'leaf'"
    for i in range(levels):
        expr = f"IF(a > {i}, {expr}, 'v{i}')"
    return f"derive type: single value: {expr} as: 'out'"


def else_chain(levels: int) -> str:
    """``IF(a == 0, 'z0', IF(a == 1, 'z1', ...))``: each IF in the ELSE branch."""
    expr = "'none'"
    for i in reversed(range(levels)):
        expr = f"IF(a == {i}, 'z{i}', {expr})"
    return f"derive type: single value: {expr} as: 'out'"


def sum_chain(terms: int) -> str:
    """``a + a + ... + a``: ``terms - 1`` additions nest ``terms`` levels deep."""
    return "derive type: single value: " + " + ".join(["a"] * terms) + " as: 'out'"


def _fail(ref: DatasetReference) -> DataFrame:
    raise KeyError(ref)


def run(df: DataFrame, step: str) -> list[object]:
    out = apply_recipe(df, parse_recipe([step]), resolve=_fail, dataset="deep")
    return [r["out"] for r in out.orderBy("id").collect()]


@pytest.fixture(scope="module")
def numbers(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([(1, 5), (2, 500), (3, None), (4, 0)], "id int, a int")


def test_depth_is_measured_in_levels() -> None:
    assert step_depth(parse_step(sum_chain(3))) == 3
    assert step_depth(parse_step(nested_if(2))) == 4  # IF > IF > comparison > a
    assert A.depth(A.ColumnRef("a")) == 1


def test_200_levels_parse(numbers: DataFrame) -> None:
    step = parse_step(nested_if(200))
    assert step_depth(step) == 202


def test_200_nested_ifs_compile_and_run(numbers: DataFrame) -> None:
    # a = 5 passes the tests IF(a > 0 .. 4) and fails IF(a > 5): v5 ... the outermost failing
    # test is a > 199, so 'v199'; a = 500 passes all of them; a missing test is false
    assert run(numbers, nested_if(200)) == ["v199", "leaf", "v199", "v199"]
    assert run(numbers, else_chain(200)) == ["z5", "none", "none", "z0"]


@pytest.mark.slow
def test_200_levels_of_operators_compile_and_run(numbers: DataFrame) -> None:
    assert run(numbers, sum_chain(200)) == [1000, 100000, None, 0]


@pytest.mark.slow
def test_the_limit_compiles_and_runs(numbers: DataFrame) -> None:
    # MAX_DEPTH levels exactly: the most a step may nest
    deepest = sum_chain(MAX_DEPTH)
    assert step_depth(parse_step(deepest)) == MAX_DEPTH
    assert run(numbers, deepest) == [5 * MAX_DEPTH, 500 * MAX_DEPTH, None, 0]
    ifs = else_chain(MAX_DEPTH - 2)
    assert step_depth(parse_step(ifs)) == MAX_DEPTH
    assert run(numbers, ifs) == ["z5", "z500", "none", "z0"]
    then_ifs = nested_if(MAX_DEPTH - 2)
    assert step_depth(parse_step(then_ifs)) == MAX_DEPTH
    # every row fails the outermost test (a > MAX_DEPTH - 3)
    assert run(numbers, then_ifs) == [f"v{MAX_DEPTH - 3}"] * 4


@pytest.mark.parametrize("step", [sum_chain(MAX_DEPTH + 1), nested_if(MAX_DEPTH - 1)])
def test_past_the_limit_is_a_clear_error(step: str) -> None:
    with pytest.raises(RecipeError) as info:
        parse_recipe(["derive value: 1 as: 'one'", step])
    err = info.value
    assert err.exit_code == 2 and err.location is not None and err.location.step == 2
    assert f"more than {MAX_DEPTH} levels deep" in err.reason
    assert "split it over several steps" in err.reason


def test_the_jvm_stack_option_is_the_sessions() -> None:
    assert JVM_STACK_OPTION == STACK_JAVA_OPTIONS


def _spec(tmp_path: Path, step: str) -> Path:
    data = tmp_path / "numbers.csv"
    data.write_text("id,a\n1,5\n2,500\n3,\n")
    spec = {
        "jobGroup": {
            "wrangledDataset": {"id": 2},
            "overrides": {
                "execution": "spark",
                "profiler": False,
                "writeSettings": [
                    {
                        "path": str(tmp_path / "out.csv"),
                        "action": "create",
                        "format": "csv",
                        "header": True,
                        "asSingleFile": True,
                    }
                ],
            },
        },
        "flow": {
            "importedDatasets": [
                {
                    "id": 1,
                    "name": "numbers",
                    "uri": data.as_uri(),
                    "format": "csv",
                    "options": {"header": True},
                }
            ],
            "wrangledDatasets": [
                {
                    "id": 2,
                    "name": "deep",
                    "input": {"importedDataset": {"id": 1}},
                    "recipe": [step],
                }
            ],
        },
    }
    path = tmp_path / "job.json"
    path.write_text(json.dumps(spec))
    return path


def test_validate_refuses_a_step_past_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["validate", str(_spec(tmp_path, sum_chain(MAX_DEPTH + 1)))])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "step 1" in err and f"more than {MAX_DEPTH} levels deep" in err
    assert "Traceback" not in err and "RecursionError" not in err


def test_a_job_with_200_nested_ifs_runs(spark: SparkSession, tmp_path: Path) -> None:
    from tests.runner.test_run_job import run as run_job

    code, result, _, stderr = run_job(spark, _spec(tmp_path, nested_if(200)), tmp_path / "store")
    assert code == 0, stderr
    assert result["status"] == "Complete"
    lines = (tmp_path / "out.csv").read_text().splitlines()
    assert lines == ["id,a,out", "1,5,v199", "2,500,leaf", "3,,v199"]
