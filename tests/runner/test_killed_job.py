"""A job killed while it writes leaves old results exactly as they were and no partial files.

These run the real console script in a subprocess (its own driver and JVM) and kill it as soon as
its first output's staging directory appears, while Spark is still writing.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _digest(path: Path) -> dict[str, str]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {
        str(p.relative_to(path.parent)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "events.csv"
    with path.open("w") as out:
        out.write("id,name,value,category\n")
        for i in range(400_000):
            out.write(f"{i},name number {i},{i * 0.5},cat{i % 97}\n")
    return path


def _start(
    tmp_path: Path, source: Path, outputs: list[dict[str, object]]
) -> subprocess.Popen[bytes]:
    spec = {
        "jobGroup": {"wrangledDataset": {"id": 2}, "overrides": {"writeSettings": outputs}},
        "flow": {
            "importedDatasets": [
                {
                    "id": 1,
                    "name": "events",
                    "uri": str(source),
                    "format": "csv",
                    "options": {"header": True},
                }
            ],
            "wrangledDatasets": [
                {"id": 2, "name": "events_out", "input": {"importedDataset": {"id": 1}}}
            ],
        },
    }
    spec_path = tmp_path / "job.json"
    spec_path.write_text(json.dumps(spec))
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spark_jobs.cli",
            "run",
            str(spec_path),
            "--job-store",
            str(tmp_path / "store"),
            "--master",
            "local[2]",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_staging(folder: Path, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    staging = folder / ".spark_jobs_staging"
    while time.monotonic() < deadline:
        if staging.exists() and any(staging.iterdir()):
            return
        if proc.poll() is not None:
            raise AssertionError(
                f"job ended before it was killed: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        time.sleep(0.01)
    proc.kill()
    raise AssertionError("the job never started writing")


def _outputs(folder: Path) -> list[dict[str, object]]:
    return [
        {
            "path": str(folder / "events.csv.bz2"),
            "action": "overwrite",
            "format": "csv",
            "compression": "bzip2",
            "asSingleFile": True,
            "header": True,
        },
        {
            "path": str(folder / "events_json.bz2"),
            "action": "append",
            "format": "json",
            "compression": "bzip2",
        },
        {"path": str(folder / "events_pqt"), "action": "overwrite", "format": "pqt"},
        {
            "path": str(folder / "events_more.csv.bz2"),
            "action": "create",
            "format": "csv",
            "compression": "bzip2",
        },
    ]


def _seed_old_results(folder: Path) -> dict[str, str]:
    folder.mkdir()
    (folder / "events.csv.bz2").write_bytes(b"old single file")
    (folder / "events_json.bz2").mkdir()
    (folder / "events_json.bz2" / "part-00000-old.json.bz2").write_bytes(b"old part")
    (folder / "events_pqt").mkdir()
    (folder / "events_pqt" / "part-00000-old.parquet").write_bytes(b"old parquet")
    digests: dict[str, str] = {}
    for name in ("events.csv.bz2", "events_json.bz2", "events_pqt"):
        digests.update(_digest(folder / name))
    return digests


def _assert_untouched(folder: Path, before: dict[str, str]) -> None:
    # a watchdog removes what the dying driver's tasks may still have been writing
    deadline = time.monotonic() + 30
    while (folder / ".spark_jobs_staging").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    after: dict[str, str] = {}
    for name in ("events.csv.bz2", "events_json.bz2", "events_pqt"):
        after.update(_digest(folder / name))
    assert after == before
    assert sorted(p.name for p in folder.iterdir()) == [
        "events.csv.bz2",
        "events_json.bz2",
        "events_pqt",
    ]


@pytest.mark.slow
def test_sigkill_during_write_leaves_old_results_and_no_partial_files(
    tmp_path: Path, big_csv: Path
) -> None:
    folder = tmp_path / "results"
    before = _seed_old_results(folder)
    proc = _start(tmp_path, big_csv, _outputs(folder))
    _wait_for_staging(folder, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    _assert_untouched(folder, before)


@pytest.mark.slow
def test_sigterm_during_write_cancels_cleanly(tmp_path: Path, big_csv: Path) -> None:
    folder = tmp_path / "results"
    before = _seed_old_results(folder)
    proc = _start(tmp_path, big_csv, _outputs(folder))
    _wait_for_staging(folder, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err.decode()
    _assert_untouched(folder, before)
    results = list((tmp_path / "store" / "jobGroups").glob("*/result.json"))
    result = json.loads(results[0].read_text())
    assert result["status"] == "Canceled"
    assert {j["status"] for j in result["jobs"]} == {"Canceled"}
    assert result["errors"][0]["code"] == "JOB_CANCELED"
    assert b"Traceback" not in err
