"""The connections file: the targets ``publish`` can write to, by the id a publish body names.

``conf/connections.json``::

    {"connections": [
      {"id": 1, "type": "hive", "name": "local hive"},
      {"id": 2, "type": "redshift", "host": "...", "database": "dev", "user": "etl",
       "passwordEnv": "REDSHIFT_PASSWORD", "iamRole": "arn:aws:iam::...:role/copy",
       "s3Staging": {"bucket": "my-bucket", "prefix": "spark_jobs/staging"}}
    ]}

Secrets are never written in the file: a field that holds one names the environment variable to
read it from (``passwordEnv``). An inline secret (``password``, ``secretAccessKey``, ...) is an
error that says so. Each connection type is one model in :data:`CONNECTION_TYPES`; a new target
adds its model there (and its publisher in ``spark_jobs.publish``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool, ValidationError, model_validator

from spark_jobs.errors import Problem, PublishError, SpecError
from spark_jobs.spec.models import StrictModel
from spark_jobs.spec.validate import json_path, load_json_document, pydantic_problems

DOCUMENT = "connections file"

#: keys that would hold a secret inline, and the reference field to use instead
INLINE_SECRETS: dict[str, str] = {
    "password": "passwordEnv",
    "secret": "a field ending in Env",
    "secretAccessKey": "secretAccessKeyEnv",
    "awsSecretAccessKey": "secretAccessKeyEnv",
    "accessKeyId": "accessKeyIdEnv",
    "awsAccessKeyId": "accessKeyIdEnv",
    "sessionToken": "sessionTokenEnv",
    "token": "a field ending in Env",
}

EnvName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of an environment variable (the secret itself is never in the file).",
    ),
]


class ConnectionBase(StrictModel):
    """What every connection has."""

    id: int = Field(ge=1)
    type: str
    name: str | None = None
    description: str | None = None

    @property
    def label(self) -> str:
        """``1 (hive)`` or ``1 (hive, "local hive")``: how messages name a connection."""
        named = f', "{self.name}"' if self.name else ""
        return f"{self.id} ({self.type}{named})"


class HiveConnection(ConnectionBase):
    """A Hive metastore, reached through Spark's Hive support.

    With no ``metastoreUri`` the metastore is embedded (Derby): in ``metastoreDir`` when given,
    else in the default directory of the local session (``<job store>/hive``, see docs/publish.md).
    """

    type: Literal["hive"]
    metastoreUri: str | None = Field(
        default=None,
        pattern=r"^thrift://\S+$",
        description="hive.metastore.uris of a remote metastore (thrift://host:9083, comma separated).",
    )
    warehouseDir: str | None = Field(
        default=None, min_length=1, description="spark.sql.warehouse.dir (managed tables' root)."
    )
    metastoreDir: str | None = Field(
        default=None,
        min_length=1,
        description="Directory of an embedded Derby metastore (local sessions only).",
    )

    @model_validator(mode="after")
    def _one_metastore(self) -> HiveConnection:
        if self.metastoreUri and self.metastoreDir:
            raise ValueError(
                "give metastoreUri (a remote metastore) or metastoreDir (an embedded one), not both"
            )
        return self

    @property
    def embedded(self) -> bool:
        return self.metastoreUri is None


class S3Staging(StrictModel):
    """Where a target that loads from S3 (Redshift COPY) stages the results."""

    bucket: str = Field(min_length=1)
    prefix: str = ""
    region: str | None = None
    endpointUrl: str | None = Field(default=None, description="S3-compatible endpoint (tests).")
    keepStaged: StrictBool = Field(
        default=False, description="Leave the staged files after the load."
    )
    accessKeyIdEnv: EnvName | None = None
    secretAccessKeyEnv: EnvName | None = None

    @model_validator(mode="after")
    def _key_pair(self) -> S3Staging:
        if (self.accessKeyIdEnv is None) != (self.secretAccessKeyEnv is None):
            raise ValueError(
                "give both accessKeyIdEnv and secretAccessKeyEnv, or neither (default AWS credentials)"
            )
        return self


class RedshiftConnection(ConnectionBase):
    """An Amazon Redshift cluster, loaded with COPY from files staged in S3.

    Authentication: a password read from ``passwordEnv``, or IAM (``iam: true``: temporary
    database credentials). ``iamRole`` is the role Redshift assumes to read the staged files.
    """

    type: Literal["redshift"]
    host: str = Field(min_length=1)
    port: int = Field(default=5439, ge=1, le=65535)
    database: str = Field(min_length=1)
    user: str = Field(min_length=1)
    passwordEnv: EnvName | None = None
    iam: StrictBool = False
    iamRole: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:iam::\S+$")
    ssl: StrictBool = Field(default=True, description="Connect with TLS (Redshift's default).")
    s3Staging: S3Staging

    @model_validator(mode="after")
    def _one_authentication(self) -> RedshiftConnection:
        if (self.passwordEnv is None) == (not self.iam):
            raise ValueError("give exactly one way to authenticate: passwordEnv, or iam: true")
        return self


Connection = HiveConnection | RedshiftConnection

#: the model of each connection ``type``; a new target registers its model here
CONNECTION_TYPES: dict[str, type[ConnectionBase]] = {
    "hive": HiveConnection,
    "redshift": RedshiftConnection,
}


@dataclass(frozen=True)
class Connections:
    """The validated connections file."""

    connections: tuple[ConnectionBase, ...]
    source: str = "connections file"

    def get(self, connection_id: int) -> ConnectionBase | None:
        return next((c for c in self.connections if c.id == connection_id), None)

    def describe(self) -> str:
        """``1 (hive), 2 (redshift)``: the known connections, for messages."""
        return ", ".join(c.label for c in self.connections) or "none"


def _pop_inline_secrets(value: Any, loc: list[int | str], problems: list[Problem]) -> Any:
    """A copy of ``value`` without inline secrets, each one reported as a problem."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if key in INLINE_SECRETS:
                problems.append(
                    Problem(
                        json_path([*loc, key]),
                        f"inline secrets are not allowed: give {INLINE_SECRETS[key]}, "
                        "the name of an environment variable that holds it",
                    )
                )
                continue
            out[key] = _pop_inline_secrets(item, [*loc, key], problems)
        return out
    if isinstance(value, list):
        return [_pop_inline_secrets(v, [*loc, i], problems) for i, v in enumerate(value)]
    return copy.copy(value)


