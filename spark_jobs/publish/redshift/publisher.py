"""Publish a job group's csv, json or avro results to a Redshift table: stage them in S3, then
COPY them in one transaction (docs/publish-redshift.md).

``prepare()`` reads the results' schema (Spark), measures the strings, connects, inspects the
target and plans the action: every problem is a PublishError (exit 2) before anything changes.
``run()`` stages the files the COPY reads, runs the plan in one transaction and removes what it
staged (unless the connection says keepStaged). Staging takes one of three paths, recorded in the
outcome as ``staging.path``:

* ``s3-output``: the results are already in S3 in the asked format: the manifest lists the job's
  own objects (left where they are) and COPY reads them there;
* ``spark-s3a``: Spark writes the results to the staging prefix itself through S3A (the session
  has the hadoop-aws connector), in parallel from the executors;
* ``boto3-upload``: the job's local files are uploaded with boto3, in parallel, large files in
  multipart parts.

The Spark configuration ``spark.sparkjobs.redshift.stagingWriter`` picks between the last two:
``auto`` (Spark when it can write to S3), ``spark`` or ``boto3``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from spark_jobs.errors import (
    PublishError,
    RedshiftError,
    SparkJobsError,
    StagingError,
    first_line,
)
from spark_jobs.io.formats import DATE_FORMAT, TIMESTAMP_FORMAT, writer_options
from spark_jobs.io.fs import filesystem_for, is_local, local_path, normalize_uri
from spark_jobs.publish.actions import NEW_TABLE_ACTIONS, PublishOutcome, timestamped_candidates
from spark_jobs.publish.base import (
    BasePublisher,
    BodyRules,
)
from spark_jobs.publish.identifiers import REDSHIFT
from spark_jobs.publish.redshift.load_errors import driver_message
from spark_jobs.publish.redshift.names import RedshiftTable, resolve_table
from spark_jobs.publish.redshift.plans import ActionPlan, inspect_target, plan_action, run_plan
from spark_jobs.publish.redshift.sql import AwsKeys, CopyOptions, redact
from spark_jobs.publish.redshift.staging import S3Stager, StagedFiles, StagingConfig
from spark_jobs.publish.redshift.types import RedshiftColumn, redshift_columns
from spark_jobs.publish.source import read_source
from spark_jobs.session import apply_s3a_settings, can_write_s3, s3a_settings
from spark_jobs.spec.connections import RedshiftConnection, secret_from_env
from spark_jobs.spec.models import WriteSetting

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)

INPUT_FORMATS = frozenset({"csv", "json", "avro"})
#: which writer stages results that are not in S3 yet: auto | spark | boto3
STAGING_WRITER_CONF = "spark.sparkjobs.redshift.stagingWriter"
S3_SCHEMES = ("s3://", "s3a://", "s3n://")

#: how the job wrote csv and json (spark_jobs.io.formats.writer_options): read back the same way
_READ_OPTIONS = {
    "csv": {
        "sep": ",",
        "quote": '"',
        "escape": '"',
        "multiLine": "true",
        "nullValue": "",
        "emptyValue": "",
        "inferSchema": "true",
        "timestampFormat": TIMESTAMP_FORMAT,
        "timestampNTZFormat": TIMESTAMP_FORMAT,
        "dateFormat": DATE_FORMAT,
        "preferDate": "true",
        "mode": "FAILFAST",
    },
    "json": {
        "inferTimestamp": "true",
        "timestampFormat": TIMESTAMP_FORMAT,
        "timestampNTZFormat": TIMESTAMP_FORMAT,
        "dateFormat": DATE_FORMAT,
        "mode": "FAILFAST",
    },
}
_COMPRESSION = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bzip2"}


#: Redshift's rules for a raw publish body: csv, json or avro; one schema; valid names
RULES = BodyRules(
    target="Redshift",
    dialect=REDSHIFT,
    formats=INPUT_FORMATS,
    format_message="a Redshift table is loaded (COPY) from csv, json or avro results, not {fmt} "
    "(pqt is for Hive)",
    container="schema name",
    example="public",
    qualified_table=True,
)
body_problems = RULES.problems


def _s3_url(path: str) -> str:
    """``s3a://b/k`` -> ``s3://b/k``: how COPY and manifests name objects."""
    for scheme in S3_SCHEMES:
        if path.startswith(scheme):
            return "s3://" + path[len(scheme) :]
    raise ValueError(path)


def _is_s3(path: str) -> bool:
    return path.startswith(S3_SCHEMES)


def _compression(paths: Sequence[str]) -> str | None:
    found = {_COMPRESSION.get("." + p.rsplit(".", 1)[-1].lower()) for p in paths}
    if len(found) > 1:
        raise PublishError(f"the results mix compressions ({sorted(map(str, found))})")
    return found.pop() if found else None


