"""Imported datasets are read as the platform imports them, in every source format."""

from __future__ import annotations

import json
from pathlib import Path

import fastavro
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from chispa import assert_df_equality
from pyspark.sql import SparkSession

from spark_jobs import metadata_columns
from spark_jobs.errors import InputDataError
from spark_jobs.io.sources import platform_column_names, read_dataset
from spark_jobs.spec import ImportedDataset


def dataset(uri: Path | str, fmt: str, **options: object) -> ImportedDataset:
    return ImportedDataset.model_validate(
        {"id": 1, "name": "src", "uri": str(uri), "format": fmt, "options": options}
    )


def test_csv_keeps_every_value_as_imported(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('id,price,note\n007,3.50,"say ""hi"", ok"\n8,abc,\n')
    df = read_dataset(spark, dataset(path, "csv", header=True))
    expected = spark.createDataFrame(
        [("007", "3.50", 'say "hi", ok'), ("8", "abc", None)],
        "id string, price string, note string",
    )
    assert_df_equality(df, expected, ignore_nullable=True)


def test_csv_without_header_gets_platform_column_names(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("x;1\ny;2\n")
    df = read_dataset(spark, dataset(path, "csv", header=False, delimiter=";"))
    assert df.columns == ["column1", "column2"]
    assert [tuple(r) for r in df.collect()] == [("x", "1"), ("y", "2")]


def test_blank_and_repeated_header_names() -> None:
    assert platform_column_names(["a", "", "a", "_c3", "A"]) == [
        "a",
        "column2",
        "a_2",
        "column4",
        "A_3",
    ]


def test_text_is_one_column_per_line(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("first line\nsecond, with comma\n")
    df = read_dataset(spark, dataset(path, "text"))
    assert df.columns == ["column1"]
    assert [r[0] for r in df.collect()] == ["first line", "second, with comma"]


def test_json_lines_and_multiline(spark: SparkSession, tmp_path: Path) -> None:
    lines = tmp_path / "l.json"
    lines.write_text('{"a": 1, "b": "x"}\n{"a": 2, "b": null}\n')
    assert sorted(tuple(r) for r in read_dataset(spark, dataset(lines, "json")).collect()) == [
        (1, "x"),
        (2, None),
    ]
    doc = tmp_path / "d.json"
    doc.write_text(json.dumps([{"a": 1}, {"a": 2}], indent=2))
    assert sorted(
        r.a for r in read_dataset(spark, dataset(doc, "json", multiLine=True)).collect()
    ) == [1, 2]


def test_parquet_and_avro_keep_their_types(spark: SparkSession, tmp_path: Path) -> None:
    table = pa.table({"id": pa.array([1, 2], pa.int64()), "name": ["a", "b"]})
    pq.write_table(table, tmp_path / "p.parquet")
    schema = fastavro.parse_schema(
        {
            "type": "record",
            "name": "r",
            "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"}],
        }
    )
    with (tmp_path / "a.avro").open("wb") as handle:
        fastavro.writer(handle, schema, [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])
    for name, fmt in (("p.parquet", "parquet"), ("a.avro", "avro")):
        df = read_dataset(spark, dataset(tmp_path / name, fmt))
        assert [(f.name, f.dataType.simpleString()) for f in df.schema.fields] == [
            ("id", "bigint"),
            ("name", "string"),
        ]
        assert sorted(tuple(r) for r in df.collect()) == [(1, "a"), (2, "b")]


def test_many_files_and_filepath_metadata(spark: SparkSession, tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    for n in range(3):
        (folder / f"p{n}.csv").write_text("v\n" + "".join(f"{n}-{i}\n" for i in range(4)))
    df = read_dataset(
        spark, dataset(folder, "csv", header=True), metadata={"$filepath", "$sourcerownumber"}
    )
    rows = df.select("v", metadata_columns.FILEPATH, metadata_columns.SOURCE_ROW_NUMBER).collect()
    assert len(rows) == 12
    for row in rows:
        n, i = row.v.split("-")
        assert row[metadata_columns.FILEPATH].endswith(f"/p{n}.csv")
        assert row[metadata_columns.SOURCE_ROW_NUMBER] == int(i) + 1


def test_unreadable_source_is_a_clear_error(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "not.parquet"
    path.write_text("this is not parquet")
    with pytest.raises(InputDataError, match="imported dataset 'src' \\(parquet\\) cannot be read"):
        read_dataset(spark, dataset(path, "parquet"))


def test_paths_with_spaces_and_brackets_are_read_and_written_as_spelled(
    spark: SparkSession, tmp_path: Path
) -> None:
    from spark_jobs.io.outputs import OutputCommitter
    from spark_jobs.spec import WriteSetting

    folder = tmp_path / "my data [2024]"
    folder.mkdir()
    source = folder / "in file.csv"
    source.write_text("a\n1\n2\n")
    df = read_dataset(spark, dataset(source, "csv", header=True))
    target = folder / "out file.csv"
    committer = OutputCommitter(spark, 1)
    committer.stage(
        df, WriteSetting(path=str(target), action="create", format="csv", asSingleFile=True), 0
    )
    out = committer.commit()[0]
    assert target.read_text() == "1\n2\n"
    assert out.path == f"file://{target}"
