"""A standalone Spark cluster on loopback, started from the pyspark install, and the --py-files zip.

    python scripts/cluster.py zip dist/spark_jobs.zip          # the package, for --py-files
    python scripts/cluster.py run examples/jobs/orders.json    # start master + 2 workers, submit, stop

``run`` starts ``spark-class org.apache.spark.deploy.master.Master`` and two
``org.apache.spark.deploy.worker.Worker`` on 127.0.0.1 (1 core, 1 GiB each), waits until both
workers are ALIVE, submits ``spark_jobs/entrypoints/run_job.py`` with ``spark-submit --master
spark://127.0.0.1:PORT`` (the package as ``--py-files``, the JVM extras of ``make jars`` as
``--jars``, ``conf/spark-defaults.standalone.conf`` as properties) and stops every JVM it started,
also when the job fails or the script is interrupted. The tests (tests/cluster) and the benchmarks
use :class:`StandaloneCluster` directly.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parent.parent
PACKAGE_DIR = REPO / "spark_jobs"
RUN_JOB = PACKAGE_DIR / "entrypoints" / "run_job.py"
LOG4J_CONF = REPO / "conf" / "log4j2.properties"
STANDALONE_CONF = REPO / "conf" / "spark-defaults.standalone.conf"

#: files of the package tree that never go into the zip
_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


def build_pyfiles_zip(out: Path, package_dir: Path = PACKAGE_DIR) -> Path:
    """Zip the package (code and package data, no caches) so that ``spark_jobs`` imports from it.

    The entries are sorted and carry a fixed timestamp: the same sources give the same bytes.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(
        path
        for path in package_dir.rglob("*")
        if path.is_file()
        and not (_SKIP_DIRS & set(path.relative_to(package_dir).parts))
        and path.suffix not in _SKIP_SUFFIXES
    )
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            name = (Path(package_dir.name) / path.relative_to(package_dir)).as_posix()
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    tmp.replace(out)
    return out


