"""What a server is started with: one typed object, built by ``spark-jobs serve`` or a test.

Nothing here starts anything; :func:`spark_jobs.server.create_app` takes a :class:`ServerSettings`
and the app's lifespan starts the scheduler that submits drivers.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from spark_jobs.errors import UserError

#: the environment variable holding the API's bearer tokens, comma-separated
TOKENS_ENV = "SPARK_JOBS_API_TOKENS"
#: a JSON body larger than this is refused with 413 (a job group body is a few kilobytes)
DEFAULT_MAX_BODY_BYTES = 1 << 20
#: a flow package (a ZIP) larger than this is refused with 413
DEFAULT_MAX_PACKAGE_BYTES = 64 << 20


class ServerConfigError(UserError):
    """The server cannot start as configured (tokens, paths, flows); exit code 2."""

    code = "INVALID_SERVER_CONFIG"


@dataclass
class ServerSettings:
    """Everything the app needs; paths are made absolute by :meth:`resolved`."""

    job_store: Path
    flows_dir: Path
    connections: Path | None = None
    #: spark-submit's --master for the drivers (default: spark.master of the conf file, else local[*])
    master: str | None = None
    #: spark-defaults style file for the drivers (default: ./conf/spark-defaults.conf if present)
    spark_conf: Path | None = None
    #: --py-files for spark-submit (the zip of `make dist`); needed by any non-local master
    py_files: list[Path] = field(default_factory=list)
    #: roots that sources and outputs must lie under (local directories or URIs)
    allow_paths: list[str] = field(default_factory=list)
    max_concurrent: int = 2
    #: the drivers' CPU niceness (0-19, ``nice -n``): under load the API answers first, and a
    #: poll or a create never waits behind the data the drivers crunch (0: same as the server)
    driver_nice: int = 10
    #: how long a canceled driver has to record Canceled itself before it is killed
    cancel_grace_seconds: float = 30.0
    tokens: list[str] = field(default_factory=list)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_package_bytes: int = DEFAULT_MAX_PACKAGE_BYTES
    #: where drivers run (relative paths in specs are relative to it)
    workdir: Path = field(default_factory=Path.cwd)

    def resolved(self) -> ServerSettings:
        """A copy with absolute paths and checked values; raises ServerConfigError."""
        problems = []
        if not 0 <= self.driver_nice <= 19:
            problems.append(f"the drivers' niceness must be 0 to 19, not {self.driver_nice}")
        if self.max_concurrent < 1:
            problems.append(
                f"max concurrent job groups must be at least 1, not {self.max_concurrent}"
            )
        if not self.flows_dir.is_dir():
            problems.append(f"--flows {self.flows_dir}: not a directory")
        if self.connections is not None and not self.connections.is_file():
            problems.append(f"--connections {self.connections}: no such file")
        if self.spark_conf is not None and not self.spark_conf.is_file():
            problems.append(f"--spark-conf {self.spark_conf}: no such file")
        for path in self.py_files:
            if not path.is_file():
                problems.append(f"--py-files {path}: no such file (make dist builds it)")
        if problems:
            raise ServerConfigError(
                "cannot start the server:\n" + "\n".join(f"  - {p}" for p in problems)
            )
        workdir = self.workdir.absolute()
        return ServerSettings(
            job_store=self.job_store.absolute(),
            flows_dir=self.flows_dir.absolute(),
            connections=self.connections.absolute() if self.connections else None,
            master=self.master,
            spark_conf=self.spark_conf.absolute() if self.spark_conf else None,
            py_files=[p.absolute() for p in self.py_files],
            allow_paths=list(self.allow_paths) or [str(workdir)],
            max_concurrent=self.max_concurrent,
            driver_nice=self.driver_nice,
            cancel_grace_seconds=self.cancel_grace_seconds,
            tokens=list(self.tokens),
            max_body_bytes=self.max_body_bytes,
            max_package_bytes=self.max_package_bytes,
            workdir=workdir,
        )


def load_tokens(token_file: Path | None, environ: dict[str, str] | None = None) -> list[str]:
    """The API's bearer tokens: ``SPARK_JOBS_API_TOKENS`` (comma-separated) and the token file
    (one per line, ``#`` comments), both if both are given. Never logged."""
    env = os.environ if environ is None else environ
    tokens = [t.strip() for t in env.get(TOKENS_ENV, "").split(",") if t.strip()]
    if token_file is not None:
        try:
            text = token_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ServerConfigError(f"cannot read the token file {token_file}: {exc}") from None
        tokens += [
            line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
        ]
    short = [t for t in tokens if len(t) < 16]
    if short:
        raise ServerConfigError(
            f"{len(short)} API token(s) shorter than 16 characters: use long random tokens "
            "(for example `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    return tokens


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, tokens: list[str]) -> None:
    """Refuse to listen beyond loopback without tokens: anyone on the network could run jobs."""
    if not tokens and not is_loopback(host):
        raise ServerConfigError(
            f"refusing to listen on {host} without API tokens: anyone who reaches it could run "
            f"jobs as this user. Set {TOKENS_ENV} or --token-file, or listen on 127.0.0.1"
        )
