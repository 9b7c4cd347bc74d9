"""Delta Lake outputs (``format: "delta"``): one Delta transaction per output, at commit time.

A Delta write is atomic by itself: readers see the table's previous version until the new
commit file (``_delta_log/<version>.json``) is in place, and the previous versions stay readable
by time travel (``versionAsOf``) until someone runs ``VACUUM``. So a Delta output is not written
into a staging directory and renamed like the file formats; it is *checked* while the other
outputs are staged (jar, target, schema) and *written* in the committer's commit phase, before the
file outputs are moved into place, so a Delta output is only ever written when every output of
the job group could be staged.

* ``create``     a new table at the path, or at ``<path>_<jobGroupId>`` when the path is taken
                 (the naming rule of every output, :func:`spark_jobs.io.commit.parallel_path`)
* ``append``     a new version of the table adding the rows (the table is created if missing)
* ``overwrite``  a new version replacing every row (and the schema); the old rows stay
                 readable with ``versionAsOf``

Every commit carries ``userMetadata`` naming the job group and output, which is how the version
this run wrote is found again even when other writers commit to the same table meanwhile. The
result records it as ``outputs[i].deltaVersion``, and ``files`` lists the data files that version
added (read from its commit file).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from spark_jobs.errors import MissingJarError, OutputError, first_line
from spark_jobs.io.fs import FileInfo, FileSystem, filesystem_for, join
from spark_jobs.session import DELTA_CONF, JVM_EXTRA_CLASSES, has_jvm_class, spark_line

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType, StructType

log = logging.getLogger(__name__)

DELTA_LOG_DIR = "_delta_log"
#: the delta-spark release that goes with each Spark line (conf/jars/pom.xml pins the same ones)
DELTA_RELEASES: dict[str, tuple[str, str]] = {
    "4.0": ("2.13", "4.0.1"),
    "3.5": ("2.12", "3.3.3"),
}
#: what Delta refuses in column names without column mapping (Parquet's own restriction)
INVALID_NAME_CHARACTERS = " ,;{}()\n\t="
#: column mapping by name, and the legacy protocol versions it needs (reader 2, writer 5): what
#: Delta documents for names with those characters ("Delta column mapping")
COLUMN_MAPPING_MODE = "delta.columnMapping.mode"
COLUMN_MAPPING_PROTOCOL = {"delta.minReaderVersion": 2, "delta.minWriterVersion": 5}
#: how many recent commits are searched for the one this run wrote
HISTORY_SEARCH_DEPTH = 200


def delta_coordinate(line: str | None = None) -> str:
    """The Maven coordinate of the delta-spark jar for a Spark line: ``io.delta:delta-spark_2.13:4.0.1``."""
    line = line or spark_line()
    scala, version = DELTA_RELEASES.get(line, ("2.13", "4.0.1"))
    return f"io.delta:delta-spark_{scala}:{version}"


def delta_support_problem(jar_present: bool, conf: Mapping[str, str | None]) -> str | None:
    """Why a session with this classpath and configuration cannot write Delta, or None.

    ``conf`` holds the session's ``spark.sql.extensions`` and ``spark.sql.catalog.spark_catalog``
    (both static: they must be set before the session starts).
    """
    if not jar_present:
        return (
            f"delta output needs the delta-spark jar ({delta_coordinate()}, class "
            f"{JVM_EXTRA_CLASSES['delta-spark']}) on Spark's classpath: run `make jars` for local "
            f"sessions, or pass it to spark-submit (--packages {delta_coordinate()} or --jars)"
        )
    extension = DELTA_CONF["spark.sql.extensions"]
    extensions = [e.strip() for e in (conf.get("spark.sql.extensions") or "").split(",")]
    if extension not in extensions:
        settings = ", ".join(f"{k}={v}" for k, v in DELTA_CONF.items())
        return (
            "delta output needs the Delta SQL extension: the delta-spark jar is on the classpath "
            f"but the session was started without it; start Spark with {settings}"
        )
    return None


def session_delta_conf(spark: SparkSession) -> dict[str, str | None]:
    """The session's settings that :func:`delta_support_problem` looks at."""
    return {key: spark.conf.get(key, None) for key in DELTA_CONF}


def require_delta(spark: SparkSession) -> None:
    """Raise MissingJarError (exit 2) naming the jar or setting when Delta cannot be written."""
    cached = getattr(spark, "_spark_jobs_delta_problem", "unknown")
    if cached == "unknown":
        present = has_jvm_class(spark, JVM_EXTRA_CLASSES["delta-spark"])
        cached = delta_support_problem(present, session_delta_conf(spark))
        spark._spark_jobs_delta_problem = cached  # type: ignore[attr-defined]
    if cached is not None:
        raise MissingJarError(cached)


def delta_library_version(spark: SparkSession) -> str | None:
    """The delta-spark release on the session's classpath (``4.0.1``), or None without it."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    try:
        return str(getattr(getattr(jvm.io.delta, "package$"), "MODULE$").VERSION())
    except Exception:
        return None


def is_delta_table(fs: FileSystem, path: str) -> bool:
    return fs.is_dir(join(path, DELTA_LOG_DIR))


def sql_path(path: str) -> str:
    """``delta.`path``` with the path's backticks doubled (for DESCRIBE HISTORY, RESTORE)."""
    return "delta.`" + path.replace("`", "``") + "`"


