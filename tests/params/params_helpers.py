"""Shared pieces of the datasets-with-parameters tests: trees of small files, specs, a CLI run."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from spark_jobs import cli

#: the run time every planning test uses (a Wednesday)
RUN_TIME = datetime(2024, 5, 8, 10, 30, tzinfo=timezone.utc)


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Create ``files`` (relative path -> text) under ``root``; returns ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def pos_file(label: str, rows: int = 2) -> str:
    """A small CSV whose rows say which file they come from: ``label,1`` ... ``label,rows``."""
    return "src,n\n" + "".join(f"{label},{i}\n" for i in range(1, rows + 1))


def days_before(today: date, *offsets: int) -> list[date]:
    return [today - timedelta(days=n) for n in offsets]


def imported(uri: str, parameters: Sequence[Mapping[str, Any]], **extra: Any) -> dict[str, Any]:
    dataset: dict[str, Any] = {
        "id": 1,
        "name": "pos",
        "uri": uri,
        "format": "csv",
        "options": {"header": True},
        "parameters": list(parameters),
    }
    dataset.update(extra)
    return dataset


def job_spec(
    dataset: Mapping[str, Any],
    outputs: Sequence[Mapping[str, Any]],
    *,
    run_parameters: Any = None,
    job_group: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A one-dataset flow (imported dataset 1 -> wrangled dataset 7, empty recipe)."""
    group: dict[str, Any] = dict(job_group) if job_group else {"wrangledDataset": {"id": 7}}
    group["wrangledDataset"] = {"id": 7}
    group.setdefault("overrides", {})
    group["overrides"].pop("writesettings", None)
    group["overrides"]["writeSettings"] = list(outputs)
    if run_parameters is not None:
        group["runParameters"] = run_parameters
    return {
        "jobGroup": group,
        "flow": {
            "importedDatasets": [dict(dataset)],
            "wrangledDatasets": [
                {
                    "id": 7,
                    "name": "pos_clean",
                    "input": {"importedDataset": {"id": 1}},
                    "recipe": [],
                }
            ],
        },
    }


def run_cli(
    spec: Mapping[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any], str]:
    """``spark-jobs run SPEC --job-store DIR`` in process (joining the test session); returns the
    exit code, the result JSON and stderr."""
    spec_file = tmp_path / "job.json"
    spec_file.write_text(json.dumps(spec))
    conf = tmp_path / "spark-defaults.conf"
    conf.write_text("spark.sql.shuffle.partitions 2\nspark.ui.enabled false\n")
    result_file = tmp_path / "result.json"
    capsys.readouterr()
    code = cli.main(
        [
            "run",
            str(spec_file),
            "--job-store",
            str(tmp_path / "store"),
            "--result",
            str(result_file),
            "--spark-conf",
            str(conf),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    return code, json.loads(result_file.read_text()), err


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))
