"""The test servers themselves: a real PostgreSQL started from the machine's binaries (and a
clear failure when they are missing), moto's S3 reached over HTTP."""

from __future__ import annotations

import pytest

from tests.fixtures import postgres
from tests.fixtures.postgres import PostgresServer, start_postgres
from tests.fixtures.s3 import MotoS3


@pytest.mark.integration
def test_postgres_is_a_real_server_on_loopback(postgres_server: PostgresServer) -> None:
    conn = postgres_server.connect(tcp=True)
    try:
        [[version, user, address]] = conn.run(
            "select current_setting('server_version_num')::int, current_user, inet_server_addr()::text"
        )
    finally:
        conn.close()
    assert version >= 150000
    assert user == postgres_server.user
    assert address == "127.0.0.1/32"


def test_missing_postgres_binaries_fail_with_the_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(postgres, "DEBIAN_BIN_GLOB", "/nonexistent-sj/*/bin")
    monkeypatch.setenv("PATH", "/nonexistent-sj")
    with pytest.raises(pytest.fail.Exception, match="Install Debian's postgresql package"):
        start_postgres()


@pytest.mark.integration
def test_s3_is_moto_over_http(s3_server: MotoS3, s3_bucket: str) -> None:
    assert s3_server.endpoint_url.startswith("http://127.0.0.1:")
    client = s3_server.client()
    client.put_object(Bucket=s3_bucket, Key="k/a.txt", Body=b"x")
    assert client.get_object(Bucket=s3_bucket, Key="k/a.txt")["Body"].read() == b"x"
    assert s3_server.keys(s3_bucket, "k/") == ["k/a.txt"]
