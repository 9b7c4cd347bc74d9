"""`make demo`: run the example job group on local Spark and show what it produced.

Runs examples/jobs/orders.json (two wrangled datasets, four outputs, a visual profile) with the
job store in ./.spark_jobs, prints where every output is and the first lines of the CSV, then
publishes the job group to the embedded Hive metastore (examples/publish/orders_hive.json,
createAndLoad into ``default``) and prints the table it made. One Hive-enabled session does both.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from spark_jobs.publish import publish_command
from spark_jobs.runner.app import configure_logging, run_command
from spark_jobs.session import LocalSessionSettings, build_local_session, default_hive_dir

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

REPO = Path(__file__).resolve().parent.parent
SPEC = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "examples" / "jobs" / "orders.json"
PUBLISH_BODY = REPO / "examples" / "publish" / "orders_hive.json"
CONNECTIONS = REPO / "conf" / "connections.json"
JOB_STORE = REPO / ".spark_jobs"


def main() -> int:
    configure_logging()
    hive_dir = default_hive_dir(str(JOB_STORE))
    spark = build_local_session(
        LocalSessionSettings(
            app_name="spark-jobs demo",
            conf_file=REPO / "conf" / "spark-defaults.conf",
            hive=True,
            metastore_dir=hive_dir,
            warehouse_dir=hive_dir / "warehouse",
        )
    )
    result_file = REPO / "out" / "demo-result.json"
    code = run_command(
        str(SPEC),
        session=lambda extras: spark,
        job_store=str(JOB_STORE),
        result_file=str(result_file),
    )
    result = json.loads(result_file.read_text())
    if code != 0:
        print(f"\nthe example job group did not complete (exit {code}); see the errors above")
        spark.stop()
        return code
    print(
        f"\njob group {result['id']}: {result['status']} (result: {result_file.relative_to(REPO)})"
    )
    for job in result["jobs"]:
        for output in job.get("outputs", []):
            print(
                f"  {output['format']:<5} {output['path']}  ({output['rowCount']} rows, {len(output['files'])} files)"
            )
        if job["type"] == "profile" and job.get("details"):
            for key, value in job["details"].items():
                if isinstance(value, str) and value.endswith((".json", ".html")):
                    print(f"  profile {key}: {value}")
    csv_path = REPO / "out" / "orders_clean.csv"
    if csv_path.is_file():
        print(f"\n{csv_path.relative_to(REPO)}:")
        print("".join(csv_path.read_text().splitlines(keepends=True)[:6]))
    if code == 0:
        code = publish_to_hive(spark, result["id"])
    spark.stop()
    return code


def publish_to_hive(spark: SparkSession, job_group_id: int) -> int:
    """Publish the job group to the embedded Hive metastore and print the table it made."""
    print(f"publishing job group {job_group_id} to Hive ({PUBLISH_BODY.relative_to(REPO)}):")
    code = publish_command(
        job_group_id,
        PUBLISH_BODY,
        session=lambda connection: spark,
        connections=CONNECTIONS,
        job_store=str(JOB_STORE),
    )
    if code != 0:
        return code
    stored = json.loads((JOB_STORE / "jobGroups" / str(job_group_id) / "result.json").read_text())
    table = next(j for j in reversed(stored["jobs"]) if j["type"] == "publish")["details"]["table"]
    print(f"\nHive table {table} (metastore under {default_hive_dir(str(JOB_STORE))}):")
    spark.table(table).show(10, truncate=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
