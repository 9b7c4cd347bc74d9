"""The Redshift publisher end to end: a real job group's csv, json and avro outputs published
through the publish entrypoint (and the CLI) to the Redshift double (PostgreSQL behind the wire
proxy, COPY from moto's S3 server), every action, checked row for row against the job's rows."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from publish_helpers import ROWS, JobGroup, Published, publish, run_job_group
from pyspark.sql import SparkSession

from spark_jobs import cli
from spark_jobs.publish import PublishHooks
from spark_jobs.publish.redshift import STAGING_WRITER_CONF
from spark_jobs.session import apply_s3a_settings, s3a_settings
from tests.fixtures.redshift import COPY_ROLE, connect
from tests.fixtures.s3 import FAKE_ENV, MotoS3
from tests.redshift_double import RedshiftDouble

pytestmark = pytest.mark.integration

PASSWORD_ENV = "SJ_TEST_REDSHIFT_PASSWORD"
KEY_ID_ENV = "SJ_TEST_STAGING_KEY_ID"
SECRET_ENV = "SJ_TEST_STAGING_SECRET"
KEY_ID = "AKIASJSTAGINGKEY0042"
SECRET = "staging-secret-never-shown-0042"
FORMATS = ["csv", "json", "avro"]


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def rs_group(spark: SparkSession, publish_home: Path, orders_parquet: Path) -> JobGroup:
    """A completed job group that wrote the orders as csv (with header), json and avro."""
    out = publish_home / "rs_out"
    outputs = {fmt: out / f"orders_{fmt}" for fmt in FORMATS}
    settings = [
        {"path": str(path), "action": "create", "format": fmt, "header": fmt == "csv"}
        for fmt, path in outputs.items()
    ]
    code, group_id, err = run_job_group(
        spark, orders_parquet, publish_home / "rs_job", publish_home / "rs_store", settings
    )
    assert code == 0, err
    return JobGroup(group_id, publish_home / "rs_store", outputs)


@pytest.fixture
def staging_writer(spark: SparkSession) -> Iterator[None]:
    """Stage with boto3 uploads (the Spark S3A path has its own tests)."""
    spark.conf.set(STAGING_WRITER_CONF, "boto3")
    yield
    spark.conf.unset(STAGING_WRITER_CONF)


def redshift_connection(
    redshift: RedshiftDouble, s3: MotoS3, bucket: str, **extra: Any
) -> dict[str, Any]:
    return {
        "id": 2,
        "type": "redshift",
        "name": "test redshift",
        "host": redshift.host,
        "port": redshift.port,
        "database": redshift.database,
        "user": redshift.user,
        "passwordEnv": PASSWORD_ENV,
        "iamRole": COPY_ROLE,
        "ssl": False,
        "s3Staging": {
            "bucket": bucket,
            "prefix": "spark_jobs/staging",
            "region": s3.region,
            "endpointUrl": s3.endpoint_url,
        },
        **extra,
    }


@pytest.fixture
def rs_connections(
    tmp_path: Path,
    redshift: RedshiftDouble,
    s3_server: MotoS3,
    s3_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    monkeypatch.setenv(PASSWORD_ENV, redshift.password)
    path = tmp_path / "connections.json"
    connection = redshift_connection(redshift, s3_server, s3_bucket)
    path.write_text(json.dumps({"connections": [connection]}))
    return path


def rs_publish(
    spark: SparkSession,
    group: JobGroup,
    connections: Path,
    schema: str,
    table: str,
    action: str,
    fmt: str,
    hooks: PublishHooks | None = None,
) -> Published:
    body = {"connection": {"id": 2}, "path": [schema], "table": table, "action": action}
    return publish(spark, group, connections, {**body, "inputFormat": fmt}, hooks)


# --- reading back ------------------------------------------------------------------------------


def canonical(value: Any) -> Any:
    """One spelling for a value whatever the format carried it as (csv has no types)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return round(float(value), 6)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def expected_rows(times: int = 1) -> list[tuple[Any, ...]]:
    return sorted((tuple(canonical(v) for v in row) for row in ROWS * times), key=repr)


