"""Stage files in S3 for a COPY: upload them (multipart, in parallel), write a manifest that
lists exactly those objects, and remove them after the load unless told to keep them.

Each staging gets its own prefix (``<prefix>/<run id>/``), so two publishes never mix files, and
the COPY reads the manifest rather than the prefix: an object left there by anyone else is never
loaded, and a missing one fails the COPY (``mandatory``) instead of loading less.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from spark_jobs.errors import StagingError
from spark_jobs.publish.redshift.sql import redact

log = logging.getLogger(__name__)
MB = 1024 * 1024
_SESSION: boto3.session.Session | None = None
_SESSION_LOCK = threading.Lock()


@dataclass(frozen=True)
class StagingConfig:
    """Where and how to stage: bucket and prefix, the endpoint (any S3-compatible one) and
    region, credentials (default chain when None), multipart sizes and parallelism."""

    bucket: str
    prefix: str = ""
    region: str | None = None
    endpoint_url: str | None = None
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    keep: bool = False
    multipart_threshold: int = 16 * MB
    multipart_chunksize: int = 16 * MB
    max_concurrency: int = 4

    @property
    def secrets(self) -> tuple[str, ...]:
        values = (self.access_key_id, self.secret_access_key, self.session_token)
        return tuple(v for v in values if v)

    def client(self) -> Any:
        with _SESSION_LOCK:  # a boto3 session is not thread-safe; making one costs ~0.5 s
            global _SESSION
            if _SESSION is None:
                _SESSION = boto3.session.Session()
            return _SESSION.client(
                "s3",
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id=self.access_key_id,
                aws_secret_access_key=self.secret_access_key,
                aws_session_token=self.session_token,
                config=Config(retries={"max_attempts": 5, "mode": "standard"}),
            )


@dataclass(frozen=True)
class StagedFiles:
    """What was staged: the objects (URL, size), the manifest's URL, the run's prefix."""

    bucket: str
    run_prefix: str
    objects: tuple[tuple[str, int], ...]
    manifest_url: str
    #: the objects were put there by this staging (False: they are the job's own S3 output,
    #: which the manifest only lists; cleanup then removes the manifest alone)
    owned: bool = True

    @property
    def urls(self) -> list[str]:
        return [url for url, _ in self.objects]

    @property
    def bytes(self) -> int:
        return sum(size for _, size in self.objects)

    @property
    def keys(self) -> list[str]:
        manifest = [self.manifest_url.split("/", 3)[3]]
        if not self.owned:
            return manifest
        return [url.split("/", 3)[3] for url in self.urls] + manifest


#: a file to stage: a local path, or (name, content)
Source = Path | str | tuple[str, bytes]


class S3Stager:
    """Uploads files for one COPY and cleans them up (see the module docstring)."""

    def __init__(self, config: StagingConfig, client: Any | None = None) -> None:
        self.config = config
        self.client = client if client is not None else config.client()
        self.transfer = TransferConfig(
            multipart_threshold=config.multipart_threshold,
            multipart_chunksize=config.multipart_chunksize,
            max_concurrency=config.max_concurrency,
            use_threads=config.max_concurrency > 1,
        )

    def _fail(self, what: str, exc: BaseException) -> StagingError:
        return StagingError(
            f"S3 staging in s3://{self.config.bucket}/{self.config.prefix}: {what} failed: "
            + redact(str(exc), self.config.secrets)
        )

    def stage(self, files: Sequence[Source], *, run_id: str | None = None) -> StagedFiles:
        """Upload ``files`` under a new run prefix and write their manifest."""
        if not files:
            raise StagingError("nothing to stage: no files")
        run = run_id or uuid.uuid4().hex
        base = self.run_prefix(run)
        jobs = [(f"{base}part-{i:05d}{_suffix(src)}", src) for i, src in enumerate(files)]
        try:
            with ThreadPoolExecutor(max_workers=max(1, self.config.max_concurrency)) as pool:
                sizes = list(pool.map(lambda job: self._upload(*job), jobs))
        except (ClientError, BotoCoreError, OSError) as exc:
            self._remove([key for key, _ in jobs])
            raise self._fail("upload", exc) from None
        bucket = self.config.bucket
        objects = tuple(
            (f"s3://{bucket}/{key}", size) for (key, _), size in zip(jobs, sizes, strict=True)
        )
        try:
            return self.write_manifest(objects, run_id=run)
        except StagingError:
            self._remove([key for key, _ in jobs])
            raise

    def run_prefix(self, run_id: str) -> str:
        """``<prefix>/<run id>/``: where one staging puts its objects and manifest."""
        return "/".join(p for p in (self.config.prefix.strip("/"), run_id) if p) + "/"

    def write_manifest(
        self, objects: Sequence[tuple[str, int]], *, run_id: str, owned: bool = True
    ) -> StagedFiles:
        """Write the COPY manifest listing exactly ``objects`` (``s3://`` URL, size) under the
        run's prefix. ``owned=False``: the objects are someone else's (the job's own S3 output)
        and cleanup leaves them alone."""
        if not objects:
            raise StagingError("nothing to stage: no files")
        bucket = self.config.bucket
        base = self.run_prefix(run_id)
        objects = tuple((url, int(size)) for url, size in objects)
        manifest = {
            "entries": [
                {"url": url, "mandatory": True, "meta": {"content_length": size}}
                for url, size in objects
            ]
        }
        manifest_key = f"{base}manifest.json"
        try:
            self.client.put_object(
                Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest, indent=1).encode()
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("writing the manifest", exc) from None
        log.info("staged %d file(s), manifest s3://%s/%s", len(objects), bucket, manifest_key)
        return StagedFiles(bucket, base, objects, f"s3://{bucket}/{manifest_key}", owned)

    def remove_prefix(self, run_prefix: str) -> None:
        """Delete every object under a run's own prefix (what Spark wrote there, ``_SUCCESS``
        included). Only a run prefix (``.../<run id>/``) is accepted, never the staging root."""
        base = self.config.prefix.strip("/")
        if not run_prefix.endswith("/") or run_prefix.strip("/") == base:
            raise ValueError(f"not a run prefix: {run_prefix!r}")
        try:
            keys: list[str] = []
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.config.bucket, Prefix=run_prefix
            )
            for page in pages:
                keys.extend(obj["Key"] for obj in page.get("Contents", []))
            self._remove(keys, strict=True)
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("cleanup", exc) from None

    def _upload(self, key: str, source: Source) -> int:
        if isinstance(source, tuple):
            _, data = source
            self.client.upload_fileobj(BytesIO(data), self.config.bucket, key, Config=self.transfer)
            return len(data)
        path = Path(source)
        self.client.upload_file(str(path), self.config.bucket, key, Config=self.transfer)
        return path.stat().st_size

    def cleanup(self, staged: StagedFiles) -> None:
        """Delete the staged objects and the manifest (never anything else)."""
        try:
            self._remove(staged.keys, strict=True)
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("cleanup", exc) from None

    def _remove(self, keys: Sequence[str], *, strict: bool = False) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            try:
                response = self.client.delete_objects(
                    Bucket=self.config.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            except (ClientError, BotoCoreError):
                if strict:
                    raise
                log.warning("could not remove staged objects", exc_info=True)
                continue
            if strict and response.get("Errors"):
                first = response["Errors"][0]
                raise StagingError(
                    f"S3 staging cleanup: could not delete {first.get('Key')}: {first.get('Message')}"
                )

    @contextmanager
    def staged(
        self, files: Sequence[Source], *, run_id: str | None = None
    ) -> Iterator[StagedFiles]:
        """Stage ``files`` for the block; remove them after it succeeds (unless ``keep``). After
        a failure they are kept, and logged, so the COPY's errors can be checked against them."""
        staged = self.stage(files, run_id=run_id)
        try:
            yield staged
        except BaseException:
            log.warning(
                "the load failed: staged files kept in s3://%s/%s", staged.bucket, staged.run_prefix
            )
            raise
        if not self.config.keep:
            self.cleanup(staged)


def _suffix(source: Source) -> str:
    """The staged object keeps the file's extensions (``.csv.gz``), for people reading S3."""
    name = source[0] if isinstance(source, tuple) else Path(source).name
    suffixes = Path(name).suffixes
    return "".join(s for s in suffixes[-2:] if s.replace(".", "").isalnum())