def commit_file(path: str, version: int) -> str:
    return join(path, DELTA_LOG_DIR, f"{version:020d}.json")


def current_version(spark: SparkSession, path: str) -> int | None:
    """The table's latest version, or None when there is no Delta table at ``path``."""
    if not is_delta_table(filesystem_for(path, spark), path):
        return None
    row = spark.sql(f"DESCRIBE HISTORY {sql_path(path)} LIMIT 1").select("version").first()
    return None if row is None else int(row[0])


def schema_problems(table: StructType, frame: StructType) -> list[str]:
    """Why rows of schema ``frame`` cannot be appended to a Delta table of schema ``table``.

    Delta matches column names ignoring case; a column the table lacks, or one of another type,
    is refused (a column the results lack is left empty, as Delta does).
    """
    columns = {f.name.lower(): f for f in table.fields}
    problems = []
    for f in frame.fields:
        existing = columns.get(f.name.lower())
        if existing is None:
            problems.append(f"column {f.name} ({f.dataType.simpleString()}) is not in the table")
        elif existing.dataType.simpleString() != f.dataType.simpleString():
            problems.append(
                f"column {f.name} is {f.dataType.simpleString()} in the results, "
                f"{existing.dataType.simpleString()} in the table"
            )
    return problems


def special_names(schema: StructType) -> list[str]:
    """The column (and nested field) names Delta accepts only with column mapping."""
    return [n for n in _all_names(schema) if any(c in INVALID_NAME_CHARACTERS for c in n)]


def _all_names(dtype: DataType) -> list[str]:
    from pyspark.sql.types import ArrayType, MapType, StructType

    if isinstance(dtype, StructType):
        out = []
        for f in dtype.fields:
            out += [f.name, *_all_names(f.dataType)]
        return out
    if isinstance(dtype, ArrayType):
        return _all_names(dtype.elementType)
    if isinstance(dtype, MapType):
        return _all_names(dtype.keyType) + _all_names(dtype.valueType)
    return []


def needs_column_mapping(schema: StructType) -> bool:
    return bool(special_names(schema))


def column_mapping_properties(
    protocol: tuple[int, int] | None = None,
) -> dict[str, str]:
    """The table properties that turn on column mapping by name.

    ``protocol``: the table's current (minReaderVersion, minWriterVersion); only versions below
    what column mapping needs are raised (Delta never lowers a protocol, and a table on table
    features, writer version 7, gets the columnMapping feature from the mode alone).
    """
    properties = {COLUMN_MAPPING_MODE: "name"}
    current = dict(zip(COLUMN_MAPPING_PROTOCOL, protocol or (0, 0), strict=True))
    for key, needed in COLUMN_MAPPING_PROTOCOL.items():
        if current[key] < needed:
            properties[key] = str(needed)
    return properties


def table_detail(spark: SparkSession, path: str) -> tuple[tuple[int, int], dict[str, str]]:
    """A Delta table's (minReaderVersion, minWriterVersion) and table properties."""
    row = spark.sql(f"DESCRIBE DETAIL {sql_path(path)}").first()
    assert row is not None
    protocol = (int(row["minReaderVersion"]), int(row["minWriterVersion"]))
    return protocol, dict(row["properties"] or {})


def check_target(spark: SparkSession, df: DataFrame, path: str, action: str, index: int) -> None:
    """Before anything is written: can ``action`` write ``df`` to ``path``? Raises OutputError.

    Column names with a space or any of ``,;{}()\\n\\t=`` are fine: the table gets column
    mapping (see :func:`write`).
    """
    fs = filesystem_for(path, spark)
    if action == "create" or not fs.exists(path):
        return
    if not is_delta_table(fs, path):
        raise OutputError(
            f"output {index} (delta to {path}): the path exists and is not a Delta table (it has "
            f"no {DELTA_LOG_DIR}); action {action} needs a Delta table there: use action create "
            "(which writes beside it) or another path"
        )
    if action == "append":
        table_schema = spark.read.format("delta").load(path).schema
        problems = schema_problems(table_schema, df.schema)
        if problems:
            raise OutputError(
                f"output {index} (delta to {path}): the results cannot be appended to the table "
                "(action append keeps the table's schema; use overwrite to replace it):\n"
                + "\n".join(f"  - {p}" for p in problems)
            )


@dataclass
class DeltaCommit:
    """One Delta transaction of a job group: which version it wrote and what it added."""

    path: str
    version: int
    #: the version before this run's write; None when this run created the table
    previous_version: int | None
    files: list[FileInfo] = field(default_factory=list)


def commit_tag(job_group_id: int, index: int) -> str:
    """The commit's ``userMetadata``: names the job group and output, unique per write."""
    return f"spark_jobs jobGroup={job_group_id} output={index} write={uuid.uuid4().hex}"


