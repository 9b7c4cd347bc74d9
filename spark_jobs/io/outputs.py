"""Write outputs so that old results survive anything short of success.

Every output is first written by Spark into a hidden staging directory beside its target
(``<parent>/.spark_jobs_staging/jg<id>-<n>/``, on the same file system, ignored by Spark and
Hadoop readers because of the leading dot). Only when every output of the job group has been
staged does :meth:`OutputCommitter.commit` move them into place:

* ``create``     the target path if it is free, else a parallel path ``<stem>_<jobGroupId><ext>``
                 (then ``<stem>_<jobGroupId>_2<ext>`` ...); old results are never touched.
* ``overwrite``  the old result is renamed aside, the staged one renamed in, the old one deleted.
* ``append``     part files are moved into the existing directory under names that carry the job
                 group id; a single file is rewritten as old bytes + new bytes into staging and
                 then renamed over the old file (atomic on local and HDFS file systems).

``delta`` outputs are not staged: Delta commits are atomic by themselves, so they are checked while
the others are staged and written by :meth:`OutputCommitter.commit`, first (see
:mod:`spark_jobs.io.delta`).

A failed job removes its staging directories; a killed one leaves only hidden staging directories,
which :class:`StagingJanitor` removes as soon as the driver process is gone.

S3 (``s3a://``, and ``s3://`` mapped to it) has no rename: there the commit moves objects one by
one and a ``_SUCCESS`` manifest written last marks a complete directory (:meth:`_commit_s3`,
docs/outputs-s3.md says exactly what a reader can rely on).

``asSingleFile`` outputs are written in parallel as part files (without header) and then
concatenated into one file, byte for byte, in the JVM or with ``copyfileobj``: never collected to
the driver. Concatenated gzip members and bzip2 streams are valid gzip / bzip2 files.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from spark_jobs.errors import MissingJarError, OutputError, first_line
from spark_jobs.io import avro_fallback, delta
from spark_jobs.io.formats import SPARK_FORMAT, prepare_for_format, writer_options
from spark_jobs.io.fs import (
    FileInfo,
    FileSystem,
    HadoopFileSystem,
    basename,
    filesystem_for,
    is_local,
    join,
    local_path,
    normalize_uri,
    parent,
)
from spark_jobs.io.janitor import StagingJanitor
from spark_jobs.session import jvm_extras_available
from spark_jobs.spec.models import WriteSetting

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)

STAGING_DIR_NAME = ".spark_jobs_staging"
#: Spark configuration that picks the Avro writer: "auto" (native when the jar is there), "native", "fastavro"
AVRO_WRITER_CONF = "spark.sparkjobs.avro.writer"

AvroWriter = Literal["native", "fastavro"]


@dataclass
class StagedOutput:
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


def header_bytes(columns: list[str], compression: str) -> bytes:
    """The CSV header line, quoted like Spark quotes data, compressed as the parts are."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow(columns)
    raw = buffer.getvalue().encode("utf-8")
    if compression == "gzip":
        return gzip.compress(raw)
    if compression == "bzip2":
        return bz2.compress(raw)
    return raw


def _is_data_file(info: FileInfo) -> bool:
    name = basename(info.path)
    return not info.is_dir and not name.startswith((".", "_"))


