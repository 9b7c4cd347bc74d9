"""The HTTP server: the platform's v4 job group API in front of spark-submit drivers.

Public surface: :func:`create_app` (the app factory), :class:`ServerSettings`, and
:func:`serve` (what ``spark-jobs serve`` runs). See docs/serve.md.
"""

from __future__ import annotations

from spark_jobs.server.app import create_app
from spark_jobs.server.main import serve
from spark_jobs.server.settings import ServerConfigError, ServerSettings, load_tokens

__all__ = ["ServerConfigError", "ServerSettings", "create_app", "load_tokens", "serve"]
