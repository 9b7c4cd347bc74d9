"""Where every SparkSession of the product comes from.

Two ways in:

* ``spark-submit`` (a cluster, EMR, Databricks): the cluster already decided master, jars and
  memory; :func:`get_session` with ``local=False`` only adds what the product itself needs
  (UTC session time zone, non-ANSI casts, quiet logs) and never overrides the cluster.
* the ``spark-jobs`` console script and the tests: a local session built from
  ``conf/spark-defaults.conf`` plus the JVM extras that ``make jars`` resolved from
  ``conf/jars/pom.xml`` (spark-avro, Delta Lake, hadoop-aws). Missing extras are announced,
  not fatal: each feature that needs one says so when it is used.

A publish connection's settings that must be decided before the session starts (a Hive
connection's metastore and warehouse) are turned into session settings here as well:
:func:`local_hive_settings`, :func:`submitted_hive_conf`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from pyspark import SparkConf
from pyspark.sql import SparkSession

if TYPE_CHECKING:
    from spark_jobs.spec.connections import HiveConnection

log = logging.getLogger(__name__)

#: Settings every session of ours carries, on any cluster: results must not depend on the
#: cluster's time zone, and Wrangle semantics turn bad values into missing ones, never errors.
PRODUCT_RUNTIME_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
    # Spark 4's default; Spark 3.5's EXCEPTION fails jobs on dates the old parser read differently
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
}

#: Settings of pyspark's own Python side, carried like the above. pyspark 4 records the Python
#: call site of every DataFrame function call for Spark's error context (four JVM round trips
#: per ``F.col``); a 115-step real recipe over 120 columns spent 35 of its 44 s of compiling
#: there. The engine's errors name the recipe's line and column instead. Read by pyspark once,
#: at its first function call with a session (Spark 3.5 has no such setting: ignored); a
#: context's setting, so only a session's builder can set it.
PYSPARK_CLIENT_CONF: dict[str, str] = {
    "spark.python.sql.dataFrameDebugging.enabled": "false",
}

#: Code generation settings for HotSpot JVMs, applied unless the cluster's configuration sets
#: the key. Why: a recipe or a profile over twenty typed columns generates Java methods larger
#: than HotSpot's 8,000-byte limit for JIT compilation, which then run interpreted; measured on
#: 1M rows x 20 columns, computing the profile's per-value stages took 26 s instead of 11 s.
#: Spark's own documentation of ``hugeMethodLimit`` recommends 8000 on HotSpot: a larger
#: whole-stage function falls back to per-operator code, whose methods are split small.
CODEGEN_DEFAULTS: dict[str, str] = {
    "spark.sql.codegen.hugeMethodLimit": "8000",
}

#: JVM option for the same reason, for the generated code that is not whole-stage code
#: (observed metrics' aggregation, per-expression projections): compile huge methods too.
#: Only a JVM's launch can set it: local sessions and the cluster templates under conf/ do.
JIT_JAVA_OPTIONS = "-XX:-DontCompileHugeMethods"

#: JVM option for expressions nested hundreds deep (recipes that tools generate): Spark converts,
#: analyses and evaluates an expression recursively, and the JVM's default 1 MiB thread stack
#: overflows near 300 levels; 16 MiB (address space, committed only as used) holds the 1000
#: levels a recipe may nest (parser.MAX_DEPTH). Local sessions and the cluster templates set it.
STACK_JAVA_OPTIONS = "-Xss16m"

DELTA_CONF: dict[str, str] = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}

#: Class names that tell whether a JVM extra is on the classpath.
JVM_EXTRA_CLASSES: dict[str, str] = {
    "spark-avro": "org.apache.spark.sql.avro.AvroFileFormat",
    "delta-spark": "io.delta.tables.DeltaTable",
    "hadoop-aws": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    # the visual profile's aggregate (jvm/profile; spark_jobs.profile.aggregate.AGGREGATOR_CLASS)
    "spark-jobs-profile": "sparkjobs.profile.ProfileAggregator",
}

#: The jars of each JVM extra, by file name prefix (as ``make jars`` resolves conf/jars/pom.xml).
#: Why: a local session loads only the extras its job uses (:func:`jars_of_extras`); every extra
#: on every run cost seconds of each run's start (the AWS SDK bundle of hadoop-aws alone is
#: 558 MB on the Spark 4 line), and the Delta extension is built into every session it is in.
JVM_EXTRA_JARS: dict[str, tuple[str, ...]] = {
    "spark-avro": ("spark-avro_",),
    "delta-spark": ("delta-spark_", "delta-storage-"),
    "hadoop-aws": ("hadoop-aws-", "bundle-", "aws-java-sdk-bundle-", "wildfly-openssl-"),
    "spark-jobs-profile": ("spark-jobs-profile-",),
}


def spark_line() -> str:
    """The ``major.minor`` of the installed pyspark, which picks the jar set (``spark-4.0``)."""
    import pyspark

    return ".".join(pyspark.__version__.split(".")[:2])


def repo_root() -> Path:
    """The checkout this package runs from (meaningful in a development install only)."""
    return Path(__file__).resolve().parent.parent


def find_jvm_extras() -> list[str]:
    """Jar paths resolved by ``make jars`` for the installed Spark line, or ``[]``.

    Looked up in ``$SPARK_JOBS_CLASSPATH`` (a classpath file), then ``./.jars/`` and the
    checkout's ``.jars/``. Never downloads anything.
    """
    candidates = []
    env = os.environ.get("SPARK_JOBS_CLASSPATH")
    if env:
        candidates.append(Path(env))
    name = f"spark-{spark_line()}.classpath"
    candidates += [Path.cwd() / ".jars" / name, repo_root() / ".jars" / name]
    for path in candidates:
        if path.is_file():
            jars = [j for j in path.read_text().strip().split(os.pathsep) if j]
            missing = [j for j in jars if not Path(j).is_file()]
            if missing:
                log.warning("classpath file %s lists missing jars: %s", path, ", ".join(missing))
                continue
            return jars
    return []


def extra_of_jar(jar: str) -> str | None:
    """The JVM extra a jar belongs to (:data:`JVM_EXTRA_JARS`), or None for a jar of no extra."""
    name = Path(jar).name
    for extra, prefixes in JVM_EXTRA_JARS.items():
        if name.startswith(prefixes):
            return extra
    return None


def jars_of_extras(jars: Sequence[str], extras: Collection[str]) -> list[str]:
    """The jars of the named extras among ``jars``; a jar of no known extra is always kept (a
    classpath file of one's own may add jars the product knows nothing about)."""
    return [j for j in jars if extra_of_jar(j) is None or extra_of_jar(j) in extras]


def is_local_master(master: str) -> bool:
    """Local mode: the tasks run in the driver's JVM (``local``, ``local[4]``, ``local[*, 2]``)."""
    return master == "local" or master.startswith("local[")


def jar_conf(jars: Sequence[str], master: str) -> dict[str, str]:
    """How a session on a cluster master gets its jars: ``spark.jars`` ships them to the
    executors. A local session puts them on the launcher's class path instead
    (:attr:`LocalLaunch.class_path`)."""
    if not jars or is_local_master(master):
        return {}
    return {"spark.jars": ",".join(jars)}


#: the environment variable Spark's launcher appends to the JVM's class path (after Spark's jars)
LAUNCH_CLASS_PATH_ENV = "SPARK_DIST_CLASSPATH"
#: where to find the class-data-sharing archive (a path, or ``none`` to start JVMs without one)
CDS_ARCHIVE_ENV = "SPARK_JOBS_CDS_ARCHIVE"


def cds_archive() -> Path | None:
    """The class-data-sharing archive ``make jars`` dumped for the installed Spark line
    (``.jars/spark-<line>.jsa``; ``$SPARK_JOBS_CDS_ARCHIVE`` names another, ``none`` none).

    Why: a JVM that maps it finds Spark's, Hadoop's and Scala's classes already parsed and
    verified; a local session starts in about 4.5 s instead of 7 and its first job runs 2 s
    sooner (bench/results.md, "Class data sharing"). The JVM checks the archive against its own
    build and class path and starts without it when they differ (silently: see
    :data:`CDS_LOG_OFF`)."""
    env = os.environ.get(CDS_ARCHIVE_ENV)
    if env is not None:
        return None if env.strip().lower() in ("", "none") else Path(env)
    name = f"spark-{spark_line()}.jsa"
    for folder in (Path.cwd() / ".jars", repo_root() / ".jars"):
        if (folder / name).is_file():
            return folder / name
    return None


#: the archive may not fit this JVM (another JDK build, another class path): it then says so
#: on stdout, which would land in the user's console; it starts normally without it
CDS_LOG_OFF = "-Xlog:cds=off -Xlog:cds+dynamic=off"


def cds_java_options(archive: Path | None) -> str:
    """The driver JVM's options to map ``archive`` (empty without one, or for a path with
    whitespace, which Spark's option splitting would break)."""
    if archive is None or any(c.isspace() for c in str(archive)):
        return ""
    return f"-XX:SharedArchiveFile={archive} -Xshare:auto {CDS_LOG_OFF}"


def log4j_config() -> Path | None:
    """conf/log4j2.properties of the working directory or the checkout, if there is one."""
    for folder in (Path.cwd() / "conf", repo_root() / "conf"):
        if (folder / "log4j2.properties").is_file():
            return folder / "log4j2.properties"
    return None


def read_properties(path: Path) -> dict[str, str]:
    """Parse a ``spark-defaults.conf`` style file: ``key  value`` per line, ``#`` comments."""
    props: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        if not _:
            key, _, value = line.partition("\t")
        props[key.strip()] = value.strip()
    return props


#: environment variables naming an S3-compatible endpoint (the AWS SDKs' own names)
S3_ENDPOINT_ENV = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")


def s3a_settings(
    endpoint_url: str | None = None,
    *,
    region: str | None = None,
    bucket: str | None = None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> dict[str, str]:
    """Hadoop S3A settings (``fs.s3a.*``, or ``fs.s3a.bucket.<b>.*`` for one bucket) for an
    endpoint: an S3-compatible endpoint is reached with path-style requests, over plain HTTP when
    its URL says so. Without keys the S3A default credential chain is used (the environment's
    ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, then the instance's role): no secret is put in
    the configuration. Keys given here are (for that bucket only); never log the result.
    """
    prefix = f"fs.s3a.bucket.{bucket}." if bucket else "fs.s3a."
    conf: dict[str, str] = {}
    if endpoint_url:
        parsed = urlparse(endpoint_url)
        conf[prefix + "endpoint"] = endpoint_url
        conf[prefix + "path.style.access"] = "true"
        conf[prefix + "connection.ssl.enabled"] = str(parsed.scheme == "https").lower()
    if region:
        conf[prefix + "endpoint.region"] = region
    if access_key_id and secret_access_key:
        conf[prefix + "access.key"] = access_key_id
        conf[prefix + "secret.key"] = secret_access_key
    return conf


def s3a_settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``spark.hadoop.fs.s3a.*`` for a local session from the environment: the endpoint of
    ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` and the region of ``AWS_REGION`` /
    ``AWS_DEFAULT_REGION`` (credentials stay with S3A's default chain, which reads the
    environment itself)."""
    env = os.environ if environ is None else environ
    endpoint = next((env[name] for name in S3_ENDPOINT_ENV if env.get(name)), None)
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if not endpoint:
        return {}
    return {f"spark.hadoop.{k}": v for k, v in s3a_settings(endpoint, region=region).items()}


def apply_s3a_settings(spark: SparkSession, settings: Mapping[str, str]) -> None:
    """Put S3A settings on a running session's Hadoop configuration (they apply to S3A file
    systems opened afterwards: a bucket's file system is cached once opened)."""
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    for key, value in settings.items():
        conf.set(key, value)


def can_write_s3(spark: SparkSession) -> bool:
    """Whether Spark itself can write ``s3a://`` paths (the hadoop-aws connector is there)."""
    return jvm_extras_available(spark)["hadoop-aws"]


#: where a local session keeps its embedded Hive metastore and warehouse, under the job store
HIVE_DIR_NAME = "hive"


def default_hive_dir(job_store: str) -> Path:
    """The embedded Hive metastore's directory of local sessions: ``<job store>/hive``.

    ``run`` and ``publish`` use the same one, so a table published from one job store is found
    again by the next publish. A job store that is not on the local disk (``hdfs://``, ``s3a://``)
    cannot hold a Derby database: then ``./.spark_jobs/hive`` is used.
    """
    parsed = urlparse(job_store)
    if not parsed.scheme:
        local = Path(job_store)
    elif parsed.scheme == "file":
        local = Path(parsed.path)
    else:
        local = Path(".spark_jobs")
    return (local / HIVE_DIR_NAME).absolute()


def embedded_metastore_dir(conf: Mapping[str, str]) -> Path | None:
    """The ``metastore_db`` directory of an embedded (Derby) Hive metastore, from a session's
    settings; None when the session uses a metastore service (``hive.metastore.uris``)."""
    if conf.get("spark.hadoop.hive.metastore.uris") or conf.get("spark.hive.metastore.uris"):
        return None
    url = conf.get("spark.hadoop.javax.jdo.option.ConnectionURL") or (
        "jdbc:derby:;databaseName=metastore_db;create=true"  # Hive's default: in the cwd
    )
    if not url.startswith("jdbc:derby:") or url.startswith("jdbc:derby://"):
        return None
    for part in url[len("jdbc:derby:") :].split(";"):
        key, _, value = part.partition("=")
        if key == "databaseName" and value:
            return Path(value).absolute()
    return None


def derby_holder(database: Path) -> int | None:
    """The pid of a process that has the Derby database ``database`` open, or None.

    A JVM that boots a Derby database holds an exclusive POSIX lock on its ``dbex.lck`` for as
    long as it has it open; ``F_GETLK`` reads who holds it without taking it.
    """
    import fcntl
    import struct

    try:
        fd = os.open(database / "dbex.lck", os.O_RDWR)
    except OSError:
        return None  # never booted, or not ours to read
    layout = "hhxxxxqqixxxx"  # struct flock on 64-bit Linux: type, whence, start, len, pid
    try:
        request = struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        lock_type, _, _, _, pid = struct.unpack(layout, fcntl.fcntl(fd, fcntl.F_GETLK, request))
    except (OSError, struct.error):
        return None
    finally:
        os.close(fd)
    return None if lock_type == fcntl.F_UNLCK else pid


def metastore_in_use_message(database: Path, pid: int | None) -> str:
    holder = f" (pid {pid})" if pid else ""
    return (
        f"the Hive metastore at {database} is in use by another process{holder}: an embedded "
        "(Derby) metastore admits one process at a time (a `spark-jobs serve`, another "
        "publish, a notebook on the same job store). Wait until that process ends, or run a "
        'Hive metastore service and set "metastoreUri" on the connection (docs/publish.md)'
    )


def check_metastore_free(spark: SparkSession) -> None:
    """Raise MetastoreInUseError when another process has this session's embedded metastore
    open. Call it before the session first touches the catalog: Hive's own failure is a
    page of retries ending in ``Unable to instantiate ...SessionHiveMetaStoreClient``."""
    from spark_jobs.errors import MetastoreInUseError

    conf = dict(spark.sparkContext.getConf().getAll())
    if conf.get("spark.sql.catalogImplementation") != "hive":
        return
    database = embedded_metastore_dir(conf)
    if database is None:
        return
    pid = derby_holder(database)
    jvm = spark.sparkContext._jvm
    own = int(jvm.java.lang.ProcessHandle.current().pid()) if jvm is not None else None
    if pid is not None and pid != own:
        raise MetastoreInUseError(metastore_in_use_message(database, pid))


@dataclass
class LocalSessionSettings:
    """What a local session is built from; tests and the CLI differ only in these values."""

    app_name: str = "spark-jobs"
    master: str | None = None
    conf_file: Path | None = None
    hive: bool = False
    #: where the embedded Derby metastore and the warehouse live (Hive support only)
    metastore_dir: Path | None = None
    warehouse_dir: Path | None = None
    extra_conf: Mapping[str, str] = field(default_factory=dict)
    jars: list[str] | None = None  # None: find_jvm_extras()
    #: the JVM extras to load, each with why (``{"delta-spark": "output 0 is delta"}``); None:
    #: every extra found (tests, publish, the demo). A job's run passes what it uses.
    extras: Mapping[str, str] | None = None


@dataclass(frozen=True)
class LocalLaunch:
    """How to start a local session's JVM: its Spark configuration, and the jars its launcher
    appends to the class path.

    Why appended and not ``spark.driver.extraClassPath``: that one goes *before* Spark's jars,
    and a class-data-sharing archive only maps when the class path it was dumped with is a
    prefix of the JVM's; with the JVM extras after Spark's jars every job, whatever extras it
    loads, maps the one archive of its Spark line."""

    conf: dict[str, str]
    class_path: list[str] = field(default_factory=list)

    def env(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The launcher's environment additions (``SPARK_DIST_CLASSPATH``, after what the
        environment already has there)."""
        if not self.class_path:
            return {}
        environ = os.environ if environ is None else environ
        entries = [environ.get(LAUNCH_CLASS_PATH_ENV, ""), *self.class_path]
        return {LAUNCH_CLASS_PATH_ENV: os.pathsep.join(e for e in entries if e)}


def local_session_conf(settings: LocalSessionSettings) -> dict[str, str]:
    """The Spark configuration of a local session, as a plain dict (testable); the jars of a
    local master are not in it: see :func:`local_session_launch`."""
    return local_session_launch(settings).conf


def local_session_launch(settings: LocalSessionSettings) -> LocalLaunch:
    """The configuration and class path of a local session."""
    java_options = f"-Dderby.stream.error.file=/dev/null {JIT_JAVA_OPTIONS} {STACK_JAVA_OPTIONS}"
    cds = cds_java_options(cds_archive())
    if cds:
        java_options += f" {cds}"
    log4j = log4j_config()
    if log4j is not None:
        java_options += f" -Dlog4j.configurationFile={log4j.as_uri()}"
    conf: dict[str, str] = {
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "8",
        "spark.driver.extraJavaOptions": java_options,
        # executors of a standalone master (local mode runs in the driver's JVM)
        "spark.executor.extraJavaOptions": f"{JIT_JAVA_OPTIONS} {STACK_JAVA_OPTIONS}",
        **CODEGEN_DEFAULTS,
    }
    conf_file = settings.conf_file
    if conf_file is None and (Path.cwd() / "conf" / "spark-defaults.conf").is_file():
        conf_file = Path.cwd() / "conf" / "spark-defaults.conf"
    if conf_file is not None:
        conf.update(read_properties(conf_file))
    conf.setdefault("spark.master", "local[*]")
    if settings.master:
        conf["spark.master"] = settings.master
    jars = find_jvm_extras() if settings.jars is None else settings.jars
    if settings.extras is not None:
        jars = jars_of_extras(jars, settings.extras)
    conf.update(jar_conf(jars, conf["spark.master"]))
    class_path = list(jars) if is_local_master(conf["spark.master"]) else []
    if any(extra_of_jar(j) == "delta-spark" for j in jars):
        conf.update(DELTA_CONF)
    if settings.hive:
        conf["spark.sql.catalogImplementation"] = "hive"
        if settings.metastore_dir is not None:
            conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = _derby_url(settings.metastore_dir)
        if settings.warehouse_dir is not None:
            conf["spark.sql.warehouse.dir"] = str(settings.warehouse_dir)
    conf.update(s3a_settings_from_env())
    conf.update(PRODUCT_RUNTIME_CONF)
    conf.update(PYSPARK_CLIENT_CONF)
    conf.update(settings.extra_conf)
    return LocalLaunch(conf, class_path)


def _derby_url(metastore_dir: Path) -> str:
    """The JDBC URL of an embedded Derby metastore in ``metastore_dir``."""
    return f"jdbc:derby:;databaseName={metastore_dir / 'metastore_db'};create=true"


def build_local_session(settings: LocalSessionSettings) -> SparkSession:
    """Start (or join) a local SparkSession configured by :func:`local_session_conf`."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    launch = local_session_launch(settings)
    builder = SparkSession.builder.appName(settings.app_name)
    for key, value in launch.conf.items():
        builder = builder.config(key, value)
    if settings.hive:
        builder = builder.enableHiveSupport()
    # pyspark's launcher reads the environment when it starts the JVM (a running session is
    # joined as it is): the jars are set for that moment only
    saved = {key: os.environ.get(key) for key in launch.env()}
    os.environ.update(launch.env())
    try:
        spark = builder.getOrCreate()
    finally:
        for key, before in saved.items():
            if before is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = before
    spark.sparkContext.setLogLevel("ERROR")
    announce_jvm_extras(spark, settings.extras)
    return spark


def codegen_defaults_for(cluster_conf: SparkConf) -> dict[str, str]:
    """The :data:`CODEGEN_DEFAULTS` a submitted job sets: those the cluster's configuration
    leaves unset (a cluster that chose a value keeps it)."""
    return {k: v for k, v in CODEGEN_DEFAULTS.items() if not cluster_conf.contains(k)}


def get_submitted_session(
    app_name: str, *, hive: bool = False, extra_conf: Mapping[str, str] | None = None
) -> SparkSession:
    """The session of a ``spark-submit`` run: the cluster's configuration, plus ours at runtime.

    ``extra_conf`` is what the job itself must decide before the session starts (a publish
    connection's Hive metastore); everything else stays the cluster's.
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # a static setting: only the builder can set it (spark.conf.set would fail on any cluster)
    builder = SparkSession.builder.appName(app_name).config("spark.ui.showConsoleProgress", "false")
    # pyspark's own settings are fixed once the context exists (spark.conf.set refuses them)
    for key, value in {**PYSPARK_CLIENT_CONF, **(extra_conf or {})}.items():
        builder = builder.config(key, value)
    if hive:
        builder = builder.enableHiveSupport()
    spark = builder.getOrCreate()
    for key, value in PRODUCT_RUNTIME_CONF.items():
        spark.conf.set(key, value)
    for key, value in codegen_defaults_for(spark.sparkContext.getConf()).items():
        spark.conf.set(key, value)
    announce_jvm_extras(spark)
    return spark


# --- the session a publish connection needs -----------------------------------------------------


def local_hive_settings(
    settings: LocalSessionSettings, connection: HiveConnection
) -> LocalSessionSettings:
    """A local session's settings for a Hive connection (Hive support on, its metastore).

    With no metastoreUri the metastore is embedded: in the connection's metastoreDir, else in
    ``settings.metastore_dir`` (the CLI's default, ``<job store>/hive``).
    """
    extra = dict(settings.extra_conf)
    metastore_dir = settings.metastore_dir
    warehouse_dir = settings.warehouse_dir
    if connection.metastoreUri:
        extra["spark.hadoop.hive.metastore.uris"] = connection.metastoreUri
        metastore_dir = None
        warehouse_dir = None
    elif connection.metastoreDir:
        metastore_dir = Path(connection.metastoreDir).absolute()
        warehouse_dir = metastore_dir / "warehouse"
    if connection.warehouseDir:
        extra["spark.sql.warehouse.dir"] = connection.warehouseDir
        warehouse_dir = None
    return replace(
        settings,
        hive=True,
        metastore_dir=metastore_dir,
        warehouse_dir=warehouse_dir,
        extra_conf=extra,
    )


def submitted_hive_conf(connection: HiveConnection) -> dict[str, str]:
    """What a spark-submit session takes from a Hive connection (else the cluster's own Hive)."""
    conf = {}
    if connection.metastoreUri:
        conf["spark.hadoop.hive.metastore.uris"] = connection.metastoreUri
    elif connection.metastoreDir:
        url = _derby_url(Path(connection.metastoreDir).absolute())
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = url
    if connection.warehouseDir:
        conf["spark.sql.warehouse.dir"] = connection.warehouseDir
    return conf


def has_jvm_class(spark: SparkSession, class_name: str) -> bool:
    """Whether a class can be loaded by Spark's driver (the test for an optional jar)."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    try:
        loader = jvm.org.apache.spark.util.Utils.getContextOrSparkClassLoader()
        jvm.java.lang.Class.forName(class_name, False, loader)
        return True
    except Exception:
        return False


def jvm_extras_available(spark: SparkSession) -> dict[str, bool]:
    """Which of the JVM extras (spark-avro, delta-spark, hadoop-aws, spark-jobs-profile) this
    session can use."""
    cache = getattr(spark, "_spark_jobs_extras", None)
    if cache is None:
        cache = {name: has_jvm_class(spark, cls) for name, cls in JVM_EXTRA_CLASSES.items()}
        spark._spark_jobs_extras = cache  # type: ignore[attr-defined]
    return dict(cache)


def announce_jvm_extras(spark: SparkSession, chosen: Mapping[str, str] | None = None) -> None:
    """Log once which optional JVM extras are present and what falls back when one is not.

    ``chosen``: the extras a job asked for, with why (a local run loads only those); the line
    then says which were loaded and which were left out.
    """
    extras = jvm_extras_available(spark)
    if chosen is not None:
        loaded = [f"{name} ({why})" for name, why in chosen.items() if extras.get(name)]
        left_out = [name for name in JVM_EXTRA_CLASSES if name not in chosen]
        log.info(
            "JVM extras loaded for this job: %s; left out (not used by the job): %s",
            ", ".join(loaded) or "none",
            ", ".join(left_out) or "none",
        )
    missing = [name for name, ok in extras.items() if not ok and (chosen is None or name in chosen)]
    if missing:
        log.info(
            "JVM extras not on the classpath: %s (run `make jars`; avro output falls back to "
            "fastavro, delta and s3a outputs are unavailable, the visual profile fails)",
            ", ".join(missing),
        )
