"""Run a planned job group: read sources, run every recipe of the job graph, write the outputs.

The jobs of a job group, as the API lists them (``jobs.data``, ``jobGraph``):

* one ``wrangle`` job per wrangled dataset of the job graph (the target and every dataset it
  depends on), edges following the dependencies;
* one ``filewriter`` job writing every writeSettings entry of the target (edge from the target's
  wrangle job); its outputs are committed together, only when all of them were written;
* one ``profile`` job when ``overrides.profiler`` is true (edge from the target's wrangle job).

Spark runs the whole graph as one plan per output, so the wrangle jobs run while the outputs are
written; each one's row count is observed in that same pass (``DataFrame.observe``), with no
extra Spark job. A dataset used by more than one consumer is computed once (persisted).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Protocol, cast

from pyspark import StorageLevel
from pyspark.sql import Observation
from pyspark.sql import functions as F

from spark_jobs import metadata_columns
from spark_jobs.errors import JobCanceledError, SparkJobsError, UserError
from spark_jobs.io.outputs import CommittedOutput, OutputCommitter
from spark_jobs.io.sources import read_dataset
from spark_jobs.jobstore import (
    DatasetRecord,
    Edge,
    ErrorRecord,
    FileRecord,
    JobGraph,
    JobGroupResult,
    JobRecord,
    JobStore,
    OutputRecord,
    ParameterRecord,
    SourceRecord,
    timestamp,
)
from spark_jobs.profile import ProfileReport
from spark_jobs.recipe import DatasetReference, apply_recipe
from spark_jobs.recipe.types import infer_types, to_json_output, to_physical
from spark_jobs.runner.plan import DatasetKey, JobPlan
from spark_jobs.runner.progress import StageProgress
from spark_jobs.session import jvm_extras_available

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

#: formats that store typed values: columns typed by the recipe engine are cast to their Spark type
#: (CSV keeps every value as it was imported, mismatched ones included; JSON keeps dates as their
#: text and writes arrays and objects as JSON values: recipe.types.to_json_output)
TYPED_FORMATS = frozenset({"avro", "pqt", "delta"})
OBSERVATION_WAIT_SECONDS = 10.0


def create_job_group(plan: JobPlan, store: JobStore) -> JobGroupResult:
    """Allocate ids and record the job group as Created; nothing runs yet."""
    spec = plan.spec
    group_id = store.new_job_group_id()
    jobs: list[JobRecord] = []
    wrangle_job_of: dict[int, int] = {}
    for dataset_plan in plan.order:
        job = JobRecord(
            id=store.new_job_id(),
            type="wrangle",
            wrangledDataset=DatasetRecord(
                id=dataset_plan.dataset.id, name=dataset_plan.dataset.name
            ),
        )
        wrangle_job_of[dataset_plan.dataset.id] = job.id
        jobs.append(job)
    edges = [
        Edge(source=wrangle_job_of[a], target=wrangle_job_of[b]) for a, b in plan.dataset_edges()
    ]
    target_job = wrangle_job_of[plan.target.dataset.id]
    writer = JobRecord(id=store.new_job_id(), type="filewriter")
    jobs.append(writer)
    edges.append(Edge(source=target_job, target=writer.id))
    if spec.profiler:
        profile = JobRecord(id=store.new_job_id(), type="profile")
        jobs.append(profile)
        edges.append(Edge(source=target_job, target=profile.id))
    result = JobGroupResult(
        id=group_id,
        sessionId=str(uuid.uuid4()),
        wrangledDataset=DatasetRecord(id=spec.target.id, name=spec.target.name),
        execution=spec.execution,
        profiler=spec.profiler,
        ranfrom=spec.jobGroup.ranfrom,
        runParameters=spec.run_parameters,
        **_result_fields(plan),
        jobs=jobs,
        jobGraph=JobGraph(vertices=[j.id for j in jobs], edges=_dedupe(edges)),
        host=socket.gethostname(),
        pid=os.getpid(),
    )
    store.save(result)
    store.save_document(
        group_id, "spec.json", spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    )
    return result


def _result_fields(plan: JobPlan) -> dict[str, Any]:
    """The result's ``parameters`` and ``sources``: what each parameter stood for, and the files
    each imported dataset of the job graph reads."""
    parameters = [
        ParameterRecord(
            name=v.name, type=v.type, value=v.value, source=v.source, usedBy=list(v.used_by)
        )
        for v in plan.parameters
    ]
    sources = []
    for dataset in plan.imported.values():
        files = plan.source_uris.get(dataset.id) if dataset.parameters else None
        sources.append(
            SourceRecord(
                importedDataset=DatasetRecord(id=dataset.id, name=dataset.name),
                uri=dataset.uri,
                files=files,
                fileCount=None if files is None else len(files),
            )
        )
    return {"parameters": parameters, "sources": sources}


def _dedupe(edges: list[Edge]) -> list[Edge]:
    seen: set[tuple[int, int]] = set()
    out = []
    for edge in edges:
        if (edge.source, edge.target) not in seen:
            seen.add((edge.source, edge.target))
            out.append(edge)
    return out


class Cancellation:
    """Turns SIGTERM / SIGINT into a clean cancel: Spark jobs stopped, staging removed, status Canceled."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        self.requested = threading.Event()
        self.signal_name = ""
        self._previous: dict[signal.Signals, Any] = {}

    def _handler(self, signum: int, frame: object) -> None:
        # A signal handler runs in the main thread, possibly in the middle of a py4j call: calling
        # into the JVM from here would reuse that connection. Another thread has its own.
        self.signal_name = signal.Signals(signum).name
        self.requested.set()
        threading.Thread(
            target=self._cancel_spark_jobs, name="spark-jobs-cancel", daemon=True
        ).start()

    def _cancel_spark_jobs(self) -> None:
        try:
            self.spark.sparkContext.cancelAllJobs()
        except Exception:
            pass

    def check(self) -> None:
        if self.requested.is_set():
            raise JobCanceledError(f"job group canceled by {self.signal_name}")

    @contextmanager
    def installed(self) -> Iterator[Cancellation]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._handler)
        try:
            yield self
        finally:
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)


