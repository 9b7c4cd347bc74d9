"""Run a job spec on whatever cluster spark-submit targets.

    spark-submit --py-files spark_jobs.zip spark_jobs/entrypoints/run_job.py \
        --spec job.json [--job-store hdfs:///spark_jobs] [--result result.json]

The cluster's own configuration (master, jars, memory) is used as is.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """The command line (the EMR and Databricks templates in scripts/ are checked against it)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--spec", required=True, help="job spec JSON file (local path)")
    parser.add_argument("--job-store", default=".spark_jobs", help="job store root, any Hadoop URI")
    parser.add_argument("--result", help="also write the final result JSON to this local file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    from spark_jobs.runner.app import configure_logging, run_command
    from spark_jobs.session import get_submitted_session

    configure_logging()
    return run_command(
        args.spec,
        session=lambda extras: get_submitted_session("spark-jobs run"),
        job_store=args.job_store,
        result_file=args.result,
    )


if __name__ == "__main__":
    sys.exit(main())