def table_rows(redshift: RedshiftDouble, table: str) -> list[tuple[Any, ...]]:
    """The table's rows read through the production driver from another session."""
    conn = connect(redshift)
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT order_id, region, amount, ok, day, ts, price FROM " + table)
        rows = [tuple(canonical(v) for v in r) for r in cursor.fetchall()]
    finally:
        conn.close()
    return sorted(rows, key=repr)


def sql(redshift: RedshiftDouble, statement: str) -> list[Any]:
    admin = redshift.admin()
    try:
        return list(admin.run(statement) or [])
    finally:
        admin.close()


def publish_job(group: JobGroup) -> dict[str, Any]:
    """The latest publish job of the group, its details merged in."""
    job = [j for j in group.result()["jobs"] if j["type"] == "publish"][-1]
    return {**job, **job["details"]}


def assert_staging_clean(s3: MotoS3, bucket: str) -> None:
    assert s3.keys(bucket, "spark_jobs/staging") == []


# --- every action x every format -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_action_loads_the_jobs_rows(
    spark: SparkSession,
    rs_group: JobGroup,
    rs_connections: Path,
    redshift: RedshiftDouble,
    redshift_schema: str,
    s3_server: MotoS3,
    s3_bucket: str,
    staging_writer: None,
    fmt: str,
) -> None:
    schema = redshift_schema
    table = f"{schema}.orders"

    def run(action: str, **kwargs: Any) -> Published:
        done = rs_publish(spark, rs_group, rs_connections, schema, "Orders", action, fmt, **kwargs)
        assert done.code == 0, done.stderr
        assert_staging_clean(s3_server, s3_bucket)
        return done

    # dropAndLoad of a table that does not exist yet creates it
    run("dropAndLoad")
    assert table_rows(redshift, table) == expected_rows()
    job = publish_job(rs_group)
    assert job["status"] == "Complete" and job["rowsLoaded"] == len(ROWS)
    assert job["table"] == f"{schema}.orders" and job["staging"]["path"] == "boto3-upload"
    assert job["staging"]["files"] >= 1 and job["staging"]["manifest"].endswith("manifest.json")
    types = {c["name"]: c["type"] for c in job["columns"]}
    assert types["region"] == "VARCHAR(4)"  # sized from the data, not VARCHAR(256)
    assert types["ts"] == "TIMESTAMPTZ" and types["ok"] == "BOOLEAN"
    copy = next(s for s in job["sql"] if s.startswith("COPY"))
    assert "MANIFEST" in copy and "arn:aws:iam::************:role/sj-redshift-copy" in copy
    assert {"csv": "FORMAT AS CSV", "json": "FORMAT AS JSON 'auto ignorecase'",
            "avro": "FORMAT AS AVRO 'auto ignorecase'"}[fmt] in copy  # fmt: skip
    if fmt == "csv":
        assert "IGNOREHEADER 1" in copy and "EMPTYASNULL" in copy

    # load appends
    run("load")
    assert table_rows(redshift, table) == expected_rows(2)

    # truncateAndLoad replaces the rows and keeps the table object (a view on it keeps working)
    sql(redshift, f"CREATE VIEW {schema}.west AS SELECT * FROM {table} WHERE region = 'west'")
    run("truncateAndLoad")
    assert table_rows(redshift, table) == expected_rows()
    assert sql(redshift, f"SELECT count(*) FROM {schema}.west")[0][0] == 2

    # dropAndLoad refuses to drop a table that a view is bound to, and says why
    refused = rs_publish(spark, rs_group, rs_connections, schema, "Orders", "dropAndLoad", fmt)
    assert refused.code == 2
    assert f"views depend on it ({schema}.west)" in refused.stderr
    sql(redshift, f"DROP VIEW {schema}.west")
    sql(redshift, f"ALTER TABLE {table} ADD COLUMN extra INTEGER")
    run("dropAndLoad")  # the new definition replaces the old one
    assert table_rows(redshift, table) == expected_rows()
    columns = sql(
        redshift,
        "SELECT column_name FROM information_schema.columns "
        f"WHERE table_schema = '{schema}' AND table_name = 'orders'",
    )
    assert "extra" not in {c[0] for c in columns}

    # createAndLoad and create make new tables with timestamped names
    at = datetime(2024, 5, 1, 10, 15, tzinfo=timezone.utc)
    hooks = PublishHooks(now=lambda: at)
    run("createAndLoad", hooks=hooks)
    assert table_rows(redshift, f"{schema}.orders_20240501_101500") == expected_rows()
    done = run("create", hooks=hooks)
    assert publish_job(rs_group)["table"] == f"{schema}.orders_20240501_101500_2"
    assert json.loads(done.stdout)["reason"] == "JobStarted"
    assert table_rows(redshift, f"{schema}.orders_20240501_101500_2") == []


