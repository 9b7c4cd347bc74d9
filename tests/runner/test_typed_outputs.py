"""Every typed column kind, written to csv and json with every compression, as the platform
writes them: CSV and JSON keep a value as the recipe shows it (a Datetime read from
``2024-01-01`` stays ``2024-01-01``), JSON types what it can (numbers, booleans, arrays and
objects as JSON values; mismatched ones null). One job group, one run, read back byte for byte."""

from __future__ import annotations

import bz2
import gzip
import io
import json
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from spark_jobs.runner.app import run_command

SOURCE = (
    "id,qty,price,ok,day,stamp,us_day,name,a,b,raw_arr,raw_obj\n"
    '1,42,2.50,true,2024-01-01,2024-01-01 10:11:12,01/02/2024,"Ada, ""the"" Countess",x,y,'
    '"[""p"", 1]","{""k"": ""v"", ""n"": [1.50]}"\n'
    "2,abc,x,maybe,notadate,2024-02-30 00:00:00,13/45/2024,naïve 東京 ✓,,ü,[1,[1]\n"
    "3,,,,,,,,,,,\n"
)
RECIPE = [
    "settype col: qty type: Integer",
    "settype col: price type: Decimal",
    "settype col: ok type: Boolean",
    "settype col: day type: Datetime",
    "settype col: stamp type: Datetime",
    "settype col: us_day type: 'Datetime','mm/dd/yyyy'",
    "settype col: name type: String",
    "settype col: raw_arr type: Array",
    "settype col: raw_obj type: Object",
    # each nest places its column right after b: the object first, so that the array comes first
    "nest col: a, b into: object as: 'obj'",
    "nest col: a, b into: array as: 'arr'",
    "derive value: DATETIME(2024, 1, 2, 3, 4, 5) as: 'made_ts'",
    "derive value: DATE(2024, 1, 2) as: 'made_day'",
]
COLUMNS = [
    "id", "qty", "price", "ok", "day", "stamp", "us_day", "name", "a", "b", "arr", "obj",
    "raw_arr", "raw_obj", "made_ts", "made_day",
]  # fmt: skip

# CSV: every value as the recipe shows it (mismatched ones too), arrays and objects as JSON text
CSV = (
    ",".join(COLUMNS) + "\n"
    '1,42,2.50,true,2024-01-01,2024-01-01 10:11:12,01/02/2024,"Ada, ""the"" Countess",x,y,'
    '"[""x"",""y""]","{""a"":""x"",""b"":""y""}","[""p"", 1]","{""k"": ""v"", ""n"": [1.50]}",'
    "2024-01-02 03:04:05,2024-01-02\n"
    "2,abc,x,maybe,notadate,2024-02-30 00:00:00,13/45/2024,naïve 東京 ✓,,ü,"
    '"[null,""ü""]","{""a"":null,""b"":""ü""}",[1,[1],2024-01-02 03:04:05,2024-01-02\n'
    '3,,,,,,,,,,"[null,null]","{""a"":null,""b"":null}",,,2024-01-02 03:04:05,2024-01-02\n'
)
# JSON: the same text for dates and strings; numbers, booleans, arrays and objects as JSON
# values (normalised: 1.50 is 1.5), null where the text is no such value
JSON_ROWS: list[dict[str, Any]] = [
    {
        "id": 1, "qty": 42, "price": 2.5, "ok": True, "day": "2024-01-01",
        "stamp": "2024-01-01 10:11:12", "us_day": "01/02/2024", "name": 'Ada, "the" Countess',
        "a": "x", "b": "y", "arr": ["x", "y"], "obj": {"a": "x", "b": "y"},
        "raw_arr": ["p", 1], "raw_obj": {"k": "v", "n": [1.5]},
        "made_ts": "2024-01-02 03:04:05", "made_day": "2024-01-02",
    },
    {
        "id": 2, "qty": None, "price": None, "ok": None, "day": "notadate",
        "stamp": "2024-02-30 00:00:00", "us_day": "13/45/2024", "name": "naïve 東京 ✓",
        "a": None, "b": "ü", "arr": [None, "ü"], "obj": {"a": None, "b": "ü"},
        "raw_arr": None, "raw_obj": None,
        "made_ts": "2024-01-02 03:04:05", "made_day": "2024-01-02",
    },
    {
        "id": 3, "qty": None, "price": None, "ok": None, "day": None, "stamp": None,
        "us_day": None, "name": None, "a": None, "b": None, "arr": [None, None],
        "obj": {"a": None, "b": None}, "raw_arr": None, "raw_obj": None,
        "made_ts": "2024-01-02 03:04:05", "made_day": "2024-01-02",
    },
]  # fmt: skip
OPEN = {"none": open, "gzip": gzip.open, "bzip2": bz2.open}
SUFFIX = {"none": "", "gzip": ".gz", "bzip2": ".bz2"}


