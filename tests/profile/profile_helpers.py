"""Independent expectations for the profile: the same statistics computed with pandas / numpy.

Nothing here calls the profiler; the valid / mismatched / missing rules of the test columns are
restated for the values the tests use (plain integers, decimals, ISO date-times, free text).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

INTEGER_RE = re.compile(r"^[+-]?[0-9]+$")
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def classify_series(values: pd.Series, wtype: str) -> pd.Series:
    """0 valid, 1 mismatched, 2 missing, for the test's value shapes."""

    def one(v: Any) -> int:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
            return 2
        if wtype == "String":
            return 0
        if wtype == "Integer":
            return 0 if INTEGER_RE.match(str(v)) else 1
        if wtype == "Decimal":
            try:
                float(str(v))
                return 0
            except ValueError:
                return 1
        if wtype == "Datetime":
            try:
                pd.to_datetime(str(v), format=DATETIME_FORMAT)
                return 0
            except ValueError:
                return 1
        raise AssertionError(wtype)

    return values.map(one).astype(int)


def pattern(text: str) -> str:
    return "".join("a" if ch.isalpha() else "9" if ch.isdecimal() else ch for ch in text)


def top_counts(values: list[str], k: int) -> list[tuple[str, int]]:
    counts = pd.Series(values, dtype=object).value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(str(v), int(c)) for v, c in ordered[:k]]


def number_expectation(valid: pd.Series, integer: bool, bins: int) -> dict[str, Any]:
    x = valid.astype(float).to_numpy()
    if len(x) == 0:
        return {"count": 0, "min": None, "max": None, "histogram": []}
    lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        counts, edges = np.array([len(x)]), np.array([lo, lo])
    elif integer and hi - lo + 1 <= bins:
        counts, edges = np.histogram(x, bins=int(hi - lo) + 1, range=(lo, hi + 1))
    else:
        counts, edges = np.histogram(x, bins=bins, range=(lo, hi))
    quartiles = np.quantile(x, [0.25, 0.5, 0.75], method="inverted_cdf")
    std = float(pd.Series(x).std(ddof=1)) if len(x) > 1 else None
    return {
        "count": len(x),
        "min": lo,
        "max": hi,
        "mean": float(x.mean()),
        "stddev": std,
        "q1": float(quartiles[0]),
        "median": float(quartiles[1]),
        "q3": float(quartiles[2]),
        "histogram": [(float(edges[i]), int(c)) for i, c in enumerate(counts)],
    }