class OutputCommitter:
    """Stages every output of one job group, then commits them all, or none."""

    def __init__(self, spark: SparkSession, job_group_id: int) -> None:
        self.spark = spark
        self.job_group_id = job_group_id
        self.staged: list[StagedOutput] = []
        self._staging_dirs: list[str] = []
        self._staging_roots: set[str] = set()
        self._janitor = StagingJanitor()

    # --- staging -----------------------------------------------------------------------

    def _fs(self, uri: str) -> FileSystem:
        return filesystem_for(uri, self.spark)

    def _avro_writer(self, target: str) -> AvroWriter:
        choice = (self.spark.conf.get(AVRO_WRITER_CONF, "auto") or "auto").lower()
        has_jar = jvm_extras_available(self.spark)["spark-avro"]
        if choice == "native" or (choice == "auto" and has_jar):
            if not has_jar:
                raise MissingJarError(
                    "avro output needs the spark-avro jar (org.apache.spark:spark-avro) on the "
                    f"classpath, or {AVRO_WRITER_CONF}=fastavro"
                )
            return "native"
        if not is_local(target):
            raise MissingJarError(
                f"avro output to {target} needs the spark-avro jar on the classpath: the fastavro "
                "fallback writes to local or shared file systems only"
            )
        return "fastavro"

    def stage(self, df: DataFrame, setting: WriteSetting, index: int) -> StagedOutput:
        """Write one output into its staging directory. Raises OutputError; nothing is committed."""
        target = normalize_uri(setting.path)
        if setting.format == "delta":
            return self._stage_delta(df, setting, index, target)
        fs = self._fs(target)
        staging_root = join(parent(target), STAGING_DIR_NAME)
        staging_dir = join(staging_root, f"jg{self.job_group_id}-{index}-{uuid.uuid4().hex[:8]}")
        self._staging_roots.add(staging_root)
        self._staging_dirs.append(staging_dir)
        if is_local(staging_dir):
            self._janitor.watch(local_path(staging_dir))
        fmt = setting.format
        prepared = prepare_for_format(df, fmt)
        writer = "native"
        try:
            fs.mkdirs(staging_dir)
            data_dir = join(staging_dir, "data")
            if fmt == "avro":
                writer = self._avro_writer(target)
            if writer == "fastavro":
                fs.mkdirs(data_dir)
                avro_fallback.write_partitions(prepared.df, local_path(data_dir))
                log.info(
                    "output %d: avro written by the fastavro fallback (spark-avro absent or not chosen)",
                    index,
                )
            else:
                header = False if setting.asSingleFile else None
                options = writer_options(setting, header=header)
                prepared.df.write.format(SPARK_FORMAT[fmt]).options(**options).mode(
                    "errorifexists"
                ).save(data_dir)
                if fmt == "avro":
                    log.info("output %d: avro written by Spark's native writer (spark-avro)", index)
            self._drop_checksums(fs, data_dir)
            staged = data_dir
            if setting.asSingleFile:
                staged = self._concatenate(
                    fs, setting, prepared.df.columns, data_dir, staging_dir, target
                )
        except (MissingJarError, OutputError):
            raise
        except Exception as exc:
            raise OutputError(
                f"output {index} ({setting.format} to {setting.path}) could not be written: {first_line(exc)}"
            ) from exc
        out = StagedOutput(
            index=index,
            setting=setting,
            target=target,
            staging_dir=staging_dir,
            staged=staged,
            single_file=setting.asSingleFile,
            writer=writer,
            renamed_columns=prepared.renamed_columns,
            json_encoded_columns=prepared.json_encoded_columns,
        )
        self.staged.append(out)
        return out

    def _stage_delta(
        self, df: DataFrame, setting: WriteSetting, index: int, target: str
    ) -> StagedOutput:
        """A Delta output is only checked now; commit() writes it, as one Delta transaction."""
        delta.require_delta(self.spark)
        try:
            delta.check_target(self.spark, df, target, setting.action, index)
        except OutputError:
            raise
        except Exception as exc:
            raise OutputError(
                f"output {index} (delta to {setting.path}) could not be checked: {first_line(exc)}"
            ) from exc
        out = StagedOutput(
            index=index,
            setting=setting,
            target=target,
            staging_dir="",
            staged="",
            single_file=False,
            writer="native",
            delta_frame=df,
        )
        self.staged.append(out)
        return out

    @staticmethod
    def _drop_checksums(fs: FileSystem, directory: str) -> None:
        """Hadoop's local file system leaves ``.crc`` side files; they are noise in an output."""
        if not is_local(directory):
            return
        for info in fs.walk_files(directory):
            if basename(info.path).endswith(".crc"):
                fs.delete(info.path)

    def _concatenate(
        self,
        fs: FileSystem,
        setting: WriteSetting,
        columns: list[str],
        data_dir: str,
        staging_dir: str,
        target: str,
    ) -> str:
        parts = [f.path for f in fs.list_dir(data_dir) if _is_data_file(f)]
        single = join(staging_dir, "single")
        needs_header = setting.format == "csv" and setting.header
        if setting.action == "append" and fs.exists(target) and not fs.is_dir(target):
            needs_header = False  # the existing file already starts with one
        prefix = header_bytes(columns, setting.compression) if needs_header else b""
        fs.concat(parts, single, prefix=prefix)
        fs.delete(data_dir)
        return single

    # --- commit ------------------------------------------------------------------------

    def commit(self) -> list[CommittedOutput]:
        """Move every staged output into place. Call only after all outputs staged."""
        committed = []
        written: list[delta.DeltaCommit] = []
        try:
            self._janitor.committing()
            # Delta outputs first: their writes are whole Spark jobs, the likeliest to fail, and
            # one that fails then leaves every file output uncommitted
            for staged in sorted(self.staged, key=lambda s: s.delta_frame is None):
                if staged.delta_frame is not None:
                    out, commit = self._commit_delta(staged)
                    written.append(commit)
                    committed.append(out)
                else:
                    committed.append(self._commit_one(staged))
        except BaseException:
            for commit in reversed(written):
                delta.undo(self.spark, commit)
            raise
        finally:
            self.cleanup()
        return sorted(committed, key=lambda c: c.index)

    def _commit_delta(self, staged: StagedOutput) -> tuple[CommittedOutput, delta.DeltaCommit]:
        setting, target = staged.setting, staged.target
        assert staged.delta_frame is not None
        fs = self._fs(target)
        final = target
        if setting.action == "create" and fs.exists(target):
            final = parallel_path(fs, target, self.job_group_id)
        try:
            commit = delta.write(
                self.spark,
                staged.delta_frame,
                final,
                setting.action,
                tag=delta.commit_tag(self.job_group_id, staged.index),
            )
        except (MissingJarError, OutputError):
            raise
        except Exception as exc:
            raise OutputError(
                f"output {staged.index} (delta to {setting.path}) could not be written: "
                f"{delta.failure_summary(exc)}; the table is as it was"
            ) from exc
        log.info("output %d: Delta table %s version %d", staged.index, final, commit.version)
        out = CommittedOutput(
            index=staged.index,
            path=_as_uri(final),
            requested_path=setting.path,
            action=setting.action,
            format=setting.format,
            compression=setting.compression,
            single_file=False,
            writer=staged.writer,
            files=[FileInfo(_as_uri(f.path), False, f.size) for f in commit.files],
            delta_version=commit.version,
        )
        return out, commit

    def _commit_one(self, staged: StagedOutput) -> CommittedOutput:
        fs = self._fs(staged.target)
        setting = staged.setting
        target = staged.target
        if not is_s3(target):
            fs.mkdirs(parent(target))
        existed = fs.exists(target)
        try:
            if is_s3(target):
                final = self._commit_s3(fs, staged)
            elif setting.action == "create":
                final = (
                    target
                    if not fs.exists(target)
                    else parallel_path(fs, target, self.job_group_id)
                )
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
                self._append(fs, staged)
        except OSError as exc:
            raise OutputError(
                f"output {staged.index} could not be committed to {target}: {exc}"
            ) from exc
        files = [f for f in fs.walk_files(final) if _is_data_file(f) or not fs.is_dir(final)]
        if setting.action == "append" and existed and fs.is_dir(final):
            marker = f"-jg{self.job_group_id}-"
            files = [f for f in files if marker in basename(f.path)]
        return CommittedOutput(
            index=staged.index,
            path=_as_uri(final),
            requested_path=setting.path,
            action=setting.action,
            format=setting.format,
            compression=setting.compression,
            single_file=staged.single_file,
            writer=staged.writer,
            files=[FileInfo(_as_uri(f.path), f.is_dir, f.size) for f in files],
            renamed_columns=staged.renamed_columns,
            json_encoded_columns=staged.json_encoded_columns,
        )

    # --- S3: no rename ------------------------------------------------------------------

    def _commit_s3(self, fs: FileSystem, staged: StagedOutput) -> str:
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
            target = parallel_path(fs, target, self.job_group_id)
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
                if not _is_data_file(info):
                    continue
                head, _, tail = basename(info.path).partition("-")
                name = basename(info.path) if not exists else f"{head}-jg{self.job_group_id}-{tail}"
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
        files = [f for f in fs.walk_files(target) if _is_data_file(f)]
        manifest = {
            "jobGroupId": self.job_group_id,
            "action": setting.action,
            "files": [{"path": f.path, "bytes": f.size} for f in files],
        }
        fs.write_bytes(success, json.dumps(manifest, indent=1).encode(), overwrite=True)
        return target

    def _append(self, fs: FileSystem, staged: StagedOutput) -> None:
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
            raise OutputError(
                f"cannot append part files to {target}: it is a file, not a directory"
            )
        for info in fs.list_dir(staged.staged):
            if not _is_data_file(info):
                continue
            name = basename(info.path)
            head, _, tail = name.partition("-")
            fs.rename(info.path, join(target, f"{head}-jg{self.job_group_id}-{tail}"))

    # --- cleanup -----------------------------------------------------------------------

    def _remove_staging(self) -> None:
        for staging_dir in self._staging_dirs:
            try:
                self._fs(staging_dir).delete(staging_dir)
            except Exception as exc:  # cleanup must not hide the real error
                log.warning("could not remove staging directory %s: %s", staging_dir, exc)
        for root in self._staging_roots:
            fs = self._fs(root)
            try:
                if fs.exists(root) and not fs.list_dir(root):
                    fs.delete(root)
            except Exception:
                pass

    def cleanup(self) -> None:
        """Remove every staging directory of this job group (and the staging root if empty)."""
        self._remove_staging()
        self._janitor.done()

    def abort(self) -> None:
        """Give up: remove everything staged, leave every target exactly as it was.

        Tasks of a canceled Spark job may still be finishing a file for a moment, so the watchdog
        is released without ``done`` and removes whatever reappears.
        """
        self._remove_staging()
        self._janitor.abandon()


def is_s3(uri: str) -> bool:
    """Whether ``uri`` (normalized: ``s3://`` is ``s3a://``) is in S3."""
    return uri.startswith("s3a://")


def _as_uri(path: str) -> str:
    return normalize_uri(path) if is_local(path) else path


__all__ = [
    "AVRO_WRITER_CONF",
    "CommittedOutput",
    "OutputCommitter",
    "StagedOutput",
    "parallel_path",
    "split_extension",
]
