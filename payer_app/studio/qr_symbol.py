"""The QR symbols the studio prints: always a full QR code (never Micro QR), made with segno."""

from __future__ import annotations

import numpy as np
import segno

QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 asks


def make_payment_qr(payload: str, error: str = "m") -> segno.QRCode:
    """A QR code holding payload (UTF-8 byte mode for Vietnamese text); error level M, boosted if free."""
    return segno.make_qr(payload, error=error, encoding="utf-8" if not payload.isascii() else None)


def qr_modules(code: segno.QRCode, border: int = QUIET_ZONE) -> np.ndarray:
    """The symbol as a boolean array (True = dark), quiet zone included."""
    return np.array([list(row) for row in code.matrix_iter(scale=1, border=border)], dtype=bool)


def qr_gray_image(code: segno.QRCode, module_px: int, border: int = QUIET_ZONE) -> np.ndarray:
    """An 8-bit grayscale picture of the symbol: module_px pixels per module, black on white."""
    modules = qr_modules(code, border)
    picture = np.where(modules, 0, 255).astype(np.uint8)
    return np.kron(picture, np.ones((module_px, module_px), dtype=np.uint8))
