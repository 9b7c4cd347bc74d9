"""Reading what a request carries: a JSON body within its size limit, ids, paging values.

Bodies are read and parsed here rather than by the framework, so that every problem (bad JSON,
a binary body, a document nested thousands of levels deep, a body too large) gets the API's
error shape and the same message as the CLI's, never a framework default or a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from spark_jobs.errors import Problem, SpecError
from spark_jobs.server.errors import InvalidRequest, NotFound, TooLarge, invalid
from spark_jobs.spec.validate import parse_json_bytes


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it is longer than ``limit`` bytes."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise InvalidRequest(f"Content-Length {length!r} is not a number")
        if int(length) > limit:
            raise TooLarge(
                f"the body is {int(length)} bytes; this endpoint takes at most {limit}",
                {"limit": limit},
            )
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is more than {limit} bytes", {"limit": limit})
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int, *, what: str, required: bool = True) -> Any:
    """The body parsed as JSON (None for an empty body that is not ``required``)."""
    data = await read_body(request, limit)
    if not data.strip():
        if not required:
            return None
        problem = Problem("$", f"the request has no body: send the {what} as JSON")
        raise invalid(SpecError([problem], document=what))
    try:
        return parse_json_bytes(data, what=what)
    except SpecError as exc:
        raise invalid(exc) from None


def job_group_id(text: str) -> int:
    """A path's job group id; anything but a positive number names no job group (404)."""
    if not text.isdigit() or int(text) < 1:
        raise NotFound(f"job group {text!r} not found: a job group id is a positive number")
    return int(text)


def flow_id(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise NotFound(f"flow {text!r} not found: a flow id is a positive number")
    return int(text)


def query_int(request: Request, name: str, default: int, *, minimum: int, maximum: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    if not text.lstrip("-").isdigit() or not minimum <= int(text) <= maximum:
        raise InvalidRequest(
            f"{name}: {text!r} is not a number from {minimum} to {maximum}", {name: text}
        )
    return int(text)


@dataclass
class FormPart:
    """One part of a multipart/form-data body: its field name, file name (if any) and bytes."""

    name: str
    filename: str | None
    data: bytes


def parse_form(data: bytes, content_type: str | None) -> dict[str, FormPart]:
    """The parts of a ``multipart/form-data`` body (already read within its size limit), by
    field name; a body of another type, or one that is not well formed, is a 400."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise InvalidRequest(
            "send the flow package as multipart/form-data (curl -F 'data=@flow.zip'), "
            f"not {content_type or 'a body without Content-Type'!r}",
            {"contentType": content_type},
        )
    parts: list[FormPart] = []
    headers: dict[bytes, bytes] = {}
    field: list[bytes] = []
    value: list[bytes] = []
    chunks: list[bytes] = []

    def on_header_field(buf: bytes, start: int, end: int) -> None:
        field.append(buf[start:end])

    def on_header_value(buf: bytes, start: int, end: int) -> None:
        value.append(buf[start:end])

    def on_header_end() -> None:
        headers[b"".join(field).lower()] = b"".join(value)
        field.clear()
        value.clear()

    def on_part_data(buf: bytes, start: int, end: int) -> None:
        chunks.append(buf[start:end])

    def on_part_end() -> None:
        _, disposition = parse_options_header(headers.get(b"content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        filename = disposition.get(b"filename")
        parts.append(
            FormPart(
                name, filename.decode("utf-8", "replace") if filename else None, b"".join(chunks)
            )
        )
        headers.clear()
        chunks.clear()

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        parser.write(data)
        parser.finalize()
    except MultipartParseError as exc:
        raise InvalidRequest(f"the multipart body is not well formed: {exc}") from None
    out: dict[str, FormPart] = {}
    for part in parts:
        if part.name in out:
            raise InvalidRequest(f"the multipart body has two parts named {part.name!r}")
        out[part.name] = part
    return out
