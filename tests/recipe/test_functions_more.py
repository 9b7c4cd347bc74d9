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


# --- other: CASE, RANDBETWEEN, RANGE, IP addresses, URLs ---------------------------------


def test_case(spark: SparkSession) -> None:
    df = spark.createDataFrame([("5",), ("100",), ("50",), (None,), ("x",)], "Qty string")
    typed = run(df, ["settype col: Qty type: Integer"])
    got = derived(
        typed,
        {
            # the reference's basic usage
            "size": "CASE([Qty <= 10, 'low_qty', Qty >= 100, 'high_qty', 'med_qty'])",
            "no_else": "CASE([Qty <= 10, 'low'])",
            "expr": "CASE([Qty > 60, Qty * 2, Qty])",
        },
    )
    assert got["size"] == ["low_qty", "high_qty", "med_qty", "med_qty", "med_qty"]
    assert got["no_else"] == ["low", None, None, None, None]
    assert got["expr"] == [5, 200, 50, None, None]


def test_random_and_range(spark: SparkSession) -> None:
    df = spark.range(50).selectExpr("cast(id as string) AS i")
    got = derived(
        df,
        {
            "die": "RANDBETWEEN(1, 6)",
            "r": "RAND()",
            "seeded": "RAND(42)",
            "odd": "RANGE(1, 10, 2)",
            "up": "RANGE(0, 4)",
            "down": "RANGE(10, 0, -3)",
            "empty": "RANGE(5, 1)",
            "zero": "RANGE(1, 5, 0)",
        },
    )
    assert set(got["die"]) <= {1, 2, 3, 4, 5, 6} and len(set(got["die"])) > 1
    assert all(0 <= r < 1 for r in got["r"])
    assert got["odd"][0] == "[1,3,5,7,9]"
    assert got["up"][0] == "[0,1,2,3]"
    assert got["down"][0] == "[10,7,4,1]"
    assert got["empty"][0] == "[]"
    assert got["zero"][0] is None
    again = derived(df, {"seeded": "RAND(42)"})
    assert again["seeded"] == got["seeded"]


def test_ip_addresses(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [
            ("192.168.1.1",),
            ("0.0.0.0",),
            ("255.255.255.255",),
            ("256.1.1.1",),
            ("1.2.3",),
            ("",),
            (None,),
            ("١٢.1.1.1",),
        ],
        "ip string",
    )
    got = derived(df, {"n": "IPTOINT(ip)", "back": "IPFROMINT(IPTOINT(ip))"})
    assert got["n"] == [3232235777, 0, 4294967295, None, None, None, None, None]
    assert got["back"][:3] == ["192.168.1.1", "0.0.0.0", "255.255.255.255"]
    nums = spark.createDataFrame(
        [("3232235777",), ("-1",), ("4294967296",), ("1.5",), ("abc",)], "n string"
    )
    assert derived(nums, {"ip": "IPFROMINT(n)"})["ip"] == ["192.168.1.1", None, None, None, None]


def test_url_parts(spark: SparkSession) -> None:
    # the reference's "domain functions" example table, plus edge cases
    urls = [
        "www.example.com",
        "example.com/support",
        "http://www.example.com/products/",
        "http://1.2.3.4",
        "https://www.example.com/free-download",
        "www.app.example.com",
        "some.app.example.com",
        "http://www.exampl.e.com",
        "http://www.example.com?query=khakis&app=pants",
        "https://user:pw@Shop.Example.co.uk:8080/a?q1=broken%20record&q1=x#top",
        "",
        None,
        "http://bücher.de/ü",
    ]
    df = spark.createDataFrame([(u,) for u in urls], "url string")
    got = derived(
        df,
        {
            "host": "HOST(url)",
            "domain": "DOMAIN(url)",
            "sub": "SUBDOMAIN(url)",
            "suffix": "SUFFIX(url)",
            "params": "URLPARAMS(url)",
        },
    )
    assert got["host"] == [
        "www.example.com",
        "example.com",
        "www.example.com",
        "1.2.3.4",
        "www.example.com",
        "www.app.example.com",
        "some.app.example.com",
        "www.exampl.e.com",
        "www.example.com",
        "shop.example.co.uk",
        None,
        None,
        "bücher.de",
    ]
    assert got["domain"] == [
        "example",
        "example",
        "example",
        None,
        "example",
        "example",
        "example",
        "e",
        "example",
        "co",
        None,
        None,
        "bücher",
    ]
    assert got["sub"] == [
        "www",
        None,
        "www",
        None,
        "www",
        "www.app",
        "some.app",
        "www.exampl",
        "www",
        "shop.example",
        None,
        None,
        None,
    ]
    assert got["suffix"][:4] == ["com", "com", "com", None]
    assert got["suffix"][9] == "uk"
    assert got["params"][0] is None
    assert got["params"][8] == '{"query":"khakis","app":"pants"}'
    assert got["params"][9] == '{"q1":"broken%20record"}'


