"""``/v4/flows``: run a flow's outputs; import a flow package (when the importer is there)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from spark_jobs.server import models
from spark_jobs.server.requests import flow_id, read_json
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
