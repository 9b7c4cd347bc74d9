"""The Redshift publisher's parts run for real: files staged in moto's S3, plans run through the
production driver against the Redshift double (PostgreSQL behind the wire proxy)."""

from __future__ import annotations

import gzip
import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import fastavro
import pytest
import redshift_connector
from pyspark.sql import types as T

from spark_jobs.errors import PublishError, RedshiftError, RedshiftLoadError, StagingError
from spark_jobs.publish.redshift import (
    AwsKeys,
    CopyOptions,
    RedshiftTable,
    S3Stager,
    StagingConfig,
    fetch_load_errors,
    inspect_target,
    plan_action,
    redshift_columns,
    run_plan,
)
from spark_jobs.publish.redshift.load_errors import last_copy_id
from tests.fixtures.redshift import COPY_ROLE, connect
from tests.fixtures.s3 import MotoS3
from tests.redshift_double import RedshiftDouble

pytestmark = pytest.mark.integration

SCHEMA = T.StructType(
    [
        T.StructField("Id", T.LongType()),
        T.StructField("Name", T.StringType()),
        T.StructField("price", T.DecimalType(10, 2)),
        T.StructField("day", T.DateType()),
        T.StructField("seen", T.TimestampType()),
        T.StructField("tags", T.ArrayType(T.StringType())),
    ]
)
OLD = [[1, "old"]]


def stager(s3: MotoS3, bucket: str, **kwargs: Any) -> S3Stager:
    return S3Stager(
        StagingConfig(
            bucket=bucket,
            prefix="spark_jobs/staging",
            endpoint_url=s3.endpoint_url,
            region=s3.region,
            **kwargs,
        )
    )


def query(conn: Any, sql: str) -> list[list[Any]]:
    cursor = conn.cursor()
    cursor.execute(sql)
    rows = [list(r) for r in cursor.fetchall()]
    conn.rollback()
    return rows


def execute(conn: Any, *statements: str) -> None:
    cursor = conn.cursor()
    for sql in statements:
        cursor.execute(sql)
    conn.commit()


def publish(
    conn: Any,
    action: str,
    table: RedshiftTable,
    manifest: str,
    options: CopyOptions,
    *,
    max_bytes: dict[str, int] | None = None,
    schema: T.StructType = SCHEMA,
    **run: Any,
) -> int:
    columns = redshift_columns(schema, max_bytes or {"Name": 10})
    state = inspect_target(conn, table)
    plan = plan_action(
        action, table, columns, source=manifest, options=options, state=state, token="t1"
    )
    return run_plan(conn, plan, **run)


CSV_ROWS = (
    '2,ann,12.50,2024-05-01,2024-05-01T10:15:30.000Z,"[""a"",""b""]"\n'
    "3,,0.10,2024-05-02,2024-05-02T00:00:00.000+02:00,[]\n"
)


# --- staging -----------------------------------------------------------------------------------


def test_stage_writes_a_manifest_of_exactly_the_files_and_cleans_up(
    tmp_path: Any, s3_server: MotoS3, s3_bucket: str
) -> None:
    local = tmp_path / "part-0.csv.gz"
    local.write_bytes(gzip.compress(b"1,a\n"))
    big = bytes(range(256)) * (6 * 1024 * 4)  # 6 MiB: two multipart parts of 5 MiB
    s3 = s3_server.client()
    s3.put_object(Bucket=s3_bucket, Key="spark_jobs/staging/other.txt", Body=b"not mine")
    small_parts = {"multipart_threshold": 5 * 1024 * 1024, "multipart_chunksize": 5 * 1024 * 1024}
    staging = stager(s3_server, s3_bucket, **small_parts)
    staged = staging.stage([local, ("big.bin", big)], run_id="run1")
    assert staged.urls == [
        f"s3://{s3_bucket}/spark_jobs/staging/run1/part-00000.csv.gz",
        f"s3://{s3_bucket}/spark_jobs/staging/run1/part-00001.bin",
    ]
    big_object = s3.get_object(Bucket=s3_bucket, Key="spark_jobs/staging/run1/part-00001.bin")
    assert big_object["Body"].read() == big
    assert big_object["ETag"].strip('"').endswith("-2")  # uploaded in 2 parts
    manifest = json.loads(
        s3.get_object(Bucket=s3_bucket, Key="spark_jobs/staging/run1/manifest.json")["Body"].read()
    )
    assert manifest == {
        "entries": [
            {
                "url": staged.urls[0],
                "mandatory": True,
                "meta": {"content_length": local.stat().st_size},
            },
            {"url": staged.urls[1], "mandatory": True, "meta": {"content_length": len(big)}},
        ]
    }
    staging.cleanup(staged)
    assert s3_server.keys(s3_bucket) == ["spark_jobs/staging/other.txt"]


