"""More of the function library (issue 3): NETWORKDAYSINTL / WORKDAYINTL, the date
aggregates KTHLARGEST(UNIQUE)DATE(IF) and MIN/MAX/MODEDATEIF, KTHLARGEST on dates, and the
families added with them (other, trigonometry, strings, rolling window functions,
statistics). Examples come from the reference pages (input, formula, expected output), plus
nulls, empty strings, mismatched values and unicode; bad arguments give a RecipeError that
names the step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.errors import RecipeError
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe

D = dt.date
T = dt.datetime


def _no_datasets(ref: DatasetReference) -> DataFrame:
    raise KeyError(ref)


def run(df: DataFrame, steps: Sequence[str]) -> DataFrame:
    return apply_recipe(df, parse_recipe(steps), resolve=_no_datasets, dataset="test")


def derived(df: DataFrame, exprs: dict[str, str]) -> dict[str, list[Any]]:
    """Every expression derived as its own column in one recipe, collected column-wise."""
    out = run(df, [f"derive value: {e} as: '{name}'" for name, e in exprs.items()])
    rows = out.select(*exprs).collect()
    return {name: [r[name] for r in rows] for name in exprs}


def fails(df: DataFrame, steps: Sequence[str], reason: str, step: int) -> None:
    with pytest.raises(RecipeError) as info:
        run(df, steps).collect()
    err = info.value
    assert reason in err.reason, err
    assert err.location is not None and err.location.step == step, err


# --- NETWORKDAYSINTL, WORKDAYINTL ---------------------------------------------------------


@pytest.fixture(scope="module")
def spans(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            ("2021-01-04", "2021-01-15"),  # Monday to Friday a week later
            ("2014-09-01", "2014-09-30"),  # the spreadsheet reference example
            ("2021-01-15", "2021-01-04"),  # end before start
            ("2021-01-04", None),
            ("", "2021-01-04"),
            ("not a date", "2021-01-04"),
        ],
        "start string, finish string",
    )


def test_networkdaysintl(spans: DataFrame) -> None:
    got = derived(
        spans,
        {
            "plain": "NETWORKDAYSINTL(start, finish)",
            "sat_sun": "NETWORKDAYSINTL(start, finish, '0000011')",
            "sun": "NETWORKDAYSINTL(start, finish, '0000001')",
            "fri_sat": "NETWORKDAYSINTL(start, finish, 7)",
            "hol": "NETWORKDAYSINTL(start, finish, '0000111', ['2014-09-02', '2014-09-03'])",
            "hol_only": "NETWORKDAYSINTL(start, finish, ['2021-01-06'])",
            "none": "NETWORKDAYSINTL(start, finish, '1111111')",
            "all": "NETWORKDAYSINTL(start, finish, '0000000')",
        },
    )
    assert got["plain"] == [10, 22, None, None, None, None]
    assert got["sat_sun"] == got["plain"]
    # Monday to Saturday: Jan 4-15 has one Sunday
    assert got["sun"][0] == 11
    # Friday and Saturday off: Jan 8, 9 and 15
    assert got["fri_sat"][0] == 9
    # Monday to Thursday in September 2014, less two holidays: 16 (the reference example)
    assert got["hol"][1] == 16
    assert got["hol_only"][0] == 9
    assert got["none"][:2] == [0, 0]
    assert got["all"][:2] == [12, 30]


def test_workdayintl(spans: DataFrame) -> None:
    got = derived(
        spans,
        {
            # the reference's basic usage: five working days later, only Sunday off
            "five": "WORKDAYINTL(start, 5, '0000001')",
            "plain": "WORKDAYINTL(start, 5)",
            "back": "WORKDAYINTL(start, -2, '0000011')",
            "zero": "WORKDAYINTL(start, 0, '0000011')",
            "hol": "WORKDAYINTL(start, 2, '0000011', ['2021-01-05'])",
            "monday_off": "WORKDAYINTL(start, 1, 12)",
            "never": "WORKDAYINTL(start, 1, '1111111')",
        },
    )
    assert got["five"][0] == D(2021, 1, 9)
    assert got["plain"][0] == D(2021, 1, 11)
    assert got["back"][0] == D(2020, 12, 31)
    assert got["zero"][0] == D(2021, 1, 4)
    assert got["hol"][0] == D(2021, 1, 7)
    assert got["monday_off"][0] == D(2021, 1, 5)
    assert got["never"][0] is None
    # a missing or mismatched date gives a missing result
    assert got["five"][4:] == [None, None]


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("NETWORKDAYSINTL(start, finish, '00000')", "seven 0/1 characters"),
        ("NETWORKDAYSINTL(start, finish, 9)", "weekend number"),
        ("WORKDAYINTL(start, 1, start)", "seven 0/1 characters"),
        ("NETWORKDAYSINTL(start, finish, ['2021-01-01'], '0000011')", "come before"),
        ("NETWORKDAYSINTL(start)", "NETWORKDAYSINTL"),
        ("WORKDAYINTL(start, 1, '0000011', [], 1)", "WORKDAYINTL"),
    ],
)
def test_intl_bad_arguments(spans: DataFrame, expr: str, reason: str) -> None:
    fails(spans, ["derive value: 1 as: 'x'", f"derive value: {expr} as: 'y'"], reason, 2)


# --- date aggregates ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def events(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            ("a", "2020-01-03", 1),
            ("a", "2020-01-01", 2),
            ("a", "2020-01-03", 3),
            ("a", "2020-02-10", 4),
            ("a", "bad", 5),
            ("a", None, 6),
            ("b", "2021-06-30", 7),
        ],
        "g string, d string, n int",
    )


def test_kthlargest_dates(events: DataFrame) -> None:
    out = run(
        events,
        [
            "aggregate value: KTHLARGESTDATE(d, 2), KTHLARGESTUNIQUEDATE(d, 2), "
            "KTHLARGESTDATE(d, 3), KTHLARGESTUNIQUEDATE(d, 3), KTHLARGESTDATEIF(d, 1, n < 4), "
            "KTHLARGESTUNIQUEDATEIF(d, 2, n < 4), MINDATEIF(d, n > 1), MAXDATEIF(d, n < 4), "
            "MODEDATEIF(d, n != 2) group: g "
            "as: 'k2', 'ku2', 'k3', 'ku3', 'kif', 'kuif', 'minif', 'maxif', 'modeif'",
            "sort order: g",
        ],
    )
    a, b = (r.asDict() for r in out.collect())
    assert a["k2"] == T(2020, 1, 3)
    assert a["ku2"] == T(2020, 1, 3)
    assert a["k3"] == T(2020, 1, 3)
    assert a["ku3"] == T(2020, 1, 1)
    assert a["kif"] == T(2020, 1, 3)
    assert a["kuif"] == T(2020, 1, 1)
    assert a["minif"] == T(2020, 1, 1)
    assert a["maxif"] == T(2020, 1, 3)
    assert a["modeif"] == T(2020, 1, 3)
    # fewer dates than k: a missing value
    assert b["k2"] is None and b["ku2"] is None
    assert b["minif"] == T(2021, 6, 30)


def test_kthlargest_on_a_datetime_column_gives_a_date(events: DataFrame) -> None:
    typed = run(events, ["settype col: d type: Datetime"])
    out = run(
        typed,
        [
            "aggregate value: KTHLARGEST(d, 1), KTHLARGESTUNIQUE(d, 2), KTHLARGESTIF(d, 1, n < 4)"
            " group: g as: 'k1', 'ku2', 'kif'",
            "sort order: g",
        ],
    )
    a = out.collect()[0]
    assert (a["k1"], a["ku2"], a["kif"]) == (T(2020, 2, 10), T(2020, 1, 3), T(2020, 1, 3))
    # numbers keep working as numbers
    nums = run(events, ["aggregate value: KTHLARGEST(n, 2) group: g as: 'k'", "sort order: g"])
    assert [r.k for r in nums.collect()] == [5.0, None]


def test_date_aggregates_per_row(events: DataFrame) -> None:
    out = run(events, ["derive value: KTHLARGESTDATE(d, 1) group: g as: 'latest'"])
    assert {r.g: r.latest for r in out.collect()} == {
        "a": T(2020, 2, 10),
        "b": T(2021, 6, 30),
    }


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("KTHLARGESTDATE(d, 0)", "between 1 and 1000"),
        ("KTHLARGESTDATE(d, n)", "k must be a whole number"),
        ("KTHLARGESTUNIQUEDATE(d)", "KTHLARGESTUNIQUEDATE"),
    ],
)
def test_date_aggregates_bad_arguments(events: DataFrame, expr: str, reason: str) -> None:
    fails(events, [f"aggregate value: {expr} group: g"], reason, 1)
