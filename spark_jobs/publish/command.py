"""The publish command, shared by ``spark-jobs publish`` and ``spark-submit .../publish.py``.

Order of work: read the connections file and the body, find the job group in the job store and
the output to publish (no Spark yet when the store is local: bad input costs no JVM start); start
Spark; check the files and the target (database, table, schemas) without changing anything; record
the publish job in the job group's result and print the response; publish; record how it went.

Exit codes: 0 published, 2 invalid input (nothing recorded, nothing changed), 1 the publish failed
(recorded as a Failed publish job; the target is as it was).
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from spark_jobs.errors import (
    EXIT_INVALID_INPUT,
    EXIT_JOB_FAILED,
    EXIT_OK,
    JobCanceledError,
    Problem,
    PublishError,
    SpecError,
    UserError,
    first_line,
)
from spark_jobs.io.fs import filesystem_for, is_local
from spark_jobs.jobstore import DEFAULT_ROOT, ErrorRecord, JobRecord, JobStore
from spark_jobs.publish.actions import PublishOutcome
from spark_jobs.publish.base import (
    Publisher,
    PublisherType,
    PublishHooks,
)
from spark_jobs.publish.source import PublishSource, check_source_files, find_source
from spark_jobs.publish.targets import publisher_for
from spark_jobs.spec.connections import ConnectionBase, Connections, load_connections
from spark_jobs.spec.publish import DOCUMENT, PublishBody, load_publish_body, read_publish_document

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_CONNECTIONS = "conf/connections.json"

SessionFactory = Callable[[ConnectionBase], "SparkSession"]


@dataclass(frozen=True)
class PublishRequest:
    """A validated publish request: which job group, how, through which connection."""

    job_group_id: int
    body: PublishBody
    connection: ConnectionBase
    publisher: PublisherType


def load_publish_request(
    job_group_id: int,
    body: str | Path | Mapping[str, Any],
    connections: str | Path | Mapping[str, Any],
) -> PublishRequest:
    """Validate the connections file and the body together; raise SpecError with every problem."""
    known = load_connections(connections)
    document = body if isinstance(body, Mapping) else read_publish_document(body)
    if not isinstance(document, Mapping):
        raise SpecError([Problem("$", "a publish body is a JSON object")], document=DOCUMENT)
    problems: list[Problem] = []
    publisher: PublisherType | None = None
    ref = document.get("connection")
    connection_id = ref.get("id") if isinstance(ref, Mapping) else None
    if isinstance(connection_id, int) and not isinstance(connection_id, bool):
        connection = known.get(connection_id)
        if connection is None:
            problems.append(_unknown_connection(connection_id, known))
        else:
            publisher = publisher_for(connection)
            problems += publisher.body_problems(document)
    parsed = load_publish_body(document, extra=problems)
    connection = known.get(parsed.connection.id)
    if connection is None:  # an id pydantic coerced ("1"): reported here, alone
        raise SpecError([_unknown_connection(parsed.connection.id, known)], document=DOCUMENT)
    if publisher is None:
        publisher = publisher_for(connection)
        load_publish_body(document, extra=publisher.body_problems(document))
    return PublishRequest(job_group_id, parsed, connection, publisher)


def _unknown_connection(connection_id: int, known: Connections) -> Problem:
    return Problem(
        "$.connection.id",
        f"no connection with id {connection_id} in {known.source} (known: {known.describe()})",
    )


def publish_command(
    job_group_id: int,
    body: str | Path | Mapping[str, Any],
    *,
    session: SessionFactory,
    connections: str | Path | Mapping[str, Any] = DEFAULT_CONNECTIONS,
    job_store: str = DEFAULT_ROOT,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
    hooks: PublishHooks | None = None,
) -> int:
    """Publish one job group's results; returns the process exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    hooks = hooks or PublishHooks()
    store: JobStore | None = None
    source: PublishSource | None = None
    try:
        if job_group_id < 1:
            raise PublishError(f"a job group id is a positive number, not {job_group_id}")
        request = load_publish_request(job_group_id, body, connections)
        if is_local(job_store):  # read before Spark starts: bad input costs no JVM
            store = JobStore(job_store)
            source = _find_source(store, request)
    except UserError as exc:
        return _invalid(exc, err)

    spark = session(request.connection)
    try:
        if store is None or source is None:  # a store on a Hadoop file system needs Spark
            store = JobStore(job_store, spark)
            source = _find_source(store, request)
        check_source_files(source, filesystem_for(source.path, spark))
        publisher = request.publisher(spark, request.connection, request.body, source, hooks)
        publisher.prepare()
    except UserError as exc:
        return _invalid(exc, err)
    except Exception as exc:  # the metastore or a file system failed before anything changed
        err.write(
            f"error: publishing job group {job_group_id} failed before it started: {first_line(exc)}\n"
        )
        err.flush()
        return EXIT_JOB_FAILED

    session_id = str(uuid.uuid4())
    job = start_publish_job(store, request, source, session_id)
    response = {"jobgroupId": job_group_id, "reason": "JobStarted", "sessionId": session_id}
    out.write(json.dumps(response, indent=2) + "\n")
    out.flush()
    return _run(publisher, store, request, job, err)


