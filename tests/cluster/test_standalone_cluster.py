"""The example job on a real 2-worker standalone cluster equals the same job in local mode.

`spark-class` starts a master and two workers on 127.0.0.1 from the pyspark install; the job goes
through `spark-submit --master spark://127.0.0.1:PORT spark_jobs/entrypoints/run_job.py` with the
package as `--py-files` (the zip of `make dist`) and the JVM extras as `--jars`. Every output must
equal local mode's: text outputs byte for byte after sorting their lines, binary ones (Parquet,
Avro) record for record and with the same schema. The JVMs are stopped whatever happens; the test
checks that nothing is left listening. `make cluster-test` runs only this file.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from scripts.cluster import RUN_JOB, StandaloneCluster, build_pyfiles_zip
from spark_jobs.errors import RecipeError
from spark_jobs.recipe import parse_recipe
from spark_jobs.runner.app import run_command
from spark_jobs.session import find_jvm_extras

pytestmark = [pytest.mark.cluster, pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "jobs" / "orders.json"


def wrangle_engine_available() -> bool:
    try:
        parse_recipe(["derive type: single value: 1 as: 'one'"])
    except RecipeError as exc:
        if "not available yet" in str(exc):
            return False
    return True


def example_spec(out_dir: Path) -> dict[str, Any]:
    """examples/jobs/orders.json with its source and every output made absolute under out_dir.

    Until the Wrangle engine lands, the recipes are dropped (a recipe-less dataset passes its
    input through); the visual profile is not an output and is left out. Everything else,
    including the four output formats, stays the example's.
    """
    spec: dict[str, Any] = copy.deepcopy(json.loads(EXAMPLE.read_text()))
    spec["jobGroup"]["overrides"]["profiler"] = False
    for dataset in spec["flow"]["importedDatasets"]:
        dataset["uri"] = (REPO / dataset["uri"]).as_uri()
    engine = wrangle_engine_available()
    for dataset in spec["flow"]["wrangledDatasets"]:
        if not engine:
            dataset["recipe"] = []
        for output in dataset.get("writeSettings", []):
            output["path"] = str(out_dir / output["path"])
    for output in spec["jobGroup"]["overrides"]["writeSettings"]:
        output["path"] = str(out_dir / output["path"])
    return spec


def sorted_lines(data: bytes) -> list[bytes]:
    return sorted(data.splitlines())


def canonical_rows(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in rows)


def output_fingerprint(path: Path) -> dict[str, Any]:
    """What must be equal between two runs of an output: a file's sorted lines, a folder's
    records and schema per format, and the names of its marker files."""
    if path.is_file():
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        return {"lines": sorted_lines(data)}
    parts = sorted(p for p in path.iterdir() if p.name.startswith("part-"))
    markers = sorted(p.name for p in path.iterdir() if not p.name.startswith(("part-", ".")))
    rows: list[dict[str, Any]] = []
    schemas: set[str] = set()
    for part in parts:
        if part.name.endswith(".parquet"):
            table = pq.read_table(part)
            schemas.add(str(table.schema.remove_metadata()))
            rows += table.to_pylist()
        elif part.name.endswith(".avro"):
            with part.open("rb") as handle:
                reader = fastavro.reader(handle)
                schemas.add(json.dumps(reader.writer_schema, sort_keys=True))
                rows += list(reader)
        else:
            rows += [{"line": line} for line in sorted_lines(part.read_bytes())]
    return {"rows": canonical_rows(rows), "schemas": sorted(schemas), "markers": markers}


def output_paths(spec: dict[str, Any]) -> list[str]:
    return [o["path"] for o in spec["jobGroup"]["overrides"]["writeSettings"]]


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Start the cluster, submit the example job and a broken spec, stop the cluster."""
    root = tmp_path_factory.mktemp("cluster")
    jars = find_jvm_extras()
    assert jars, "no JVM extras: run `make jars` first"
    pyfiles = build_pyfiles_zip(root / "dist" / "spark_jobs.zip")
    spec = example_spec(root / "out")
    spec_path = root / "job.json"
    spec_path.write_text(json.dumps(spec))
    bad_spec = root / "bad.json"
    broken = copy.deepcopy(spec)
    broken["jobGroup"]["wrangledDataset"]["id"] = 999
    bad_spec.write_text(json.dumps(broken))

    started = time.monotonic()
    cluster = StandaloneCluster(root / "cluster", workers=2, cores=1, memory="1g")
    with cluster:
        print(f"cluster up in {time.monotonic() - started:.1f} s")
        state = cluster.master_state()
        assert state is not None and cluster.alive_workers(state) == 2
        submit = {"cwd": root, "py_files": [pyfiles], "jars": jars}
        done = cluster.submit(
            RUN_JOB,
            [
                "--spec",
                str(spec_path),
                "--job-store",
                str(root / "store"),
                "--result",
                str(root / "result.json"),
            ],
            **submit,  # type: ignore[arg-type]
        )
        bad = cluster.submit(
            RUN_JOB, ["--spec", str(bad_spec), "--job-store", str(root / "store")], **submit
        )  # type: ignore[arg-type]
        print(f"jobs done at {time.monotonic() - started:.1f} s")
        ports = [cluster.port, cluster.webui_port]
    yield {
        "spec": spec,
        "done": done,
        "bad": bad,
        "result": json.loads((root / "result.json").read_text()) if done.returncode == 0 else None,
        "ports": ports,
        "pyfiles": pyfiles,
    }


