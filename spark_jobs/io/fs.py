"""File systems as the driver sees them: local paths through Python, every other scheme through
Hadoop's ``FileSystem`` in Spark's driver JVM (HDFS, S3A, ABFS, GCS: whatever the cluster can read).

Only driver-side metadata operations and byte streaming live here (exists, list, rename, delete,
concatenate). Data is read and written by Spark; nothing here loads rows into memory.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOCAL_SCHEMES = frozenset({"", "file"})
#: EMR users write s3://; open-source Spark reads S3 through the s3a connector.
SCHEME_ALIASES = {"s3": "s3a", "s3n": "s3a"}


def normalize_uri(uri: str) -> str:
    """A URI Spark can open: ``file:///x`` (not percent-encoded) for local paths (relative ones made absolute), ``s3a://``
    for ``s3://``, other schemes untouched."""
    parsed = urlparse(uri)
    scheme = parsed.scheme.lower()
    if len(scheme) == 1:  # a Windows drive letter is not a scheme
        scheme = ""
    if scheme in LOCAL_SCHEMES:
        # Hadoop's Path does not decode percent escapes: keep the path as it is spelled
        return "file://" + local_path(uri)
    if scheme in SCHEME_ALIASES:
        return SCHEME_ALIASES[scheme] + uri[len(parsed.scheme) :]
    return uri


def is_local(uri: str) -> bool:
    scheme = urlparse(uri).scheme.lower()
    return scheme in LOCAL_SCHEMES or len(scheme) == 1


def local_path(uri: str) -> str:
    """The absolute local path of a ``file:`` URI or plain path."""
    parsed = urlparse(uri)
    if parsed.scheme.lower() == "file":
        path = parsed.path
        if parsed.netloc and parsed.netloc != "localhost":
            path = f"//{parsed.netloc}{path}"
        return os.path.abspath(path)
    return os.path.abspath(uri)


#: characters a Hadoop glob (and so Spark's reader) gives a meaning to
HADOOP_GLOB_CHARS = frozenset("\\{}[]*?")


def hadoop_glob_escape(text: str) -> str:
    """``text`` as a Hadoop glob that matches exactly it (Spark globs every path it reads)."""
    return "".join(f"\\{c}" if c in HADOOP_GLOB_CHARS else c for c in text)


def join(base: str, *names: str) -> str:
    out = base.rstrip("/")
    for name in names:
        out = f"{out}/{name.strip('/')}"
    return out


def parent(uri: str) -> str:
    stripped = uri.rstrip("/")
    head, _, _ = stripped.rpartition("/")
    return head if head and not head.endswith(":/") else stripped[: len(head) + 1]


def basename(uri: str) -> str:
    return uri.rstrip("/").rpartition("/")[2]


@dataclass(frozen=True)
class FileInfo:
    path: str
    is_dir: bool
    size: int


class FileSystem(Protocol):
    """What the driver needs from a file system to stage, commit and inspect outputs."""

    def exists(self, path: str) -> bool: ...
    def is_dir(self, path: str) -> bool: ...
    def list_dir(self, path: str) -> list[FileInfo]: ...
    def mkdirs(self, path: str) -> None: ...
    def rename(self, src: str, dst: str) -> None: ...
    def delete(self, path: str) -> None: ...
    def write_bytes(self, path: str, data: bytes, *, overwrite: bool = False) -> None: ...
    def read_bytes(self, path: str) -> bytes: ...
    def create_exclusive(self, path: str, data: bytes = b"") -> bool: ...
    def concat(self, sources: Sequence[str], dest: str, *, prefix: bytes = b"") -> None: ...
    def replace_file(self, src: str, dst: str) -> None: ...
    def walk_files(self, path: str) -> list[FileInfo]: ...
    def glob(self, pattern: str) -> list[FileInfo]: ...


