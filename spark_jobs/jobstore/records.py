"""The result records of a job group: the one record of what ran, how it went and what it wrote.

A job group's result is saved in the job store at every status change (so a watcher, or a later
``publish``, sees the truth even while the job runs); its schema is documented in
``docs/result.md`` and is a contract: cluster drivers write it, the runner, publish and the
server read it. :func:`now` is the one clock of runs and publishes.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from spark_jobs.errors import SparkJobsError, first_line

JobStatus = Literal["Created", "Pending", "InProgress", "Complete", "Failed", "Canceled"]
JobType = Literal["wrangle", "filewriter", "profile", "publish"]
TERMINAL: frozenset[str] = frozenset({"Complete", "Failed", "Canceled"})


def now() -> datetime:
    """The current time in UTC (aware): run times, the timestamps of results, new tables' names."""
    return datetime.now(timezone.utc)


def timestamp() -> str:
    """:func:`now` as a result's timestamps are written: ISO 8601 with milliseconds
    (``2024-05-01T10:00:00.123Z``)."""
    return now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ResultModel(BaseModel):
    # results written by a newer release may carry more fields; keep them
    model_config = ConfigDict(extra="allow")


class ErrorRecord(ResultModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, exc: BaseException) -> ErrorRecord:
        """The record of an exception: our errors with their code and details, any other as an
        ``INTERNAL_ERROR`` naming its type and first line."""
        if isinstance(exc, SparkJobsError):
            data = exc.to_json()
            details = {k: v for k, v in data.items() if k not in ("code", "message")}
            return cls(code=str(data["code"]), message=str(data["message"]), details=details)
        name, line = type(exc).__name__, first_line(exc, 1000)
        return cls(code="INTERNAL_ERROR", message=name if line == name else f"{name}: {line}")


class FileRecord(ResultModel):
    path: str
    bytes: int


class OutputRecord(ResultModel):
    """One writeSettings entry as it was written."""

    index: int
    path: str  # where the data is (differs from requestedPath for action create on a taken path)
    requestedPath: str
    action: str
    format: str
    compression: str
    asSingleFile: bool
    writer: str  # native | fastavro (avro); native otherwise
    rowCount: int | None = None
    bytes: int = 0
    files: list[FileRecord] = Field(default_factory=list)
    renamedColumns: dict[str, str] = Field(default_factory=dict)
    jsonEncodedColumns: list[str] = Field(default_factory=list)
    deltaVersion: int | None = None  # format delta: the table version this run wrote


class DatasetRecord(ResultModel):
    id: int
    name: str


class ParameterRecord(ResultModel):
    """What one parameter stood for in this run (dataset and output path parameters)."""

    name: str
    type: str  # variable | pattern | datetime | timestamp
    value: str  # the text used, the pattern, or the range of dates read
    source: str  # default | override (runParameters) | runTime (relative dates, timestamps)
    usedBy: list[str] = Field(default_factory=list)  # JSON paths of its definitions


class SourceRecord(ResultModel):
    """An imported dataset of the job graph and the files it read."""

    importedDataset: DatasetRecord
    uri: str  # as written in the spec
    files: list[str] | None = None  # the files matched; None: no parameters, uri read as is
    fileCount: int | None = None


class JobRecord(ResultModel):
    id: int
    type: JobType
    status: JobStatus = "Created"
    wrangledDataset: DatasetRecord | None = None
    createdAt: str = Field(default_factory=timestamp)
    startedAt: str | None = None
    finishedAt: str | None = None
    durationMs: int | None = None
    rowCount: int | None = None
    outputs: list[OutputRecord] = Field(default_factory=list)
    error: ErrorRecord | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    def start(self) -> None:
        self.status = "InProgress"
        self.startedAt = timestamp()

    def finish(self, status: JobStatus, error: ErrorRecord | None = None) -> None:
        self.status = status
        self.finishedAt = timestamp()
        if error is not None:
            self.error = error
        if self.startedAt:
            start = datetime.fromisoformat(self.startedAt.replace("Z", "+00:00"))
            end = datetime.fromisoformat(self.finishedAt.replace("Z", "+00:00"))
            self.durationMs = int((end - start).total_seconds() * 1000)


class Edge(ResultModel):
    source: int
    target: int


class JobGraph(ResultModel):
    vertices: list[int]
    edges: list[Edge]


class JobGroupResult(ResultModel):
    id: int
    sessionId: str
    status: JobStatus = "Created"
    wrangledDataset: DatasetRecord
    execution: str
    profiler: bool
    ranfrom: str | None
    runParameters: dict[str, str] = Field(default_factory=dict)
    parameters: list[ParameterRecord] = Field(default_factory=list)
    sources: list[SourceRecord] = Field(default_factory=list)
    createdAt: str = Field(default_factory=timestamp)
    startedAt: str | None = None
    finishedAt: str | None = None
    durationMs: int | None = None
    jobs: list[JobRecord]
    jobGraph: JobGraph
    errors: list[ErrorRecord] = Field(default_factory=list)
    host: str | None = None
    pid: int | None = None
    sparkVersion: str | None = None
    sparkMaster: str | None = None
    sparkApplicationId: str | None = None
    #: the optional JVM extras the run's session had (spark-avro, delta-spark, hadoop-aws): a
    #: local run loads only those its job uses, a cluster run has what the cluster was given
    jvmExtras: list[str] | None = None

    def job(self, job_id: int) -> JobRecord:
        return next(j for j in self.jobs if j.id == job_id)

    def jobs_of(self, job_type: JobType) -> list[JobRecord]:
        return [j for j in self.jobs if j.type == job_type]

    def add_job(self, job: JobRecord, *, after: list[int]) -> None:
        """Append a job that needs the results of the jobs ``after`` (a publish after the
        filewriter): it becomes a vertex of the job graph, with an edge from each of them."""
        self.jobs.append(job)
        self.jobGraph.vertices.append(job.id)
        self.jobGraph.edges += [Edge(source=source, target=job.id) for source in after]

    def replace_job(self, job: JobRecord) -> None:
        """Put a newer record of one of this group's jobs in place of the older one."""
        index = next(i for i, j in enumerate(self.jobs) if j.id == job.id)
        self.jobs[index] = job

    def create_response(self) -> dict[str, Any]:
        """What ``POST /v4/jobGroups`` answers (201 Created): both releases' fields."""
        return {
            "id": self.id,
            "sessionId": self.sessionId,
            "reason": "JobStarted",
            "jobs": {"data": [{"id": j.id} for j in self.jobs]},
            "jobGraph": self.jobGraph.model_dump(),
        }

    def refresh_status(self) -> None:
        """The job group's status follows its jobs: any Failed -> Failed, any Canceled -> Canceled."""
        statuses = {j.status for j in self.jobs}
        if "Failed" in statuses:
            status: JobStatus = "Failed"
        elif "Canceled" in statuses:
            status = "Canceled"
        elif statuses <= {"Complete"}:
            status = "Complete"
        elif statuses & {"InProgress", "Complete"}:
            status = "InProgress"
        else:
            status = "Pending"
        self.status = status
