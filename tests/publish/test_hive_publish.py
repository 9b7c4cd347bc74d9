"""Publishing to Hive for real: the embedded metastore of the shared session, every action with
every inputFormat, read back with spark.table and compared to the job's output."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from chispa import assert_df_equality
from publish_helpers import JobGroup, describe, publish, read_output, run_job_group
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.publish import PublishHooks

FORMATS = ["pqt", "avro"]
SERDE = {
    "pqt": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    "avro": "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
}
COLUMNS_DDL = (
    "order_id BIGINT, region STRING, amount DOUBLE, ok BOOLEAN, day DATE, ts TIMESTAMP, "
    "price DECIMAL(10,2)"
)
STORED_AS = {"pqt": "PARQUET", "avro": "AVRO"}
FIXED = datetime(2024, 5, 1, 10, 15, 0, tzinfo=timezone.utc)


def assert_same_rows(actual: DataFrame, expected: DataFrame) -> None:
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def publish_jobs(group: JobGroup) -> list[dict]:
    return [j for j in group.result()["jobs"] if j["type"] == "publish"]


def make_table(spark: SparkSession, name: str, fmt: str, *, columns: str = COLUMNS_DDL) -> None:
    """A table made by hand (not by the code under test), with one old row."""
    spark.sql(f"CREATE TABLE default.{name} ({columns}) STORED AS {STORED_AS[fmt]}")
    if columns == COLUMNS_DDL:
        spark.sql(
            f"INSERT INTO default.{name} VALUES (99, 'old', 1.0, true, DATE'2020-01-01', "
            "TIMESTAMP'2020-01-01 00:00:00', 1.00)"
        )
    else:
        spark.sql(f"INSERT INTO default.{name} VALUES (99)")


def leftovers(spark: SparkSession) -> list[str]:
    return [r.tableName for r in spark.sql("SHOW TABLES IN default LIKE 'sj_*'").collect()]


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_makes_an_empty_timestamped_table_with_the_results_schema(
    spark: SparkSession, job_group: JobGroup, connections_file: Path, table_name: str, fmt: str
) -> None:
    hooks = PublishHooks(now=lambda: FIXED)
    body = {"table": table_name, "action": "create", "inputFormat": fmt}
    first = publish(spark, job_group, connections_file, body, hooks)
    second = publish(spark, job_group, connections_file, body, hooks)

    assert first.code == 0 and second.code == 0, first.stderr + second.stderr
    name = f"{table_name}_20240501_101500"
    table = spark.table(f"default.{name}")
    assert table.count() == 0
    expected = read_output(spark, job_group, fmt)
    assert [(f.name, f.dataType) for f in table.schema] == [
        (f.name, f.dataType) for f in expected.schema
    ]
    assert describe(spark, name)["Serde Library"] == SERDE[fmt]
    # a second create in the same second gets the next free name
    assert spark.catalog.tableExists(f"default.{name}_2")
    jobs = publish_jobs(job_group)[-2:]
    assert [j["details"]["table"] for j in jobs] == [f"default.{name}", f"default.{name}_2"]
    assert all(j["status"] == "Complete" and j["rowCount"] == 0 for j in jobs)


@pytest.mark.parametrize("fmt", FORMATS)
def test_create_and_load_makes_a_timestamped_table_with_the_results(
    spark: SparkSession, job_group: JobGroup, connections_file: Path, table_name: str, fmt: str
) -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    done = publish(
        spark,
        job_group,
        connections_file,
        {"table": table_name, "action": "createAndLoad", "inputFormat": fmt},
    )
    after = datetime.now(timezone.utc)

    assert done.code == 0, done.stderr
    job = publish_jobs(job_group)[-1]
    fq = job["details"]["table"]
    match = re.fullmatch(rf"default\.{table_name}_(\d{{8}}_\d{{6}})", fq)
    assert match, fq
    stamp = datetime.strptime(match.group(1), "%Y%m%d_%H%M%S").replace(tzinfo=timezone.utc)
    assert before <= stamp <= after
    assert_same_rows(spark.table(fq), read_output(spark, job_group, fmt))
    assert describe(spark, fq.split(".")[1])["Serde Library"] == SERDE[fmt]
    assert job["rowCount"] == 3 and job["details"]["rowsLoaded"] == 3
    assert job["details"]["storageFormat"] == STORED_AS[fmt]
    assert leftovers(spark) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_load_appends_and_loading_twice_doubles_the_rows(
    spark: SparkSession, job_group: JobGroup, connections_file: Path, table_name: str, fmt: str
) -> None:
    spark.sql(f"CREATE TABLE default.{table_name} ({COLUMNS_DDL}) STORED AS {STORED_AS[fmt]}")
    body = {"table": table_name, "action": "load", "inputFormat": fmt}

    once = publish(spark, job_group, connections_file, body)
    assert once.code == 0, once.stderr
    expected = read_output(spark, job_group, fmt)
    assert_same_rows(spark.table(f"default.{table_name}"), expected)

    twice = publish(spark, job_group, connections_file, body)
    assert twice.code == 0, twice.stderr
    assert_same_rows(spark.table(f"default.{table_name}"), expected.unionAll(expected))
    assert [j["rowCount"] for j in publish_jobs(job_group)[-2:]] == [3, 3]


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncate_and_load_replaces_the_rows_and_twice_does_not_double(
    spark: SparkSession, job_group: JobGroup, connections_file: Path, table_name: str, fmt: str
) -> None:
    make_table(spark, table_name, fmt)
    body = {"table": table_name, "action": "truncateAndLoad", "inputFormat": fmt}
    expected = read_output(spark, job_group, fmt)

    for _ in range(2):
        done = publish(spark, job_group, connections_file, body)
        assert done.code == 0, done.stderr
        assert_same_rows(spark.table(f"default.{table_name}"), expected)
    assert describe(spark, table_name)["Serde Library"] == SERDE[fmt]
    assert describe(spark, table_name)["Type"] == "MANAGED"
    assert leftovers(spark) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_drop_and_load_replaces_the_table_with_the_results_schema_and_rows(
    spark: SparkSession, job_group: JobGroup, connections_file: Path, table_name: str, fmt: str
) -> None:
    other = "avro" if fmt == "pqt" else "pqt"
    make_table(spark, table_name, other, columns="legacy INT")
    missing = f"{table_name}_new"
    expected = read_output(spark, job_group, fmt)

    replaced = publish(
        spark,
        job_group,
        connections_file,
        {"table": table_name, "action": "dropAndLoad", "inputFormat": fmt},
    )
    created = publish(
        spark,
        job_group,
        connections_file,
        {"table": missing, "action": "dropAndLoad", "inputFormat": fmt},
    )

    assert replaced.code == 0 and created.code == 0, replaced.stderr + created.stderr
    for name in (table_name, missing):
        assert_same_rows(spark.table(f"default.{name}"), expected)
        assert describe(spark, name)["Serde Library"] == SERDE[fmt]
    assert leftovers(spark) == []


def test_avro_results_are_published_without_the_spark_avro_jar(
    spark: SparkSession,
    job_group: JobGroup,
    connections_file: Path,
    table_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import spark_jobs.publish.avro_source as avro_source
    import spark_jobs.publish.source as source

    monkeypatch.setattr(
        source, "jvm_extras_available", lambda session: {"spark-avro": False, "delta-spark": True}
    )
    read = avro_source.read_avro_files
    calls: list[list[str]] = []

    def spy(session: SparkSession, paths: list[str]) -> DataFrame:
        calls.append(list(paths))
        return read(session, paths)

    monkeypatch.setattr(avro_source, "read_avro_files", spy)
    body = {"table": table_name, "action": "dropAndLoad", "inputFormat": "avro"}

    done = publish(spark, job_group, connections_file, body)

    assert done.code == 0, done.stderr
    assert len(calls) == 1 and all(p.endswith(".avro") for p in calls[0])
    assert_same_rows(spark.table(f"default.{table_name}"), read_output(spark, job_group, "avro"))
    assert describe(spark, table_name)["Serde Library"] == SERDE["avro"]


def test_the_publish_job_is_recorded_in_the_job_groups_result(
    spark: SparkSession, job_group: JobGroup, connections_file: Path, table_name: str
) -> None:
    done = publish(
        spark,
        job_group,
        connections_file,
        {"table": table_name, "action": "createAndLoad", "inputFormat": "pqt", "flowNodeId": 7},
    )

    assert done.code == 0, done.stderr
    response = done.response
    assert set(response) == {"jobgroupId", "reason", "sessionId"}
    assert response["jobgroupId"] == job_group.id and response["reason"] == "JobStarted"
    result = job_group.result()
    job = result["jobs"][-1]
    writer = next(j for j in result["jobs"] if j["type"] == "filewriter")
    assert job["type"] == "publish" and job["status"] == "Complete"
    assert job["id"] > max(j["id"] for j in result["jobs"][:-1])
    assert job["startedAt"] and job["finishedAt"] and job["durationMs"] is not None
    assert job["details"]["sessionId"] == response["sessionId"]
    assert job["details"]["action"] == "createAndLoad" and job["details"]["inputFormat"] == "pqt"
    assert job["details"]["connection"] == {"id": 1, "type": "hive", "name": "test hive"}
    assert job["details"]["source"]["path"] == job_group.outputs["pqt"].as_uri()
    assert job["error"] is None
    assert result["jobGraph"]["vertices"][-1] == job["id"]
    assert {"source": writer["id"], "target": job["id"]} in result["jobGraph"]["edges"]
    assert result["status"] == "Complete"
    assert f"3 rows -> {job['details']['table']} (createAndLoad)" in done.stderr


# --- nothing is lost on failure ----------------------------------------------------------------


def fail_at(step: str) -> PublishHooks:
    def hook(name: str) -> None:
        if name == step:
            raise RuntimeError(f"injected failure at {step}")

    return PublishHooks(before_step=hook)


@pytest.mark.parametrize("action", ["truncateAndLoad", "dropAndLoad"])
@pytest.mark.parametrize("step", ["load_staging", "verify_staging", "move_staging_into_place"])
def test_a_replace_failing_midway_leaves_the_old_table_and_its_rows(
    spark: SparkSession,
    job_group: JobGroup,
    connections_file: Path,
    table_name: str,
    action: str,
    step: str,
) -> None:
    make_table(spark, table_name, "pqt")
    old = spark.table(f"default.{table_name}").collect()
    body = {"table": table_name, "action": action, "inputFormat": "pqt"}

    failed = publish(spark, job_group, connections_file, body, fail_at(step))

    assert failed.code == 1
    assert f"injected failure at {step}" in failed.stderr
    assert spark.table(f"default.{table_name}").collect() == old
    assert describe(spark, table_name)["Serde Library"] == SERDE["pqt"]
    assert leftovers(spark) == []
    job = publish_jobs(job_group)[-1]
    assert job["status"] == "Failed" and "injected failure" in job["error"]["message"]
    assert job_group.result()["status"] == "Failed"
    # the next publish goes through, and the job group is Failed only by its failed publish
    again = publish(spark, job_group, connections_file, body)
    assert again.code == 0, again.stderr
    assert_same_rows(spark.table(f"default.{table_name}"), read_output(spark, job_group, "pqt"))


def test_a_source_corrupted_after_the_job_fails_the_load_and_keeps_the_table(
    spark: SparkSession,
    publish_home: Path,
    orders_parquet: Path,
    connections_file: Path,
    table_name: str,
) -> None:
    folder = publish_home / "corrupt"
    output = folder / "orders_pqt"
    code, group_id, err = run_job_group(
        spark,
        orders_parquet,
        folder,
        publish_home / "store",
        [{"path": str(output), "action": "create", "format": "pqt"}],
    )
    assert code == 0, err
    group = JobGroup(group_id, publish_home / "store", {"pqt": output})
    make_table(spark, table_name, "pqt")
    old = spark.table(f"default.{table_name}").collect()
    # same size, garbage in the data pages: the footer (schema) still reads, the rows do not
    part = next(p for p in output.iterdir() if p.name.endswith(".parquet"))
    data = bytearray(part.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little")
    end = len(data) - 8 - footer
    data[4:end] = b"\xff" * (end - 4)
    part.write_bytes(bytes(data))

    failed = publish(
        spark,
        group,
        connections_file,
        {"table": table_name, "action": "truncateAndLoad", "inputFormat": "pqt"},
    )

    assert failed.code == 1, failed.stderr
    assert spark.table(f"default.{table_name}").collect() == old
    assert leftovers(spark) == []
    assert publish_jobs(group)[-1]["status"] == "Failed"