@dataclass
class _Observed:
    df: DataFrame
    observation: Observation
    consumers: int = 0

    @property
    def cached(self) -> bool:
        """Read by more than one consumer, so the runner persists it (computed once)."""
        return self.consumers > 1


@dataclass
class RunContext:
    spark: SparkSession
    plan: JobPlan
    store: JobStore
    result: JobGroupResult
    cancel: Cancellation
    frames: dict[int, _Observed] = field(default_factory=dict)
    persisted: list[DataFrame] = field(default_factory=list)
    #: the job a failure now is charged to (the wrangle job compiling, the filewriter writing)
    running: JobRecord | None = None

    def save(self) -> None:
        self.result.refresh_status()
        self.store.save(self.result)


class ProfileRunner(Protocol):
    """What runs the profile job after the outputs are committed; returns the profile, which
    the runner stores next to the result (:meth:`JobStore.save_profile`).

    ``cached``: ``df`` reads the target from Spark's cache (the runner persisted it for several
    consumers), so reading it again costs no recompute of the recipes.
    """

    def __call__(
        self,
        spark: SparkSession,
        df: DataFrame,
        *,
        title: str,
        description: str = "profile",
        cached: bool = False,
    ) -> ProfileReport: ...


def run_job_group(
    spark: SparkSession,
    plan: JobPlan,
    store: JobStore,
    result: JobGroupResult,
    *,
    profile_runner: ProfileRunner | None = None,
    progress: IO[str] | None = None,
) -> JobGroupResult:
    """Run every job of ``result`` (created by :func:`create_job_group`) and record how it went.

    Never raises for a failed job: the failure is in the result (status Failed / Canceled, with
    the error) and the caller maps it to an exit code. Old outputs survive any failure.
    """
    from spark_jobs import __version__

    result.sparkVersion = spark.version
    result.sparkMaster = spark.sparkContext.master
    result.sparkApplicationId = spark.sparkContext.applicationId
    result.jvmExtras = sorted(name for name, ok in jvm_extras_available(spark).items() if ok)
    result.startedAt = result.createdAt
    for job in result.jobs:
        job.status = "Pending"
    cancel = Cancellation(spark)
    ctx = RunContext(spark=spark, plan=plan, store=store, result=result, cancel=cancel)
    ctx.save()
    spark.sparkContext.setJobGroup(
        f"spark-jobs-{result.id}", f"spark_jobs {__version__} job group {result.id}", True
    )
    started = time.monotonic()
    try:
        with cancel.installed(), _progress(spark, progress):
            _run(ctx, profile_runner)
    finally:
        for df in ctx.persisted:
            try:
                df.unpersist()
            except Exception:
                pass
        result.finishedAt = timestamp()
        result.durationMs = int((time.monotonic() - started) * 1000)
        ctx.save()
    return result


