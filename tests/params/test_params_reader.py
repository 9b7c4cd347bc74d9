"""Reading the files a dataset with parameters matched, as one dataset, with each row's source
file (``$filepath``) and its position in that file (``$sourcerownumber``) in hidden columns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from params_helpers import write_tree
from pyspark.sql import SparkSession

from spark_jobs import metadata_columns
from spark_jobs.io.sources import read_dataset
from spark_jobs.spec.models import ImportedDataset

METADATA = {"$filepath", "$sourcerownumber"}


def csv_dataset(uri: str) -> ImportedDataset:
    return ImportedDataset.model_validate(
        {"id": 1, "name": "pos", "uri": uri, "format": "csv", "options": {"header": True}}
    )


def numbered(label: str, rows: int) -> str:
    """A CSV whose n-th data row is ``label,n`` (its $sourcerownumber is n)."""
    return "src,n\n" + "".join(f"{label},{i}\n" for i in range(1, rows + 1))


def hidden_rows(spark: SparkSession, uris: list[str]) -> list[tuple[str, int, str, int]]:
    df = read_dataset(spark, csv_dataset("unused"), uris=uris, metadata=METADATA)
    rows = df.select(
        "src", "n", metadata_columns.FILEPATH, metadata_columns.SOURCE_ROW_NUMBER
    ).collect()
    return [(r.src, int(r.n), r[2], r[3]) for r in rows]


def file_uri(path: Path) -> str:
    return f"file://{path}"


def test_each_row_knows_its_file_and_position_across_files(
    spark: SparkSession, tmp_path: Path
) -> None:
    sizes = {"a": 3, "b": 1, "c": 5}
    write_tree(tmp_path, {f"{name}.csv": numbered(name, n) for name, n in sizes.items()})
    rows = hidden_rows(spark, [file_uri(tmp_path / f"{name}.csv") for name in sizes])
    assert len(rows) == sum(sizes.values())
    for src, n, filepath, row_number in rows:
        assert filepath == f"file:{tmp_path}/{src}.csv"
        assert row_number == n


@pytest.fixture()
def small_splits(spark: SparkSession) -> Iterator[None]:
    """Split files every 4 KiB, so that one file is read by many tasks."""
    keys = {"spark.sql.files.maxPartitionBytes": "4096", "spark.sql.files.openCostInBytes": "0"}
    previous = {key: spark.conf.get(key) for key in keys}
    for key, value in keys.items():
        spark.conf.set(key, value)
    yield
    for key, value in previous.items():
        spark.conf.set(key, value)


@pytest.mark.usefixtures("small_splits")
def test_row_numbers_hold_when_a_file_is_read_in_many_splits(
    spark: SparkSession, tmp_path: Path
) -> None:
    write_tree(
        tmp_path,
        {
            "big.csv": numbered("big", 4000),
            "small.csv": numbered("small", 7),
            "mid.csv": numbered("mid", 900),
        },
    )
    uris = [file_uri(tmp_path / name) for name in ("big.csv", "small.csv", "mid.csv")]
    scan = read_dataset(spark, csv_dataset("unused"), uris=uris)
    assert scan.rdd.getNumPartitions() > 10  # the big file really is read in splits
    rows = hidden_rows(spark, uris)
    assert len(rows) == 4907
    wrong = [(src, n, number) for src, n, _, number in rows if number != n]
    assert wrong == []


def test_files_with_spaces_and_glob_characters_are_read_as_they_are(
    spark: SparkSession, tmp_path: Path
) -> None:
    names = ["x [1].csv", "x {2}.csv", "x 3*.csv"]
    write_tree(tmp_path, {f"a b/{name}": numbered(name, 2) for name in names})
    write_tree(tmp_path, {"a b/x 1.csv": numbered("decoy", 2)})  # what x [1] would glob to
    rows = hidden_rows(spark, [file_uri(tmp_path / "a b" / name) for name in names])
    assert sorted((src, n) for src, n, _, _ in rows) == sorted(
        (name, i) for name in names for i in (1, 2)
    )


def test_many_local_files_are_read_in_one_go(spark: SparkSession, tmp_path: Path) -> None:
    key = "spark.sql.sources.parallelPartitionDiscovery.threshold"
    before = spark.conf.get(key)
    write_tree(tmp_path, {f"p{i:03d}.csv": numbered(f"p{i:03d}", 1) for i in range(120)})
    uris = [file_uri(tmp_path / f"p{i:03d}.csv") for i in range(120)]
    df = read_dataset(spark, csv_dataset("unused"), uris=uris)
    assert df.count() == 120
    assert spark.conf.get(key) == before
