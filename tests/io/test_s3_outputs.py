"""Outputs written by Spark through S3A to moto's S3 server, committed without rename
(docs/outputs-s3.md): create / append / overwrite, single file and directory, every format; a
failed job leaves the old objects as they were."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import fastavro
import pyarrow.parquet as pq
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.errors import OutputError
from spark_jobs.io.outputs import OutputCommitter
from spark_jobs.session import apply_s3a_settings, s3a_settings
from spark_jobs.spec import WriteSetting
from tests.fixtures.s3 import FAKE_ENV, MotoS3

pytestmark = pytest.mark.integration

READER = {"csv": "csv", "json": "json", "avro": "avro", "pqt": "parquet"}


@pytest.fixture
def s3a(spark: SparkSession, s3_server: MotoS3, s3_bucket: str) -> Iterator[str]:
    """S3A pointed at moto for this session (the JVM started before the fake credentials were
    in the environment, so they are given to S3A directly); yields ``s3a://<bucket>``."""
    apply_s3a_settings(
        spark,
        s3a_settings(
            s3_server.endpoint_url,
            region=s3_server.region,
            bucket=s3_bucket,
            access_key_id=FAKE_ENV["AWS_ACCESS_KEY_ID"],
            secret_access_key=FAKE_ENV["AWS_SECRET_ACCESS_KEY"],
        ),
    )
    yield f"s3a://{s3_bucket}"


def frame(spark: SparkSession, first: int, count: int) -> DataFrame:
    return (
        spark.range(first, first + count)
        .selectExpr("id", "concat('name ', id) AS name", "id * 1.5 AS amount")
        .repartition(2)
    )


def write(spark: SparkSession, df: DataFrame, setting: WriteSetting, group: int) -> Any:
    committer = OutputCommitter(spark, group)
    committer.stage(df, setting, 0)
    return committer.commit()[0]


def rows_of(fmt: str, data: bytes, header: bool) -> list[int]:
    """The ids in one object, parsed here (not by Spark: independent, and no S3A round trips)."""
    if fmt == "csv":
        lines = data.decode().splitlines()[1 if header else 0 :]
        return [int(line.split(",")[0]) for line in lines if line]
    if fmt == "json":
        return [json.loads(line)["id"] for line in data.decode().splitlines() if line]
    if fmt == "avro":
        records: list[Any] = list(fastavro.reader(io.BytesIO(data)))
        return [int(r["id"]) for r in records]
    return [int(v) for v in pq.read_table(io.BytesIO(data)).column("id").to_pylist()]


def ids(s3: MotoS3, bucket: str, path: str, fmt: str, header: bool) -> list[int]:
    """Every id under ``path`` (a directory's data files, or one file)."""
    key = path.split("/", 3)[3]
    found = {k: v for k, v in objects(s3, bucket).items() if k == key or k.startswith(key + "/")}
    out: list[int] = []
    for name, data in found.items():
        if not name.rsplit("/", 1)[-1].startswith(("_", ".")):
            out += rows_of(fmt, data, header)
    return sorted(out)


def objects(s3: MotoS3, bucket: str) -> dict[str, bytes]:
    client = s3.client()
    return {
        key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in s3.keys(bucket)
    }


