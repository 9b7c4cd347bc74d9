"""Import rules: file locations and connections rebound, in order; a rule must match."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from importer_helpers import example_package, wild

from spark_jobs.errors import FlowImportError
from spark_jobs.importer import import_flow, parse_rules
from spark_jobs.importer.package import Connection


def test_regex_and_text_rules_apply_in_order_with_groups() -> None:
    rules = parse_rules(
        [
            {
                "type": "fileLocation",
                "on": "/^gs:\\/\\/([^/]+)\\/.*\\/([^/]+)$/",
                "with": "file:///data/$1/$2",
            },
            {"type": "fileLocation", "on": ".csv", "with": ".txt"},
        ]
    )
    assert rules.location("gs://bucket/a/b/Dates.csv") == "file:///data/bucket/Dates.txt"
    assert rules.location("hdfs:///x/Dates.parquet") == "hdfs:///x/Dates.parquet"
    rules.check_all_used()


def test_case_insensitive_regex_flag() -> None:
    rules = parse_rules([{"type": "fileLocation", "on": "/DATES/i", "with": "days"}])
    assert rules.location("/x/dates.csv") == "/x/days.csv"


def test_connection_rules_match_by_name_id_or_regex() -> None:
    rules = parse_rules(
        [
            {
                "type": "connection",
                "on": "Azure SQL Database",
                "with": {
                    "uri": "jdbc:sqlserver://db",
                    "user": "etl",
                    "passwordEnv": "SQL_PASSWORD",
                },
            },
            {"type": "connection", "on": 24, "with": {"id": 2}},
            {"type": "connection", "on": "/^hive/i", "with": {"id": 1}},
        ]
    )
    assert rules.connection(Connection(1, "Azure SQL Database", "jdbc")) == {
        "uri": "jdbc:sqlserver://db",
        "user": "etl",
        "passwordEnv": "SQL_PASSWORD",
    }
    assert rules.connection(Connection(24, "postgres", "jdbc")) == {"id": 2}
    assert rules.connection(Connection(5, "Hive prod", "hive")) == {"id": 1}
    assert rules.connection(Connection(6, "other", "jdbc")) is None


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"type": "fileLocation"}, "a JSON list of rule objects"),
        ([{"type": "bucket", "on": "a", "with": "b"}], r"rules\[0\]: unknown rule type 'bucket'"),
        (
            [{"type": "fileLocation", "on": "/[/", "with": "b"}],
            r"rules\[0\]: bad regular expression",
        ),
        ([{"type": "fileLocation", "on": "a", "with": "b", "when": 1}], "unknown key 'when'"),
        (
            [{"type": "connection", "on": "x", "with": {"id": 1, "password": "s3cret"}}],
            "unknown key 'password'",
        ),
        ([{"type": "connection", "on": "x", "with": "jdbc:x"}], "with is an object with id"),
    ],
)
def test_bad_rules_are_named(rules: object, message: str) -> None:
    with pytest.raises(FlowImportError, match=message) as caught:
        parse_rules(rules)
    assert "s3cret" not in str(caught.value)


def test_rules_rebind_sources_and_outputs(tmp_path: Path) -> None:
    data = wild() / "packages/victorcouste+trifacta-flows-examples/Data"
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps(
            [
                {
                    "type": "fileLocation",
                    "on": "/^adl:\\/\\/\\/.*\\/([^/]+\\.csv)$/",
                    "with": data.as_uri() + "/$1",
                },
                {
                    "type": "fileLocation",
                    "on": "/^adl:\\/\\/[^/]+\\/trifacta\\//",
                    "with": tmp_path.as_uri() + "/",
                },
            ]
        )
    )
    package = wild() / "packages/victorcouste+trifacta-api-flows/fc013372d9/flows/flow_4.zip"
    result = import_flow(package, rules=str(rules))
    uris = sorted(d["uri"] for d in result.spec["flow"]["importedDatasets"])
    assert uris == [
        (data / "Advertising_Clickstream.csv").as_uri(),
        (data / "Sales_Data_small.csv").as_uri(),
    ]
    paths = [
        w["path"]
        for d in result.spec["flow"]["wrangledDatasets"]
        for w in d.get("writeSettings", [])
    ]
    assert paths and all(p.startswith(tmp_path.as_uri() + "/") for p in paths), paths


def test_an_unmatched_connection_rule_is_an_error() -> None:
    with pytest.raises(
        FlowImportError, match=r"import rule 0 \(connection, on: \"Nope\"\) matches nothing"
    ):
        import_flow(
            example_package("Get last day of month from a date"),
            rules=[{"type": "connection", "on": "Nope", "with": {"id": 1}}],
        )