class LocalFileSystem:
    """Local paths and ``file:`` URIs, with POSIX rename semantics (atomic within a file system)."""

    def _p(self, path: str) -> str:
        return local_path(path)

    def exists(self, path: str) -> bool:
        return os.path.lexists(self._p(path))

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(self._p(path))

    def list_dir(self, path: str) -> list[FileInfo]:
        root = self._p(path)
        out = []
        with os.scandir(root) as entries:
            for entry in entries:
                is_dir = entry.is_dir(follow_symlinks=False)
                size = 0 if is_dir else entry.stat(follow_symlinks=False).st_size
                out.append(FileInfo(os.path.join(root, entry.name), is_dir, size))
        return sorted(out, key=lambda f: f.path)

    def walk_files(self, path: str) -> list[FileInfo]:
        root = self._p(path)
        if os.path.isfile(root):
            return [FileInfo(root, False, os.path.getsize(root))]
        out = []
        for dirpath, _, files in os.walk(root):
            for name in files:
                full = os.path.join(dirpath, name)
                out.append(FileInfo(full, False, os.path.getsize(full)))
        return sorted(out, key=lambda f: f.path)

    def glob(self, pattern: str) -> list[FileInfo]:
        import glob as globmod

        out = []
        for match in globmod.glob(self._p(pattern)):
            is_dir = os.path.isdir(match)
            out.append(FileInfo(match, is_dir, 0 if is_dir else os.path.getsize(match)))
        return sorted(out, key=lambda f: f.path)

    def mkdirs(self, path: str) -> None:
        os.makedirs(self._p(path), exist_ok=True)

    def rename(self, src: str, dst: str) -> None:
        target = self._p(dst)
        if os.path.lexists(target):
            raise FileExistsError(f"rename target exists: {target}")
        os.rename(self._p(src), target)

    def replace_file(self, src: str, dst: str) -> None:
        """Atomically replace a file (readers see the old bytes or the new, never a mix)."""
        os.replace(self._p(src), self._p(dst))

    def delete(self, path: str) -> None:
        target = self._p(path)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target, ignore_errors=True)
        elif os.path.lexists(target):
            os.unlink(target)

    def write_bytes(self, path: str, data: bytes, *, overwrite: bool = False) -> None:
        target = self._p(path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        mode = "wb" if overwrite else "xb"
        with open(target, mode) as handle:
            handle.write(data)

    def read_bytes(self, path: str) -> bytes:
        with open(self._p(path), "rb") as handle:
            return handle.read()

    def create_exclusive(self, path: str, data: bytes = b"") -> bool:
        target = self._p(path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return True

    def concat(self, sources: Sequence[str], dest: str, *, prefix: bytes = b"") -> None:
        with open(self._p(dest), "xb") as out:
            out.write(prefix)
            for source in sources:
                with open(self._p(source), "rb") as src:
                    shutil.copyfileobj(src, out, length=8 * 1024 * 1024)


class HadoopFileSystem:
    """Any Hadoop-compatible file system, driven through py4j in the Spark driver JVM.

    Byte copies run inside the JVM (``IOUtils.copyBytes``): no data crosses into Python.
    """

    def __init__(self, spark: SparkSession) -> None:
        jvm = spark.sparkContext._jvm
        assert jvm is not None, "an active SparkContext is needed for non-local paths"
        self._jvm: Any = jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()

    def _path(self, path: str) -> Any:
        return self._jvm.org.apache.hadoop.fs.Path(path)

    def _fs(self, path: str) -> Any:
        return self._path(path).getFileSystem(self._conf)

    def exists(self, path: str) -> bool:
        return bool(self._fs(path).exists(self._path(path)))

    def is_dir(self, path: str) -> bool:
        fs = self._fs(path)
        p = self._path(path)
        return bool(fs.exists(p) and fs.getFileStatus(p).isDirectory())

    def _info(self, status: Any) -> FileInfo:
        return FileInfo(
            status.getPath().toString(), bool(status.isDirectory()), int(status.getLen())
        )

    def list_dir(self, path: str) -> list[FileInfo]:
        return sorted(
            (self._info(s) for s in self._fs(path).listStatus(self._path(path))),
            key=lambda f: f.path,
        )

    def walk_files(self, path: str) -> list[FileInfo]:
        fs = self._fs(path)
        iterator = fs.listFiles(self._path(path), True)
        out = []
        while iterator.hasNext():
            out.append(self._info(iterator.next()))
        return sorted(out, key=lambda f: f.path)

    def glob(self, pattern: str) -> list[FileInfo]:
        statuses = self._fs(pattern).globStatus(self._path(pattern))
        return sorted((self._info(s) for s in statuses or []), key=lambda f: f.path)

    def mkdirs(self, path: str) -> None:
        self._fs(path).mkdirs(self._path(path))

    def rename(self, src: str, dst: str) -> None:
        fs = self._fs(src)
        if fs.exists(self._path(dst)):
            raise FileExistsError(f"rename target exists: {dst}")
        if not fs.rename(self._path(src), self._path(dst)):
            raise OSError(f"could not rename {src} to {dst}")

    def replace_file(self, src: str, dst: str) -> None:
        fs = self._fs(src)
        dst_path = self._path(dst)
        if fs.exists(dst_path):
            fs.delete(dst_path, False)
        if not fs.rename(self._path(src), dst_path):
            raise OSError(f"could not rename {src} to {dst}")

    def delete(self, path: str) -> None:
        fs = self._fs(path)
        p = self._path(path)
        if fs.exists(p):
            fs.delete(p, True)

    def write_bytes(self, path: str, data: bytes, *, overwrite: bool = False) -> None:
        out = self._fs(path).create(self._path(path), overwrite)
        try:
            out.write(bytearray(data))
        finally:
            out.close()

    def read_bytes(self, path: str) -> bytes:
        fs = self._fs(path)
        p = self._path(path)
        length = int(fs.getFileStatus(p).getLen())
        stream = fs.open(p)
        try:
            buffer = self._jvm.java.nio.ByteBuffer.allocate(length).array()
            stream.readFully(0, buffer)
            return bytes(buffer)
        finally:
            stream.close()

    def create_exclusive(self, path: str, data: bytes = b"") -> bool:
        fs = self._fs(path)
        p = self._path(path)
        if fs.exists(p):
            return False
        try:
            out = fs.create(p, False)
        except Exception:  # FileAlreadyExistsException raced us
            return False
        try:
            out.write(bytearray(data))
        finally:
            out.close()
        return True

    def concat(
        self, sources: Sequence[str], dest: str, *, prefix: bytes = b"", overwrite: bool = False
    ) -> None:
        """Write ``prefix`` and the sources' bytes, in order, to ``dest``. On S3A the object
        appears (or replaces the old one, ``overwrite=True``) only when the stream is closed:
        readers see the old object or the new one, never a part."""
        fs = self._fs(dest)
        out = fs.create(self._path(dest), overwrite)
        try:
            if prefix:
                out.write(bytearray(prefix))
            for source in sources:
                src_fs = self._fs(source)
                stream = src_fs.open(self._path(source))
                self._jvm.org.apache.hadoop.io.IOUtils.copyBytes(
                    stream, out, 8 * 1024 * 1024, False
                )
                stream.close()
        finally:
            out.close()


def filesystem_for(uri: str, spark: SparkSession | None = None) -> FileSystem:
    """The file system that serves ``uri``; non-local schemes need the Spark session."""
    if is_local(uri):
        return LocalFileSystem()
    if spark is None:
        raise ValueError(f"a Spark session is needed to reach {uri}")
    return HadoopFileSystem(spark)
