"""Pictures for the HTML report: a thumbnail with every code outlined and a crop of the main code,
both as ``data:`` URIs so the page needs no other file and no network."""

from __future__ import annotations

import base64

import numpy as np

OUTLINE_MAIN = (40, 200, 40)  # BGR: the code the card is about
OUTLINE_OTHER = (0, 150, 255)  # other codes in the picture
JPEG_QUALITY = 60  # thumbnails: small enough for a 500-file page under 3 MB (docs/qa.md)


def _bgr(image: np.ndarray) -> np.ndarray:
    import cv2

    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def _uri(image: np.ndarray, fmt: str) -> str | None:
    import cv2

    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if fmt == "jpg" else [cv2.IMWRITE_PNG_COMPRESSION, 6]
    ok, data = cv2.imencode("." + fmt, image, params)
    if not ok:
        return None
    mime = "image/jpeg" if fmt == "jpg" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(data.tobytes()).decode("ascii")


def card_images(image: np.ndarray, polygons: list, main_polygon, thumb_side: int,
                crop_side: int) -> tuple[str | None, str | None]:
    """(thumbnail URI, crop URI or None; no crop when ``crop_side`` is 0). Outlines: green for the main
    code, orange for others."""
    import cv2

    bgr = _bgr(image)
    h, w = bgr.shape[:2]
    scale = min(1.0, thumb_side / max(h, w))
    thumb = cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    thumb = np.ascontiguousarray(thumb)
    for polygon in polygons:
        if len(polygon) < 3:
            continue
        pts = np.array([[x * scale, y * scale] for x, y in polygon], dtype=np.int32).reshape(-1, 1, 2)
        colour = OUTLINE_MAIN if polygon == main_polygon else OUTLINE_OTHER
        cv2.polylines(thumb, [pts], True, colour, 2, cv2.LINE_AA)
    crop_uri = None
    if main_polygon and len(main_polygon) >= 3 and crop_side > 0:
        xs = [p[0] for p in main_polygon]
        ys = [p[1] for p in main_polygon]
        side = max(max(xs) - min(xs), max(ys) - min(ys), 8)
        margin = int(side * 0.12) + 2
        x0, x1 = max(0, int(min(xs)) - margin), min(w, int(max(xs)) + margin)
        y0, y1 = max(0, int(min(ys)) - margin), min(h, int(max(ys)) + margin)
        if x1 > x0 and y1 > y0:
            crop = bgr[y0:y1, x0:x1]
            cs = min(1.0, crop_side / max(crop.shape[:2]))
            if cs < 1.0:
                crop = cv2.resize(crop, (max(1, round(crop.shape[1] * cs)), max(1, round(crop.shape[0] * cs))),
                                  interpolation=cv2.INTER_AREA)
            crop_uri = _uri(np.ascontiguousarray(crop), "png")
    return _uri(thumb, "jpg"), crop_uri
