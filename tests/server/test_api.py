"""The API over real HTTP, where no job runs: auth, every kind of error, the OpenAPI document.

Every error answer has the platform's shape ``{"exception": {"name", "message", "details"}}``
and no traceback; a 400 names every problem with its JSON path and the offending value.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.fixtures.server import ApiServer


def assert_error(answer: httpx.Response, status: int, name: str, *fragments: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"exception"}
    assert set(body["exception"]) == {"name", "message", "details"}
    assert body["exception"]["name"] == name
    assert "Traceback" not in answer.text
    for fragment in fragments:
        assert fragment in answer.text, answer.text
    return body["exception"]


def problems(answer: httpx.Response) -> dict[str, str]:
    return {p["path"]: p["message"] for p in answer.json()["exception"]["details"]["problems"]}


def test_every_request_needs_a_valid_bearer_token(api_server: ApiServer) -> None:
    url = f"{api_server.base_url}/v4/jobGroups"
    assert_error(httpx.get(url), 401, "Unauthorized", "missing Authorization header")
    assert httpx.get(url).headers["www-authenticate"] == "Bearer"
    wrong = {"Authorization": "Bearer " + "x" * len(api_server.token)}
    assert_error(httpx.get(url, headers=wrong), 401, "Unauthorized", "invalid API token")
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    assert_error(httpx.get(url, headers=basic), 401, "Unauthorized", "'Bearer <token>'")
    # a token is never echoed back, nor the one that was expected
    assert api_server.token not in httpx.get(url, headers=wrong).text
    for path in ("/openapi.json", "/v4/jobGroups/1/status", "/no/such/path"):
        assert httpx.get(api_server.base_url + path).status_code == 401
    assert httpx.post(url, json={"wrangledDataset": {"id": 11}}).status_code == 401
    assert httpx.get(url, headers=api_server.headers()).status_code == 200


def test_the_openapi_document_lists_every_endpoint(api_server: ApiServer) -> None:
    with api_server.client() as http:
        document = http.get("/openapi.json").json()
    paths = document["paths"]
    assert set(paths) == {
        "/v4/jobGroups",
        "/v4/jobGroups/{id}",
        "/v4/jobGroups/{id}/status",
        "/v4/jobGroups/{id}/jobs",
        "/v4/jobGroups/{id}/cancel",
        "/v4/jobGroups/{id}/publish",
        "/v4/flows/{id}/run",
        "/v4/flows/package",
    }
    assert set(paths["/v4/jobGroups"]) == {"get", "post"}
    body = paths["/v4/jobGroups"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/JobGroupRequest"}
    schemas = document["components"]["schemas"]
    assert {"JobGroupRequest", "PublishBody", "JobGroupView", "JobView", "CreateResponse"} <= set(
        schemas
    )
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v4/jobGroups/999"),
        ("GET", "/v4/jobGroups/999/status"),
        ("GET", "/v4/jobGroups/999/jobs"),
        ("POST", "/v4/jobGroups/999/cancel"),
        ("GET", "/v4/jobGroups/abc"),
        ("GET", "/v4/jobGroups/0/status"),
    ],
)
def test_unknown_job_groups_are_404(api_server: ApiServer, method: str, path: str) -> None:
    with api_server.client() as http:
        assert_error(http.request(method, path), 404, "NotFound", "not found")


def test_unknown_flows_routes_and_methods(api_server: ApiServer) -> None:
    with api_server.client() as http:
        assert_error(http.post("/v4/flows/999/run", json={}), 404, "NotFound", "flow 999 not found")
        assert_error(http.get("/v4/nothing"), 404, "NotFound", "no such endpoint: GET /v4/nothing")
        assert_error(http.delete("/v4/jobGroups/1"), 405, "MethodNotAllowed")
        publish = {
            "connection": {"id": 1},
            "path": ["default"],
            "table": "t",
            "action": "create",
            "inputFormat": "pqt",
        }
        assert_error(http.put("/v4/jobGroups/999/publish", json=publish), 404, "NotFound")


def test_an_invalid_body_is_400_with_every_problem_its_path_and_value(
    api_server: ApiServer,
) -> None:
    body = {
        "wrangledDataset": {"id": 11},
        "overrides": {
            "execution": "flink",
            "profiler": "yes",
            "writeSettings": [
                {"path": "out/x.csv", "action": "upsert", "format": "xls", "header": "true"}
            ],
        },
        "ranfrom": "cli",
        "colour": "blue",
    }
    with api_server.client() as http:
        answer = http.post("/v4/jobGroups", json=body)
    error = assert_error(answer, 400, "ValidationFailed", "invalid job group: 6 problems")
    assert error["details"]["code"] == "INVALID_SPEC"
    assert problems(answer) == {
        "$": "unknown field 'colour'",
        "$.overrides.execution": "'flink' is not allowed: expected 'photon', 'spark', 'databricksSpark' or 'emrSpark'",
        "$.overrides.profiler": "'yes' is not a JSON boolean: write true or false (no quotes)",
        "$.overrides.writeSettings[0].action": "'upsert' is not allowed: expected 'create', 'append' or 'overwrite'",
        "$.overrides.writeSettings[0].format": "'xls' is not allowed: expected 'csv', 'json', 'avro', 'pqt' or 'delta'",
        "$.overrides.writeSettings[0].header": "'true' is not a JSON boolean: write true or false (no quotes)",
    }


def test_bodies_that_are_not_a_job_group(api_server: ApiServer) -> None:
    with api_server.client() as http:
        post = lambda content: http.post("/v4/jobGroups", content=content)  # noqa: E731
        assert_error(post(b""), 400, "ValidationFailed", "the request has no body")
        assert_error(
            post(b'{"wrangledDataset": '), 400, "ValidationFailed", "malformed JSON at line 1"
        )
        assert_error(post(b"[1, 2]"), 400, "ValidationFailed", "the body is a JSON object")
        assert_error(
            post(bytes(range(256))),
            400,
            "ValidationFailed",
            "is not JSON text: byte 0x80 at offset 128",
        )
        deep = b"[" * 10_000 + b"]" * 10_000
        assert_error(post(deep), 400, "ValidationFailed", "JSON nested more than 200 levels deep")
        answer = post(json.dumps({"wrangledDataset": {"id": 99}}).encode())
        assert problems(answer) == {
            "$.wrangledDataset.id": "no wrangled dataset with id 99 in the server's flows (known: 11, 12, 22)"
        }
        assert problems(post(b"{}")) == {"$": "missing required field 'wrangledDataset'"}
        assert problems(post(b'{"wrangledDataset": {"id": "eleven"}}'))["$.wrangledDataset.id"]
        assert problems(post(b'{"wrangledDataset": {"id": true}}')) == {
            "$.wrangledDataset.id": "true is not a wrangled dataset id"
        }


def test_a_body_too_large_is_413(api_server: ApiServer) -> None:
    huge = json.dumps({"wrangledDataset": {"id": 11}, "pad": "x" * (1 << 20)}).encode()
    with api_server.client() as http:
        error = assert_error(http.post("/v4/jobGroups", content=huge), 413, "PayloadTooLarge")
        assert error["details"] == {"limit": 1 << 20}

        def chunks() -> Any:  # no Content-Length: the server counts what arrives
            for _ in range(40):
                yield b"x" * 65536

        assert_error(http.post("/v4/jobGroups", content=chunks()), 413, "PayloadTooLarge")


def test_sources_and_outputs_must_lie_under_the_allowed_paths(api_server: ApiServer) -> None:
    def body(path: str) -> dict[str, Any]:
        output = {"path": path, "action": "overwrite", "format": "csv"}
        return {"wrangledDataset": {"id": 11}, "overrides": {"writeSettings": [output]}}

    before = sorted(api_server.store.glob("jobGroups/*"))
    with api_server.client() as http:
        for path in (
            "/etc/spark_jobs_test.csv",
            "out/../../escape.csv",
            "file:///tmp/x.csv",
            "s3a://bucket/x",
        ):
            answer = http.post("/v4/jobGroups", json=body(path))
            message = problems(answer)["$.overrides.writeSettings[0].path"]
            assert message.startswith("output "), message
            assert repr(path) in message
    assert sorted(api_server.store.glob("jobGroups/*")) == before, "nothing refused is recorded"


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("embed=bogus", "embed: unknown 'bogus'"),
        ("includeDeleted=maybe", "includeDeleted: 'maybe' is not true or false"),
        ("limit=abc", "limit: 'abc' is not a number from 1 to 10000"),
        ("limit=0", "limit: '0' is not a number"),
        ("offset=-1", "offset: '-1' is not a number"),
    ],
)
def test_bad_query_values_are_400(api_server: ApiServer, query: str, fragment: str) -> None:
    with api_server.client() as http:
        assert_error(http.get(f"/v4/jobGroups?{query}"), 400, "ValidationFailed", fragment)
