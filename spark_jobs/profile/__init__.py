"""The visual profile: column statistics, as JSON and as HTML.

Pass 1 (counts, moments, ranges, distinct counts, every row) rides along the job's writes as
observed metrics; pass 2 (histograms, top values, patterns, quartiles) reads a bounded sample.

```python
from spark_jobs.profile import profile_dataframe, render_html, run_profile
profile = profile_dataframe(df)          # JSON-ready dict, schema in docs/profile.md
page = render_html(profile, title="...")  # self-contained HTML (inline CSS, SVG, JS)
job = ProfileJob()                        # the runner's profile job (a ProfileRunner):
df = job.attach(df, columns)              #   pass 1 observed while df is written
report = job(spark, df, title="...")      #   pass 2: a ProfileReport (document, html), which
                                          #   the runner stores (JobStore.save_profile)
```
"""

from __future__ import annotations

from spark_jobs.profile.html import render_html
from spark_jobs.profile.runner import ProfileJob, ProfileReport, run_profile
from spark_jobs.profile.stats import (
    PROFILE_VERSION,
    FirstPass,
    ProfileSettings,
    first_pass,
    profile_dataframe,
)

__all__ = [
    "PROFILE_VERSION",
    "FirstPass",
    "ProfileJob",
    "ProfileReport",
    "ProfileSettings",
    "first_pass",
    "profile_dataframe",
    "render_html",
    "run_profile",
]
