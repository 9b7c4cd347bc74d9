"""A recipe reads each row's source file and position in a dataset with parameters.

Runs the Wrangle engine (``spark_jobs/recipe``) on a dataset with parameters.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from params_helpers import imported, job_spec, pos_file, read_csv, run_cli, write_tree


@pytest.mark.usefixtures("spark")
def test_filepath_and_sourcerownumber_in_a_recipe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "pos"
    write_tree(
        source,
        {
            "pacific/POS-r01.csv": pos_file("p1", 3),
            "pacific/POS-r02.csv": pos_file("p2", 2),
            "pacific/POS-rxx.csv": pos_file("px", 2),
            "eastern/POS-r01.csv": pos_file("e1", 2),
        },
    )
    dataset = imported(
        f"{source.as_uri()}/{{region}}/POS-r{{n}}.csv",
        [
            {"name": "region", "variable": {"value": "pacific"}},
            {"name": "n", "pattern": {"trifactaPattern": "{digit}{2}"}},
        ],
    )
    output = {
        "path": str(tmp_path / "out.csv"),
        "action": "create",
        "format": "csv",
        "header": True,
        "asSingleFile": True,
    }
    spec = job_spec(dataset, [output])
    spec["flow"]["wrangledDatasets"][0]["recipe"] = [
        "derive type: single value: $filepath as: 'src_file'",
        "derive type: single value: $sourcerownumber as: 'row'",
    ]
    code, result, err = run_cli(spec, tmp_path, capsys)
    assert code == 0, err
    rows = read_csv(tmp_path / "out.csv")
    assert len(rows) == 5
    for row in rows:
        file = {"p1": "POS-r01.csv", "p2": "POS-r02.csv"}[row["src"]]
        assert row["src_file"].endswith(f"/pos/pacific/{file}"), row
        assert row["row"] == row["n"], row
    assert len({r["src_file"] for r in rows}) == 2
    assert result["sources"][0]["fileCount"] == 2