@contextmanager
def _progress(spark: SparkSession, stream: IO[str] | None) -> Iterator[None]:
    """Stage progress lines on ``stream`` (none when it is None)."""
    if stream is None:
        yield
        return
    with StageProgress(spark, stream=stream):
        yield


def _fail_open_jobs(
    result: JobGroupResult, exc: BaseException, failed_job: JobRecord | None
) -> None:
    status = "Canceled" if isinstance(exc, JobCanceledError) else "Failed"
    record = ErrorRecord.of(exc)
    if failed_job is not None:
        failed_job.finish(status, record)  # type: ignore[arg-type]
    for job in result.jobs:
        if job.status not in ("Complete", "Failed", "Canceled"):
            job.finish("Canceled" if job is not failed_job else status)  # type: ignore[arg-type]
    result.errors.append(record)


def _run(ctx: RunContext, profile_runner: ProfileRunner | None) -> None:
    """The job group's three steps; a failure of the first two fails the job then running."""
    result = ctx.result
    committer = OutputCommitter(ctx.spark, result.id)
    try:
        target = _compile_graph(ctx, profile_runner)
        target_rows = _write_outputs(ctx, committer, target)
    except BaseException as exc:
        committer.abort()
        if isinstance(exc, KeyboardInterrupt):
            exc = JobCanceledError("job group canceled by SIGINT")
        if ctx.cancel.requested.is_set() and not isinstance(exc, JobCanceledError):
            exc = JobCanceledError(f"job group canceled by {ctx.cancel.signal_name}")
        _fail_open_jobs(result, exc, ctx.running)
        ctx.save()
        if not isinstance(exc, Exception | JobCanceledError):
            raise
        if not isinstance(exc, SparkJobsError):
            log.error("job group %s failed", result.id, exc_info=exc)
        return
    _run_profile_job(ctx, profile_runner, target, target_rows)