def spark_home() -> Path:
    """The Spark distribution that ships inside the installed pyspark."""
    from pyspark.find_spark_home import _find_spark_home

    return Path(_find_spark_home())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop_group(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM the process group we started (the JVM and whatever it forked), then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        proc.wait(timeout=grace)


class ClusterError(RuntimeError):
    """The cluster did not come up; the message carries the tail of the JVMs' logs."""


class StandaloneCluster:
    """Master and workers on 127.0.0.1, each JVM in its own process group, logs in ``work_dir``.

    Use as a context manager: the JVMs are stopped on exit whatever happened inside.
    """

    def __init__(
        self,
        work_dir: Path,
        *,
        workers: int = 2,
        cores: int = 1,
        memory: str = "1g",
        python: str = sys.executable,
        start_timeout: float = 90.0,
    ) -> None:
        self.work_dir = work_dir
        self.workers = workers
        self.cores = cores
        self.memory = memory
        self.python = python
        self.start_timeout = start_timeout
        self.home = spark_home()
        self.port = 0
        self.webui_port = 0
        self._procs: list[subprocess.Popen[bytes]] = []
        self._logs: list[Path] = []

    # -- life cycle ------------------------------------------------------------------------------
    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment of every JVM and of spark-submit: loopback only, our python, no stray conf."""
        conf_dir = self.work_dir / "conf"
        conf_dir.mkdir(parents=True, exist_ok=True)
        if LOG4J_CONF.is_file() and not (conf_dir / LOG4J_CONF.name).is_file():
            shutil.copy(LOG4J_CONF, conf_dir / LOG4J_CONF.name)
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)  # the package must come from --py-files, not the checkout
        env.update(
            {
                "SPARK_HOME": str(self.home),
                "SPARK_CONF_DIR": str(conf_dir),
                "SPARK_LOCAL_IP": "127.0.0.1",
                "SPARK_LOCAL_HOSTNAME": "127.0.0.1",
                "SPARK_LOCAL_DIRS": str(self.work_dir / "local"),
                "SPARK_LOG_DIR": str(self.work_dir / "logs"),
                "SPARK_PID_DIR": str(self.work_dir),
                "PYSPARK_PYTHON": self.python,
                "PYSPARK_DRIVER_PYTHON": self.python,
                "SPARK_NO_DAEMONIZE": "1",
            }
        )
        return env

    def _spawn(self, name: str, args: Sequence[str]) -> None:
        log_path = self.work_dir / "logs" / f"{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log_file:
            proc = subprocess.Popen(
                [str(self.home / "bin" / "spark-class"), *args],
                env=self.env(),
                cwd=self.work_dir,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._procs.append(proc)
        self._logs.append(log_path)

    def start(self) -> StandaloneCluster:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.port, self.webui_port = free_port(), free_port()
        self._spawn(
            "master",
            [
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--webui-port",
                str(self.webui_port),
            ],
        )
        self._wait(lambda state: state is not None, "the master")
        for number in range(1, self.workers + 1):
            work = self.work_dir / f"worker-{number}"
            work.mkdir(parents=True, exist_ok=True)
            self._spawn(
                f"worker-{number}",
                [
                    "org.apache.spark.deploy.worker.Worker",
                    "--host",
                    "127.0.0.1",
                    "--webui-port",
                    str(free_port()),
                    "--cores",
                    str(self.cores),
                    "--memory",
                    self.memory,
                    "--work-dir",
                    str(work),
                    self.master_url,
                ],
            )
        self._wait(
            lambda state: state is not None and self.alive_workers(state) >= self.workers,
            f"{self.workers} workers",
        )
        return self

    def master_state(self) -> dict[str, object] | None:
        """The master's own JSON status page, or None while it is not answering."""
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.webui_port}/json/", timeout=2
            ) as response:
                state: dict[str, object] = json.load(response)
                return state
        except (OSError, ValueError):
            return None

    @staticmethod
    def alive_workers(state: Mapping[str, object]) -> int:
        workers = state.get("workers") or []
        assert isinstance(workers, list)
        return sum(1 for worker in workers if worker.get("state") == "ALIVE")

    def _wait(self, ready: object, what: str) -> None:
        assert callable(ready)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            dead = [p for p in self._procs if p.poll() is not None]
            if dead:
                raise ClusterError(
                    f"a cluster JVM exited while waiting for {what}\n{self.log_tail()}"
                )
            if ready(self.master_state()):
                return
            time.sleep(0.5)
        raise ClusterError(f"{what} not up after {self.start_timeout:.0f} s\n{self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        parts = []
        for path in self._logs:
            text = path.read_text(errors="replace").splitlines() if path.is_file() else []
            parts.append(f"--- {path.name}\n" + "\n".join(text[-lines:]))
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop workers first (they take their executors along), then the master."""
        for proc in reversed(self._procs):
            _stop_group(proc)
        self._procs.clear()

    def __enter__(self) -> StandaloneCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- jobs ------------------------------------------------------------------------------------
    def submit_args(
        self,
        app: Path,
        app_args: Sequence[str],
        *,
        py_files: Sequence[Path] = (),
        jars: Sequence[str] = (),
        properties_file: Path | None = STANDALONE_CONF,
        conf: Mapping[str, str] | None = None,
    ) -> list[str]:
        """The spark-submit command line for ``app`` on this cluster (client deploy mode)."""
        args = [str(self.home / "bin" / "spark-submit"), "--master", self.master_url]
        if properties_file is not None:
            args += ["--properties-file", str(properties_file)]
        settings = {
            "spark.pyspark.python": self.python,
            "spark.pyspark.driver.python": self.python,
            "spark.executor.cores": str(self.cores),
            "spark.cores.max": str(self.cores * self.workers),
            **(conf or {}),
        }
        for key, value in settings.items():
            args += ["--conf", f"{key}={value}"]
        if py_files:
            args += ["--py-files", ",".join(str(p) for p in py_files)]
        if jars:
            args += ["--jars", ",".join(jars)]
        return [*args, str(app), *app_args]

    def submit(
        self,
        app: Path,
        app_args: Sequence[str],
        *,
        cwd: Path,
        timeout: float = 300.0,
        **kwargs: object,
    ) -> subprocess.CompletedProcess[str]:
        """Run spark-submit to completion; stdout and stderr are returned (and kept on timeout)."""
        command = self.submit_args(app, app_args, **kwargs)  # type: ignore[arg-type]
        proc = subprocess.Popen(
            command,
            env=self.env(),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise ClusterError(
                f"spark-submit did not finish in {timeout:.0f} s\n{(out + err)[-4000:]}"
            ) from exc
        return subprocess.CompletedProcess(command, proc.returncode, out, err)


def default_jars() -> list[str]:
    """The JVM extras ``make jars`` resolved for the installed Spark line (may be empty)."""
    sys.path.insert(0, str(REPO))
    from spark_jobs.session import find_jvm_extras

    return find_jvm_extras()


def _run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="spark-jobs-cluster-"))
    try:
        pyfiles = build_pyfiles_zip(work / "spark_jobs.zip")
        with StandaloneCluster(work / "cluster", workers=args.workers) as cluster:
            print(f"cluster up: {cluster.master_url} (UI http://127.0.0.1:{cluster.webui_port})")
            app_args = ["--spec", str(Path(args.spec).resolve()), "--job-store", args.job_store]
            if args.result:
                app_args += ["--result", str(Path(args.result).resolve())]
            done = cluster.submit(
                RUN_JOB,
                app_args,
                cwd=Path.cwd(),
                py_files=[pyfiles],
                jars=default_jars(),
            )
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
        return done.returncode
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    zip_cmd = sub.add_parser("zip", help="zip the package for spark-submit --py-files")
    zip_cmd.add_argument("out", type=Path)
    run_cmd = sub.add_parser("run", help="run a job spec on a fresh 2-worker loopback cluster")
    run_cmd.add_argument("spec")
    run_cmd.add_argument("--workers", type=int, default=2)
    run_cmd.add_argument("--job-store", default=".spark_jobs")
    run_cmd.add_argument("--result")
    args = parser.parse_args(argv)
    if args.command == "zip":
        print(build_pyfiles_zip(args.out))
        return 0
    return _run(args)


if __name__ == "__main__":
    sys.exit(main())
