"""The Redshift publisher's pure parts, as strings: names, types, COPY and DDL, action plans."""

from __future__ import annotations

import re

import pytest
from pyspark.sql import types as T

from spark_jobs.errors import PublishError
from spark_jobs.publish.redshift import (
    AwsKeys,
    CopyOptions,
    RedshiftColumn,
    RedshiftTable,
    TargetState,
    check_columns,
    copy_sql,
    create_table_sql,
    plan_action,
    quote_ident,
    redact,
    redshift_columns,
    resolve_table,
    schema_problems,
)
from spark_jobs.publish.redshift.plans import normalize_type

ROLE = "arn:aws:iam::123456789012:role/copy-role"
KEYS = AwsKeys("AKIAKEYSHOWNNOWHERE1", "s3cr3t/With+Chars", "tok-en-value")
TABLE = RedshiftTable("sales", "orders")
MANIFEST = "s3://bucket/stage/run1/manifest.json"


def flat(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "table", "expected"),
    [
        (["public"], "Orders", "public.orders"),
        (["Sales"], "orders", "sales.orders"),
        (None, "orders", "public.orders"),
        (["public"], "MySchema.MyTable", "myschema.mytable"),
        (["myschema"], "MySchema.MyTable", "myschema.mytable"),
    ],
)
def test_target_table_from_path_and_table(
    path: list[str] | None, table: str, expected: str
) -> None:
    assert str(resolve_table(path, table)) == expected


@pytest.mark.parametrize(
    ("path", "table", "words"),
    [
        (["public"], "orders; DROP TABLE x", "is not a valid Redshift table name"),
        (["public"], 'ord"ers', "is not a valid Redshift table name"),
        (["pub lic"], "orders", "is not a valid Redshift schema name"),
        (["other"], "MySchema.MyTable", "names schema 'MySchema' but path names schema 'other'"),
        (["public"], "a.b.c", "is not a valid Redshift table name"),
        (["public"], "t" * 128, "is 128 characters long (at most 127)"),
    ],
)
def test_names_that_could_inject_sql_or_break_limits_are_refused(
    path: list[str], table: str, words: str
) -> None:
    with pytest.raises(PublishError, match=re.escape(words)):
        resolve_table(path, table)


def test_a_127_character_table_name_is_accepted() -> None:
    assert resolve_table(["public"], "t" * 127).name == "t" * 127


def test_identifiers_are_folded_and_quoted() -> None:
    assert quote_ident("Order ID") == '"order id"'
    assert TABLE.sql == '"sales"."orders"'
    with pytest.raises(PublishError):
        quote_ident('a"b')


def test_column_names_redshift_cannot_hold() -> None:
    problems = check_columns(["ok name", "é" * 64, 'say "hi"', "tab\there", "Id", "ID", ""])
    assert problems == [
        f"column {'é' * 64!r} is 128 bytes long (Redshift allows 127)",
        "column 'say \"hi\"' holds a double quote, which a Redshift name cannot",
        "column 'tab\\there' holds a control character",
        "an empty column name",
        "columns 'Id', 'ID' are the same name in Redshift, which folds names to lower case",
    ]


# --- types -------------------------------------------------------------------------------------

ALL_TYPES = T.StructType(
    [
        T.StructField("s", T.StringType()),
        T.StructField("b", T.BooleanType()),
        T.StructField("i8", T.ByteType()),
        T.StructField("i16", T.ShortType()),
        T.StructField("i32", T.IntegerType()),
        T.StructField("i64", T.LongType()),
        T.StructField("f", T.FloatType()),
        T.StructField("d", T.DoubleType()),
        T.StructField("dec", T.DecimalType(38, 10)),
        T.StructField("day", T.DateType()),
        T.StructField("ts", T.TimestampType()),
        T.StructField("ntz", T.TimestampNTZType()),
        T.StructField("arr", T.ArrayType(T.IntegerType())),
        T.StructField("m", T.MapType(T.StringType(), T.IntegerType())),
        T.StructField("st", T.StructType([T.StructField("x", T.IntegerType())])),
    ]
)


def test_spark_types_map_to_redshift_types() -> None:
    columns = redshift_columns(ALL_TYPES, {"s": 300})
    assert [c.type for c in columns] == [
        "VARCHAR(300)",
        "BOOLEAN",
        "SMALLINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "REAL",
        "DOUBLE PRECISION",
        "DECIMAL(38,10)",
        "DATE",
        "TIMESTAMPTZ",
        "TIMESTAMP",
        "SUPER",
        "SUPER",
        "SUPER",
    ]


