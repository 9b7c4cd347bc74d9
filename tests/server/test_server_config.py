"""What `spark-jobs serve` refuses before it listens, and the rules behind its checks.

Through ``spark_jobs.cli.main`` as a user runs it: every refusal is exit 2 with one clear
message on stderr, and no server starts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from spark_jobs.cli import main
from spark_jobs.server.auth import TokenCheck
from spark_jobs.server.errors import Unauthorized
from spark_jobs.server.paths import PathPolicy
from tests.fixtures.server import FLOWS

TOKEN = "a-long-enough-test-token-0123456789"


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    folder = tmp_path / "flows"
    folder.mkdir()
    (tmp_path / "data").mkdir()
    for name, flow in FLOWS.items():
        (folder / name).write_text(json.dumps(flow))
    return folder


def serve(tmp_path: Path, *args: str) -> list[str]:
    return ["serve", "--job-store", str(tmp_path / "store"), "--port", "1", *args]


def refused(capsys: pytest.CaptureFixture[str], argv: list[str], *fragments: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err
    return err


def test_no_tokens_beyond_loopback(
    tmp_path: Path, flows: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPARK_JOBS_API_TOKENS", raising=False)
    for host in ("0.0.0.0", "192.0.2.10", "::"):
        refused(
            capsys,
            serve(tmp_path, "--flows", str(flows), "--host", host),
            f"refusing to listen on {host} without API tokens",
            "SPARK_JOBS_API_TOKENS or --token-file",
        )


def test_tokens_must_be_long(
    tmp_path: Path, flows: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPARK_JOBS_API_TOKENS", "short")
    err = refused(capsys, serve(tmp_path, "--flows", str(flows)), "shorter than 16 characters")
    assert "short" not in err.replace("shorter", "")  # the token itself is never printed
    monkeypatch.delenv("SPARK_JOBS_API_TOKENS")
    token_file = tmp_path / "tokens"
    token_file.write_text("# API tokens\nabc\n")
    refused(
        capsys,
        serve(tmp_path, "--flows", str(flows), "--token-file", str(token_file)),
        "1 API token(s)",
    )
    refused(
        capsys,
        serve(tmp_path, "--flows", str(flows), "--token-file", str(tmp_path / "none")),
        "cannot read the token file",
    )


def test_bad_flow_files_stop_the_start_with_every_problem(
    tmp_path: Path, flows: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (flows / "binary.json").write_bytes(bytes(range(256)))
    duplicate = dict(FLOWS["20.json"], id=30)
    (flows / "copy.json").write_text(json.dumps(duplicate))
    bad = {
        "importedDatasets": [],
        "wrangledDatasets": [
            {"id": 40, "name": "x", "input": {"importedDataset": {"id": 9}}, "recipe": "nope"}
        ],
    }
    (flows / "bad.json").write_text(json.dumps(bad))
    err = refused(capsys, serve(tmp_path, "--flows", str(flows)))
    assert "binary.json: $: the flow file binary.json is not JSON text" in err
    assert (
        "bad.json: $.wrangledDatasets[0].input.importedDataset.id: no imported dataset with id 9"
        in err
    )
    assert "bad.json: $.wrangledDatasets[0].recipe" in err
    (flows / "binary.json").unlink()
    (flows / "bad.json").unlink()
    err = refused(capsys, serve(tmp_path, "--flows", str(flows)))
    assert "wrangled dataset id 22 is also in" in err
    assert "imported dataset id 21 is also in" in err


def test_missing_folders_files_and_a_cluster_without_py_files(
    tmp_path: Path, flows: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused(
        capsys, serve(tmp_path, "--flows", str(tmp_path / "nowhere")), "--flows", "not a directory"
    )
    refused(
        capsys,
        serve(tmp_path, "--flows", str(flows), "--connections", str(tmp_path / "none.json")),
        "--connections",
        "no such file",
    )
    refused(
        capsys,
        serve(tmp_path, "--flows", str(flows), "--master", "spark://127.0.0.1:7077"),
        "give --py-files dist/spark_jobs.zip",
    )


def test_the_drivers_niceness_is_a_nice_value(
    tmp_path: Path, flows: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for value in ("20", "-1"):
        refused(
            capsys,
            serve(tmp_path, "--flows", str(flows), "--driver-nice", value),
            f"the drivers' niceness must be 0 to 19, not {value}",
        )


def test_tokens_are_checked_whole(tmp_path: Path) -> None:
    check = TokenCheck([TOKEN, "another-long-token-abcdefghijkl"])
    check.check(f"Bearer {TOKEN}")
    check.check("bearer another-long-token-abcdefghijkl")
    for header in (
        None,
        "",
        TOKEN,
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        "Bearer ",
        f"Token {TOKEN}",
    ):
        with pytest.raises(Unauthorized):
            check.check(header)
    TokenCheck([]).check(None)  # no tokens (loopback only): nothing to check


def test_path_roots(tmp_path: Path) -> None:
    root = tmp_path / "allowed"
    (root / "data").mkdir(parents=True)
    outside = tmp_path / "secret"
    outside.mkdir()
    os.symlink(outside, root / "link")
    policy = PathPolicy([str(root), "s3a://bucket/prefix", "hdfs://nn:8020/data"], str(root))
    allowed = [
        str(root / "data" / "x.csv"),
        "data/x.csv",
        f"file://{root}/data/*.csv",
        "s3://bucket/prefix/a/b.csv",
        "s3a://bucket/prefix",
        "hdfs://nn:8020/data/part",
    ]
    for location in allowed:
        assert policy.problem(location) is None, location
    refused_paths = [
        str(outside / "x.csv"),
        str(root / "link" / "x.csv"),  # a symlink out of the root
        "../secret/x.csv",
        "data/../../secret/x.csv",
        "data/{a,..}/x.csv",
        "s3a://bucket/prefixed/x.csv",
        "s3a://other/prefix/x.csv",
        "hdfs://nn:8020/datab",
        "/etc/passwd",
    ]
    for location in refused_paths:
        assert policy.problem(location) is not None, location
    assert "contains '..'" in (policy.problem("data/../x.csv") or "")


def test_one_server_per_job_store(
    tmp_path: Path, flows: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from spark_jobs.server.main import hold_job_store

    held = hold_job_store(tmp_path / "store")  # as a running server holds it
    try:
        refused(
            capsys,
            serve(tmp_path, "--flows", str(flows)),
            f"the job store {tmp_path / 'store'} is in use by another spark-jobs serve (pid {os.getpid()})",
        )
    finally:
        held.close()


def test_a_driver_is_known_by_its_pid_and_start_time() -> None:
    import subprocess

    from spark_jobs.server.drivers import is_alive, process_start_ticks

    ticks = process_start_ticks(os.getpid())
    assert ticks is not None
    assert is_alive(os.getpid(), ticks)
    assert not is_alive(os.getpid(), ticks + 1)  # the same number, another process
    ended = subprocess.Popen(["true"])
    ended.wait()
    assert not is_alive(ended.pid, None)
