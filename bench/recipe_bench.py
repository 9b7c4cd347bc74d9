"""Recipe benchmark: a 20-step Wrangle recipe against the same logic hand-written in PySpark.

    python -m bench.recipe_bench            # BENCH_ROWS rows (default 10_000_000 x BENCH_SCALE)
    BENCH_ROWS=100000 python -m bench.recipe_bench

Both run in one SparkSession on the same generated rows (text columns, as a CSV import gives
them), each ending in a ``noop`` write, after a small warm-up of both. The timed runs alternate
(hand, recipe, hand, recipe, ...; BENCH_ROUNDS rounds, default 5) and the medians are compared,
so a burst of load from another process on a shared machine moves one run, not the ratio. The
recipe's time includes parsing and compiling it. Prints a markdown section to stdout.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from bench import cpu_seconds, env_rows
from spark_jobs.recipe import DatasetReference, apply_recipe, parse_recipe
from spark_jobs.session import LocalSessionSettings, build_local_session

STEPS = [
    "settype col: quantity type: Integer",
    "settype col: unit_price type: Decimal",
    "derive type: single value: UPPER(region) as: 'region_code'",
    "delete row: ISMISSING([quantity])",
    "derive type: single value: ROUND(quantity * unit_price, 2) as: 'line_total'",
    "set col: customer value: PROPER(TRIM(customer))",
    "replace col: sku on: `{digit}+` with: '#' global: true",
    "derive type: single value: IF(line_total > 100, 'big', 'small') as: 'size'",
    "filter type: custom row: quantity > 0 action: Keep",
    "derive type: single value: LEN(customer) as: 'name_len'",
    "merge col: region_code, size with: '-' as: 'segment'",
    "rename type: manual mapping: [unit_price, 'price']",
    "derive type: single value: quantity % 7 as: 'bucket'",
    "set col: region value: LOWER(region)",
    "derive type: single value: LEFT(sku, 3) as: 'sku_prefix'",
    "drop col: sku",
    "derive type: single value: ABS(line_total - 50) as: 'distance'",
    "keep row: distance < 10000",
    "derive type: single value: MATCHES(customer, `{upper}{lower}+`) as: 'proper_name'",
    "move col: line_total position: beginning",
]


def generate(spark: SparkSession, rows: int) -> DataFrame:
    """Text columns like an imported CSV: some quantities missing or mismatched."""
    n = F.col("id")
    regions = F.array(*[F.lit(r) for r in ("west", "east", "north", "south")])
    return spark.range(rows).select(
        n.cast("string").alias("order_id"),
        F.element_at(regions, (n % 4 + 1).cast("int")).alias("region"),
        F.concat(F.lit("  customer "), (n % 1000).cast("string"), F.lit(" ")).alias("customer"),
        F.concat(F.lit("SKU-"), (n % 97).cast("string"), F.lit("-X")).alias("sku"),
        F.when(n % 50 == 0, F.lit(""))
        .when(n % 77 == 0, F.lit("ten"))
        .otherwise((n % 20 + 1).cast("string"))
        .alias("quantity"),
        F.format_string("%.2f", (n % 1000) / 7.0).alias("unit_price"),
    )


def by_hand(df: DataFrame, order: list[str]) -> DataFrame:
    """The recipe's logic as a PySpark developer would write it (columns in ``order``)."""
    quantity = F.col("quantity").try_cast("bigint")
    price = F.col("unit_price").try_cast("double")
    df = df.withColumn("region_code", F.upper("region"))
    df = df.filter(F.col("quantity").isNotNull() & (F.col("quantity") != ""))
    df = df.withColumn("line_total", F.round(quantity * price, 2))
    df = df.withColumn("customer", F.initcap(F.regexp_replace("customer", r"^\s+|\s+$", "")))
    df = df.withColumn("sku", F.regexp_replace("sku", "[0-9]+", "#"))
    df = df.withColumn(
        "size",
        F.when(F.coalesce(F.col("line_total") > 100, F.lit(False)), "big").otherwise("small"),
    )
    df = df.filter(F.coalesce(quantity > 0, F.lit(False)))
    df = df.withColumn("name_len", F.char_length("customer").cast("long"))
    df = df.withColumn(
        "segment",
        F.concat_ws(
            "-", F.coalesce(F.col("region_code"), F.lit("")), F.coalesce(F.col("size"), F.lit(""))
        ),
    )
    df = df.withColumnRenamed("unit_price", "price")
    df = df.withColumn("bucket", quantity % 7)
    df = df.withColumn("region", F.lower("region"))
    df = df.withColumn("sku_prefix", F.left(F.col("sku"), F.lit(3)))
    df = df.drop("sku")
    df = df.withColumn("distance", F.abs(F.col("line_total") - 50))
    df = df.filter(F.coalesce(F.col("distance") < 10000, F.lit(False)))
    df = df.withColumn("proper_name", F.col("customer").rlike("[A-Z][a-z]+"))
    return df.select(*[F.col(c) for c in order])


