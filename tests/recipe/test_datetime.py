"""Date and time functions: the reference pages' examples (input table, step, expected output)
and edge cases (nulls, empty strings, mismatched values, unicode, time zones); bad input gives
a RecipeError naming the step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.dateformats import FormatError, spark_pattern
from spark_jobs.errors import RecipeError
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe


def _no_datasets(ref: DatasetReference) -> DataFrame:
    raise KeyError(ref)


def run(df: DataFrame, steps: Sequence[str]) -> DataFrame:
    return apply_recipe(df, parse_recipe(steps), resolve=_no_datasets, dataset="test")


def derived(df: DataFrame, exprs: dict[str, str]) -> dict[str, list[Any]]:
    """Every expression derived as its own column in one recipe, collected column-wise."""
    out = run(df, [f"derive value: {e} as: '{name}'" for name, e in exprs.items()])
    rows = out.select(*exprs).collect()
    return {name: [r[name] for r in rows] for name in exprs}


T = dt.datetime


@pytest.fixture(scope="module")
def dates(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            ("2016-01-01 13:45:12", "2017-03-15", "1451655912000"),
            ("12/31/2016", "2016-02-29 23:00:00", "0"),
            ("2020-02-29", "2020-02-29", "-86400000"),
            ("not a date", "", "x"),
            (None, None, None),
            ("２０２０-01-01", "2016-01-01", ""),
        ],
        "a string, b string, u string",
    )


def test_spark_pattern_tokens() -> None:
    assert spark_pattern("yyyy-MM-dd") == "yyyy-MM-dd"
    assert spark_pattern("MMM d, yyyy hh:mm a") == "MMM d, yyyy hh:mm a"
    assert spark_pattern("EEEE, D") == "EEEE, D"
    assert spark_pattern("yyy") == "yyyy"
    assert spark_pattern("yyy/MM") == "yyyy/MM"  # the character after a widened run is kept
    assert spark_pattern("yyyy'T'HH:mm:ss.SSSXXX") == "yyyy'T'HH:mm:ss.SSSXXX"
    assert spark_pattern("dd/MM/yy (Q)") == "dd/MM/yy (Q)"
    for bad in ("yyyy-bb", "MMMMM", "'open", "ddd"):
        with pytest.raises(FormatError):
            spark_pattern(bad)


def test_parts_and_names(dates: DataFrame) -> None:
    got = derived(
        dates,
        {
            "y": "YEAR(a)",
            "m": "MONTH(a)",
            "d": "DAY(a)",
            "h": "HOUR(a)",
            "mi": "MINUTE(a)",
            "s": "SECOND(a)",
            "mn": "MONTHNAME(b)",
            "wd": "WEEKDAY(a)",
            "wdn": "WEEKDAYNAME(a)",
            "wk": "WEEKNUM(b)",
        },
    )
    assert got["y"] == [2016, 2016, 2020, None, None, None]
    assert got["m"] == [1, 12, 2, None, None, None]
    assert got["d"] == [1, 31, 29, None, None, None]
    assert got["h"] == [13, 0, 0, None, None, None]
    assert got["mi"] == [45, 0, 0, None, None, None]
    assert got["s"] == [12, 0, 0, None, None, None]
    assert got["mn"] == ["March", "February", "February", None, None, "January"]
    # 2016-01-01 was a Friday, 2016-12-31 a Saturday, 2020-02-29 a Saturday (1 = Monday)
    assert got["wd"] == [5, 6, 6, None, None, None]
    assert got["wdn"] == ["Friday", "Saturday", "Saturday", None, None, None]
    # the reference's weeks: they start on Sunday, week 1 holds January 1 (not ISO-8601)
    assert got["wk"] == [11, 10, 9, None, None, 1]


def test_dateformat_reference_examples(dates: DataFrame) -> None:
    got = derived(
        dates,
        {
            "iso": "DATEFORMAT(a, 'yyyy-MM-dd')",
            "us": "DATEFORMAT(a, 'MM/dd/yyyy')",
            "long": "DATEFORMAT(a, 'MMMM d, yyyy')",
            "clock": "DATEFORMAT(a, 'hh:mm a')",
            "dow": "DATEFORMAT(a, 'EEE')",
            "doy": "DATEFORMAT(a, 'D')",
            "quoted": "DATEFORMAT(a, \"yyyy'W'MM\")",
        },
    )
    assert got["iso"] == ["2016-01-01", "2016-12-31", "2020-02-29", None, None, None]
    assert got["us"][:3] == ["01/01/2016", "12/31/2016", "02/29/2020"]
    assert got["long"][:3] == ["January 1, 2016", "December 31, 2016", "February 29, 2020"]
    assert got["clock"][:3] == ["01:45 PM", "12:00 AM", "12:00 AM"]
    assert got["dow"][:3] == ["Fri", "Sat", "Sat"]
    assert got["doy"][:3] == ["1", "366", "60"]
    assert got["quoted"][0] == "2016W01"


def test_dateformat_of_typed_datetime_column(spark: SparkSession) -> None:
    df = spark.createDataFrame([("03-15-17",), ("12-01-99",), ("13-45-00",)], "d string")
    out = run(
        df,
        [
            "settype col: d type: 'Datetime','mm-dd-yy'",
            "derive value: DATEFORMAT(d, 'yyyy-MM-dd') as: 'iso'",
        ],
    )
    assert [r.iso for r in out.collect()] == ["2017-03-15", "2099-12-01", None]


def test_unixtime_round_trip(dates: DataFrame) -> None:
    got = derived(
        dates,
        {
            "ut": "UNIXTIME(a)",
            "fmt": "UNIXTIMEFORMAT(u, 'yyyy-MM-dd HH:mm:ss')",
            "back": "UNIXTIMEFORMAT(UNIXTIME(a), 'yyyy-MM-dd')",
        },
    )
    assert got["ut"] == [1451655912000, 1483142400000, 1582934400000, None, None, None]
    assert got["fmt"] == [
        "2016-01-01 13:45:12",
        "1970-01-01 00:00:00",
        "1969-12-31 00:00:00",
        None,
        None,
        None,
    ]
    assert got["back"][:3] == ["2016-01-01", "2016-12-31", "2020-02-29"]


def test_datedif_units(dates: DataFrame) -> None:
    got = derived(
        dates,
        {
            "yr": "DATEDIF(a, b, year)",
            "mo": "DATEDIF(a, b, month)",
            "q": "DATEDIF(a, b, 'quarter')",
            "wk": "DATEDIF(a, b, week)",
            "dd": "DATEDIF(a, b, day)",
            "hr": "DATEDIF(a, b, hour)",
            "doy": "DATEDIF(a, b, dayofyear)",
            "ms": "DATEDIF(b, a, millisecond)",
        },
    )
    # 2016-01-01 13:45:12 -> 2017-03-15: 1 year, 14 full months, 4 quarters, 62 weeks, 438 days
    assert got["yr"][0] == 1 and got["mo"][0] == 14 and got["q"][0] == 4
    assert got["wk"][0] == 62 and got["dd"][0] == 438
    assert got["hr"][0] == 438 * 24 + 10
    assert got["doy"][0] == 74 - 1
    # earlier end dates give negative results, floored
    assert got["dd"][1] == -306 and got["mo"][1] == -10
    assert got["ms"][2] == 0
    for name in got:
        assert got[name][3:5] == [None, None], name


def test_dateadd_units(dates: DataFrame) -> None:
    got = derived(
        dates,
        {
            "m": "DATEADD(a, 1, month)",
            "y": "DATEADD(a, -1, 'year')",
            "d": "DATEADD(a, 10, day)",
            "w": "DATEADD(a, 2, week)",
            "h": "DATEADD(a, 36, hour)",
            "mi": "DATEADD(a, 90, minute)",
            "s": "DATEADD(a, -12, second)",
            "ms": "DATEADD(a, 1500, millisecond)",
        },
    )
    assert got["m"][:3] == [T(2016, 2, 1, 13, 45, 12), T(2017, 1, 31), T(2020, 3, 29)]
    # a year back from a leap day keeps the last day of February
    assert got["y"][:3] == [T(2015, 1, 1, 13, 45, 12), T(2015, 12, 31), T(2019, 2, 28)]
    assert got["d"][0] == T(2016, 1, 11, 13, 45, 12)
    assert got["w"][1] == T(2017, 1, 14)
    assert got["h"][0] == T(2016, 1, 3, 1, 45, 12)
    assert got["mi"][0] == T(2016, 1, 1, 15, 15, 12)
    assert got["s"][0] == T(2016, 1, 1, 13, 45, 0)
    assert got["ms"][0] == T(2016, 1, 1, 13, 45, 13, 500000)
    assert got["m"][3:5] == [None, None]


def test_construction(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(2020, 2, 29, 13, 5, 9), (2019, 2, 29, 1, 2, 3), (None, 1, 1, 0, 0, 0)],
        "y int, m int, d int, h int, mi int, s int",
    )
    got = derived(
        df,
        {
            "date": "DATE(y, m, d)",
            "datetime": "DATETIME(y, m, d, h, mi, s)",
            "time": "TIME(h, mi, s)",
        },
    )
    assert got["date"] == [dt.date(2020, 2, 29), None, None]
    assert got["datetime"] == [T(2020, 2, 29, 13, 5, 9), None, None]
    assert got["time"] == ["13:05:09", "01:02:03", "00:00:00"]


def test_construction_through_dateformat_reference_examples(spark: SparkSession) -> None:
    """The TIME, DATE and DATETIME pages' examples: each nested in DATEFORMAT, literals and
    columns; values out of range give a missing value."""
    df = spark.createDataFrame(
        [(13, 5, 9, 2015, 2, 15), (24, 0, 0, 2015, 2, 30), (None, 1, 1, None, 1, 1)],
        "myHour int, myMinute int, mySecond int, myYear int, myMonth int, myDay int",
    )
    got = derived(
        df,
        {
            "time": "dateformat(time(23,58,59),'HH mm ss')",
            "time_cols": "dateformat(time(myHour, myMinute, mySecond), 'hh-mm-ss')",
            "date": "dateformat(date(2015,02,15),'yyyy-MM-dd')",
            "date_cols": "dateformat(date(myYear, myMonth, myDay),'MMM yyyy')",
            "datetime": "dateformat(datetime(2015,02,15, 2, 4, 0),'yyyy-MM-dd:HH:mm:ss')",
            "hour": "HOUR(TIME(myHour, myMinute, mySecond))",
        },
    )
    assert got["time"] == ["23 58 59"] * 3
    assert got["time_cols"] == ["01-05-09", None, None]
    assert got["date"] == ["2015-02-15"] * 3
    assert got["date_cols"] == ["Feb 2015", None, None]
    assert got["datetime"] == ["2015-02-15:02:04:00"] * 3
    assert got["hour"] == [13, None, None]


def test_time_text_reads_as_a_time_of_day(spark: SparkSession) -> None:
    """TIME's own result is text HH:mm:ss; kept in a column, date functions still read it."""
    df = spark.createDataFrame(
        [("23:58:59",), ("7:05",), ("25:00:00",), ("",), (None,)], "t string"
    )
    out = run(
        df,
        [
            "derive value: TIME(1, 2, 3) as: 'made'",
            "derive value: DATEFORMAT(t, 'HH.mm.ss') as: 'f'",
            "derive value: DATEFORMAT(made, 'h:mm a') as: 'g'",
        ],
    )
    rows = out.select("made", "f", "g").collect()
    assert [r.made for r in rows] == ["01:02:03"] * 5
    assert [r.f for r in rows] == ["23.58.59", "07.05.00", None, None, None]
    assert [r.g for r in rows] == ["1:02 AM"] * 5