# --- failures leave the target as it was ---------------------------------------------------------


def make_strict_table(
    spark: SparkSession,
    group: JobGroup,
    connections: Path,
    schema: str,
    fmt: str,
    redshift: RedshiftDouble,
) -> str:
    """orders as the job's results make it, with amount NOT NULL: the job's third row (amount
    null) is then refused by COPY."""
    done = rs_publish(spark, group, connections, schema, "orders", "dropAndLoad", fmt)
    assert done.code == 0, done.stderr
    table = f"{schema}.orders"
    sql(redshift, f"DELETE FROM {table} WHERE amount IS NULL")
    sql(redshift, f"ALTER TABLE {table} ALTER COLUMN amount SET NOT NULL")
    return table


@pytest.mark.parametrize(("action", "fmt"), [("load", "csv"), ("truncateAndLoad", "json")])
def test_a_rejected_row_fails_the_copy_with_line_and_reason_and_changes_nothing(
    spark: SparkSession,
    rs_group: JobGroup,
    rs_connections: Path,
    redshift: RedshiftDouble,
    redshift_schema: str,
    s3_server: MotoS3,
    s3_bucket: str,
    staging_writer: None,
    action: str,
    fmt: str,
) -> None:
    table = make_strict_table(spark, rs_group, rs_connections, redshift_schema, fmt, redshift)
    before = table_rows(redshift, table)
    done = rs_publish(spark, rs_group, rs_connections, redshift_schema, "orders", action, fmt)
    assert done.code == 1
    assert "Redshift rejected 1 row(s)" in done.stderr
    assert "line" in done.stderr and "column amount" in done.stderr
    assert "Traceback" not in done.stderr
    job = publish_job(rs_group)
    assert job["status"] == "Failed" and job["error"]["code"] == "REDSHIFT_LOAD_FAILED"
    (detail,) = job["error"]["details"]["details"]
    assert detail["column"] == "amount" and detail["line"] >= 1
    assert "null" in detail["reason"].lower()
    assert detail["file"].startswith(f"s3://{s3_bucket}/spark_jobs/staging/")
    assert table_rows(redshift, table) == before
    assert_staging_clean(s3_server, s3_bucket)


def test_a_failure_after_the_copy_rolls_everything_back(
    spark: SparkSession,
    rs_group: JobGroup,
    rs_connections: Path,
    redshift: RedshiftDouble,
    redshift_schema: str,
    s3_server: MotoS3,
    s3_bucket: str,
    staging_writer: None,
) -> None:
    done = rs_publish(
        spark, rs_group, rs_connections, redshift_schema, "orders", "dropAndLoad", "avro"
    )
    assert done.code == 0, done.stderr
    table = f"{redshift_schema}.orders"
    seen: list[list[tuple[Any, ...]]] = []

    def fail_at(step: str) -> None:
        if step == "delete_target":
            seen.append(table_rows(redshift, table))  # a reader mid-publish sees the old rows
        if step == "insert_from_staging":
            raise RuntimeError("killed between DELETE and INSERT")

    failed = rs_publish(
        spark, rs_group, rs_connections, redshift_schema, "orders", "truncateAndLoad", "avro",
        PublishHooks(before_step=fail_at),
    )  # fmt: skip
    assert failed.code == 1 and "killed between DELETE and INSERT" in failed.stderr
    assert seen == [expected_rows()]
    assert table_rows(redshift, table) == expected_rows()
    tables = sql(
        redshift, f"SELECT tablename FROM pg_tables WHERE schemaname = '{redshift_schema}'"
    )
    assert [t[0] for t in tables] == ["orders"]  # no staging table left
    assert_staging_clean(s3_server, s3_bucket)


