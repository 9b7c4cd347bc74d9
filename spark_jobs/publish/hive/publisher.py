"""Publish a job group's results to a Hive table through Spark's Hive support.

Tables are Hive SerDe tables (``STORED AS PARQUET`` / ``STORED AS AVRO``, see
:mod:`spark_jobs.publish.hive.sql`), or Delta tables (``USING DELTA``) for inputFormat delta.
Nothing is lost on failure:

* ``load`` appends with one ``INSERT INTO``: Spark commits the new files only when every task
  succeeded, and the rows already there are never touched;
* ``createAndLoad``, ``truncateAndLoad`` and ``dropAndLoad`` load a staging table beside the
  target first, check its row count, and only then put it in place with metastore renames
  (target -> previous, staging -> target, drop previous). A failure before the swap drops the
  staging table; a failure during it renames the previous table back. Until the last rename the
  old table and its rows are where they were.

A Delta table needs no staging table: every change to it is one Delta transaction, which readers
see whole or not at all, and the version it replaced stays readable by time travel.
``createAndLoad`` is ``CREATE TABLE ... USING DELTA AS SELECT``, ``truncateAndLoad`` of a Delta
table ``INSERT OVERWRITE``, ``dropAndLoad`` of delta results ``CREATE OR REPLACE TABLE ... USING
DELTA AS SELECT`` (when the old table is not a Delta table, it is staged and swapped as above).
Column names Parquet refuses (a space or any of ``,;{}()\\n\\t=``) make a Delta table with column
mapping by name (``TBLPROPERTIES``, protocol reader 2 / writer 5); plain names leave it out.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from pyspark.sql.types import ArrayType, DataType, MapType, StructType

from spark_jobs.errors import JobError, PublishError, SparkJobsError, first_line
from spark_jobs.io.delta import (
    column_mapping_properties,
    needs_column_mapping,
    require_delta,
)
from spark_jobs.publish.actions import (
    EXISTING_TABLE_ACTIONS,
    NEW_TABLE_ACTIONS,
    PublishOutcome,
    timestamped_candidates,
)
from spark_jobs.publish.base import (
    BasePublisher,
    BodyRules,
)
from spark_jobs.publish.hive.sql import (
    TABLE_FORMATS,
    UnsupportedHiveType,
    columns_of,
    create_delta_table_as_sql,
    create_table_like_sql,
    create_table_sql,
    drop_table_sql,
    hive_type,
    insert_overwrite_sql,
    insert_sql,
    rename_table_sql,
)
from spark_jobs.publish.identifiers import HIVE, TableName, helper_table_name
from spark_jobs.publish.schema import (
    Column,
    case_collisions,
    schema_differences,
    select_in_table_order,
)
from spark_jobs.publish.source import read_source
from spark_jobs.spec.connections import HiveConnection

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

_AVRO_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def storage_format(spark: SparkSession, table: TableName) -> str | None:
    """PARQUET / AVRO / ... from the metastore's table metadata (its InputFormat)."""
    rows = spark.sql(f"DESCRIBE FORMATTED {table.quoted(HIVE)}").collect()
    input_format = next((r.data_type for r in rows if r.col_name == "InputFormat"), None)
    if input_format is None:
        provider = next((r.data_type for r in rows if r.col_name == "Provider"), None)
        return provider.upper() if provider else None
    for name in ("Parquet", "Avro", "Orc", "Text", "Sequence", "RCFile"):
        if name.lower() in input_format.lower():
            return name.upper()
    return str(input_format)


# --- the body --------------------------------------------------------------------------------


#: Hive's rules for a raw publish body: one database in ``path``, valid names, avro or pqt
RULES = BodyRules(
    target="Hive",
    dialect=HIVE,
    formats=TABLE_FORMATS,
    format_message="a Hive table is loaded from avro or pqt results, not {fmt} "
    "(delta results make a Delta table; csv and json are for Redshift)",
    container="database name",
    example="default",
)
body_problems = RULES.problems


def column_problems(schema: StructType, input_format: str) -> list[str]:
    """Why the results' columns cannot become the columns of a Hive table of that format."""
    problems = []
    for names in case_collisions([Column(f.name, "") for f in schema.fields]):
        problems.append(
            f"columns {', '.join(names)} differ only in case; Hive column names ignore case"
        )
    for f in schema.fields:
        try:
            hive_type(f.dataType)
        except UnsupportedHiveType as exc:
            problems.append(f"column {f.name} has type {exc}, which Hive tables cannot hold")
        # a Delta table's schema lives in its _delta_log, not in the metastore's columns
        if "," in f.name and input_format != "delta":
            problems.append(
                f"column {f.name!r}: the Hive metastore cannot store a column name with a comma "
                "(a Delta table can: publish the delta results)"
            )
    if input_format == "avro":
        for name in _nested_names(schema):
            if not _AVRO_NAME.match(name):
                problems.append(
                    f"column or field {name!r} is not a valid Avro name ([A-Za-z_][A-Za-z0-9_]*); "
                    "publish the pqt results instead"
                )
    return problems


