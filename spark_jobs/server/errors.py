"""Every error answer of the API: ``{"exception": {"name", "message", "details"}}``, never a traceback.

Clients read this shape (Airflow's Dataprep hook logs ``response.json()["exception"]``). Our own
errors map to their status here; anything unexpected is a 500 whose message names only the
exception type, while the server's log keeps the traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from spark_jobs.errors import SparkJobsError, SpecError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An answer other than success, with its HTTP status and the platform's error name."""

    status = 400
    name = "BadRequest"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidRequest(ApiError):
    status = 400
    name = "ValidationFailed"


class Unauthorized(ApiError):
    status = 401
    name = "Unauthorized"


class NotFound(ApiError):
    status = 404
    name = "NotFound"


class Conflict(ApiError):
    status = 409
    name = "Conflict"


class TooLarge(ApiError):
    status = 413
    name = "PayloadTooLarge"


def invalid(exc: SparkJobsError, **details: Any) -> InvalidRequest:
    """A 400 from one of our errors: a SpecError keeps every problem with its JSON path."""
    body: dict[str, Any] = {"code": exc.code, **details}
    if isinstance(exc, SpecError):
        body["problems"] = [p.to_json() for p in exc.problems]
    else:
        extra = {k: v for k, v in exc.to_json().items() if k not in ("code", "message")}
        body.update(extra)
    return InvalidRequest(exc.message, body)


def error_body(name: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"exception": {"name": name, "message": message, "details": details or {}}}


def error_response(exc: ApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return JSONResponse(
        error_body(exc.name, exc.message, exc.details), status_code=exc.status, headers=headers
    )


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own 404 (no such route) and 405, in the API's shape."""
    status = int(getattr(exc, "status_code", 500))
    names = {404: "NotFound", 405: "MethodNotAllowed"}
    detail = getattr(exc, "detail", "") or ""
    message = {
        404: f"no such endpoint: {request.method} {request.url.path}",
        405: f"{request.method} is not allowed on {request.url.path}",
    }.get(status, str(detail))
    return JSONResponse(error_body(names.get(status, "HttpError"), message), status_code=status)


async def unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        error_body(
            "InternalError",
            f"the server failed on this request ({type(exc).__name__}); its log has the details",
        ),
        status_code=500,
    )