def by_recipe(df: DataFrame) -> DataFrame:
    def resolve(ref: DatasetReference) -> DataFrame:
        raise KeyError(ref)

    return apply_recipe(df, parse_recipe(STEPS), resolve=resolve, dataset="bench")


def jvm_cpu_seconds(spark: SparkSession) -> float:
    """CPU seconds the session's JVM has used (all its threads: tasks, JIT, GC), from /proc:
    pyspark's gateway process is the JVM (spark-submit execs it)."""
    return cpu_seconds(spark.sparkContext._gateway.proc.pid)  # type: ignore[union-attr]


def timed(build: Callable[[], DataFrame]) -> tuple[float, float, float]:
    """Seconds to build the DataFrame (compile) and to run it (noop write), and the JVM's CPU
    seconds during the run."""
    started = time.perf_counter()
    df = build()
    built = time.perf_counter()
    cpu = jvm_cpu_seconds(df.sparkSession)
    df.write.format("noop").mode("overwrite").save()
    return built - started, time.perf_counter() - built, jvm_cpu_seconds(df.sparkSession) - cpu


def main() -> None:
    rows = env_rows(10_000_000)
    spark = build_local_session(
        LocalSessionSettings(app_name="recipe-bench", extra_conf={"spark.ui.enabled": "false"})
    )
    source = generate(spark, rows)
    warm = generate(spark, 10_000)
    order = by_recipe(warm).columns
    expected, got = by_hand(warm, order).collect(), by_recipe(warm).collect()
    if sorted(map(tuple, expected)) != sorted(map(tuple, got)):
        raise SystemExit("the recipe and the hand-written code disagree on the warm-up rows")
    timed(lambda: by_hand(warm, order))
    timed(lambda: by_recipe(warm))
    rounds = max(1, int(os.environ.get("BENCH_ROUNDS", "5")))
    hand_runs: list[tuple[float, float, float]] = []
    recipe_runs: list[tuple[float, float, float]] = []
    for _ in range(rounds):
        hand_runs.append(timed(lambda: by_hand(source, order)))
        recipe_runs.append(timed(lambda: by_recipe(source)))
    hand_build = statistics.median(b for b, _, _ in hand_runs)
    hand_run = statistics.median(r for _, r, _ in hand_runs)
    recipe_build = statistics.median(b for b, _, _ in recipe_runs)
    recipe_run = statistics.median(r for _, r, _ in recipe_runs)
    cpu_ratio = statistics.median(c for _, _, c in recipe_runs) / statistics.median(
        c for _, _, c in hand_runs
    )
    pair_ratios = [r[1] / h[1] for h, r in zip(hand_runs, recipe_runs, strict=True)]
    ratio = recipe_run / hand_run if hand_run else float("nan")
    total = (recipe_build + recipe_run) / (hand_build + hand_run)
    verdict = "meets" if ratio <= 1.05 else "misses"
    print("## Recipe engine vs hand-written PySpark\n")
    print(
        f"{len(STEPS)}-step Wrangle recipe on {rows:,} generated rows against the same logic "
        f"hand-written in PySpark, same session, noop write, {rounds} alternating runs each, "
        "medians. *Build* is the time to make the DataFrame (for the recipe: parse and compile, "
        "a fixed cost whatever the number of rows), *run* the write.\n"
    )
    print(
        "| rows | recipe build (s) | recipe run (s) | hand build (s) | hand run (s) "
        "| run ratio | total ratio | target: run ratio <= 1.05 |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    print(
        f"| {rows:,} | {recipe_build:.2f} | {recipe_run:.2f} | {hand_build:.2f} | "
        f"{hand_run:.2f} | {ratio:.3f} | {total:.3f} | {verdict} |"
    )
    runs = ", ".join(
        f"{h:.2f} / {r:.2f}" for (_, h, _), (_, r, _) in zip(hand_runs, recipe_runs, strict=True)
    )
    cpus = ", ".join(
        f"{h:.1f} / {r:.1f}" for (_, _, h), (_, _, r) in zip(hand_runs, recipe_runs, strict=True)
    )
    print(f"\nRuns in order (hand / recipe, s): {runs}.\n")
    print(f"JVM CPU seconds of each run (hand / recipe): {cpus}; median ratio {cpu_ratio:.3f}.\n")
    print(
        "Ratio of each round's recipe run to its hand run: "
        + ", ".join(f"{x:.2f}" for x in pair_ratios)
        + f"; median {statistics.median(pair_ratios):.3f}.\n"
    )
    spark.stop()


if __name__ == "__main__":
    main()
