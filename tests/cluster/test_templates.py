"""The cluster templates (scripts/emr-step.json, scripts/databricks-job.json, conf/spark-defaults.*)
and the --py-files zip agree with the code they start: no Spark needed, so these run everywhere."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator
from databricks.sdk.service.jobs import JobSettings

from scripts.cluster import build_pyfiles_zip
from spark_jobs import __version__
from spark_jobs.entrypoints.run_job import build_parser
from spark_jobs.io.delta import DELTA_RELEASES
from spark_jobs.session import (
    DELTA_CONF,
    JVM_EXTRA_CLASSES,
    PRODUCT_RUNTIME_CONF,
    read_properties,
)

REPO = Path(__file__).resolve().parents[2]
EMR_STEP = REPO / "scripts" / "emr-step.json"
DATABRICKS_JOB = REPO / "scripts" / "databricks-job.json"
CLUSTER_DOC = (REPO / "docs" / "cluster.md").read_text()
PLACEHOLDER = re.compile(r"<[A-Z_]+>")


def pom_profile(profile_id: str) -> dict[str, str]:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    root = ET.parse(REPO / "conf" / "jars" / "pom.xml").getroot()
    for profile in root.iterfind("m:profiles/m:profile", ns):
        if profile.findtext("m:id", namespaces=ns) == profile_id:
            props = profile.find("m:properties", ns)
            assert props is not None
            return {child.tag.split("}")[1]: child.text or "" for child in props}
    raise AssertionError(f"no profile {profile_id}")


def constraint(name: str, path: Path) -> str:
    for line in path.read_text().splitlines():
        if line.startswith(f"{name}=="):
            return line.split("==", 1)[1]
    raise AssertionError(f"{name} not pinned in {path.name}")


#: jars an EMR 7 cluster has, where the EMR Release Guide says they are:
#: Delta Lake 3 ("Use a Delta Lake cluster with Spark", Deltausing-cluster-spark.html: 7.0.0 and
#: later use delta-spark.jar instead of delta-core.jar, with delta-storage.jar), spark-avro
#: ("Work with a Hudi dataset", emr-hudi-work-with-dataset.html: --jars
#: /usr/lib/spark/external/lib/spark-avro.jar). S3 needs none: s3:// is EMRFS (S3A from 7.10 on,
#: emr-s3a-migrate.html) and S3A is part of EMR's Hadoop, so no hadoop-aws or AWS SDK jar.
EMR7_ON_CLUSTER = {
    "/usr/share/aws/delta/lib/delta-spark.jar": "delta-spark",
    "/usr/share/aws/delta/lib/delta-storage.jar": "delta-storage",
    "/usr/lib/spark/external/lib/spark-avro.jar": "spark-avro",
}
#: the keys `aws emr add-steps --steps` JSON items may have (the AWS CLI's STEPS_SCHEMA,
#: awscli/customizations/emr/argumentschema.py) and its step types
#: ours, not EMR's: the profile's jar for the cluster's Spark line (Makefile: `make dist` puts
#: .jars/spark-jobs-profile-3.5.jar into dist/), uploaded next to the package
PROFILE_JAR_35 = "spark-jobs-profile-3.5.jar"
CLI_STEP_KEYS = {"Type", "Name", "ActionOnFailure", "Jar", "Args", "MainClass", "Properties"}
CLI_STEP_TYPES = {"CUSTOM_JAR", "STREAMING", "HIVE", "PIG", "IMPALA", "SPARK"}


def add_steps_request(cli_steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The AddJobFlowSteps request `aws emr add-steps --cluster-id j-... --steps file://...` sends
    for a release-label cluster: a Spark step becomes command-runner.jar running `spark-submit`
    with the step's Args (awscli/customizations/emr/steputils.py, build_spark_step; its
    defaults: name "Spark application", ActionOnFailure CONTINUE)."""
    steps = []
    for step in cli_steps:
        unknown = set(step) - CLI_STEP_KEYS
        assert not unknown, f"keys the AWS CLI does not know: {sorted(unknown)}"
        kind = str(step.get("Type", "CUSTOM_JAR")).upper()
        assert kind in CLI_STEP_TYPES, kind
        assert kind == "SPARK", "only Spark steps are translated here"
        steps.append(
            {
                "Name": step.get("Name", "Spark application"),
                "ActionOnFailure": step.get("ActionOnFailure", "CONTINUE"),
                "HadoopJarStep": {
                    "Jar": "command-runner.jar",
                    "Args": ["spark-submit", *step["Args"]],
                },
            }
        )
    return {"JobFlowId": "j-1ABCDEFGHIJKL", "Steps": steps}


