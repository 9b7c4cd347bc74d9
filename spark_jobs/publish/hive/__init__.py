"""Publishing to Hive tables through Spark's Hive support (docs/publish.md).

* the publisher: :class:`HivePublisher` (the publish entrypoint's class for hive connections),
  with :func:`body_problems` and :func:`column_problems`, the target's rules;
* SQL: :mod:`spark_jobs.publish.hive.sql` (DDL and DML rendered by pure functions).

The session a Hive connection needs (its metastore) is made by :mod:`spark_jobs.session`.
"""

from __future__ import annotations

from spark_jobs.publish.hive.publisher import (
    HivePublisher,
    body_problems,
    column_problems,
    storage_format,
)

__all__ = ["HivePublisher", "body_problems", "column_problems", "storage_format"]
