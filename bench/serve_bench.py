"""The HTTP server under load: status polls and job group creations while two jobs run.

    python -m bench.serve_bench                 # 200 pollers, 20 creations, 2 jobs on 2M rows
    BENCH_SCALE=0.02 python -m bench.serve_bench

Starts ``spark-jobs serve`` on a free loopback port (the test fixture's server: its own folder,
flows, a token, 2 drivers at once) and two job groups copying ``BENCH_ROWS`` rows (default
2,000,000, scaled), so that two spark-submit drivers work while it measures. Once both drivers
run, for ``BENCH_SECONDS`` (default 20):

* 200 clients poll ``GET /v4/jobGroups/<id>/status`` as fast as the server answers (one
  connection each, over HTTP/1.1 keep-alive);
* 20 ``POST /v4/jobGroups`` arrive, evenly spaced: the accept latency is the time to the 201
  (the job group planned, recorded and queued; its driver would start when a slot frees).

The 20 created job groups are then canceled (still queued: no driver ever starts), the two
running ones too, and the server stopped. The load generator runs in this process, on the
same cores as the server and the two JVMs: the figures are what a client sees on a busy
machine, not the server's ceiling.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench import cpu_seconds, env_rows, scale, table

DEFAULT_ROWS = 2_000_000
POLLERS = 200
CREATIONS = 20
TARGET_ACCEPT_P99_MS = 200.0
TARGET_POLLS_PER_SECOND = 500.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class KeptAlive:
    """One poller's HTTP/1.1 connection, kept alive: a GET and its status code, nothing more.

    Why not httpx for the polls: on an idle machine 200 httpx clients in one process saturate
    their core at about 780 polls/s (1.3 ms of client CPU per request against 0.3 ms of the
    server's), so the bench measured its own client. The creations stay httpx requests."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.template = f"GET {{path}} HTTP/1.1\r\nHost: {self.host}\r\n{extra}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(self.template.format(path=path).encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        await self.reader.readexactly(length)
        if close:
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def load(server: Any, running: list[int], seconds: float) -> dict[str, Any]:
    """200 pollers and 20 creators, each a client of its own with one kept-alive connection,
    as 220 separate callers would be. (One ``httpx.AsyncClient`` with a 220-connection pool
    was the bottleneck itself: httpcore scans every pooled connection for each request, and
    both the server and that generator sat mostly idle at ~25 polls/s; py-spy, 2026-12-07.)"""
    headers = server.headers()
    poll_latencies: list[float] = []
    accept_latencies: list[float] = []
    created: list[int] = []
    errors: list[str] = []
    reconnects: list[str] = []
    stop = time.monotonic() + seconds
    # one TLS context for all (the URL is plain http, but each client would build its own and
    # load the CA store: about 60 ms of this process's CPU per client)
    tls = ssl.create_default_context()

    def client() -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=server.base_url,
            headers=headers,
            verify=tls,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            timeout=60,
        )

    async def poller(index: int) -> None:
        path = f"/v4/jobGroups/{running[index % len(running)]}/status"
        connection = KeptAlive(server.base_url, headers)
        try:
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    status = await connection.get(path)
                except (OSError, asyncio.IncompleteReadError) as exc:  # closed meanwhile
                    reconnects.append(type(exc).__name__)
                    await connection.close()
                    continue
                poll_latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors.append(f"poll {status}")
        finally:
            await connection.close()

    async def creator(index: int) -> None:
        await asyncio.sleep(index * seconds / (CREATIONS + 1))
        output = {"path": f"out/created_{index}.csv", "action": "overwrite", "format": "csv"}
        body = {"wrangledDataset": {"id": 11}, "overrides": {"writeSettings": [output]}}
        async with client() as http:
            started = time.perf_counter()
            answer = await http.post("/v4/jobGroups", json=body)
            accept_latencies.append(time.perf_counter() - started)
        if answer.status_code == 201:
            created.append(answer.json()["id"])
        else:
            errors.append(f"create {answer.status_code}: {answer.text[:200]}")

    began = time.perf_counter()
    assert server.proc is not None
    cpu_before = cpu_seconds(server.proc.pid)
    generator_before = time.process_time()
    await asyncio.gather(
        *(poller(i) for i in range(POLLERS)), *(creator(i) for i in range(CREATIONS))
    )
    elapsed = time.perf_counter() - began
    server_cpu = cpu_seconds(server.proc.pid) - cpu_before
    generator_cpu = time.process_time() - generator_before
    async with client() as http:
        for group in created:
            await http.post(f"/v4/jobGroups/{group}/cancel")
    return {
        "polls": len(poll_latencies),
        "elapsed": elapsed,
        "poll_latencies": poll_latencies,
        "accept_latencies": accept_latencies,
        "created": created,
        "errors": errors,
        "reconnects": reconnects,
        "server_cpu": server_cpu,
        "generator_cpu": generator_cpu,
    }


