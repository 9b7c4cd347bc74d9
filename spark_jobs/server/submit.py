"""The ``spark-submit`` command lines of the server's drivers.

A driver gets the configuration ``spark-jobs run`` gives a local session (``conf/`` or
``--spark-conf``, the JVM extras of ``make jars``, Delta, S3A from the environment), as
``--conf`` options of spark-submit, with ``--master`` from the server's ``--master`` (else the
conf file's ``spark.master``). A run driver loads only the JVM extras its job uses. A Hive publish adds its connection's metastore settings (an
embedded one under ``<job store>/hive``, as ``spark-jobs publish`` uses).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import spark_jobs
from spark_jobs.server.settings import ServerConfigError, ServerSettings
from spark_jobs.session import (
    LocalLaunch,
    LocalSessionSettings,
    default_hive_dir,
    local_hive_settings,
    local_session_conf,
    local_session_launch,
)
from spark_jobs.spec.connections import ConnectionBase, HiveConnection

PACKAGE_DIR = Path(spark_jobs.__file__).resolve().parent
RUN_JOB = PACKAGE_DIR / "entrypoints" / "run_job.py"
PUBLISH = PACKAGE_DIR / "entrypoints" / "publish.py"


def spark_submit_path() -> Path:
    """spark-submit of the Spark distribution inside the installed pyspark."""
    from pyspark.find_spark_home import _find_spark_home

    return Path(_find_spark_home()) / "bin" / "spark-submit"


class SubmitCommands:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.spark_submit = spark_submit_path()
        self.base = self._local_settings(hive=False)
        conf = local_session_conf(self.base)
        self.master = conf["spark.master"]
        if not self.master.startswith("local") and not settings.py_files:
            raise ServerConfigError(
                f"--master {self.master} runs Python on other machines: give --py-files "
                "dist/spark_jobs.zip (`make dist` builds it)"
            )

    def _local_settings(self, *, hive: bool) -> LocalSessionSettings:
        settings = LocalSessionSettings(
            app_name="spark-jobs",
            master=self.settings.master,
            conf_file=self.settings.spark_conf,
            hive=hive,
        )
        if hive:
            hive_dir = default_hive_dir(str(self.settings.job_store))
            settings.metastore_dir = hive_dir
            settings.warehouse_dir = hive_dir / "warehouse"
        return settings

    def _command(self, name: str, launch: LocalLaunch, app: Path, args: list[str]) -> list[str]:
        conf = launch.conf
        # env execs spark-submit (the pid recorded stays the driver's): the JVM extras go after
        # Spark's jars, as in a local session (session.LocalLaunch)
        env = launch.env()
        prefix = ["env", *(f"{k}={v}" for k, v in env.items())] if env else []
        command = [
            *prefix,
            str(self.spark_submit),
            "--master",
            conf["spark.master"],
            "--name",
            name,
        ]
        for key, value in conf.items():
            if key != "spark.master":
                command += ["--conf", f"{key}={value}"]
        if self.settings.py_files:
            command += ["--py-files", ",".join(str(p) for p in self.settings.py_files)]
        return [*command, str(app), *args]

    def run(
        self, job_group_id: int, spec_path: Path, extras: Mapping[str, str] | None = None
    ) -> list[str]:
        """The run driver of a job group; ``extras``: the JVM extras the job uses (name -> why,
        ``runner.extras.jvm_extras_for_job``), the only ones its session loads, as a local
        ``spark-jobs run`` does (None: every extra found)."""
        args = [
            "--spec",
            str(spec_path),
            "--job-store",
            str(self.settings.job_store),
            "--job-group",
            str(job_group_id),
        ]
        launch = local_session_launch(replace(self.base, extras=extras))
        return self._command(f"spark-jobs job group {job_group_id}", launch, RUN_JOB, args)

    def publish_settings(self, connection: ConnectionBase) -> LocalSessionSettings:
        if isinstance(connection, HiveConnection):
            return local_hive_settings(self._local_settings(hive=True), connection)
        return self.base

    def embedded_metastore(self, connection: ConnectionBase) -> str | None:
        """The directory of the embedded (Derby) metastore a publish opens, if it opens one."""
        if not isinstance(connection, HiveConnection) or connection.metastoreUri:
            return None
        settings = self.publish_settings(connection)
        return str(settings.metastore_dir) if settings.metastore_dir else None

    def publish(
        self,
        job_group_id: int,
        job_id: int,
        session_id: str,
        body_path: Path,
        connection: ConnectionBase,
    ) -> list[str]:
        assert self.settings.connections is not None
        args = [
            "--job-group",
            str(job_group_id),
            "--body",
            str(body_path),
            "--connections",
            str(self.settings.connections),
            "--job-store",
            str(self.settings.job_store),
            "--publish-job",
            str(job_id),
            "--session-id",
            session_id,
        ]
        launch = local_session_launch(self.publish_settings(connection))
        if isinstance(connection, HiveConnection):
            launch.conf["spark.sql.catalogImplementation"] = "hive"
        name = f"spark-jobs publish job {job_id} of job group {job_group_id}"
        return self._command(name, launch, PUBLISH, args)
