"""Find the files a dataset with parameters reads, without opening any of them.

The uri's fixed prefix (everything before the first open parameter, up to a ``/``) is where the
search starts; the rest becomes a glob with ``*`` where the parameters are (each matches inside
one directory level; a date format with ``/`` spans as many). One glob call per combination of
date formats (usually one) lists every candidate, on a local disk through Python, on any Hadoop
file system through ``globStatus`` in the driver JVM, which lists only the directories the glob
can reach. A regular expression then keeps the paths the parameters really match, and each date
is checked against the run's range. A match that is a directory stands for the files in it.

Names that start with ``.`` or ``_`` where a parameter matched (``_SUCCESS``, ``.crc`` files,
``_temporary``) are skipped, as Spark skips them when it reads a directory.
"""

from __future__ import annotations

import glob
import itertools
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

from spark_jobs.io.fs import (
    FileInfo,
    FileSystem,
    hadoop_glob_escape,
    is_local,
    local_path,
    normalize_uri,
)
from spark_jobs.spec.parameters import ParameterError
from spark_jobs.spec.resolve import SourceTemplate, Wild, WildForm

HIDDEN_PREFIXES = (".", "_")
#: combinations of date formats tried at most (each one is a glob call)
MAX_GLOBS = 64
_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/]*/")


@dataclass
class Matches:
    """The files found (sorted URIs Spark can be given once escaped) and the globs listed."""

    files: list[str] = field(default_factory=list)
    globs: list[str] = field(default_factory=list)


def match_files(template: SourceTemplate, fs: FileSystem) -> Matches:
    """Every file ``template`` matches on ``fs``. Raises ParameterError when the uri cannot be
    searched (a parameter in the scheme or host part, too many date formats)."""
    local = is_local(template.uri)
    exact = template.exact
    if exact is not None:
        return _exact(exact, fs, local)
    first = template.parts[0] if isinstance(template.parts[0], str) else ""
    cut = first.rfind("/")
    base_text = first[: cut + 1]
    rest: list[str | Wild] = list(template.parts[1:] if first else template.parts)
    if first[cut + 1 :]:
        rest.insert(0, first[cut + 1 :])
    if isinstance(rest[-1], str):
        rest[-1] = rest[-1].rstrip("/")
        if not rest[-1]:
            rest.pop()

    if local:
        base = local_path(base_text) if base_text else os.getcwd()
        root = glob.escape(base.rstrip("/"))
        escape: Callable[[str], str] = glob.escape
        relative = _local_relative(base)
        to_uri: Callable[[str], str] = _local_uri
    else:
        if not _AUTHORITY.match(base_text):
            raise ParameterError(
                "a pattern or date parameter cannot be in the scheme or host (bucket) part of "
                f"{template.uri!r}; use a variable there"
            )
        base = normalize_uri(base_text)
        root = hadoop_glob_escape(base.rstrip("/"))
        escape = hadoop_glob_escape
        relative = _remote_relative(base)
        to_uri = str

    wilds = list(dict.fromkeys(p for p in rest if isinstance(p, Wild)))
    combinations = list(itertools.product(*(w.forms for w in wilds)))
    if len(combinations) > MAX_GLOBS:
        raise ParameterError(
            f"{template.uri!r}: {len(combinations)} combinations of date formats; "
            f"at most {MAX_GLOBS} are searched"
        )
    found = Matches()
    files: dict[str, None] = {}
    for combination in combinations:
        chosen = dict(zip((w.name for w in wilds), combination, strict=True))
        pattern, regex, groups, wild_levels = _glob_and_regex(rest, chosen, escape)
        found.globs.append(f"{root}/{pattern}")
        for info in fs.glob(f"{root}/{pattern}"):
            rel = relative(info.path)
            if rel is None or _hidden(rel, wild_levels):
                continue
            match = regex.fullmatch(rel)
            if match is None or not _accepted(match, groups, chosen):
                continue
            if info.is_dir:
                for inner in _files_under(fs, info.path, local):
                    files[to_uri(inner)] = None
            else:
                files[to_uri(info.path)] = None
    found.files = sorted(files)
    return found


def _glob_and_regex(
    rest: Sequence[str | Wild], chosen: dict[str, WildForm], escape: Callable[[str], str]
) -> tuple[str, re.Pattern[str], dict[str, str], list[bool]]:
    """The glob of the path after the fixed prefix, its regex with one group per parameter
    (group -> parameter name) and, per directory level, whether a parameter takes part in it."""
    glob_text: list[str] = []
    regex: list[str] = []
    groups: dict[str, str] = {}
    group_of: dict[str, str] = {}
    for part in rest:
        if isinstance(part, str):
            glob_text.append(escape(part))
            regex.append(re.escape(part))
            continue
        form = chosen[part.name]
        for piece in form.glob:
            glob_text.append("*" if piece is None else escape(piece))
        if part.name in group_of:
            regex.append(f"(?P={group_of[part.name]})")
        else:
            group = f"__w{len(groups)}"
            group_of[part.name] = group
            groups[group] = part.name
            regex.append(f"(?P<{group}>{form.regex})")
    pattern = re.sub(r"\*+", "*", "".join(glob_text))
    wild_levels = ["*" in level for level in pattern.split("/")]
    return pattern, re.compile("".join(regex)), groups, wild_levels


def _accepted(match: re.Match[str], groups: dict[str, str], chosen: dict[str, WildForm]) -> bool:
    """Whether every date the path holds is in the run's range."""
    return all(chosen[name].accepts(match.group(group)) for group, name in groups.items())


def _hidden(rel: str, wild_levels: Sequence[bool]) -> bool:
    for level, name in enumerate(rel.split("/")):
        wild = wild_levels[level] if level < len(wild_levels) else True
        if wild and name.startswith(HIDDEN_PREFIXES):
            return True
    return False


def _files_under(fs: FileSystem, directory: str, local: bool) -> list[str]:
    prefix = (local_path(directory) if local else directory).rstrip("/") + "/"
    out = []
    for info in fs.walk_files(directory):
        inner = info.path[len(prefix) :] if info.path.startswith(prefix) else info.path
        if not any(n.startswith(HIDDEN_PREFIXES) for n in inner.split("/")):
            out.append(info.path)
    return out


def _exact(path: str, fs: FileSystem, local: bool) -> Matches:
    uri = normalize_uri(path) if not local else local_path(path)
    found = Matches(globs=[path])
    if not fs.exists(uri):
        return found
    if fs.is_dir(uri):
        files = _files_under(fs, uri, local)
    else:
        files = [uri]
    found.files = sorted(_local_uri(f) if local else f for f in files)
    return found


def _local_uri(path: str) -> str:
    """``file://`` and the absolute path as it is (no percent-encoding: Hadoop reads it so)."""
    return "file://" + os.path.abspath(path)


def _local_relative(base: str) -> Callable[[str], str | None]:
    prefix = base.rstrip("/") + "/"

    def relative(path: str) -> str | None:
        return path[len(prefix) :] if path.startswith(prefix) else None

    return relative


def _remote_relative(base: str) -> Callable[[str], str | None]:
    prefix = urlparse(base).path.rstrip("/") + "/"

    def relative(path: str) -> str | None:
        found = urlparse(path).path
        return found[len(prefix) :] if found.startswith(prefix) else None

    return relative


def spark_paths(files: Sequence[str]) -> list[str]:
    """Matched files as paths Spark reads as they are (it globs every path it is given)."""
    return [hadoop_glob_escape(f) for f in files]


__all__ = ["FileInfo", "Matches", "match_files", "spark_paths"]
