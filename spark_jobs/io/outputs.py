"""Write outputs so that old results survive anything short of success.

Every output is first written by Spark into a hidden staging directory beside its target
(``<parent>/.spark_jobs_staging/jg<id>-<n>/``, on the same file system, ignored by Spark and
Hadoop readers because of the leading dot). Only when every output of the job group has been
staged does :meth:`OutputCommitter.commit` move them into place, each by its action
(``create``, ``overwrite``, ``append``; on S3 without renames): the strategies are in
:mod:`spark_jobs.io.commit`.

``delta`` outputs are not staged: Delta commits are atomic by themselves, so they are checked while
the others are staged and written by :meth:`OutputCommitter.commit`, first (see
:mod:`spark_jobs.io.delta`).

A failed job removes its staging directories; a killed one leaves only hidden staging directories,
which :class:`StagingJanitor` removes as soon as the driver process is gone.

``asSingleFile`` outputs are written in parallel as part files (without header) and then
concatenated into one file, byte for byte, in the JVM or with ``copyfileobj``: never collected to
the driver. Concatenated gzip members and bzip2 streams are valid gzip / bzip2 files.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from spark_jobs.errors import MissingJarError, OutputError, first_line
from spark_jobs.io import avro_fallback, delta
from spark_jobs.io.commit import (
    CommittedOutput,
    StagedOutput,
    commit_delta,
    commit_files,
    is_data_file,
)
from spark_jobs.io.formats import PART_EXTENSION, SPARK_FORMAT, prepare_for_format, writer_options
from spark_jobs.io.fs import (
    FileSystem,
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

    def stage(
        self,
        df: DataFrame,
        setting: WriteSetting,
        index: int,
        *,
        json_values: Sequence[str] = (),
    ) -> StagedOutput:
        """Write one output into its staging directory. Raises OutputError; nothing is committed.

        ``json_values``: text columns holding JSON that a json output writes as JSON values.
        """
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
        prepared = prepare_for_format(df, fmt, json_values)
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
            elif prepared.json_lines:
                # whole JSON lines, as text: the same compression and line ends as json
                prepared.df.write.format("text").options(
                    compression=setting.compression, lineSep="\n"
                ).mode("errorifexists").save(data_dir)
                self._name_parts(fs, data_dir, ".txt", PART_EXTENSION["json"])
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
    def _name_parts(fs: FileSystem, directory: str, written: str, wanted: str) -> None:
        """Part files named ``part-...<written>[.gz]`` renamed to ``part-...<wanted>[.gz]``."""
        for info in fs.list_dir(directory):
            name = basename(info.path)
            if not is_data_file(info) or written not in name:
                continue
            stem, _, tail = name.rpartition(written)
            fs.rename(info.path, join(directory, stem + wanted + tail))

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
        parts = [f.path for f in fs.list_dir(data_dir) if is_data_file(f)]
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
                    out, commit = commit_delta(self.spark, staged, self.job_group_id)
                    written.append(commit)
                    committed.append(out)
                else:
                    committed.append(
                        commit_files(self._fs(staged.target), staged, self.job_group_id)
                    )
        except BaseException:
            for commit in reversed(written):
                delta.undo(self.spark, commit)
            raise
        finally:
            self.cleanup()
        return sorted(committed, key=lambda c: c.index)

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


__all__ = ["AVRO_WRITER_CONF", "CommittedOutput", "OutputCommitter", "StagedOutput"]