def _compile_graph(ctx: RunContext, profile_runner: ProfileRunner | None) -> DataFrame:
    """Step 1: every recipe against its input's schema (no data read yet); the target's frame,
    its visible columns only. Each wrangle job is InProgress from here until the writes end."""
    result, plan = ctx.result, ctx.plan
    wrangle_jobs = {j.wrangledDataset.id: j for j in result.jobs_of("wrangle") if j.wrangledDataset}
    consumers = _consumer_counts(plan)
    sources: dict[int, DataFrame] = {}
    for dataset_plan in plan.order:
        ctx.cancel.check()
        ctx.running = wrangle_jobs[dataset_plan.dataset.id]
        ctx.running.start()
        ctx.save()
        df = _input_frame(ctx, dataset_plan.input, sources)

        def resolve(ref: DatasetReference, _plan: Any = dataset_plan) -> DataFrame:
            return _input_frame(ctx, _plan.references[ref], sources)

        df = apply_recipe(
            df, dataset_plan.recipe, resolve=resolve, dataset=dataset_plan.dataset.name
        )
        if dataset_plan.dataset.id == plan.target.dataset.id and plan.spec.profiler:
            df = _attach_profile(df, profile_runner)
        observation = Observation(f"rows_{result.id}_{dataset_plan.dataset.id}")
        observed = df.observe(observation, F.count(F.lit(1)).alias("rows"))
        observed_frame = _Observed(observed, observation, consumers.get(dataset_plan.dataset.id, 0))
        if observed_frame.cached:
            observed_frame.df = observed_frame.df.persist(StorageLevel.MEMORY_AND_DISK)
            ctx.persisted.append(observed_frame.df)
        ctx.frames[dataset_plan.dataset.id] = observed_frame
    ctx.running = None

    target = ctx.frames[plan.target.dataset.id].df
    visible = [c for c in target.columns if not metadata_columns.is_hidden(c)]
    return target.select(*[F.col(f"`{c}`") for c in visible])


def _write_outputs(ctx: RunContext, committer: OutputCommitter, target: DataFrame) -> int | None:
    """Step 2: write every output into staging, then commit them all; record the outputs and
    the rows observed meanwhile, and complete the wrangle and filewriter jobs. The target's
    row count (None when Spark never ran its plan)."""
    result, plan = ctx.result, ctx.plan
    writer_job = result.jobs_of("filewriter")[0]
    ctx.running = writer_job
    writer_job.start()
    ctx.save()
    for index, setting in enumerate(plan.outputs):
        ctx.cancel.check()
        json_values: list[str] = []
        if setting.format == "json":
            frame, json_values = to_json_output(target)
        elif setting.format in TYPED_FORMATS:
            frame = to_physical(target)
        else:
            frame = target
        ctx.spark.sparkContext.setJobDescription(
            f"output {index}: {setting.format} -> {setting.path}"
        )
        committer.stage(frame, setting, index, json_values=json_values)
    ctx.cancel.check()
    committed = committer.commit()
    ctx.spark.sparkContext.setJobDescription(None)  # type: ignore[arg-type]

    rows = _observed_rows(ctx)
    target_rows = rows.get(plan.target.dataset.id)
    writer_job.outputs = [_output_record(c, target_rows) for c in committed]
    writer_job.rowCount = target_rows
    for job in result.jobs_of("wrangle"):
        if job.wrangledDataset:
            job.rowCount = rows.get(job.wrangledDataset.id)
            job.finish("Complete")
    writer_job.finish("Complete")
    ctx.running = None
    ctx.save()
    return target_rows


def _run_profile_job(
    ctx: RunContext,
    profile_runner: ProfileRunner | None,
    target: DataFrame,
    target_rows: int | None,
) -> None:
    """Step 3, after the outputs are committed: the profile job, whose failure never touches
    them."""
    result, plan = ctx.result, ctx.plan
    profile_jobs = result.jobs_of("profile")
    if not profile_jobs:
        return
    job = profile_jobs[0]
    job.start()
    ctx.save()
    try:
        if profile_runner is None:
            raise UserError("visual profiling is not available in this build")
        cached = ctx.frames[plan.target.dataset.id].cached
        job.details = _profile(ctx, profile_runner, target, cached=cached)
        job.rowCount = target_rows
        job.finish("Complete")
    except Exception as exc:
        job.finish("Failed", ErrorRecord.of(exc))
        result.errors.append(ErrorRecord.of(exc))
    ctx.save()