# --- trigonometry, comparison, strings ---------------------------------------------------


def test_trigonometry(spark: SparkSession) -> None:
    df = spark.createDataFrame([("0",), ("1",), ("2",), ("",), ("x",)], "a string")
    got = derived(
        df,
        {
            f.lower(): f"{f}(a)"
            for f in (
                "SIN",
                "COS",
                "TAN",
                "ASIN",
                "ACOS",
                "ATAN",
                "SINH",
                "COSH",
                "TANH",
                "ASINH",
                "ACOSH",
                "ATANH",
                "DEGREES",
                "RADIANS",
            )
        },
    )
    import math

    assert got["sin"][:3] == pytest.approx([0.0, math.sin(1), math.sin(2)])
    assert got["cos"][0] == 1.0 and got["tan"][1] == pytest.approx(math.tan(1))
    # outside the domain: missing, not NaN
    assert got["asin"][2] is None and got["acos"][2] is None and got["acosh"][0] is None
    assert got["atan"][1] == pytest.approx(math.pi / 4)
    assert got["degrees"][1] == pytest.approx(180 / math.pi)
    assert got["radians"][2] == pytest.approx(math.pi / 90)
    assert got["sinh"][1] == pytest.approx(math.sinh(1))
    assert got["asinh"][1] == pytest.approx(math.asinh(1))
    assert got["tanh"][2] == pytest.approx(math.tanh(2))
    assert got["cosh"][0] == 1.0 and got["atanh"][0] == 0.0
    for name, values in got.items():
        assert values[3:] == [None, None], name


def test_iseven_isodd(spark: SparkSession) -> None:
    df = spark.createDataFrame([("2",), ("3",), ("-4",), ("2.5",), ("",), ("x",)], "a string")
    got = derived(df, {"even": "ISEVEN(a)", "odd": "ISODD(a)"})
    assert got["even"] == [True, False, True, False, None, None]
    assert got["odd"] == [False, True, False, False, None, None]


def test_more_strings(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("abcabc",), ("Crème Brûlée à Straße",), ("",), (None,), ("ÆØÅ łódź",)], "s string"
    )
    got = derived(
        df,
        {
            "rf": "RIGHTFIND(s, 'bc')",
            "rf_case": "RIGHTFIND(s, 'BC', true)",
            "rf_start": "RIGHTFIND(s, 'bc', false, 1)",
            "rf_none": "RIGHTFIND(s, 'zz')",
            "b64": "BASE64ENCODE(s)",
            "round": "BASE64DECODE(BASE64ENCODE(s))",
            "ascii": "TRANSLITERATE(s)",
            "ge": "STRINGGREATERTHANEQUAL(s, 'abcabc')",
            "le": "STRINGLESSTHANEQUAL(s, 'abcabc')",
        },
    )
    assert got["rf"] == [4, None, None, None, None]
    assert got["rf_case"][0] == 4 and got["rf_start"][0] == 1 and got["rf_none"][0] is None
    assert got["b64"][0] == "YWJjYWJj" and got["b64"][2] == ""
    assert got["round"] == ["abcabc", "Crème Brûlée à Straße", "", None, "ÆØÅ łódź"]
    assert got["ascii"] == ["abcabc", "Creme Brulee a Strasse", "", None, "AEOA lodz"]
    assert got["ge"] == [True, False, False, None, True]
    assert got["le"] == [True, True, True, None, False]
    bad = spark.createDataFrame([("not base64!",), ("YQ==",)], "s string")
    assert derived(bad, {"d": "BASE64DECODE(s)"})["d"] == [None, "a"]


