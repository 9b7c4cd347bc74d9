"""The 20-step recipe of bench/recipe_bench.py hand-written in PySpark, as a whole program.

    python bench/process_hand.py INPUT.csv OUTPUT_DIR

What a PySpark developer writes for the job that ``spark-jobs run`` runs in
bench/process_bench.py: read the CSV with ``header`` and ``inferSchema``, the same 20
operations, ``orderBy("id")``, write Parquet. It imports nothing but pyspark (no part of
spark_jobs, no bench helper), so its process pays only what such a script pays. The session
gets the resources conf/spark-defaults.conf gives ``spark-jobs run`` (local[*], 4g driver
memory, 8 shuffle partitions, no UI), so the comparison is of the work, not of the memory.
``try_cast`` is written as SQL so that the script runs on the Spark 3.5 line too.
"""

from __future__ import annotations

import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main(source: str, target: str) -> None:
    spark = (
        SparkSession.builder.appName("hand-written recipe")
        .master("local[*]")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    df = spark.read.csv(source, header=True, inferSchema=True)
    quantity = F.expr("try_cast(quantity AS BIGINT)")
    price = F.expr("try_cast(unit_price AS DOUBLE)")
    df = df.withColumn("region_code", F.upper("region"))
    # inferSchema types quantity as int when every value is a number (small files), else string
    df = df.filter(F.col("quantity").isNotNull() & (F.col("quantity").cast("string") != ""))
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
    df = df.withColumn("sku_prefix", F.expr("left(sku, 3)"))
    df = df.drop("sku")
    df = df.withColumn("distance", F.abs(F.col("line_total") - 50))
    df = df.filter(F.coalesce(F.col("distance") < 10000, F.lit(False)))
    df = df.withColumn("proper_name", F.col("customer").rlike("[A-Z][a-z]+"))
    df = df.select("line_total", *[c for c in df.columns if c != "line_total"])
    df.orderBy("id").write.mode("overwrite").parquet(target)
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