def _profile(
    ctx: RunContext, profile_runner: ProfileRunner, target: DataFrame, *, cached: bool
) -> dict[str, Any]:
    """Profile the target, store the profile beside the result; the profile job's details."""
    result = ctx.result
    dataset = result.wrangledDataset
    report = profile_runner(
        ctx.spark,
        target,
        title=f"Profile of {dataset.name} (job group {result.id})",
        description=f"job group {result.id} profile",
        cached=cached,
    )
    document = {
        **report.document,
        "jobGroup": {"id": result.id, "wrangledDataset": dataset.model_dump()},
    }
    json_path, html_path = ctx.store.save_profile(result.id, document, report.html)
    return {
        "profileJson": json_path,
        "profileHtml": html_path,
        "rowCount": document["rowCount"],
        "columnCount": document["columnCount"],
        "sparkJobs": document["sparkJobs"],
        "passes": document["passes"],
    }


def _consumer_counts(plan: JobPlan) -> dict[int, int]:
    """How many times each wrangled dataset's frame is read: by later datasets, and by the outputs
    (the profile reads the target again only as a sample, see :func:`_attach_profile`)."""
    counts: dict[int, int] = {}
    for dataset_plan in plan.order:
        for key in [dataset_plan.input, *dataset_plan.references.values()]:
            if key.kind == "wrangled":
                counts[key.id] = counts.get(key.id, 0) + 1
    target = plan.target.dataset.id
    # the profile is no consumer: pass 1 is observed during the writes, and pass 2 reads a
    # sample (persisting the whole target for it cost more than recomputing it)
    counts[target] = counts.get(target, 0) + len(plan.outputs)
    return counts


def _attach_profile(df: DataFrame, profile_runner: ProfileRunner | None) -> DataFrame:
    """``df`` with the profile's first pass observed, when the runner can do that.

    A failure here must not fail the wrangle job: the profile then runs its first pass itself.
    """
    attach = getattr(profile_runner, "attach", None)
    if attach is None:
        return df
    visible = [c for c in df.columns if not metadata_columns.is_hidden(c)]
    try:
        return cast("DataFrame", attach(df, visible))
    except Exception:  # the profile job reports its own failure later
        log.warning("profile: first pass not attached to the writes", exc_info=True)
        return df


def _input_frame(ctx: RunContext, key: DatasetKey, sources: dict[int, DataFrame]) -> DataFrame:
    if key.kind == "wrangled":
        return ctx.frames[key.id].df
    if key.id not in sources:
        dataset = ctx.plan.imported[key.id]
        df = read_dataset(
            ctx.spark,
            dataset,
            uris=ctx.plan.source_uris.get(key.id),
            metadata=ctx.plan.metadata_by_source.get(key.id, set()),
        )
        sources[key.id] = infer_types(df)
    return sources[key.id]


def _observed_rows(ctx: RunContext) -> dict[int, int | None]:
    """Row counts observed while the outputs were written (None where Spark never ran the plan)."""
    deadline = time.monotonic() + OBSERVATION_WAIT_SECONDS
    out: dict[int, int | None] = {}
    for dataset_id, observed in ctx.frames.items():
        jo = observed.observation._jo
        while jo is not None and not jo.future().isCompleted() and time.monotonic() < deadline:
            time.sleep(0.02)
        if jo is not None and jo.future().isCompleted():
            out[dataset_id] = int(observed.observation.get["rows"])
        else:
            out[dataset_id] = None
    return out


def _output_record(output: CommittedOutput, rows: int | None) -> OutputRecord:
    return OutputRecord(
        index=output.index,
        path=output.path,
        requestedPath=output.requested_path,
        action=output.action,
        format=output.format,
        compression=output.compression,
        asSingleFile=output.single_file,
        writer=output.writer,
        rowCount=rows,
        bytes=output.bytes,
        files=[FileRecord(path=f.path, bytes=f.size) for f in output.files],
        renamedColumns=output.renamed_columns,
        jsonEncodedColumns=output.json_encoded_columns,
        deltaVersion=output.delta_version,
    )
