"""Dump the class-data-sharing archive of the installed Spark line (``make jars``).

    python scripts/cds_archive.py .jars/spark-4.0.jsa

Why: a JVM that maps the archive finds the classes of Spark, Hadoop and Scala already parsed
and verified; every local session (``spark-jobs run``, the server's drivers, the tests) starts
about 2.5 s sooner and runs its first job about 2 s sooner on this machine (bench/results.md,
"Class data sharing"). ``spark_jobs.session.cds_archive`` finds it.

How: a child process runs the example job group (examples/jobs/orders.json without its
profile and its Avro output: a CSV read, recipes, a sort, CSV, Parquet and JSON writes) in a
local session whose JVM has ``-XX:ArchiveClassesAtExit``, stops the session and waits for the
JVM to exit: the JVM writes the archive of every class it loaded as it exits. The archive is
written beside the target and renamed into place, so a stopped set-up leaves no half archive.
The session has no JVM extra on its class path: a job's extras go after Spark's jars
(``session.LocalLaunch``), and the archive maps whatever extras a job adds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "examples" / "jobs" / "orders.json"


def dump(partial: Path) -> None:
    """In the child: run the job in a session that dumps its classes to ``partial`` on exit."""
    from py4j.protocol import Py4JError

    from spark_jobs.runner.app import run_command
    from spark_jobs.session import LocalSessionSettings, build_local_session, local_session_conf

    settings = LocalSessionSettings(app_name="spark-jobs cds archive", jars=[], extras={})
    options = local_session_conf(settings)["spark.driver.extraJavaOptions"]
    settings.extra_conf = {
        "spark.driver.extraJavaOptions": f"{options} -XX:ArchiveClassesAtExit={partial}",
        "spark.ui.enabled": "false",
    }
    spark = build_local_session(settings)
    jvm = spark.sparkContext._gateway.proc  # type: ignore[union-attr]
    spec = json.loads(SPEC.read_text())
    overrides = spec["jobGroup"]["overrides"]
    overrides["profiler"] = False
    overrides["writeSettings"] = [w for w in overrides["writeSettings"] if w["format"] != "avro"]
    source = spec["flow"]["importedDatasets"][0]
    source["uri"] = str(REPO / source["uri"])
    with tempfile.TemporaryDirectory(prefix="spark-jobs-cds-") as work:
        os.chdir(work)
        Path("job.json").write_text(json.dumps(spec))
        code = run_command(
            "job.json",
            session=lambda extras: spark,
            job_store="store",
            result_file="result.json",
            progress=False,
        )
        if code != 0:
            raise SystemExit(f"the archive's job failed (exit {code}): {work}/result.json")
        spark.stop()
        try:  # the JVM exits (and writes the archive); py4j loses its connection meanwhile
            spark.sparkContext._jvm.System.exit(0)  # type: ignore[union-attr]
        except (Py4JError, ConnectionError):
            pass
        jvm.wait(timeout=600)


def main(target: Path) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    env = {**os.environ, "SPARK_JOBS_CDS_ARCHIVE": "none", "PYTHONPATH": str(REPO)}
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    done = subprocess.run(
        [sys.executable, __file__, "--dump", str(partial)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if done.returncode != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        print(f"cds_archive: no archive dumped:\n{done.stderr[-3000:]}", file=sys.stderr)
        return 1
    partial.replace(target)
    print(f"cds_archive: {target} ({target.stat().st_size / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--dump"]:
        dump(Path(sys.argv[2]))
    else:
        sys.exit(main(Path(sys.argv[1])))
