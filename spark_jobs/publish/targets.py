"""The publish targets: which publisher loads which connection type.

The one table a new target is added to (with its connection model in
``spark_jobs.spec.connections.CONNECTION_TYPES`` and its package ``publish/<target>/``).
"""

from __future__ import annotations

from spark_jobs.errors import PublishError
from spark_jobs.publish.base import PublisherType
from spark_jobs.publish.hive import HivePublisher
from spark_jobs.publish.redshift import RedshiftPublisher
from spark_jobs.spec.connections import ConnectionBase

#: connection type -> the class of its publisher
PUBLISHERS: dict[str, PublisherType] = {
    "hive": HivePublisher,
    "redshift": RedshiftPublisher,
}


def publisher_for(connection: ConnectionBase) -> PublisherType:
    """The publisher class of a connection's type."""
    publisher = PUBLISHERS.get(connection.type)
    if publisher is None:
        raise PublishError(
            f"connection {connection.label}: no publisher for connection type {connection.type!r}"
        )
    return publisher
