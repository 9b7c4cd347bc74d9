"""The Redshift double against the production driver (redshift_connector): start-up, COPY of
each format from moto's S3, compression, manifests, load errors, transactions, Redshift-isms."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import os
import subprocess
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import fastavro
import pytest
import redshift_connector

from tests.fixtures.redshift import COPY_ROLE, connect
from tests.fixtures.s3 import MotoS3
from tests.redshift_double import RedshiftDouble

pytestmark = pytest.mark.integration

FAILED = "Load into table 't' failed.  Check 'stl_load_errors' system table for details."


def put(s3: MotoS3, bucket: str, key: str, body: bytes | str) -> str:
    s3.client().put_object(
        Bucket=bucket, Key=key, Body=body.encode() if isinstance(body, str) else body
    )
    return f"s3://{bucket}/{key}"


def run(conn: Any, sql: str, params: tuple[Any, ...] | None = None) -> list[list[Any]]:
    cursor = conn.cursor()
    cursor.execute(sql, params)
    try:
        return [list(row) for row in cursor.fetchall()]
    except redshift_connector.ProgrammingError:
        return []  # no result set


def error_of(exc: pytest.ExceptionInfo[Exception]) -> dict[str, str]:
    return exc.value.args[0]  # type: ignore[no-any-return]


def load_errors(conn: Any) -> list[list[Any]]:
    """This session's last COPY's stl_load_errors rows (after the failed transaction ended)."""
    return run(
        conn,
        "select trim(filename), line_number, trim(colname), trim(type), trim(col_length),"
        " position, trim(raw_line), trim(raw_field_value), err_code, trim(err_reason)"
        " from stl_load_errors where query = pg_last_copy_id() order by line_number",
    )


# --- start-up and pass-through -------------------------------------------------------------


def test_driver_connects_with_redshift_startup_parameters_removed(
    redshift: RedshiftDouble, redshift_conn: Any
) -> None:
    assert run(redshift_conn, "select current_user, %s + 1", (41,)) == [["awsuser", 42]]
    removed = redshift.startups[-1].removed
    assert removed["client_protocol_version"] == "2"
    assert {"driver_version", "os_version"} <= set(removed)
    statuses = dict(redshift_conn.parameter_statuses)
    assert statuses[b"server_version"] == b"8.0.2"


def test_postgresql_errors_and_transactions_pass_through(
    redshift_conn: Any, redshift_schema: str
) -> None:
    with pytest.raises(redshift_connector.ProgrammingError) as exc:
        run(redshift_conn, f"select * from {redshift_schema}.missing")
    assert error_of(exc)["C"] == "42P01"
    redshift_conn.rollback()
    run(redshift_conn, f"create table {redshift_schema}.t (a int)")
    run(redshift_conn, f"insert into {redshift_schema}.t values (1), (2)")
    redshift_conn.commit()
    assert run(redshift_conn, f"select sum(a) from {redshift_schema}.t") == [[3]]


# --- COPY of each format -------------------------------------------------------------------


def test_copy_csv_with_delimiter_quote_header_and_nulls(
    redshift_conn: Any, redshift_schema: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    put(
        s3_server,
        s3_bucket,
        "in/part-0.csv",
        "id|name|note\n1|'al|ice'|\n2|'multi\nline'|   \n3|'it''s'|x\n",
    )
    put(s3_server, s3_bucket, "in/part-1.csv", "id|name|note\r\n4||y\r\n")
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (id int, name varchar(20), note varchar(5))")
    run(
        redshift_conn,
        f"copy {t} from 's3://{s3_bucket}/in/' iam_role '{COPY_ROLE}' format as csv"
        " delimiter '|' quote as '''' ignoreheader 1 emptyasnull blanksasnull"
        " statupdate off compupdate off",
    )
    assert run(redshift_conn, f"select * from {t} order by id") == [
        [1, "al|ice", None],
        [2, "multi\nline", None],
        [3, "it's", "x"],
        [4, None, "y"],
    ]
    assert run(redshift_conn, "select pg_last_copy_count()") == [[4]]


def test_copy_csv_keeps_empty_strings_without_emptyasnull(
    redshift_conn: Any, redshift_schema: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    source = put(s3_server, s3_bucket, "a.csv", '1,,\n2,"",""\n')
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (id int, s varchar(5), n int)")
    run(redshift_conn, f"copy {t} from '{source}' iam_role '{COPY_ROLE}' csv")
    # an empty field of a non-character type is NULL; of a VARCHAR, an empty string
    assert run(redshift_conn, f"select id, s, n from {t} order by id") == [
        [1, "", None],
        [2, "", None],
    ]


@pytest.mark.parametrize(("option", "compress"), [("gzip", gzip.compress), ("bzip2", bz2.compress)])
def test_copy_compressed_csv(
    redshift_conn: Any,
    redshift_schema: str,
    s3_server: MotoS3,
    s3_bucket: str,
    option: str,
    compress: Any,
) -> None:
    source = put(s3_server, s3_bucket, f"a.csv.{option}", compress(b"1,x\n2,y\n"))
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (id int, s varchar(5))")
    run(redshift_conn, f"copy {t} from '{source}' iam_role '{COPY_ROLE}' format as csv {option}")
    assert run(redshift_conn, f"select * from {t} order by id") == [[1, "x"], [2, "y"]]
    with pytest.raises(redshift_connector.ProgrammingError) as exc:
        run(redshift_conn, f"copy {t} from '{source}' iam_role '{COPY_ROLE}' format as csv")
    assert error_of(exc)["M"] == FAILED  # compressed bytes read as text: rejected rows


def test_copy_json_auto_and_auto_ignorecase(
    redshift_conn: Any, redshift_schema: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    body = (
        '{"id": 1, "name": "a", "tags": ["x", 1], "attrs": {"k": true}, "Amount": 1.50}\n'
        '{"id": 2,\n "name": null,\n "tags": [], "extra": 9}  {"id": 3, "attrs": "s"}'
    )
    source = put(s3_server, s3_bucket, "a.json", body)
    t = f"{redshift_schema}.t"
    run(
        redshift_conn,
        f"create table {t} (id int, name varchar(5), tags super, attrs varchar(40), amount decimal(5,2))",
    )
    run(redshift_conn, f"copy {t} from '{source}' iam_role '{COPY_ROLE}' format as json 'auto'")
    rows = run(redshift_conn, f"select id, name, tags::text, attrs, amount from {t} order by id")
    # 'auto' matches keys case-sensitively: "Amount" is not column amount
    assert rows == [
        [1, "a", '["x", 1]', '{"k":true}', None],
        [2, None, "[]", None, None],
        [3, None, None, "s", None],
    ]
    run(redshift_conn, f"delete from {t}")
    run(
        redshift_conn,
        f"copy {t} from '{source}' iam_role '{COPY_ROLE}' format as json 'auto ignorecase'",
    )
    assert run(redshift_conn, f"select amount from {t} where id = 1") == [[Decimal("1.50")]]


def _avro(records: list[dict[str, Any]]) -> bytes:
    schema = {
        "type": "record",
        "name": "row",
        "fields": [
            {"name": "ID", "type": "long"},
            {"name": "Name", "type": ["null", "string"]},
            {"name": "born", "type": {"type": "int", "logicalType": "date"}},
            {"name": "seen", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {
                "name": "price",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
            },
            {"name": "tags", "type": {"type": "array", "items": "string"}},
        ],
    }
    out = io.BytesIO()
    fastavro.writer(out, fastavro.parse_schema(schema), records)
    return out.getvalue()


def test_copy_avro_matches_fields_to_columns(
    redshift_conn: Any, redshift_schema: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    seen = datetime(2024, 5, 1, 10, 15, 30, 123456, tzinfo=timezone.utc)
    data = _avro(
        [
            {"ID": 1, "Name": "ann", "born": date(1990, 1, 2), "seen": seen,
             "price": Decimal("12.34"), "tags": ["a", "b"]},
            {"ID": 2, "Name": None, "born": date(2000, 2, 29), "seen": seen,
             "price": Decimal("0.50"), "tags": []},
        ]
    )  # fmt: skip
    source = put(s3_server, s3_bucket, "a.avro", data)
    t = f"{redshift_schema}.t"
    run(
        redshift_conn,
        f"create table {t} (id bigint, name varchar(10), born date, seen timestamp,"
        " price decimal(9,2), tags super)",
    )
    run(
        redshift_conn,
        f"copy {t} from '{source}' iam_role '{COPY_ROLE}' format as avro 'auto ignorecase'",
    )
    assert run(
        redshift_conn, f"select id, name, born, seen, price, tags::text from {t} order by id"
    ) == [
        [1, "ann", date(1990, 1, 2), seen.replace(tzinfo=None), Decimal("12.34"), '["a", "b"]'],
        [2, None, date(2000, 2, 29), seen.replace(tzinfo=None), Decimal("0.50"), "[]"],
    ]
    run(redshift_conn, f"delete from {t}")
    run(redshift_conn, f"copy {t} from '{source}' iam_role '{COPY_ROLE}' format as avro 'auto'")
    # 'auto' is case-sensitive: "ID" and "Name" match no column
    assert run(redshift_conn, f"select id, name, price from {t} order by price") == [
        [None, None, Decimal("0.50")],
        [None, None, Decimal("12.34")],
    ]


def test_copy_manifest_loads_exactly_the_listed_files(
    redshift_conn: Any, redshift_schema: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    a = put(s3_server, s3_bucket, "stage/a.csv", "1\n")
    b = put(s3_server, s3_bucket, "stage/b.csv", "2\n")
    put(s3_server, s3_bucket, "stage/c.csv", "3\n")  # not in the manifest
    entries = [
        {"url": a, "mandatory": True},
        {"url": b, "mandatory": True},
        {"url": f"s3://{s3_bucket}/stage/gone.csv", "mandatory": False},
    ]
    manifest = put(s3_server, s3_bucket, "stage.manifest", json.dumps({"entries": entries}))
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (id int)")
    run(
        redshift_conn,
        f"copy {t} from '{manifest}' iam_role '{COPY_ROLE}' region 'us-east-1' manifest csv",
    )
    assert run(redshift_conn, f"select id from {t} order by id") == [[1], [2]]
    entries[2]["mandatory"] = True
    put(s3_server, s3_bucket, "stage.manifest", json.dumps({"entries": entries}))
    with pytest.raises(redshift_connector.ProgrammingError) as exc:
        run(redshift_conn, f"copy {t} from '{manifest}' iam_role '{COPY_ROLE}' manifest csv")
    assert "The specified key does not exist" in error_of(exc)["M"]


def test_copy_time_and_date_formats(
    redshift_conn: Any, redshift_schema: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    source = put(
        s3_server,
        s3_bucket,
        "a.csv",
        "05/01/2024 10:15:30,01.05.2024,2024-05-01T10:15:30.5+02:00\n",
    )
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (ts timestamp, d date, tz timestamptz)")
    redshift_conn.commit()
    with pytest.raises(redshift_connector.ProgrammingError):
        run(redshift_conn, f"copy {t} from '{source}' iam_role '{COPY_ROLE}' csv")
    redshift_conn.rollback()
    assert load_errors(redshift_conn)[0][2:4] == ["ts", "timestamp"]
    # TIMEFORMAT also applies to the TIMESTAMPTZ column: 'auto' reads the ISO 8601 one there
    run(
        redshift_conn,
        f"copy {t} (ts, d) from '{put(s3_server, s3_bucket, 'b.csv', '05/01/2024 10:15:30,01.05.2024')}'"
        f" iam_role '{COPY_ROLE}' csv timeformat 'MM/DD/YYYY HH24:MI:SS' dateformat 'DD.MM.YYYY'",
    )
    run(
        redshift_conn,
        f"copy {t} (tz) from '{put(s3_server, s3_bucket, 'c.csv', '2024-05-01T10:15:30.5+02:00')}'"
        f" iam_role '{COPY_ROLE}' csv timeformat 'auto'",
    )
    assert run(redshift_conn, f"select ts, d from {t} where tz is null") == [
        [datetime(2024, 5, 1, 10, 15, 30), date(2024, 5, 1)]
    ]
    assert run(redshift_conn, f"select tz at time zone 'UTC' from {t} where tz is not null") == [
        [datetime(2024, 5, 1, 8, 15, 30, 500000)]
    ]


def test_truncatecolumns_and_acceptinvchars(
    redshift_conn: Any, redshift_schema: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    source = put(s3_server, s3_bucket, "a.csv", "1,h\xc3\xa9llo w\n2,b\xffd\n".encode("latin-1"))
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (id int, s varchar(5))")
    redshift_conn.commit()
    with pytest.raises(redshift_connector.ProgrammingError):
        run(redshift_conn, f"copy {t} from '{source}' iam_role '{COPY_ROLE}' csv truncatecolumns")
    redshift_conn.rollback()
    assert load_errors(redshift_conn)[0][8:] == [
        1220,
        "String contains invalid or unsupported UTF8 codepoints. Bad UTF8 hex sequence: ff (error 4)",
    ]
    run(
        redshift_conn,
        f"copy {t} from '{source}' iam_role '{COPY_ROLE}' csv truncatecolumns acceptinvchars as '^'",
    )
    # 'héllo w' is 8 bytes: cut to 5 bytes at a character boundary
    assert run(redshift_conn, f"select s from {t} order by id") == [["héll"], ["b^d"]]


# --- load errors and transactions ------------------------------------------------------------


def test_bad_row_is_recorded_and_the_target_is_untouched(
    redshift_conn: Any, redshift_schema: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (id int, name varchar(5))")
    run(redshift_conn, f"insert into {t} values (0, 'old')")
    redshift_conn.commit()
    source = put(s3_server, s3_bucket, "in/data.csv", "id,name\n1,ok\n2,toolong\n3,ok\n")
    with pytest.raises(redshift_connector.ProgrammingError) as exc:
        run(redshift_conn, f"copy {t} from '{source}' iam_role '{COPY_ROLE}' csv ignoreheader 1")
    assert error_of(exc)["M"] == FAILED
    assert error_of(exc)["C"] == "XX000"
    # like Redshift, the failed COPY aborted the transaction
    with pytest.raises(redshift_connector.ProgrammingError) as aborted:
        run(redshift_conn, "select 1")
    assert error_of(aborted)["C"] == "25P02"
    redshift_conn.rollback()
    assert run(redshift_conn, f"select * from {t}") == [[0, "old"]]
    assert load_errors(redshift_conn) == [
        [source, 3, "name", "varchar", "5", 2, "2,toolong", "toolong", 1204,
         "String length exceeds DDL length"],
    ]  # fmt: skip
    detail = run(
        redshift_conn,
        "select trim(file_name), line_number, trim(column_name), error_code, trim(error_message)"
        " from sys_load_error_detail where query_id = pg_last_copy_id()",
    )
    assert detail == [[source, 3, "name", 1204, "String length exceeds DDL length"]]


@pytest.mark.parametrize(
    ("line", "colname", "code", "reason"),
    [
        ("1", "name", 1214, "Delimiter not found"),
        ("1,a,b", "name", 1214, "Extra column(s) found"),
        ("x1,a", "id", 1207, "Invalid digit, Value 'x', Pos 0, Type: Integer"),
        ("99999999999,a", "id", 1204, "Overflow, Value '99999999999', Pos 0, Type: Integer"),
        ('1,"open', "", 1214, "Delimited value missing end quote"),
    ],
)
def test_each_kind_of_bad_row(
    redshift_conn: Any,
    redshift_schema: str,
    s3_server: MotoS3,
    s3_bucket: str,
    line: str,
    colname: str,
    code: int,
    reason: str,
) -> None:
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (id int, name varchar(5))")
    redshift_conn.commit()
    source = put(s3_server, s3_bucket, "a.csv", f"7,fine\n{line}\n")
    with pytest.raises(redshift_connector.ProgrammingError):
        run(redshift_conn, f"copy {t} from '{source}' iam_role '{COPY_ROLE}' csv")
    redshift_conn.rollback()
    [error] = load_errors(redshift_conn)
    assert (error[1], error[2], error[8], error[9]) == (2, colname, code, reason)


def test_json_error_reports_the_objects_last_line(
    redshift_conn: Any, redshift_schema: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (id int, name varchar(3))")
    redshift_conn.commit()
    source = put(s3_server, s3_bucket, "a.json", '{"id": 1}\n{"id": 2,\n "name": "long"\n}\n')
    with pytest.raises(redshift_connector.ProgrammingError):
        run(redshift_conn, f"copy {t} from '{source}' iam_role '{COPY_ROLE}' json 'auto'")
    redshift_conn.rollback()
    [error] = load_errors(redshift_conn)
    assert error[1:3] == [4, "name"]


def test_maxerror_loads_the_good_rows_and_records_the_bad(
    redshift_conn: Any, redshift_schema: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (id int)")
    source = put(s3_server, s3_bucket, "a.csv", "1\nx\n3\n")
    run(redshift_conn, f"copy {t} from '{source}' iam_role '{COPY_ROLE}' csv maxerror 1")
    assert run(redshift_conn, f"select id from {t} order by id") == [[1], [3]]
    assert [e[1] for e in load_errors(redshift_conn)] == [2]
    messages = [n[b"M"].decode() for n in redshift_conn.notices]
    assert any("1 record(s) could not be loaded" in m for m in messages)


def test_copy_in_a_rolled_back_transaction_leaves_nothing_and_is_invisible_meanwhile(
    redshift: RedshiftDouble,
    redshift_conn: Any,
    redshift_schema: str,
    s3_server: MotoS3,
    s3_bucket: str,
) -> None:
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (id int)")
    redshift_conn.commit()
    source = put(s3_server, s3_bucket, "a.csv", "1\n2\n")
    run(redshift_conn, f"copy {t} from '{source}' iam_role '{COPY_ROLE}' csv")
    reader = connect(redshift)
    try:
        assert run(reader, f"select count(*) from {t}") == [[0]]
        redshift_conn.rollback()
        assert run(reader, f"select count(*) from {t}") == [[0]]
    finally:
        reader.close()
    assert run(redshift_conn, f"select count(*) from {t}") == [[0]]


def test_copy_in_autocommit_mode_is_atomic_on_its_own(
    redshift: RedshiftDouble,
    redshift_conn: Any,
    redshift_schema: str,
    s3_server: MotoS3,
    s3_bucket: str,
) -> None:
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (id int)")
    redshift_conn.commit()
    redshift_conn.autocommit = True
    good = put(s3_server, s3_bucket, "good.csv", "1\n2\n")
    bad = put(s3_server, s3_bucket, "bad.csv", "3\nx\n")
    run(redshift_conn, f"copy {t} from '{good}' iam_role '{COPY_ROLE}' csv")
    with pytest.raises(redshift_connector.ProgrammingError) as exc:
        run(redshift_conn, f"copy {t} from '{bad}' iam_role '{COPY_ROLE}' csv")
    assert error_of(exc)["M"] == FAILED
    assert run(redshift_conn, "select 1") == [[1]]  # no transaction left aborted
    reader = connect(redshift)
    try:
        assert run(reader, f"select id from {t} order by id") == [[1], [2]]
    finally:
        reader.close()


def test_truncate_commits_the_open_transaction_as_on_redshift(
    redshift_conn: Any, redshift_schema: str
) -> None:
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (id int)")
    run(redshift_conn, f"insert into {t} values (1)")
    redshift_conn.commit()
    run(redshift_conn, f"insert into {t} values (2)")
    run(redshift_conn, f"truncate {t}")
    redshift_conn.rollback()  # too late: TRUNCATE committed
    assert run(redshift_conn, f"select count(*) from {t}") == [[0]]


# --- authorization, region, refused options --------------------------------------------------


def test_authorization_and_region_are_checked(
    redshift_conn: Any, redshift_schema: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    t = f"{redshift_schema}.t"
    run(redshift_conn, f"create table {t} (id int)")
    redshift_conn.commit()
    source = put(s3_server, s3_bucket, "a.csv", "1\n")
    other_role = "arn:aws:iam::123456789012:role/not-attached"
    with pytest.raises(redshift_connector.ProgrammingError) as exc:
        run(redshift_conn, f"copy {t} from '{source}' iam_role '{other_role}' csv")
    assert "is not authorized to assume IAM Role" in error_of(exc)["M"]
    redshift_conn.rollback()
    with pytest.raises(redshift_connector.ProgrammingError) as exc:
        run(
            redshift_conn, f"copy {t} from '{source}' iam_role '{COPY_ROLE}' region 'eu-west-1' csv"
        )
    assert "PermanentRedirect" in error_of(exc)["M"]
    redshift_conn.rollback()
    keys = "aws_access_key_id=AKIAEXAMPLE;aws_secret_access_key=example-secret"
    run(redshift_conn, f"copy {t} from '{source}' credentials '{keys}' csv")
    assert run(redshift_conn, f"select id from {t}") == [[1]]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ("csv escape", "ESCAPE is not implemented"),
        ("format as parquet", "PARQUET is not implemented"),
        ("delimiter '|'", "pipe-delimited text format is not implemented"),
        ("csv frobnicate", 'syntax error at or near "frobnicate"'),
    ],
)
def test_options_the_double_does_not_implement_are_refused(
    redshift_conn: Any, redshift_schema: str, s3_bucket: str, options: str, words: str
) -> None:
    run(redshift_conn, f"create table {redshift_schema}.t (id int)")
    with pytest.raises(redshift_connector.ProgrammingError) as exc:
        run(
            redshift_conn,
            f"copy {redshift_schema}.t from 's3://{s3_bucket}/x' iam_role '{COPY_ROLE}' {options}",
        )
    assert words in error_of(exc)["M"]


def test_simple_query_protocol_with_psql(
    redshift: RedshiftDouble, redshift_schema: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    source = put(s3_server, s3_bucket, "a.csv", "1\n2\n")
    t = f"{redshift_schema}.t"
    env = {**os.environ, "PGPASSWORD": redshift.password, "PGSSLMODE": "disable"}
    script = f"create table {t} (id int); select 1;"
    argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", redshift.host, "-p",
            str(redshift.port), "-U", redshift.user, "-d", redshift.database, "-At"]  # fmt: skip
    subprocess.run([*argv, "-c", script], env=env, check=True, capture_output=True, text=True)
    done = subprocess.run(
        [*argv, "-c", f"copy {t} from '{source}' iam_role '{COPY_ROLE}' csv", "-c",
         f"select sum(id) from {t}", "-c", "select pg_last_copy_count()"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.split() == ["3", "2"]
    assert "2 record(s) loaded successfully" in done.stderr


def test_pipelined_extended_protocol_with_pg8000(
    redshift: RedshiftDouble, redshift_schema: str, s3_server: MotoS3, s3_bucket: str
) -> None:
    """pg8000 sends Parse, Bind, Describe, Execute and Sync in one go (unnamed statement and
    portal): the proxy's own replies must come in that order, errors included."""
    import pg8000.native

    source = put(s3_server, s3_bucket, "a.csv", "1\n2\n")
    conn = pg8000.native.Connection(
        user=redshift.user,
        password=redshift.password,
        host=redshift.host,
        port=redshift.port,
        database=redshift.database,
        ssl_context=False,
    )
    try:
        t = f"{redshift_schema}.t"
        conn.run(f"create table {t} (id int)")
        conn.run(f"copy {t} from '{source}' iam_role '{COPY_ROLE}' csv")
        assert conn.run(f"select sum(id) from {t} where id > :n", n=0) == [[3]]
        with pytest.raises(pg8000.native.DatabaseError) as exc:
            conn.run(f"copy {t} from '{source}' iam_role '{COPY_ROLE}' format as json")
        assert exc.value.args[0]["M"] == FAILED
        assert conn.run("select pg_last_copy_count()") == [[0]]
    finally:
        conn.close()