def test_strings_are_sized_in_bytes_within_redshifts_limit() -> None:
    schema = T.StructType([T.StructField(n, T.StringType()) for n in ("a", "b", "c")])
    columns = redshift_columns(schema, {"a": 65535, "b": 0, "c": None})
    assert [c.type for c in columns] == ["VARCHAR(65535)", "VARCHAR(1)", "VARCHAR(1)"]
    with pytest.raises(PublishError, match="65536 bytes; a Redshift VARCHAR holds at most 65535"):
        redshift_columns(schema, {"a": 65536, "b": 1, "c": 1})
    with pytest.raises(PublishError, match="'c': the longest value's byte length was not measured"):
        redshift_columns(schema, {"a": 1, "b": 1})


def test_nested_types_as_json_text() -> None:
    schema = T.StructType([T.StructField("arr", T.ArrayType(T.StringType()))])
    assert redshift_columns(schema, {"arr": 40}, nested_as="varchar")[0].type == "VARCHAR(40)"


def test_every_unpublishable_column_is_reported_at_once() -> None:
    schema = T.StructType(
        [
            T.StructField("bin", T.BinaryType()),
            T.StructField("Dup", T.IntegerType()),
            T.StructField("dup", T.IntegerType()),
        ]
    )
    with pytest.raises(PublishError) as exc:
        redshift_columns(schema, {})
    assert exc.value.message.splitlines() == [
        "the results cannot be a Redshift table:",
        "  - columns 'Dup', 'dup' are the same name in Redshift, which folds names to lower case",
        "  - column 'bin' has Spark type binary, which Redshift cannot load from csv, json or "
        "avro (convert it to a string in the recipe)",
    ]


# --- DDL and COPY ------------------------------------------------------------------------------


def test_create_table() -> None:
    columns = [RedshiftColumn("Order ID", "BIGINT"), RedshiftColumn("note", "VARCHAR(12)")]
    assert create_table_sql(TABLE, columns) == (
        'CREATE TABLE "sales"."orders" ("order id" BIGINT, "note" VARCHAR(12))'
    )


def test_copy_csv_with_every_option() -> None:
    options = CopyOptions(
        format="csv",
        iam_role=ROLE,
        region="eu-west-1",
        delimiter="\t",
        quote="'",
        ignore_header=1,
        null_as="NULL",
        compression="gzip",
        timeformat="YYYY-MM-DD HH24:MI:SS",
        dateformat="auto",
        empty_as_null=True,
        blanks_as_null=True,
        accept_inv_chars="?",
        max_error=5,
        truncate_columns=True,
    )
    assert flat(copy_sql(TABLE, ["Id", "note"], MANIFEST, options)) == flat(
        f"""COPY "sales"."orders" ("id", "note") FROM '{MANIFEST}'
        IAM_ROLE '{ROLE}' REGION 'eu-west-1' MANIFEST FORMAT AS CSV QUOTE AS '''' """
        r"""DELIMITER AS '\t' IGNOREHEADER 1 NULL AS 'NULL' GZIP
        TIMEFORMAT 'YYYY-MM-DD HH24:MI:SS' DATEFORMAT 'auto' EMPTYASNULL BLANKSASNULL
        ACCEPTINVCHARS AS '?' TRUNCATECOLUMNS MAXERROR 5 STATUPDATE OFF COMPUPDATE OFF"""
    )


@pytest.mark.parametrize(
    ("fmt", "clause"), [("json", "FORMAT AS JSON"), ("avro", "FORMAT AS AVRO")]
)
def test_copy_json_and_avro_match_columns_by_name_ignoring_case(fmt: str, clause: str) -> None:
    options = CopyOptions(
        format=fmt,  # type: ignore[arg-type]
        iam_role=ROLE,
        compression="bzip2",
        statupdate=None,
        compupdate=None,
    )
    assert flat(copy_sql(TABLE, None, MANIFEST, options)) == (
        f"COPY \"sales\".\"orders\" FROM '{MANIFEST}' IAM_ROLE '{ROLE}' MANIFEST "
        f"{clause} 'auto ignorecase' BZIP2 TIMEFORMAT 'auto' DATEFORMAT 'auto' MAXERROR 0"
    )


