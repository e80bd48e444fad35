"""QR decoders behind one small interface: ``decoder.decode(gray) -> list[Detection]``.

Three backends, each used on 8-bit grayscale images:

* ``ZbarDecoder``: libzbar through pyzbar's ctypes bindings, configured for QR only. When libzbar
  supports binary mode (0.23.1 and later) the raw bytes are read and decoded as UTF-8; otherwise
  zbar's own text conversion is used and the known UTF-8-read-as-Shift-JIS garbling is repaired
  (``repair_zbar_text``).
* ``ZxingDecoder``: zxing-cpp restricted to QR Code. Measured to be the better second decoder (much
  faster than OpenCV's detector and it also reports where it saw a code it could not read, which the
  engine uses to retry at full resolution).
* ``OpenCvDecoder``: OpenCV's ``QRCodeDetector``: the last try on a still image nothing else read,
  and a comparison in bench/decode_bench.py.

``fast_decode(gray)`` is the cheapest read of a whole still picture (zxing-cpp with its own default
tries, QR only); a folder scan tries it first and runs the engine's thorough pipeline only when it
is not enough (payer_app/qa/workers.py).
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from payer_app.core.crc import payload_crc

Polygon = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Detection:
    """One decoded QR code: its text, its corners in frame pixels and the decoder that read it."""

    text: str
    polygon: Polygon
    decoder: str

    def center(self) -> tuple[float, float]:
        xs = [p[0] for p in self.polygon] or [0]
        ys = [p[1] for p in self.polygon] or [0]
        return (sum(xs) / len(xs), sum(ys) / len(ys))

    def to_dict(self) -> dict:
        return {"text": self.text, "polygon": [list(p) for p in self.polygon], "decoder": self.decoder}


# ---------------------------------------------------------------------------------------------
# Text repair


def _emv_crc_ok(text: str) -> bool:
    """True when text ends with a well-formed EMVCo CRC field that matches its UTF-8 bytes."""
    if len(text) < 8 or text[-8:-4] != "6304":
        return False
    try:
        return payload_crc(text[:-4]).upper() == text[-4:].upper()
    except Exception:  # noqa: BLE001 - any failure simply means "not a matching CRC"
        return False


# Encodings zbar may have wrongly assumed when it converted the QR's bytes to UTF-8.
_GUESSED_ENCODINGS = ("shift_jis", "cp932", "big5", "gbk")


def repair_zbar_text(text: str) -> str:
    """Undo zbar's habit of reading UTF-8 bytes as Shift-JIS (or another legacy encoding).

    zbar converts byte-mode QR content to UTF-8 after guessing its encoding; UTF-8 Vietnamese text
    is often guessed to be Shift-JIS, producing mojibake such as 'ﾄ鷹ｳng' for 'Đóng'. Encoding the
    text back with the guessed codec gives the original bytes, which then decode as UTF-8.
    A candidate whose EMVCo CRC matches wins; otherwise the first clean round trip is taken.
    Text that is already right (ASCII, or a CRC that matches) is returned unchanged.
    """
    if text.isascii() or _emv_crc_ok(text):
        return text
    candidates = []
    for encoding in _GUESSED_ENCODINGS:
        try:
            repaired = text.encode(encoding).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if repaired != text:
            candidates.append(repaired)
    for candidate in candidates:
        if _emv_crc_ok(candidate):
            return candidate
    return candidates[0] if candidates else text


def decode_qr_bytes(data: bytes) -> str:
    """QR byte content as text: UTF-8 (what Vietnamese payment QRs use) when the bytes are valid
    UTF-8, else ISO-8859-1, the QR standard's default for byte mode (encoders such as segno use it
    when every character fits)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# ---------------------------------------------------------------------------------------------
# Helpers


def as_gray(image: np.ndarray) -> np.ndarray:
    """An 8-bit single-channel C-contiguous view or copy of ``image`` (gray, BGR or BGRA)."""
    import cv2

    if image.ndim == 3:
        if image.shape[2] == 1:
            image = image[:, :, 0]
        elif image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
        else:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image)


def _polygon(points) -> Polygon:
    return tuple((int(round(float(x))), int(round(float(y)))) for x, y in points)


# ---------------------------------------------------------------------------------------------
# zbar


_ZBAR_QRCODE = 64
_ZBAR_CFG_ENABLE = 0
_ZBAR_CFG_BINARY = 4  # zbar >= 0.23.1; older versions reject it
_ZBAR_CFG_X_DENSITY = 0x100
_ZBAR_CFG_Y_DENSITY = 0x101
_ZBAR_FOURCC_Y800 = 0x30303859


