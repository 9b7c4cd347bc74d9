"""The session factory's code generation settings reach the JVM (see docs/cluster.md)."""

from __future__ import annotations

from pathlib import Path

from pyspark import SparkConf
from pyspark.sql import SparkSession

from spark_jobs.session import (
    CODEGEN_DEFAULTS,
    JIT_JAVA_OPTIONS,
    STACK_JAVA_OPTIONS,
    LocalSessionSettings,
    codegen_defaults_for,
    local_session_conf,
    read_properties,
)

REPO = Path(__file__).resolve().parent.parent


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
