"""Pure parts of publishing: identifiers, timestamped names, schema differences, rendered SQL,
and the session a Hive connection asks for. No Spark session needed."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pyspark.sql.types import (
    ArrayType,
    DecimalType,
    LongType,
    MapType,
    NullType,
    StringType,
    StructField,
    StructType,
    TimestampNTZType,
    TimestampType,
)

from spark_jobs.errors import PublishError
from spark_jobs.publish.actions import (
    ACTIONS,
    NEW_TABLE_ACTIONS,
    TIMESTAMP_SUFFIX_LENGTH,
    timestamped_candidates,
    timestamped_name,
)
from spark_jobs.publish.hive import column_problems
from spark_jobs.publish.hive.sql import (
    UnsupportedHiveType,
    columns_of,
    create_table_like_sql,
    create_table_sql,
    drop_table_sql,
    hive_type,
    insert_sql,
    rename_table_sql,
)
from spark_jobs.publish.identifiers import HIVE, TableName, helper_table_name
from spark_jobs.publish.schema import Column, schema_differences, select_in_table_order
from spark_jobs.session import (
    LocalSessionSettings,
    default_hive_dir,
    local_hive_settings,
    submitted_hive_conf,
)
from spark_jobs.spec.connections import HiveConnection

ORDERS = TableName("default", "orders")


def collapse(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def test_actions_are_the_api_pages_five() -> None:
    assert ACTIONS == ("create", "load", "createAndLoad", "truncateAndLoad", "dropAndLoad")
    assert NEW_TABLE_ACTIONS == {"create", "createAndLoad"}


def test_timestamped_name_is_utc_digits_and_underscores() -> None:
    at = datetime(2024, 5, 1, 12, 15, 0, tzinfo=timezone(timedelta(hours=2)))
    name = timestamped_name("test_table", at)
    assert name == "test_table_20240501_101500"
    assert len(name) - len("test_table") == TIMESTAMP_SUFFIX_LENGTH
    assert HIVE.problem(name, what="table name") is None and HIVE.stored(name) == name
    candidates = timestamped_candidates("t", datetime(2024, 5, 1, 10, 15, tzinfo=timezone.utc))
    assert [next(candidates) for _ in range(3)] == [
        "t_20240501_101500",
        "t_20240501_101500_2",
        "t_20240501_101500_3",
    ]
    with pytest.raises(ValueError, match="aware"):
        timestamped_name("t", datetime(2024, 5, 1))


@pytest.mark.parametrize(
    "name",
    [
        "orders; DROP TABLE customers",
        "orders`; DROP TABLE x; --",
        "default.orders",
        "1orders",
        "_orders",
        "órdenes",
        "orders ",
        "",
    ],
)
def test_identifiers_outside_the_rule_are_refused(name: str) -> None:
    problem = HIVE.problem(name, what="table name")
    assert problem is not None and "letters, digits and underscores" in problem
    with pytest.raises(PublishError):
        HIVE.check(name, what="table name")


def test_identifiers_are_quoted_even_when_valid() -> None:
    assert HIVE.check("Orders_2024_", what="table name") == "Orders_2024_"
    assert HIVE.problem("t" * 129, what="table name") == (
        f"Hive table name {'t' * 129!r} is 129 characters long (at most 128)"
    )
    assert HIVE.quote("a`b") == "`a``b`"
    assert ORDERS.quoted(HIVE) == "`default`.`orders`"
    assert str(TableName("Sales", "Orders").stored(HIVE)) == "sales.orders"


def test_helper_table_names_stay_valid_for_the_longest_table() -> None:
    longest = "t" * 128
    name = helper_table_name("staging", longest, "ab12cd34", HIVE)
    assert len(name) == 128 and name.startswith("sj_staging_ab12cd34_")
    assert HIVE.problem(name, what="table name") is None


def test_hive_types_of_spark_types() -> None:
    nested = StructType(
        [
            StructField("a b", ArrayType(DecimalType(10, 2))),
            StructField("m", MapType(StringType(), LongType())),
        ]
    )
    assert hive_type(nested) == "STRUCT<`a b`: ARRAY<DECIMAL(10,2)>, `m`: MAP<STRING,BIGINT>>"
    assert hive_type(TimestampType()) == "TIMESTAMP"
    for unsupported in (TimestampNTZType(), NullType()):
        with pytest.raises(UnsupportedHiveType):
            hive_type(unsupported)


def test_create_insert_rename_drop_render_quoted_sql() -> None:
    columns = [Column("order_id", "BIGINT"), Column("net amount", "DECIMAL(10,2)")]
    assert collapse(create_table_sql(ORDERS, columns, "pqt")) == (
        "CREATE TABLE `default`.`orders` (`order_id` BIGINT, `net amount` DECIMAL(10,2)) "
        "STORED AS PARQUET"
    )
    assert collapse(create_table_sql(ORDERS, columns, "avro")).endswith(") STORED AS AVRO")
    staging = TableName("default", "sj_staging_x_orders")
    assert create_table_like_sql(staging, ORDERS) == (
        "CREATE TABLE `default`.`sj_staging_x_orders` LIKE `default`.`orders`"
    )
    assert insert_sql(ORDERS, "__sj_publish_x", ["order_id", "net amount"]) == (
        "INSERT INTO TABLE `default`.`orders` SELECT `order_id`, `net amount` FROM `__sj_publish_x`"
    )
    assert rename_table_sql(staging, ORDERS) == (
        "ALTER TABLE `default`.`sj_staging_x_orders` RENAME TO `default`.`orders`"
    )
    assert drop_table_sql(ORDERS) == "DROP TABLE IF EXISTS `default`.`orders`"


def test_schema_differences_list_every_difference() -> None:
    table = [Column("id", "BIGINT"), Column("Amount", "DOUBLE"), Column("gone", "STRING")]
    results = [Column("amount", "DECIMAL(10,2)"), Column("ID", "BIGINT"), Column("new", "DATE")]
    assert schema_differences(results, table) == [
        "missing column gone (STRING): in the table, not in the results",
        "type mismatch in column Amount: the results have DECIMAL(10,2), the table DOUBLE",
        "extra column new (DATE): in the results, not in the table",
    ]
    same = [Column("amount", "DOUBLE"), Column("ID", "BIGINT")]
    assert schema_differences(same, table[:2]) == []
    # rows are loaded by name: the results' columns in the table's order
    assert select_in_table_order(same, table[:2]) == ["ID", "amount"]


def test_column_problems_for_hive_and_avro() -> None:
    schema = StructType(
        [
            StructField("Region", StringType()),
            StructField("region", StringType()),
            StructField("at", TimestampNTZType()),
            StructField("a,b", LongType()),
            StructField("net amount", LongType()),
        ]
    )
    problems = column_problems(schema, "pqt")
    assert problems == [
        "columns Region, region differ only in case; Hive column names ignore case",
        "column at has type timestamp_ntz, which Hive tables cannot hold",
        "column 'a,b': the Hive metastore cannot store a column name with a comma "
        "(a Delta table can: publish the delta results)",
    ]
    # a Delta table keeps its schema in its _delta_log: a comma or a space is fine there
    assert column_problems(schema, "delta") == problems[:2]
    avro = column_problems(StructType([StructField("net amount", LongType())]), "avro")
    assert avro and "not a valid Avro name" in avro[0]
    assert columns_of(StructType([StructField("x", LongType())])) == [Column("x", "BIGINT")]


def test_the_default_metastore_lives_under_a_local_job_store(tmp_path: Path) -> None:
    assert default_hive_dir(str(tmp_path / "store")) == tmp_path / "store" / "hive"
    assert default_hive_dir((tmp_path / "store").as_uri()) == tmp_path / "store" / "hive"
    assert default_hive_dir("hdfs://nn/spark_jobs") == Path(".spark_jobs/hive").absolute()


def test_a_hive_connection_decides_the_local_sessions_metastore(tmp_path: Path) -> None:
    base = LocalSessionSettings(
        hive=True, metastore_dir=tmp_path / "hive", warehouse_dir=tmp_path / "hive" / "warehouse"
    )
    embedded = local_hive_settings(base, HiveConnection(id=1, type="hive"))
    assert embedded.hive and embedded.metastore_dir == tmp_path / "hive"
    assert embedded.warehouse_dir == tmp_path / "hive" / "warehouse"
    own = local_hive_settings(
        base, HiveConnection(id=1, type="hive", metastoreDir=str(tmp_path / "m"))
    )
    assert own.metastore_dir == tmp_path / "m" and own.warehouse_dir == tmp_path / "m" / "warehouse"
    remote = local_hive_settings(
        base,
        HiveConnection(
            id=1, type="hive", metastoreUri="thrift://meta:9083", warehouseDir="hdfs://nn/wh"
        ),
    )
    assert remote.metastore_dir is None and remote.warehouse_dir is None
    assert remote.extra_conf["spark.hadoop.hive.metastore.uris"] == "thrift://meta:9083"
    assert remote.extra_conf["spark.sql.warehouse.dir"] == "hdfs://nn/wh"
    assert base.extra_conf == {}  # the caller's settings are not changed
    assert submitted_hive_conf(HiveConnection(id=1, type="hive")) == {}
    assert submitted_hive_conf(
        HiveConnection(id=1, type="hive", metastoreUri="thrift://meta:9083")
    ) == {"spark.hadoop.hive.metastore.uris": "thrift://meta:9083"}


def test_avro_schemas_map_back_to_the_spark_types_the_writer_started_from() -> None:
    from pyspark.sql.types import BooleanType, DateType, DoubleType

    from spark_jobs.io.avro_fallback import avro_schema
    from spark_jobs.publish.avro_source import spark_schema

    schema = StructType(
        [
            StructField("id", LongType(), False),
            StructField("amount", DoubleType()),
            StructField("ok", BooleanType()),
            StructField("day", DateType()),
            StructField("at", TimestampType()),
            StructField("local", TimestampNTZType()),
            StructField("price", DecimalType(10, 2)),
            StructField("tags", ArrayType(StringType(), True)),
            StructField("attrs", MapType(StringType(), LongType(), False)),
            StructField("nested", StructType([StructField("x", StringType())])),
        ]
    )
    assert spark_schema(avro_schema(schema)) == schema