@pytest.mark.parametrize("fmt", ["pqt"])
def test_directory_outputs_create_append_overwrite(
    spark: SparkSession, s3a: str, s3_server: MotoS3, s3_bucket: str, fmt: str
) -> None:
    header = fmt == "csv"
    # s3:// is written as s3a://, the way EMR users spell it
    path = f"s3://{s3_bucket}/out/orders"

    def setting(action: str) -> WriteSetting:
        return WriteSetting(path=path, action=action, format=fmt, header=header)  # type: ignore[arg-type]

    first = write(spark, frame(spark, 0, 5), setting("create"), 1)
    assert first.path == f"{s3a}/out/orders"
    assert ids(s3_server, s3_bucket, first.path, fmt, header) == list(range(5))
    success = json.loads(objects(s3_server, s3_bucket)["out/orders/_SUCCESS"])
    assert sorted(f["path"] for f in success["files"]) == sorted(f.path for f in first.files)
    assert sum(f.size for f in first.files) == first.bytes > 0

    # create on a taken path writes beside it; the old output is untouched
    before = objects(s3_server, s3_bucket)
    second = write(spark, frame(spark, 100, 3), setting("create"), 2)
    assert second.path == f"{s3a}/out/orders_2"
    assert ids(s3_server, s3_bucket, second.path, fmt, header) == [100, 101, 102]
    after = objects(s3_server, s3_bucket)
    assert {k: v for k, v in after.items() if k.startswith("out/orders/")} == before

    appended = write(spark, frame(spark, 5, 2), setting("append"), 3)
    assert ids(s3_server, s3_bucket, appended.path, fmt, header) == list(range(7))
    assert appended.files and all("-jg3-" in f.path for f in appended.files)

    replaced = write(spark, frame(spark, 50, 2), setting("overwrite"), 4)
    assert ids(s3_server, s3_bucket, replaced.path, fmt, header) == [50, 51]
    keys = [k for k in objects(s3_server, s3_bucket) if k.startswith("out/orders/")]
    assert sorted(keys) == sorted(
        ["out/orders/_SUCCESS"] + [f.path.split("/", 3)[3] for f in replaced.files]
    )
    # nothing staged is left behind
    assert not [k for k in s3_server.keys(s3_bucket) if ".spark_jobs_staging" in k]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_single_file_outputs_create_append_overwrite(
    spark: SparkSession, s3a: str, s3_server: MotoS3, s3_bucket: str, fmt: str
) -> None:
    header = fmt == "csv"
    path = f"{s3a}/single/orders.{fmt}"
    key = f"single/orders.{fmt}"

    def setting(action: str) -> WriteSetting:
        return WriteSetting(
            path=path,
            action=action,  # type: ignore[arg-type]
            format=fmt,  # type: ignore[arg-type]
            header=header,
            asSingleFile=True,
        )

    created = write(spark, frame(spark, 0, 4), setting("create"), 11)
    assert created.path == path and [f.path for f in created.files] == [path]
    data = objects(s3_server, s3_bucket)[key]
    assert created.files[0].size == len(data)
    lines = data.decode().splitlines()
    assert len(lines) == 4 + header and (not header or lines[0] == "id,name,amount")

    write(spark, frame(spark, 4, 2), setting("append"), 12)
    lines = objects(s3_server, s3_bucket)[key].decode().splitlines()
    assert len(lines) == 6 + header  # one header, at the top
    assert ids(s3_server, s3_bucket, path, fmt, header) == list(range(6))

    write(spark, frame(spark, 9, 1), setting("overwrite"), 13)
    assert ids(s3_server, s3_bucket, path, fmt, header) == [9]
    assert sorted(s3_server.keys(s3_bucket)) == [key]


def test_every_format_as_outputs_of_one_job_group(
    spark: SparkSession, s3a: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    """csv, json, avro and parquet directories and csv/json single files, committed together;
    then all of them overwritten together."""
    formats = ["csv", "json", "avro", "pqt"]
    settings = [
        WriteSetting(path=f"{s3a}/all/{fmt}", action="create", format=fmt, header=True)  # type: ignore[arg-type]
        for fmt in formats
    ] + [
        WriteSetting(
            path=f"{s3a}/all/one.{fmt}", action="create", format=fmt, header=True, asSingleFile=True
        )
        for fmt in ("csv", "json")
    ]
    for group, first, action in ((31, 0, "create"), (32, 10, "overwrite")):
        committer = OutputCommitter(spark, group)
        df = frame(spark, first, 3)
        for index, setting in enumerate(settings):
            committer.stage(df, setting.model_copy(update={"action": action}), index)
        committed = committer.commit()
        for setting, output in zip(settings, committed, strict=True):
            assert output.path == setting.path
            found = ids(s3_server, s3_bucket, output.path, setting.format, True)
            assert found == [first, first + 1, first + 2], setting
    assert not [k for k in s3_server.keys(s3_bucket) if ".spark_jobs_staging" in k]


def test_a_failed_job_leaves_the_old_s3_output_intact(
    spark: SparkSession, s3a: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    path = f"{s3a}/out/kept"
    write(spark, frame(spark, 0, 3), WriteSetting(path=path, action="create", format="pqt"), 21)
    before = objects(s3_server, s3_bucket)
    committer = OutputCommitter(spark, 22)
    overwrite = WriteSetting(path=path, action="overwrite", format="pqt")
    committer.stage(frame(spark, 10, 3), overwrite, 0)
    failing = frame(spark, 0, 3).withColumn(
        "name", F.when(F.col("id") == 2, F.raise_error(F.lit("bad row"))).otherwise("x")
    )
    with pytest.raises(OutputError, match="could not be written"):
        committer.stage(
            failing, WriteSetting(path=f"{s3a}/out/other", action="create", format="json"), 1
        )
    committer.abort()
    assert objects(s3_server, s3_bucket) == before  # old output as it was, nothing staged left
