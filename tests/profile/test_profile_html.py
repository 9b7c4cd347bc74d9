"""The HTML report opened in a real headless Chromium: no errors, one chart per column."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from spark_jobs.profile import profile_dataframe, render_html
from tests.profile.test_profile_stats import mixed_rows, typed_frame

CHROMIUM = "/usr/bin/chromium"

#: put first in <head>: records script errors and console.error calls into the DOM
ERROR_RECORDER = """<script>
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push('error: ' + e.message); });
var __ce = console.error;
console.error = function () { window.__errors.push('console: ' + Array.from(arguments).join(' '));
  __ce.apply(console, arguments); };
window.addEventListener('load', function () {
  var out = document.createElement('pre'); out.id = 'recorded-errors';
  out.textContent = JSON.stringify(window.__errors); document.body.appendChild(out);
});
</script>"""


def chromium_dom(html: str, tmp_path: Path) -> tuple[str, str]:
    """Open ``html`` (with the error recorder) in headless Chromium; its DOM and its stderr."""
    assert shutil.which(CHROMIUM), "chromium is missing: run `make system` (set-up error)"
    page = tmp_path / "profile.html"
    page.write_text(html.replace("<head>", "<head>" + ERROR_RECORDER, 1))
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def test_report_renders_in_chromium_without_errors(spark: SparkSession, tmp_path: Path) -> None:
    profile = profile_dataframe(typed_frame(spark, mixed_rows(60)))
    html = render_html(profile, title="mixed <data>")
    assert "http://" not in html and "https://" not in html  # nothing fetched from the network
    dom, stderr = chromium_dom(html, tmp_path)

    recorded = re.search(r'<pre id="recorded-errors">(.*?)</pre>', dom, re.S)
    assert recorded, dom[-2000:]
    assert json.loads(recorded.group(1).replace("&quot;", '"')) == []
    console_errors = [
        line for line in stderr.splitlines() if "CONSOLE" in line and "ERROR" in line.upper()
    ]
    assert console_errors == []
    assert 'data-ready="1"' in dom  # the page's own script ran to its end
    assert f'data-columns="{len(profile["columns"])}"' in dom

    cards = re.findall(r'<section class="card".*?</section>', dom, re.S)
    assert len(cards) == len(profile["columns"])
    for card, column in zip(cards, profile["columns"], strict=True):
        charts = re.findall(r'<svg class="chart"|class="empty chart-empty"', card)
        assert len(charts) == 1, column["name"]
        assert card.count('class="quality"') == 1
        expected = {"number": "histogram", "datetime": "date-histogram", "string": "top-value"}
        if column["valid"] + column["mismatched"]:
            assert f'data-kind="{expected[column["kind"]]}"' in card, column["name"]
    # the top value of the name column is shown, escaped
    names = next(c for c in profile["columns"] if c["name"] == "name")
    assert names["string"]["topValues"][0]["value"] in dom
    assert "mixed &lt;data&gt;" in dom


def test_embedded_profile_json_survives_script_breaking_text(spark: SparkSession) -> None:
    df = spark.createDataFrame([("</script><b>x</b>",)], "s string")
    profile = profile_dataframe(df)
    html = render_html(profile)
    assert "</script><b>" not in html
    data = re.search(r'<script type="application/json" id="profile-data">(.*?)</script>', html)
    assert data is not None
    parsed: dict[str, Any] = json.loads(data.group(1))
    assert parsed["columns"][0]["string"]["topValues"][0]["value"] == "</script><b>x</b>"