def test_parsedate(dates: DataFrame) -> None:
    got = derived(
        dates,
        {
            "one": "PARSEDATE(a, ['MM/dd/yyyy'])",
            "two": "PARSEDATE(a, ['MM/dd/yyyy', 'yyyy-MM-dd HH:mm:ss'])",
            "default": "PARSEDATE(a)",
        },
    )
    assert got["one"] == [None, T(2016, 12, 31), None, None, None, None]
    assert got["two"][:2] == [T(2016, 1, 1, 13, 45, 12), T(2016, 12, 31)]
    assert got["default"][:3] == [T(2016, 1, 1, 13, 45, 12), T(2016, 12, 31), T(2020, 2, 29)]


def test_time_zone_conversions(spark: SparkSession) -> None:
    """The reference's time zone example: UTC times shown in other zones and back."""
    df = spark.createDataFrame(
        [("2020-03-15 01:02:03",), ("2020-07-01 12:00:00",), ("bad",)], "datetime string"
    )
    got = derived(
        df,
        {
            "la": "CONVERTFROMUTC(datetime, 'America/Los_Angeles')",
            "utc": "CONVERTTOUTC(datetime, 'Asia/Kolkata')",
            "tz": "CONVERTTIMEZONE(datetime, 'Europe/Paris', 'Asia/Tokyo')",
        },
    )
    assert got["la"] == [T(2020, 3, 14, 18, 2, 3), T(2020, 7, 1, 5), None]
    assert got["utc"] == [T(2020, 3, 14, 19, 32, 3), T(2020, 7, 1, 6, 30), None]
    assert got["tz"] == [T(2020, 3, 15, 9, 2, 3), T(2020, 7, 1, 19), None]


