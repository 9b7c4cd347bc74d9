"""Sources an imported flow needs: Excel workbooks and relational (sql) datasets."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from importer_helpers import wild
from openpyxl import Workbook
from pyspark.sql import SparkSession

from spark_jobs.errors import InputDataError, SpecError
from spark_jobs.io.excel import cell_text, csv_line
from spark_jobs.io.sources import read_dataset
from spark_jobs.spec import ImportedDataset, load_job_spec

DATA = "packages/victorcouste+trifacta-flows-examples/Data"


def test_cells_are_written_as_the_platform_shows_them() -> None:
    assert cell_text(datetime(2020, 1, 1)) == "1/1/2020"
    assert cell_text(datetime(2020, 12, 31, 8, 5, 9)) == "12/31/2020 8:05:09"
    assert cell_text(date(2021, 3, 4)) == "3/4/2021"
    assert cell_text(time(23, 58, 59)) == "23:58:59"
    assert cell_text(968) == "968"
    assert cell_text(968.0) == "968"
    assert cell_text(0.25) == "0.25"
    assert cell_text(True) == "TRUE"
    assert cell_text(None) == ""
    assert csv_line(["a", "b,c", 'say "hi"', ""]) == 'a,"b,c","say ""hi""",'


def test_an_excel_crosstab_read_as_lines_renders_its_date_header(spark: SparkSession) -> None:
    path = wild() / DATA / "Excel_Crosstab.xlsx"
    dataset = ImportedDataset(
        id=1,
        name="crosstab",
        uri=f"file://{path}",
        format="excel",
        options={"sheet": "Feuil1", "lines": True},
    )
    rows = [r.column1 for r in read_dataset(spark, dataset).collect()]
    assert (
        rows[0]
        == ",,ACTUAL,ACTUAL,ACTUAL,ACTUAL,ACTUAL,ACTUAL,BUDGET,BUDGET,BUDGET,BUDGET,BUDGET,BUDGET"
    )
    assert (
        rows[2]
        == ",,1/1/2020,2/1/2020,3/1/2020,1/1/2020,2/1/2020,3/1/2020,1/1/2020,2/1/2020,3/1/2020,1/1/2020,2/1/2020,3/1/2020"
    )
    assert rows[3] == "Offer1,KPI 1,968,225,253,993,711,470,586,132,258,432,972,868"
    assert len(rows) == 30


def test_an_excel_sheet_with_a_header_is_a_table(spark: SparkSession, tmp_path: Path) -> None:
    book = Workbook()
    book.active.title = "Other"
    sheet = book.create_sheet("Example")
    sheet.append(["name", "when", "total"])
    sheet.append(["a, b", datetime(2020, 1, 1), 3])
    sheet.append(["c", None, None])
    sheet["C3"] = "=C2*2"  # a formula: no cached value in a workbook openpyxl wrote
    sheet.append([])
    path = tmp_path / "book.xlsx"
    book.save(path)
    dataset = ImportedDataset(
        id=1,
        name="book",
        uri=str(path),
        format="excel",
        options={"sheet": "Example", "header": True},
    )
    df = read_dataset(spark, dataset, metadata=["$sourcerownumber"])
    assert df.columns[:3] == ["name", "when", "total"]
    rows = sorted((r["name"], r["when"], r["total"]) for r in df.collect())
    assert rows == [("a, b", "1/1/2020", "3"), ("c", "", "")]


def test_the_cached_value_of_a_formula_is_read(spark: SparkSession) -> None:
    # Sites_Names_Data.xlsx was saved by Excel: every cell holds the value Excel showed
    path = wild() / DATA / "Sites_Names_Data.xlsx"
    dataset = ImportedDataset(
        id=1,
        name="sites",
        uri=f"file://{path}",
        format="excel",
        options={"sheet": "Example", "header": True},
    )
    df = read_dataset(spark, dataset)
    assert df.columns == ["name", "site", "type"]
    assert df.count() == 73


