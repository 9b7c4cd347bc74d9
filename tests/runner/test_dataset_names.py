"""A join / lookup / union names another dataset of the flow by its name, as the platform writes
it (spaces, dots, dashes, commas): the plan resolves the name to that dataset (the longest of the
flow's names that fits), draws the edge, and the job runs the real join on small files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from spark_jobs import cli
from spark_jobs.runner.plan import DatasetKey, plan_job
from spark_jobs.spec import load_job_spec
from tests.runner.test_run_job import run, write_spec

FILES = {
    "orders.csv": "OrderID,OrderMonth,US_PostalCode,Company\n1,1,94105,Acme\n2,4,,Beta\n3,7,10001,\n",
    "details.csv": "OrderID,UnitPrice\n1,2.5\n1,3.5\n3,\n",
    "zips.csv": "zip,state\n94105,CA\n10001,NY\n",
    "fiscal.csv": "column1,column2\nQ1,1\nQ2,4\nQ3,7\n",
    "fiscal_decoy.csv": "column1,column2\nWRONG,1\n",
    "clean.csv": "Company,Note\nGamma,new\n",
}

#: the flow's datasets, named as the platform names them; "FiscalQtr.csv" is a prefix of
#: "FiscalQtr.csv - Lookup", "Sales, 2020" holds a comma
NAMES = {
    2: ("Order Details.csv", "details.csv"),
    3: ("Lkup_US_Zips_States.csv", "zips.csv"),
    4: ("FiscalQtr.csv - Lookup", "fiscal.csv"),
    5: ("FiscalQtr.csv", "fiscal_decoy.csv"),
    6: ("Sales, 2020", "clean.csv"),
}

RECIPE = [
    "lookup with: Lkup_US_Zips_States.csv \ncol: current_dataset.US_PostalCode \n"
    "key: Lkup_US_Zips_States.csv.zip",
    "lookup with: FiscalQtr.csv - Lookup col: current_dataset.OrderMonth \n"
    "key: FiscalQtr.csv - Lookup.column2",
    "join with: Order Details.csv \ncol: OrderID = current_dataset.OrderID,\n"
    "     Company = current_dataset.Company, Quarter = current_dataset.column1,\n"
    "     State = current_dataset.state, UnitPrice = Order Details.csv.UnitPrice \n"
    "row: current_dataset.OrderID == Order Details.csv.OrderID \ntype: left",
    "union with: Sales, 2020 mapping: {'as': 'OrderID', 'sources': current_dataset.OrderID},"
    " {'as': 'Company', 'sources': current_dataset.Company, Sales, 2020.Company},"
    " {'as': 'Quarter', 'sources': current_dataset.Quarter},"
    " {'as': 'State', 'sources': current_dataset.State},"
    " {'as': 'UnitPrice', 'sources': current_dataset.UnitPrice}",
]


def _spec(tmp_path: Path, recipe: list[str]) -> dict[str, Any]:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)

    def imported(dataset_id: int, name: str, file: str) -> dict[str, Any]:
        uri = (tmp_path / file).as_uri()
        return {
            "id": dataset_id,
            "name": name,
            "uri": uri,
            "format": "csv",
            "options": {"header": True},
        }

    return {
        "jobGroup": {
            "wrangledDataset": {"id": 10},
            "overrides": {
                "execution": "spark",
                "profiler": False,
                "writeSettings": [
                    {
                        "path": str(tmp_path / "out" / "report.csv"),
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
                imported(1, "orders", "orders.csv"),
                *(imported(i, name, file) for i, (name, file) in NAMES.items()),
            ],
            "wrangledDatasets": [
                {
                    "id": 10,
                    "name": "report",
                    "input": {"importedDataset": {"id": 1}},
                    "recipe": recipe,
                }
            ],
        },
    }


def test_the_plan_resolves_names_with_spaces_dots_and_commas(tmp_path: Path) -> None:
    path = write_spec(tmp_path, _spec(tmp_path, RECIPE))
    plan = plan_job(load_job_spec(str(path)))
    resolved = {ref.name: key for ref, key in plan.target.references.items()}
    assert resolved == {
        "Lkup_US_Zips_States.csv": DatasetKey("imported", 3),
        "FiscalQtr.csv - Lookup": DatasetKey("imported", 4),
        "Order Details.csv": DatasetKey("imported", 2),
        "Sales, 2020": DatasetKey("imported", 6),
    }


def test_the_job_runs_the_real_lookups_join_and_union(spark: SparkSession, tmp_path: Path) -> None:
    code, result, _, stderr = run(
        spark, write_spec(tmp_path, _spec(tmp_path, RECIPE)), tmp_path / "store"
    )
    assert code == 0, stderr
    assert result["status"] == "Complete"
    lines = sorted((tmp_path / "out" / "report.csv").read_text().splitlines())
    assert lines == sorted(
        [
            "OrderID,Company,Quarter,State,UnitPrice",
            "1,Acme,Q1,CA,2.5",
            "1,Acme,Q1,CA,3.5",
            "2,Beta,Q2,,",
            "3,,Q3,NY,",
            ",Gamma,,,",
        ]
    )


def test_an_unknown_dataset_name_is_refused_before_spark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = ["lookup with: Lkup_US_Zip.csv col: US_PostalCode key: Lkup_US_Zip.csv.zip"]
    path = write_spec(tmp_path, _spec(tmp_path, recipe))
    code = cli.main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "no dataset named 'Lkup_US_Zip.csv' in the flow" in err
    assert "Lkup_US_Zips_States.csv" in err  # the known names are listed
    assert "wrangledDatasets[0].recipe[0]" in err


def test_a_step_that_cannot_run_is_refused_by_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = ["derive value: 1 as: 'one'", "udf name: 'DatarobotPredict' col: one as: 'p'"]
    path = write_spec(tmp_path, _spec(tmp_path, recipe))
    code = cli.main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "step 2, line 1, column 1" in err and "cannot run outside the platform" in err
    assert "'DatarobotPredict'" in err and "Traceback" not in err
    spec = json.loads(path.read_text())
    spec["flow"]["wrangledDatasets"][0]["recipe"] = ["Keep rows where Company is 'Acme'"]
    path.write_text(json.dumps(spec))
    assert cli.main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not Wrangle" in err and "keep row: Company == 'Acme'" in err
