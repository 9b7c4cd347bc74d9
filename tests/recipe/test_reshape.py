"""Reshaping transforms: nest, unnest, flatten, extractkv, extractlist, valuestocols, from the
reference pages' examples and edge cases; bad input gives a RecipeError naming the step."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.errors import RecipeError
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe
from spark_jobs.recipe.types import column_type


def _no_datasets(ref: DatasetReference) -> DataFrame:
    raise KeyError(ref)


def run(df: DataFrame, steps: Sequence[str]) -> DataFrame:
    return apply_recipe(df, parse_recipe(steps), resolve=_no_datasets, dataset="test")


@pytest.fixture(scope="module")
def products(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            ("1", '{"brand":"Acme","model":{"name":"X1","year":2019},"tags":["a","b"]}'),
            ("2", '{"brand":"Bölt"}'),
            ("3", "not json"),
            ("4", None),
        ],
        "id string, myObj string",
    )


def test_unnest_reference_example(products: DataFrame) -> None:
    """``unnest col: myObj keys: ... pluck: true``: values out, plucked keys removed."""
    out = run(products, ["unnest col: myObj keys: 'brand', 'model.name', 'tags[1]' pluck: true"])
    expected = products.sparkSession.createDataFrame(
        [
            ("1", '{"model":{"name":"X1","year":2019},"tags":["a","b"]}', "Acme", "X1", "b"),
            ("2", "{}", "Bölt", None, None),
            ("3", None, None, None, None),
            ("4", None, None, None, None),
        ],
        "id string, myObj string, brand string, model_name string, tags_1 string",
    )
    assert_df_equality(out, expected, ignore_nullable=True)


def test_unnest_mark_lineage_and_array_index(spark: SparkSession) -> None:
    df = spark.createDataFrame([('["x",{"k":"v"}]',), ("[]",)], "arr string")
    out = run(df, ["unnest col: arr keys: '[0]', '[1].k' markLineage: true"])
    assert out.columns == ["arr", "arr_0", "arr_1_k"]
    assert [tuple(r) for r in out.collect()] == [
        ('["x",{"k":"v"}]', "x", "v"),
        ("[]", None, None),
    ]


def test_flatten_one_row_per_element(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("r1", '["a",1,{"k":2}]'), ("r2", "[]"), ("r3", None), ("r4", '["ü"]')],
        "id string, arr string",
    )
    out = run(df, ["flatten col: arr"])
    assert [tuple(r) for r in out.collect()] == [
        ("r1", "a"),
        ("r1", "1"),
        ("r1", '{"k":2}'),
        ("r2", None),
        ("r3", None),
        ("r4", "ü"),
    ]


def test_extractkv_reference_example(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("key1=value1,key2=value2",), ("key3=v3,other=x",), ("",), (None,)], "MyKeyValues string"
    )
    out = run(
        df,
        ["extractkv col: MyKeyValues key: `{alpha}+{digit}` valueafter: '=' delimiter: ','"],
    )
    assert out.columns == ["MyKeyValues", "extractkv_MyKeyValues"]
    assert [r[1] for r in out.collect()] == [
        '{"key1":"value1","key2":"value2"}',
        '{"key3":"v3"}',
        "{}",
        None,
    ]
    assert column_type(out.schema["extractkv_MyKeyValues"]).name == "Object"


def test_extractlist_and_nest(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("a1b22", "x", "1"), ("none", 'q"uote', None)], "s string, name string, n string"
    )
    out = run(
        df,
        [
            "extractlist col: s on: `{digit}+` as: 'nums'",
            "nest col: name, n into: array as: 'arr'",
            "nest col: name, n into: object as: 'obj'",
        ],
    )
    assert [tuple(r) for r in out.select("nums", "arr", "obj").collect()] == [
        ('["1","22"]', '["x","1"]', '{"name":"x","n":"1"}'),
        ("[]", '["q\\"uote",null]', '{"name":"q\\"uote","n":null}'),
    ]
    assert column_type(out.schema["arr"]).name == "Array"
    assert column_type(out.schema["obj"]).name == "Object"
    # nested values round-trip through the nested functions
    back = run(out, ["derive value: ARRAYELEMENTAT(arr, 0) as: 'first'"])
    assert [r.first for r in back.collect()] == ["x", 'q"uote']


def test_valuestocols(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("1", "red", "10"), ("2", "blue", "20"), ("3", "red", "30"), ("4", "", "40")],
        "id string, color string, qty string",
    )
    out = run(df, ["valuestocols col: color value: qty"])
    expected = spark.createDataFrame(
        [
            ("1", "red", None, "10", "10"),
            ("2", "blue", "20", None, "20"),
            ("3", "red", None, "30", "30"),
            ("4", "", None, None, "40"),
        ],
        "id string, color string, color_blue string, color_red string, qty string",
    )
    assert_df_equality(out, expected, ignore_nullable=True)
    ones = run(df, ["valuestocols col: color"])
    assert [r.color_red for r in ones.collect()] == [1, None, 1, None]


@pytest.mark.parametrize(
    ("steps", "reason", "step"),
    [
        (["unnest col: id, myObj keys: 'a'"], "takes one column", 1),
        (["flatten col: nope"], "unknown column", 1),
        (["nest col: id into: list"], "into: is array or object", 1),
        (["flatten col: myObj", "valuestocols col: id limit: 2"], "more than 2 distinct", 2),
        (["extractlist col: id"], "needs parameter", 1),
    ],
)
def test_bad_input_names_the_step(
    products: DataFrame, steps: list[str], reason: str, step: int
) -> None:
    with pytest.raises(RecipeError) as info:
        run(products, steps)
    assert reason in str(info.value)
    assert info.value.location is not None and info.value.location.step == step
