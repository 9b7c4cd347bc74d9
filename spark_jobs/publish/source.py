"""The results a publish loads: one output of a completed job group, as its result records it.

The table is loaded from the job group's own output of the body's ``inputFormat`` (the first one
in writeSettings order when there are several), never converted from another format: a csv or
json output cannot say which type each column has, and the platform requires the job to have
produced the format it publishes. Only the files the job wrote are read (an ``append`` output's
directory may hold older files), and they must still be as the job left them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from spark_jobs.errors import PublishError
from spark_jobs.io.fs import FileSystem
from spark_jobs.jobstore import JobGroupResult, JobRecord
from spark_jobs.session import jvm_extras_available
from spark_jobs.spec.publish import PublishBody

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

#: Spark data source of each format a publisher reads with Spark
SPARK_READER = {"pqt": "parquet", "avro": "avro", "delta": "delta"}


@dataclass(frozen=True)
class SourceFile:
    path: str
    bytes: int


@dataclass(frozen=True)
class PublishSource:
    """One output of a job group, to be published."""

    job_group_id: int
    writer_job_id: int
    output_index: int
    format: str
    path: str
    files: tuple[SourceFile, ...]
    row_count: int | None
    renamed_columns: dict[str, str] = field(default_factory=dict)
    #: a delta output: the table version the job wrote (read with time travel)
    delta_version: int | None = None

    @property
    def file_paths(self) -> list[str]:
        return [f.path for f in self.files] or [self.path]


def _job_label(job: JobRecord) -> str:
    name = f" ({job.wrangledDataset.name})" if job.wrangledDataset else ""
    return f"{job.type} job {job.id}{name}"


def check_publishable(result: JobGroupResult, body: PublishBody) -> None:
    """Only a job group whose wrangle and filewriter jobs completed can be published."""
    jobs = result.jobs_of("wrangle") + result.jobs_of("filewriter")
    unfinished = [j for j in jobs if j.status != "Complete"]
    if unfinished:
        # the job that failed explains the group best; the ones canceled after it, less
        rank = {"Failed": 0, "Canceled": 1}
        job = min(unfinished, key=lambda j: rank.get(j.status, 2))
        if job.status in ("Failed", "Canceled"):
            why = f": {job.error.message.splitlines()[0]}" if job.error else ""
            raise PublishError(
                f"job group {result.id} cannot be published: its {_job_label(job)} is "
                f"{job.status}{why}. Only a job group whose jobs completed can be published; "
                "fix the cause and run the job again"
            )
        raise PublishError(
            f"job group {result.id} cannot be published yet: its {_job_label(job)} is "
            f"{job.status}. Publish it once the job group has completed"
        )
    if body.flowNodeId is not None and body.flowNodeId != result.wrangledDataset.id:
        raise PublishError(
            f"flowNodeId {body.flowNodeId} is not the recipe job group {result.id} ran: it ran "
            f"wrangled dataset {result.wrangledDataset.id} ({result.wrangledDataset.name})"
        )


def find_source(result: JobGroupResult, body: PublishBody, *, target: str) -> PublishSource:
    """The job group's output in ``body.inputFormat``; PublishError when it wrote none."""
    check_publishable(result, body)
    fmt = body.inputFormat
    for job in result.jobs_of("filewriter"):
        for output in sorted(job.outputs, key=lambda o: o.index):
            if output.format == fmt:
                return PublishSource(
                    job_group_id=result.id,
                    writer_job_id=job.id,
                    output_index=output.index,
                    format=fmt,
                    path=output.path,
                    files=tuple(SourceFile(f.path, f.bytes) for f in output.files),
                    row_count=output.rowCount,
                    renamed_columns=dict(output.renamedColumns),
                    delta_version=output.deltaVersion,
                )
    written = [f"{o.format} ({o.path})" for j in result.jobs_of("filewriter") for o in j.outputs]
    raise PublishError(
        f"job group {result.id} wrote no {fmt} output, so there is nothing to publish to {target} "
        f"with inputFormat {fmt!r} (it wrote: {', '.join(written) or 'nothing'}). Results are "
        f"published in the format the job produced, never converted: run the job with a {fmt} "
        "output in its writeSettings, then publish that job group"
    )


def check_source_files(source: PublishSource, fs: FileSystem) -> None:
    """The files the job wrote must still be there, with the sizes it recorded."""
    label = f"the {source.format} output of job group {source.job_group_id} ({source.path})"
    if not source.files:
        if not fs.exists(source.path):
            raise PublishError(f"{label} is gone; run the job group again")
        return
    for info in source.files:
        if not fs.exists(info.path):
            raise PublishError(
                f"{label} changed since the job wrote it: {info.path} is gone; run the job group again"
            )
    for info in source.files:
        actual = sum(f.size for f in fs.walk_files(info.path))
        if actual != info.bytes:
            raise PublishError(
                f"{label} changed since the job wrote it: {info.path} has {actual} bytes, the job "
                f"wrote {info.bytes}; run the job group again"
            )


def read_source(spark: SparkSession, source: PublishSource) -> DataFrame:
    """The results as a DataFrame (Spark reads them; nothing comes to the driver)."""
    reader = SPARK_READER.get(source.format)
    if reader is None:
        raise PublishError(f"{source.format} results cannot be read for this target")
    if reader == "avro" and not jvm_extras_available(spark)["spark-avro"]:
        from spark_jobs.publish.avro_source import read_avro_files

        log.info(
            "avro results read by the fastavro fallback: the spark-avro jar is not on the classpath"
        )
        return read_avro_files(spark, source.file_paths)
    if reader == "delta":
        # the version the job wrote, whatever was committed to the table since
        from spark_jobs.io.delta import require_delta

        require_delta(spark)
        delta_reader = spark.read.format("delta")
        if source.delta_version is not None:
            delta_reader = delta_reader.option("versionAsOf", source.delta_version)
        return delta_reader.load(source.path)
    return spark.read.format(reader).load(source.file_paths)
