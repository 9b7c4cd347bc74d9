"""End to end through the CLI: the example job (examples/jobs/orders.json) runs its recipes, and
a bad recipe is refused with exit code 2 and a message naming the step."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from spark_jobs import cli

REPO = Path(__file__).resolve().parents[2]


def _example(tmp_path: Path) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((REPO / "examples" / "jobs" / "orders.json").read_text())
    spec["flow"]["importedDatasets"][0]["uri"] = str(REPO / "examples" / "data" / "orders.csv")
    spec["jobGroup"]["overrides"]["profiler"] = False
    # the recipe is under test here: one untyped and one typed output (the io tests cover the rest)
    overrides = spec["jobGroup"]["overrides"]
    overrides["writeSettings"] = [
        s for s in overrides["writeSettings"] if s["format"] in ("csv", "pqt")
    ]
    for setting in spec["jobGroup"]["overrides"]["writeSettings"]:
        setting["path"] = str(tmp_path / setting["path"])
    for dataset in spec["flow"]["wrangledDatasets"]:
        for setting in dataset.get("writeSettings", []):
            setting["path"] = str(tmp_path / setting["path"])
    return spec


def _run(
    spec: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    spec_file = tmp_path / "job.json"
    spec_file.write_text(json.dumps(spec))
    conf = tmp_path / "spark-defaults.conf"
    conf.write_text("spark.sql.shuffle.partitions 2\nspark.ui.enabled false\n")
    capsys.readouterr()
    # the CLI's log handler keeps the stderr it first saw: give this run the captured one
    logger = logging.getLogger("spark_jobs")
    saved = logger.handlers[:]
    logger.handlers.clear()
    try:
        code = cli.main(
            [
                "run",
                str(spec_file),
                "--job-store",
                str(tmp_path / "store"),
                "--spark-conf",
                str(conf),
                "--no-progress",
            ]
        )
    finally:
        logger.handlers[:] = saved
    return code, capsys.readouterr().err


def test_example_job_runs_its_recipes(
    spark: SparkSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run(_example(tmp_path), tmp_path, capsys)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "orders_clean.csv").read_text())))
    source = list(csv.DictReader(io.StringIO((REPO / "examples/data/orders.csv").read_text())))
    kept = [r for r in source if r["quantity"].strip()]
    assert len(rows) == len(kept)
    assert list(rows[0]) == [
        "order_id",
        "order_date",
        "region",
        "region_code",
        "customer",
        "product",
        "quantity",
        "unit_price",
        "line_total",
    ]
    totals = [float(r["line_total"]) for r in rows if r["line_total"]]
    assert totals == sorted(totals, reverse=True)
    for row in rows:
        assert row["region_code"] == row["region"].upper()
        assert row["customer"] == row["customer"].strip()
        if row["line_total"]:
            expected = round(float(row["quantity"]) * float(row["unit_price"]), 2)
            assert float(row["line_total"]) == pytest.approx(expected)
    # the typed outputs carry Spark types decided by the recipe's settype steps
    parquet = spark.read.parquet(str(tmp_path / "out" / "orders_clean_pqt"))
    types = dict(parquet.dtypes)
    assert types["quantity"] == "bigint"
    assert types["unit_price"] == "double"
    assert types["line_total"] == "double"


def test_bad_recipe_exits_2_naming_the_step(
    spark: SparkSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _example(tmp_path)
    spec["flow"]["wrangledDatasets"][1]["recipe"][1] = (
        "derive type: single value: ROUND(quantity * unit_prce, 2) as: 'line_total'"
    )
    code, err = _run(spec, tmp_path, capsys)
    assert code == 2, err
    assert "step 2" in err and "unit_prce" in err and "unit_price" in err, err
    assert "Traceback" not in err

    spec = _example(tmp_path)
    spec["flow"]["wrangledDatasets"][0]["recipe"][0] = "settype col: quantity typ: Integer"
    code, err = _run(spec, tmp_path, capsys)
    assert code == 2, err
    assert "step 1" in err and "'typ'" in err and "Traceback" not in err, err