def test_staged_block_keeps_files_on_failure_or_when_asked(
    s3_server: MotoS3, s3_bucket: str
) -> None:
    with (
        pytest.raises(RuntimeError),
        stager(s3_server, s3_bucket).staged([("a.csv", b"1\n")]) as staged,
    ):
        raise RuntimeError("load failed")
    assert set(staged.keys) <= set(s3_server.keys(s3_bucket))
    with stager(s3_server, s3_bucket, keep=True).staged([("b.csv", b"1\n")]) as kept:
        pass
    assert set(kept.keys) <= set(s3_server.keys(s3_bucket))
    with stager(s3_server, s3_bucket).staged([("c.csv", b"1\n")]) as gone:
        pass
    assert not set(gone.keys) & set(s3_server.keys(s3_bucket))


def test_staging_errors_are_clear_and_hold_no_secret(s3_server: MotoS3) -> None:
    config = StagingConfig(
        bucket="no-such-bucket-sj",
        endpoint_url=s3_server.endpoint_url,
        region=s3_server.region,
        access_key_id="AKIASTAGINGKEY000001",
        secret_access_key="staging-secret-value",
    )
    with pytest.raises(StagingError) as exc:
        S3Stager(config).stage([("a.csv", b"1\n")])
    assert "s3://no-such-bucket-sj/: upload failed" in exc.value.message
    assert "staging-secret-value" not in exc.value.message
    assert "staging-secret-value" not in repr(config)


# --- actions against the double -------------------------------------------------------------


@pytest.fixture
def target(redshift_schema: str) -> RedshiftTable:
    return RedshiftTable(redshift_schema, "orders")


@pytest.fixture
def csv_manifest(s3_server: MotoS3, s3_bucket: str) -> str:
    return stager(s3_server, s3_bucket).stage([("part-0.csv", CSV_ROWS.encode())]).manifest_url


CSV = CopyOptions(format="csv", iam_role=COPY_ROLE)


def test_create_and_load_then_load_appends(
    redshift_conn: Any, target: RedshiftTable, csv_manifest: str
) -> None:
    assert publish(redshift_conn, "createAndLoad", target, csv_manifest, CSV, expected_rows=2) == 2
    assert query(redshift_conn, f"select format_type(atttypid, atttypmod) from pg_attribute where attrelid = '{target}'::regclass and attnum > 0 order by attnum") == [
        ["bigint"], ["character varying(10)"], ["numeric(10,2)"], ["date"],
        ["timestamp with time zone"], ["super"],
    ]  # fmt: skip
    rows = query(
        redshift_conn,
        f"select id, name, price, day, seen at time zone 'UTC', tags::text from {target.sql} order by id",
    )
    assert rows == [
        [2, "ann", Decimal("12.50"), date(2024, 5, 1), datetime(2024, 5, 1, 10, 15, 30), '["a", "b"]'],
        [3, "", Decimal("0.10"), date(2024, 5, 2), datetime(2024, 5, 1, 22, 0), "[]"],
    ]  # fmt: skip
    assert publish(redshift_conn, "load", target, csv_manifest, CSV, expected_rows=2) == 2
    assert query(redshift_conn, f"select count(*) from {target.sql}") == [[4]]


