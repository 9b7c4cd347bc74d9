"""The publish body: the body of ``PUT /v4/jobGroups/<id>/publish``, accepted verbatim.

    {"connection": {"id": 1}, "path": ["default"], "table": "test_table",
     "action": "create", "inputFormat": "pqt", "flowNodeId": 27}

Unknown fields are errors, and every problem is reported at once with its JSON path. The rules
that depend on the target (which formats Hive can load, what a valid table name is) belong to the
target's publisher; it hands them in as ``extra`` problems so that they are reported together
with the structural ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from spark_jobs.errors import Problem, SpecError
from spark_jobs.spec.models import ObjectRef, StrictModel
from spark_jobs.spec.validate import load_json_document, validate_model

DOCUMENT = "publish body"

#: what the API calls ``action``; see spark_jobs.publish.actions for what each one does
PublishAction = Literal["create", "load", "createAndLoad", "truncateAndLoad", "dropAndLoad"]
#: ``inputFormat``: the format of the job group's results to publish (Hive: avro, pqt, delta;
#: Redshift: csv, json, avro)
PublishFormat = Literal["avro", "pqt", "csv", "json", "delta"]


class PublishBody(StrictModel):
    """The body of ``PUT /v4/jobGroups/<id>/publish``."""

    connection: ObjectRef = Field(description="The connection to publish through (its id).")
    path: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=1,
        description="Where the table lives: the database for Hive, the schema for Redshift.",
    )
    table: str = Field(min_length=1, description="Name of the table to write.")
    action: PublishAction
    inputFormat: PublishFormat = Field(description="Which of the job group's results to publish.")
    flowNodeId: int | None = Field(
        default=None, description="The wrangled dataset (recipe) the job group ran, if given."
    )


def load_publish_body(
    source: str | Path | Mapping[str, Any], *, extra: Sequence[Problem] = ()
) -> PublishBody:
    """Parse and validate a publish body (a path, or an already parsed document).

    Raises :class:`SpecError` listing every problem: the model's and the ``extra`` ones.
    """
    document = source if isinstance(source, Mapping) else read_publish_document(source)
    if not isinstance(document, Mapping):
        raise SpecError([Problem("$", "a publish body is a JSON object")], document=DOCUMENT)
    return validate_model(PublishBody, document, what=DOCUMENT, extra=extra)


def read_publish_document(source: str | Path) -> Any:
    """The raw JSON of a publish body file (a missing file or bad JSON is a SpecError)."""
    return load_json_document(source, what=DOCUMENT)
