"""``/v4/flows``: run a flow's outputs; import a flow package."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from spark_jobs.server import models
from spark_jobs.server.packages import import_package
from spark_jobs.server.requests import flow_id, parse_form, read_body, read_json
from spark_jobs.server.routers.job_groups import ERRORS, service_of

router = APIRouter(prefix="/v4/flows", tags=["flows"])


@router.post(
    "/{id}/run",
    status_code=201,
    summary="Run every output of a flow: one job group per wrangled dataset with outputs",
    responses={201: {"model": models.FlowRunResponse}, **ERRORS},
)
async def run_flow(request: Request, id: str) -> JSONResponse:
    service = service_of(request)
    flow = flow_id(id)
    body = await read_json(
        request, service.settings.max_body_bytes, what="flow run", required=False
    )
    return JSONResponse(await run_in_threadpool(service.run_flow, flow, body), status_code=201)


@router.post(
    "/package",
    status_code=201,
    summary="Import a flow package (API Flows Package Post v4): multipart part 'data', "
    "optional import rules as part 'rules'",
    responses={
        201: {"model": models.PackageImportResponse},
        **ERRORS,
        409: {"model": models.ErrorResponse, "description": "the package's ids are taken"},
    },
)
async def post_package(request: Request) -> JSONResponse:
    service = service_of(request)
    data = await read_body(request, service.settings.max_package_bytes)
    parts = parse_form(data, request.headers.get("content-type"))
    answer = await run_in_threadpool(import_package, service.catalog, service.settings, parts)
    return JSONResponse(answer, status_code=201)
