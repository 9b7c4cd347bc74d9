"""Redshift SQL as pure functions: CREATE TABLE, the staging table, and COPY with its options.

Every statement is rendered twice when it carries a secret: the one sent to Redshift, and a
masked one for logs and the publish job's record (``CREDENTIALS``/keys as ``'***'``, the IAM
role's account id as ``************``). Values that go into string literals are checked rather
than escaped: Redshift reads a backslash in a literal as an escape and PostgreSQL does not, so no
escaping is right for both; a quote, backslash or control character in a path, role or key is
refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from spark_jobs.errors import PublishError
from spark_jobs.publish.redshift.names import RedshiftTable, quote_ident
from spark_jobs.publish.redshift.types import RedshiftColumn

CopyFormat = Literal["csv", "json", "avro"]
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
MASK = "***"
#: delimiters a COPY may name, and how they are spelled in the statement
_DELIMITERS = {",": ",", "|": "|", ";": ";", "\t": "\\t", "^": "^", "~": "~"}


def literal(value: str, *, what: str) -> str:
    """``'value'``, quotes doubled (the same on Redshift and PostgreSQL); a backslash or a
    control character is refused: no escaping of those is right on both."""
    if "\\" in value or any(ord(c) < 32 for c in value):
        raise PublishError(f"{what} must not contain backslashes or control characters")
    return "'" + value.replace("'", "''") + "'"


def mask_role(arn: str) -> str:
    """The role ARN with its account id hidden: ``arn:aws:iam::************:role/copy``."""
    return re.sub(r"(:iam::)\d{12}(:)", r"\1************\2", arn)


@dataclass(frozen=True)
class AwsKeys:
    """Access keys COPY signs its S3 requests with (instead of an IAM role)."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        values = (self.access_key_id, self.secret_access_key, self.session_token)
        return tuple(v for v in values if v)


