"""``spark-jobs serve``: check the configuration, build the app, run it under uvicorn.

    spark-jobs serve --host 127.0.0.1 --port 8080 --job-store DIR --flows DIR \\
        [--connections FILE] [--master URL] [--allow-path ROOT ...] [--max-concurrent N] \\
        [--token-file FILE]
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO

from spark_jobs.server.settings import ServerConfigError, ServerSettings, check_exposure

log = logging.getLogger(__name__)


def serve(settings: ServerSettings, *, host: str, port: int, access_log: bool = False) -> None:
    """Serve until SIGINT / SIGTERM. Drivers that are running keep running after the server
    stops; the next ``spark-jobs serve`` on the same job store takes them over."""
    import uvicorn

    from spark_jobs.server.app import create_app

    check_exposure(host, settings.tokens)
    lock = hold_job_store(settings.job_store)
    app = create_app(settings)
    if not settings.tokens:
        log.warning("no API tokens: every process on this machine may call the API")
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=access_log,
        log_level="info",
        timeout_graceful_shutdown=5,
        # a client polling every few seconds keeps its connection (uvicorn's default is 5 s)
        timeout_keep_alive=30,
    )
    lock.close()


def hold_job_store(job_store: Path) -> IO[str]:
    """Take the job store for this server (an exclusive lock held until the process ends): two
    servers on one job store would both start its queued drivers."""
    job_store.mkdir(parents=True, exist_ok=True)
    handle = (job_store / "server.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise ServerConfigError(
            f"the job store {job_store} is in use by another spark-jobs serve ({owner}): "
            "stop it first, or give this one another --job-store"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return handle
