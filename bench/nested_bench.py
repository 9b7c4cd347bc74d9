"""Nested values benchmark: the recipe engine's JSON reader (``from_json``, both Spark lines)
against the same steps hand-written with Spark 4's VARIANT.

    python -m bench.nested_bench            # BENCH_ROWS rows (default 2_000_000 x BENCH_SCALE)
    BENCH_ROWS=100000 python -m bench.nested_bench

Why: arrays and objects are JSON text; the engine reads them with ``from_json`` and a marker for
strings (:mod:`spark_jobs.recipe.json_text`), one code path on Spark 3.5 and 4. On Spark 4 the
natural alternative is VARIANT (``try_parse_json`` / ``try_variant_get``); this bench says what
the single path costs there. Both sides run in one session on the same generated rows, each
ending in a ``noop`` write, after a warm-up on which their results must agree; the timed runs
alternate (BENCH_ROUNDS rounds, default 5) and the medians are compared. On Spark 3.5 (no
VARIANT) only the engine's time is reported. Prints a markdown section to stdout.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from bench import env_rows
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe
from spark_jobs.session import LocalSessionSettings, build_local_session

STEPS = [
    "derive type: single value: ARRAYLEN(tags) as: 'n_tags'",
    "derive type: single value: ARRAYELEMENTAT(tags, 0) as: 'first_tag'",
    "unnest col: customer keys: 'name', 'address.city', 'orders[1]'",
]
OUTPUT = ["id", "tags", "customer", "n_tags", "first_tag", "name", "address_city", "orders_1"]


def generate(spark: SparkSession, rows: int) -> DataFrame:
    """JSON text columns as a CSV or JSON import gives them: an array of mixed elements and an
    object with a nested object and an array; some rows missing or not JSON."""
    n = F.col("id")
    text = n.cast("string")
    tags = F.concat(
        F.lit('["t'), text, F.lit('", '), (n % 97).cast("string"), F.lit(', {"k": "v"}, "x y"]')
    )
    customer = F.concat(
        F.lit('{"name": "n'),
        text,
        F.lit('", "address": {"city": "c'),
        (n % 100).cast("string"),
        F.lit('", "zip": "'),
        text,
        F.lit('"}, "orders": ['),
        (n % 7).cast("string"),
        F.lit(', "o'),
        text,
        F.lit('"]}'),
    )
    return spark.range(rows).select(
        text.alias("id"),
        F.when(n % 50 == 0, F.lit(None)).otherwise(tags).alias("tags"),
        F.when(n % 77 == 0, F.lit("not json")).otherwise(customer).alias("customer"),
    )


def by_recipe(df: DataFrame) -> DataFrame:
    def resolve(ref: DatasetReference) -> DataFrame:
        raise KeyError(ref)

    return apply_recipe(df, parse_recipe(STEPS), resolve=resolve, dataset="bench")


def by_variant(df: DataFrame) -> DataFrame:
    """The same steps as a PySpark developer would write them with VARIANT (Spark 4)."""
    tags = F.try_parse_json("tags")
    customer = F.try_parse_json("customer")
    elements = F.try_variant_get(tags, "$", "array<variant>")
    return df.select(
        "id",
        "tags",
        "customer",
        F.when(elements.isNotNull(), F.size(elements)).cast("long").alias("n_tags"),
        F.try_variant_get(tags, "$[0]", "string").alias("first_tag"),
        F.try_variant_get(customer, "$.name", "string").alias("name"),
        F.try_variant_get(customer, "$.address.city", "string").alias("address_city"),
        F.try_variant_get(customer, "$.orders[1]", "string").alias("orders_1"),
    )


def timed(build: Callable[[], DataFrame]) -> tuple[float, float]:
    """Seconds to build the DataFrame (compile) and to run it (noop write)."""
    started = time.perf_counter()
    df = build()
    built = time.perf_counter()
    df.write.format("noop").mode("overwrite").save()
    return built - started, time.perf_counter() - built


def main() -> None:
    rows = env_rows(2_000_000)
    spark = build_local_session(
        LocalSessionSettings(app_name="nested-bench", extra_conf={"spark.ui.enabled": "false"})
    )
    has_variant = hasattr(F, "try_parse_json")
    source = generate(spark, rows)
    warm = generate(spark, 10_000)
    got = by_recipe(warm).select(*OUTPUT).collect()
    if has_variant:
        expected = by_variant(warm).select(*OUTPUT).collect()
        if sorted(map(tuple, expected)) != sorted(map(tuple, got)):
            raise SystemExit("the recipe and the VARIANT code disagree on the warm-up rows")
        timed(lambda: by_variant(warm))
    timed(lambda: by_recipe(warm))
    rounds = max(1, int(os.environ.get("BENCH_ROUNDS", "5")))
    variant_runs: list[float] = []
    recipe_runs: list[float] = []
    for _ in range(rounds):
        if has_variant:
            variant_runs.append(timed(lambda: by_variant(source))[1])
        recipe_runs.append(timed(lambda: by_recipe(source))[1])
    recipe = statistics.median(recipe_runs)
    print("## Nested values: the engine's from_json reader vs VARIANT\n")
    print(
        f"{len(STEPS)} nested steps (ARRAYLEN, ARRAYELEMENTAT, unnest of 3 keys) on {rows:,} "
        "generated rows of JSON text, same session, noop write, "
        f"{rounds} alternating runs each, medians of the write (s).\n"
    )
    if not has_variant:
        print("| rows | recipe (s) |\n|---:|---:|")
        print(f"| {rows:,} | {recipe:.2f} |")
        print(f"\nThis Spark ({spark.version}) has no VARIANT: only the engine ran.\n")
        spark.stop()
        return
    variant = statistics.median(variant_runs)
    ratio = recipe / variant if variant else float("nan")
    print("| rows | recipe, from_json (s) | hand-written VARIANT (s) | ratio |")
    print("|---:|---:|---:|---:|")
    print(f"| {rows:,} | {recipe:.2f} | {variant:.2f} | {ratio:.3f} |")
    runs = ", ".join(f"{v:.2f} / {r:.2f}" for v, r in zip(variant_runs, recipe_runs, strict=True))
    print(f"\nRuns in order (VARIANT / recipe, s): {runs}.\n")
    spark.stop()


if __name__ == "__main__":
    main()
