"""How each output format is written by Spark: writer options and the column shapes it can hold.

Writers do not transform data; the only changes here are the ones a format forces (CSV cannot hold
arrays, Avro names cannot hold spaces, JSON values given as JSON text), and they are reported back
so the result can say so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, BinaryType, MapType, StructType

from spark_jobs.spec.models import WriteSetting

#: Spark data source name of each API format
SPARK_FORMAT = {"csv": "csv", "json": "json", "avro": "avro", "pqt": "parquet", "delta": "delta"}
#: file extension Spark gives part files of each format (before a compression suffix)
PART_EXTENSION = {"csv": ".csv", "json": ".json", "avro": ".avro", "pqt": ".parquet"}

TIMESTAMP_FORMAT = "yyyy-MM-dd HH:mm:ss"
DATE_FORMAT = "yyyy-MM-dd"
#: how a JSON output writes values (Spark's JSON writer, and ``to_json`` for :func:`json_lines`)
JSON_VALUE_OPTIONS = {
    "ignoreNullFields": "false",
    "timestampFormat": TIMESTAMP_FORMAT,
    "timestampNTZFormat": TIMESTAMP_FORMAT,
    "dateFormat": DATE_FORMAT,
}

_AVRO_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class PreparedFrame:
    """A DataFrame shaped for one format, and what had to change for it."""

    df: DataFrame
    renamed_columns: dict[str, str] = field(default_factory=dict)
    json_encoded_columns: list[str] = field(default_factory=list)
    #: ``df`` is one text column of whole JSON lines (see :func:`json_lines`)
    json_lines: bool = False


def writer_options(setting: WriteSetting, *, header: bool | None = None) -> dict[str, str]:
    """Spark writer options for an output (``header`` may be forced off for single-file parts)."""
    fmt = setting.format
    options: dict[str, str] = {}
    if fmt == "csv":
        options.update(
            {
                "header": str(setting.header if header is None else header).lower(),
                "sep": ",",
                "quote": '"',
                # RFC 4180: a quote inside a quoted field is doubled, not backslash-escaped
                "escape": '"',
                "quoteAll": "false",
                "nullValue": "",
                "emptyValue": "",
                "lineSep": "\n",
                "timestampFormat": TIMESTAMP_FORMAT,
                "timestampNTZFormat": TIMESTAMP_FORMAT,
                "dateFormat": DATE_FORMAT,
                "ignoreLeadingWhiteSpace": "false",
                "ignoreTrailingWhiteSpace": "false",
            }
        )
    elif fmt == "json":
        options.update({**JSON_VALUE_OPTIONS, "lineSep": "\n"})
    if fmt in ("csv", "json"):
        options["compression"] = setting.compression
    elif fmt == "avro":
        # deflate is one of the two codecs every Avro reader must support (snappy is optional)
        options["compression"] = "deflate"
    return options


def _is_complex(dtype: object) -> bool:
    return isinstance(dtype, ArrayType | MapType | StructType)


def prepare_for_format(df: DataFrame, fmt: str, json_values: Sequence[str] = ()) -> PreparedFrame:
    """Shape ``df`` so that ``fmt`` can hold every column without losing values.

    ``json_values``: text columns holding JSON (arrays, objects) that a JSON output writes as
    the JSON value itself rather than as a string.
    """
    if fmt == "json" and json_values:
        return PreparedFrame(json_lines(df, json_values), json_lines=True)
    if fmt == "csv":
        columns: list[Column] = []
        encoded = []
        for f in df.schema.fields:
            if _is_complex(f.dataType):
                columns.append(F.to_json(F.col(f"`{f.name}`")).alias(f.name))
                encoded.append(f.name)
            elif isinstance(f.dataType, BinaryType):
                columns.append(F.base64(F.col(f"`{f.name}`")).alias(f.name))
                encoded.append(f.name)
            else:
                columns.append(F.col(f"`{f.name}`"))
        return PreparedFrame(df.select(*columns) if encoded else df, json_encoded_columns=encoded)
    if fmt == "avro":
        renamed = avro_safe_names([f.name for f in df.schema.fields])
        if renamed:
            df = df.select(*[F.col(f"`{n}`").alias(renamed.get(n, n)) for n in df.columns])
        return PreparedFrame(df, renamed_columns=renamed)
    return PreparedFrame(df)


def json_lines(df: DataFrame, json_values: Sequence[str]) -> DataFrame:
    """Each row as its JSON Lines text (one column ``value``), columns in their order.

    Spark's JSON writer can only write text as a JSON string, so a row whose columns hold JSON
    values is put together here: each run of ordinary columns is ``to_json`` of their struct
    (written exactly as the JSON writer writes them: same options), and each column of
    ``json_values`` (valid JSON text or null, which the caller guarantees) goes in as it is.
    """
    embedded = set(json_values)
    pieces: list[Column] = []
    plain: list[str] = []

    def flush() -> None:
        if plain:
            members = F.to_json(F.struct(*[_column(n) for n in plain]), JSON_VALUE_OPTIONS)
            pieces.append(members.substr(F.lit(2), F.length(members) - 2))
            plain.clear()

    for name in df.columns:
        if name in embedded:
            flush()
            key = json.dumps(name, ensure_ascii=False) + ":"
            pieces.append(F.concat(F.lit(key), F.coalesce(_column(name), F.lit("null"))))
        else:
            plain.append(name)
    flush()
    line = F.concat(F.lit("{"), F.concat_ws(",", *pieces), F.lit("}"))
    return df.select(line.alias("value"))


def _column(name: str) -> Column:
    return F.col("`" + name.replace("`", "``") + "`")


def avro_safe_names(names: list[str]) -> dict[str, str]:
    """Avro names must match ``[A-Za-z_][A-Za-z0-9_]*``: map each other name to a unique safe one."""
    taken = {n for n in names if _AVRO_NAME.match(n)}
    renamed: dict[str, str] = {}
    for name in names:
        if _AVRO_NAME.match(name):
            continue
        base = re.sub(r"[^A-Za-z0-9_]", "_", name) or "_"
        if not re.match(r"[A-Za-z_]", base):
            base = "_" + base
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        renamed[name] = candidate
    return renamed
