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

import pytest

from scripts.cluster import build_pyfiles_zip
from spark_jobs import __version__
from spark_jobs.entrypoints.run_job import build_parser
from spark_jobs.io.delta import DELTA_RELEASES
from spark_jobs.session import DELTA_CONF, PRODUCT_RUNTIME_CONF, read_properties

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
    spark35 = pom_profile("spark-3.5")
    jars = options["--jars"][0].split(",")
    assert f"spark-avro_{spark35['scala.binary']}-{spark35['spark.version']}.jar" in {
        Path(j).name for j in jars
    }


def test_databricks_job_runs_run_job_from_the_wheel() -> None:
    job = json.loads(DATABRICKS_JOB.read_text())
    (task,) = job["tasks"]
    python_task = task["spark_python_task"]
    assert python_task["python_file"].endswith("/run_job.py")
    args = build_parser().parse_args(python_task["parameters"])
    assert args.spec.endswith(".json") and args.result
    wheels = [Path(lib["whl"]).name for lib in task["libraries"] if "whl" in lib]
    assert wheels == [f"spark_jobs-{__version__}-py3-none-any.whl"]
    for key, value in PRODUCT_RUNTIME_CONF.items():
        assert task["new_cluster"]["spark_conf"][key] == value, key
    # a 3.5 runtime (Scala 2.12): the line constraints-spark35.txt and the pom's profile cover
    assert task["new_cluster"]["spark_version"].endswith("scala2.12")


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
