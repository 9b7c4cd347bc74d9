"""The example flows of victorcouste/trifacta-flows-examples, end to end on their own input
files: ``spark-jobs import-flow`` (rules rebind each ``gs://`` upload to ``Data/``) then
``spark-jobs run``, in-process on the shared session. Each result is checked against what the
flow's README says it does, computed here independently from the input files.

Not run: "Profiling & Quality Rules Processing" reads the JSON files the platform's profiler
wrote for another job (``.profiler/profilerRules.json``), which are not in ``Data/``; the
clickstream recipe of "Data Quality Clickstream & Sales" reads Advertising_Clickstream.csv, which
is absent (its Sales recipe runs).
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from importer_helpers import example_package, examples_dir
from openpyxl import load_workbook
from pyspark.sql import SparkSession

from spark_jobs.importer.command import import_command
from spark_jobs.runner.app import run_command

pytestmark = pytest.mark.slow


def data(name: str) -> Path:
    return examples_dir() / "Data" / name


def _rules(tmp_path: Path, files: dict[str, str]) -> Path:
    """A fileLocation rule per upload: ``gs://.../<name>`` -> ``Data/<file>``; gs:// outputs
    to the test's directory."""
    rules: list[dict[str, str]] = [
        {
            "type": "fileLocation",
            "on": f"/^gs:\\/\\/.*\\/{re.escape(name)}\\/?$/",
            "with": f"file://{data(file)}",
        }
        for name, file in files.items()
    ]
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    return path


def run_example(
    spark: SparkSession,
    tmp_path: Path,
    folder: str,
    files: dict[str, str],
    *,
    target: str | None = None,
    package: str | None = None,
    extra_rules: list[dict[str, str]] = (),  # type: ignore[assignment]
) -> list[dict[str, str]]:
    """Import the folder's flow package, run it (its first output, or the recipe ``target``)
    and return the rows of the csv it wrote."""
    rules = _rules(tmp_path, files)
    if extra_rules:
        rules.write_text(json.dumps([*json.loads(rules.read_text()), *extra_rules]))
    spec_path = tmp_path / "spec.json"
    out, err = io.StringIO(), io.StringIO()
    code = import_command(
        str(example_package(folder, package)),
        rules=str(rules),
        out=str(spec_path),
        stdout=out,
        stderr=err,
    )
    assert code == 0, err.getvalue()
    spec = json.loads(spec_path.read_text())
    if target is not None:
        (dataset,) = [d for d in spec["flow"]["wrangledDatasets"] if d["name"] == target]
        spec["jobGroup"] = json.loads(
            (tmp_path / f"spec.jobGroup.{dataset['id']}.json").read_text()
        )
        spec_path.write_text(json.dumps(spec))
    code = run_command(
        str(spec_path),
        session=lambda extras: spark,
        job_store=str(tmp_path / "store"),
        result_file=str(tmp_path / "result.json"),
        out=io.StringIO(),
        err=err,
        progress=False,
    )
    assert code == 0, err.getvalue()
    result = json.loads((tmp_path / "result.json").read_text())
    (output,) = [o for job in result["jobs"] for o in job["outputs"]]
    path = Path(output["path"].removeprefix("file://"))
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def a_date(text: str) -> date:
    """A date as the job wrote it (the engine's date or date-time text)."""
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d-%m-%Y %H:%M:%S"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise AssertionError(f"not a date: {text!r}")


# --- the flows ------------------------------------------------------------------------------


def test_get_last_day_of_month(spark: SparkSession, tmp_path: Path) -> None:
    """README: the date + 1 month, then 1 day off the first day of that month."""
    rows = run_example(
        spark, tmp_path, "Get last day of month from a date", {"Dates.csv": "Dates.csv"}
    )
    inputs = [r["Dates"] for r in read_csv(data("Dates.csv"))]
    assert [r["Dates"] for r in rows] == inputs
    for row in rows:
        day = datetime.strptime(row["Dates"], "%d/%m/%Y").date()
        last = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        assert a_date(row["Last day of the month"]) == last, row
    assert "Date plus 1 month" not in rows[0]


def test_create_new_rows_for_missing_days(spark: SparkSession, tmp_path: Path) -> None:
    """README: new rows for the days missing between a row and the previous one."""
    rows = run_example(
        spark,
        tmp_path,
        "Create new rows for missing days",
        {"Missing_Days.csv": "Missing_Days.csv"},
    )
    days = [
        datetime.strptime(r["My Days"], "%d/%m/%Y").date()
        for r in read_csv(data("Missing_Days.csv"))
    ]
    # each row yields the days from the previous row's day up to the day before its own
    # (RANGE's stop is exclusive, as the package's task names it: `stop`), so the flow writes
    # every day from the first row's up to the day before the last row's
    expected = [days[0] + timedelta(n) for n in range((days[-1] - days[0]).days)]
    got = sorted(a_date(r["All days"]) for r in rows if r["All days"])
    assert got == expected


