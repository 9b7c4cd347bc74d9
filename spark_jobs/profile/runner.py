"""The profile job of a job group: profile the target's output, keep JSON and HTML in the store.

``<job store>/jobGroups/<id>/profile/profile.json`` and ``profile.html``; the job's ``details``
in the result name both and carry the headline numbers.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from spark_jobs.io.fs import join
from spark_jobs.profile.html import render_html
from spark_jobs.profile.stats import ProfileSettings, profile_dataframe

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from spark_jobs.runner.result import JobGroupResult
    from spark_jobs.runner.store import JobStore

PROFILE_DIR = "profile"


def run_profile(
    spark: SparkSession,
    df: DataFrame,
    result: JobGroupResult,
    store: JobStore,
    settings: ProfileSettings | None = None,
) -> dict[str, Any]:
    """Profile ``df`` (the job group's target) and write the profile next to the result."""
    profile = profile_dataframe(df, settings, description=f"job group {result.id} profile")
    profile["jobGroup"] = {"id": result.id, "wrangledDataset": result.wrangledDataset.model_dump()}
    folder = join(store.group_dir(result.id), PROFILE_DIR)
    store.fs.mkdirs(folder)
    json_path = join(folder, "profile.json")
    html_path = join(folder, "profile.html")
    title = f"Profile of {result.wrangledDataset.name} (job group {result.id})"
    store.fs.write_bytes(json_path, json.dumps(profile, indent=2).encode(), overwrite=True)
    store.fs.write_bytes(html_path, render_html(profile, title=title).encode(), overwrite=True)
    return {
        "profileJson": json_path,
        "profileHtml": html_path,
        "rowCount": profile["rowCount"],
        "columnCount": profile["columnCount"],
        "sparkJobs": profile["sparkJobs"],
        "passes": profile["passes"],
    }
