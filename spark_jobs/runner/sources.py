"""Expand each dataset with parameters into the files it reads, for the planner.

:class:`SourceLister` is the planner's ``list_sources`` hook: for one imported dataset it fills in
the run's parameter values, lists the candidates once (:mod:`spark_jobs.io.matching`) and returns
the matching files, or raises a SpecError whose problem points at the dataset's ``uri``.

Local paths are listed in Python, before Spark starts. Any other file system is listed through
Hadoop in the driver JVM, so the lister needs the session; the run command starts it before
planning when a dataset with parameters lives there (:func:`needs_session`), so that every
problem, local or remote, is still reported at once and before Spark reads any data.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING

from spark_jobs.errors import Problem, SpecError, first_line
from spark_jobs.io.fs import filesystem_for, is_local
from spark_jobs.io.matching import match_files
from spark_jobs.spec.models import ImportedDataset, JobSpec
from spark_jobs.spec.parameters import ParameterError
from spark_jobs.spec.resolve import resolve_source

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


log = logging.getLogger(__name__)


def dataset_path(spec: JobSpec, dataset: ImportedDataset) -> str:
    """``$.flow.importedDatasets[i]`` of a dataset of the spec."""
    index = next(i for i, d in enumerate(spec.flow.importedDatasets) if d.id == dataset.id)
    return f"$.flow.importedDatasets[{index}]"


def needs_session(spec: JobSpec) -> bool:
    """Whether listing the spec's datasets with parameters needs Hadoop (a Spark session)."""
    return any(d.parameters and not is_local(d.uri) for d in spec.flow.importedDatasets)


class SourceLister:
    """``list_sources(dataset, spec) -> files`` for datasets with parameters.

    Without a session, a dataset on a Hadoop file system is not listed: it is recorded in
    :attr:`unlisted` and gets no files (``spark-jobs validate`` says so; a run always lists).
    """

    def __init__(self, *, run_time: datetime, spark: SparkSession | None = None) -> None:
        self.run_time = run_time
        self.spark = spark
        self.unlisted: list[int] = []

    def __call__(self, dataset: ImportedDataset, spec: JobSpec) -> list[str]:
        where = dataset_path(spec, dataset)
        template, _ = resolve_source(dataset, spec.run_parameters, self.run_time, where=where)
        local = is_local(dataset.uri)
        if not local and self.spark is None:
            self.unlisted.append(dataset.id)
            return []
        started = time.monotonic()
        try:
            found = match_files(template, filesystem_for(dataset.uri, self.spark))
        except ParameterError as exc:
            raise SpecError([Problem(f"{where}.uri", str(exc))]) from None
        except Exception as exc:  # the file system said no: unreachable host, no bucket, ...
            reason = first_line(exc, limit=200)
            raise SpecError(
                [Problem(f"{where}.uri", f"input cannot be reached: {dataset.uri} ({reason})")]
            ) from None
        if not found.files:
            raise SpecError(
                [
                    Problem(
                        f"{where}.uri",
                        f"no file matches {template.describe()}; searched "
                        + ", ".join(found.globs),
                    )
                ]
            )
        log.info(
            "imported dataset %r: %d files match %s (listed in %.2f s)",
            dataset.name,
            len(found.files),
            dataset.uri,
            time.monotonic() - started,
        )
        return found.files