def test_find_and_remove_rows_with_duplicated_names(spark: SparkSession, tmp_path: Path) -> None:
    """README: rows whose first and last names repeat are counted; only the first of them in
    file order is kept."""
    rows = run_example(
        spark,
        tmp_path,
        "Find and remove rows with duplicated value in some columns",
        {"customer_small.csv": "customer_small.txt"},
    )
    inputs = read_csv(data("customer_small.txt"))
    counts = Counter((r["FIRST_NAME"], r["LAST_NAME"]) for r in inputs)
    first: dict[tuple[str, str], dict[str, str]] = {}
    for r in inputs:
        first.setdefault((r["FIRST_NAME"], r["LAST_NAME"]), r)
    assert sorted(r["IMSI"] for r in rows) == sorted(r["IMSI"] for r in first.values())
    for row in rows:
        assert (
            int(row["First and last name duplicated"])
            == counts[(row["FIRST_NAME"], row["LAST_NAME"])]
        )


def test_replace_missing_by_the_most_frequent_value(spark: SparkSession, tmp_path: Path) -> None:
    """README: a missing occupation becomes the most frequent occupation."""
    rows = run_example(
        spark,
        tmp_path,
        "Replace missing by the most frequent value",
        {"customer_small.csv": "customer_small.txt"},
    )
    inputs = read_csv(data("customer_small.txt"))
    frequent = Counter(r["OCCUPATION"] for r in inputs if r["OCCUPATION"]).most_common(1)[0][0]
    expected = {r["IMSI"]: r["OCCUPATION"] or frequent for r in inputs}
    assert {r["IMSI"]: r["OCCUPATION"] for r in rows} == expected
    assert "Occupation frequency" not in rows[0] and "Most frequent occupation" not in rows[0]


def test_time_series_last_value_of_each_second(spark: SparkSession, tmp_path: Path) -> None:
    """README: per second, the last value found at millisecond level."""
    rows = run_example(
        spark,
        tmp_path,
        "Time Series - Set value at higher level with last value found at lower level",
        {"TimeSeries.csv": "TimeSeries.csv"},
    )
    last: dict[str, str] = {}
    for r in sorted(read_csv(data("TimeSeries.csv")), key=lambda r: int(r["Timestamp"])):
        moment = datetime.fromtimestamp(int(r["Timestamp"]) / 1000, tz=timezone.utc)
        if r["Measure"] and float(r["Measure"]) > 0:
            last[moment.strftime("%Y-%m-%d %H:%M:%S")] = r["Measure"]
        else:
            last.setdefault(moment.strftime("%Y-%m-%d %H:%M:%S"), "")
    got = {r["Truncated Time (second)"]: r["Last value at second level"] for r in rows}
    assert got == last


def test_custom_calendars(spark: SparkSession, tmp_path: Path) -> None:
    """README: from the start date (initial_year, initial_month, initial_day), nb_increments
    rows, one per unit of time (day, week, month, hour, minute), over a `select 1 as dummy`."""
    rows = run_example(spark, tmp_path, "Custom Calendars", {})
    package = json.loads(next((examples_dir() / "Custom Calendars").glob("*.json")).read_text())
    params = {
        p["runParameterEdit"]["overrideKey"]: p["runParameterEdit"]["value"]["variable"]["value"]
        for p in package["data"]["flows"][0]["runparameters"]
    }
    start = datetime(
        int(params["intial_year"]), int(params["initial_month"]), int(params["initial_day"])
    )
    assert len(rows) == int(params["nb_increments"])
    for n, row in enumerate(sorted(rows, key=lambda r: int(r["increments"]))):
        assert int(row["increments"]) == n
        assert row["Days Calendar"] == (start + timedelta(days=n)).strftime("%d-%m-%Y")
        assert row["Weeks Calendar"] == (start + timedelta(weeks=n)).strftime("%d-%m-%Y")
        month = start.month - 1 + n
        assert row["Months Calendar"] == start.replace(
            year=start.year + month // 12, month=month % 12 + 1
        ).strftime("%d-%m-%Y")
    assert "dummy" not in rows[0]


def test_add_a_list_of_properties_as_columns(spark: SparkSession, tmp_path: Path) -> None:
    """README: the properties pivoted into one row, cross-joined to every row of the dataset."""
    rows = run_example(
        spark,
        tmp_path,
        "Add a list of properties-values as columns in a dataset",
        {"customer_small.csv": "customer_small.txt", "Properties.txt": "Properties.txt"},
    )
    properties = {
        r["Property"]: r["Value"] for r in read_csv(data("Properties.txt"), delimiter="\t")
    }
    inputs = read_csv(data("customer_small.txt"))
    assert len(rows) == len(inputs)
    assert sorted(r["IMSI"] for r in rows) == sorted(r["IMSI"] for r in inputs)
    for row in rows:
        assert {k: row[k] for k in properties} == properties


