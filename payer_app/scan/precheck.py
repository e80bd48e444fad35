"""A cheap look for a QR code, so the live pipeline can skip its expensive passes on frames that show
none (what a webcam shows most of the time).

``may_hold_code(gray, small, read)`` answers False when it finds no sign of a code that zbar on the
small image or zxing-cpp at full resolution could find. It works in three steps, each on a small
part of the frame:

1. **Texture**: a QR code is a square of dense edges in both directions. The mean absolute step
   between neighbouring pixels, across and down, is taken over cells of 8 pixels of a half-size
   copy of the frame (OpenCV's 2x2 area reduction, its cheapest; the small image itself when the
   frame is under twice its size). Cells where both means pass ``EDGE_LEVEL`` and that are part of
   a ``SQUARE`` x ``SQUARE`` block of such cells are kept, grown by ``GROW`` cells (the quiet zone
   and a finder pattern at the code's edge), and joined into boxes. Sensor noise, flat boxes and
   single lines of text leave few or none.
2. **zxing-cpp on each box at full resolution** (``read`` is the engine's zxing-cpp reader): a
   code inside a box that the full-resolution pass would see (read, or seen and not read) is seen
   here too, at a fraction of the cost; a box where it sees nothing is read once more with a wider
   margin (``READ_MARGINS``).
3. **Finder patterns in each box of the small image** (``finder_candidates``): a dark 7x7-module
   square ring around a dark 3x3 core with a light ring between; after a local threshold the ring
   and the core are two separate blobs and the ring's centre lies in the core. Both polarities
   (inverted codes). This is what zbar on the small image reads that zxing-cpp misses (blurred,
   low-contrast, unevenly lit codes). The half-size copy of the whole small image is also looked
   at, for modules wider than the threshold window (codes too coarse for the texture step).

An image too small to judge counts as holding a code. A code whose edges are fainter than
``EDGE_LEVEL`` (about 25 grey levels, under a glare) gets no box and can be missed.
tests/test_scan_precheck.py checks over generated pictures (bench/decode_bench.py's hard corpora,
among them small codes at 1080p under glare), the studio corpus, demo camera frames and generated
codes that the gate costs no read, and that it turns the benchmark's empty noisy 1080p frames away.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

BLOCK = 15  # local threshold window, pixels of the small image
OFFSET = 5  # a pixel must be this much darker (lighter) than its neighbourhood's mean
MIN_SIDE = 5  # smallest finder ring kept, pixels
FILL = (0.15, 0.9)  # ring pixels / its bounding box (24/49 for an upright sharp ring)
AREA_RATIO = (0.8, 10.0)  # ring area / core area (24/9 when sharp)

CELL_LEVELS = 3  # texture cells of 2**3 = 8 pixels of the texture image
EDGE_LEVEL = 5  # mean |step| across and down over a cell that counts as an edge-dense cell
SQUARE = 3  # a code fills at least SQUARE x SQUARE dense cells
GROW = 3  # cells added around each dense block
# Full-resolution pixels added around a box read by zxing-cpp: its local threshold needs some picture
# around the code, and how much decides what it sees (a small code near the frame's edge was seen with
# 18 to 38 pixels and not with 16), so a box it sees nothing in is read once more with a wider margin;
# a box at the frame's edge, whose margin the edge cuts off on one side, once more with EDGE_MARGIN
# (small codes at the left edge were seen only with 80 to 96 pixels).
READ_MARGINS = (16, 32)
EDGE_MARGIN = 96

Reader = Callable[[np.ndarray], tuple[list, list]]


def may_hold_code(gray: np.ndarray, small: np.ndarray, read: Reader) -> bool:
    """False only when the frame ``gray`` (8-bit, full resolution) surely shows no code: ``small``
    is its downscaled copy, ``read(image)`` zxing-cpp's ``(decoded, seen but unread)``."""
    import cv2

    if gray.ndim != 2 or small.ndim != 2 or min(small.shape) < 2 * BLOCK:
        return True
    height, width = gray.shape
    if width >= 2 * small.shape[1] and height >= 2 * small.shape[0]:
        texture = cv2.resize(gray, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    else:
        texture = small
    to_full = width / texture.shape[1]
    to_small = small.shape[1] / texture.shape[1]
    for x, y, w, h in dense_boxes(texture):
        at_edge = x <= 0 or y <= 0 or x + w >= texture.shape[1] or y + h >= texture.shape[0]
        margins = (*READ_MARGINS, EDGE_MARGIN) if at_edge else READ_MARGINS
        if any(_seen(read, _crop(gray, x, y, w, h, to_full, margin)) for margin in margins):
            return True
        crop = _crop(small, x, y, w, h, to_small, BLOCK)
        if min(crop.shape) >= 2 * BLOCK and _count(crop):
            return True
    half = cv2.resize(small, (small.shape[1] // 2, small.shape[0] // 2), interpolation=cv2.INTER_AREA)
    return min(half.shape) < 2 * BLOCK or _count(half) > 0


def dense_boxes(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, width, height in ``image`` pixels) around the blocks of edge-dense cells."""
    import cv2

    if min(image.shape) < 4:
        return [(0, 0, image.shape[1], image.shape[0])]
    base = image[:-1, :-1]
    across = cv2.absdiff(image[:-1, 1:], base)
    down = cv2.absdiff(image[1:, :-1], base)
    for _ in range(CELL_LEVELS):
        across, down = cv2.pyrDown(across), cv2.pyrDown(down)
    _, dense = cv2.threshold(cv2.min(across, down), EDGE_LEVEL, 255, cv2.THRESH_BINARY)
    dense = cv2.erode(dense, np.ones((SQUARE, SQUARE), np.uint8))
    if not dense.any():
        return []
    dense = cv2.dilate(dense, np.ones((SQUARE + 2 * GROW, SQUARE + 2 * GROW), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(dense, connectivity=8)
    cell = 2**CELL_LEVELS
    return [(int(x) * cell, int(y) * cell, int(w) * cell, int(h) * cell) for x, y, w, h, _ in stats[1:]]


def _crop(image: np.ndarray, x: int, y: int, w: int, h: int, scale: float, margin: int) -> np.ndarray:
    height, width = image.shape
    left, top = max(0, int(x * scale) - margin), max(0, int(y * scale) - margin)
    right, bottom = min(width, int((x + w) * scale) + margin), min(height, int((y + h) * scale) + margin)
    return image[top:bottom, left:right]


def _seen(read: Reader, crop: np.ndarray) -> bool:
    if min(crop.shape) < 8:
        return False
    decoded, unread = read(crop)
    return bool(decoded or unread)


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
    """Finder-like pairs among the dark blobs and among the light ones (inverted codes)."""
    import cv2

    gray = np.ascontiguousarray(gray)
    mean = cv2.boxFilter(gray, -1, (BLOCK, BLOCK), borderType=cv2.BORDER_REPLICATE)
    _, dark = cv2.threshold(cv2.subtract(mean, gray), OFFSET - 1, 255, cv2.THRESH_BINARY)
    found = _rings_with_core(dark)
    _, light = cv2.threshold(cv2.subtract(gray, mean), OFFSET, 255, cv2.THRESH_BINARY)
    return found + _rings_with_core(light)


def _rings_with_core(binary: np.ndarray) -> int:
    import cv2

    _, labels, stats, centroids = cv2.connectedComponentsWithStatsWithAlgorithm(binary, 8, cv2.CV_32S, cv2.CCL_BBDT)
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
