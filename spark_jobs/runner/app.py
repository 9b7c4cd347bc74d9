"""The run command, shared by ``spark-jobs run`` and ``spark-submit .../run_job.py``.

Order of work: read and validate the spec and plan the job graph, listing the files of datasets
with parameters (no Spark yet: a bad spec costs no JVM start; only when a dataset with parameters
lives on a Hadoop file system does Spark start first, to list it), start Spark, check remote
inputs, take ids in the job store, print the create response, run, write the result. Exit codes:
0 complete, 2 invalid input, 1 failed or canceled.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from spark_jobs.errors import (
    EXIT_INVALID_INPUT,
    EXIT_JOB_FAILED,
    EXIT_OK,
    SparkJobsError,
    UserError,
    is_user_error_code,
)
from spark_jobs.jobstore import DEFAULT_ROOT, JobGroupResult, JobStore, now
from spark_jobs.profile import ProfileJob
from spark_jobs.runner.extras import jvm_extras_for_job
from spark_jobs.runner.job_group import ProfileRunner, create_job_group, run_job_group
from spark_jobs.runner.plan import check_remote_inputs, plan_job
from spark_jobs.runner.sources import SourceLister, needs_session
from spark_jobs.spec import load_job_spec

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

#: Starts the session of a run. It gets the JVM extras the job uses, each with why
#: (:func:`~spark_jobs.runner.extras.jvm_extras_for_job`): a local session loads only those; a
#: cluster's session has what the cluster was given.
SessionFactory = Callable[[Mapping[str, str]], "SparkSession"]


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg,unused-ignore]
    """Writes to whatever ``sys.stderr`` is at emit time, not the one seen at set-up.

    A process that runs several commands (tests, notebooks) may swap ``sys.stderr`` between them;
    a handler bound to the first one would write to a closed stream.
    """

    @property  # type: ignore[override,unused-ignore]
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


def configure_logging(stream: IO[str] | None = None) -> None:
    """Our own messages at INFO on stderr; py4j's chatter silenced."""
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else _CurrentStderrHandler()
    )
    handler.setFormatter(logging.Formatter("[spark-jobs] %(levelname)s %(message)s"))
    root = logging.getLogger("spark_jobs")
    if stream is not None or not root.handlers:
        for old in list(root.handlers):
            root.removeHandler(old)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False
    logging.getLogger("py4j").setLevel(logging.ERROR)


def print_user_error(exc: SparkJobsError, err: IO[str]) -> None:
    err.write(f"error: {exc.message}\n")
    err.flush()


def exit_code_for(result: JobGroupResult) -> int:
    return EXIT_OK if result.status == "Complete" else EXIT_JOB_FAILED


def failed_result_document(exc: SparkJobsError) -> dict[str, Any]:
    """What ``--result`` holds when the job group never started (invalid input)."""
    return {"id": None, "status": "Failed", "errors": [exc.to_json()]}


def write_result_file(path: str | None, document: dict[str, Any]) -> None:
    if path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(json.dumps(document, indent=2))
        tmp.replace(target)


def run_command(
    spec_path: str,
    *,
    session: SessionFactory,
    job_store: str = DEFAULT_ROOT,
    result_file: str | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    profile_runner: ProfileRunner | None = None,
    progress: bool = True,
) -> int:
    """Run one job spec end to end; returns the process exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    run_time = now()
    spark: SparkSession | None = None
    try:
        spec = load_job_spec(spec_path)
        if needs_session(spec):
            # a dataset with parameters on a Hadoop file system is listed through the driver
            # JVM: start Spark first, so that every problem is still reported at once
            spark = session(jvm_extras_for_job(spec, job_store))
        lister = SourceLister(run_time=run_time, spark=spark)
        plan = plan_job(spec, list_sources=lister, run_time=run_time)
    except UserError as exc:
        print_user_error(exc, err)
        write_result_file(result_file, failed_result_document(exc))
        return EXIT_INVALID_INPUT

    spark = spark or session(jvm_extras_for_job(spec, job_store, plan.imported.values()))
    try:
        check_remote_inputs(plan, spark)
        store = JobStore(job_store, spark)
        result = create_job_group(plan, store)
    except UserError as exc:
        print_user_error(exc, err)
        write_result_file(result_file, failed_result_document(exc))
        return EXIT_INVALID_INPUT
    out.write(json.dumps(result.create_response(), indent=2) + "\n")
    out.flush()

    result = run_job_group(
        spark,
        plan,
        store,
        result,
        profile_runner=profile_runner or _default_profile_runner(),
        progress=err if progress else None,
    )
    write_result_file(result_file, result.model_dump(mode="json"))
    summarize(result, err)
    if result.status != "Complete":
        user_errors = [e for e in result.errors if is_user_error_code(e.code)]
        if user_errors and result.jobs_of("filewriter")[0].status != "Complete":
            return EXIT_INVALID_INPUT
    return exit_code_for(result)


def _default_profile_runner() -> ProfileRunner:
    """The visual profile (``spark_jobs.profile``)."""
    return ProfileJob()


def summarize(result: JobGroupResult, err: IO[str]) -> None:
    """One paragraph on stderr: status, time, what was written where, or what went wrong."""
    seconds = (result.durationMs or 0) / 1000
    err.write(f"[spark-jobs] job group {result.id} {result.status} in {seconds:.1f} s\n")
    for job in result.jobs:
        line = f"[spark-jobs]   job {job.id} {job.type}"
        if job.wrangledDataset:
            line += f" {job.wrangledDataset.name}"
        line += f": {job.status}"
        if job.rowCount is not None:
            line += f", {job.rowCount} rows"
        err.write(line + "\n")
        for output in job.outputs:
            err.write(
                f"[spark-jobs]     {output.format} -> {output.path} ({len(output.files)} files, {output.bytes} bytes)\n"
            )
    for error in result.errors:
        err.write(f"error: {error.message}\n")
    err.flush()