def _nested_names(dtype: DataType) -> list[str]:
    if isinstance(dtype, StructType):
        out = []
        for f in dtype.fields:
            out.append(f.name)
            out += _nested_names(f.dataType)
        return out
    if isinstance(dtype, ArrayType):
        return _nested_names(dtype.elementType)
    if isinstance(dtype, MapType):
        return _nested_names(dtype.valueType)
    return []


@dataclass
class _Plan:
    """What run() will do, decided by prepare()."""

    final: TableName  # the table the rows end up in (a new timestamped one, or the target)
    columns: list[Column]  # the results' columns, as Hive types
    select: list[str]  # the results' columns in the order of the table's
    expected_rows: int | None = None
    target_exists: bool = False
    target_is_delta: bool = False
    delta_version: int | None = None
    #: TBLPROPERTIES of a Delta table this publish creates or replaces (column mapping)
    delta_properties: dict[str, str] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class HivePublisher(BasePublisher[HiveConnection]):
    """Publishes one job group's avro or pqt results to one Hive table."""

    target: ClassVar[str] = "Hive"
    input_formats: ClassVar[frozenset[str]] = TABLE_FORMATS
    body_problems = staticmethod(body_problems)

    def setup(self) -> None:
        body = self.body
        self.requested = TableName(
            HIVE.check(body.path[0], what="database name"),
            HIVE.check(body.table, what="table name"),
        )
        self.token = uuid.uuid4().hex[:8]
        self.view = f"__sj_publish_{self.token}"
        self._df: DataFrame | None = None
        self._plan: _Plan | None = None

    # --- checks, before anything changes -------------------------------------------------

    def _exists(self, table: TableName) -> bool:
        return bool(self.spark.catalog.tableExists(f"{table.database}.{table.table}"))

    def prepare(self) -> None:
        """Check the metastore, the database, the table and the schemas; raise UserError."""
        spark = self.spark
        if spark.conf.get("spark.sql.catalogImplementation", "in-memory") != "hive":
            raise PublishError(
                f"connection {self.connection.label}: this Spark session has no Hive support "
                "(spark.sql.catalogImplementation is not hive)"
            )
        database = self.requested.database
        if not spark.catalog.databaseExists(database):
            known = sorted(d.name for d in spark.catalog.listDatabases())
            raise PublishError(
                f"database {database!r} does not exist in the Hive metastore of connection "
                f"{self.connection.label} (databases: {', '.join(known) or 'none'}); create it "
                f"first (CREATE DATABASE {database}) or publish to an existing one"
            )
        if self.body.inputFormat == "delta":
            require_delta(spark)
        try:
            df = read_source(spark, self.source)
            schema = df.schema
        except SparkJobsError:
            raise
        except Exception as exc:
            raise PublishError(
                f"the {self.source.format} output of job group {self.source.job_group_id} "
                f"({self.source.path}) cannot be read: {first_line(exc)}; run the job group again"
            ) from exc
        problems = column_problems(schema, self.body.inputFormat)
        if problems:
            raise PublishError(
                f"the results of job group {self.source.job_group_id} cannot be published to Hive:\n"
                + "\n".join(f"  - {p}" for p in problems)
            )
        columns = columns_of(schema)
        self._df = df
        if self.action in NEW_TABLE_ACTIONS:
            final = self._new_table_name()
            self._plan = _Plan(final=final, columns=columns, select=[c.name for c in columns])
        else:
            self._plan = self._existing_table_plan(columns)
        creates = self.action not in EXISTING_TABLE_ACTIONS  # makes or replaces a table
        if creates and self.body.inputFormat == "delta" and needs_column_mapping(schema):
            self._plan.delta_properties = self._column_mapping(self._plan)

    def _column_mapping(self, plan: _Plan) -> dict[str, str]:
        """The TBLPROPERTIES turning on column mapping for a Delta table made or replaced with
        these results (only what the target's protocol lacks, when it is a Delta table)."""
        if not plan.target_is_delta:
            return column_mapping_properties()
        detail = self.spark.sql(f"DESCRIBE DETAIL {plan.final.quoted(HIVE)}").first()
        assert detail is not None
        protocol = (int(detail["minReaderVersion"]), int(detail["minWriterVersion"]))
        return column_mapping_properties(protocol)

    def _new_table_name(self) -> TableName:
        at = self.hooks.now()
        for name in timestamped_candidates(self.requested.table, at):
            candidate = TableName(self.requested.database, name)
            if not self._exists(candidate):
                return candidate
        raise PublishError(
            f"every timestamped name for table {self.requested} at {at:%Y-%m-%d %H:%M:%S} is taken"
        )

    def _existing_table_plan(self, columns: list[Column]) -> _Plan:
        target = self.requested
        exists = self._exists(target)
        if not exists:
            if self.action in EXISTING_TABLE_ACTIONS:
                raise PublishError(
                    f"table {target} does not exist, so action {self.action} cannot "
                    f"{'append to' if self.action == 'load' else 'truncate'} it; use createAndLoad "
                    "or dropAndLoad to create a table"
                )
            return _Plan(final=target, columns=columns, select=[c.name for c in columns])
        info = self.spark.catalog.getTable(f"{target.database}.{target.table}")
        kind = (info.tableType or "").upper()
        if kind == "VIEW":
            raise PublishError(
                f"{target} is a view, not a table; action {self.action} needs a table"
            )
        is_delta = storage_format(self.spark, target) == "DELTA"
        if is_delta:
            require_delta(self.spark)
        if self.action not in EXISTING_TABLE_ACTIONS:  # dropAndLoad: the old definition goes
            return _Plan(
                final=target,
                columns=columns,
                select=[c.name for c in columns],
                target_exists=True,
                target_is_delta=is_delta,
            )
        table_df = self.spark.table(f"{target.database}.{target.table}")
        partitions = [
            c.name
            for c in self.spark.catalog.listColumns(f"{target.database}.{target.table}")
            if c.isPartition
        ]
        if partitions:
            raise PublishError(
                f"table {target} is partitioned (by {', '.join(partitions)}); publishing into "
                "partitioned tables is not supported"
            )
        if self.action == "truncateAndLoad" and kind != "MANAGED":
            raise PublishError(
                f"table {target} is {kind.lower() or 'not managed'}: truncateAndLoad replaces a managed "
                "table's rows only (an external table's files belong to someone else); use load or dropAndLoad"
            )
        try:
            table_columns = columns_of(table_df.schema)
        except UnsupportedHiveType as exc:
            raise PublishError(
                f"table {target} has a column of type {exc}, which cannot be loaded"
            ) from None
        differences = schema_differences(columns, table_columns)
        if differences:
            raise PublishError(
                f"the results of job group {self.source.job_group_id} do not match the schema of "
                f"table {target} (action {self.action} keeps the table's schema):\n"
                + "\n".join(f"  - {d}" for d in differences)
            )
        return _Plan(
            final=target,
            columns=columns,
            select=select_in_table_order(columns, table_columns),
            target_exists=True,
            target_is_delta=is_delta,
        )

    # --- the work ----------------------------------------------------------------------

    def run(self) -> PublishOutcome:
        if self._plan is None:
            self.prepare()
        plan, df = self._plan, self._df
        assert plan is not None and df is not None
        plan.expected_rows = self.source.row_count
        if plan.expected_rows is None and self.action != "create":
            plan.expected_rows = df.count()
        df.createOrReplaceTempView(self.view)
        try:
            if self.action == "create":
                self._sql(
                    "create_table",
                    create_table_sql(
                        plan.final, plan.columns, self.body.inputFormat, plan.delta_properties
                    ),
                )
                rows = 0
            elif self.action == "load":
                self._sql("load_table", insert_sql(plan.final, self.view, plan.select))
                rows = plan.expected_rows or 0
                if plan.target_is_delta:
                    plan.delta_version = self._delta_history(plan.final)[0]
            elif self._one_delta_transaction(plan):
                rows = self._delta_load(plan)
            else:
                rows = self._staged_load(plan)
        except SparkJobsError:
            raise
        except Exception as exc:
            raise JobError(
                f"publishing to Hive table {plan.final} failed: {first_line(exc)}"
            ) from exc
        finally:
            self.spark.catalog.dropTempView(self.view)
        stored = plan.final.stored(HIVE)
        if (
            plan.delta_version is None
            and self.action == "create"
            and self.body.inputFormat == "delta"
        ):
            plan.delta_version = 0
        delta_details = {} if plan.delta_version is None else {"deltaVersion": plan.delta_version}
        return PublishOutcome(
            table=str(stored),
            action=self.action,
            rows=rows,
            details={
                "database": stored.database,
                "tableName": stored.table,
                "requestedTable": self.body.table,
                "storageFormat": storage_format(self.spark, stored),
                "sql": list(plan.statements),
                "warnings": list(plan.warnings),
                **delta_details,
            },
        )

    def _sql(self, step: str, statement: str) -> None:
        assert self._plan is not None
        self.hooks.step(step)
        log.info("hive: %s", statement)
        self.spark.sql(statement)
        self._plan.statements.append(statement)

    def _one_delta_transaction(self, plan: _Plan) -> bool:
        """Whether the replace is one Delta transaction (no staging table, no renames)."""
        if self.action == "truncateAndLoad":
            return plan.target_is_delta
        if self.body.inputFormat != "delta":
            return False
        # createAndLoad: a new table; dropAndLoad: a new table, or a new version of a Delta one
        return not plan.target_exists or plan.target_is_delta

    def _delta_history(self, table: TableName) -> tuple[int, int | None]:
        """The latest version of a Delta table, and the rows its commit wrote (when recorded)."""
        row = self.spark.sql(f"DESCRIBE HISTORY {table.quoted(HIVE)} LIMIT 1").first()
        assert row is not None
        metrics = row["operationMetrics"] or {}
        written = metrics.get("numOutputRows")
        return int(row["version"]), None if written is None else int(written)

    def _delta_load(self, plan: _Plan) -> int:
        """createAndLoad / truncateAndLoad / dropAndLoad as one Delta transaction, then checked:
        a version with the wrong row count is rolled back (RESTORE) before the error is raised."""
        target = plan.final
        previous = self._delta_history(target)[0] if plan.target_is_delta else None
        if self.action == "truncateAndLoad":
            statement = insert_overwrite_sql(target, self.view, plan.select)
        else:
            replace = self.action == "dropAndLoad"
            statement = create_delta_table_as_sql(
                target, self.view, plan.select, replace=replace, properties=plan.delta_properties
            )
        try:
            self._sql("load_table", statement)
        except BaseException:
            if previous is None and not plan.target_exists and self._exists(target):
                self._drop_quietly(target)  # a half-created new table
            raise
        self.hooks.step("verify_table")
        version, written = self._delta_history(target)
        if plan.expected_rows is not None and written is not None and written != plan.expected_rows:
            if previous is not None:
                self.spark.sql(f"RESTORE TABLE {target.quoted(HIVE)} TO VERSION AS OF {previous}")
                where = f"table {target} was restored to version {previous}"
            else:
                self._drop_quietly(target)
                where = f"table {target} was dropped again"
            raise JobError(
                f"Delta version {version} of {target} holds {written} rows, the results "
                f"{plan.expected_rows}; {where}"
            )
        plan.delta_version = version
        return written if written is not None else plan.expected_rows or 0

    def _staged_load(self, plan: _Plan) -> int:
        """Load a staging table, check it, then swap it in place of the target."""
        database = plan.final.database
        staging = TableName(
            database, helper_table_name("staging", plan.final.table, self.token, HIVE)
        )
        if self.action == "truncateAndLoad":
            create = create_table_like_sql(staging, plan.final)
        else:
            create = create_table_sql(
                staging, plan.columns, self.body.inputFormat, plan.delta_properties
            )
        try:
            self._sql("create_staging", create)
            self._sql("load_staging", insert_sql(staging, self.view, plan.select))
            self.hooks.step("verify_staging")
            loaded = self.spark.table(f"{staging.database}.{staging.table}").count()
            if plan.expected_rows is not None and loaded != plan.expected_rows:
                raise JobError(
                    f"the staging table {staging} holds {loaded} rows, the results {plan.expected_rows}; "
                    f"table {plan.final} was left as it was"
                )
            self._swap_in(staging, plan)
        except BaseException:
            self._drop_quietly(staging)
            raise
        return loaded

    def _swap_in(self, staging: TableName, plan: _Plan) -> None:
        """staging -> target, keeping the old target until the new one is in place."""
        target = plan.final
        previous: TableName | None = None
        if self._exists(target):
            if not plan.target_exists and self.action in NEW_TABLE_ACTIONS:
                raise PublishError(f"table {target} was created by someone else during the publish")
            previous = TableName(
                target.database, helper_table_name("previous", target.table, self.token, HIVE)
            )
            self._sql("move_target_aside", rename_table_sql(target, previous))
        try:
            self._sql("move_staging_into_place", rename_table_sql(staging, target))
        except BaseException as exc:
            if previous is not None:
                try:
                    self.spark.sql(rename_table_sql(previous, target))
                except Exception as restore_error:
                    raise JobError(
                        f"publishing to {target} failed ({first_line(exc)}) and the old table could not be "
                        f"renamed back ({first_line(restore_error)}): it is kept, with all its rows, as "
                        f"{previous}; rename it to {target.table}"
                    ) from exc
            raise
        if previous is not None:
            try:
                self._sql("drop_previous", drop_table_sql(previous))
            except Exception as exc:
                warning = f"the replaced table is kept as {previous}: it could not be dropped ({first_line(exc)})"
                log.warning(warning)
                plan.warnings.append(warning)

    def _drop_quietly(self, table: TableName) -> None:
        try:
            self.spark.sql(drop_table_sql(table))
        except Exception as exc:  # cleanup must not hide the real error
            log.warning("could not drop staging table %s: %s", table, first_line(exc))