def emr_request_problems(request: dict[str, Any]) -> list[str]:
    """Problems of an AddJobFlowSteps request against botocore's EMR service model: its own
    ParamValidator (required members, types), plus the enums and maximum lengths the model
    declares (which ParamValidator leaves to the service)."""
    model = botocore.session.get_session().get_service_model("emr")
    shape = model.operation_model("AddJobFlowSteps").input_shape
    report = ParamValidator().validate(request, shape)
    problems = [line for line in report.generate_report().splitlines() if line.strip()]

    def walk(value: Any, node: Any, where: str) -> None:
        if node.type_name == "structure" and isinstance(value, dict):
            for key, item in value.items():
                if key in node.members:
                    walk(item, node.members[key], f"{where}.{key}")
        elif node.type_name == "list" and isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, node.member, f"{where}[{i}]")
        elif node.type_name == "string" and isinstance(value, str):
            if node.enum and value not in node.enum:
                problems.append(f"{where}: {value!r} is not one of {node.enum}")
            maximum = node.metadata.get("max")
            if maximum is not None and len(value) > maximum:
                problems.append(f"{where}: longer than {maximum} characters")

    walk(request, shape, "request")
    return problems


def split_spark_submit(args: list[str]) -> tuple[dict[str, list[str]], str, list[str]]:
    """spark-submit options (every one takes a value), the application file, its arguments."""
    options: dict[str, list[str]] = {}
    i = 0
    while args[i].startswith("--"):
        options.setdefault(args[i], []).append(args[i + 1])
        i += 2
    return options, args[i], args[i + 1 :]


def test_emr_step_submits_run_job_with_the_package_and_the_35_jars() -> None:
    steps = json.loads(EMR_STEP.read_text())
    assert isinstance(steps, list) and len(steps) == 1
    step = steps[0]
    assert step["Type"] == "Spark" and step["ActionOnFailure"] in {"CONTINUE", "CANCEL_AND_WAIT"}
    options, app, app_args = split_spark_submit(step["Args"])
    assert app.endswith("/run_job.py")
    assert options["--py-files"][0].endswith("/spark_jobs.zip")
    args = build_parser().parse_args(app_args)
    # cluster deploy mode: --files puts the spec in the driver's working folder under its name
    assert options["--deploy-mode"] == ["cluster"]
    assert [Path(f).name for f in options["--files"]] == [args.spec]
    assert args.job_store.startswith("s3://")
    conf = dict(c.split("=", 1) for c in options["--conf"])
    for key, value in {**PRODUCT_RUNTIME_CONF, **DELTA_CONF}.items():
        assert conf[key] == value, key
    # every JVM extra but ours is a jar EMR 7 itself installs (versions match EMR's Spark); the
    # profile's jar is uploaded next to the package
    jars = options["--jars"][0].split(",")
    ours = [j for j in jars if j not in EMR7_ON_CLUSTER]
    assert ours == [options["--py-files"][0].rsplit("/", 1)[0] + "/" + PROFILE_JAR_35]
    assert ours[0].startswith("s3://")
    on_cluster = [EMR7_ON_CLUSTER[j] for j in jars if j in EMR7_ON_CLUSTER]
    assert sorted(on_cluster) == ["delta-spark", "delta-storage", "spark-avro"]


def test_the_emr_step_is_a_valid_add_job_flow_steps_request_for_botocore() -> None:
    steps = json.loads(EMR_STEP.read_text())
    request = add_steps_request(steps)
    assert emr_request_problems(request) == []
    (step,) = request["Steps"]
    assert step["HadoopJarStep"]["Args"][:3] == ["spark-submit", "--deploy-mode", "cluster"]
    # the check is real: what the service would refuse, it reports
    broken = json.loads(json.dumps(request))
    broken["Steps"][0]["ActionOnFailure"] = "ABORT"
    args = broken["Steps"][0]["HadoopJarStep"]["Args"]
    args.append(7)
    del broken["Steps"][0]["Name"]
    problems = "\n".join(emr_request_problems(broken))
    assert 'Missing required parameter in Steps[0]: "Name"' in problems
    assert f"Steps[0].HadoopJarStep.Args[{len(args) - 1}]" in problems
    assert "valid types: <class 'str'>" in problems
    assert "request.Steps[0].ActionOnFailure: 'ABORT' is not one of" in problems
    with pytest.raises(AssertionError, match="keys the AWS CLI does not know"):
        add_steps_request([{**steps[0], "HadoopJarStep": {}}])