def test_gzipped_csv_parts_with_headers(
    redshift_conn: Any, target: RedshiftTable, s3_server: MotoS3, s3_bucket: str, tmp_path: Any
) -> None:
    header = "Id,Name,price,day,seen,tags\n"
    parts = []
    for i, line in enumerate(CSV_ROWS.splitlines(keepends=True)):
        part = tmp_path / f"part-{i}.csv.gz"
        part.write_bytes(gzip.compress((header + line).encode()))
        parts.append(part)
    staged = stager(s3_server, s3_bucket).stage(parts)
    assert [u.rsplit("/", 1)[1] for u in staged.urls] == ["part-00000.csv.gz", "part-00001.csv.gz"]
    options = CopyOptions(format="csv", iam_role=COPY_ROLE, compression="gzip", ignore_header=1)
    assert publish(redshift_conn, "createAndLoad", target, staged.manifest_url, options) == 2
    assert query(redshift_conn, f"select id, name from {target.sql} order by id") == [
        [2, "ann"],
        [3, ""],
    ]


def test_create_makes_an_empty_table(redshift_conn: Any, target: RedshiftTable) -> None:
    publish(redshift_conn, "create", target, "s3://unused/manifest", CSV)
    assert query(redshift_conn, f"select count(*) from {target.sql}") == [[0]]
    with pytest.raises(PublishError, match="already exists"):
        publish(redshift_conn, "create", target, "s3://unused/manifest", CSV)