class RedshiftPublisher(BasePublisher[RedshiftConnection]):
    """Publishes one job group's csv, json or avro results to one Redshift table."""

    target: ClassVar[str] = "Redshift"
    input_formats: ClassVar[frozenset[str]] = INPUT_FORMATS
    body_problems = staticmethod(body_problems)

    def setup(self) -> None:
        body, connection = self.body, self.connection
        self.format = body.inputFormat
        self.requested = resolve_table(body.path, body.table)
        self.token = uuid.uuid4().hex[:10]
        self.run_id = uuid.uuid4().hex
        staging = connection.s3Staging
        keys = (
            (
                secret_from_env(
                    staging.accessKeyIdEnv, connection=connection, field="accessKeyIdEnv"
                ),
                secret_from_env(
                    staging.secretAccessKeyEnv, connection=connection, field="secretAccessKeyEnv"
                ),
            )
            if staging.accessKeyIdEnv and staging.secretAccessKeyEnv
            else None
        )
        self.staging_config = StagingConfig(
            bucket=staging.bucket,
            prefix=staging.prefix,
            region=staging.region,
            endpoint_url=staging.endpointUrl,
            access_key_id=keys[0] if keys else None,
            secret_access_key=keys[1] if keys else None,
            keep=staging.keepStaged,
        )
        self._password: str | None = (
            secret_from_env(connection.passwordEnv, connection=connection, field="passwordEnv")
            if connection.passwordEnv
            else None
        )
        self.secrets: tuple[str, ...] = tuple(s for s in (self._password, *(keys or ())) if s)
        self._df: DataFrame | None = None
        self._columns: list[RedshiftColumn] = []
        self._options: CopyOptions | None = None
        self._plan: ActionPlan | None = None
        self._conn: Any = None
        self._header = False

    # --- reading the results ---------------------------------------------------------------

    def _read(self) -> DataFrame:
        source = self.source
        if self.format == "avro":
            return read_source(self.spark, source)
        paths = [normalize_uri(p) for p in source.file_paths]
        options = dict(_READ_OPTIONS[self.format])
        reader = self.spark.read.format(self.format)
        if self.format == "csv":
            self._header = self._csv_has_header(paths)
            if not self._header:
                raise PublishError(
                    f"the csv output of job group {source.job_group_id} ({source.path}) has no "
                    "header line, so its columns have no names for a Redshift table: run the job "
                    "with header: true on that output, or publish its json or avro output"
                )
            options["header"] = "true"
        df = reader.options(**options).load(paths)
        if self.format == "json":
            df = df.select(*[f"`{name}`" for name in self._json_key_order(paths, df.columns)])
        return df

    def _csv_has_header(self, paths: list[str]) -> bool:
        """Whether the job wrote a header line at the start of each file: the files hold one
        line more per file than the rows the job recorded (Spark writes one in every part)."""
        rows = self.source.row_count
        if rows is None:
            return True  # nothing to compare with: the first line is taken for the header
        options = {k: v for k, v in _READ_OPTIONS["csv"].items() if k != "inferSchema"}
        lines = self.spark.read.format("csv").options(**options, header="false").load(paths).count()
        return bool(lines == rows + len(paths) and lines > rows)

    def _json_key_order(self, paths: list[str], inferred: list[str]) -> list[str]:
        """Spark infers json columns in alphabetical order; the job wrote them in its own, which
        the first record shows (every key is written, nulls too)."""
        first = self.spark.read.text(paths[0]).limit(1).collect()
        if not first:
            return inferred
        try:
            keys = list(json.loads(first[0][0]).keys())
        except (ValueError, AttributeError):
            return inferred
        known = set(inferred)
        ordered = [k for k in keys if k in known]
        return ordered + [c for c in inferred if c not in set(ordered)]

    def _max_bytes(self, df: DataFrame) -> dict[str, int | None]:
        """The longest value of each string column, in UTF-8 bytes (one aggregation)."""
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        strings = [
            f.name
            for f in df.schema.fields
            if isinstance(f.dataType, (T.StringType, T.VarcharType, T.CharType))
        ]
        if not strings:
            return {}
        row = df.agg(
            *[F.max(F.octet_length(F.col(f"`{n}`"))).alias(f"c{i}") for i, n in enumerate(strings)]
        ).collect()[0]
        return {name: row[i] for i, name in enumerate(strings)}

    # --- checks, before anything changes -------------------------------------------------

    def _connect(self) -> Any:
        import redshift_connector

        c = self.connection
        kwargs: dict[str, Any] = {
            "host": c.host,
            "port": c.port,
            "database": c.database,
            "ssl": c.ssl,
            "timeout": 60,
            "application_name": "spark_jobs",
        }
        if self._password is not None:
            kwargs.update(user=c.user, password=self._password)
        else:
            kwargs.update(iam=True, db_user=c.user, user="", password="")
            if c.s3Staging.region:
                kwargs["region"] = c.s3Staging.region
        try:
            return redshift_connector.connect(**kwargs)
        except Exception as exc:
            raise RedshiftError(
                f"connection {c.label}: could not connect to Redshift at {c.host}:{c.port} "
                f"(database {c.database}, user {c.user}): "
                f"{redact(driver_message(exc), self.secrets)}"
            ) from None

    def _copy_options(self, compression: str | None) -> CopyOptions:
        c = self.connection
        keys: AwsKeys | None = None
        if c.iamRole is None:
            if not (self.staging_config.access_key_id and self.staging_config.secret_access_key):
                raise PublishError(
                    f"connection {c.label}: COPY needs an IAM role (iamRole) or access keys "
                    "(s3Staging.accessKeyIdEnv and secretAccessKeyEnv) to read the staged files"
                )
            keys = AwsKeys(self.staging_config.access_key_id, self.staging_config.secret_access_key)
        fmt = self.format
        assert fmt in ("csv", "json", "avro")
        return CopyOptions(
            format=fmt,
            iam_role=c.iamRole,
            keys=keys,
            region=c.s3Staging.region,
            ignore_header=1 if fmt == "csv" and self._header else 0,
            compression=compression if fmt != "avro" else None,  # type: ignore[arg-type]
            # the job writes a null and an empty string alike (an empty field): both load NULL
            empty_as_null=fmt == "csv",
        )

    def prepare(self) -> None:
        """Read the results' schema, connect, check the target and plan; raise PublishError."""
        try:
            df = self._read()
            columns = redshift_columns(df.schema, self._max_bytes(df))
        except SparkJobsError:
            raise
        except Exception as exc:
            raise PublishError(
                f"the {self.format} output of job group {self.source.job_group_id} "
                f"({self.source.path}) cannot be read: {first_line(exc)}; run the job group again"
            ) from exc
        self._df = df
        self._columns = columns
        compression = _compression(self.source.file_paths) if self.format != "avro" else None
        self._options = self._copy_options(compression)
        self._conn = self._connect()
        try:
            self._plan = self._make_plan(self._manifest_url())
        except BaseException:
            self.close()
            raise

    def _manifest_url(self) -> str:
        stager_prefix = "/".join(
            p for p in (self.staging_config.prefix.strip("/"), self.run_id) if p
        )
        return f"s3://{self.staging_config.bucket}/{stager_prefix}/manifest.json"

    def _make_plan(self, source: str) -> ActionPlan:
        assert self._options is not None
        if self.action in NEW_TABLE_ACTIONS:
            at = self.hooks.now()
            for name in timestamped_candidates(self.requested.name, at):
                final = RedshiftTable(self.requested.schema, name[: REDSHIFT.max_length])
                state = inspect_target(self._conn, final)
                if not state.exists:
                    break
            else:
                raise PublishError(
                    f"every timestamped name for table {self.requested} at "
                    f"{at:%Y-%m-%d %H:%M:%S} is taken"
                )
        else:
            final = self.requested
            state = inspect_target(self._conn, final)
        self._check_schema(final)
        return plan_action(
            self.action,
            final,
            self._columns,
            source=source,
            options=self._options,
            state=state,
            token=self.token,
        )

    def _check_schema(self, table: RedshiftTable) -> None:
        cursor = self._conn.cursor()
        try:
            cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (table.schema,))
            found = cursor.fetchall()
            self._conn.rollback()
        except Exception as exc:
            raise RedshiftError(
                f"could not read schema {table.schema}: {redact(driver_message(exc), self.secrets)}"
            ) from None
        if not found:
            raise PublishError(
                f"schema {table.schema!r} does not exist in Redshift database "
                f"{self.connection.database} (connection {self.connection.label}); create it "
                f"first (CREATE SCHEMA {table.schema}) or publish to an existing one"
            )

    # --- staging ----------------------------------------------------------------------------

    def _staging_writer(self) -> str:
        choice = (self.spark.conf.get(STAGING_WRITER_CONF, "auto") or "auto").lower()
        if choice not in ("auto", "spark", "boto3"):
            raise PublishError(f"{STAGING_WRITER_CONF} is auto, spark or boto3, not {choice!r}")
        local = all(is_local(p) for p in self.source.file_paths)
        if choice == "boto3" or (choice == "auto" and not can_write_s3(self.spark)):
            if not local:
                raise PublishError(
                    f"the results are in {self.source.path}, which boto3 cannot read: staging "
                    "them in S3 needs Spark with the hadoop-aws connector (S3A)"
                )
            return "boto3-upload"
        if not can_write_s3(self.spark):
            raise PublishError(
                f"{STAGING_WRITER_CONF}=spark needs the hadoop-aws jar (S3A) on the classpath"
            )
        return "spark-s3a"

    def _stage(self, stager: S3Stager) -> tuple[str, StagedFiles]:
        files = self.source.files
        if files and all(_is_s3(f.path) for f in files):
            objects = [(_s3_url(f.path), f.bytes) for f in files]
            return "s3-output", stager.write_manifest(objects, run_id=self.run_id, owned=False)
        path = self._staging_writer()
        if path == "boto3-upload":
            local = [local_path(p) for p in self.source.file_paths]
            return path, stager.stage(local, run_id=self.run_id)
        return path, self._spark_stage(stager)

    def _spark_stage(self, stager: S3Stager) -> StagedFiles:
        """Spark writes the results to ``<prefix>/<run>/data/`` through S3A, as the job wrote
        them (same writer options), and the manifest lists the part files it wrote."""
        assert self._df is not None
        config = self.staging_config
        apply_s3a_settings(
            self.spark,
            s3a_settings(
                config.endpoint_url,
                region=config.region,
                bucket=config.bucket,
                access_key_id=config.access_key_id,
                secret_access_key=config.secret_access_key,
            ),
        )
        base = stager.run_prefix(self.run_id)
        target = f"s3a://{config.bucket}/{base}data"
        compression = self._options.compression if self._options else None
        setting = WriteSetting(
            path=target,
            action="create",
            format=self.format,
            compression=compression or "none",
            header=self._header,
        )
        try:
            self._df.write.format(self.format).options(**writer_options(setting)).mode(
                "errorifexists"
            ).save(target)
            parts = [
                f
                for f in filesystem_for(target, self.spark).walk_files(target)
                if not f.path.rsplit("/", 1)[-1].startswith(("_", "."))
            ]
        except Exception as exc:
            stager.remove_prefix(base)
            raise StagingError(
                f"S3 staging in s3://{config.bucket}/{base}: Spark could not write the results "
                f"through S3A: {redact(first_line(exc), self.secrets)}"
            ) from None
        objects = [(_s3_url(f.path), f.size) for f in parts]
        return stager.write_manifest(objects, run_id=self.run_id)

    def _cleanup(self, stager: S3Stager, path: str, staged: StagedFiles) -> list[str]:
        if self.staging_config.keep:
            return []
        try:
            if path == "spark-s3a":
                stager.remove_prefix(staged.run_prefix)
            else:
                stager.cleanup(staged)
        except (StagingError, ValueError) as exc:
            warning = f"the staged files in s3://{staged.bucket}/{staged.run_prefix} could not be removed: {exc}"
            log.warning(warning)
            return [warning]
        return []

    # --- the work ---------------------------------------------------------------------------

    def run(self) -> PublishOutcome:
        if self._plan is None:
            self.prepare()
        assert self._plan is not None and self._df is not None
        try:
            return self._run()
        finally:
            self.close()

    def _run(self) -> PublishOutcome:
        plan = self._plan
        assert plan is not None and self._df is not None
        staging: dict[str, Any] = {}
        warnings: list[str] = []
        if self.action == "create":
            rows = run_plan(self._conn, plan, before_step=self.hooks.step)
        else:
            expected = self.source.row_count
            if expected is None:
                expected = self._df.count()
            stager = S3Stager(self.staging_config)
            self.hooks.step("stage")
            try:
                path, staged = self._stage(stager)
            except SparkJobsError:
                raise
            except Exception as exc:
                raise StagingError(
                    f"S3 staging failed: {redact(first_line(exc), self.secrets)}"
                ) from None
            staging = {
                "path": path,
                "manifest": staged.manifest_url,
                "files": len(staged.objects),
                "bytes": staged.bytes,
                "kept": self.staging_config.keep,
            }
            try:
                rows = run_plan(
                    self._conn, plan, expected_rows=expected, before_step=self.hooks.step
                )
            except BaseException:
                warnings += self._cleanup(stager, path, staged)
                raise
            warnings += self._cleanup(stager, path, staged)
        final = plan.target
        return PublishOutcome(
            table=str(final),
            action=self.action,
            rows=rows,
            details={
                "schema": final.schema,
                "tableName": final.name,
                "requestedTable": self.body.table,
                "columns": [{"name": c.name.lower(), "type": c.type} for c in self._columns],
                "staging": staging,
                "sql": [redact(s, self.secrets) for s in plan.logged_sql],
                "warnings": warnings,
            },
        )

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # the connection is gone already
                log.debug("closing the Redshift connection failed", exc_info=True)
            self._conn = None


__all__ = ["INPUT_FORMATS", "STAGING_WRITER_CONF", "RedshiftPublisher", "body_problems"]
