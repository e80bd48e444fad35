"""A cheap look for QR finder patterns, so the live pipeline can skip its expensive passes on frames
that show no code (what a webcam shows most of the time).

A QR finder pattern is a dark 7x7-module square ring around a dark 3x3 core, with a light ring
between. After a local threshold the ring and the core are two separate blobs, and the ring's
centre lies in the core. ``finder_candidates`` thresholds the already downscaled image both ways
(dark-on-light and inverted codes), labels the blobs (OpenCV connected components: arrays, no
Python object per blob, so a noisy frame costs no more than a clean one) and keeps the roughly
square, hollow blobs whose centre falls in another blob inside their box, with a plausible area
ratio (24/9 when sharp; loose bounds for blur, perspective and the threshold's rounding). It looks
at the image and at a half-size copy, for modules wider than the threshold window.

The engine (``payer_app.scan.engine.decode_frame``) uses it only as a gate: when zxing-cpp on the
small image saw nothing and this finds no candidate, zbar on the small image and zxing-cpp on the
full-resolution frame are skipped. An image too small to threshold counts as a candidate, so the
gate skips only when it is sure. tests/test_scan_precheck.py checks over generated pictures and
video frames that the gate never costs a read.
"""

from __future__ import annotations

import numpy as np

BLOCK = 15  # local threshold window, pixels of the small image
OFFSET = 5  # a pixel must be this much darker (lighter) than its neighbourhood's mean
MIN_SIDE = 5  # smallest finder ring kept, pixels
FILL = (0.15, 0.9)  # ring pixels / its bounding box (24/49 for an upright sharp ring)
AREA_RATIO = (0.8, 10.0)  # ring area / core area (24/9 when sharp)


def finder_candidates(gray: np.ndarray, limit: int = 1) -> int:
    """How many finder-pattern-like ring-and-core pairs ``gray`` (8-bit, already small) or its
    half-size copy show, counting up to ``limit``. An image too small to threshold counts as
    ``limit`` (unsure)."""
    import cv2

    if gray.ndim != 2 or min(gray.shape) < 2 * BLOCK:
        return limit
    found = _count(gray)
    if found < limit:
        half = cv2.resize(gray, (gray.shape[1] // 2, gray.shape[0] // 2), interpolation=cv2.INTER_AREA)
        found += _count(half)
    return min(found, limit)


def _count(gray: np.ndarray) -> int:
    import cv2

    found = 0
    for mode in (cv2.THRESH_BINARY_INV, cv2.THRESH_BINARY):
        binary = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, mode, BLOCK, OFFSET)
        _, labels, stats, centroids = cv2.connectedComponentsWithStats(binary, connectivity=8)
        found += _rings_with_core(labels, stats, centroids)
    return found


def _rings_with_core(labels: np.ndarray, stats: np.ndarray, centroids: np.ndarray) -> int:
    import cv2

    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    w, h, area = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA]
    fill = area / np.maximum(w * h, 1)
    ring = (w >= MIN_SIDE) & (h >= MIN_SIDE) & (w <= 3 * h) & (h <= 3 * w) & (fill > FILL[0]) & (fill < FILL[1])
    ring[0] = False  # label 0 is the background
    rings = np.flatnonzero(ring)
    if rings.size == 0:
        return 0
    cx = np.clip(np.round(centroids[rings, 0]).astype(int), 0, labels.shape[1] - 1)
    cy = np.clip(np.round(centroids[rings, 1]).astype(int), 0, labels.shape[0] - 1)
    core = labels[cy, cx]
    inside = (core != rings) & (core != 0)
    inside &= (x[core] > x[rings]) & (y[core] > y[rings])
    inside &= (x[core] + w[core] < x[rings] + w[rings]) & (y[core] + h[core] < y[rings] + h[rings])
    ratio = area[rings] / np.maximum(area[core], 1)
    inside &= (ratio > AREA_RATIO[0]) & (ratio < AREA_RATIO[1])
    return int(inside.sum())


FINE_LEVEL = 14  # mean |full - upscaled small| over a small-image pixel that counts as fine detail
FINE_BLOCK = 5  # small-image pixels: a solid square of fine detail this wide (a code, not a text stroke)


def fine_detail(gray: np.ndarray, small: np.ndarray) -> bool:
    """Whether the full-resolution ``gray`` holds a patch of detail too fine for its downscaled copy
    ``small``: where a code with modules of a pixel or two, lost in the downscale, could be. Sensor
    noise and thin strokes of text do not make a solid patch; such a code does."""
    import cv2

    if small.shape == gray.shape or min(small.shape) < FINE_BLOCK:
        return True
    height, width = gray.shape
    residual = cv2.absdiff(gray, cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR))
    energy = cv2.resize(residual, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)
    mask = cv2.erode((energy > FINE_LEVEL).astype(np.uint8), np.ones((FINE_BLOCK, FINE_BLOCK), np.uint8))
    return bool(mask.any())
