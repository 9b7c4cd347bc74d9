"""The profile as one self-contained HTML page: inline CSS, inline SVG charts, a little inline JS.

Nothing is fetched over the network. Every column gets a card with its type, the
valid / mismatched / missing bar, its chart (histogram for numbers and dates, top values bar chart
for strings) and its statistics. The charts are drawn here, in Python, as SVG; the script only
adds a column filter and marks the page ready (``<body data-ready="1">``).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

CHART_W, CHART_H = 320, 110
BAR_W = 320

CSS = """
:root { --valid:#2e9d57; --mismatched:#d9534f; --missing:#9aa3ad; --bar:#3b7dd8; --ink:#1d2733; }
* { box-sizing: border-box; }
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
       margin: 0; background: #f4f6f8; }
header { background: #1d2733; color: #fff; padding: 14px 22px; }
header h1 { font-size: 18px; margin: 0 0 4px; }
header .summary span { margin-right: 18px; opacity: .9; }
.toolbar { padding: 10px 22px; }
.toolbar input { padding: 5px 8px; width: 260px; border: 1px solid #c4ccd4; border-radius: 4px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr));
        gap: 14px; padding: 0 22px 22px; }
.card { background: #fff; border: 1px solid #dde3e9; border-radius: 6px; padding: 12px 14px; }
.card h2 { font-size: 14px; margin: 0; word-break: break-all; }
.card .type { display: inline-block; font-size: 11px; background: #e8eef5; border-radius: 3px;
              padding: 1px 6px; margin: 4px 0 8px; }
.quality { display: flex; height: 10px; border-radius: 3px; overflow: hidden; background: #eee; }
.quality div { height: 100%; }
.q-valid { background: var(--valid); } .q-mismatched { background: var(--mismatched); }
.q-missing { background: var(--missing); }
.legend { font-size: 11px; margin: 4px 0 8px; color: #4a5560; }
.legend b { display: inline-block; width: 8px; height: 8px; margin: 0 3px 0 8px; }
.legend b:first-child { margin-left: 0; }
svg.chart { display: block; margin: 4px 0; }
svg.chart rect.bar { fill: var(--bar); }
svg.chart rect.bar:hover { fill: #1f5fb4; }
svg.chart text { font-size: 10px; fill: #4a5560; }
table.stats { width: 100%; border-collapse: collapse; font-size: 12px; margin-top: 6px; }
table.stats td { padding: 1px 4px; border-bottom: 1px solid #f0f2f4; }
table.stats td:first-child { color: #5d6975; width: 45%; }
.empty { color: #8a949e; font-style: italic; padding: 20px 0; }
.hidden { display: none; }
footer { padding: 8px 22px 20px; color: #6b7680; font-size: 11px; }
"""

SCRIPT = """
(function () {
  var input = document.getElementById('filter');
  var cards = Array.prototype.slice.call(document.querySelectorAll('.card'));
  input.addEventListener('input', function () {
    var q = input.value.toLowerCase();
    cards.forEach(function (card) {
      var name = card.getAttribute('data-name').toLowerCase();
      card.classList.toggle('hidden', q !== '' && name.indexOf(q) < 0);
    });
  });
  document.body.setAttribute('data-columns', String(cards.length));
  document.body.setAttribute('data-ready', '1');
})();
"""


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e9 or abs(value) < 1e-4):
            return f"{value:.4g}"
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _quality_bar(column: dict[str, Any]) -> str:
    total = column["valid"] + column["mismatched"] + column["missing"]
    parts = []
    for key in ("valid", "mismatched", "missing"):
        share = 100.0 * column[key] / total if total else 0.0
        parts.append(
            f'<div class="q-{key}" style="width:{share:.3f}%" title="{key}: {column[key]}"></div>'
        )
    legend = "".join(
        f'<b class="q-{key}"></b>{key} {_fmt(column[key])}'
        for key in ("valid", "mismatched", "missing")
    )
    return f'<div class="quality">{"".join(parts)}</div><div class="legend">{legend}</div>'


def _histogram(bins: list[dict[str, Any]], kind: str) -> str:
    if not bins:
        return '<div class="empty chart-empty">no valid values</div>'
    peak = max(b["count"] for b in bins) or 1
    width = CHART_W / len(bins)
    bars = []
    for i, b in enumerate(bins):
        h = (CHART_H - 16) * b["count"] / peak
        title = escape(f"{_fmt(b['start'])} – {_fmt(b['end'])}: {b['count']}")
        bars.append(
            f'<rect class="bar" x="{i * width + 0.5:.2f}" y="{CHART_H - 14 - h:.2f}" '
            f'width="{max(width - 1, 0.5):.2f}" height="{h:.2f}"><title>{title}</title></rect>'
        )
    first, last = escape(_fmt(bins[0]["start"])), escape(_fmt(bins[-1]["end"]))
    return (
        f'<svg class="chart" data-kind="{kind}" width="{CHART_W}" height="{CHART_H}" '
        f'viewBox="0 0 {CHART_W} {CHART_H}" role="img">{"".join(bars)}'
        f'<text x="0" y="{CHART_H - 2}">{first}</text>'
        f'<text x="{CHART_W}" y="{CHART_H - 2}" text-anchor="end">{last}</text></svg>'
    )


def _top_values(values: list[dict[str, Any]], key: str) -> str:
    if not values:
        return '<div class="empty chart-empty">no values</div>'
    rows = min(len(values), 10)
    row_h = 16
    height = rows * row_h + 2
    peak = max(v["count"] for v in values[:rows]) or 1
    label_w = 130
    parts = []
    for i, v in enumerate(values[:rows]):
        text = str(v[key])
        shown = text if len(text) <= 22 else text[:21] + "…"
        w = (BAR_W - label_w - 50) * v["count"] / peak
        y = i * row_h
        parts.append(
            f'<text x="{label_w - 4}" y="{y + 12}" text-anchor="end">{escape(shown)}'
            f"<title>{escape(text)}</title></text>"
            f'<rect class="bar" x="{label_w}" y="{y + 2}" width="{w:.2f}" height="{row_h - 4}">'
            f"<title>{escape(text)}: {v['count']}</title></rect>"
            f'<text x="{label_w + w + 4:.2f}" y="{y + 12}">{_fmt(v["count"])}</text>'
        )
    return (
        f'<svg class="chart" data-kind="top-{key}" width="{BAR_W}" height="{height}" '
        f'viewBox="0 0 {BAR_W} {height}" role="img">{"".join(parts)}</svg>'
    )


def _stats_table(rows: list[tuple[str, Any]]) -> str:
    cells = "".join(
        f"<tr><td>{escape(label)}</td><td>{escape(_fmt(value))}</td></tr>" for label, value in rows
    )
    return f'<table class="stats">{cells}</table>'


def _card(column: dict[str, Any], rsd: float) -> str:
    distinct = column["distinct"]["approx"]
    rows: list[tuple[str, Any]] = [(f"distinct (approx., ±{rsd:.1%} rsd)", distinct)]
    if column["kind"] == "number":
        n = column["number"]
        chart = _histogram(n["histogram"], "histogram")
        rows += [
            ("min", n["min"]),
            ("q1", n["q1"]),
            ("median", n["median"]),
            ("q3", n["q3"]),
            ("max", n["max"]),
            ("mean", n["mean"]),
            ("std. deviation", n["stddev"]),
        ]
    elif column["kind"] == "datetime":
        d = column["datetime"]
        chart = _histogram(d["histogram"], "date-histogram")
        rows += [("earliest", d["min"]), ("latest", d["max"]), ("bucket", d["period"])]
    else:
        s = column["string"]
        chart = _top_values(s["topValues"], "value")
        rows += [("length min", s["lengthMin"]), ("length max", s["lengthMax"])]
        patterns = ", ".join(f"{p['pattern']} ({p['count']})" for p in s["topPatterns"][:3])
        rows.append(("top patterns", patterns or None))
    name = escape(column["name"])
    return (
        f'<section class="card" data-name="{name}" data-index="{column["index"]}">'
        f'<h2>{name}</h2><span class="type">{escape(column["type"])}</span>'
        f"{_quality_bar(column)}{chart}{_stats_table(rows)}</section>"
    )


def render_html(profile: dict[str, Any], *, title: str = "Profile") -> str:
    """The page for ``profile`` (as :func:`spark_jobs.profile.profile_dataframe` returns it)."""
    rsd = profile["settings"]["distinctRelativeStandardDeviation"]
    cards = "".join(_card(c, rsd) for c in profile["columns"])
    if not profile["columns"]:
        cards = '<div class="empty">the dataset has no columns</div>'
    data = json.dumps(profile, separators=(",", ":")).replace("</", "<\\/")
    summary = (
        f"<span>{_fmt(profile['rowCount'])} rows</span>"
        f"<span>{_fmt(profile['columnCount'])} columns</span>"
        f"<span>{profile['sparkJobs']} Spark jobs, {profile['durationMs'] / 1000:.1f} s</span>"
    )
    sample = profile.get("sample") or {}
    if sample.get("fraction", 1.0) < 1.0:
        summary += (
            f"<span>histograms, top values and quartiles from a uniform sample of "
            f"{_fmt(sample['rows'])} rows ({sample['fraction']:.2%}; shares within "
            f"±{sample['shareError']:.2%} at 99% confidence)</span>"
        )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header><h1>{escape(title)}</h1><div class="summary">{summary}</div></header>
<div class="toolbar"><input id="filter" type="search" placeholder="filter columns by name"></div>
<main class="grid">{cards}</main>
<footer>valid / mismatched / missing follow the column's Wrangle type; distinct counts are
approximate (relative standard deviation {rsd:.1%}); counts, moments and ranges are exact over
every row; histograms, quartiles and top lists are exact over the sample.</footer>
<script type="application/json" id="profile-data">{data}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""