def test_now_and_today(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1,)], "x int")
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    got = derived(
        df,
        {"now": "NOW()", "today": "TODAY()", "tokyo": "DATEDIF(NOW(), NOW('Asia/Tokyo'), hour)"},
    )
    assert got["now"][0] >= before - dt.timedelta(seconds=1)
    assert got["today"][0] in (before.date(), before.date() + dt.timedelta(days=1))
    assert got["tokyo"] == [9]


def test_networkdays_and_workday(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [
            ("2021-01-04", "2021-01-15"),  # Monday to Friday a week later
            ("2021-01-15", "2021-01-04"),
            ("2021-01-09", "2021-01-10"),  # a weekend
            ("2021-01-04", None),
        ],
        "start string, finish string",
    )
    got = derived(
        df,
        {
            "nd": "NETWORKDAYS(start, finish)",
            "nh": "NETWORKDAYS(start, finish, ['2021-01-06', '2021-01-07'])",
            "wd": "WORKDAY(start, 5)",
            "back": "WORKDAY(start, -1)",
            "hol": "WORKDAY(start, 2, ['2021-01-05'])",
        },
    )
    # end before start: null (the reference: "If date2 < date1, then a null value is returned")
    assert got["nd"] == [10, None, 0, None]
    assert got["nh"] == [8, None, 0, None]
    d = dt.date
    assert got["wd"] == [d(2021, 1, 11), d(2021, 1, 22), d(2021, 1, 15), d(2021, 1, 11)]
    assert got["back"] == [d(2021, 1, 1), d(2021, 1, 14), d(2021, 1, 8), d(2021, 1, 1)]
    assert got["hol"][0] == d(2021, 1, 7)


