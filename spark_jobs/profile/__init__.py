"""The visual profile: column statistics in two Spark aggregation passes, as JSON and as HTML.

```python
from spark_jobs.profile import profile_dataframe, render_html, run_profile
profile = profile_dataframe(df)          # JSON-ready dict, schema in docs/profile.md
page = render_html(profile, title="...")  # self-contained HTML (inline CSS, SVG, JS)
run_profile(spark, df, result, store)     # the runner's profile job (a ProfileRunner)
```
"""

from __future__ import annotations

from spark_jobs.profile.html import render_html
from spark_jobs.profile.runner import run_profile
from spark_jobs.profile.stats import PROFILE_VERSION, ProfileSettings, profile_dataframe

__all__ = ["PROFILE_VERSION", "ProfileSettings", "profile_dataframe", "render_html", "run_profile"]