def test_columns_mapping_for_a_target_schema(spark: SparkSession, tmp_path: Path) -> None:
    """README: input columns renamed and ordered as the target schema of Columns_mapping.csv."""
    rows = run_example(
        spark,
        tmp_path,
        "Columns mapping for a target schema",
        {
            "Columns_mapping.csv": "Columns_mapping.csv",
            "input_customers.csv": "input_customers.csv",
        },
    )
    mapping = read_csv(data("Columns_mapping.csv"), delimiter=";")
    inputs = read_csv(data("input_customers.csv"))
    assert list(rows[0]) == [m["Target Schema"] for m in mapping]
    expected = sorted(tuple(r[m["Input Column"]] for m in mapping) for r in inputs)
    assert sorted(tuple(r.values()) for r in rows) == expected


def test_condition_field_based_on_values_found_in_a_list(
    spark: SparkSession, tmp_path: Path
) -> None:
    """README: keep the rows whose name or site holds a word of categories.txt, when another
    condition (type 'Auto repair shop') is met."""
    rows = run_example(
        spark,
        tmp_path,
        "Condition field based on values found in a list",
        {"Sites_Names_Data.xlsx": "Sites_Names_Data.xlsx", "categories.txt": "categories.txt"},
    )
    brands = {
        line.strip().upper()
        for line in data("categories.txt").read_text().splitlines()[1:]
        if line.strip()
    }
    sheet = load_workbook(data("Sites_Names_Data.xlsx"), data_only=True)["Example"]
    expected = []
    for name, site, kind in list(sheet.iter_rows(values_only=True))[1:]:
        words = set(re.findall("[A-Za-z]+", (name or "").upper())) | set(
            re.findall("[A-Za-z]+", (site or "").upper())
        )
        if kind == "Auto repair shop" and words & brands:
            expected.append((name or "").upper())
    assert sorted(r["name"] for r in rows) == sorted(expected)
    assert {r["authorized car dealer"] for r in rows} == {"authorized car dealer"}


def test_transpose_an_excel_crosstab(spark: SparkSession, tmp_path: Path) -> None:
    """README: one value per row, with the categories of the three header rows (phase, period
    type, period) and of the two first columns (offer, KPI)."""
    rows = run_example(
        spark,
        tmp_path,
        "Transpose Excel crosstab with multiple categories in rows and columns",
        {"Excel_Crosstab.xlsx": "Excel_Crosstab.xlsx"},
    )
    sheet = list(
        load_workbook(data("Excel_Crosstab.xlsx"), data_only=True)["Feuil1"].iter_rows(
            values_only=True
        )
    )
    expected = set()
    for line in sheet[3:]:
        for col in range(2, len(line)):
            period = sheet[2][col]
            expected.add(
                (
                    line[0],
                    line[1],
                    sheet[0][col],
                    sheet[1][col],
                    f"{period.month}/{period.day}/{period.year}",
                    str(line[col]),
                )
            )
    got = {
        (r["OFFER"], r["KPI"], r["PHASE"], r["PERIOD TYPE"], r["PERIOD"], r["VALUE"]) for r in rows
    }
    assert got == expected


def test_data_quality_sales(spark: SparkSession, tmp_path: Path) -> None:
    """The Sales recipe of the data quality flow: its rules make sales between 6500 and 8000
    'na', zip codes from 50000 to 60000, listed addresses and listed states missing."""
    rows = run_example(
        spark,
        tmp_path,
        "Profiling  Quality Rules Processing",
        {"Sales_Data_small.csv": "Sales_Data_small.csv"},
        target="Sales",
        package="flow_Data Quality_Clickstream_and_Sales.zip",
        extra_rules=[
            {
                "type": "fileLocation",
                "on": "/^gs:\\/\\/.*\\/jobrun\\/(.*)$/",
                "with": f"file://{tmp_path}/jobrun/$1",
            }
        ],
    )
    inputs = read_csv(data("Sales_Data_small.csv"))
    states = {"IN", "MI", "KS", "MN", "FL", "CO", "HI", "LA", "MO"}
    assert len(rows) == len(inputs)
    by_key = {r["salesorderkey"]: r for r in rows}
    for r in inputs:
        got = by_key[r["salesorderkey"]]
        sale = float(r["totalsale"])
        assert got["totalsale"] == ("na" if 6500 <= sale < 8000 else r["totalsale"])
        zipcode = float(r["customerzipcode"])
        assert got["customerzipcode"] == ("" if 50000 <= zipcode < 60000 else r["customerzipcode"])
        assert got["cusotmerstate"] == ("" if r["cusotmerstate"] in states else r["cusotmerstate"])
