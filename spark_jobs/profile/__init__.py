"""The visual profile: column statistics, as JSON and as HTML.

One JVM aggregate sees every row once, along the job's writes (an observed metric): exact
counts, moments and ranges, a distinct-count sketch, and a uniform sample of the rows for
histograms, quartiles, top values and patterns (docs/profile.md).

```python
from spark_jobs.profile import profile_dataframe, render_html, run_profile
profile = profile_dataframe(df)          # JSON-ready dict, schema in docs/profile.md
page = render_html(profile, title="...")  # self-contained HTML (inline CSS, SVG, JS)
job = ProfileJob()                        # the runner's profile job (a ProfileRunner):
df = job.attach(df, columns)              #   the profile observed while df is written
report = job(spark, df, title="...")      #   a ProfileReport (document, html), which the
                                          #   runner stores (JobStore.save_profile)
```
"""

from __future__ import annotations

from spark_jobs.profile.html import render_html
from spark_jobs.profile.runner import ProfileJob, ProfileReport, run_profile
from spark_jobs.profile.stats import (
    PROFILE_VERSION,
    ProfileSettings,
    profile_aggregate_for,
    profile_dataframe,
)

__all__ = [
    "PROFILE_VERSION",
    "ProfileJob",
    "ProfileReport",
    "ProfileSettings",
    "profile_aggregate_for",
    "profile_dataframe",
    "render_html",
    "run_profile",
]