def test_a_missing_sheet_is_named(spark: SparkSession) -> None:
    path = wild() / DATA / "Sites_Names_Data.xlsx"
    dataset = ImportedDataset(
        id=1, name="sites", uri=f"file://{path}", format="excel", options={"sheet": "Nope"}
    )
    with pytest.raises(
        InputDataError, match="the workbook has no sheet 'Nope' \\(sheets: Example\\)"
    ):
        read_dataset(spark, dataset)


def test_a_query_runs_over_the_session_catalog(spark: SparkSession) -> None:
    dataset = ImportedDataset(
        id=1, name="dummy", uri="catalog:", format="sql", options={"query": "select 1 as dummy"}
    )
    df = read_dataset(spark, dataset, metadata=["$sourcerownumber"])
    assert [tuple(r) for r in df.collect()] == [(1, 1)]


def test_a_table_of_the_catalog_is_read(spark: SparkSession) -> None:
    spark.createDataFrame([("x", 1)], "k string, v int").createOrReplaceTempView("import_sources_t")
    dataset = ImportedDataset(
        id=1, name="t", uri="catalog:", format="sql", options={"table": "import_sources_t"}
    )
    assert [tuple(r) for r in read_dataset(spark, dataset).collect()] == [("x", 1)]


def test_a_bad_query_is_an_input_error(spark: SparkSession) -> None:
    dataset = ImportedDataset(
        id=1, name="bad", uri="catalog:", format="sql", options={"table": "no_such_table_anywhere"}
    )
    with pytest.raises(
        InputDataError,
        match="imported dataset 'bad' \\('no_such_table_anywhere' on catalog:\\) cannot be read",
    ):
        read_dataset(spark, dataset)


def test_a_jdbc_password_comes_from_the_environment(
    spark: SparkSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMPORT_TEST_PASSWORD", raising=False)
    dataset = ImportedDataset(
        id=1,
        name="remote",
        uri="jdbc:postgresql://127.0.0.1:1/db",
        format="sql",
        options={"table": "t", "user": "u", "passwordEnv": "IMPORT_TEST_PASSWORD"},
    )
    with pytest.raises(InputDataError, match="IMPORT_TEST_PASSWORD \\(its password\\) is not set"):
        read_dataset(spark, dataset)


def _spec(dataset: dict) -> dict:
    return {
        "jobGroup": {"wrangledDataset": {"id": 2}},
        "flow": {
            "importedDatasets": [dataset],
            "wrangledDatasets": [
                {
                    "id": 2,
                    "name": "w",
                    "input": {"importedDataset": {"id": 1}},
                    "writeSettings": [{"path": "/tmp/x.csv", "action": "create", "format": "csv"}],
                }
            ],
        },
    }


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        (
            {"id": 1, "name": "q", "uri": "catalog:", "format": "sql", "options": {}},
            "exactly one of options.query or options.table",
        ),
        (
            {
                "id": 1,
                "name": "q",
                "uri": "hdfs:///x",
                "format": "sql",
                "options": {"query": "select 1"},
            },
            "'catalog:' or a jdbc: URL",
        ),
        (
            {
                "id": 1,
                "name": "q",
                "uri": "/x.xlsx",
                "format": "excel",
                "options": {"delimiter": ";"},
            },
            "option 'delimiter' does not apply to excel datasets",
        ),
        (
            {"id": 1, "name": "q", "uri": "/x.csv", "format": "csv", "options": {"sheet": "a"}},
            "option 'sheet' does not apply to csv datasets",
        ),
        (
            {
                "id": 1,
                "name": "q",
                "uri": "catalog:",
                "format": "sql",
                "options": {"query": "select 1", "passwordEnv": "not a name"},
            },
            "passwordEnv",
        ),
    ],
)
def test_sql_and_excel_datasets_are_validated(dataset: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load_job_spec(_spec(dataset))
