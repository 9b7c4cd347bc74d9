"""A Redshift wire double for tests: a PostgreSQL wire-protocol proxy in front of a real
PostgreSQL server that speaks to Redshift's own driver (``redshift_connector``) and runs
Redshift's ``COPY ... FROM 's3://...'`` against an S3 endpoint (moto's server).

See README.md beside this file for exactly which COPY options and Redshift behaviours it
implements. Start it with :func:`start_double` (the ``redshift_double`` fixture does)::

    double = start_double(postgres_server, s3_endpoint_url, region="us-east-1",
                          attached_roles={"arn:aws:iam::123456789012:role/copy"})
    conn = redshift_connector.connect(**double.connect_kwargs(), ssl=False)
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pg8000.native

from .catalog import SCHEMA, SystemTables, install
from .proxy import BackendAddress, ProxyServer, StartupRecord
from .s3source import S3Settings

__all__ = ["SCHEMA", "RedshiftDouble", "StartupRecord", "start_double"]


@dataclass
class RedshiftDouble:
    """A running double: the address clients connect to, and the admin side for assertions."""

    host: str
    port: int
    database: str
    user: str
    password: str = field(repr=False)
    region: str
    attached_roles: frozenset[str]
    _proxy: ProxyServer = field(repr=False)
    _admin: Any = field(repr=False)  # pg8000 connection factory of the PostgreSQL server

    @property
    def startups(self) -> list[StartupRecord]:
        """Every client's start-up parameters and what the proxy removed from them."""
        return self._proxy.startups

    def connect_kwargs(self) -> dict[str, Any]:
        """Arguments for ``redshift_connector.connect`` (add ``ssl=False``)."""
        return {
            "host": self.host,
            "port": self.port,
            "database": self.database,
            "user": self.user,
            "password": self.password,
        }

    def admin(self) -> pg8000.native.Connection:
        """A direct PostgreSQL connection to the double's database (bypasses the proxy)."""
        return self._admin(self.database)

    def stop(self) -> None:
        self._proxy.stop()
        self._proxy.system.close()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def start_double(
    postgres: Any,
    s3_endpoint_url: str,
    *,
    database: str = "dev",
    region: str = "us-east-1",
    attached_roles: Iterable[str] = (),
    host: str = "127.0.0.1",
    user: str = "awsuser",
) -> RedshiftDouble:
    """Create ``database`` on the PostgreSQL server, install Redshift's system objects in it and
    start the proxy on a free port of ``host``.

    ``postgres`` is a ``tests.fixtures.postgres.PostgresServer`` (anything with
    ``connect(database)``, ``host`` and ``port``). Clients log in as ``user`` (a superuser, as
    a cluster's admin user is) with a new random password.
    """
    admin = postgres.connect()
    try:
        exists = admin.run("SELECT 1 FROM pg_database WHERE datname = :d", d=database)
        if not exists:
            admin.run(f'CREATE DATABASE "{database}"')
    finally:
        admin.close()
    setup = postgres.connect(database)
    try:
        install(setup, database)
        password = secrets.token_urlsafe(18)
        # Redshift authenticates passwords with MD5 (redshift_connector has no working SCRAM
        # against PostgreSQL), so the double's user has an MD5-stored password
        setup.run("SET password_encryption = 'md5'")
        if setup.run("SELECT 1 FROM pg_roles WHERE rolname = :u", u=user):
            setup.run(f"ALTER ROLE {user} WITH LOGIN SUPERUSER PASSWORD {_literal(password)}")
        else:
            setup.run(f"CREATE ROLE {user} WITH LOGIN SUPERUSER PASSWORD {_literal(password)}")
    finally:
        setup.close()
    roles = frozenset(attached_roles)
    proxy = ProxyServer(
        BackendAddress(postgres.host, postgres.port),
        SystemTables(postgres.connect(database)),
        S3Settings(endpoint_url=s3_endpoint_url, region=region, attached_roles=roles),
        host,
    )
    proxy.start()
    return RedshiftDouble(
        host=host,
        port=proxy.port,
        database=database,
        user=user,
        password=password,
        region=region,
        attached_roles=roles,
        _proxy=proxy,
        _admin=postgres.connect,
    )
