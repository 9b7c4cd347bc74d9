"""Which JVM extras (spark-avro, Delta Lake, hadoop-aws) a job uses, and why.

A local run loads only these (:class:`spark_jobs.session.LocalSessionSettings` ``extras``): every
extra on every run cost seconds of each run's start, for jobs that never touch them (measured in
bench/results.md, "Whole process"). What a job uses is known from its spec before Spark starts:
the formats of its imported datasets and outputs, and whether a path is in S3.
"""

from __future__ import annotations

from collections.abc import Iterable

from spark_jobs.io.fs import normalize_uri
from spark_jobs.spec.models import ImportedDataset, JobSpec

#: what needs the hadoop-aws connector: every path that normalizes to ``s3a://``
S3A_SCHEME = "s3a://"


def _in_s3(uri: str) -> bool:
    return normalize_uri(uri).startswith(S3A_SCHEME)


def jvm_extras_for_job(
    spec: JobSpec, job_store: str, datasets: Iterable[ImportedDataset] | None = None
) -> dict[str, str]:
    """Each JVM extra the job uses, with the first reason found (for the log and the result).

    ``datasets``: the imported datasets the job graph reads (the plan's); by default every
    imported dataset of the flow (when Spark must start before planning).
    """
    needed: dict[str, str] = {}
    for dataset in spec.flow.importedDatasets if datasets is None else datasets:
        if dataset.format == "avro":
            needed.setdefault("spark-avro", f"imported dataset {dataset.name!r} is avro")
        if _in_s3(dataset.uri):
            needed.setdefault("hadoop-aws", f"imported dataset {dataset.name!r} is in S3")
    for index, setting in enumerate(spec.write_settings):
        if setting.format == "avro":
            needed.setdefault("spark-avro", f"output {index} is avro")
        if setting.format == "delta":
            needed.setdefault("delta-spark", f"output {index} is delta")
        if _in_s3(setting.path):
            needed.setdefault("hadoop-aws", f"output {index} is in S3")
    if _in_s3(job_store):
        needed.setdefault("hadoop-aws", "the job store is in S3")
    return needed
