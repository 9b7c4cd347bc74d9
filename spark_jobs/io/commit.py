"""Commit staged outputs: move each into place by its action, on every kind of file system.

:class:`spark_jobs.io.outputs.OutputCommitter` stages every output of a job group first; only when
all of them are staged does it commit them with the strategies here:

* ``create``     the target path if it is free, else a parallel path ``<stem>_<jobGroupId><ext>``
                 (then ``<stem>_<jobGroupId>_2<ext>`` ...); old results are never touched.
* ``overwrite``  the old result is renamed aside, the staged one renamed in, the old one deleted.
* ``append``     part files are moved into the existing directory under names that carry the job
                 group id; a single file is rewritten as old bytes + new bytes into staging and
                 then renamed over the old file (atomic on local and HDFS file systems).

S3 (``s3a://``, and ``s3://`` mapped to it) has no rename: there the commit moves objects one by
one and a ``_SUCCESS`` manifest written last marks a complete directory (``_commit_s3``;
docs/outputs-s3.md says exactly what a reader can rely on). ``delta`` outputs were only checked
while the others were staged: :func:`commit_delta` writes them, one Delta transaction each
(:mod:`spark_jobs.io.delta`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from spark_jobs.errors import MissingJarError, OutputError
from spark_jobs.io import delta
from spark_jobs.io.fs import (
    FileInfo,
    FileSystem,
    HadoopFileSystem,
    basename,
    filesystem_for,
    is_local,
    join,
    normalize_uri,
    parent,
)
from spark_jobs.spec.models import WriteSetting

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)


@dataclass
class StagedOutput:
    """One output written into its staging directory, waiting for the commit."""

    index: int
    setting: WriteSetting
    target: str
    staging_dir: str
    staged: str
    single_file: bool
    writer: str
    renamed_columns: dict[str, str] = field(default_factory=dict)
    json_encoded_columns: list[str] = field(default_factory=list)
    #: a Delta output: the frame to write in the commit phase (nothing is staged for it)
    delta_frame: DataFrame | None = None


@dataclass
class CommittedOutput:
    """What the result JSON records for one output."""

    index: int
    path: str
    requested_path: str
    action: str
    format: str
    compression: str
    single_file: bool
    writer: str
    files: list[FileInfo]
    renamed_columns: dict[str, str] = field(default_factory=dict)
    json_encoded_columns: list[str] = field(default_factory=list)
    #: the table version this run wrote (format delta only)
    delta_version: int | None = None

    @property
    def bytes(self) -> int:
        return sum(f.size for f in self.files)


def split_extension(name: str) -> tuple[str, str]:
    """``orders.csv.gz`` -> (``orders``, ``.csv.gz``); ``orders`` -> (``orders``, ``"")."""
    known = (".csv", ".json", ".avro", ".parquet", ".pqt", ".txt", ".gz", ".bz2")
    stem, ext = name, ""
    while True:
        base, dot, suffix = stem.rpartition(".")
        if dot and base and f".{suffix.lower()}" in known:
            stem, ext = base, f".{suffix}{ext}"
        else:
            return stem, ext


def parallel_path(fs: FileSystem, target: str, job_group_id: int) -> str:
    """The first free ``<stem>_<jobGroupId>[_n]<ext>`` beside ``target`` (action create)."""
    stem, ext = split_extension(basename(target))
    folder = parent(target)
    candidate = join(folder, f"{stem}_{job_group_id}{ext}")
    n = 2
    while fs.exists(candidate):
        candidate = join(folder, f"{stem}_{job_group_id}_{n}{ext}")
        n += 1
    return candidate


def is_data_file(info: FileInfo) -> bool:
    """Whether a file is data a reader reads: no directory, no hidden (``.``) or metadata
    (``_SUCCESS``) file."""
    name = basename(info.path)
    return not info.is_dir and not name.startswith((".", "_"))


def is_s3(uri: str) -> bool:
    """Whether ``uri`` (normalized: ``s3://`` is ``s3a://``) is in S3."""
    return uri.startswith("s3a://")


def as_uri(path: str) -> str:
    """A path as the result records it (local paths as ``file:`` URIs)."""
    return normalize_uri(path) if is_local(path) else path


def _committed(
    staged: StagedOutput, final: str, files: list[FileInfo], *, delta_version: int | None = None
) -> CommittedOutput:
    """The record of a staged output committed at ``final`` with ``files``."""
    setting = staged.setting
    return CommittedOutput(
        index=staged.index,
        path=as_uri(final),
        requested_path=setting.path,
        action=setting.action,
        format=setting.format,
        compression=setting.compression,
        single_file=staged.single_file,
        writer=staged.writer,
        files=[FileInfo(as_uri(f.path), f.is_dir, f.size) for f in files],
        renamed_columns=staged.renamed_columns,
        json_encoded_columns=staged.json_encoded_columns,
        delta_version=delta_version,
    )


def commit_files(fs: FileSystem, staged: StagedOutput, job_group_id: int) -> CommittedOutput:
    """Move a staged file output into place by its action (see the module docstring)."""
    setting = staged.setting
    target = staged.target
    if not is_s3(target):
        fs.mkdirs(parent(target))
    existed = fs.exists(target)
    try:
        if is_s3(target):
            final = _commit_s3(fs, staged, job_group_id)
        elif setting.action == "create":
            final = target if not fs.exists(target) else parallel_path(fs, target, job_group_id)
            fs.rename(staged.staged, final)
        elif setting.action == "overwrite":
            final = target
            if fs.exists(target):
                aside = join(staged.staging_dir, "previous")
                fs.rename(target, aside)
                fs.rename(staged.staged, target)
                fs.delete(aside)
            else:
                fs.rename(staged.staged, target)
        else:  # append
            final = target
            _append(fs, staged, job_group_id)
    except OSError as exc:
        raise OutputError(
            f"output {staged.index} could not be committed to {target}: {exc}"
        ) from exc
    files = [f for f in fs.walk_files(final) if is_data_file(f) or not fs.is_dir(final)]
    if setting.action == "append" and existed and fs.is_dir(final):
        marker = f"-jg{job_group_id}-"
        files = [f for f in files if marker in basename(f.path)]
    return _committed(staged, final, files)


def commit_delta(
    spark: SparkSession, staged: StagedOutput, job_group_id: int
) -> tuple[CommittedOutput, delta.DeltaCommit]:
    """Write a Delta output, one Delta transaction: a new table version (or a new table)."""
    setting, target = staged.setting, staged.target
    assert staged.delta_frame is not None
    fs = filesystem_for(target, spark)
    final = target
    if setting.action == "create" and fs.exists(target):
        final = parallel_path(fs, target, job_group_id)
    try:
        commit = delta.write(
            spark,
            staged.delta_frame,
            final,
            setting.action,
            tag=delta.commit_tag(job_group_id, staged.index),
        )
    except (MissingJarError, OutputError):
        raise
    except Exception as exc:
        raise OutputError(
            f"output {staged.index} (delta to {setting.path}) could not be written: "
            f"{delta.failure_summary(exc)}; the table is as it was"
        ) from exc
    log.info("output %d: Delta table %s version %d", staged.index, final, commit.version)
    return _committed(staged, final, commit.files, delta_version=commit.version), commit


def _commit_s3(fs: FileSystem, staged: StagedOutput, job_group_id: int) -> str:
    """Commit to S3, where nothing can be renamed atomically (see docs/outputs-s3.md).

    A single file is one object: it is put in place by a server-side copy (a new key) or by
    streaming into the key (overwrite, append: old + new bytes), which S3 replaces
    atomically when the upload completes. A directory's part files are moved one object at a
    time to names carrying the job group id (never an old part's name), then the old parts
    are deleted (overwrite), and ``_SUCCESS`` (the list of the directory's files) is written
    last; it is removed first, so a directory with a ``_SUCCESS`` is always complete. A
    failure before the last step removes what was moved and leaves the old objects as they were.
    """
    setting = staged.setting
    target = staged.target
    exists = fs.exists(target)
    if setting.action == "create" and exists:
        target = parallel_path(fs, target, job_group_id)
        exists = False
    if staged.single_file:
        if exists and fs.is_dir(target):
            raise OutputError(f"cannot write a single file to {target}: it is a directory")
        if not exists:
            fs.rename(staged.staged, target)  # S3A: a server-side copy to a new key
            return target
        assert isinstance(fs, HadoopFileSystem)
        sources = [target, staged.staged] if setting.action == "append" else [staged.staged]
        fs.concat(sources, target, overwrite=True)
        return target
    if exists and not fs.is_dir(target):
        raise OutputError(f"cannot write part files to {target}: it is a file, not a directory")
    success = join(target, "_SUCCESS")
    old = [f for f in fs.walk_files(target)] if exists else []
    old_success = fs.read_bytes(success) if exists and fs.exists(success) else None
    moved: list[str] = []
    try:
        if old_success is not None:
            fs.delete(success)
        for info in fs.list_dir(staged.staged):
            if not is_data_file(info):
                continue
            head, _, tail = basename(info.path).partition("-")
            name = basename(info.path) if not exists else f"{head}-jg{job_group_id}-{tail}"
            dest = join(target, name)
            fs.rename(info.path, dest)
            moved.append(dest)
    except BaseException:
        for dest in moved:
            fs.delete(dest)
        if old_success is not None:
            fs.write_bytes(success, old_success, overwrite=True)
        raise
    if setting.action == "overwrite":
        for info in old:
            if info.path not in moved:
                fs.delete(info.path)
    files = [f for f in fs.walk_files(target) if is_data_file(f)]
    manifest = {
        "jobGroupId": job_group_id,
        "action": setting.action,
        "files": [{"path": f.path, "bytes": f.size} for f in files],
    }
    fs.write_bytes(success, json.dumps(manifest, indent=1).encode(), overwrite=True)
    return target


def _append(fs: FileSystem, staged: StagedOutput, job_group_id: int) -> None:
    target = staged.target
    if not fs.exists(target):
        fs.rename(staged.staged, target)
        return
    if staged.single_file:
        if fs.is_dir(target):
            raise OutputError(f"cannot append a single file to {target}: it is a directory")
        merged = join(staged.staging_dir, "merged")
        fs.concat([target, staged.staged], merged)
        fs.replace_file(merged, target)
        return
    if not fs.is_dir(target):
        raise OutputError(f"cannot append part files to {target}: it is a file, not a directory")
    for info in fs.list_dir(staged.staged):
        if not is_data_file(info):
            continue
        name = basename(info.path)
        head, _, tail = name.partition("-")
        fs.rename(info.path, join(target, f"{head}-jg{job_group_id}-{tail}"))