# --- rolling window functions, FILL ------------------------------------------------------


@pytest.fixture(scope="module")
def series(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            ("a", 1, "3", "2020-01-01"),
            ("a", 2, "1", "2020-01-05"),
            ("a", 3, None, None),
            ("a", 4, "4", "2020-01-03"),
            ("a", 5, "1", "2020-01-03"),
            ("b", 1, "7", "2021-01-01"),
        ],
        "g string, i int, v string, d string",
    )


def _window(df: DataFrame, exprs: dict[str, str]) -> dict[str, list[Any]]:
    steps = [f"derive value: {e} group: g order: i as: '{n}'" for n, e in exprs.items()]
    rows = run(df, [*steps, "sort order: g, i"]).collect()
    return {n: [r[n] for r in rows] for n in exprs}


def test_rolling_functions(series: DataFrame) -> None:
    got = _window(
        series,
        {
            "max": "ROLLINGMAX(v)",
            "min2": "ROLLINGMIN(v, 1, 0)",
            "ahead": "ROLLINGMAX(v, 0, 1)",
            "counta": "ROLLINGCOUNTA(v)",
            "var": "ROLLINGVAR(v)",
            "stdev": "ROLLINGSTDEV(v)",
            "varsamp": "ROLLINGVARSAMP(v)",
            "stdevsamp": "ROLLINGSTDEVSAMP(v)",
            "mode": "ROLLINGMODE(v)",
            "k2": "ROLLINGKTHLARGEST(v, 2)",
            "ku2": "ROLLINGKTHLARGESTUNIQUE(v, 2, 3, 0)",
            "list": "ROLLINGLIST(v, 2, 0)",
            "maxdate": "ROLLINGMAXDATE(d)",
            "mindate": "ROLLINGMINDATE(d, 1, 1)",
            "modedate": "ROLLINGMODEDATE(d)",
            "fill": "FILL(v)",
        },
    )
    assert got["max"] == [3, 3, 3, 4, 4, 7]
    assert got["min2"] == [3, 1, 1, 4, 1, 7]
    assert got["ahead"] == [3, 1, 4, 4, 1, 7]
    assert got["counta"] == [1, 2, 2, 3, 4, 1]
    assert got["var"][1] == pytest.approx(1.0) and got["stdev"][1] == pytest.approx(1.0)
    assert got["varsamp"][1] == pytest.approx(2.0) and got["varsamp"][0] is None
    assert got["stdevsamp"][1] == pytest.approx(2**0.5)
    assert got["mode"] == [3, 1, 1, 1, 1, 7]
    assert got["k2"] == [None, 1, 1, 3, 3, None]
    assert got["ku2"] == [None, 1, 1, 3, 1, None]
    assert got["list"] == ['["3"]', '["3","1"]', '["3","1"]', '["1","4"]', '["4","1"]', '["7"]']
    assert got["maxdate"][3] == T(2020, 1, 5)
    assert got["mindate"][:3] == [T(2020, 1, 1), T(2020, 1, 1), T(2020, 1, 3)]
    assert got["modedate"][4] == T(2020, 1, 3)
    assert got["fill"] == ["3", "1", "1", "4", "1", "7"]


def test_fill_with_a_limit(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [(1, "x"), (2, ""), (3, None), (4, None), (5, "y")], "i int, v string"
    )
    out = run(df, ["derive value: FILL(v, 1) order: i as: 'f'", "sort order: i"])
    assert [r.f for r in out.collect()] == ["x", "x", None, None, "y"]


# --- two-column statistics, parsing ------------------------------------------------------


