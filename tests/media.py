"""Test media: QR codes as pixel arrays, noisy desk frames with codes pasted in, and picture and video
files written with OpenCV (MJPG in .avi) for the real capture path to read back.

Payloads live in tests/spec_vectors.py; this module only draws them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from payer_app.qr_symbol import QUIET_ZONE, qr_pixels, qr_png


def qr_array(payload: str, scale: int = 4, border: int = 4) -> np.ndarray:
    """A QR code (never Micro QR) as a grayscale array: black modules on white (the product's renderer)."""
    return qr_pixels(payload, module_px=scale, border=border)


def write_qr_png(path: Path, payload: str, scale: int = 6, border: int = QUIET_ZONE) -> Path:
    """A clean picture file of one QR code holding payload (the product's renderer)."""
    path.write_bytes(qr_png(payload, module_px=scale, border=border))
    return path


def noisy_background(width: int = 1280, height: int = 720, seed: int = 0, level: int = 150,
                     sigma: float = 6.0) -> np.ndarray:
    """A grey desk with a gradient, some shapes and sensor noise (grayscale)."""
    rng = np.random.default_rng(seed)
    img = np.tile(np.linspace(level - 40, level + 40, width).astype(np.uint8)[None, :], (height, 1))
    for _ in range(8):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        cv2.rectangle(img, (x, y), (x + int(rng.integers(20, 200)), y + int(rng.integers(20, 120))),
                      int(rng.integers(40, 220)), -1)
    noise = rng.normal(0, sigma, img.shape)
    return np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def paste(canvas: np.ndarray, patch: np.ndarray, x: int, y: int) -> np.ndarray:
    """The canvas with patch copied in, its top-left corner at (x, y)."""
    h, w = patch.shape[:2]
    canvas[y:y + h, x:x + w] = patch
    return canvas


def rotated(patch: np.ndarray, angle: float, fill: int = 255) -> np.ndarray:
    """The patch turned by angle degrees on a canvas large enough to hold it."""
    h, w = patch.shape[:2]
    side = int(np.ceil(np.hypot(h, w))) + 4
    canvas = np.full((side, side), fill, np.uint8)
    paste(canvas, patch, (side - w) // 2, (side - h) // 2)
    m = cv2.getRotationMatrix2D((side / 2, side / 2), angle, 1.0)
    return cv2.warpAffine(canvas, m, (side, side), flags=cv2.INTER_LINEAR, borderValue=fill)


def frame_with(payloads_at: list[tuple[str, int, int]], width: int = 1280, height: int = 720,
               scale: int = 4, seed: int = 0) -> np.ndarray:
    """A BGR frame: noisy background with QR codes (payload, x, y) pasted at those positions."""
    gray = noisy_background(width, height, seed)
    for payload, x, y in payloads_at:
        paste(gray, qr_array(payload, scale), x, y)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def empty_frame(width: int = 1280, height: int = 720, seed: int = 0) -> np.ndarray:
    """A BGR frame of the noisy desk with no code on it."""
    return cv2.cvtColor(noisy_background(width, height, seed), cv2.COLOR_GRAY2BGR)


def write_video(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    """Write BGR frames (all the same size) to an MJPG .avi file."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened(), "OpenCV cannot write MJPG video here"
    for f in frames:
        writer.write(f if f.ndim == 3 else cv2.cvtColor(f, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def write_image(path: Path, image: np.ndarray) -> Path:
    """Write the array as a picture file (format from the suffix)."""
    assert cv2.imwrite(str(path), image)
    return path