def _spec(source: Path, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "jobGroup": {
            "wrangledDataset": {"id": 2},
            "overrides": {"execution": "spark", "profiler": False, "writeSettings": outputs},
        },
        "flow": {
            "importedDatasets": [
                {
                    "id": 1,
                    "name": "kinds",
                    "uri": source.as_uri(),
                    "format": "csv",
                    "options": {"header": True},
                }
            ],
            "wrangledDatasets": [
                {
                    "id": 2,
                    "name": "kinds",
                    "input": {"importedDataset": {"id": 1}},
                    "recipe": RECIPE,
                }
            ],
        },
    }


def _text(path: Path, compression: str) -> str:
    with OPEN[compression](path, "rt", encoding="utf-8", newline="") as handle:
        return str(handle.read())


def test_every_typed_kind_in_csv_and_json_with_every_compression(
    spark: SparkSession, tmp_path: Path
) -> None:
    source = tmp_path / "kinds.csv"
    source.write_text(SOURCE, encoding="utf-8")
    outputs = []
    for fmt in ("csv", "json"):
        for compression in ("none", "gzip", "bzip2"):
            outputs.append(
                {
                    "path": str(tmp_path / "out" / f"kinds.{fmt}{SUFFIX[compression]}"),
                    "action": "create",
                    "format": fmt,
                    "compression": compression,
                    "header": fmt == "csv",
                    "asSingleFile": True,
                }
            )
    # a json directory of part files: they are named .json like Spark's own json parts
    outputs.append(
        {
            "path": str(tmp_path / "out" / "kinds_parts.json.gz"),
            "action": "create",
            "format": "json",
            "compression": "gzip",
        }
    )
    spec_file = tmp_path / "job.json"
    spec_file.write_text(json.dumps(_spec(source, outputs)))
    result_file = tmp_path / "result.json"
    err = io.StringIO()
    code = run_command(
        str(spec_file),
        session=lambda: spark,
        job_store=str(tmp_path / "store"),
        result_file=str(result_file),
        out=io.StringIO(),
        err=err,
    )
    assert code == 0, err.getvalue()

    for compression in ("none", "gzip", "bzip2"):
        csv_text = _text(tmp_path / "out" / f"kinds.csv{SUFFIX[compression]}", compression)
        assert csv_text == CSV, compression
        json_text = _text(tmp_path / "out" / f"kinds.json{SUFFIX[compression]}", compression)
        lines = json_text.split("\n")
        assert lines[-1] == "" and len(lines) == len(JSON_ROWS) + 1, json_text
        assert [json.loads(line) for line in lines[:-1]] == JSON_ROWS, compression
        # columns in the recipe's order, in every line
        assert all(list(json.loads(line)) == COLUMNS for line in lines[:-1])

    parts = sorted((tmp_path / "out" / "kinds_parts.json.gz").glob("part-*"))
    assert parts and all(p.name.endswith(".json.gz") for p in parts), parts
    rows = [json.loads(line) for p in parts for line in _text(p, "gzip").split("\n") if line]
    assert sorted(rows, key=lambda r: r["id"]) == JSON_ROWS
    result = json.loads(result_file.read_text())
    writer = next(j for j in result["jobs"] if j["type"] == "filewriter")
    assert [o["rowCount"] for o in writer["outputs"]] == [3] * len(outputs)
