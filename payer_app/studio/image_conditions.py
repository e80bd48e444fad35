"""How a corpus QR is photographed: clean, inverted, low contrast, blurred, rotated, in perspective,
with tiny modules, JPEG-compressed, or beside a second QR. Each condition turns a payload into an
8-bit grayscale picture (OpenCV + numpy) and says whether a decoder is expected to read it;
the extreme variants are there on purpose, marked ``decodable_expected=False`` and counted."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from payer_app.qr_symbol import make_payment_qr, qr_gray_image

MODULE_PX = 6
MARGIN_PX = 24
SECOND_QR_TEXT = "https://www.evn.com.vn/"


@dataclass
class RenderedCode:
    image: np.ndarray  # grayscale uint8
    transformation: dict
    decodable_expected: bool
    extra_payloads: tuple[str, ...] = ()
    file_format: str = "png"  # "png" or "jpg"
    jpeg_quality: int | None = None


def _symbol(payload: str, module_px: int = MODULE_PX) -> np.ndarray:
    image = qr_gray_image(make_payment_qr(payload), module_px)
    return cv2.copyMakeBorder(image, MARGIN_PX, MARGIN_PX, MARGIN_PX, MARGIN_PX, cv2.BORDER_CONSTANT, value=255)


def _tone(image: np.ndarray, dark: int, light: int) -> np.ndarray:
    scaled = dark + (image.astype(np.float32) / 255.0) * (light - dark)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def clean(payload: str, rng: random.Random) -> RenderedCode:
    return RenderedCode(_symbol(payload), {"name": "clean", "module_px": MODULE_PX}, True)


def inverted(payload: str, rng: random.Random) -> RenderedCode:
    return RenderedCode(255 - _symbol(payload), {"name": "inverted", "module_px": MODULE_PX}, True)


def low_contrast(payload: str, rng: random.Random) -> RenderedCode:
    dark, light = rng.randint(95, 115), rng.randint(150, 170)
    return RenderedCode(
        _tone(_symbol(payload), dark, light), {"name": "low-contrast", "dark": dark, "light": light}, True
    )


def extreme_low_contrast(payload: str, rng: random.Random) -> RenderedCode:
    """Dark and light 4 levels apart under sensor noise of about 6 levels: nothing can read it."""
    rng_np = np.random.default_rng(rng.randrange(2**32))
    toned = _tone(_symbol(payload), 126, 130).astype(np.float32)
    noisy = toned + rng_np.normal(0, 6, toned.shape)
    image = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
    return RenderedCode(image, {"name": "extreme-low-contrast", "dark": 126, "light": 130, "noise_sigma": 6}, False)


def blur(payload: str, rng: random.Random) -> RenderedCode:
    sigma = round(rng.uniform(0.2, 0.4) * MODULE_PX, 2)
    image = cv2.GaussianBlur(_symbol(payload), (0, 0), sigma)
    return RenderedCode(image, {"name": "blur", "sigma_px": sigma, "module_px": MODULE_PX}, True)


def extreme_blur(payload: str, rng: random.Random) -> RenderedCode:
    sigma = round(rng.uniform(1.6, 2.2) * MODULE_PX, 2)
    image = cv2.GaussianBlur(_symbol(payload), (0, 0), sigma)
    return RenderedCode(image, {"name": "extreme-blur", "sigma_px": sigma, "module_px": MODULE_PX}, False)


def rotation(payload: str, rng: random.Random) -> RenderedCode:
    angle = round(rng.uniform(0.0, 360.0), 1)
    symbol = _symbol(payload)
    h, w = symbol.shape
    side = int(np.ceil(np.hypot(h, w))) + 2
    canvas = np.full((side, side), 255, np.uint8)
    y0, x0 = (side - h) // 2, (side - w) // 2
    canvas[y0 : y0 + h, x0 : x0 + w] = symbol
    matrix = cv2.getRotationMatrix2D((side / 2, side / 2), angle, 1.0)
    image = cv2.warpAffine(canvas, matrix, (side, side), flags=cv2.INTER_LINEAR, borderValue=255)
    return RenderedCode(image, {"name": "rotation", "degrees": angle}, True)


def perspective(payload: str, rng: random.Random) -> RenderedCode:
    symbol = _symbol(payload)
    h, w = symbol.shape
    pad = w // 4
    canvas = cv2.copyMakeBorder(symbol, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    src = np.array([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]], dtype=np.float32)
    jitter = [(rng.uniform(-0.12, 0.12) * w, rng.uniform(-0.12, 0.12) * h) for _ in range(4)]
    dst = np.array([[x + dx, y + dy] for (x, y), (dx, dy) in zip(src.tolist(), jitter, strict=True)],
                   dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    size = (canvas.shape[1], canvas.shape[0])
    image = cv2.warpPerspective(canvas, matrix, size, flags=cv2.INTER_LINEAR, borderValue=255)
    corners = [[round(float(x), 1), round(float(y), 1)] for x, y in dst]
    return RenderedCode(image, {"name": "perspective", "corners_px": corners}, True)


def small_modules(payload: str, rng: random.Random) -> RenderedCode:
    module_px = 2
    return RenderedCode(_symbol(payload, module_px), {"name": "small-modules", "module_px": module_px}, True)


def jpeg(payload: str, rng: random.Random) -> RenderedCode:
    quality = rng.randint(12, 30)
    return RenderedCode(
        _symbol(payload), {"name": "jpeg", "quality": quality}, True, file_format="jpg", jpeg_quality=quality
    )


def second_qr(payload: str, rng: random.Random) -> RenderedCode:
    """The payment QR and a second, non-payment QR side by side in one picture."""
    first, second = _symbol(payload), _symbol(SECOND_QR_TEXT)
    height = max(first.shape[0], second.shape[0])
    pieces = [
        cv2.copyMakeBorder(s, 0, height - s.shape[0], 0, 0, cv2.BORDER_CONSTANT, value=255) for s in (first, second)
    ]
    if rng.random() < 0.5:
        pieces.reverse()
    image = np.hstack([pieces[0], np.full((height, 2 * MARGIN_PX), 255, np.uint8), pieces[1]])
    return RenderedCode(image, {"name": "second-qr", "other_text": SECOND_QR_TEXT}, True, (SECOND_QR_TEXT,))


@dataclass(frozen=True)
class ImageCondition:
    name: str
    render: Callable[[str, random.Random], RenderedCode]
    description: str
    beyond_decoder: bool = False


CONDITIONS: tuple[ImageCondition, ...] = (
    ImageCondition("clean", clean, "black on white, 6 px modules"),
    ImageCondition("inverted", inverted, "white modules on black"),
    ImageCondition("low-contrast", low_contrast, "dark and light about 55 grey levels apart"),
    ImageCondition("blur", blur, "Gaussian blur of 0.2-0.4 module"),
    ImageCondition("rotation", rotation, "turned by 0-360 degrees"),
    ImageCondition("perspective", perspective, "seen at an angle (corners moved up to 12%)"),
    ImageCondition("small-modules", small_modules, "2 px per module"),
    ImageCondition("jpeg", jpeg, "JPEG quality 12-30"),
    ImageCondition("second-qr", second_qr, "a URL QR beside the payment QR"),
    ImageCondition("extreme-blur", extreme_blur, "Gaussian blur of 1.6-2.2 modules", beyond_decoder=True),
    ImageCondition(
        "extreme-low-contrast", extreme_low_contrast, "4 grey levels apart under noise", beyond_decoder=True
    ),
)
CONDITIONS_BY_NAME = {c.name: c for c in CONDITIONS}