def test_date_aggregates(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [
            ("a", "2020-01-03"),
            ("a", "2020-01-01"),
            ("a", "2020-01-03"),
            ("b", "2021-06-30"),
            ("b", "bad"),
        ],
        "g string, d string",
    )
    out = run(
        df,
        [
            "aggregate value: MINDATE(d), MAXDATE(d), MODEDATE(d) group: g "
            "as: 'first', 'last', 'usual'",
            "sort order: g",
        ],
    )
    expected = df.sparkSession.createDataFrame(
        [
            ("a", T(2020, 1, 1), T(2020, 1, 3), T(2020, 1, 3)),
            ("b", T(2021, 6, 30), T(2021, 6, 30), T(2021, 6, 30)),
        ],
        "g string, first timestamp, last timestamp, usual timestamp",
    )
    assert_df_equality(out, expected, ignore_nullable=True)
    per_row = run(df, ["derive value: MAXDATE(d) group: g as: 'latest'"])
    assert sorted(r.latest for r in per_row.collect() if r.g == "a") == [T(2020, 1, 3)] * 3


@pytest.mark.parametrize(
    ("steps", "reason", "step"),
    [
        (["derive value: DATEFORMAT(a, 'yyyy-bb')"], "DATEFORMAT: bad date format", 1),
        (["derive value: DATEFORMAT(a, b)"], "must be a quoted literal", 1),
        (["derive value: YEAR(a)", "derive value: DATEDIF(a, b, fortnight)"], "date unit", 2),
        (["derive value: DATEADD(a, 1, 'eon')"], "DATEADD: the date unit", 1),
        (["derive value: CONVERTFROMUTC(a, 'Mars/Olympus')"], "unknown time zone", 1),
        (["derive value: DATEADD(a, 1)"], "DATEADD", 1),
        (["keep row: MINDATE(a) == a"], "aggregate function", 1),
    ],
)
def test_bad_input_names_the_step(
    dates: DataFrame, steps: list[str], reason: str, step: int
) -> None:
    with pytest.raises(RecipeError) as info:
        run(dates, steps)
    assert reason in str(info.value)
    assert info.value.location is not None and info.value.location.step == step


