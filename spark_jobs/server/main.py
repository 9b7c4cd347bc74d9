"""``spark-jobs serve``: check the configuration, build the app, run it under uvicorn.

    spark-jobs serve --host 127.0.0.1 --port 8080 --job-store DIR --flows DIR \\
        [--connections FILE] [--master URL] [--allow-path ROOT ...] [--max-concurrent N] \\
        [--token-file FILE]
"""

from __future__ import annotations

import logging

from spark_jobs.server.settings import ServerSettings, check_exposure

log = logging.getLogger(__name__)


def serve(settings: ServerSettings, *, host: str, port: int, access_log: bool = False) -> None:
    """Serve until SIGINT / SIGTERM. Drivers that are running keep running after the server
    stops; the next ``spark-jobs serve`` on the same job store takes them over."""
    import uvicorn

    from spark_jobs.server.app import create_app

    check_exposure(host, settings.tokens)
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
    )