def write(spark: SparkSession, df: DataFrame, path: str, action: str, *, tag: str) -> DeltaCommit:
    """One Delta transaction: ``create`` (a new table), ``append`` or ``overwrite``.

    When a column name needs column mapping (:data:`INVALID_NAME_CHARACTERS`), a new table is
    created with it (``delta.columnMapping.mode=name``, protocol reader 2 / writer 5), and an
    overwrite of a table without it is a ``CREATE OR REPLACE`` that turns it on, still one new
    version (the old ones stay readable). Tables with plain names are left as they are.
    """
    require_delta(spark)
    previous = None if action == "create" else current_version(spark, path)
    mapping = needs_column_mapping(df.schema)
    if mapping and action == "overwrite" and previous is not None:
        protocol, properties = table_detail(spark, path)
        if properties.get(COLUMN_MAPPING_MODE, "none") == "none":
            _replace_with_column_mapping(df, path, tag, protocol)
            return _commit(spark, path, tag, previous)
    mode = {"create": "errorifexists", "append": "append", "overwrite": "overwrite"}[action]
    writer = df.write.format("delta").mode(mode).option("userMetadata", tag)
    if action == "overwrite":
        writer = writer.option("overwriteSchema", "true")
    if mapping and previous is None:  # a new table (an existing one has it: same names)
        for key, value in column_mapping_properties().items():
            writer = writer.option(key, value)
    writer.save(path)
    return _commit(spark, path, tag, previous)


def _commit(spark: SparkSession, path: str, tag: str, previous: int | None) -> DeltaCommit:
    """The commit this run just wrote to ``path`` (found by its tag)."""
    version = find_version(spark, path, tag)
    return DeltaCommit(
        path=path,
        version=version,
        previous_version=previous,
        files=added_files(filesystem_for(path, spark), path, version),
    )


def _replace_with_column_mapping(
    df: DataFrame, path: str, tag: str, protocol: tuple[int, int]
) -> None:
    """Overwrite a table without column mapping by rows that need it: one new version
    (``CREATE OR REPLACE TABLE ... AS SELECT``) that also turns column mapping on."""
    writer = df.writeTo(sql_path(path)).using("delta").option("userMetadata", tag)
    for key, value in column_mapping_properties(protocol).items():
        writer = writer.tableProperty(key, value)
    writer.createOrReplace()


def find_version(spark: SparkSession, path: str, tag: str) -> int:
    """The version whose commit carries ``tag`` as its userMetadata."""
    history = spark.sql(f"DESCRIBE HISTORY {sql_path(path)} LIMIT {HISTORY_SEARCH_DEPTH}")
    rows = history.where(history.userMetadata == tag).select("version").collect()
    if not rows:
        raise OutputError(
            f"the Delta table at {path} was written, but none of its last "
            f"{HISTORY_SEARCH_DEPTH} commits is this run's ({tag})"
        )
    return int(rows[0][0])


def log_actions(fs: FileSystem, path: str, version: int) -> list[dict[str, object]]:
    """The actions of one commit file (one JSON object per line)."""
    text = fs.read_bytes(commit_file(path, version)).decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def added_files(fs: FileSystem, path: str, version: int) -> list[FileInfo]:
    """The data files a version added, as absolute URIs with their sizes."""
    files = []
    for action in log_actions(fs, path, version):
        add = action.get("add")
        if not isinstance(add, dict):
            continue
        name = str(add["path"])
        absolute = name if urlparse(name).scheme else join(path, unquote(name))
        files.append(FileInfo(absolute, False, int(add.get("size", 0))))
    return files


def failure_summary(exc: BaseException) -> str:
    """The first line of a failed write, and its root cause when the JVM names one (a task's
    own error is buried under ``Job aborted`` / ``Task failed while writing rows``)."""
    lines = [line.strip() for line in str(exc).splitlines()]
    causes = [line.removeprefix("Caused by: ") for line in lines if line.startswith("Caused by: ")]
    summary = first_line(exc, limit=300)
    if causes and causes[-1][:200] not in summary:
        summary += f" (caused by {causes[-1][:300]})"
    return summary


def undo(spark: SparkSession, commit: DeltaCommit) -> None:
    """Best effort, when a later output of the same job group failed to commit: a table this run
    created is removed, one it changed is restored to the version before (a new version; the
    undone one stays in the history)."""
    try:
        if commit.previous_version is None:
            filesystem_for(commit.path, spark).delete(commit.path)
        else:
            spark.sql(
                f"RESTORE TABLE {sql_path(commit.path)} TO VERSION AS OF {commit.previous_version}"
            )
    except Exception as exc:  # the original failure is what the user must see
        log.warning(
            "could not undo Delta version %s of %s after a failed commit: %s",
            commit.version,
            commit.path,
            first_line(exc),
        )


__all__ = [
    "DeltaCommit",
    "check_target",
    "column_mapping_properties",
    "commit_tag",
    "delta_coordinate",
    "delta_library_version",
    "delta_support_problem",
    "failure_summary",
    "needs_column_mapping",
    "require_delta",
    "schema_problems",
    "special_names",
    "undo",
    "write",
]
