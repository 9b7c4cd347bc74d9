"""Import rules: how a package's locations and connections become this installation's.

As the platform's own import rules, a rules file is a JSON list, applied in order::

    [{"type": "fileLocation", "on": "/^gs:\\/\\/my-bucket\\/(.*)$/", "with": "file:///data/$1"},
     {"type": "fileLocation", "on": "customer_small.csv", "with": "customer_small.txt"},
     {"type": "connection", "on": "Azure SQL Database", "with": {"uri": "jdbc:sqlserver://...",
      "user": "etl", "passwordEnv": "SQL_PASSWORD"}},
     {"type": "connection", "on": 24, "with": {"id": 2}}]

* ``fileLocation``: ``on`` is a ``/regular expression/`` (flags after the last slash: ``i``) or a
  text; every match in a datasource's or output's location is replaced by ``with`` (``$1`` ...
  name a regular expression's groups).
* ``connection``: ``on`` names a package connection by its name, id, uuid or a ``/regular
  expression/`` over its name; ``with`` says what it is here: ``{"id": n}`` the connection of
  ``conf/connections.json`` publications go through, ``{"uri": "jdbc:..."}`` (plus ``user``,
  ``passwordEnv``) or ``{"uri": "catalog:"}`` where relational datasources are read.

A rule that matches nothing in the package is an error: it was meant for something.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spark_jobs.errors import FlowImportError
from spark_jobs.importer.package import Connection


@dataclass
class LocationRule:
    index: int
    on: str
    replacement: str
    regex: re.Pattern[str] | None
    used: int = 0

    def apply(self, location: str) -> str:
        if self.regex is not None:
            new, count = self.regex.subn(self.replacement, location)
        else:
            count = location.count(self.on)
            new = location.replace(self.on, self.replacement)
        if count:
            self.used += count
        return new


@dataclass
class ConnectionRule:
    index: int
    on: Any
    target: Mapping[str, Any]
    regex: re.Pattern[str] | None = None
    used: int = 0

    def matches(self, connection: Connection) -> bool:
        if self.regex is not None:
            return bool(self.regex.search(connection.name))
        if isinstance(self.on, int) and not isinstance(self.on, bool):
            return connection.id == self.on
        return self.on in (connection.name, connection.uuid)


@dataclass
class Rules:
    locations: list[LocationRule] = field(default_factory=list)
    connections: list[ConnectionRule] = field(default_factory=list)

    def location(self, uri: str) -> str:
        for rule in self.locations:
            uri = rule.apply(uri)
        return uri

    def connection(self, connection: Connection | None) -> Mapping[str, Any] | None:
        """What a package connection is here (the first rule naming it), or None."""
        if connection is None:
            return None
        for rule in self.connections:
            if rule.matches(connection):
                rule.used += 1
                return rule.target
        return None

    def check_all_used(self) -> None:
        unused = [r for r in self.locations if not r.used] + [
            r for r in self.connections if not r.used
        ]
        if unused:
            rule = min(unused, key=lambda r: r.index)
            kind = "fileLocation" if isinstance(rule, LocationRule) else "connection"
            raise FlowImportError(
                f"import rule {rule.index} ({kind}, on: {json.dumps(rule.on)}) matches nothing in the package"
            )


_JS_GROUP = re.compile(r"\$(\d+)|\$&")


def _regex(text: str, where: str) -> re.Pattern[str] | None:
    """``/body/flags`` as a compiled regular expression; plain text gives None."""
    if len(text) >= 2 and text.startswith("/") and text.rfind("/") > 0:
        end = text.rfind("/")
        body, flags = text[1:end], text[end + 1 :]
        if any(f not in "gim" for f in flags):
            raise FlowImportError(
                f"{where}: unknown regular expression flag in {text!r} (known: g, i, m)"
            )
        options = (re.IGNORECASE if "i" in flags else 0) | (re.MULTILINE if "m" in flags else 0)
        try:
            return re.compile(body, options)
        except re.error as exc:
            raise FlowImportError(f"{where}: bad regular expression {text!r}: {exc}") from None
    return None


def _replacement(text: str, regex: re.Pattern[str] | None) -> str:
    if regex is None:
        return text
    escaped = text.replace("\\", "\\\\")
    return _JS_GROUP.sub(lambda m: f"\\g<{m.group(1)}>" if m.group(1) else "\\g<0>", escaped)


def parse_rules(document: Any, *, label: str = "rules") -> Rules:
    """Rules from a parsed JSON document (a list of rule objects)."""
    if not isinstance(document, Sequence) or isinstance(document, str | bytes):
        raise FlowImportError(f"{label}: import rules are a JSON list of rule objects")
    rules = Rules()
    for index, raw in enumerate(document):
        where = f"{label}[{index}]"
        if not isinstance(raw, Mapping):
            raise FlowImportError(f"{where}: a rule is an object with type, on and with")
        kind, on, target = raw.get("type"), raw.get("on"), raw.get("with")
        extra = sorted(set(raw) - {"type", "on", "with"})
        if extra:
            raise FlowImportError(
                f"{where}: unknown key {extra[0]!r} (a rule has type, on and with)"
            )
        if kind == "fileLocation":
            if not isinstance(on, str) or not on or not isinstance(target, str):
                raise FlowImportError(
                    f"{where}: a fileLocation rule's on and with are texts (on not empty)"
                )
            regex = _regex(on, where)
            rules.locations.append(LocationRule(index, on, _replacement(target, regex), regex))
        elif kind == "connection":
            if not isinstance(on, str | int) or isinstance(on, bool) or on == "":
                raise FlowImportError(
                    f"{where}: a connection rule's on is a connection name, id, uuid or /regex/"
                )
            if not isinstance(target, Mapping) or not ({"id", "uri"} & set(target)):
                raise FlowImportError(
                    f"{where}: a connection rule's with is an object with id (a connection of "
                    "conf/connections.json) and/or uri (jdbc:... or catalog:)"
                )
            unknown = sorted(set(target) - {"id", "uri", "user", "passwordEnv"})
            if unknown:
                raise FlowImportError(
                    f"{where}: unknown key {unknown[0]!r} in with (known: id, uri, user, passwordEnv)"
                )
            if "password" in {str(k).lower() for k in target}:  # pragma: no cover - caught above
                raise FlowImportError(f"{where}: give passwordEnv, never a password")
            rules.connections.append(
                ConnectionRule(
                    index, on, dict(target), _regex(on, where) if isinstance(on, str) else None
                )
            )
        else:
            raise FlowImportError(
                f"{where}: unknown rule type {kind!r} (known: fileLocation, connection)"
            )
    return rules


def load_rules(source: str | Path | Any | None) -> Rules:
    """Rules from a file path, an already parsed document, or none."""
    if source is None:
        return Rules()
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise FlowImportError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FlowImportError(
                f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
        return parse_rules(document, label=str(path))
    return parse_rules(source)