# --- secrets ----------------------------------------------------------------------------------


def test_secrets_never_reach_the_result_the_output_or_the_logs(
    spark: SparkSession,
    rs_group: JobGroup,
    tmp_path: Path,
    redshift: RedshiftDouble,
    redshift_schema: str,
    s3_server: MotoS3,
    s3_bucket: str,
    staging_writer: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """COPY signs with the staging keys (no iamRole): they are in the statement sent, never in
    what is recorded or printed; a failing publish's error carries none either."""
    monkeypatch.setenv(PASSWORD_ENV, redshift.password)
    monkeypatch.setenv(KEY_ID_ENV, KEY_ID)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    connection = redshift_connection(redshift, s3_server, s3_bucket)
    del connection["iamRole"]
    connection["s3Staging"].update(accessKeyIdEnv=KEY_ID_ENV, secretAccessKeyEnv=SECRET_ENV)
    connections = tmp_path / "connections.json"
    connections.write_text(json.dumps({"connections": [connection]}))
    caplog.set_level(logging.INFO)  # what the product logs (botocore's DEBUG shows key ids)
    caplog.set_level(logging.DEBUG, logger="spark_jobs")
    ok = rs_publish(spark, rs_group, connections, redshift_schema, "orders", "dropAndLoad", "csv")
    assert ok.code == 0, ok.stderr
    copy = next(s for s in publish_job(rs_group)["sql"] if s.startswith("COPY"))
    assert "ACCESS_KEY_ID '***' SECRET_ACCESS_KEY '***'" in copy
    make_strict = f"ALTER TABLE {redshift_schema}.orders ALTER COLUMN amount SET NOT NULL"
    sql(redshift, "DELETE FROM " + f"{redshift_schema}.orders WHERE amount IS NULL")
    sql(redshift, make_strict)
    failed = rs_publish(spark, rs_group, connections, redshift_schema, "orders", "load", "csv")
    assert failed.code == 1
    result = (rs_group.store / "jobGroups" / str(rs_group.id) / "result.json").read_text()
    for secret in (redshift.password, KEY_ID, SECRET, "123456789012"):
        for where, text in [
            ("result.json", result),
            ("stdout", ok.stdout + failed.stdout),
            ("stderr", ok.stderr + failed.stderr),
            ("logs", caplog.text),
        ]:
            assert secret not in text, f"a secret is in {where}"


# --- staging paths ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_spark_writes_the_staged_files_through_s3a_when_it_can(
    spark: SparkSession,
    rs_group: JobGroup,
    rs_connections: Path,
    redshift: RedshiftDouble,
    redshift_schema: str,
    s3_server: MotoS3,
    s3_bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    """S3A signs with the connection's staging keys (this JVM started before the fixtures put
    moto's fake credentials in the environment, so its default chain finds none)."""
    monkeypatch.setenv(PASSWORD_ENV, redshift.password)
    monkeypatch.setenv(KEY_ID_ENV, KEY_ID)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    connection = redshift_connection(redshift, s3_server, s3_bucket)
    connection["s3Staging"].update(accessKeyIdEnv=KEY_ID_ENV, secretAccessKeyEnv=SECRET_ENV)
    connections = tmp_path / "connections.json"
    connections.write_text(json.dumps({"connections": [connection]}))
    spark.conf.set(STAGING_WRITER_CONF, "auto")  # the session has hadoop-aws: Spark stages
    try:
        done = rs_publish(spark, rs_group, connections, redshift_schema, "o", "dropAndLoad", fmt)
    finally:
        spark.conf.unset(STAGING_WRITER_CONF)
    assert done.code == 0, done.stderr
    assert publish_job(rs_group)["staging"]["path"] == "spark-s3a"
    assert table_rows(redshift, f"{redshift_schema}.o") == expected_rows()
    assert_staging_clean(s3_server, s3_bucket)


def test_keep_staged_leaves_the_files_and_their_manifest(
    spark: SparkSession,
    rs_group: JobGroup,
    tmp_path: Path,
    redshift: RedshiftDouble,
    redshift_schema: str,
    s3_server: MotoS3,
    s3_bucket: str,
    staging_writer: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, redshift.password)
    connection = redshift_connection(redshift, s3_server, s3_bucket)
    connection["s3Staging"]["keepStaged"] = True
    connections = tmp_path / "connections.json"
    connections.write_text(json.dumps({"connections": [connection]}))
    done = rs_publish(
        spark, rs_group, connections, redshift_schema, "orders", "dropAndLoad", "json"
    )
    assert done.code == 0, done.stderr
    staging = publish_job(rs_group)["staging"]
    assert staging["kept"] is True
    keys = s3_server.keys(s3_bucket, "spark_jobs/staging")
    manifest_key = staging["manifest"].split("/", 3)[3]
    assert manifest_key in keys and len(keys) == staging["files"] + 1


# --- the CLI --------------------------------------------------------------------------------------


def test_the_cli_publishes_to_redshift(
    spark: SparkSession,
    rs_group: JobGroup,
    rs_connections: Path,
    redshift: RedshiftDouble,
    redshift_schema: str,
    tmp_path: Path,
    staging_writer: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "_publish_session_factory", lambda args: lambda connection: spark)
    body = tmp_path / "publish.json"
    body.write_text(
        json.dumps(
            {
                "connection": {"id": 2},
                "path": [redshift_schema],
                "table": "cli_orders",
                "action": "dropAndLoad",
                "inputFormat": "csv",
            }
        )
    )
    argv = ["publish", "--job-group", str(rs_group.id), "--body", str(body)]
    argv += ["--connections", str(rs_connections), "--job-store", str(rs_group.store)]
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["reason"] == "JobStarted"
    assert f"3 rows -> {redshift_schema}.cli_orders (dropAndLoad)" in err
    assert table_rows(redshift, f"{redshift_schema}.cli_orders") == expected_rows()


def test_bad_bodies_are_refused_before_anything_runs(
    spark: SparkSession, rs_group: JobGroup, rs_connections: Path, redshift_schema: str
) -> None:
    pqt = rs_publish(spark, rs_group, rs_connections, redshift_schema, "t", "load", "pqt")
    assert pqt.code == 2 and "from csv, json or avro results, not pqt" in pqt.stderr
    bad = rs_publish(
        spark, rs_group, rs_connections, redshift_schema, "t; DROP TABLE x", "load", "csv"
    )
    assert bad.code == 2 and "is not a valid Redshift table name" in bad.stderr
    missing = rs_publish(spark, rs_group, rs_connections, "no_such_schema", "t", "load", "csv")
    assert missing.code == 2 and "schema 'no_such_schema' does not exist" in missing.stderr
    absent = rs_publish(spark, rs_group, rs_connections, redshift_schema, "absent", "load", "json")
    assert absent.code == 2 and "does not exist (load needs it)" in absent.stderr


def test_results_already_in_s3_are_copied_from_where_the_job_wrote_them(
    spark: SparkSession,
    publish_home: Path,
    orders_parquet: Path,
    rs_connections: Path,
    redshift: RedshiftDouble,
    redshift_schema: str,
    s3_server: MotoS3,
    s3_bucket: str,
) -> None:
    """A job that wrote its csv to s3:// (S3A): the manifest lists the job's own objects, COPY
    reads them there, and only the manifest is removed afterwards."""
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
    output = {"path": f"s3://{s3_bucket}/results/orders", "action": "create", "format": "csv"}
    store = publish_home / f"s3_store_{redshift_schema}"
    code, group_id, err = run_job_group(
        spark, orders_parquet, publish_home / "s3_job", store, [{**output, "header": True}]
    )
    assert code == 0, err
    group = JobGroup(group_id, store, {})
    written = s3_server.keys(s3_bucket, "results/")
    done = rs_publish(spark, group, rs_connections, redshift_schema, "orders", "dropAndLoad", "csv")
    assert done.code == 0, done.stderr
    staging = publish_job(group)["staging"]
    assert staging["path"] == "s3-output"
    assert staging["files"] == len([k for k in written if not k.endswith("_SUCCESS")])
    assert table_rows(redshift, f"{redshift_schema}.orders") == expected_rows()
    assert s3_server.keys(s3_bucket, "results/") == written  # the job's output is kept
    assert_staging_clean(s3_server, s3_bucket)