def databricks_job_problems(document: dict[str, Any]) -> list[str]:
    """Problems of a Jobs API 2.1 `jobs/create` body, checked with the databricks-sdk's own
    JobSettings dataclasses (the API's schema, generated from its OpenAPI spec): a field the API
    does not know, or an enum value it does not have, does not survive a from_dict / as_dict
    round trip. Plus the fields the API requires for this kind of job."""
    problems = []
    parsed = JobSettings.from_dict(document).as_dict()
    if parsed != document:
        problems.append(f"not a Jobs API 2.1 job: {sorted(_differences(document, parsed))}")
    for i, task in enumerate(document.get("tasks", [])):
        where = f"tasks[{i}]"
        if not task.get("task_key"):
            problems.append(f"{where}.task_key is required")
        python_task = task.get("spark_python_task")
        if python_task is not None and not python_task.get("python_file"):
            problems.append(f"{where}.spark_python_task.python_file is required")
        cluster = task.get("new_cluster")
        if cluster is not None:
            if not cluster.get("spark_version"):
                problems.append(f"{where}.new_cluster.spark_version is required")
            if not (cluster.get("node_type_id") or cluster.get("instance_pool_id")):
                problems.append(f"{where}.new_cluster needs node_type_id or instance_pool_id")
            if "num_workers" not in cluster and "autoscale" not in cluster:
                problems.append(f"{where}.new_cluster needs num_workers or autoscale")
    return problems


def _differences(expected: Any, actual: Any, where: str = "$") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in expected.keys() | actual.keys():
            out += _differences(expected.get(key), actual.get(key), f"{where}.{key}")
        return out
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in _differences(e, a, f"{where}[{i}]")
        ]
    return [] if expected == actual else [where]


def test_the_databricks_job_is_a_valid_jobs_api_21_job() -> None:
    job = json.loads(DATABRICKS_JOB.read_text())
    assert databricks_job_problems(job) == []
    settings = JobSettings.from_dict(job)
    assert settings.tasks is not None
    cluster = settings.tasks[0].new_cluster
    assert cluster is not None and cluster.data_security_mode is not None
    # the check is real: an unknown field, a wrong enum value, a missing file are reported
    broken = json.loads(json.dumps(job))
    task = broken["tasks"][0]
    task["new_cluster"]["data_security_mode"] = "SINGLE"
    task["spark_python_tasks"] = task.pop("spark_python_task")
    task["spark_python_tasks"].pop("python_file")
    del task["new_cluster"]["num_workers"]
    problems = databricks_job_problems(broken)
    assert any(
        "$.tasks[0].new_cluster.data_security_mode" in p and "$.tasks[0].spark_python_tasks" in p
        for p in problems
    ), problems
    assert "tasks[0].new_cluster needs num_workers or autoscale" in problems


def test_databricks_job_runs_run_job_from_the_wheel() -> None:
    job = json.loads(DATABRICKS_JOB.read_text())
    (task,) = job["tasks"]
    python_task = task["spark_python_task"]
    assert python_task["python_file"].endswith("/run_job.py")
    args = build_parser().parse_args(python_task["parameters"])
    assert args.spec.endswith(".json") and args.result
    wheels = [lib["whl"] for lib in task["libraries"] if "whl" in lib]
    assert [Path(w).name for w in wheels] == [f"spark_jobs-{__version__}-py3-none-any.whl"]
    # the profile's jar is a cluster library from the same folder (Delta, Avro, S3: the runtime's)
    jars = [lib["jar"] for lib in task["libraries"] if "jar" in lib]
    assert jars == [str(Path(wheels[0]).parent / PROFILE_JAR_35)]
    for key, value in PRODUCT_RUNTIME_CONF.items():
        assert task["new_cluster"]["spark_conf"][key] == value, key
    # a 3.5 runtime (Scala 2.12): the line constraints-spark35.txt and the pom's profile cover
    assert task["new_cluster"]["spark_version"].endswith("scala2.12")