def test_correl_covar(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("a", "1", "2"), ("a", "2", "4"), ("a", "3", "7"), ("a", "x", "1"), ("b", "1", "1")],
        "g string, x string, y string",
    )
    out = run(
        df,
        [
            "aggregate value: CORREL(x, y), COVAR(x, y), COVARSAMP(x, y) group: g "
            "as: 'r', 'cov', 'covs'",
            "sort order: g",
        ],
    )
    a, b = out.collect()
    assert a["r"] == pytest.approx(0.9933992677987828)
    assert a["cov"] == pytest.approx(5 / 3)
    assert a["covs"] == pytest.approx(2.5)
    assert b["covs"] is None


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        ("derive value: CASE(a) as: 'x'", "CASE: expects a list"),
        ("derive value: CASE(['x', 'y', a == 1, 'z']) as: 'x'", "else result must be the last"),
        ("derive value: RAND('x') as: 'x'", "RAND: the seed"),
        ("derive value: RIGHTFIND(a, 'b', 'yes') as: 'x'", "ignore case is true or false"),
        ("derive value: ROLLINGMAX(a, 'x') order: a as: 'x'", "rows before / after"),
        ("derive value: ROLLINGKTHLARGEST(a, 0) order: a as: 'x'", "k must be"),
        ("derive value: ROLLINGMAX(a) as: 'x'", "needs an order"),
        ("keep row: CORREL(a, a) > 0", "aggregate function"),
        ("derive value: SIN(a, a) as: 'x'", "SIN"),
        ("derive value: IPTOINT() as: 'x'", "IPTOINT"),
        ("derive value: HOSTT(a) as: 'x'", "HOST"),
    ],
)
def test_bad_input_names_the_step(spark: SparkSession, step: str, reason: str) -> None:
    df = spark.createDataFrame([("1",)], "a string")
    with pytest.raises(RecipeError) as info:
        run(df, ["derive value: 1 as: 'one'", step]).collect()
    err = info.value
    assert reason in str(err), err
    assert err.location is not None and err.location.step == 2, err


def test_parsearray_parseobject(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [('[1, "a", {"k": 2.50}]', '{"b": 1, "a": "é"}'), ("x", "[1]"), ("", ""), (None, None)],
        "arr string, obj string",
    )
    got = derived(df, {"a": "PARSEARRAY(arr)", "o": "PARSEOBJECT(obj)"})
    assert got["a"] == ['[1,"a",{"k":2.5}]', None, None, None]
    assert got["o"] == ['{"b":1,"a":"é"}', None, None, None]


def test_sign_and_lcm(spark: SparkSession) -> None:
    # the reference's LCM example: lcm(10, 4) is 20; its table of counts 0, 1, 1.5, 2, -2
    df = spark.createDataFrame(
        [("0",), ("1",), ("1.5",), ("2",), ("-2",), ("",), ("x",), ("10",)], "n string"
    )
    got = derived(df, {"lcm": "LCM(n, 4)", "sign": "SIGN(n)", "ten": "LCM(10, 4)"})
    assert got["lcm"] == [0, 4, None, 4, 4, None, None, 20]
    assert got["sign"] == [0, 1, 1, 1, -1, None, None, 1]
    assert got["ten"][0] == 20
    big = spark.createDataFrame([("1000000007", "998244353")], "a string, b string")
    assert derived(big, {"m": "LCM(a, b)"})["m"] == [1000000007 * 998244353]


def test_session(spark: SparkSession) -> None:
    # the reference's basic usage: session(Timestamp, 1, hour) order: Timestamp
    df = spark.createDataFrame(
        [
            ("a", 1, "2021-03-01 10:00:00"),
            ("a", 2, "2021-03-01 10:30:00"),
            ("a", 3, "2021-03-01 11:45:00"),
            ("a", 4, "2021-03-01 11:50:00"),
            ("a", 5, None),
            ("a", 6, "2021-03-01 12:40:00"),
            ("a", 7, "2021-03-01 14:00:00"),
            ("b", 1, "2021-03-01 10:10:00"),
        ],
        "g string, i int, Timestamp string",
    )
    got = _window(df, {"s": "SESSION(Timestamp, 1, hour)", "m": "SESSION(Timestamp, 30, minute)"})
    assert got["s"] == [1, 1, 2, 2, None, 2, 3, 1]
    assert got["m"] == [1, 1, 2, 2, None, 3, 4, 1]
    fails(df, ["derive value: SESSION(Timestamp, 1, month) order: i"], "date unit", 1)
    fails(df, ["derive value: SESSION(Timestamp, 0, hour) order: i"], "positive number", 1)
