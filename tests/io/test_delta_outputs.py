"""Delta outputs for real (delta-spark from `make jars`): create, append and overwrite as Delta
versions, read back with Spark's time travel and with an independent reader of the _delta_log
(tests/io/delta_log.py: commit files replayed, Parquet read by pyarrow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import delta_log
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_jobs.errors import OutputError
from spark_jobs.io import delta
from spark_jobs.io.outputs import CommittedOutput, OutputCommitter
from spark_jobs.runner.app import run_command
from spark_jobs.session import JVM_EXTRA_CLASSES, has_jvm_class, spark_line
from spark_jobs.spec import WriteSetting

REPO = Path(__file__).resolve().parents[2]
SCHEMA = "id BIGINT, name STRING, amount DOUBLE"
ROWS_A = [(1, "a", 1.5), (2, "b", None), (3, None, -2.0)]
ROWS_B = [(10, "x", 10.0), (11, "y", 11.0)]


def frame(spark: SparkSession, rows: list[tuple[Any, ...]], schema: str = SCHEMA) -> DataFrame:
    return spark.createDataFrame(rows, schema).repartition(2)


def as_dicts(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    names = [c.split()[0] for c in SCHEMA.split(", ")]
    return sorted(
        (dict(zip(names, r, strict=True)) for r in rows),
        key=lambda r: tuple(str(v) for v in r.values()),
    )


def spark_rows(spark: SparkSession, path: Path, version: int | None = None) -> list[dict[str, Any]]:
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    rows = [r.asDict() for r in reader.load(str(path)).collect()]
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


def write(
    spark: SparkSession, df: DataFrame, path: Path, action: str, job_group_id: int
) -> CommittedOutput:
    committer = OutputCommitter(spark, job_group_id)
    committer.stage(df, WriteSetting(path=path.as_uri(), action=action, format="delta"), 0)
    return committer.commit()[0]


def test_create_writes_version_0_and_a_taken_path_gets_the_parallel_name(
    spark: SparkSession, tmp_path: Path
) -> None:
    target = tmp_path / "orders"
    first = write(spark, frame(spark, ROWS_A), target, "create", 201)
    second = write(spark, frame(spark, ROWS_B), target, "create", 202)

    parallel = tmp_path / "orders_202"
    assert first.path == target.as_uri() and second.path == parallel.as_uri()
    assert first.delta_version == 0 and second.delta_version == 0
    assert delta_log.commits(target) == [0] and delta_log.commits(parallel) == [0]
    assert delta_log.rows(target) == as_dicts(ROWS_A) == spark_rows(spark, target)
    assert delta_log.rows(parallel) == as_dicts(ROWS_B) == spark_rows(spark, parallel)
    # the result lists exactly the data files of the version written, with their sizes
    assert sorted(f.path for f in first.files) == sorted(
        p.as_uri() for p in delta_log.live_files(target, 0)
    )
    assert first.bytes == sum(p.stat().st_size for p in delta_log.live_files(target, 0))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_append_adds_a_version_and_time_travel_still_sees_the_first(
    spark: SparkSession, tmp_path: Path
) -> None:
    target = tmp_path / "orders"
    first = write(spark, frame(spark, ROWS_A), target, "append", 301)  # creates the table
    second = write(spark, frame(spark, ROWS_B), target, "append", 302)

    assert (first.delta_version, second.delta_version) == (0, 1)
    assert second.path == target.as_uri()
    both = as_dicts(ROWS_A + ROWS_B)
    assert delta_log.rows(target, 1) == both == spark_rows(spark, target)
    assert delta_log.rows(target, 0) == as_dicts(ROWS_A) == spark_rows(spark, target, 0)
    # the second result lists only the files version 1 added
    assert {f.path for f in second.files}.isdisjoint({f.path for f in first.files})
    added = [p.as_uri() for p in delta_log.live_files(target, 1)]
    assert {f.path for f in second.files} | {f.path for f in first.files} == set(added)
    # every commit names the job group that made it
    assert delta_log.commit_info(target, 1)["userMetadata"].startswith(
        "spark_jobs jobGroup=302 output=0 "
    )


def test_overwrite_replaces_rows_and_schema_in_one_version_keeping_the_old_one(
    spark: SparkSession, tmp_path: Path
) -> None:
    target = tmp_path / "orders"
    write(spark, frame(spark, ROWS_A), target, "overwrite", 401)  # creates the table
    new_schema = "id BIGINT, label STRING"
    second = write(spark, frame(spark, [(7, "seven")], new_schema), target, "overwrite", 402)

    assert second.delta_version == 1
    assert delta_log.commits(target) == [0, 1]
    assert delta_log.rows(target) == [{"id": 7, "label": "seven"}] == spark_rows(spark, target)
    assert delta_log.schema_names(target) == ["id", "label"]
    assert delta_log.rows(target, 0) == as_dicts(ROWS_A) == spark_rows(spark, target, 0)
    assert delta_log.commit_info(target, 1)["operationParameters"]["mode"] == "Overwrite"


def test_a_failing_overwrite_leaves_the_table_at_its_version(
    spark: SparkSession, tmp_path: Path
) -> None:
    target = tmp_path / "orders"
    write(spark, frame(spark, ROWS_A), target, "create", 501)
    # a task fails in the middle of writing: some part files may exist, no commit does
    failing = frame(spark, ROWS_B).withColumn(
        "name", F.when(F.col("id") == 11, F.raise_error(F.lit("boom"))).otherwise(F.col("name"))
    )

    with pytest.raises(OutputError, match="boom"):
        write(spark, failing, target, "overwrite", 502)

    assert delta_log.commits(target) == [0]
    assert delta_log.rows(target) == as_dicts(ROWS_A) == spark_rows(spark, target)


def test_nothing_is_written_before_the_commit_phase(spark: SparkSession, tmp_path: Path) -> None:
    target = tmp_path / "orders"
    committer = OutputCommitter(spark, 601)
    committer.stage(
        frame(spark, ROWS_A), WriteSetting(path=str(target), action="create", format="delta"), 0
    )
    assert not target.exists()
    committer.abort()
    assert list(tmp_path.iterdir()) == []


def test_a_later_output_failing_undoes_the_delta_versions_already_written(
    spark: SparkSession, tmp_path: Path
) -> None:
    existing = tmp_path / "existing"
    write(spark, frame(spark, ROWS_A), existing, "create", 701)
    fresh = tmp_path / "fresh"
    failing = frame(spark, ROWS_B).withColumn(
        "name", F.when(F.col("id") > 0, F.raise_error(F.lit("late failure"))).otherwise("x")
    )
    committer = OutputCommitter(spark, 702)
    committer.stage(
        frame(spark, ROWS_B),
        WriteSetting(path=str(existing), action="overwrite", format="delta"),
        0,
    )
    committer.stage(
        frame(spark, ROWS_B), WriteSetting(path=str(fresh), action="create", format="delta"), 1
    )
    committer.stage(
        failing, WriteSetting(path=str(tmp_path / "bad"), action="create", format="delta"), 2
    )

    with pytest.raises(OutputError, match="late failure"):
        committer.commit()

    # the overwritten table is restored (a new version with the old rows), the new one removed
    assert delta_log.rows(existing) == as_dicts(ROWS_A) == spark_rows(spark, existing)
    assert (
        delta_log.commit_info(existing, delta_log.commits(existing)[-1])["operation"] == "RESTORE"
    )
    assert not fresh.exists()


def test_append_refuses_a_path_that_is_not_a_delta_table_and_a_different_schema(
    spark: SparkSession, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    frame(spark, ROWS_A).write.parquet(str(plain))
    table = tmp_path / "table"
    write(spark, frame(spark, ROWS_A), table, "create", 801)
    committer = OutputCommitter(spark, 802)

    with pytest.raises(OutputError, match=r"not a Delta table \(it has no _delta_log\)"):
        committer.stage(
            frame(spark, ROWS_B), WriteSetting(path=str(plain), action="append", format="delta"), 0
        )
    other = spark.createDataFrame([(1, 2)], "id STRING, extra INT")
    with pytest.raises(OutputError) as caught:
        committer.stage(other, WriteSetting(path=str(table), action="append", format="delta"), 1)
    assert "column id is string in the results, bigint in the table" in str(caught.value)
    assert "column extra (int) is not in the table" in str(caught.value)
    # names that need column mapping are not in a table without it
    spaced = spark.createDataFrame([(1,)], "`order id` BIGINT")
    with pytest.raises(OutputError, match=r"column order id \(bigint\) is not in the table"):
        committer.stage(spaced, WriteSetting(path=str(table), action="append", format="delta"), 2)
    committer.abort()
    assert delta_log.commits(table) == [0]


# --- column names Parquet refuses: column mapping --------------------------------------------

SPECIAL = "`order id` BIGINT, `a,b` STRING, `x;y` DOUBLE"
SPECIAL_NAMES = ["order id", "a,b", "x;y"]
MAPPING = "delta.columnMapping.mode"


def named(rows: list[tuple[Any, ...]], names: list[str]) -> list[dict[str, Any]]:
    return sorted(
        (dict(zip(names, r, strict=True)) for r in rows),
        key=lambda r: tuple(str(v) for v in r.values()),
    )


def test_plain_names_keep_the_default_protocol_and_no_column_mapping(
    spark: SparkSession, tmp_path: Path
) -> None:
    target = tmp_path / "plain"
    write(spark, frame(spark, ROWS_A), target, "create", 901)
    write(spark, frame(spark, ROWS_B), target, "overwrite", 902)
    assert delta_log.protocol(target) == (1, 2)
    assert MAPPING not in delta_log.metadata(target)["configuration"]


def test_special_names_create_append_and_overwrite_with_column_mapping(
    spark: SparkSession, tmp_path: Path
) -> None:
    target = tmp_path / "special"
    created = write(spark, frame(spark, ROWS_A, SPECIAL), target, "create", 911)
    appended = write(spark, frame(spark, ROWS_B, SPECIAL), target, "append", 912)
    other = "`new col` BIGINT, `p(q)=r` STRING, `t\tu{v}` BOOLEAN"
    other_rows = [(5, "five", True), (6, None, False)]
    replaced = write(spark, frame(spark, other_rows, other), target, "overwrite", 913)

    assert (created.delta_version, appended.delta_version, replaced.delta_version) == (0, 1, 2)
    # what Delta documents for such names: mapping by name, reader 2 / writer 5
    assert delta_log.protocol(target) == (2, 5)
    assert delta_log.metadata(target)["configuration"][MAPPING] == "name"
    assert delta_log.schema_names(target, 0) == SPECIAL_NAMES
    # the data files hold physical names; both readers give the logical ones
    assert named(ROWS_A, SPECIAL_NAMES) == delta_log.rows(target, 0) == spark_rows(spark, target, 0)
    both = named(ROWS_A + ROWS_B, SPECIAL_NAMES)
    assert both == delta_log.rows(target, 1) == spark_rows(spark, target, 1)
    latest = named(other_rows, ["new col", "p(q)=r", "t\tu{v}"])
    assert latest == delta_log.rows(target) == spark_rows(spark, target)
    assert delta_log.commit_info(target, 2)["operationParameters"]["mode"] == "Overwrite"
    assert sorted(f.path for f in replaced.files) == sorted(
        p.as_uri() for p in delta_log.live_files(target, 2)
    )


def test_overwriting_a_plain_table_with_special_names_turns_mapping_on_in_one_version(
    spark: SparkSession, tmp_path: Path
) -> None:
    target = tmp_path / "plain_then_special"
    write(spark, frame(spark, ROWS_A), target, "create", 921)
    replaced = write(spark, frame(spark, ROWS_B, SPECIAL), target, "overwrite", 922)

    assert replaced.delta_version == 1 and delta_log.commits(target) == [0, 1]
    assert delta_log.protocol(target, 0) == (1, 2) and delta_log.protocol(target) == (2, 5)
    assert delta_log.metadata(target)["configuration"][MAPPING] == "name"
    assert named(ROWS_B, SPECIAL_NAMES) == delta_log.rows(target) == spark_rows(spark, target)
    # time travel to the plain version still works
    assert delta_log.rows(target, 0) == as_dicts(ROWS_A) == spark_rows(spark, target, 0)
    assert delta_log.commit_info(target, 1)["userMetadata"].startswith(
        "spark_jobs jobGroup=922 output=0 "
    )
    # appending to a missing path creates the table with mapping too
    fresh = tmp_path / "fresh"
    first = write(spark, frame(spark, ROWS_A, SPECIAL), fresh, "append", 923)
    assert first.delta_version == 0 and delta_log.protocol(fresh) == (2, 5)
    assert spark_rows(spark, fresh) == named(ROWS_A, SPECIAL_NAMES)


def test_undoing_the_overwrite_that_turned_mapping_on_restores_the_plain_table(
    spark: SparkSession, tmp_path: Path
) -> None:
    """What the committer does when a later output fails: RESTORE to the version before."""
    target = tmp_path / "undo"
    write(spark, frame(spark, ROWS_A), target, "create", 941)
    commit = delta.write(spark, frame(spark, ROWS_B, SPECIAL), str(target), "overwrite", tag="t")
    assert (commit.version, commit.previous_version) == (1, 0)

    delta.undo(spark, commit)

    assert delta_log.commit_info(target, 2)["operation"] == "RESTORE"
    assert delta_log.rows(target) == as_dicts(ROWS_A) == spark_rows(spark, target)
    assert delta_log.schema_names(target) == ["id", "name", "amount"]


def test_nested_field_names_need_column_mapping_too(spark: SparkSession, tmp_path: Path) -> None:
    schema = "id BIGINT, info STRUCT<`first name`: STRING, `a=b`: INT>"
    df = spark.createDataFrame([(1, ("ann", 2)), (2, None)], schema)
    assert delta.special_names(df.schema) == ["first name", "a=b"]
    target = tmp_path / "nested"
    write(spark, df, target, "create", 931)
    assert delta_log.protocol(target) == (2, 5)
    back = spark.read.format("delta").load(str(target)).orderBy("id").collect()
    assert [r.asDict(recursive=True) for r in back] == [
        {"id": 1, "info": {"first name": "ann", "a=b": 2}},
        {"id": 2, "info": None},
    ]


def test_column_mapping_properties_only_raise_the_protocol() -> None:
    assert delta.column_mapping_properties() == {
        MAPPING: "name",
        "delta.minReaderVersion": "2",
        "delta.minWriterVersion": "5",
    }
    assert delta.column_mapping_properties((1, 2)) == delta.column_mapping_properties()
    assert delta.column_mapping_properties((3, 7)) == {MAPPING: "name"}
    assert delta.column_mapping_properties((2, 4)) == {
        MAPPING: "name",
        "delta.minWriterVersion": "5",
    }


# --- the jar -------------------------------------------------------------------------------------


def test_the_probe_finds_delta_in_this_session_and_names_what_is_missing(
    spark: SparkSession,
) -> None:
    conf = delta.session_delta_conf(spark)
    present = has_jvm_class(spark, JVM_EXTRA_CLASSES["delta-spark"])
    assert present and delta.delta_support_problem(present, conf) is None
    delta.require_delta(spark)  # does not raise
    # the release pinned for the installed Spark line (4.0.1 on Spark 4, 3.3.3 on Spark 3.5)
    assert delta.delta_library_version(spark) == delta.DELTA_RELEASES[spark_line()][1]

    absent = has_jvm_class(spark, "io.delta.tables.NoSuchTableClass")
    problem = delta.delta_support_problem(absent, conf)
    assert problem is not None
    assert delta.delta_coordinate() in problem and "io.delta.tables.DeltaTable" in problem
    without_extension = {**conf, "spark.sql.extensions": None}
    problem = delta.delta_support_problem(present, without_extension)
    assert problem is not None
    assert "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension" in problem
    assert (
        "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog" in problem
    )


def job_spec(source: Path, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "jobGroup": {
            "wrangledDataset": {"id": 7},
            "overrides": {"execution": "spark", "profiler": False, "writeSettings": outputs},
        },
        "flow": {
            "importedDatasets": [
                {"id": 1, "name": "orders", "uri": source.as_uri(), "format": "parquet"}
            ],
            "wrangledDatasets": [
                {
                    "id": 7,
                    "name": "orders_clean",
                    "input": {"importedDataset": {"id": 1}},
                    "recipe": [],
                }
            ],
        },
    }


def test_the_result_json_records_the_delta_version_of_each_run(
    spark: SparkSession, tmp_path: Path
) -> None:
    source = tmp_path / "orders.parquet"
    frame(spark, ROWS_A).write.parquet(str(source))
    target = tmp_path / "out" / "orders_delta"
    spec = tmp_path / "job.json"
    spec.write_text(
        json.dumps(
            job_spec(
                source,
                [
                    {"path": str(target), "action": "append", "format": "delta"},
                    {
                        "path": str(tmp_path / "out" / "orders.csv"),
                        "action": "overwrite",
                        "format": "csv",
                    },
                ],
            )
        )
    )
    store = tmp_path / "store"
    outputs = []
    for _ in range(2):
        result_file = tmp_path / "result.json"
        code = run_command(
            str(spec),
            session=lambda extras: spark,
            job_store=str(store),
            result_file=str(result_file),
            out=open(os.devnull, "w"),
            err=open(os.devnull, "w"),
            progress=False,
        )
        assert code == 0
        result = json.loads(result_file.read_text())
        writer = next(j for j in result["jobs"] if j["type"] == "filewriter")
        outputs.append(writer["outputs"])

    assert [o[0]["deltaVersion"] for o in outputs] == [0, 1]
    assert [o[1]["deltaVersion"] for o in outputs] == [None, None]
    assert outputs[1][0]["format"] == "delta" and outputs[1][0]["rowCount"] == 3
    assert outputs[1][0]["path"] == target.as_uri()
    assert sorted(f["path"] for f in outputs[1][0]["files"]) == sorted(
        p.as_uri()
        for p in set(delta_log.live_files(target, 1)) - set(delta_log.live_files(target, 0))
    )
    assert delta_log.rows(target, 1) == as_dicts(ROWS_A + ROWS_A)


@pytest.mark.slow
def test_without_the_jar_a_delta_output_fails_with_exit_2_naming_it(tmp_path: Path) -> None:
    """A real session started without the JVM extras (an empty classpath file)."""
    source = tmp_path / "orders.csv"
    source.write_text("id,name\n1,a\n")
    spec = tmp_path / "job.json"
    document = job_spec(
        source, [{"path": str(tmp_path / "out"), "action": "create", "format": "delta"}]
    )
    document["flow"]["importedDatasets"][0]["format"] = "csv"
    spec.write_text(json.dumps(document))
    empty = tmp_path / "empty.classpath"
    empty.write_text("")
    env = {
        **os.environ,
        "SPARK_JOBS_CLASSPATH": str(empty),
        "PYSPARK_PYTHON": sys.executable,
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "spark_jobs.cli",
            "run",
            str(spec),
            "--job-store",
            str(tmp_path / "store"),
            "--master",
            "local[1]",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert delta.delta_coordinate() in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
