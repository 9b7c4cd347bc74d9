"""Compiling real recipes step after step over stand-in data: what the two corpus tests share.

A real recipe ran on data this test does not have. Before each step, the frame is widened by the
columns the step names that it lacks (text columns holding their own names), so a step is never
refused for a column an earlier step of the real flow, a header row or a pivot over the real
values would have made; a step that reads ``$sourcerownumber`` gets numbered source rows. The
datasets a join / lookup / union reads are widened by the columns the step names in them.
Used by ``tests/recipe/test_real_recipes.py`` (recipes.json) and
``tests/importer/test_import_corpus.py`` (the recipes converted from flow packages).
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_jobs import metadata_columns
from spark_jobs.recipe import Recipe
from spark_jobs.recipe import ast as A
from spark_jobs.recipe.transforms.datasets import CURRENT, LOST

#: how many source rows a stand-in frame holds when a step reads rows by number
SOURCE_ROWS = 5


def with_names(step: A.Step) -> list[str]:
    """The datasets a step reads (``join with: a``, ``union with: a, b``; not a replacement's
    ``with:``)."""
    return [r.name for r in Recipe((step,)).dataset_references() if r.name is not None]


#: parameters whose bare words are keywords (``type: single``, ``into: map``), not columns
_KEYWORDS = {"type", "action", "position", "into", "options", "method", "condition", "rowtype"}


def columns_named(step: A.Step) -> tuple[list[str], dict[str, list[str]]]:
    """The columns a step names: this dataset's, and each other dataset's it reads."""
    others = with_names(step)
    this: list[str] = []
    theirs: dict[str, list[str]] = {name: [] for name in others}
    for param in step.params:
        if param.name.lower() == "with":
            continue
        for value in param.values:
            if param.name.lower() in _KEYWORDS and isinstance(value, A.ColumnRef):
                continue
            for node in A.walk(value):
                if not isinstance(node, A.ColumnRef) or node.is_metadata or node.is_current:
                    continue
                qualifier = node.dataset
                if qualifier in theirs:
                    theirs[qualifier].append(node.name)
                elif qualifier is None:
                    # unqualified: key: a == b and the like name columns of either side
                    this.append(node.name)
                    for names in theirs.values():
                        names.append(node.name)
                elif qualifier.lower() == CURRENT or qualifier == LOST:
                    this.append(node.name)
                else:
                    this.append(node.name)
    return list(dict.fromkeys(this)), {k: list(dict.fromkeys(v)) for k, v in theirs.items()}


_HIDDEN = {
    "$sourcerownumber": T.StructField(metadata_columns.SOURCE_ROW_NUMBER, T.LongType()),
    "$filepath": T.StructField(metadata_columns.FILEPATH, T.StringType()),
}


def missing(step: A.Step, df: DataFrame | None, names: list[str]) -> list[T.StructField]:
    """The columns in ``names`` that ``df`` lacks, as text, and the hidden metadata columns the
    step reads that it lacks."""
    # the engine finds a column by its exact name, else by its only case-insensitive match
    have = {c.lower() for c in df.columns} if df is not None else set()
    out = [T.StructField(n, T.StringType()) for n in names if n.lower() not in have]
    have |= {n.lower() for n in names}
    for wanted in Recipe((step,)).metadata_columns():
        if _HIDDEN[wanted].name.lower() not in have:
            out.append(_HIDDEN[wanted])
    return out


def stand_in(spark: SparkSession, fields: list[T.StructField]) -> DataFrame:
    """One row over ``fields``: each text column holds its own name, the others are null. The
    import's first column is always there (a recipe may drop every column it names)."""
    if not any(f.name.lower() == "column1" for f in fields):
        fields = [T.StructField("column1", T.StringType()), *fields]
    row = tuple(f.name if isinstance(f.dataType, T.StringType) else None for f in fields)
    return spark.createDataFrame([row], T.StructType(fields))


def widened(spark: SparkSession, df: DataFrame | None, fields: list[T.StructField]) -> DataFrame:
    """``df`` with ``fields`` added (text columns holding their own names); a stand-in frame
    over them when there is no ``df`` yet."""
    if df is None:
        return stand_in(spark, fields)
    if not fields:
        return df
    extra = [
        (F.lit(f.name) if isinstance(f.dataType, T.StringType) else F.lit(None).cast(f.dataType))
        for f in fields
    ]
    return df.select("*", *[v.alias(f.name) for v, f in zip(extra, fields, strict=True)])


def with_source_rows(spark: SparkSession, df: DataFrame, count: int = SOURCE_ROWS) -> DataFrame:
    """``df``'s rows as the first ``count`` source rows: a header rename reads rows by number."""
    column = metadata_columns.SOURCE_ROW_NUMBER
    numbers = spark.range(1, count + 1).select(F.col("id").alias(column))
    return df.drop(column).crossJoin(numbers)


def reseeded(spark: SparkSession, df: DataFrame, count: int = SOURCE_ROWS) -> DataFrame:
    """Fresh stand-in rows over ``df``'s schema (text columns hold their own names, source rows
    numbered 1..``count``, other columns null): for a step that reads rows while it compiles
    (``header``) after an earlier step removed every stand-in row, which real data would not."""
    rows = []
    for n in range(1, count + 1):
        rows.append(
            tuple(
                n
                if f.name == metadata_columns.SOURCE_ROW_NUMBER
                else (f.name if isinstance(f.dataType, T.StringType) else None)
                for f in df.schema.fields
            )
        )
    return spark.createDataFrame(rows, df.schema)


def widened_for(
    spark: SparkSession, df: DataFrame | None, step: A.Step
) -> tuple[DataFrame, dict[str, list[str]]]:
    """The frame ``step`` compiles on: ``df`` widened by the columns it names that ``df`` lacks,
    numbered source rows when it reads ``$sourcerownumber`` and ``df`` has none; and for each
    other dataset it reads, the columns it names there (to be added where that dataset lacks
    them: :func:`missing`, :func:`widened`)."""
    this, theirs = columns_named(step)
    numbered = df is not None and metadata_columns.SOURCE_ROW_NUMBER in df.columns
    out = widened(spark, df, missing(step, df, this))
    if not numbered and "$sourcerownumber" in Recipe((step,)).metadata_columns():
        out = with_source_rows(spark, out)
    return out, theirs
