"""The API's response bodies, as pydantic models (they document ``/openapi.json``).

Field names and shapes are the platform's (pages "API JobGroups Get v4", "... Get Jobs v4",
"... List v4", "... Create v4", "... Cancel v4", "... Put Publish v4"). The request bodies are the
spec's own models (:class:`spark_jobs.spec.JobGroupRequest`, :class:`spark_jobs.spec.publish.PublishBody`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

#: what the API says of a job group: Created and Pending read as InProgress (a client's sensor,
#: Airflow's, stops waiting on anything but InProgress)
ApiStatus = Literal["InProgress", "Complete", "Failed", "Canceled"]
JobStatus = Literal["Created", "Pending", "InProgress", "Complete", "Failed", "Canceled"]


class IdRef(BaseModel):
    id: int


class Edge(BaseModel):
    source: int
    target: int


class JobGraph(BaseModel):
    vertices: list[int]
    edges: list[Edge]


class JobIds(BaseModel):
    data: list[IdRef]


class CreateResponse(BaseModel):
    """``POST /v4/jobGroups`` (201)."""

    id: int
    reason: Literal["JobStarted"] = "JobStarted"
    sessionId: str
    jobs: JobIds
    jobGraph: JobGraph


class JobView(BaseModel):
    """One job of a job group (``GET /v4/jobGroups/<id>/jobs``)."""

    id: int
    status: JobStatus
    jobType: Literal["wrangle", "filewriter", "profile", "publish"]
    sampleSize: int = 100
    percentComplete: int
    createdAt: str
    updatedAt: str
    lastHeartbeatAt: str | None = None
    executionLanguage: str | None = None
    jobGroup: IdRef
    errorMessage: str | None = None


class JobList(BaseModel):
    data: list[JobView]


class WrangledDatasetView(BaseModel):
    id: int
    name: str | None = None


class JobGroupView(BaseModel):
    """``GET /v4/jobGroups/<id>``; ``jobs`` only with ``embed=jobs``, the dataset's name only
    with ``embed=wrangledDataset``."""

    id: int
    name: str | None = None
    description: str | None = None
    ranfrom: str | None
    ranfor: Literal["recipe"] = "recipe"
    status: ApiStatus
    profilingEnabled: bool
    runParameterReferenceDate: str
    createdAt: str
    updatedAt: str
    wrangledDataset: WrangledDatasetView
    jobs: JobList | None = Field(default=None, description="with embed=jobs")


class JobGroupList(BaseModel):
    data: list[JobGroupView]


class CancelResponse(BaseModel):
    """``POST /v4/jobGroups/<id>/cancel``: the jobs this request canceled (none once ended)."""

    jobIds: list[int]
    jobgroupId: int


class PublishResponse(BaseModel):
    """``PUT /v4/jobGroups/<id>/publish`` (200)."""

    jobgroupId: int
    reason: Literal["JobStarted"] = "JobStarted"
    sessionId: str


class FlowRunResponse(BaseModel):
    """``POST /v4/flows/<id>/run``: one created job group per output of the flow."""

    data: list[CreateResponse]


class PackageFlow(BaseModel):
    id: int
    name: str
    description: str | None = None
    createdAt: str
    updatedAt: str


class PackageDatasource(BaseModel):
    id: int
    name: str
    path: str
    type: str
    flow: IdRef


class PackageFlowNode(BaseModel):
    id: int
    name: str
    wrangled: bool
    hasOutputs: bool
    flow: IdRef


class PackageImportResponse(BaseModel):
    """``POST /v4/flows/package`` (201): the objects the import made, as the platform lists
    them (API Flows Package Post v4), and what was left out of the flow (``warnings``)."""

    importRuleChanges: dict[str, list[Any]]
    deletedObjects: dict[str, Any]
    primaryFlowIds: list[int]
    flows: list[PackageFlow]
    datasources: list[PackageDatasource]
    flownodes: list[PackageFlowNode]
    warnings: list[str]


class ErrorDetail(BaseModel):
    name: str
    message: str
    details: dict[str, Any]


class ErrorResponse(BaseModel):
    exception: ErrorDetail
