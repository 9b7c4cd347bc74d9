"""``/v4/jobGroups``: create, list, get, status, jobs, cancel, publish.

URLs, query strings and bodies are the platform's, as real clients send them (Airflow's
``GoogleDataprepHook`` sends ``embed=`` empty and ``includeDeleted=False``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from spark_jobs.server import models
from spark_jobs.server.requests import job_group_id, query_int, read_json
from spark_jobs.server.service import (
    EXECUTION_ID_HEADER,
    JobGroupService,
    parse_embed,
    parse_flag,
)

router = APIRouter(prefix="/v4/jobGroups", tags=["jobGroups"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": models.ErrorResponse,
        "description": "invalid request: every problem, with its JSON path",
    },
    401: {"model": models.ErrorResponse, "description": "no or wrong bearer token"},
    404: {"model": models.ErrorResponse, "description": "no such job group"},
    413: {"model": models.ErrorResponse, "description": "body too large"},
}


def _body_schema(name: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
    }


def service_of(request: Request) -> JobGroupService:
    service: JobGroupService = request.app.state.service
    return service


@router.post(
    "",
    status_code=201,
    summary="Run a job group (API JobGroups Create v4)",
    responses={201: {"model": models.CreateResponse}, **ERRORS},
    openapi_extra={
        **_body_schema("JobGroupRequest"),
        "parameters": [
            {
                "name": EXECUTION_ID_HEADER,
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "a retry with the same value answers with the first job group",
            }
        ],
    },
)
async def create_job_group(request: Request) -> JSONResponse:
    service = service_of(request)
    body = await read_json(request, service.settings.max_body_bytes, what="job group")
    execution_id = request.headers.get(EXECUTION_ID_HEADER) or None
    # on the event loop, not in a worker thread: planning and recording take a few ms, while
    # under load handing a worker thread the GIL and back cost 100-400 ms (bench/serve_bench.py)
    response = service.create(body, execution_id)
    return JSONResponse(response, status_code=201)


@router.get(
    "",
    summary="List job groups, newest first (API JobGroups List v4)",
    responses={200: {"model": models.JobGroupList}, **ERRORS},
)
async def list_job_groups(request: Request) -> JSONResponse:
    service = service_of(request)
    params = request.query_params
    embed = parse_embed(params.get("embed"))
    parse_flag("includeDeleted", params.get("includeDeleted"))
    if parse_flag("noLimit", params.get("noLimit")):
        limit = 1 << 31
    else:
        limit = query_int(request, "limit", 25, minimum=1, maximum=10_000)
    offset = query_int(request, "offset", 0, minimum=0, maximum=1 << 31)
    data = await run_in_threadpool(service.list, embed, limit, offset)
    return JSONResponse(data)


@router.get(
    "/{id}",
    summary="Get a job group (API JobGroups Get v4)",
    responses={200: {"model": models.JobGroupView}, **ERRORS},
)
async def get_job_group(request: Request, id: str) -> JSONResponse:
    params = request.query_params
    embed = parse_embed(params.get("embed"))
    parse_flag("includeDeleted", params.get("includeDeleted"))
    return JSONResponse(service_of(request).get(job_group_id(id), embed))


@router.get(
    "/{id}/status",
    summary="A job group's status, as a bare JSON string",
    responses={
        200: {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "string",
                        "enum": ["InProgress", "Complete", "Failed", "Canceled"],
                    }
                }
            }
        },
        **ERRORS,
    },
)
async def job_group_status(request: Request, id: str) -> JSONResponse:
    return JSONResponse(service_of(request).status(job_group_id(id)))


@router.get(
    "/{id}/jobs",
    summary="The jobs of a job group (API JobGroups Get Jobs v4)",
    responses={200: {"model": models.JobList}, **ERRORS},
)
async def job_group_jobs(request: Request, id: str) -> JSONResponse:
    return JSONResponse(service_of(request).jobs(job_group_id(id)))


@router.post(
    "/{id}/cancel",
    summary="Cancel a job group (API JobGroups Cancel v4)",
    responses={200: {"model": models.CancelResponse}, **ERRORS},
)
async def cancel_job_group(request: Request, id: str) -> JSONResponse:
    service = service_of(request)
    await read_json(request, service.settings.max_body_bytes, what="cancel body", required=False)
    return JSONResponse(await run_in_threadpool(service.cancel, job_group_id(id)))


@router.put(
    "/{id}/publish",
    summary="Publish a job group's results to a table (API JobGroups Put Publish v4)",
    responses={200: {"model": models.PublishResponse}, **ERRORS},
    openapi_extra=_body_schema("PublishBody"),
)
async def publish_job_group(request: Request, id: str) -> JSONResponse:
    service = service_of(request)
    group = job_group_id(id)
    body = await read_json(request, service.settings.max_body_bytes, what="publish body")
    return JSONResponse(await run_in_threadpool(service.publish, group, body))
