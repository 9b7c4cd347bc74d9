"""The session factory: code generation settings reach the JVM (see docs/cluster.md), and a
job's session gets the jars of the JVM extras it uses, the right way for its master."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pyspark import SparkConf
from pyspark.sql import SparkSession

from spark_jobs.session import (
    CODEGEN_DEFAULTS,
    DELTA_CONF,
    JIT_JAVA_OPTIONS,
    STACK_JAVA_OPTIONS,
    LocalSessionSettings,
    cds_archive,
    cds_java_options,
    codegen_defaults_for,
    extra_of_jar,
    is_local_master,
    local_session_conf,
    local_session_launch,
    read_properties,
)

REPO = Path(__file__).resolve().parent.parent


def test_pyspark_records_no_call_sites(spark: SparkSession) -> None:
    """pyspark 4's call-site capture costs four JVM round trips per column reference; our
    sessions turn it off, and pyspark itself reads it as off (Spark 3.5 has no such capture)."""
    assert (
        local_session_conf(LocalSessionSettings(jars=[]))[
            "spark.python.sql.dataFrameDebugging.enabled"
        ]
        == "false"
    )
    assert spark.conf.get("spark.python.sql.dataFrameDebugging.enabled") == "false"
    import pyspark.errors.utils as pyspark_errors

    if hasattr(pyspark_errors, "is_debugging_enabled"):
        assert pyspark_errors.is_debugging_enabled() is False


def test_local_sessions_compile_huge_generated_methods() -> None:
    conf = local_session_conf(LocalSessionSettings(jars=[]))
    assert conf["spark.sql.codegen.hugeMethodLimit"] == "8000"
    for key in ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions"):
        assert JIT_JAVA_OPTIONS in conf[key].split()
        assert STACK_JAVA_OPTIONS in conf[key].split()


def test_a_conf_file_or_caller_can_override_the_codegen_defaults(tmp_path: Path) -> None:
    conf_file = tmp_path / "spark-defaults.conf"
    conf_file.write_text("spark.sql.codegen.hugeMethodLimit  65535\n")
    conf = local_session_conf(LocalSessionSettings(jars=[], conf_file=conf_file))
    assert conf["spark.sql.codegen.hugeMethodLimit"] == "65535"


def test_the_standalone_template_carries_the_codegen_settings() -> None:
    props = read_properties(REPO / "conf" / "spark-defaults.standalone.conf")
    for key, value in CODEGEN_DEFAULTS.items():
        assert props[key] == value
    for key in ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions"):
        assert JIT_JAVA_OPTIONS in props[key].split()
        assert STACK_JAVA_OPTIONS in props[key].split()


def test_the_running_jvm_has_the_settings(spark: SparkSession) -> None:
    assert spark.conf.get("spark.sql.codegen.hugeMethodLimit") == "8000"
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    arguments = list(
        jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
    )
    assert JIT_JAVA_OPTIONS in arguments
    assert STACK_JAVA_OPTIONS in arguments


def test_a_submitted_job_keeps_the_clusters_own_codegen_choice(spark: SparkSession) -> None:
    unset = SparkConf(loadDefaults=False)
    assert codegen_defaults_for(unset) == {"spark.sql.codegen.hugeMethodLimit": "8000"}
    chosen = SparkConf(loadDefaults=False).set("spark.sql.codegen.hugeMethodLimit", "65535")
    assert codegen_defaults_for(chosen) == {}


JARS_40 = [
    "/m2/org/apache/spark/spark-avro_2.13/4.0.1/spark-avro_2.13-4.0.1.jar",
    "/m2/io/delta/delta-spark_2.13/4.0.1/delta-spark_2.13-4.0.1.jar",
    "/m2/io/delta/delta-storage/4.0.1/delta-storage-4.0.1.jar",
    "/m2/org/apache/hadoop/hadoop-aws/3.4.1/hadoop-aws-3.4.1.jar",
    "/m2/software/amazon/awssdk/bundle/2.24.6/bundle-2.24.6.jar",
    "/m2/org/wildfly/openssl/wildfly-openssl/1.1.3.Final/wildfly-openssl-1.1.3.Final.jar",
    "/elsewhere/my-udfs-1.0.jar",
    "/repo/.jars/spark-jobs-profile-4.0.jar",
]


def test_every_jar_of_both_spark_lines_belongs_to_its_extra() -> None:
    assert [extra_of_jar(j) for j in JARS_40] == [
        "spark-avro",
        "delta-spark",
        "delta-spark",
        "hadoop-aws",
        "hadoop-aws",
        "hadoop-aws",
        None,
        "spark-jobs-profile",
    ]
    assert extra_of_jar("/m2/aws-java-sdk-bundle-1.12.262.jar") == "hadoop-aws"  # the 3.5 line


def test_a_job_session_loads_only_the_jars_of_its_extras_and_unknown_ones() -> None:
    settings = LocalSessionSettings(jars=JARS_40, extras={"spark-avro": "output 0 is avro"})
    launch = local_session_launch(settings)
    assert launch.class_path == [JARS_40[0], "/elsewhere/my-udfs-1.0.jar"]
    assert "spark.jars" not in launch.conf and "spark.driver.extraClassPath" not in launch.conf
    assert not set(DELTA_CONF) & set(launch.conf)


def test_delta_extension_and_catalog_only_with_the_delta_extra() -> None:
    with_delta = local_session_launch(
        LocalSessionSettings(jars=JARS_40, extras={"delta-spark": "output 1 is delta"})
    )
    assert {k: with_delta.conf[k] for k in DELTA_CONF} == DELTA_CONF
    assert with_delta.class_path == [*JARS_40[1:3], JARS_40[6]]
    none = local_session_launch(LocalSessionSettings(jars=JARS_40[:6], extras={}))
    assert none.class_path == [] and none.env() == {} and "spark.jars" not in none.conf
    assert not set(DELTA_CONF) & set(none.conf)
    # no selection (tests, publish, the demo): every extra, as before
    every = local_session_launch(LocalSessionSettings(jars=JARS_40))
    assert every.class_path == JARS_40
    assert {k: every.conf[k] for k in DELTA_CONF} == DELTA_CONF


def test_only_a_profiled_job_loads_the_profile_jar() -> None:
    profiled = local_session_launch(
        LocalSessionSettings(
            jars=JARS_40, extras={"spark-jobs-profile": "the job group is profiled"}
        )
    )
    assert profiled.class_path == JARS_40[6:]
    plain = local_session_launch(LocalSessionSettings(jars=JARS_40, extras={}))
    assert plain.class_path == [JARS_40[6]]


def test_local_mode_appends_jars_to_the_launchers_class_path_a_cluster_ships_them(
    tmp_path: Path,
) -> None:
    conf_file = tmp_path / "spark-defaults.conf"
    conf_file.write_text("spark.driver.extraClassPath  /opt/site.jar\n")
    local = local_session_launch(
        LocalSessionSettings(jars=JARS_40[:1], conf_file=conf_file, master="local[2]")
    )
    # the site's own extraClassPath stays where the site put it; ours go after Spark's jars
    assert local.conf["spark.driver.extraClassPath"] == "/opt/site.jar"
    assert local.class_path == [JARS_40[0]]
    assert local.env({}) == {"SPARK_DIST_CLASSPATH": JARS_40[0]}
    assert local.env({"SPARK_DIST_CLASSPATH": "/opt/hadoop/*"}) == {
        "SPARK_DIST_CLASSPATH": os.pathsep.join(["/opt/hadoop/*", JARS_40[0]])
    }
    assert "spark.jars" not in local.conf
    cluster = local_session_launch(
        LocalSessionSettings(jars=JARS_40[:1], master="spark://127.0.0.1:7077")
    )
    assert cluster.conf["spark.jars"] == JARS_40[0]
    assert cluster.class_path == [] and "spark.driver.extraClassPath" not in cluster.conf


def test_a_class_data_sharing_archive_is_mapped_when_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "spark.jsa"
    monkeypatch.setenv("SPARK_JOBS_CDS_ARCHIVE", str(archive))
    options = local_session_conf(LocalSessionSettings(jars=[]))["spark.driver.extraJavaOptions"]
    assert f"-XX:SharedArchiveFile={archive} -Xshare:auto" in options
    assert "-Xlog:cds=off" in options  # a JVM that cannot map it starts without it, silently
    monkeypatch.setenv("SPARK_JOBS_CDS_ARCHIVE", "none")
    options = local_session_conf(LocalSessionSettings(jars=[]))["spark.driver.extraJavaOptions"]
    assert "SharedArchiveFile" not in options
    assert cds_java_options(Path("/with space/spark.jsa")) == ""


def test_the_set_up_dumped_the_archive_and_the_test_session_maps_it(spark: SparkSession) -> None:
    """``make jars`` dumps .jars/spark-<line>.jsa; the shared session (every JVM extra appended
    after Spark's jars) maps it: the file is in the JVM's memory map."""
    archive = cds_archive()
    assert archive is not None, "make jars dumps the class-data-sharing archive"
    pid = spark.sparkContext._gateway.proc.pid  # type: ignore[union-attr]
    assert str(archive.resolve()) in Path(f"/proc/{pid}/maps").read_text()
    assert [is_local_master(m) for m in ("local", "local[*]", "local[2, 3]", "yarn")] == [
        True,
        True,
        True,
        False,
    ]
