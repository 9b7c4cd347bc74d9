"""The publish body and the connections file: accepted verbatim, every problem with its JSON path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spark_jobs.errors import PublishError, SpecError
from spark_jobs.publish.command import load_publish_request
from spark_jobs.spec.connections import (
    HiveConnection,
    RedshiftConnection,
    load_connections,
    secret_from_env,
)
from spark_jobs.spec.publish import load_publish_body

REPO = Path(__file__).resolve().parents[2]

#: the Hive example of the API page, verbatim
API_HIVE_BODY = {
    "connection": {"id": 1},
    "path": ["default"],
    "table": "test_table",
    "action": "create",
    "inputFormat": "pqt",
    "flowNodeId": 27,
}
HIVE_ONLY = {"connections": [{"id": 1, "type": "hive"}]}
REDSHIFT = {
    "id": 2,
    "type": "redshift",
    "host": "example.redshift.amazonaws.com",
    "database": "dev",
    "user": "etl",
    "passwordEnv": "REDSHIFT_PASSWORD",
    "iamRole": "arn:aws:iam::123456789012:role/copy",
    "s3Staging": {"bucket": "staging-bucket", "prefix": "spark_jobs", "region": "us-east-1"},
}


def paths(exc: SpecError) -> list[str]:
    return [p.path for p in exc.problems]


def test_the_api_example_body_is_accepted_verbatim() -> None:
    body = load_publish_body(API_HIVE_BODY)
    assert body.connection.id == 1 and body.path == ["default"] and body.table == "test_table"
    assert body.action == "create" and body.inputFormat == "pqt" and body.flowNodeId == 27


def test_flow_node_id_is_optional_as_in_the_redshift_example() -> None:
    body = dict(API_HIVE_BODY)
    del body["flowNodeId"]
    assert load_publish_body(body).flowNodeId is None


def test_every_problem_of_a_body_is_reported_at_once_with_its_path() -> None:
    document = {
        "connection": {"id": "one"},
        "path": "default",
        "action": "append",
        "inputFormat": "orc",
        "tabel": "x",
    }
    with pytest.raises(SpecError) as caught:
        load_publish_body(document)
    message = caught.value.message
    assert message.startswith("invalid publish body: 6 problems")
    assert paths(caught.value) == [
        "$",  # missing table
        "$",  # unknown field tabel
        "$.action",
        "$.connection.id",
        "$.inputFormat",
        "$.path",
    ]
    assert "missing required field 'table'" in message and "unknown field 'tabel'" in message
    assert "'create', 'load', 'createAndLoad', 'truncateAndLoad' or 'dropAndLoad'" in message


def test_a_malformed_body_file_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "publish.json"
    path.write_text('{"connection": {"id": 1},\n "path": [default]}')
    with pytest.raises(SpecError, match=r"malformed JSON at line 2, column 11"):
        load_publish_body(path)


def test_the_shipped_connections_file_has_the_embedded_hive_connection() -> None:
    connections = load_connections(REPO / "conf" / "connections.json")
    hive = connections.get(1)
    assert isinstance(hive, HiveConnection) and hive.embedded and hive.metastoreDir is None


def test_a_redshift_connection_is_modelled_with_secrets_by_reference() -> None:
    connections = load_connections({"connections": [{"id": 1, "type": "hive"}, REDSHIFT]})
    redshift = connections.get(2)
    assert isinstance(redshift, RedshiftConnection)
    assert redshift.port == 5439 and redshift.passwordEnv == "REDSHIFT_PASSWORD"
    assert redshift.s3Staging.bucket == "staging-bucket" and redshift.s3Staging.keepStaged is False
    assert connections.describe() == "1 (hive), 2 (redshift)"


def test_inline_secrets_are_refused_wherever_they_are() -> None:
    redshift: dict[str, Any] = {**REDSHIFT, "password": "hunter2"}
    del redshift["passwordEnv"]
    redshift["s3Staging"] = {**REDSHIFT["s3Staging"], "secretAccessKey": "abc"}
    with pytest.raises(SpecError) as caught:
        load_connections({"connections": [redshift]})
    problems = {p.path: p.message for p in caught.value.problems}
    assert "give passwordEnv" in problems["$.connections[0].password"]
    assert "give secretAccessKeyEnv" in problems["$.connections[0].s3Staging.secretAccessKey"]
    # the secret itself is never repeated in a message
    assert "hunter2" not in caught.value.message and "abc" not in caught.value.message


def test_connection_problems_are_reported_together() -> None:
    document = {
        "connections": [
            {"id": 1, "type": "hive", "metastoreUri": "thrift://h:9083", "metastoreDir": "/m"},
            {"id": 1, "type": "mysql"},
            {**REDSHIFT, "id": 3, "iam": True},
            {"id": 4, "type": "hive", "port": 1},
            {**REDSHIFT, "id": 5, "s3Staging": {"bucket": "b", "accessKeyIdEnv": "K"}},
        ]
    }
    with pytest.raises(SpecError) as caught:
        load_connections(document)
    problems = {(p.path, p.message.split(":")[0]) for p in caught.value.problems}
    assert (
        "$.connections[0]",
        "give metastoreUri (a remote metastore) or metastoreDir (an embedded one), not both",
    ) in problems
    assert ("$.connections[1].type", "unknown connection type 'mysql' (known") in problems
    assert ("$.connections[2]", "give exactly one way to authenticate") in problems
    assert (
        "$.connections[4].s3Staging",
        "give both accessKeyIdEnv and secretAccessKeyEnv, or neither (default AWS credentials)",
    ) in problems
    assert ("$.connections[3]", "unknown field 'port'") in problems


def test_secret_from_env_names_the_variable_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    connection = load_connections({"connections": [REDSHIFT]}).get(2)
    assert connection is not None
    monkeypatch.delenv("REDSHIFT_PASSWORD", raising=False)
    with pytest.raises(PublishError, match="REDSHIFT_PASSWORD, which is not set"):
        secret_from_env("REDSHIFT_PASSWORD", connection=connection, field="passwordEnv")
    monkeypatch.setenv("REDSHIFT_PASSWORD", "s3cret")
    assert (
        secret_from_env("REDSHIFT_PASSWORD", connection=connection, field="passwordEnv") == "s3cret"
    )


def test_hive_rules_join_the_body_problems() -> None:
    document = {
        "connection": {"id": 1},
        "path": ["default", "extra"],
        "table": "orders; DROP TABLE customers",
        "action": "load",
        "inputFormat": "csv",
        "color": "red",
    }
    with pytest.raises(SpecError) as caught:
        load_publish_request(31, document, HIVE_ONLY)
    problems = {p.path: p.message for p in caught.value.problems}
    assert set(problems) == {"$", "$.inputFormat", "$.path", "$.table"}
    assert problems["$.table"].startswith(
        "'orders; DROP TABLE customers' is not a valid Hive table name"
    )
    assert "avro or pqt" in problems["$.inputFormat"]
    assert "one database name" in problems["$.path"]


def test_an_unknown_connection_is_a_body_problem_naming_the_known_ones(tmp_path: Path) -> None:
    connections = tmp_path / "connections.json"
    connections.write_text(json.dumps(HIVE_ONLY))
    with pytest.raises(SpecError) as caught:
        load_publish_request(31, {**API_HIVE_BODY, "connection": {"id": 9}}, connections)
    assert caught.value.problems[0].path == "$.connection.id"
    assert f"no connection with id 9 in {connections} (known: 1 (hive))" in caught.value.message


def test_a_new_tables_name_must_leave_room_for_the_timestamp() -> None:
    long_name = "t" * 120
    with pytest.raises(SpecError, match="timestamp suffix"):
        load_publish_request(31, {**API_HIVE_BODY, "table": long_name}, HIVE_ONLY)
    # the same name is fine where no suffix is added
    request = load_publish_request(
        31, {**API_HIVE_BODY, "table": long_name, "action": "load"}, HIVE_ONLY
    )
    assert request.body.table == long_name
