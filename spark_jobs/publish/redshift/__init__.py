"""Publishing to Amazon Redshift (docs/publish-redshift.md).

Only the publisher needs Spark: the other parts are handed the results' schema, the longest
string values' byte lengths, the files to stage and the rows they hold.

* names: :func:`resolve_table` (``path`` / ``MySchema.MyTable``), :func:`quote_ident`,
  :class:`RedshiftTable`;
* types: :func:`redshift_columns` (Spark ``StructType`` -> :class:`RedshiftColumn`);
* SQL: :class:`CopyOptions`, :class:`AwsKeys`, :func:`copy_sql` (``masked=True`` for logs),
  :func:`create_table_sql`, :func:`redact`;
* actions: :func:`plan_action` -> :class:`ActionPlan` (one transaction), :func:`inspect_target`,
  :func:`run_plan`;
* staging: :class:`S3Stager` with :class:`StagingConfig` -> :class:`StagedFiles` (manifest);
* load errors: :func:`load_failure`, :func:`fetch_load_errors` (RedshiftLoadError with
  Redshift's own rows);
* the publisher: :class:`RedshiftPublisher` (the publish entrypoint's class for redshift
  connections: Spark reads the results and stages them, the parts above do the rest).
"""

from __future__ import annotations

from spark_jobs.publish.redshift.load_errors import (
    LoadErrorDetail,
    fetch_load_errors,
    load_failure,
)
from spark_jobs.publish.redshift.names import (
    RedshiftTable,
    check_columns,
    quote_ident,
    resolve_table,
)
from spark_jobs.publish.redshift.plans import (
    ActionPlan,
    Step,
    TargetState,
    inspect_target,
    plan_action,
    run_plan,
    schema_problems,
)
from spark_jobs.publish.redshift.publisher import (
    INPUT_FORMATS,
    STAGING_WRITER_CONF,
    RedshiftPublisher,
)
from spark_jobs.publish.redshift.sql import (
    AwsKeys,
    CopyOptions,
    copy_sql,
    create_table_sql,
    redact,
)
from spark_jobs.publish.redshift.staging import S3Stager, StagedFiles, StagingConfig
from spark_jobs.publish.redshift.types import RedshiftColumn, redshift_columns, redshift_type

__all__ = [
    "INPUT_FORMATS",
    "STAGING_WRITER_CONF",
    "ActionPlan",
    "AwsKeys",
    "CopyOptions",
    "LoadErrorDetail",
    "RedshiftColumn",
    "RedshiftPublisher",
    "RedshiftTable",
    "S3Stager",
    "StagedFiles",
    "StagingConfig",
    "Step",
    "TargetState",
    "check_columns",
    "copy_sql",
    "create_table_sql",
    "fetch_load_errors",
    "inspect_target",
    "load_failure",
    "plan_action",
    "quote_ident",
    "redact",
    "redshift_columns",
    "redshift_type",
    "resolve_table",
    "run_plan",
    "schema_problems",
]
