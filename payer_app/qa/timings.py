"""Decode times summed up (count, median, 95th percentile, maximum), for the batch summary, the HTML
report and ``scan --json``."""

from __future__ import annotations

import numpy as np


def timing_summary(values: list[float]) -> dict:
    """Count, median, 95th percentile and maximum of decode times in ms (None when there are none)."""
    if not values:
        return {"count": 0, "median_ms": None, "p95_ms": None, "max_ms": None}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "median_ms": round(float(np.median(ordered)), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
        "max_ms": round(ordered[-1], 2),
    }
