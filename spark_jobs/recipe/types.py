"""Placeholder for the Wrangle type system (see docs/architecture.md)."""

from __future__ import annotations

from pyspark.sql import DataFrame


def infer_types(df: DataFrame) -> DataFrame:
    return df


def to_physical(df: DataFrame) -> DataFrame:
    return df
