"""`make demo`: run the example job group on local Spark and show what it produced.

Runs examples/jobs/orders.json (two wrangled datasets, four outputs, a visual profile) with the
job store in ./.spark_jobs, then prints where every output is and the first lines of the CSV.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from spark_jobs.runner.app import configure_logging, run_command
from spark_jobs.session import LocalSessionSettings, build_local_session

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "examples" / "jobs" / "orders.json"


def main() -> int:
    configure_logging()
    spark = build_local_session(
        LocalSessionSettings(
            app_name="spark-jobs demo", conf_file=REPO / "conf" / "spark-defaults.conf"
        )
    )
    result_file = REPO / "out" / "demo-result.json"
    code = run_command(
        str(SPEC),
        session=lambda: spark,
        job_store=str(REPO / ".spark_jobs"),
        result_file=str(result_file),
    )
    result = json.loads(result_file.read_text())
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
    spark.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
