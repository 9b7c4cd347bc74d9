"""The app factory: ``create_app(settings)`` builds one server, with no module-level state.

Every request first passes the token check (:mod:`spark_jobs.server.auth`), ``/openapi.json``
included. The app's lifespan loads the flows, starts the driver scheduler (which takes over
what a previous server left in the job store) and stops watching on shutdown; drivers keep
running, and the next server finds them again.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

import spark_jobs
from spark_jobs.server.auth import TokenCheck
from spark_jobs.server.drivers import Scheduler, driver_env
from spark_jobs.server.errors import (
    ApiError,
    api_error_handler,
    error_response,
    http_error_handler,
    unexpected_error_handler,
)
from spark_jobs.server.flows import FlowCatalog
from spark_jobs.server.requests import job_group_id
from spark_jobs.server.routers import flows, job_groups
from spark_jobs.server.service import JobGroupService
from spark_jobs.server.settings import TOKENS_ENV, ServerSettings
from spark_jobs.spec import JobGroupRequest
from spark_jobs.spec.publish import PublishBody

log = logging.getLogger(__name__)


class TokenMiddleware:
    """Checks the bearer token of every HTTP request before anything else runs."""

    def __init__(self, app: ASGIApp, check: TokenCheck) -> None:
        self.app = app
        self.check = check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.check.enabled:
            header = None
            for name, value in scope.get("headers", []):
                if name == b"authorization":
                    header = value.decode("latin-1")
                    break
            try:
                self.check.check(header)
            except ApiError as exc:
                await error_response(exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class StatusPolls:
    """``GET /v4/jobGroups/<id>/status`` answered before FastAPI's routing: the hot path of a
    server (every waiting Airflow sensor polls it), at about a third of the CPU of the routed
    endpoint (bench/serve_bench.py). Same answers as the route, which stays for the OpenAPI
    document: the bare JSON string, or the API's error body (a 404 for an unknown id)."""

    PREFIX = "/v4/jobGroups/"
    SUFFIX = "/status"

    def __init__(self, app: ASGIApp, service: JobGroupService) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if (
            scope.get("method") != "GET"
            or not path.startswith(self.PREFIX)
            or not path.endswith(self.SUFFIX)
            or "/" in path[len(self.PREFIX) : -len(self.SUFFIX)]
        ):
            await self.app(scope, receive, send)
            return
        try:
            status = self.service.status(job_group_id(path[len(self.PREFIX) : -len(self.SUFFIX)]))
        except ApiError as exc:
            await error_response(exc)(scope, receive, send)
            return
        body = b'"' + status.encode() + b'"'  # a status is one plain word
        headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the request body schemas (the spec's own models) and the
    bearer scheme."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in (JobGroupRequest, PublishBody):
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(body.pop("$defs", {}))
        schemas[model.__name__] = body
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    schema["security"] = [{"bearer": []}]
    app.openapi_schema = schema
    return schema


def create_app(settings: ServerSettings) -> FastAPI:
    """A server for ``settings`` (made absolute and checked; raises ServerConfigError)."""
    settings = settings.resolved()
    catalog = FlowCatalog(settings.flows_dir)
    catalog.load()
    package_parent = Path(spark_jobs.__file__).resolve().parent.parent
    env = driver_env(
        os.environ, python=sys.executable, package_parent=package_parent, drop=[TOKENS_ENV]
    )
    store_root = settings.job_store
    store_root.mkdir(parents=True, exist_ok=True)
    from spark_jobs.server.store import JobStore

    scheduler = Scheduler(
        JobStore(str(store_root)),
        max_concurrent=settings.max_concurrent,
        workdir=settings.workdir,
        env=env,
        cancel_grace=settings.cancel_grace_seconds,
        driver_nice=settings.driver_nice,
    )
    service = JobGroupService(settings, scheduler, catalog)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the Wrangle parser is built on first use (a second or more): not in a client's request
        await run_in_threadpool(service.warm_up)
        scheduler.start()
        log.info(
            "serving %d flows from %s; job store %s; sources and outputs allowed under %s",
            len(catalog),
            settings.flows_dir,
            settings.job_store,
            service.policy.describe(),
        )
        try:
            yield
        finally:
            scheduler.stop()

    app = FastAPI(
        title="spark_jobs",
        version=spark_jobs.__version__,
        description="The platform's v4 job group API, run on your own Spark (docs/serve.md).",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.state.settings = settings
    app.include_router(job_groups.router)
    app.include_router(flows.router)
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
    app.add_middleware(StatusPolls, service=service)
    app.add_middleware(TokenMiddleware, check=TokenCheck(settings.tokens))  # the outer one
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
