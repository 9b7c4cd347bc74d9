"""More aggregate functions (functions/aggregate.py): MODE, PERCENTILE, QUARTILE, LIST,
UNIQUE, KTHLARGEST, APPROXIMATE..., sample statistics and the ...IF family, in `aggregate`
and in derive with group:, with nulls, empty and mismatched values; bad arguments."""

from __future__ import annotations

import json

import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.errors import RecipeError
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe


def _no_datasets(ref: DatasetReference) -> DataFrame:
    raise KeyError(ref)


def run(df: DataFrame, steps: list[str]) -> DataFrame:
    return apply_recipe(df, parse_recipe(steps), resolve=_no_datasets, dataset="test")


@pytest.fixture(scope="module")
def scores(spark: SparkSession) -> DataFrame:
    # group a: 10, 20, 20, 40, 'x' (mismatched), null, '' ; group b: 5 ; group c: only null
    return spark.createDataFrame(
        [
            ("a", "10", "ann"),
            ("a", "20", "bob"),
            ("a", "20", "bob"),
            ("a", "40", "cy"),
            ("a", "x", ""),
            ("a", None, None),
            ("b", "5", "dee"),
            ("c", None, None),
        ],
        "g string, v string, who string",
    )


def test_aggregate_extra_in_aggregate(scores: DataFrame) -> None:
    out = run(
        scores,
        [
            "aggregate value: MODE(v), PERCENTILE(v, 25, linear), QUARTILE(v, 2), "
            "LIST(who, 3), UNIQUE(who), KTHLARGEST(v, 2), KTHLARGESTUNIQUE(v, 2), "
            "COUNTIF(v > 15), SUMIF(v, v > 15), AVERAGEIF(v, v < 30), MINIF(v, v > 10), "
            "MAXIF(v, v < 40), COUNTAIF(who, v > 15), APPROXIMATEMEDIAN(v), VARSAMP(v) "
            "group: g as: 'mode', 'p25', 'q2', 'list', 'uniq', 'k2', 'k2u', 'cif', 'sif', "
            "'aif', 'minif', 'maxif', 'caif', 'amed', 'vs'",
            "sort order: g",
        ],
    )
    got = {r["g"]: r.asDict() for r in out.collect()}
    a, b, c = got["a"], got["b"], got["c"]
    # 10, 20, 20, 40: 25th percentile by linear interpolation: rank 0.75 -> 10 + 0.75 * 10
    assert a["p25"] == pytest.approx(17.5)
    assert a["q2"] == pytest.approx(20.0)
    assert a["mode"] == "20"
    assert json.loads(a["list"]) == ["ann", "bob", "bob"]
    assert json.loads(a["uniq"]) == ["ann", "bob", "cy"]
    assert a["k2"] == 20.0 and a["k2u"] == 20.0
    assert a["cif"] == 3 and a["sif"] == 80.0
    assert a["aif"] == pytest.approx(50 / 3)
    assert a["minif"] == 20.0 and a["maxif"] == 20.0
    assert a["caif"] == 3
    assert a["amed"] == 20.0
    assert a["vs"] == pytest.approx(475 / 3)
    # one value: no second largest, no sample variance
    assert b["k2"] is None and b["k2u"] is None and b["vs"] is None
    assert b["p25"] == 5.0 and json.loads(b["list"]) == ["dee"]
    # only missing values
    assert c["p25"] is None and c["mode"] is None and json.loads(c["list"]) == []
    assert c["cif"] == 0 and c["sif"] is None


def test_aggregate_extra_in_derive_group(scores: DataFrame) -> None:
    out = run(
        scores,
        [
            "derive value: KTHLARGEST(v, 1) group: g as: 'top'",
            "derive value: PERCENTILE(v, 50) group: g as: 'med'",
            "derive value: UNIQUE(who, 2) group: g as: 'u2'",
            "derive value: COUNTDISTINCTIF(who, v > 0) group: g as: 'cd'",
            "derive value: APPROXIMATEQUARTILE(v, 4) group: g as: 'aq4'",
            "derive value: ANYIF(who, v > 30) group: g as: 'any'",
            "derive value: STDEVIF(v, v > 15) group: g as: 'sd'",
        ],
    )
    got = {(r["g"], r["v"]): r.asDict() for r in out.collect()}
    row = got[("a", "10")]
    assert row["top"] == 40.0 and row["med"] == 20.0 and json.loads(row["u2"]) == ["ann", "bob"]
    assert row["cd"] == 3 and row["aq4"] == 40.0 and row["any"] == "cy"
    assert row["sd"] == pytest.approx(((20 - 80 / 3) ** 2 * 2 + (40 - 80 / 3) ** 2) ** 0.5 / 3**0.5)
    assert got[("c", None)]["top"] is None and got[("c", None)]["cd"] == 0
    assert out.count() == 8


def test_kthlargest_reference_example(spark: SparkSession) -> None:
    """The reference: for 10, 9 and 9, KTHLARGEST gives 9 for k=2 and k=3 (duplicates count)."""
    df = spark.createDataFrame([("x", "10"), ("x", "9"), ("x", "9")], "g string, r string")
    out = run(
        df,
        [
            "settype col: r type: Integer",
            "aggregate value: KTHLARGEST(r, 2), KTHLARGEST(r, 3), KTHLARGESTUNIQUE(r, 2), "
            "KTHLARGESTIF(r, 1, r < 10) group: g as: 'k2', 'k3', 'u2', 'kif'",
        ],
    )
    assert [tuple(r) for r in out.collect()] == [("x", 9.0, 9.0, 9.0, 9.0)]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("aggregate value: PERCENTILE(v) group: g", "PERCENTILE"),
        ("aggregate value: PERCENTILE(v, 120) group: g", "between 0 and 100"),
        ("aggregate value: PERCENTILE(v, 50, cubic) group: g", "interpolation method"),
        ("aggregate value: QUARTILE(v, 5) group: g", "between 0 and 4"),
        ("aggregate value: KTHLARGEST(v, 0) group: g", "between 1 and 1000"),
        ("aggregate value: UNIQUE(who, 1001) group: g", "between 1 and 1000"),
        ("aggregate value: LIST(who, 1.5) group: g", "whole number"),
        ("aggregate value: SUMIF(v) group: g", "SUMIF"),
        ("keep row: MODE(v) > 1", "aggregate function"),
    ],
)
def test_aggregate_extra_bad_arguments(scores: DataFrame, step: str, message: str) -> None:
    with pytest.raises(RecipeError) as err:
        run(scores, ["settype col: who type: String", step])
    text = str(err.value)
    assert message in text and "step 2" in text, text