def test_example_job_on_the_cluster_equals_local_mode(
    cluster_run: dict[str, Any], spark: SparkSession, tmp_path: Path
) -> None:
    done = cluster_run["done"]
    log = done.stdout + done.stderr  # spark-submit passes the Python driver's stderr on stdout
    assert done.returncode == 0, log[-4000:]
    assert "Traceback" not in log
    cluster_result = cluster_run["result"]
    assert cluster_result["status"] == "Complete"

    local_spec = example_spec(tmp_path / "out")
    spec_path = tmp_path / "job.json"
    spec_path.write_text(json.dumps(local_spec))
    code = run_command(
        str(spec_path),
        session=lambda: spark,
        job_store=str(tmp_path / "store"),
        result_file=str(tmp_path / "result.json"),
        out=io.StringIO(),
        err=io.StringIO(),
    )
    assert code == 0
    local_result = json.loads((tmp_path / "result.json").read_text())

    formats = set()
    for cluster_path, local_path in zip(
        output_paths(cluster_run["spec"]), output_paths(local_spec), strict=True
    ):
        cluster_out, local_out = (
            output_fingerprint(Path(cluster_path)),
            output_fingerprint(Path(local_path)),
        )
        assert cluster_out == local_out, cluster_path
        assert cluster_out.get("lines") or cluster_out.get("rows"), f"{cluster_path} is empty"
        formats.add(Path(cluster_path).name)
    assert "orders_clean_avro" in formats

    def outputs(result: dict[str, Any]) -> list[tuple[str, int]]:
        return [
            (o["format"], o["rowCount"]) for job in result["jobs"] for o in job.get("outputs", [])
        ]

    assert outputs(cluster_result) == outputs(local_result)
    # the native writer (spark-avro from --jars) wrote the cluster's Avro, not the fallback
    assert "avro written by Spark's native writer" in log


def test_invalid_spec_exits_2_through_spark_submit(cluster_run: dict[str, Any]) -> None:
    """spark-submit passes the driver's exit code on: 2 and one clear message, no stack trace."""
    bad = cluster_run["bad"]
    log = bad.stdout + bad.stderr
    assert bad.returncode == 2, log[-4000:]
    assert "Traceback" not in log
    assert "error:" in log and "999" in log


def test_cluster_is_gone_after_the_run(cluster_run: dict[str, Any]) -> None:
    for port in cluster_run["ports"]:
        assert not port_open(port), f"port {port} still open after the cluster stopped"