class ZbarDecoder:
    """libzbar, QR only, on grayscale images. Thread-safe: each call uses its own zbar scanner.

    A scanner costs about 10 microseconds to set up; one reused across calls was measured to keep
    about 0.7 kB per decoded code forever (libzbar 0.23.92), so none is reused."""

    name = "zbar"

    def __init__(self, density: int = 1, binary: bool = True):
        from pyzbar import wrapper  # loads libzbar; raises ImportError with a clear message if absent

        self._zbar = wrapper
        self.density = max(1, int(density))
        self.want_binary = binary
        # Set on first use: whether this libzbar returns raw bytes in binary mode.
        self.binary_supported: bool | None = None

    def _new_scanner(self):
        z = self._zbar
        scanner = z.zbar_image_scanner_create()
        if not scanner:
            raise RuntimeError("libzbar could not create an image scanner")
        z.zbar_image_scanner_set_config(scanner, 0, _ZBAR_CFG_ENABLE, 0)
        z.zbar_image_scanner_set_config(scanner, _ZBAR_QRCODE, _ZBAR_CFG_ENABLE, 1)
        if self.density != 1:
            z.zbar_image_scanner_set_config(scanner, 0, _ZBAR_CFG_X_DENSITY, self.density)
            z.zbar_image_scanner_set_config(scanner, 0, _ZBAR_CFG_Y_DENSITY, self.density)
        binary = False
        if self.want_binary and self.binary_supported is not False:
            binary = z.zbar_image_scanner_set_config(scanner, _ZBAR_QRCODE, _ZBAR_CFG_BINARY, 1) == 0
        self.binary_supported = binary if self.want_binary else False
        return scanner, binary

    def decode(self, gray: np.ndarray) -> list[Detection]:
        z = self._zbar
        gray = np.ascontiguousarray(gray)
        height, width = gray.shape[:2]
        scanner, binary = self._new_scanner()
        image = z.zbar_image_create()
        try:
            if not image:
                raise RuntimeError("libzbar could not create an image")
            z.zbar_image_set_format(image, _ZBAR_FOURCC_Y800)
            z.zbar_image_set_size(image, width, height)
            z.zbar_image_set_data(image, gray.ctypes.data_as(ctypes.c_void_p), gray.nbytes, None)
            if z.zbar_scan_image(scanner, image) < 0:
                raise RuntimeError("libzbar refused the image format")
            found = []
            symbol = z.zbar_image_first_symbol(image)
            while symbol:
                data = ctypes.string_at(z.zbar_symbol_get_data(symbol), z.zbar_symbol_get_data_length(symbol))
                if binary:
                    text = decode_qr_bytes(data)
                else:
                    text = repair_zbar_text(data.decode("utf-8", errors="replace"))
                points = [
                    (z.zbar_symbol_get_loc_x(symbol, i), z.zbar_symbol_get_loc_y(symbol, i))
                    for i in range(z.zbar_symbol_get_loc_size(symbol))
                ]
                found.append(Detection(text, _polygon(points), self.name))
                symbol = z.zbar_symbol_next(symbol)
            return found
        finally:
            if image:
                z.zbar_image_destroy(image)
            z.zbar_image_scanner_destroy(scanner)


# ---------------------------------------------------------------------------------------------
# zxing-cpp


class ZxingDecoder:
    """zxing-cpp limited to QR Code. ``read`` also returns the outlines of codes it saw but could not
    decode (the engine retries those regions at full resolution)."""

    name = "zxing"

    def __init__(self, try_rotate: bool = False, try_downscale: bool = False, try_invert: bool = False,
                 global_threshold: bool = False):
        import zxingcpp

        self._zx = zxingcpp
        self.options: dict[str, Any] = dict(
            formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
            try_rotate=try_rotate,
            try_downscale=try_downscale,
            try_invert=try_invert,
        )
        if global_threshold:  # one threshold for the whole image: better on smooth blur, worse on uneven light
            self.options["binarizer"] = zxingcpp.Binarizer.GlobalHistogram

    @staticmethod
    def _corners(barcode) -> Polygon:
        pos = barcode.position
        return _polygon([(p.x, p.y) for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)])

    def _text(self, barcode) -> str:
        data = barcode.bytes
        if data:
            try:
                return bytes(data).decode("utf-8")
            except UnicodeDecodeError:
                pass
        return barcode.text

    def read(self, gray: np.ndarray, **overrides) -> tuple[list[Detection], list[Polygon]]:
        """Decoded codes, and the outlines of QR codes seen but not decoded."""
        options = {**self.options, **overrides}
        results = self._zx.read_barcodes(np.ascontiguousarray(gray), return_errors=True, **options)
        decoded: list[Detection] = []
        unread: list[Polygon] = []
        for barcode in results:
            if barcode.valid:
                decoded.append(Detection(self._text(barcode), self._corners(barcode), self.name))
            else:
                unread.append(self._corners(barcode))
        return decoded, unread

    def decode(self, gray: np.ndarray, **overrides) -> list[Detection]:
        return self.read(gray, **overrides)[0]


_FAST: list[ZxingDecoder] = []


def fast_decode(gray: np.ndarray) -> list[Detection]:
    """Every QR code zxing-cpp reads on the whole grey picture as it is, with zxing-cpp's own default
    tries (rotated, downscaled, inverted), QR only: one native call, no copy, no retry."""
    if not _FAST:
        _FAST.append(ZxingDecoder(try_rotate=True, try_downscale=True, try_invert=True))
    return _FAST[0].decode(gray)


# ---------------------------------------------------------------------------------------------
# OpenCV


class OpenCvDecoder:
    """OpenCV's QRCodeDetector (one detector per thread)."""

    name = "opencv"

    def __init__(self):
        import cv2

        self._cv2 = cv2
        self._local = threading.local()

    def decode(self, gray: np.ndarray) -> list[Detection]:
        detector = getattr(self._local, "detector", None)
        if detector is None:
            detector = self._local.detector = self._cv2.QRCodeDetector()
        try:
            ok, texts, points, _ = detector.detectAndDecodeMulti(gray)
        except self._cv2.error:
            return []
        if not ok or points is None:
            return []
        return [
            Detection(text, _polygon(corners), self.name)
            for text, corners in zip(texts, points, strict=False)
            if text
        ]
