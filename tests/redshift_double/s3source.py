"""Find and read the S3 objects a COPY names, as Redshift does, from the S3 endpoint (moto).

* ``FROM 's3://bucket/prefix'`` loads every object whose key starts with the prefix (none is an
  error); ``MANIFEST`` reads ``{"entries": [{"url": ..., "mandatory": ...}]}`` from the named
  object and loads exactly those, a missing mandatory entry being an error.
* Authorization: ``IAM_ROLE`` must be one of the roles the double's "cluster" has attached (a
  real cluster can only assume those); ``CREDENTIALS 'aws_access_key_id=..;aws_secret_access_key=..'``
  and ``ACCESS_KEY_ID``/``SECRET_ACCESS_KEY`` sign the requests with those keys.
* ``REGION`` (else the cluster's region) must be the bucket's region, as for Redshift, whose
  requests to a bucket elsewhere are refused.
* ``GZIP`` / ``BZIP2`` decompress each object.
"""

from __future__ import annotations

import bz2
import gzip
import json
import re
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from .sql import CopyStatement

_SESSION = boto3.session.Session()
_CLIENTS: dict[tuple[str | None, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


class LoadFailure(Exception):
    """The COPY fails before or outside the rows: Redshift's error text and SQLSTATE."""

    def __init__(self, message: str, code: str = "XX000", detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class S3Settings:
    """The S3 side of the double's "cluster": endpoint, region, the roles it may assume."""

    endpoint_url: str
    region: str
    attached_roles: frozenset[str]
    cluster_arn_user: str = "arn:aws:redshift:us-east-1:123456789012:dbuser:double"


@dataclass(frozen=True)
class StagedObject:
    url: str
    data: bytes


def _split(url: str) -> tuple[str, str]:
    match = re.fullmatch(r"s3://([^/]+)/?(.*)", url, re.S)
    if not match:
        raise LoadFailure(f"Invalid S3 URL '{url}'", "XX000")
    return match[1], match[2]


def _detail(text: str, code: int) -> str:
    return (
        "\n  -----------------------------------------------\n"
        f"  error:  {text}\n"
        f"  code:      {code}\n"
        "  context:   redshift double\n"
        "  -----------------------------------------------\n"
    )


def _s3_error(exc: ClientError, url: str) -> LoadFailure:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    text = (
        f"S3ServiceException:{error.get('Message', 'error')},Status {status},"
        f"Error {error.get('Code', '')},Rid {url}"
    )
    return LoadFailure(text, "XX000", _detail(text, 8001))


def client_for(statement: CopyStatement, settings: S3Settings) -> Any:
    """A boto3 client signed as the COPY's credentials say, in the region it names."""
    access_key = secret_key = token = None
    role = statement.iam_role
    if statement.credentials is not None:
        pairs = dict(part.split("=", 1) for part in statement.credentials.split(";") if "=" in part)
        if "aws_iam_role" in pairs:
            role = pairs["aws_iam_role"]
        elif "aws_access_key_id" in pairs and "aws_secret_access_key" in pairs:
            access_key = pairs["aws_access_key_id"]
            secret_key = pairs["aws_secret_access_key"]
            token = pairs.get("token")
        else:
            raise LoadFailure(
                "Invalid credentials. Must be of the format: credentials "
                "'aws_iam_role=...' or 'aws_access_key_id=...;aws_secret_access_key=...[;token=...]'"
            )
    elif statement.access_key_id is not None or statement.secret_access_key is not None:
        if not (statement.access_key_id and statement.secret_access_key):
            raise LoadFailure("ACCESS_KEY_ID and SECRET_ACCESS_KEY must be given together")
        access_key, secret_key = statement.access_key_id, statement.secret_access_key
        token = statement.session_token
    elif role is None:
        raise LoadFailure(
            "Missing authorization: give IAM_ROLE, CREDENTIALS or ACCESS_KEY_ID/SECRET_ACCESS_KEY",
            "XX000",
        )
    if role is not None:
        roles = [r.strip() for r in role.split(",")]
        for arn in roles:
            if arn != "default" and not _ROLE_ARN.match(arn):
                raise LoadFailure(f"Invalid IAM role ARN '{arn}'", "XX000")
        first = roles[0]
        if first == "default":
            if not settings.attached_roles:
                raise LoadFailure("No default IAM role is associated with the cluster")
        elif first not in settings.attached_roles:
            text = f"User {settings.cluster_arn_user} is not authorized to assume IAM Role {first}"
            raise LoadFailure(text, "XX000", _detail(text, 30000))
        # the cluster's own credentials read the objects (moto accepts any)
        access_key, secret_key, token = "AKIAREDSHIFTDOUBLE01", "redshift-double-role", None
    key = (
        settings.endpoint_url,
        statement.region or settings.region,
        access_key,
        secret_key,
        token,
    )
    with _CLIENTS_LOCK:  # a boto3 session is not thread-safe; making clients is slow: keep them
        client = _CLIENTS.get(key)
        if client is None:
            client = _SESSION.client(
                "s3",
                endpoint_url=settings.endpoint_url,
                region_name=statement.region or settings.region,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                aws_session_token=token,
                config=Config(retries={"max_attempts": 2, "mode": "standard"}),
            )
            _CLIENTS[key] = client
    return client


def _check_region(client: Any, bucket: str, region: str, url: str) -> None:
    try:
        location = client.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    except ClientError as exc:
        raise _s3_error(exc, url) from None
    bucket_region = location or "us-east-1"
    if bucket_region != region:
        text = (
            "S3ServiceException:The bucket you are attempting to access must be addressed using "
            "the specified endpoint. Please send all future requests to this endpoint.,"
            f"Status 301,Error PermanentRedirect,Rid {url}"
        )
        raise LoadFailure(text, "XX000", _detail(text, 8001))


def staged_objects(statement: CopyStatement, settings: S3Settings) -> Iterator[StagedObject]:
    """The objects the COPY loads, in order, decompressed."""
    client = client_for(statement, settings)
    region = statement.region or settings.region
    bucket, key = _split(statement.source)
    _check_region(client, bucket, region, statement.source)
    if statement.manifest:
        entries = _manifest(client, bucket, key, statement.source)
    else:
        entries = [(f"s3://{bucket}/{k}", True) for k in _list(client, bucket, key)]
        if not entries:
            raise LoadFailure(
                f"The specified S3 prefix '{key}' does not exist",
                "XX000",
                _detail(f"The specified S3 prefix '{key}' does not exist", 8001),
            )
    for url, mandatory in entries:
        entry_bucket, entry_key = _split(url)
        if entry_bucket != bucket:
            _check_region(client, entry_bucket, region, url)
        try:
            body = client.get_object(Bucket=entry_bucket, Key=entry_key)["Body"].read()
        except ClientError as exc:
            if not mandatory and exc.response.get("Error", {}).get("Code") in (
                "NoSuchKey",
                "404",
            ):
                continue
            raise _s3_error(exc, url) from None
        yield StagedObject(url, _decompress(body, statement.compression, url))


def _list(client: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/"))
    except ClientError as exc:
        raise _s3_error(exc, f"s3://{bucket}/{prefix}") from None
    return sorted(keys)


def _manifest(client: Any, bucket: str, key: str, url: str) -> list[tuple[str, bool]]:
    try:
        body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        failure = _s3_error(exc, url)
        raise LoadFailure(
            f"Problem reading manifest file - {failure.message}", "XX000", failure.detail
        ) from None
    try:
        document = json.loads(body)
        entries = document["entries"]
        out = []
        for entry in entries:
            entry_url = entry["url"]
            if not isinstance(entry_url, str) or not entry_url.startswith("s3://"):
                raise ValueError(entry_url)
            _, entry_key = _split(entry_url)
            if not entry_key or entry_key.endswith("/"):
                raise LoadFailure(
                    "Manifest file is invalid: COPY with MANIFEST parameter requires full path "
                    f"of an S3 object, not '{entry_url}'",
                    "XX000",
                    _detail(
                        "COPY with MANIFEST parameter requires full path of an S3 object", 8001
                    ),
                )
            out.append((entry_url, bool(entry.get("mandatory", False))))
    except LoadFailure:
        raise
    except (ValueError, KeyError, TypeError):
        raise LoadFailure(f"Manifest file is invalid: {url}", "XX000") from None
    return out


def _decompress(body: bytes, compression: str | None, url: str) -> bytes:
    try:
        if compression == "gzip":
            return gzip.decompress(body)
        if compression == "bzip2":
            return bz2.decompress(body)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        text = f"{compression}: invalid compressed data in {url} ({exc})"
        raise LoadFailure(text, "XX000", _detail(text, 9001)) from None
    return body
