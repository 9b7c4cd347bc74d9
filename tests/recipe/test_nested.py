"""Nested functions (arrays and objects as JSON text): the reference pages' examples and edge
cases (nulls, empty arrays, text that is no JSON, unicode, mixed element types, Spark array
columns); bad input gives a RecipeError naming the step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.errors import RecipeError
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe


def _no_datasets(ref: DatasetReference) -> DataFrame:
    raise KeyError(ref)


def run(df: DataFrame, steps: Sequence[str]) -> DataFrame:
    return apply_recipe(df, parse_recipe(steps), resolve=_no_datasets, dataset="test")


def derived(df: DataFrame, exprs: dict[str, str]) -> dict[str, list[Any]]:
    out = run(df, [f"derive value: {e} as: '{name}'" for name, e in exprs.items()])
    rows = out.select(*exprs).collect()
    return {name: [r[name] for r in rows] for name in exprs}


@pytest.fixture(scope="module")
def arrays(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            ('["A","B","C"]', '["1","2","3"]', '[10,2,2.50,"b",2]'),
            ('["a","é",{"k":1}]', '["é"]', "[]"),
            ("[]", '["x"]', "[3]"),
            ("not json", "[1]", None),
            (None, None, '["z", null]'),
        ],
        "letters string, numbers string, mixed string",
    )


def test_array_combinations_reference_examples(arrays: DataFrame) -> None:
    got = derived(
        arrays,
        {
            "concat": "ARRAYCONCAT([letters, numbers])",
            "cross": "ARRAYCROSS([letters, numbers])",
            "inter": "ARRAYINTERSECT([letters, ['A', 'é']])",
            "unique": "ARRAYUNIQUE([letters, letters, ['Z']])",
            "zip": "ARRAYZIP([letters, numbers])",
        },
    )
    assert got["concat"] == [
        '["A","B","C","1","2","3"]',
        '["a","é",{"k":1},"é"]',
        '["x"]',
        None,
        None,
    ]
    assert got["cross"][0] == (
        '[["A","1"],["A","2"],["A","3"],["B","1"],["B","2"],["B","3"],'
        '["C","1"],["C","2"],["C","3"]]'
    )
    assert got["cross"][2] == "[]"
    assert got["inter"][:4] == ['["A"]', '["é"]', "[]", None]
    assert got["unique"][:3] == ['["A","B","C","Z"]', '["a","é",{"k":1},"Z"]', '["Z"]']
    assert got["zip"][:3] == [
        '[["A","1"],["B","2"],["C","3"]]',
        '[["a","é"],["é",null],[{"k":1},null]]',
        '[[null,"x"]]',
    ]
    assert got["zip"][3:] == [None, None]


def test_array_access(arrays: DataFrame) -> None:
    got = derived(
        arrays,
        {
            "len": "ARRAYLEN(letters)",
            "at": "ARRAYELEMENTAT(letters, 1)",
            "last": "ARRAYELEMENTAT(letters, -1)",
            "out": "ARRAYELEMENTAT(letters, 7)",
            "idx": "ARRAYINDEXOF(mixed, 2)",
            "ridx": "ARRAYRIGHTINDEXOF(mixed, 2)",
            "sidx": "ARRAYINDEXOF(mixed, 'b')",
            "slice": "ARRAYSLICE(letters, 1, 3)",
            "tail": "ARRAYSLICE(letters, -2)",
            "merged": "ARRAYMERGEELEMENTS(letters, '-')",
        },
    )
    assert got["len"] == [3, 3, 0, None, None]
    assert got["at"] == ["B", "é", None, None, None]
    assert got["last"] == ["C", '{"k":1}', None, None, None]
    assert got["out"] == [None] * 5
    assert got["idx"] == [1, -1, -1, None, -1]
    assert got["ridx"] == [4, -1, -1, None, -1]
    assert got["sidx"] == [3, -1, -1, None, -1]
    assert got["slice"] == ['["B","C"]', '["é",{"k":1}]', "[]", None, None]
    assert got["tail"][:2] == ['["B","C"]', '["é",{"k":1}]']
    assert got["merged"] == ["A-B-C", 'a-é-{"k":1}', "", None, None]


def test_arraysort_numbers_before_text(arrays: DataFrame) -> None:
    got = derived(
        arrays,
        {"up": "ARRAYSORT(mixed)", "down": "ARRAYSORT(mixed, 'descending')"},
    )
    assert got["up"] == ['[2,2,2.5,10,"b"]', "[]", "[3]", None, '["z",null]']
    assert got["down"][0] == '["b",10,2.5,2,2]'


def test_list_statistics(arrays: DataFrame) -> None:
    got = derived(
        arrays,
        {
            "sum": "LISTSUM(mixed)",
            "avg": "LISTAVERAGE(mixed)",
            "min": "LISTMIN(mixed)",
            "max": "LISTMAX(mixed)",
            "var": "LISTVAR(numbers)",
            "sd": "LISTSTDEV(numbers)",
            "mode": "LISTMODE(mixed)",
        },
    )
    # text elements are skipped: [10, 2, 2.5, 2]
    assert got["sum"] == [16.5, 0.0, 3.0, None, 0.0]
    assert got["avg"] == [4.125, None, 3.0, None, None]
    assert got["min"] == [2.0, None, 3.0, None, None]
    assert got["max"] == [10.0, None, 3.0, None, None]
    # numeric text ("1") counts as a number, like the platform's lax typing
    assert [None if v is None else round(v, 6) for v in got["var"]] == [
        0.666667,
        None,
        None,
        0.0,
        None,
    ]
    assert got["sd"][3] == 0.0
    assert got["mode"] == [2.0, None, 3.0, None, None]


def test_objects(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [
            ('{"b":1,"a":{"c":[1]},"d":"x\\"y"}',),
            ("{}",),
            ('{"ключ":"значение"}',),
            ("[1,2]",),
            (None,),
        ],
        "o string",
    )
    got = derived(
        df,
        {
            "keys": "KEYS(o)",
            "only": "FILTEROBJECT(o, ['a', 'd'])",
            "one": "FILTEROBJECT(o, 'b')",
            "map": "ARRAYSTOMAP(['k1', 'k2', 'k1'], ['v1', 'v2', 'v3'])",
        },
    )
    # keys keep the object's own order
    assert got["keys"] == ['["b","a","d"]', "[]", '["ключ"]', None, None]
    assert got["only"] == ['{"a":{"c":[1]},"d":"x\\"y"}', "{}", "{}", None, None]
    assert got["one"][0] == '{"b":1}'
    assert got["map"] == ['{"k1":"v1","k2":"v2"}'] * 5


def test_spark_array_columns_are_read_too(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(["x", "y"], {"k": 1}), ([], {})], "tags array<string>, props map<string,int>"
    )
    got = derived(df, {"n": "ARRAYLEN(tags)", "k": "KEYS(props)", "c": "ARRAYCONCAT([tags, [1]])"})
    assert got == {"n": [2, 0], "k": ['["k"]', "[]"], "c": ['["x","y",1]', "[1]"]}


def test_nested_results_compose(arrays: DataFrame) -> None:
    out = run(
        arrays,
        [
            "derive value: ARRAYLEN(ARRAYCONCAT([letters, numbers])) as: 'n'",
            "keep row: n > 3",
        ],
    )
    expected = arrays.sparkSession.createDataFrame(
        [
            ('["A","B","C"]', '["1","2","3"]', '[10,2,2.50,"b",2]', 6),
            ('["a","é",{"k":1}]', '["é"]', "[]", 4),
        ],
        "letters string, numbers string, mixed string, n long",
    )
    assert_df_equality(out.select(*expected.columns), expected, ignore_nullable=True)


@pytest.mark.parametrize(
    ("steps", "reason", "step"),
    [
        (["derive value: ARRAYCONCAT(letters)"], "list of arrays", 1),
        (["derive value: ARRAYINTERSECT([letters])"], "at least 2 arrays", 1),
        (
            ["derive value: ARRAYLEN(letters)", "derive value: ARRAYSORT(mixed, sideways)"],
            "order",
            2,
        ),
        (["derive value: FILTEROBJECT(letters, numbers)"], "quoted literals", 1),
        (["derive value: ARRAYELEMENTAT(letters)"], "ARRAYELEMENTAT", 1),
        (["derive value: KEYS(nope)"], "unknown column", 1),
    ],
)
def test_bad_input_names_the_step(
    arrays: DataFrame, steps: list[str], reason: str, step: int
) -> None:
    with pytest.raises(RecipeError) as info:
        run(arrays, steps)
    assert reason in str(info.value)
    assert info.value.location is not None and info.value.location.step == step


def test_plan_has_no_python_udf(arrays: DataFrame) -> None:
    from spark_jobs.recipe.registry import FUNCTIONS, load_families

    load_families()
    calls = {
        "ARRAYCONCAT": "ARRAYCONCAT([letters, numbers])",
        "ARRAYCROSS": "ARRAYCROSS([letters, numbers])",
        "ARRAYINTERSECT": "ARRAYINTERSECT([letters, numbers])",
        "ARRAYUNIQUE": "ARRAYUNIQUE([letters, numbers])",
        "ARRAYZIP": "ARRAYZIP([letters, numbers])",
        "ARRAYELEMENTAT": "ARRAYELEMENTAT(letters, 0)",
        "ARRAYINDEXOF": "ARRAYINDEXOF(letters, 'A')",
        "ARRAYRIGHTINDEXOF": "ARRAYRIGHTINDEXOF(letters, 'A')",
        "ARRAYSLICE": "ARRAYSLICE(letters, 0, 1)",
        "ARRAYSTOMAP": "ARRAYSTOMAP(letters, numbers)",
        "FILTEROBJECT": "FILTEROBJECT(letters, 'a')",
    }
    names = sorted(n for n, s in FUNCTIONS.items() if s.family == "nested")
    steps = [f"derive value: {calls.get(n, f'{n}(letters)')} as: 'f_{n}'" for n in names]
    out = run(arrays, steps)
    plan = out._jdf.queryExecution().executedPlan().toString()
    assert "BatchEvalPython" not in plan and "ArrowEvalPython" not in plan
    assert out.count() == 5