@dataclass(frozen=True)
class CopyOptions:
    """Everything a COPY from S3 can say, checked once (one typed object, not 30 parameters).

    Exactly one of ``iam_role`` and ``keys`` authorizes the read. ``manifest`` means the source
    is a manifest listing exactly the staged files (what the stager writes). CSV options
    (``delimiter``, ``quote``, ``ignore_header``, ``null_as``) are refused with json/avro, as
    Redshift refuses them. Times: ``'auto'`` reads ISO 8601 with or without offset, what Spark
    writes.
    """

    format: CopyFormat
    iam_role: str | None = None
    keys: AwsKeys | None = None
    region: str | None = None
    manifest: bool = True
    delimiter: str = ","
    quote: str = '"'
    ignore_header: int = 0
    null_as: str | None = None
    ignore_case: bool = True  # json/avro: 'auto ignorecase' (Redshift's names are lower case)
    compression: Literal["gzip", "bzip2"] | None = None
    timeformat: str | None = "auto"
    dateformat: str | None = "auto"
    empty_as_null: bool = False
    blanks_as_null: bool = False
    accept_inv_chars: str | None = None
    max_error: int = 0
    truncate_columns: bool = False
    statupdate: bool | None = False
    compupdate: bool | None = False

    def __post_init__(self) -> None:
        problems = []
        if (self.iam_role is None) == (self.keys is None):
            problems.append("give exactly one of iam_role and keys")
        if self.iam_role is not None and not _ROLE_ARN.match(self.iam_role):
            problems.append(f"iam_role {mask_role(self.iam_role)!r} is not an IAM role ARN")
        if self.format != "csv":
            defaults = CopyOptions.__dataclass_fields__
            for name in ("delimiter", "quote", "ignore_header", "null_as"):
                if getattr(self, name) != defaults[name].default:
                    problems.append(f"{name} is for csv only, not {self.format}")
        if self.delimiter not in _DELIMITERS:
            problems.append(f"delimiter {self.delimiter!r}: use one of {sorted(_DELIMITERS)}")
        if len(self.quote) != 1 or self.quote in "\\" or not self.quote.isprintable():
            problems.append("quote must be one printable character other than a backslash")
        if self.accept_inv_chars is not None and (
            len(self.accept_inv_chars) != 1 or not self.accept_inv_chars.isascii()
        ):
            problems.append("accept_inv_chars is one ASCII character")
        if self.max_error < 0 or self.ignore_header < 0:
            problems.append("max_error and ignore_header are not negative")
        if problems:
            raise PublishError("invalid COPY options: " + "; ".join(problems))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never be logged or put in a message."""
        return self.keys.secrets if self.keys else ()


def create_table_sql(table: RedshiftTable, columns: Sequence[RedshiftColumn]) -> str:
    return f"CREATE TABLE {table.sql} ({', '.join(c.sql for c in columns)})"


def create_staging_sql(stage: RedshiftTable, like: RedshiftTable) -> str:
    """A table shaped like the target (columns, types, NOT NULLs), for rows to be swapped in."""
    return f"CREATE TABLE {stage.sql} (LIKE {like.sql})"


def column_list(columns: Sequence[str]) -> str:
    return ", ".join(quote_ident(c) for c in columns)


def copy_sql(
    table: RedshiftTable,
    columns: Sequence[str] | None,
    source: str,
    options: CopyOptions,
    *,
    masked: bool = False,
) -> str:
    """``COPY table (columns) FROM 's3://...' <auth> <format> <options>``.

    ``source`` is the manifest's URL (``options.manifest``) or an object or prefix URL.
    ``masked`` renders the statement for logs: no secret in it.
    """
    if not source.startswith("s3://"):
        raise PublishError(f"a COPY source is an s3:// URL, not {source!r}")
    parts = [f"COPY {table.sql}"]
    if columns:
        parts.append(f"({column_list(columns)})")
    parts.append(f"FROM {literal(source, what='the COPY source')}")
    if options.iam_role is not None:
        role = mask_role(options.iam_role) if masked else options.iam_role
        parts.append(f"IAM_ROLE {literal(role, what='the IAM role')}")
    elif options.keys is not None:
        keys = options.keys
        shown = (lambda v: f"'{MASK}'") if masked else (lambda v: literal(v, what="an AWS key"))
        parts.append(f"ACCESS_KEY_ID {shown(keys.access_key_id)}")
        parts.append(f"SECRET_ACCESS_KEY {shown(keys.secret_access_key)}")
        if keys.session_token:
            parts.append(f"SESSION_TOKEN {shown(keys.session_token)}")
    if options.region:
        parts.append(f"REGION {literal(options.region, what='the region')}")
    if options.manifest:
        parts.append("MANIFEST")
    if options.format == "csv":
        parts.append("FORMAT AS CSV")
        if options.quote != '"':
            parts.append(f"QUOTE AS {literal(options.quote, what='the quote')}")
        parts.append(f"DELIMITER AS '{_DELIMITERS[options.delimiter]}'")
        if options.ignore_header:
            parts.append(f"IGNOREHEADER {options.ignore_header}")
        if options.null_as is not None:
            parts.append(f"NULL AS {literal(options.null_as, what='NULL AS')}")
    else:
        argument = "auto ignorecase" if options.ignore_case else "auto"
        parts.append(f"FORMAT AS {options.format.upper()} '{argument}'")
    if options.compression:
        parts.append(options.compression.upper())
    if options.timeformat:
        parts.append(f"TIMEFORMAT {literal(options.timeformat, what='TIMEFORMAT')}")
    if options.dateformat:
        parts.append(f"DATEFORMAT {literal(options.dateformat, what='DATEFORMAT')}")
    if options.empty_as_null:
        parts.append("EMPTYASNULL")
    if options.blanks_as_null:
        parts.append("BLANKSASNULL")
    if options.accept_inv_chars is not None:
        parts.append(
            f"ACCEPTINVCHARS AS {literal(options.accept_inv_chars, what='ACCEPTINVCHARS')}"
        )
    if options.truncate_columns:
        parts.append("TRUNCATECOLUMNS")
    parts.append(f"MAXERROR {options.max_error}")
    if options.statupdate is not None:
        parts.append(f"STATUPDATE {'ON' if options.statupdate else 'OFF'}")
    if options.compupdate is not None:
        parts.append(f"COMPUPDATE {'ON' if options.compupdate else 'OFF'}")
    return " ".join(parts)


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret replaced by ``***`` and IAM role account ids hidden."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return mask_role_ids(text)


def mask_role_ids(text: str) -> str:
    return re.sub(r"(arn:aws[a-z-]*:iam::)\d{12}(:)", r"\1************\2", text)


DEPENDENT_VIEWS_SQL = """SELECT DISTINCT vn.nspname, v.relname
FROM pg_class t
JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_depend d ON d.refobjid = t.oid AND d.refclassid = 'pg_class'::regclass
JOIN pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
JOIN pg_class v ON v.oid = r.ev_class
JOIN pg_namespace vn ON vn.oid = v.relnamespace
WHERE tn.nspname = %s AND t.relname = %s AND v.oid <> t.oid
ORDER BY 1, 2"""
"""Views bound to a table (late-binding views, WITH NO SCHEMA BINDING, are not: they do not
block a DROP). Works on Redshift and PostgreSQL alike; parameters: schema, table."""

TABLE_COLUMNS_SQL = """SELECT a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s AND c.relkind = 'r' AND a.attnum > 0
  AND NOT a.attisdropped
ORDER BY a.attnum"""
"""A table's columns in order, with their types; no rows when the table does not exist."""
