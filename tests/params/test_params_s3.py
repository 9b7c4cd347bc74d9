"""A dataset with parameters on a Hadoop file system (S3A against moto's S3 server on loopback):
listed through Hadoop in the driver, with the session started before planning."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from params_helpers import days_before, imported, job_spec, pos_file, read_csv, run_cli
from pyspark.sql import SparkSession

pytestmark = pytest.mark.integration

ACCESS_KEY = "AKIAFAKEFORTESTS0001"
SECRET_KEY = "fake-secret-for-tests-only"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture()
def bucket(spark: SparkSession, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A new bucket; S3A reaches it through per-bucket settings (nothing global is changed)."""
    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    }.items():
        monkeypatch.setenv(name, value)
    name = f"sj-params-{uuid.uuid4().hex[:10]}"
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    conf = spark.sparkContext._jsc.hadoopConfiguration()  # type: ignore[union-attr]
    prefix = f"fs.s3a.bucket.{name}."
    for key, value in {
        "endpoint": moto_endpoint,
        "endpoint.region": "us-east-1",
        "path.style.access": "true",
        "connection.ssl.enabled": "false",
        "aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "access.key": ACCESS_KEY,
        "secret.key": SECRET_KEY,
    }.items():
        conf.set(prefix + key, value)
    yield name, client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=name, Delete={"Objects": keys})
    client.delete_bucket(Bucket=name)


def s3_dataset(name: str) -> dict[str, Any]:
    return imported(
        f"s3a://{name}/pos/region-{{Region}}/{{day}}/POS-r{{n}}.csv",
        [
            {"name": "Region", "variable": {"value": "01"}},
            {"name": "day", "dateRange": {"formats": ["yyyy/MM/dd"], "last": {"number": 7, "unit": "day"}}},
            {"name": "n", "pattern": {"trifactaPattern": "{digit}{2}"}},
        ],
    )  # fmt: skip


def test_a_dataset_with_parameters_on_s3(
    bucket: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, client = bucket
    today = datetime.now(timezone.utc).date()
    expected = []
    for region in ("01", "02"):
        for day in days_before(today, 2, 9):
            for n in ("01", "xx"):
                key = f"pos/region-{region}/{day:%Y/%m/%d}/POS-r{n}.csv"
                client.put_object(Bucket=name, Key=key, Body=pos_file(key).encode())
                if region == "01" and n == "01" and day == days_before(today, 2)[0]:
                    expected.append(key)
    client.put_object(Bucket=name, Key="pos/region-01/_SUCCESS", Body=b"")
    output = {"path": str(tmp_path / "out.csv"), "action": "create", "format": "csv", "header": True, "asSingleFile": True}  # fmt: skip
    code, result, err = run_cli(job_spec(s3_dataset(name), [output]), tmp_path, capsys)
    assert code == 0, err
    [source] = result["sources"]
    assert [f.rsplit(f"{name}/", 1)[1] for f in source["files"]] == expected
    assert all(f.startswith(f"s3a://{name}/") for f in source["files"])
    assert sorted(r["src"] for r in read_csv(tmp_path / "out.csv")) == expected * 2


def test_no_match_on_s3_is_an_invalid_spec(
    bucket: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, client = bucket
    client.put_object(Bucket=name, Key="pos/region-01/2001/01/01/POS-r01.csv", Body=b"src,n\n")
    output = {"path": str(tmp_path / "out.csv"), "action": "create", "format": "csv"}
    code, result, err = run_cli(job_spec(s3_dataset(name), [output]), tmp_path, capsys)
    assert code == 2, err
    [problem] = result["errors"][0]["problems"]
    assert problem["path"] == "$.flow.importedDatasets[0].uri"
    assert problem["message"].startswith(f"no file matches s3a://{name}/pos/region-01/{{day}}")
    assert problem["message"].endswith(f"searched s3a://{name}/pos/region-01/*/*/*/POS-r*.csv")
