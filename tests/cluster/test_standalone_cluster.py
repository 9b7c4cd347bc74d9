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
from spark_jobs.session import apply_s3a_settings, find_jvm_extras, s3a_settings
from tests.fixtures.s3 import FAKE_ENV, MotoS3, unique_name

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


def example_spec(out_dir: Path, s3_prefix: str) -> dict[str, Any]:
    """examples/jobs/orders.json with its source and every output made absolute under out_dir,
    plus a Delta output beside them and a single-file CSV on S3 under ``s3_prefix``.

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
    outputs = spec["jobGroup"]["overrides"]["writeSettings"]
    for output in outputs:
        output["path"] = str(out_dir / output["path"])
    outputs.append(
        {"path": str(out_dir / "out/orders_delta"), "action": "create", "format": "delta"}
    )
    outputs.append(
        {
            "path": f"{s3_prefix}/orders_clean_s3.csv",
            "action": "create",
            "format": "csv",
            "header": True,
            "asSingleFile": True,
        }
    )
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


def local_copy(path: str, s3: MotoS3, into: Path) -> Path:
    """An output as a local path: S3 objects are downloaded (through moto's HTTP API)."""
    if not path.startswith("s3a://"):
        return Path(path)
    bucket, key = path.removeprefix("s3a://").split("/", 1)
    client = s3.client()
    keys = s3.keys(bucket, key)
    assert keys, f"nothing written at {path}"
    for name in keys:
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(client.get_object(Bucket=bucket, Key=name)["Body"].read())
    return into / key


def s3a_conf(s3: MotoS3, bucket: str) -> dict[str, str]:
    """S3A settings for the test bucket on moto (fake keys, for that bucket only)."""
    return s3a_settings(
        s3.endpoint_url,
        region=s3.region,
        bucket=bucket,
        access_key_id=FAKE_ENV["AWS_ACCESS_KEY_ID"],
        secret_access_key=FAKE_ENV["AWS_SECRET_ACCESS_KEY"],
    )


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def s3_test_bucket(s3_server: MotoS3) -> Iterator[str]:
    name = unique_name("sj-cluster-")
    s3_server.create_bucket(name)
    try:
        yield name
    finally:
        s3_server.empty_and_delete_bucket(name)


@pytest.fixture(scope="module")
def cluster_run(
    tmp_path_factory: pytest.TempPathFactory, s3_server: MotoS3, s3_test_bucket: str
) -> Iterator[dict[str, Any]]:
    """Start the cluster, submit the example job and a broken spec, stop the cluster."""
    root = tmp_path_factory.mktemp("cluster")
    jars = find_jvm_extras()
    assert jars, "no JVM extras: run `make jars` first"
    pyfiles = build_pyfiles_zip(root / "dist" / "spark_jobs.zip")
    spec = example_spec(root / "out", f"s3a://{s3_test_bucket}/cluster")
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
        s3_conf = {f"spark.hadoop.{k}": v for k, v in s3a_conf(s3_server, s3_test_bucket).items()}
        # 2 cores in all: 2 shuffle partitions, not the standalone conf's 8
        conf = {**s3_conf, "spark.sql.shuffle.partitions": "2"}
        submit = {"cwd": root, "py_files": [pyfiles], "jars": jars, "conf": conf, "timeout": 600}
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
    cluster_run: dict[str, Any],
    spark: SparkSession,
    tmp_path: Path,
    s3_server: MotoS3,
    s3_test_bucket: str,
) -> None:
    done = cluster_run["done"]
    log = done.stdout + done.stderr  # spark-submit passes the Python driver's stderr on stdout
    assert done.returncode == 0, log[-4000:]
    assert "Traceback" not in log
    cluster_result = cluster_run["result"]
    assert cluster_result["status"] == "Complete"

    apply_s3a_settings(spark, s3a_conf(s3_server, s3_test_bucket))
    local_spec = example_spec(tmp_path / "out", f"s3a://{s3_test_bucket}/local")
    spec_path = tmp_path / "job.json"
    spec_path.write_text(json.dumps(local_spec))
    code = run_command(
        str(spec_path),
        session=lambda extras: spark,
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
        cluster_out = output_fingerprint(local_copy(cluster_path, s3_server, tmp_path / "s3"))
        local_out = output_fingerprint(local_copy(local_path, s3_server, tmp_path / "s3"))
        assert cluster_out == local_out, cluster_path
        assert cluster_out.get("lines") or cluster_out.get("rows"), f"{cluster_path} is empty"
        formats.add(Path(cluster_path).name)
    assert {"orders_clean_avro", "orders_delta", "orders_clean_s3.csv"} <= formats

    def outputs(result: dict[str, Any]) -> list[tuple[str, int]]:
        return [
            (o["format"], o["rowCount"], o.get("deltaVersion"))
            for job in result["jobs"]
            for o in job.get("outputs", [])
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
