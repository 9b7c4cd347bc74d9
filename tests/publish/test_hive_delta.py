"""Publishing delta results to Hive as Delta tables (USING DELTA in the embedded metastore):
every action for real, replaces as single Delta transactions whose old version stays readable
by time travel, read back with spark.table and with DESCRIBE HISTORY."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from publish_helpers import JobGroup, describe, publish, run_job_group
from pyspark.sql import DataFrame, SparkSession

from spark_jobs.publish import PublishHooks
from spark_jobs.publish.hive.sql import (
    create_delta_table_as_sql,
    create_table_sql,
    insert_overwrite_sql,
)
from spark_jobs.publish.identifiers import TableName
from spark_jobs.publish.schema import Column

COLUMNS_DDL = (
    "order_id BIGINT, region STRING, amount DOUBLE, ok BOOLEAN, day DATE, ts TIMESTAMP, "
    "price DECIMAL(10,2)"
)
OLD_ROW = "(99, 'old', 1.0, true, DATE'2020-01-01', TIMESTAMP'2020-01-01 00:00:00', 1.00)"
FIXED = datetime(2024, 5, 1, 10, 15, 0, tzinfo=timezone.utc)


# --- the SQL, as strings -------------------------------------------------------------------------


def test_delta_sql_is_rendered_with_quoted_names() -> None:
    table = TableName("default", "orders")
    columns = [Column("order id", "BIGINT"), Column("region", "STRING")]
    assert create_table_sql(table, columns, "delta") == (
        "CREATE TABLE `default`.`orders` (`order id` BIGINT, `region` STRING) USING DELTA"
    )
    assert create_delta_table_as_sql(table, "v", ["a", "b`c"], replace=True) == (
        "CREATE OR REPLACE TABLE `default`.`orders` USING DELTA AS SELECT `a`, `b``c` FROM `v`"
    )
    assert create_delta_table_as_sql(table, "v", ["a"]) == (
        "CREATE TABLE `default`.`orders` USING DELTA AS SELECT `a` FROM `v`"
    )
    assert insert_overwrite_sql(table, "v", ["a"]) == (
        "INSERT OVERWRITE TABLE `default`.`orders` SELECT `a` FROM `v`"
    )


# --- for real ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def delta_group(spark: SparkSession, publish_home: Path, orders_parquet: Path) -> JobGroup:
    """A completed job group that wrote the orders as a Delta table (and as pqt)."""
    out = publish_home / "delta_out"
    outputs = {"delta": out / "orders_delta", "pqt": out / "orders_pqt"}
    settings = [
        {"path": str(path), "action": "create", "format": fmt} for fmt, path in outputs.items()
    ]
    code, group_id, err = run_job_group(
        spark, orders_parquet, publish_home / "delta_job", publish_home / "store", settings
    )
    assert code == 0, err
    return JobGroup(group_id, publish_home / "store", outputs)


def job_version(group: JobGroup) -> int:
    writer = next(j for j in group.result()["jobs"] if j["type"] == "filewriter")
    return int(next(o for o in writer["outputs"] if o["format"] == "delta")["deltaVersion"])


def results(spark: SparkSession, group: JobGroup) -> DataFrame:
    """The rows the job wrote: its Delta version, read by time travel."""
    return (
        spark.read.format("delta")
        .option("versionAsOf", job_version(group))
        .load(str(group.outputs["delta"]))
    )


def assert_same_rows(actual: DataFrame, expected: DataFrame) -> None:
    # a table defined by hand has no column metadata; the results' columns may carry some
    assert_df_equality(
        actual, expected, ignore_row_order=True, ignore_nullable=True, ignore_metadata=True
    )


def history(spark: SparkSession, table: str) -> list[Any]:
    return spark.sql(f"DESCRIBE HISTORY default.`{table}`").orderBy("version").collect()


def last_publish(group: JobGroup) -> dict[str, Any]:
    return [j for j in group.result()["jobs"] if j["type"] == "publish"][-1]


def leftovers(spark: SparkSession) -> list[str]:
    return [r.tableName for r in spark.sql("SHOW TABLES IN default LIKE 'sj_*'").collect()]


def make_delta_table(spark: SparkSession, name: str, columns: str = COLUMNS_DDL) -> None:
    """A Delta table made by hand, with one old row: versions 0 (create) and 1 (insert)."""
    spark.sql(f"CREATE TABLE default.{name} ({columns}) USING DELTA")
    values = OLD_ROW if columns == COLUMNS_DDL else "(99)"
    spark.sql(f"INSERT INTO default.{name} VALUES {values}")


def test_create_and_create_and_load_make_delta_tables(
    spark: SparkSession, delta_group: JobGroup, connections_file: Path, table_name: str
) -> None:
    hooks = PublishHooks(now=lambda: FIXED)
    created = publish(
        spark,
        delta_group,
        connections_file,
        {"table": table_name, "action": "create", "inputFormat": "delta"},
        hooks,
    )
    assert created.code == 0, created.stderr
    empty = f"{table_name}_20240501_101500"
    assert describe(spark, empty)["Provider"] == "delta"
    assert spark.table(f"default.{empty}").count() == 0
    assert [(f.name, f.dataType) for f in spark.table(f"default.{empty}").schema] == [
        (f.name, f.dataType) for f in results(spark, delta_group).schema
    ]
    assert last_publish(delta_group)["details"]["deltaVersion"] == 0

    loaded = publish(
        spark,
        delta_group,
        connections_file,
        {"table": table_name, "action": "createAndLoad", "inputFormat": "delta"},
        hooks,
    )
    assert loaded.code == 0, loaded.stderr
    job = last_publish(delta_group)
    name = f"{table_name}_20240501_101500_2"
    assert job["details"]["table"] == f"default.{name}"
    assert_same_rows(spark.table(f"default.{name}"), results(spark, delta_group))
    assert describe(spark, name)["Provider"] == "delta"
    # one transaction: the table's first version holds the rows
    assert [h.operation for h in history(spark, name)] == ["CREATE TABLE AS SELECT"]
    assert job["rowCount"] == 3 and job["details"]["deltaVersion"] == 0
    assert job["details"]["storageFormat"] == "DELTA"
    # plain names: no column mapping, the default protocol
    assert "TBLPROPERTIES" not in " ".join(job["details"]["sql"])
    assert "delta.columnMapping.mode" not in table_properties(spark, name)
    assert leftovers(spark) == []


def test_load_appends_a_version_each_time(
    spark: SparkSession, delta_group: JobGroup, connections_file: Path, table_name: str
) -> None:
    spark.sql(f"CREATE TABLE default.{table_name} ({COLUMNS_DDL}) USING DELTA")
    body = {"table": table_name, "action": "load", "inputFormat": "delta"}
    for _ in range(2):
        done = publish(spark, delta_group, connections_file, body)
        assert done.code == 0, done.stderr
    expected = results(spark, delta_group)
    assert_same_rows(spark.table(f"default.{table_name}"), expected.unionAll(expected))
    assert [h.version for h in history(spark, table_name)] == [0, 1, 2]
    assert last_publish(delta_group)["details"]["deltaVersion"] == 2


def test_truncate_and_load_is_one_delta_version_and_the_old_rows_stay_readable(
    spark: SparkSession, delta_group: JobGroup, connections_file: Path, table_name: str
) -> None:
    make_delta_table(spark, table_name)
    old = spark.table(f"default.{table_name}").collect()

    done = publish(
        spark,
        delta_group,
        connections_file,
        {"table": table_name, "action": "truncateAndLoad", "inputFormat": "delta"},
    )

    assert done.code == 0, done.stderr
    assert_same_rows(spark.table(f"default.{table_name}"), results(spark, delta_group))
    versions = history(spark, table_name)
    assert [h.version for h in versions] == [0, 1, 2]  # exactly one new version
    assert versions[-1].operationParameters["mode"] == "Overwrite"
    assert spark.sql(f"SELECT * FROM default.{table_name} VERSION AS OF 1").collect() == old
    job = last_publish(delta_group)
    assert job["details"]["deltaVersion"] == 2 and job["rowCount"] == 3
    assert all(s.startswith("INSERT OVERWRITE") for s in job["details"]["sql"])
    assert leftovers(spark) == []


def test_drop_and_load_replaces_a_delta_table_in_one_version_and_creates_a_missing_one(
    spark: SparkSession, delta_group: JobGroup, connections_file: Path, table_name: str
) -> None:
    make_delta_table(spark, table_name, columns="legacy INT")
    missing = f"{table_name}_new"

    replaced = publish(
        spark,
        delta_group,
        connections_file,
        {"table": table_name, "action": "dropAndLoad", "inputFormat": "delta"},
    )
    created = publish(
        spark,
        delta_group,
        connections_file,
        {"table": missing, "action": "dropAndLoad", "inputFormat": "delta"},
    )

    assert replaced.code == 0 and created.code == 0, replaced.stderr + created.stderr
    expected = results(spark, delta_group)
    for name in (table_name, missing):
        assert_same_rows(spark.table(f"default.{name}"), expected)
        assert describe(spark, name)["Provider"] == "delta"
    versions = history(spark, table_name)
    assert [h.version for h in versions] == [0, 1, 2]
    assert versions[-1].operation == "CREATE OR REPLACE TABLE AS SELECT"
    old = spark.sql(f"SELECT * FROM default.{table_name} VERSION AS OF 1")
    assert old.columns == ["legacy"] and [r.legacy for r in old.collect()] == [99]
    assert leftovers(spark) == []


def test_drop_and_load_replaces_a_parquet_table_by_a_delta_one(
    spark: SparkSession, delta_group: JobGroup, connections_file: Path, table_name: str
) -> None:
    spark.sql(f"CREATE TABLE default.{table_name} (legacy INT) STORED AS PARQUET")

    done = publish(
        spark,
        delta_group,
        connections_file,
        {"table": table_name, "action": "dropAndLoad", "inputFormat": "delta"},
    )

    assert done.code == 0, done.stderr
    assert_same_rows(spark.table(f"default.{table_name}"), results(spark, delta_group))
    assert describe(spark, table_name)["Provider"] == "delta"
    assert leftovers(spark) == []


def test_a_failing_truncate_and_load_leaves_the_delta_table_at_its_version(
    spark: SparkSession,
    publish_home: Path,
    orders_parquet: Path,
    connections_file: Path,
    table_name: str,
) -> None:
    folder = publish_home / "delta_corrupt"
    output = folder / "orders_delta"
    code, group_id, err = run_job_group(
        spark,
        orders_parquet,
        folder,
        publish_home / "store",
        [{"path": str(output), "action": "create", "format": "delta"}],
    )
    assert code == 0, err
    group = JobGroup(group_id, publish_home / "store", {"delta": output})
    make_delta_table(spark, table_name)
    old = spark.table(f"default.{table_name}").collect()
    # same size, garbage in the data pages: the footer still reads, the rows do not
    for part in output.glob("*.parquet"):
        data = bytearray(part.read_bytes())
        footer = int.from_bytes(data[-8:-4], "little")
        end = len(data) - 8 - footer
        data[4:end] = b"\xff" * (end - 4)
        part.write_bytes(bytes(data))

    failed = publish(
        spark,
        group,
        connections_file,
        {"table": table_name, "action": "truncateAndLoad", "inputFormat": "delta"},
    )

    assert failed.code == 1, failed.stderr
    assert spark.table(f"default.{table_name}").collect() == old
    assert [h.version for h in history(spark, table_name)] == [0, 1]
    assert last_publish(group)["status"] == "Failed"


def test_the_version_the_job_wrote_is_published_not_a_later_one(
    spark: SparkSession, delta_group: JobGroup, connections_file: Path, table_name: str
) -> None:
    # someone appends to the job's Delta output after the job: the publish still loads the
    # job's own version (time travel), whose files are unchanged
    later = results(spark, delta_group).limit(1)
    later.write.format("delta").mode("append").save(str(delta_group.outputs["delta"]))

    done = publish(
        spark,
        delta_group,
        connections_file,
        {"table": table_name, "action": "dropAndLoad", "inputFormat": "delta"},
    )

    assert done.code == 0, done.stderr
    assert spark.table(f"default.{table_name}").count() == 3
    assert_same_rows(spark.table(f"default.{table_name}"), results(spark, delta_group))


# --- column names Parquet refuses: Delta tables with column mapping ------------------------------

SPECIAL_DDL = "`order id` BIGINT, `a,b` STRING, `x;y` DOUBLE"
SPECIAL_ROWS = [(1, "west", 10.5), (2, "east, north", None), (3, None, -1.0)]
MAPPING_PROPERTIES = (
    "TBLPROPERTIES ('delta.columnMapping.mode'='name', 'delta.minReaderVersion'='2', "
    "'delta.minWriterVersion'='5')"
)


def test_delta_sql_carries_column_mapping_properties_when_given() -> None:
    table = TableName("default", "orders")
    properties = {"delta.columnMapping.mode": "name", "delta.minReaderVersion": "2"}
    assert create_delta_table_as_sql(table, "v", ["a,b"], properties=properties) == (
        "CREATE TABLE `default`.`orders` USING DELTA TBLPROPERTIES "
        "('delta.columnMapping.mode'='name', 'delta.minReaderVersion'='2') "
        "AS SELECT `a,b` FROM `v`"
    )
    assert create_table_sql(table, [Column("x;y", "INT")], "delta", {"k'": "v\\"}) == (
        "CREATE TABLE `default`.`orders` (`x;y` INT) USING DELTA TBLPROPERTIES ('k\\''='v\\\\')"
    )


@pytest.fixture(scope="module")
def special_group(spark: SparkSession, publish_home: Path) -> JobGroup:
    """A completed job group whose Delta output has the column names `order id`, `a,b`, `x;y`."""
    source = publish_home / "special.parquet"
    spark.createDataFrame(SPECIAL_ROWS, SPECIAL_DDL).coalesce(1).write.parquet(str(source))
    output = publish_home / "special_out" / "orders_delta"
    code, group_id, err = run_job_group(
        spark,
        source,
        publish_home / "special_job",
        publish_home / "store",
        [{"path": str(output), "action": "create", "format": "delta"}],
    )
    assert code == 0, err
    return JobGroup(group_id, publish_home / "store", {"delta": output})


def table_properties(spark: SparkSession, table: str) -> dict[str, str]:
    row = spark.sql(f"DESCRIBE DETAIL default.`{table}`").first()
    assert row is not None
    return {
        **dict(row["properties"] or {}),
        "reader": str(row["minReaderVersion"]),
        "writer": str(row["minWriterVersion"]),
    }


def assert_special_rows(spark: SparkSession, table: str) -> None:
    actual = spark.table(f"default.`{table}`")
    assert actual.columns == ["order id", "a,b", "x;y"]
    expected = spark.createDataFrame(SPECIAL_ROWS, SPECIAL_DDL)
    assert_same_rows(actual, expected)


def test_special_names_create_and_create_and_load_use_column_mapping(
    spark: SparkSession, special_group: JobGroup, connections_file: Path, table_name: str
) -> None:
    hooks = PublishHooks(now=lambda: FIXED)
    for action in ("create", "createAndLoad"):
        done = publish(
            spark,
            special_group,
            connections_file,
            {"table": table_name, "action": action, "inputFormat": "delta"},
            hooks,
        )
        assert done.code == 0, done.stderr
        assert MAPPING_PROPERTIES in last_publish(special_group)["details"]["sql"][0]
    empty, loaded = f"{table_name}_20240501_101500", f"{table_name}_20240501_101500_2"
    assert spark.table(f"default.{empty}").columns == ["order id", "a,b", "x;y"]
    assert spark.table(f"default.{empty}").count() == 0
    assert_special_rows(spark, loaded)
    properties = table_properties(spark, loaded)
    assert properties["delta.columnMapping.mode"] == "name"
    assert (properties["reader"], properties["writer"]) == ("2", "5")
    assert [h.operation for h in history(spark, loaded)] == ["CREATE TABLE AS SELECT"]
    assert last_publish(special_group)["rowCount"] == 3
    assert leftovers(spark) == []


def test_special_names_drop_and_load_replace_a_plain_delta_table_in_one_version(
    spark: SparkSession, special_group: JobGroup, connections_file: Path, table_name: str
) -> None:
    make_delta_table(spark, table_name, columns="legacy INT")
    assert table_properties(spark, table_name)["writer"] == "2"  # a plain table, as made

    done = publish(
        spark,
        special_group,
        connections_file,
        {"table": table_name, "action": "dropAndLoad", "inputFormat": "delta"},
    )

    assert done.code == 0, done.stderr
    assert_special_rows(spark, table_name)
    versions = history(spark, table_name)
    assert [h.version for h in versions] == [0, 1, 2]
    assert versions[-1].operation == "CREATE OR REPLACE TABLE AS SELECT"
    assert table_properties(spark, table_name)["delta.columnMapping.mode"] == "name"
    # time travel to the plain version
    old = spark.sql(f"SELECT * FROM default.{table_name} VERSION AS OF 1")
    assert old.columns == ["legacy"] and [r.legacy for r in old.collect()] == [99]
    assert last_publish(special_group)["details"]["deltaVersion"] == 2


def test_special_names_drop_and_load_replace_a_parquet_table_by_a_mapped_delta_one(
    spark: SparkSession, special_group: JobGroup, connections_file: Path, table_name: str
) -> None:
    spark.sql(f"CREATE TABLE default.{table_name} (legacy INT) STORED AS PARQUET")

    done = publish(
        spark,
        special_group,
        connections_file,
        {"table": table_name, "action": "dropAndLoad", "inputFormat": "delta"},
    )

    assert done.code == 0, done.stderr
    assert_special_rows(spark, table_name)
    assert describe(spark, table_name)["Provider"] == "delta"
    assert table_properties(spark, table_name)["delta.columnMapping.mode"] == "name"
    assert leftovers(spark) == []


def test_special_names_load_and_truncate_and_load_a_mapped_delta_table(
    spark: SparkSession, special_group: JobGroup, connections_file: Path, table_name: str
) -> None:
    spark.sql(f"CREATE TABLE default.{table_name} ({SPECIAL_DDL}) USING DELTA {MAPPING_PROPERTIES}")
    spark.sql(f"INSERT INTO default.{table_name} VALUES (99, 'old', 0.5)")

    for action in ("load", "truncateAndLoad"):
        done = publish(
            spark,
            special_group,
            connections_file,
            {"table": table_name, "action": action, "inputFormat": "delta"},
        )
        assert done.code == 0, done.stderr

    assert_special_rows(spark, table_name)
    versions = history(spark, table_name)
    assert [h.version for h in versions] == [0, 1, 2, 3]
    assert versions[-1].operationParameters["mode"] == "Overwrite"
    assert spark.sql(f"SELECT * FROM default.{table_name} VERSION AS OF 2").count() == 4
    old = spark.sql(f"SELECT * FROM default.{table_name} VERSION AS OF 1").collect()
    assert [r.asDict() for r in old] == [{"order id": 99, "a,b": "old", "x;y": 0.5}]
    assert last_publish(special_group)["details"]["deltaVersion"] == 3
