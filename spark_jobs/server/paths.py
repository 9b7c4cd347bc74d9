"""Where an API caller may read and write: only under the roots given with ``--allow-path``.

A caller must not make the server's user read or overwrite anything it can reach. Every source
(after its parameters are filled in) and every output path of a job group is checked before the
job group is accepted. Local paths are compared after symlinks and ``..`` are resolved; URIs
(``s3a://bucket/prefix``, ``hdfs://nn/dir``) by scheme, authority and path. ``..`` anywhere in a
path, also inside a Hadoop glob (``{a,..}``), is refused outright: Spark expands globs later.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

#: the spellings of S3 that Spark reads through the s3a connector
_SCHEME_ALIASES = {"s3": "s3a", "s3n": "s3a"}
_PARENT_SEGMENT = re.compile(r"(^|[/{},])\.\.($|[/{},])")


@dataclass(frozen=True)
class Root:
    scheme: str  # "" for local paths
    authority: str
    path: str

    def __str__(self) -> str:
        if not self.scheme:
            return self.path
        return f"{self.scheme}://{self.authority}{self.path}"

    def contains(self, other: Root) -> bool:
        if (self.scheme, self.authority) != (other.scheme, other.authority):
            return False
        base = self.path.rstrip("/")
        return other.path == base or other.path.startswith(base + "/") or base == ""


def parse_location(text: str, workdir: str) -> Root:
    """A path or URI as a :class:`Root` (local paths absolute, symlinks resolved)."""
    parsed = urlparse(text)
    scheme = parsed.scheme.lower()
    if len(scheme) <= 1 or scheme == "file":
        path = parsed.path if scheme == "file" else text
        if not os.path.isabs(path):
            path = os.path.join(workdir, path)
        return Root("", "", os.path.realpath(path))
    scheme = _SCHEME_ALIASES.get(scheme, scheme)
    path = posixpath.normpath(parsed.path or "/")
    return Root(scheme, parsed.netloc.lower(), "" if path == "/" else path)


class PathPolicy:
    """The allowed roots and the check of one location against them."""

    def __init__(self, roots: Iterable[str], workdir: str) -> None:
        self.workdir = workdir
        self.roots = [parse_location(r, workdir) for r in roots]

    def describe(self) -> str:
        return ", ".join(str(r) for r in self.roots)

    def problem(self, location: str) -> str | None:
        """Why ``location`` may not be used, or None when it lies under an allowed root."""
        if _PARENT_SEGMENT.search(location):
            return f"{location!r} contains '..': name the path without it"
        target = parse_location(location, self.workdir)
        if any(root.contains(target) for root in self.roots):
            return None
        return f"{location!r} is outside the paths this server allows ({self.describe()})"