def test_masked_copy_hides_keys_and_the_roles_account() -> None:
    with_keys = CopyOptions(format="csv", keys=KEYS, manifest=False)
    sql = copy_sql(TABLE, None, "s3://bucket/data.csv", with_keys)
    masked = copy_sql(TABLE, None, "s3://bucket/data.csv", with_keys, masked=True)
    assert "ACCESS_KEY_ID 'AKIAKEYSHOWNNOWHERE1' SECRET_ACCESS_KEY 's3cr3t/With+Chars'" in sql
    assert "ACCESS_KEY_ID '***' SECRET_ACCESS_KEY '***' SESSION_TOKEN '***'" in masked
    for secret in KEYS.secrets:
        assert secret not in masked
        assert secret not in repr(with_keys)
    role_masked = copy_sql(
        TABLE, None, MANIFEST, CopyOptions(format="csv", iam_role=ROLE), masked=True
    )
    assert "IAM_ROLE 'arn:aws:iam::************:role/copy-role'" in role_masked
    assert "123456789012" not in role_masked


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"format": "csv"}, "give exactly one of iam_role and keys"),
        (
            {"format": "csv", "iam_role": ROLE, "keys": KEYS},
            "give exactly one of iam_role and keys",
        ),
        ({"format": "csv", "iam_role": "arn:aws:iam::1:user/x"}, "is not an IAM role ARN"),
        (
            {"format": "json", "iam_role": ROLE, "delimiter": "|"},
            "delimiter is for csv only, not json",
        ),
        ({"format": "avro", "iam_role": ROLE, "ignore_header": 1}, "ignore_header is for csv only"),
        ({"format": "csv", "iam_role": ROLE, "delimiter": "ab"}, "delimiter 'ab': use one of"),
        ({"format": "csv", "iam_role": ROLE, "quote": "\\"}, "quote must be one printable"),
        ({"format": "csv", "iam_role": ROLE, "max_error": -1}, "max_error and ignore_header"),
    ],
)
def test_copy_options_are_checked(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(PublishError, match=re.escape(words)):
        CopyOptions(**kwargs)  # type: ignore[arg-type]


def test_quotes_are_doubled_and_backslashes_refused() -> None:
    options = CopyOptions(format="csv", iam_role=ROLE)
    assert "FROM 's3://bucket/it''s.csv'" in copy_sql(TABLE, None, "s3://bucket/it's.csv", options)
    with pytest.raises(PublishError, match="the COPY source must not contain backslashes"):
        copy_sql(TABLE, None, "s3://bucket/a\\b.csv", options)
    with pytest.raises(PublishError, match="an AWS key must not contain backslashes"):
        copy_sql(TABLE, None, MANIFEST, CopyOptions(format="csv", keys=AwsKeys("a\\b", "c")))
    with pytest.raises(PublishError, match="a COPY source is an s3:// URL"):
        copy_sql(TABLE, None, "/local/file.csv", options)


def test_redact_removes_secrets_and_account_ids() -> None:
    text = f"denied for {KEYS.secret_access_key} assuming {ROLE}"
    assert (
        redact(text, KEYS.secrets)
        == "denied for *** assuming arn:aws:iam::************:role/copy-role"
    )


# --- action plans ------------------------------------------------------------------------------

COLUMNS = [RedshiftColumn("id", "BIGINT"), RedshiftColumn("Name", "VARCHAR(10)")]
OPTIONS = CopyOptions(format="csv", iam_role=ROLE)
EXISTING = TargetState(exists=True, columns=(("id", "bigint"), ("name", "character varying(20)")))
COPY = (
    f"FROM '{MANIFEST}' IAM_ROLE '{ROLE}' MANIFEST FORMAT AS CSV DELIMITER AS ',' "
    "TIMEFORMAT 'auto' DATEFORMAT 'auto' MAXERROR 0 STATUPDATE OFF COMPUPDATE OFF"
)


def plan(action: str, state: TargetState) -> list[tuple[str, str]]:
    built = plan_action(
        action, TABLE, COLUMNS, source=MANIFEST, options=OPTIONS, state=state, token="abc123"
    )
    return [(s.name, flat(s.sql)) for s in built.steps]


def test_create_and_create_and_load() -> None:
    create = 'CREATE TABLE "sales"."orders" ("id" BIGINT, "name" VARCHAR(10))'
    assert plan("create", TargetState(exists=False)) == [("create_table", create)]
    assert plan("createAndLoad", TargetState(exists=False)) == [
        ("create_table", create),
        ("copy", f'COPY "sales"."orders" ("id", "name") {COPY}'),
    ]


def test_load_appends_with_a_column_list() -> None:
    assert plan("load", EXISTING) == [("copy", f'COPY "sales"."orders" ("id", "name") {COPY}')]


def test_truncate_and_load_replaces_rows_without_truncate() -> None:
    stage = '"sales"."sj_staging_abc123_orders"'
    assert plan("truncateAndLoad", EXISTING) == [
        ("create_staging", f'CREATE TABLE {stage} (LIKE "sales"."orders")'),
        ("copy_staging", f'COPY {stage} ("id", "name") {COPY}'),
        ("delete_target", 'DELETE FROM "sales"."orders"'),
        (
            "insert_from_staging",
            f'INSERT INTO "sales"."orders" ("id", "name") SELECT "id", "name" FROM {stage}',
        ),
        ("drop_staging", f"DROP TABLE {stage}"),
    ]


def test_drop_and_load_swaps_by_rename() -> None:
    new = '"sales"."sj_new_abc123_orders"'
    assert plan("dropAndLoad", EXISTING) == [
        ("create_new", f'CREATE TABLE {new} ("id" BIGINT, "name" VARCHAR(10))'),
        ("copy_new", f'COPY {new} ("id", "name") {COPY}'),
        (
            "rename_target_aside",
            'ALTER TABLE "sales"."orders" RENAME TO "sj_previous_abc123_orders"',
        ),
        ("rename_new_into_place", f'ALTER TABLE {new} RENAME TO "orders"'),
        ("drop_previous", 'DROP TABLE "sales"."sj_previous_abc123_orders"'),
    ]
    assert [name for name, _ in plan("dropAndLoad", TargetState(exists=False))] == [
        "create_table",
        "copy",
    ]


def test_plans_refuse_what_the_target_does_not_allow() -> None:
    with pytest.raises(PublishError, match=r"table sales\.orders already exists"):
        plan("createAndLoad", EXISTING)
    with pytest.raises(PublishError, match=r"table sales\.orders does not exist \(load needs it\)"):
        plan("load", TargetState(exists=False))
    views = TargetState(
        exists=True, columns=EXISTING.columns, dependent_views=("sales.v1", "bi.v2")
    )
    with pytest.raises(PublishError) as exc:
        plan("dropAndLoad", views)
    assert "views depend on it (sales.v1, bi.v2)" in exc.value.message
    assert "Use truncateAndLoad" in exc.value.message
    narrow = TargetState(
        exists=True, columns=(("id", "integer"), ("name", "character varying(5)"), ("x", "date"))
    )
    with pytest.raises(PublishError) as exc:
        plan("truncateAndLoad", narrow)
    assert exc.value.message.splitlines()[1:] == [
        "  - type mismatch in column id: the results need BIGINT, the table has INTEGER",
        "  - type mismatch in column name: the results need VARCHAR(10), the table has VARCHAR(5)",
        "  - missing column x (DATE): in the table, not in the results",
    ]


def test_catalog_types_are_normalized() -> None:
    assert [
        normalize_type(t)
        for t in (
            "character varying(3)",
            "numeric(10,2)",
            "timestamp with time zone",
            "super",
            "text",
        )
    ] == ["VARCHAR(3)", "DECIMAL(10,2)", "TIMESTAMPTZ", "SUPER", "VARCHAR(256)"]
    assert schema_problems(COLUMNS, EXISTING.columns) == []


def test_logged_sql_has_no_secret() -> None:
    built = plan_action(
        "truncateAndLoad",
        TABLE,
        COLUMNS,
        source=MANIFEST,
        options=CopyOptions(format="csv", keys=KEYS),
        state=EXISTING,
        token="t1",
    )
    logged = "\n".join(built.logged_sql)
    assert "SECRET_ACCESS_KEY '***'" in logged
    assert all(secret not in logged for secret in KEYS.secrets)
    assert all(secret in "\n".join(s.sql for s in built.steps) for secret in KEYS.secrets)