def main() -> None:
    from tests.fixtures.server import ApiServer
    from tests.server.server_helpers import wait_until

    rows = env_rows(DEFAULT_ROWS)
    seconds = float(os.environ.get("BENCH_SECONDS", "20"))
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        server = ApiServer(root=Path(tmp), max_concurrent=2)
        server.prepare(events_rows=rows)
        try:
            server.start()
            with server.client() as http:
                running = []
                for n in range(2):
                    output = {"path": f"out/copy_{n}", "action": "overwrite", "format": "pqt"}
                    body = {"wrangledDataset": {"id": 22}, "overrides": {"writeSettings": [output]}}
                    running.append(http.post("/v4/jobGroups", json=body).json()["id"])

                def both_run() -> bool:
                    records = server.driver_records()
                    return sum(1 for r in records if r.get("state") == "started") >= 2

                wait_until(both_run, "both drivers to start", timeout=600)
                measured = asyncio.run(load(server, running, seconds))
                still_running = [
                    g
                    for g in running
                    if http.get(f"/v4/jobGroups/{g}/status").json() == "InProgress"
                ]
                for group in running:
                    http.post(f"/v4/jobGroups/{group}/cancel")
        finally:
            server.shutdown()

    polls_per_second = measured["polls"] / measured["elapsed"]
    accept = [s * 1000 for s in measured["accept_latencies"]]
    poll = [s * 1000 for s in measured["poll_latencies"]]
    accept_p99 = percentile(accept, 99)
    rows_out = [
        (
            "accept latency (POST /v4/jobGroups -> 201), ms",
            f"p50 {percentile(accept, 50):.1f}, p99 {accept_p99:.1f} (n={len(accept)})",
            f"p99 < {TARGET_ACCEPT_P99_MS:.0f}: {'met' if accept_p99 < TARGET_ACCEPT_P99_MS else 'not met'}",
        ),
        (
            f"status polls per second ({POLLERS} concurrent clients)",
            f"{polls_per_second:,.0f} ({measured['polls']:,} in {measured['elapsed']:.1f} s)",
            f">= {TARGET_POLLS_PER_SECOND:.0f}: "
            f"{'met' if polls_per_second >= TARGET_POLLS_PER_SECOND else 'not met'}",
        ),
        (
            "status poll latency, ms",
            f"p50 {percentile(poll, 50):.1f}, p99 {percentile(poll, 99):.1f}, "
            f"mean {statistics.fmean(poll) if poll else float('nan'):.1f}",
            "",
        ),
        (
            "errors (non-2xx answers)",
            str(len(measured["errors"]))
            + (f" ({measured['errors'][:3]})" if measured["errors"] else ""),
            "0",
        ),
        (
            "server CPU per request (polls and creations)",
            f"{measured['server_cpu'] * 1000 / max(1, measured['polls'] + len(accept)):.2f} ms "
            f"({measured['server_cpu']:.1f} s of CPU in {measured['elapsed']:.1f} s)",
            "",
        ),
        (
            "load generator CPU (this process: 200 pollers, 20 httpx clients)",
            f"{measured['generator_cpu']:.1f} s in {measured['elapsed']:.1f} s",
            "",
        ),
        (
            "polls retried on a closed keep-alive connection",
            str(len(measured["reconnects"])),
            "",
        ),
    ]
    print(f"## serve_bench: the HTTP server while {len(running)} jobs run\n")
    print(
        f"{POLLERS} clients poll `GET /v4/jobGroups/<id>/status` for {seconds:g} s while "
        f"{CREATIONS} `POST /v4/jobGroups` arrive evenly spaced; meanwhile two spark-submit "
        f"drivers copy {rows:,} rows each (BENCH_SCALE={scale():g}; "
        f"{len(still_running)} of them still ran when the load ended). Load generator, server "
        "and JVMs share the machine's cores.\n"
    )
    print(table(["what", "measured", "target"], rows_out))
    print("\nAccept latencies in order of arrival (ms): " + ", ".join(f"{a:.0f}" for a in accept))


if __name__ == "__main__":
    main()