def _find_source(store: JobStore, request: PublishRequest) -> PublishSource:
    """The job group's output to publish: the one read of the job group's result."""
    result = store.load(request.job_group_id)
    return find_source(result, request.body, target=request.publisher.target)


def _invalid(exc: UserError, err: IO[str]) -> int:
    err.write(f"error: {exc.message}\n")
    err.flush()
    return EXIT_INVALID_INPUT


def _run(
    publisher: Publisher, store: JobStore, request: PublishRequest, job: JobRecord, err: IO[str]
) -> int:
    try:
        outcome = publisher.run()
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            exc = JobCanceledError("publish canceled by SIGINT")
        finish_publish_job(store, request.job_group_id, job, error=exc)
        err.write(
            f"error: publish job {job.id} of job group {request.job_group_id} {job.status}: {first_line(exc)}\n"
        )
        err.flush()
        if not isinstance(exc, Exception | JobCanceledError):
            raise
        return EXIT_INVALID_INPUT if isinstance(exc, UserError) else EXIT_JOB_FAILED
    finish_publish_job(store, request.job_group_id, job, outcome=outcome)
    seconds = (job.durationMs or 0) / 1000
    err.write(
        f"[spark-jobs] publish job {job.id} of job group {request.job_group_id} Complete in "
        f"{seconds:.1f} s: {outcome.rows} rows -> {outcome.table} ({outcome.action})\n"
    )
    err.flush()
    return EXIT_OK


# --- the publish job in the job group's result ------------------------------------------------


def start_publish_job(
    store: JobStore, request: PublishRequest, source: PublishSource, session_id: str
) -> JobRecord:
    """Append an InProgress publish job after the filewriter job; returns its record."""
    body = request.body
    job = JobRecord(
        id=store.new_job_id(),
        type="publish",
        details={
            "sessionId": session_id,
            "connection": {
                "id": request.connection.id,
                "type": request.connection.type,
                "name": request.connection.name,
            },
            "action": body.action,
            "inputFormat": body.inputFormat,
            "path": list(body.path),
            "requestedTable": body.table,
            "source": {
                "jobId": source.writer_job_id,
                "outputIndex": source.output_index,
                "path": source.path,
                "files": len(source.files),
            },
        },
    )
    job.start()
    store.add_job(request.job_group_id, job, after=[source.writer_job_id])
    return job


def finish_publish_job(
    store: JobStore,
    job_group_id: int,
    job: JobRecord,
    *,
    outcome: PublishOutcome | None = None,
    error: BaseException | None = None,
) -> None:
    """Record how the publish job ended: Complete with the table and rows, or Failed / Canceled."""
    if outcome is not None:
        job.rowCount = outcome.rows
        job.details.update(outcome.details)
        job.details.update({"table": outcome.table, "rowsLoaded": outcome.rows})
        job.finish("Complete")
    else:
        assert error is not None
        status = "Canceled" if isinstance(error, JobCanceledError) else "Failed"
        job.finish(status, ErrorRecord.of(error))  # type: ignore[arg-type]
    store.finish_job(job_group_id, job)
