"""``POST /v4/flows/package`` over real HTTP: a real flow package (read at test time from
``$SPARK_JOBS_WILD``) becomes a flow of the server, kept across a restart, and runs end to end on
its own input file; a bad package, bad rules, a clash of ids, a body too large and a request
without a token get the API's error shape."""

from __future__ import annotations

import calendar
import csv
import json
import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from server_helpers import wait_for_end

from spark_jobs.errors import FlowImportError
from tests.fixtures.server import ApiServer
from tests.importer.importer_helpers import example_package, examples_dir

FOLDER = "Get last day of month from a date"
#: the flow's one recipe with a result (the package has no outputs: the platform's default)
RECIPE = "Last month day"


@pytest.fixture(scope="module")
def server(start_api_server: Callable[..., ApiServer]) -> Iterator[ApiServer]:
    """A server of its own: the flows it imports do not reach other tests' servers."""
    server = start_api_server(events_rows=10)
    yield server
    server.shutdown()


def _rules(server: ApiServer) -> bytes:
    """Rebind the package's ``gs://`` upload of Dates.csv to the server's data folder."""
    target = server.root / "data" / "Dates.csv"
    return json.dumps(
        [{"type": "fileLocation", "on": r"/^gs:\/\/.*\/Dates\.csv\/?$/", "with": target.as_uri()}]
    ).encode()


def _post(http: httpx.Client, package: bytes, rules: bytes | None = None) -> httpx.Response:
    files: dict[str, Any] = {"data": ("flow.zip", package, "application/zip")}
    if rules is not None:
        files["rules"] = ("rules.json", rules, "application/json")
    return http.post("/v4/flows/package", files=files)


def _error(answer: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"exception"} and set(body["exception"]) == {"name", "message", "details"}
    assert "Traceback" not in answer.text
    for fragment in fragments:
        assert fragment in body["exception"]["message"], body
    detail: dict[str, Any] = body["exception"]
    return detail


def test_a_package_is_imported_kept_and_run(server: ApiServer) -> None:
    shutil.copy(examples_dir() / "Data" / "Dates.csv", server.root / "data" / "Dates.csv")
    package = example_package(FOLDER).read_bytes()
    flows_before = sorted(p.name for p in (server.root / "flows").glob("*.json"))
    with server.client() as http:
        answer = _post(http, package, _rules(server))
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert {"importRuleChanges", "primaryFlowIds", "flows", "flownodes"} <= set(body)
        flow_id = body["primaryFlowIds"][0]
        assert body["flows"][0]["id"] == flow_id
        assert body["flows"][0]["name"] == "Get last day of month for a date"
        [source] = body["datasources"]
        assert source["path"] == (server.root / "data" / "Dates.csv").as_uri()
        node = next(n for n in body["flownodes"] if n["name"] == RECIPE)
        assert node["hasOutputs"] and node["flow"] == {"id": flow_id}
        # the flow has no outputs: the platform's default output, said in a warning
        assert any("has no outputs" in w for w in body["warnings"]), body["warnings"]

        # the same package again: its ids are taken, nothing is written
        clash = _error(_post(http, package, _rules(server)), 409, "clashes")
        assert any(str(node["id"]) in p["message"] for p in clash["details"]["problems"])
    flows_after = sorted(p.name for p in (server.root / "flows").glob("*.json"))
    assert flows_after == sorted([*flows_before, f"{flow_id}.json"])

    server.stop()  # a restarted server still has the flow (its file in --flows)
    server.start()
    with server.client() as http:
        created = http.post("/v4/jobGroups", json={"wrangledDataset": {"id": node["id"]}})
        assert created.status_code == 201, created.text
        job_group = created.json()["id"]
        assert wait_for_end(http, job_group) == "Complete", server.log_tail()

    [written] = (server.root / "output" / f"flow-{flow_id}").glob("Last_month_day*.csv")
    with written.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    with (examples_dir() / "Data" / "Dates.csv").open(newline="") as handle:
        inputs = [r["Dates"] for r in csv.DictReader(handle)]
    assert [r["Dates"] for r in rows] == inputs
    for row in rows:  # README: the last day of each date's month
        day = datetime.strptime(row["Dates"], "%d/%m/%Y").date()
        last = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        assert _a_date(row["Last day of the month"]) == last, row


def _a_date(text: str) -> date:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise AssertionError(f"not a date: {text!r}")


def test_a_bad_package_or_bad_rules_are_400(server: ApiServer) -> None:
    flows_before = sorted((server.root / "flows").glob("*.json"))
    package = example_package(FOLDER).read_bytes()
    with server.client() as http:
        error = _error(_post(http, b"this is no zip"), 400, "flow.zip", "not")
        assert error["details"]["code"] == FlowImportError.code
        _error(_post(http, package[: len(package) // 2]), 400, "flow.zip")
        _error(_post(http, package, b"[{"), 400, "rules")
        rule = json.dumps([{"type": "fileLocation", "on": "no-such-place", "with": "x"}])
        _error(_post(http, package, rule.encode()), 400, "matches nothing")
        _error(http.post("/v4/flows/package", content=package), 400, "multipart/form-data")
        answer = http.post("/v4/flows/package", files={"package": ("f.zip", package)})
        _error(answer, 400, "'data'")
    assert sorted((server.root / "flows").glob("*.json")) == flows_before


def test_a_package_too_large_is_413(server: ApiServer) -> None:
    limit = 64 << 20  # the server's default max package size

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts what arrives
        for _ in range(65):
            yield b"x" * (1 << 20)

    headers = {"Content-Type": "multipart/form-data; boundary=xyz"}
    with server.client() as http:
        answer = http.post("/v4/flows/package", content=chunks(), headers=headers)
        assert _error(answer, 413)["details"] == {"limit": limit}


def test_a_package_without_a_token_is_401(server: ApiServer) -> None:
    package = example_package(FOLDER).read_bytes()
    flows_before = sorted((server.root / "flows").glob("*.json"))
    answer = httpx.post(
        f"{server.base_url}/v4/flows/package", files={"data": ("flow.zip", package)}
    )
    _error(answer, 401)
    assert sorted((server.root / "flows").glob("*.json")) == flows_before
