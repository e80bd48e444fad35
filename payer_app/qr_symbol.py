"""Payment QR symbols drawn as pixels: the one place a payload becomes a QR code.

Always a full QR code, never Micro QR (payment apps cannot read Micro QR), made with segno; text that
is not ASCII goes in byte mode as UTF-8 (EMVCo payloads are UTF-8). Output is a module matrix, a
grayscale numpy array or PNG bytes; the GUI wraps the array in a QImage itself. Imports only segno and
numpy, so the scan engine, the studio, the QA kit, the GUI and the tests may all use it."""

from __future__ import annotations

import io

import numpy as np
import segno

QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 asks
DARK, LIGHT = 0, 255  # gray levels of dark and light modules


def make_payment_qr(payload: str, error: str = "m") -> segno.QRCode:
    """A full QR code holding payload; error level ``error`` (segno raises it when space is free)."""
    return segno.make_qr(payload, error=error, encoding="utf-8" if not payload.isascii() else None)


def qr_modules(code: segno.QRCode, border: int = QUIET_ZONE) -> np.ndarray:
    """The symbol as a boolean array (True = dark), quiet zone included."""
    return np.array([list(row) for row in code.matrix_iter(scale=1, border=border)], dtype=bool)


def qr_gray_image(code: segno.QRCode, module_px: int, border: int = QUIET_ZONE) -> np.ndarray:
    """An 8-bit grayscale picture of the symbol: module_px pixels per module, black on white."""
    picture = np.where(qr_modules(code, border), DARK, LIGHT).astype(np.uint8)
    return np.kron(picture, np.ones((module_px, module_px), dtype=np.uint8))


def qr_pixels(payload: str, module_px: int = 4, border: int = QUIET_ZONE, error: str = "m") -> np.ndarray:
    """The payload's QR code as an 8-bit grayscale array (C-contiguous, black modules on white)."""
    return qr_gray_image(make_payment_qr(payload, error), module_px, border)


def qr_png(payload: str, module_px: int = 6, border: int = QUIET_ZONE, error: str = "m") -> bytes:
    """The payload's QR code as PNG file bytes (the same pixels as ``qr_pixels``)."""
    out = io.BytesIO()
    make_payment_qr(payload, error).save(out, kind="png", scale=module_px, border=border)
    return out.getvalue()
