"""publish stage (see docs/architecture.md and docs/publish.md).

Public surface: :func:`publish_command` (what the entrypoints call), :func:`load_publish_request`,
:class:`PublishHooks`, :func:`publisher_for` (the table of targets in
:mod:`~spark_jobs.publish.targets`), one package per target (:mod:`spark_jobs.publish.hive`,
:mod:`spark_jobs.publish.redshift`), and the pieces every target shares:
:mod:`~spark_jobs.publish.base` (:class:`BasePublisher`), :mod:`~spark_jobs.publish.actions`,
:mod:`~spark_jobs.publish.identifiers`, :mod:`~spark_jobs.publish.schema`,
:mod:`~spark_jobs.publish.source`.
"""

from __future__ import annotations

from spark_jobs.publish.actions import PublishOutcome
from spark_jobs.publish.base import PublishHooks
from spark_jobs.publish.command import (
    DEFAULT_CONNECTIONS,
    PublishRequest,
    load_publish_request,
    publish_command,
)
from spark_jobs.publish.source import PublishSource
from spark_jobs.publish.targets import publisher_for

__all__ = [
    "DEFAULT_CONNECTIONS",
    "PublishHooks",
    "PublishOutcome",
    "PublishRequest",
    "PublishSource",
    "load_publish_request",
    "publish_command",
    "publisher_for",
]