def parse_connection(
    item: Any, loc: list[int | str], problems: list[Problem]
) -> ConnectionBase | None:
    """Validate one connection; its problems (with JSON paths under ``loc``) go to ``problems``."""
    if not isinstance(item, Mapping):
        problems.append(Problem(json_path(loc), "a connection is a JSON object"))
        return None
    clean = _pop_inline_secrets(item, loc, problems)
    kind = clean.get("type")
    model: type[BaseModel] | None = CONNECTION_TYPES.get(kind) if isinstance(kind, str) else None
    if model is None:
        known = ", ".join(sorted(CONNECTION_TYPES))
        if kind is None:
            problems.append(Problem(json_path(loc), "missing required field 'type'"))
        else:
            problems.append(
                Problem(
                    json_path([*loc, "type"]), f"unknown connection type {kind!r} (known: {known})"
                )
            )
        return None
    try:
        parsed = model.model_validate(clean)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, root=loc))
        return None
    assert isinstance(parsed, ConnectionBase)
    return parsed


def load_connections(source: str | Path | Mapping[str, Any]) -> Connections:
    """Parse and validate a connections file; raises SpecError with every problem found."""
    document = source if isinstance(source, Mapping) else load_json_document(source, what=DOCUMENT)
    label = str(source) if not isinstance(source, Mapping) else DOCUMENT
    problems: list[Problem] = []
    if not isinstance(document, Mapping):
        raise SpecError(
            [Problem("$", 'a connections file is a JSON object: {"connections": [...]}')],
            document=DOCUMENT,
        )
    for key in document:
        if key != "connections":
            problems.append(Problem("$", f"unknown field {key!r}"))
    items = document.get("connections")
    if not isinstance(items, list):
        problems.append(Problem("$", "missing required field 'connections' (a list)"))
        items = []
    parsed: list[ConnectionBase] = []
    for index, item in enumerate(items):
        connection = parse_connection(item, ["connections", index], problems)
        if connection is not None:
            parsed.append(connection)
    seen: dict[int, int] = {}
    for connection in parsed:
        seen[connection.id] = seen.get(connection.id, 0) + 1
    for connection_id, count in seen.items():
        if count > 1:
            problems.append(
                Problem("$.connections", f"id {connection_id} is used by {count} connections")
            )
    if problems:
        raise SpecError(problems, document=DOCUMENT)
    return Connections(tuple(parsed), source=label)


def secret_from_env(variable: str, *, connection: ConnectionBase, field: str) -> str:
    """The value of the environment variable a connection names for a secret."""
    value = os.environ.get(variable)
    if not value:
        raise PublishError(
            f"connection {connection.label}: {field} names the environment variable {variable}, "
            "which is not set"
        )
    return value