def test_the_shipped_profile_jar_is_the_one_the_build_makes_and_holds_the_aggregate() -> None:
    """The name the templates use is the Makefile's jar for the 3.5 line; that jar (built by
    `make setup-spark35`, which `make test` runs first) holds the class the session probes."""
    makefile = (REPO / "Makefile").read_text()
    assert "$(JARS_DIR)/spark-jobs-profile-%.jar:" in makefile
    assert "cp $(JARS_DIR)/spark-jobs-profile-3.5.jar" in makefile, "make dist ships the 3.5 jar"
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    root = ET.parse(REPO / "jvm" / "profile" / "pom.xml").getroot()
    ids = {p.findtext("m:id", namespaces=ns) for p in root.iterfind("m:profiles/m:profile", ns)}
    assert "spark-3.5" in ids
    built = REPO / ".jars" / PROFILE_JAR_35
    assert built.is_file(), f"{built} is missing: run `make setup-spark35` (it builds the jar)"
    entry = JVM_EXTRA_CLASSES["spark-jobs-profile"].replace(".", "/") + ".class"
    assert entry in zipfile.ZipFile(built).namelist()
    for template in (EMR_STEP, DATABRICKS_JOB, REPO / "conf" / "spark-defaults.emr.conf"):
        assert f"/spark_jobs/dist/{PROFILE_JAR_35}" in template.read_text(), template.name
    assert PROFILE_JAR_35 in CLUSTER_DOC


def test_every_placeholder_is_explained_in_the_docs() -> None:
    for template in (EMR_STEP, DATABRICKS_JOB):
        for placeholder in set(PLACEHOLDER.findall(template.read_text())):
            assert placeholder in CLUSTER_DOC, f"{placeholder} of {template.name}"


@pytest.mark.parametrize("target", ["", ".standalone", ".emr", ".databricks"])
def test_spark_defaults_carry_the_product_settings(target: str) -> None:
    props = read_properties(REPO / "conf" / f"spark-defaults{target}.conf")
    for key, value in PRODUCT_RUNTIME_CONF.items():
        assert props[key] == value, f"{key} in spark-defaults{target}.conf"
    if target in {".standalone", ".emr"}:
        for key, value in DELTA_CONF.items():
            assert props[key] == value
    if target == ".emr":
        assert props["spark.jars"].split(",") == next(
            o
            for o in [
                a.split(",")
                for a in json.loads(EMR_STEP.read_text())[0]["Args"]
                if a.endswith(".jar")
            ]
        )


def test_delta_releases_in_the_code_match_the_pom() -> None:
    for line, (scala, version) in DELTA_RELEASES.items():
        profile = pom_profile(f"spark-{line}")
        assert (scala, version) == (profile["scala.binary"], profile["delta.version"]), line


def test_spark35_pins_match_the_pom_profile() -> None:
    spark35 = pom_profile("spark-3.5")
    pins = REPO / "constraints-spark35.txt"
    assert constraint("pyspark", pins) == spark35["spark.version"]
    assert constraint("delta-spark", pins) == spark35["delta.version"]
    spark4 = pom_profile("spark-4.0")
    assert constraint("pyspark", REPO / "constraints.txt") == spark4["spark.version"]
    assert constraint("delta-spark", REPO / "constraints.txt") == spark4["delta.version"]


def test_pyfiles_zip_is_reproducible_and_importable(tmp_path: Path) -> None:
    first = build_pyfiles_zip(tmp_path / "a" / "spark_jobs.zip")
    second = build_pyfiles_zip(tmp_path / "b" / "spark_jobs.zip")
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    assert "spark_jobs/entrypoints/run_job.py" in names
    assert any(n.endswith(".lark") for n in names), "package data (the grammar) is missing"
    assert not any("__pycache__" in n for n in names)
    env = {**os.environ, "PYTHONPATH": str(first)}
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import spark_jobs.runner.app, spark_jobs; print(spark_jobs.__file__)",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip().startswith(str(first)), probe.stdout