def test_plan_has_no_python_udf(dates: DataFrame) -> None:
    from spark_jobs.recipe.registry import FUNCTIONS, load_families

    load_families()
    calls = {
        "DATE": "DATE(2020, 1, 2)",
        "DATETIME": "DATETIME(2020, 1, 2, 3, 4, 5)",
        "TIME": "TIME(1, 2, 3)",
        "DATEFORMAT": "DATEFORMAT(a, 'yyyy')",
        "UNIXTIMEFORMAT": "UNIXTIMEFORMAT(u, 'yyyy')",
        "DATEDIF": "DATEDIF(a, b, day)",
        "DATEADD": "DATEADD(a, 1, day)",
        "NETWORKDAYS": "NETWORKDAYS(a, b)",
        "WORKDAY": "WORKDAY(a, 3)",
        "NETWORKDAYSINTL": "NETWORKDAYSINTL(a, b, '0000011')",
        "WORKDAYINTL": "WORKDAYINTL(a, 3, 7)",
        "CONVERTFROMUTC": "CONVERTFROMUTC(a, 'UTC')",
        "CONVERTTOUTC": "CONVERTTOUTC(a, 'UTC')",
        "CONVERTTIMEZONE": "CONVERTTIMEZONE(a, 'UTC', 'Asia/Tokyo')",
        "NOW": "NOW()",
        "TODAY": "TODAY()",
        "PARSEDATE": "PARSEDATE(a)",
    }
    names = [n for n, s in FUNCTIONS.items() if s.family == "datetime" and s.kind == "scalar"]
    steps = [f"derive value: {calls.get(n, f'{n}(a)')} as: 'f_{n}'" for n in sorted(names)]
    out = run(dates, steps)
    plan = out._jdf.queryExecution().executedPlan().toString()
    assert "BatchEvalPython" not in plan and "ArrowEvalPython" not in plan
    assert out.count() == 6