@pytest.mark.parametrize("fmt", ["json", "avro"])
def test_json_and_avro_results_load_by_name(
    redshift_conn: Any, target: RedshiftTable, s3_server: MotoS3, s3_bucket: str, fmt: str
) -> None:
    records = [
        {"Id": 7, "Name": "zoé", "price": "3.25", "day": "2024-05-01",
         "seen": "2024-05-01T10:15:30.000Z", "tags": ["x"]},
    ]  # fmt: skip
    if fmt == "json":
        data = "\n".join(json.dumps(r) for r in records).encode()
    else:
        schema = {
            "type": "record",
            "name": "r",
            "fields": [
                {"name": "Id", "type": "long"},
                {"name": "Name", "type": "string"},
                {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
                {"name": "day", "type": {"type": "int", "logicalType": "date"}},
                {"name": "seen", "type": {"type": "long", "logicalType": "timestamp-micros"}},
                {"name": "tags", "type": {"type": "array", "items": "string"}},
            ],
        }  # fmt: skip
        out = io.BytesIO()
        fastavro.writer(out, fastavro.parse_schema(schema), [
            {**records[0], "price": Decimal("3.25"), "day": date(2024, 5, 1),
             "seen": datetime(2024, 5, 1, 10, 15, 30, tzinfo=timezone.utc)}
        ])  # fmt: skip
        data = out.getvalue()
    manifest = stager(s3_server, s3_bucket).stage([(f"p.{fmt}", data)]).manifest_url
    options = CopyOptions(format=fmt, iam_role=COPY_ROLE)  # type: ignore[arg-type]
    publish(redshift_conn, "createAndLoad", target, manifest, options, expected_rows=1)
    assert query(redshift_conn, f"select id, name, price, day, seen at time zone 'UTC', tags::text from {target.sql}") == [
        [7, "zoé", Decimal("3.25"), date(2024, 5, 1), datetime(2024, 5, 1, 10, 15, 30), '["x"]']
    ]  # fmt: skip


def _existing(conn: Any, target: RedshiftTable) -> None:
    execute(
        conn,
        f"create table {target.sql} (id bigint, name varchar(20), price decimal(10,2), day date,"
        " seen timestamptz, tags super)",
        f"insert into {target.sql} (id, name) values (1, 'old')",
        f"create view {target.schema}.recent as select id, name from {target.sql}",
    )


def test_truncate_and_load_replaces_rows_and_keeps_the_table_and_its_views(
    redshift: RedshiftDouble, redshift_conn: Any, target: RedshiftTable, csv_manifest: str
) -> None:
    _existing(redshift_conn, target)
    reader = connect(redshift)
    seen_by_reader: list[list[list[Any]]] = []

    def look(step: str) -> None:
        if step == "drop_staging":  # rows deleted and inserted, not committed yet
            seen_by_reader.append(query(reader, f"select id, name from {target.schema}.recent"))

    try:
        publish(redshift_conn, "truncateAndLoad", target, csv_manifest, CSV, before_step=look)
        assert seen_by_reader == [OLD]  # never empty, never half loaded
        assert query(reader, f"select id from {target.schema}.recent order by id") == [[2], [3]]
    finally:
        reader.close()


def test_a_failed_copy_leaves_the_target_untouched_with_redshifts_reason(
    redshift_conn: Any, target: RedshiftTable, s3_server: MotoS3, s3_bucket: str
) -> None:
    _existing(redshift_conn, target)
    bad = (
        CSV_ROWS
        + "4,this name is far too long for the column,1.00,2024-05-03,2024-05-03T00:00:00Z,[]\n"
    )
    staged = stager(s3_server, s3_bucket).stage([("part-0.csv", bad.encode())])
    with pytest.raises(RedshiftLoadError) as exc:
        publish(
            redshift_conn,
            "truncateAndLoad",
            target,
            staged.manifest_url,
            CSV,
            max_bytes={"Name": 10},
        )
    assert query(redshift_conn, f"select id, name from {target.sql}") == OLD
    error = exc.value
    assert error.code == "REDSHIFT_LOAD_FAILED"
    assert (
        f"COPY into {target.schema}.sj_staging_t1_orders failed: Redshift rejected 1 row(s)"
        in error.message
    )
    assert (
        f"{staged.urls[0]} line 3, column name (varchar(20)): String length exceeds DDL length "
        "(error 1204), value 'this name is far too long for the column'"
    ) in error.message
    [detail] = error.details
    assert (detail["line"], detail["column"], detail["code"]) == (3, "name", 1204)


def test_load_errors_hold_no_secret_and_come_from_either_system_table(
    redshift_conn: Any, target: RedshiftTable, s3_server: MotoS3, s3_bucket: str
) -> None:
    keys = AwsKeys("AKIAPUBLISHKEY000001", "publish-secret-key")
    options = CopyOptions(format="csv", keys=keys)
    _existing(redshift_conn, target)
    bad = "x,secret-free row,1,2024-01-01,2024-01-01T00:00:00Z,[]\n"
    manifest = stager(s3_server, s3_bucket).stage([("p.csv", bad.encode())]).manifest_url
    with pytest.raises(RedshiftLoadError) as exc:
        publish(redshift_conn, "load", target, manifest, options, load_error_source="sys")
    text = f"{exc.value.message} {exc.value.details} {exc.value!r}"
    assert "Invalid digit, Value 'x', Pos 0, Type: Long (error 1207)" in exc.value.message
    assert all(secret not in text for secret in keys.secrets)
    assert exc.value.__cause__ is None and exc.value.__suppress_context__  # no driver chain
    stl = fetch_load_errors(redshift_conn, last_copy_id(redshift_conn.cursor()), source="stl")
    redshift_conn.rollback()
    assert [(d.line, d.column, d.code, d.raw_value) for d in stl] == [(1, "id", 1207, "x")]


def test_load_errors_fall_back_to_sys_load_error_detail_without_stl_load_errors(
    redshift_conn: Any, target: RedshiftTable, s3_server: MotoS3, s3_bucket: str
) -> None:
    """As on Redshift Serverless: no stl_load_errors in this session, only the SYS view."""
    execute(
        redshift_conn,
        f"create table {target.sql} (id bigint, name varchar(20))",
        f"create view {target.schema}.sys_load_error_detail as"
        " select * from redshift_system.sys_load_error_detail",
        f"create function {target.schema}.pg_last_copy_id() returns integer language sql"
        " as 'select redshift_system.pg_last_copy_id()'",
        f"create function {target.schema}.pg_last_copy_count() returns bigint language sql"
        " as 'select redshift_system.pg_last_copy_count()'",
        f"set search_path to {target.schema}, public",
    )
    with pytest.raises(redshift_connector.ProgrammingError):
        query(redshift_conn, "select count(*) from stl_load_errors")
    redshift_conn.rollback()
    manifest = stager(s3_server, s3_bucket).stage([("p.csv", b"7,ok\nx,bad\n")]).manifest_url
    schema = T.StructType(
        [T.StructField("id", T.LongType()), T.StructField("name", T.StringType())]
    )
    with pytest.raises(RedshiftLoadError) as exc:
        publish(redshift_conn, "load", target, manifest, CSV, schema=schema, max_bytes={"name": 3})
    [detail] = exc.value.details
    assert (detail["line"], detail["column"], detail["code"]) == (2, "id", 1207)
    assert detail["raw_value"] is None  # the SYS view has no raw values
    assert query(redshift_conn, f"select count(*) from {target.sql}") == [[0]]


def test_a_copy_refused_before_loading_says_why(
    redshift_conn: Any, target: RedshiftTable, csv_manifest: str
) -> None:
    _existing(redshift_conn, target)
    options = CopyOptions(format="csv", iam_role="arn:aws:iam::210987654321:role/not-attached")
    with pytest.raises(RedshiftLoadError) as exc:
        publish(redshift_conn, "load", target, csv_manifest, options)
    assert (
        "is not authorized to assume IAM Role arn:aws:iam::************:role/not-attached"
        in exc.value.message
    )
    assert "210987654321" not in exc.value.message
    assert exc.value.details == []


def test_drop_and_load_swaps_in_a_new_table(
    redshift_conn: Any, target: RedshiftTable, csv_manifest: str
) -> None:
    execute(
        redshift_conn,
        f"create table {target.sql} (legacy int)",
        f"insert into {target.sql} values (9)",
    )
    publish(redshift_conn, "dropAndLoad", target, csv_manifest, CSV, expected_rows=2)
    assert query(redshift_conn, f"select id, name from {target.sql} order by id") == [
        [2, "ann"],
        [3, ""],
    ]
    assert query(
        redshift_conn, f"select tablename from pg_tables where schemaname = '{target.schema}'"
    ) == [["orders"]]


def test_drop_and_load_refuses_when_views_depend_on_the_table(
    redshift_conn: Any, target: RedshiftTable, csv_manifest: str
) -> None:
    _existing(redshift_conn, target)
    with pytest.raises(PublishError) as exc:
        publish(redshift_conn, "dropAndLoad", target, csv_manifest, CSV)
    assert f"views depend on it ({target.schema}.recent)" in exc.value.message
    assert query(redshift_conn, f"select id, name from {target.sql}") == OLD


def test_a_failure_after_the_swap_rolls_everything_back(
    redshift: RedshiftDouble, redshift_conn: Any, target: RedshiftTable, csv_manifest: str
) -> None:
    execute(
        redshift_conn,
        f"create table {target.sql} (id bigint, name varchar(20))",
        f"insert into {target.sql} values (1, 'old')",
    )

    def fail(step: str) -> None:
        if step == "drop_previous":
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        publish(redshift_conn, "dropAndLoad", target, csv_manifest, CSV, before_step=fail)
    assert query(redshift_conn, f"select id, name from {target.sql}") == OLD
    assert query(
        redshift_conn, f"select count(*) from pg_tables where schemaname = '{target.schema}'"
    ) == [[1]]


def test_a_copy_that_loads_other_rows_than_the_results_fails(
    redshift_conn: Any, target: RedshiftTable, csv_manifest: str
) -> None:
    with pytest.raises(RedshiftLoadError, match="loaded 2 rows, the results hold 3"):
        publish(redshift_conn, "createAndLoad", target, csv_manifest, CSV, expected_rows=3)
    assert inspect_target(redshift_conn, target).exists is False


def test_other_statement_failures_are_redshift_errors(
    redshift_conn: Any, target: RedshiftTable, csv_manifest: str
) -> None:
    _existing(redshift_conn, target)
    execute(redshift_conn, f"create table {target.schema}.sj_staging_t1_orders (x int)")
    with pytest.raises(RedshiftError) as exc:
        publish(redshift_conn, "truncateAndLoad", target, csv_manifest, CSV)
    assert "failed at step create_staging" in exc.value.message
    assert 'relation "sj_staging_t1_orders" already exists' in exc.value.message
