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
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import env_rows, scale, table

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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(server: Any, running: list[int], seconds: float) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=POLLERS + CREATIONS, max_keepalive_connections=POLLERS)
    headers = server.headers()
    poll_latencies: list[float] = []
    accept_latencies: list[float] = []
    created: list[int] = []
    errors: list[str] = []
    reconnects: list[str] = []
    stop = time.monotonic() + seconds

    async with httpx.AsyncClient(
        base_url=server.base_url, headers=headers, limits=limits, timeout=60
    ) as http:

        async def poller(index: int) -> None:
            path = f"/v4/jobGroups/{running[index % len(running)]}/status"
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    answer = await http.get(path)
                except httpx.TransportError as exc:  # a kept-alive connection closed meanwhile
                    reconnects.append(type(exc).__name__)
                    continue
                poll_latencies.append(time.perf_counter() - started)
                if answer.status_code != 200:
                    errors.append(f"poll {answer.status_code}")

        async def creator(index: int) -> None:
            await asyncio.sleep(index * seconds / (CREATIONS + 1))
            output = {"path": f"out/created_{index}.csv", "action": "overwrite", "format": "csv"}
            body = {"wrangledDataset": {"id": 11}, "overrides": {"writeSettings": [output]}}
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
        await asyncio.gather(
            *(poller(i) for i in range(POLLERS)), *(creator(i) for i in range(CREATIONS))
        )
        elapsed = time.perf_counter() - began
        server_cpu = cpu_seconds(server.proc.pid) - cpu_before
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


if __name__ == "__main__":
    main()
