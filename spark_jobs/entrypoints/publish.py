"""Publish a finished job group's results on whatever cluster spark-submit targets.

    spark-submit --py-files spark_jobs.zip spark_jobs/entrypoints/publish.py \\
        --job-group 31 --body publish.json [--connections connections.json] \\
        [--job-store hdfs:///spark_jobs]

The cluster's own configuration (master, jars, Hive metastore) is used as is; a Hive connection
that names a metastoreUri, metastoreDir or warehouseDir sets those before the session starts.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from spark_jobs.spec.connections import ConnectionBase


def submitted_session(connection: ConnectionBase) -> SparkSession:
    from spark_jobs.session import get_submitted_session, submitted_hive_conf
    from spark_jobs.spec.connections import HiveConnection

    if isinstance(connection, HiveConnection):
        conf = submitted_hive_conf(connection)
        return get_submitted_session("spark-jobs publish", hive=True, extra_conf=conf)
    return get_submitted_session("spark-jobs publish")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--job-group", required=True, type=int, help="the job group id")
    parser.add_argument("--body", required=True, help="publish body JSON file (local path)")
    parser.add_argument("--connections", default="conf/connections.json", help="connections file")
    parser.add_argument("--job-store", default=".spark_jobs", help="job store root, any Hadoop URI")
    args = parser.parse_args(argv)

    from spark_jobs.publish import publish_command
    from spark_jobs.runner.app import configure_logging

    configure_logging()
    return publish_command(
        args.job_group,
        args.body,
        session=submitted_session,
        connections=args.connections,
        job_store=args.job_store,
    )


if __name__ == "__main__":
    sys.exit(main())
