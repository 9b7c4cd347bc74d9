"""Bad input to `spark-jobs publish`: exit 2, one clear paragraph on stderr, nothing changed.

Through ``spark_jobs.cli.main`` (the console script), with the shared session standing in for the
one the CLI would start."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from publish_helpers import JobGroup, run_job_group
from pyspark.sql import SparkSession

from spark_jobs import cli


@pytest.fixture(autouse=True)
def shared_session(monkeypatch: pytest.MonkeyPatch, spark: SparkSession) -> None:
    monkeypatch.setattr(cli, "_publish_session_factory", lambda args: lambda connection: spark)


def main(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    group_id: int,
    store: Path,
    connections: Path,
    body: Any,
) -> tuple[int, str, str]:
    path = tmp_path / "publish.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    argv = ["publish", "--job-group", str(group_id), "--body", str(path)]
    argv += ["--connections", str(connections), "--job-store", str(store)]
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def body(**changes: Any) -> dict[str, Any]:
    document = {
        "connection": {"id": 1},
        "path": ["default"],
        "table": "orders_published",
        "action": "createAndLoad",
        "inputFormat": "pqt",
    }
    document.update(changes)
    return document


def assert_invalid(code: int, out: str, err: str, *expected: str) -> None:
    assert code == 2, err
    assert out == ""  # no response: nothing started
    assert err.startswith("error: ") and "Traceback" not in err
    for text in expected:
        assert text in err, err


def test_an_unknown_connection(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, job_group: JobGroup, connections_file: Path
) -> None:
    result = main(
        capsys,
        tmp_path,
        job_group.id,
        job_group.store,
        connections_file,
        body(connection={"id": 9}),
    )
    assert_invalid(
        *result,
        "invalid publish body: 1 problem",
        f'$.connection.id: no connection with id 9 in {connections_file} (known: 1 (hive, "test hive"))',
    )


def test_a_job_group_not_in_the_job_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, job_group: JobGroup, connections_file: Path
) -> None:
    result = main(capsys, tmp_path, 999, job_group.store, connections_file, body())
    assert_invalid(*result, f"job group 999 not found in the job store {job_group.store}")


def test_a_failed_job_group(
    spark: SparkSession,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    publish_home: Path,
    orders_parquet: Path,
    connections_file: Path,
) -> None:
    blocker = publish_home / "failed" / "not_a_dir"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the output's parent directory should be")
    output = {"path": str(blocker / "orders_pqt"), "action": "create", "format": "pqt"}
    code, group_id, _ = run_job_group(
        spark, orders_parquet, publish_home / "failed" / "job", publish_home / "store", [output]
    )
    assert code == 1 and group_id > 0

    result = main(capsys, tmp_path, group_id, publish_home / "store", connections_file, body())
    assert_invalid(
        *result,
        f"job group {group_id} cannot be published: its filewriter job",
        "is Failed: output 0 (pqt to",
        "Only a job group whose jobs completed can be published",
    )


def test_a_missing_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, job_group: JobGroup, connections_file: Path
) -> None:
    result = main(
        capsys, tmp_path, job_group.id, job_group.store, connections_file, body(path=["sales"])
    )
    assert_invalid(
        *result,
        "database 'sales' does not exist in the Hive metastore of connection 1 (hive",
        "(databases: default)",
        "CREATE DATABASE sales",
    )


def test_a_format_the_job_did_not_write(
    spark: SparkSession,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    publish_home: Path,
    orders_parquet: Path,
    connections_file: Path,
) -> None:
    csv = publish_home / "csv_only" / "orders.csv"
    output = {
        "path": str(csv),
        "action": "create",
        "format": "csv",
        "header": True,
        "asSingleFile": True,
    }
    code, group_id, err = run_job_group(
        spark, orders_parquet, publish_home / "csv_only" / "job", publish_home / "store", [output]
    )
    assert code == 0, err

    result = main(capsys, tmp_path, group_id, publish_home / "store", connections_file, body())
    assert_invalid(
        *result,
        f"job group {group_id} wrote no pqt output, so there is nothing to publish to Hive",
        f"(it wrote: csv ({csv.as_uri()}))",
        "never converted",
    )


def test_a_format_hive_cannot_load(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, job_group: JobGroup, connections_file: Path
) -> None:
    result = main(
        capsys, tmp_path, job_group.id, job_group.store, connections_file, body(inputFormat="csv")
    )
    assert_invalid(
        *result, "$.inputFormat: a Hive table is loaded from avro or pqt results, not csv"
    )


def test_an_injection_attempt_in_the_table_name_changes_nothing(
    spark: SparkSession,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    job_group: JobGroup,
    connections_file: Path,
    table_name: str,
) -> None:
    spark.sql(f"CREATE TABLE default.{table_name} (x INT) STORED AS PARQUET")
    for name in (f"x; DROP TABLE default.{table_name}", f"x` (a INT); DROP TABLE {table_name}; --"):
        result = main(
            capsys,
            tmp_path,
            job_group.id,
            job_group.store,
            connections_file,
            body(table=name, action="dropAndLoad"),
        )
        assert_invalid(*result, f"$.table: {name!r} is not a valid Hive table name")
    assert spark.catalog.tableExists(f"default.{table_name}")


def test_a_malformed_body(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, job_group: JobGroup, connections_file: Path
) -> None:
    result = main(
        capsys,
        tmp_path,
        job_group.id,
        job_group.store,
        connections_file,
        '{"connection": {"id": 1},',
    )
    assert_invalid(*result, "invalid publish body: 1 problem", "$: malformed JSON at line 1")

    broken = body(action="upsert", extra=True)
    del broken["table"]
    result = main(capsys, tmp_path, job_group.id, job_group.store, connections_file, broken)
    assert_invalid(
        *result,
        "invalid publish body: 3 problems",
        "$: missing required field 'table'",
        "$: unknown field 'extra'",
        "$.action: 'upsert' is not allowed: expected 'create', 'load', 'createAndLoad', 'truncateAndLoad' or 'dropAndLoad'",
    )


def test_a_connections_file_with_an_inline_password(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, job_group: JobGroup
) -> None:
    connections = tmp_path / "connections.json"
    connections.write_text(
        json.dumps({"connections": [{"id": 1, "type": "hive", "password": "pw"}]})
    )
    result = main(capsys, tmp_path, job_group.id, job_group.store, connections, body())
    assert_invalid(
        *result,
        "invalid connections file",
        "$.connections[0].password: inline secrets are not allowed",
    )


def test_loading_a_table_whose_schema_differs_lists_every_difference(
    spark: SparkSession,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    job_group: JobGroup,
    connections_file: Path,
    table_name: str,
) -> None:
    spark.sql(
        f"CREATE TABLE default.{table_name} (order_id INT, region STRING, amount DOUBLE, ok BOOLEAN, "
        "day DATE, ts TIMESTAMP, note STRING) STORED AS PARQUET"
    )
    for action in ("load", "truncateAndLoad"):
        result = main(
            capsys,
            tmp_path,
            job_group.id,
            job_group.store,
            connections_file,
            body(table=table_name, action=action),
        )
        assert_invalid(
            *result,
            f"do not match the schema of table default.{table_name} (action {action} keeps the table's schema)",
            "  - missing column note (STRING): in the table, not in the results",
            "  - type mismatch in column order_id: the results have BIGINT, the table INT",
            "  - extra column price (DECIMAL(10,2)): in the results, not in the table",
        )
    assert spark.table(f"default.{table_name}").count() == 0


def test_loading_a_missing_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, job_group: JobGroup, connections_file: Path
) -> None:
    result = main(
        capsys,
        tmp_path,
        job_group.id,
        job_group.store,
        connections_file,
        body(table="no_such_table", action="load"),
    )
    assert_invalid(
        *result, "table default.no_such_table does not exist, so action load cannot append to it"
    )


def test_a_flow_node_that_is_not_the_job_groups_recipe(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, job_group: JobGroup, connections_file: Path
) -> None:
    result = main(
        capsys, tmp_path, job_group.id, job_group.store, connections_file, body(flowNodeId=27)
    )
    assert_invalid(
        *result, "flowNodeId 27 is not the recipe job group", "wrangled dataset 7 (orders_clean)"
    )


def test_results_changed_since_the_job_wrote_them(
    spark: SparkSession,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    publish_home: Path,
    orders_parquet: Path,
    connections_file: Path,
) -> None:
    output = publish_home / "changed" / "orders_pqt"
    setting = {"path": str(output), "action": "create", "format": "pqt"}
    code, group_id, err = run_job_group(
        spark, orders_parquet, publish_home / "changed" / "job", publish_home / "store", [setting]
    )
    assert code == 0, err
    part = next(p for p in output.iterdir() if p.name.endswith(".parquet"))
    store = publish_home / "store"

    part.write_bytes(b"\0" * part.stat().st_size)  # same size, unreadable
    result = main(capsys, tmp_path, group_id, store, connections_file, body())
    assert_invalid(
        *result, f"the pqt output of job group {group_id} ({output.as_uri()}) cannot be read"
    )

    part.unlink()
    result = main(capsys, tmp_path, group_id, store, connections_file, body())
    assert_invalid(*result, "changed since the job wrote it", "is gone; run the job group again")


def test_a_job_group_id_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["publish", "--job-group", "0", "--body", "x.json"])
    assert caught.value.code == 2
    assert "a job group id is a positive number, not 0" in capsys.readouterr().err
