"""The scan engine: decode a frame, confirm results over several frames, run a threaded scan session.

``decode_frame(image)`` is stateless. Its pipeline, measured on 1280x720 frames (bench/decode_bench.py):

1. fast path: grayscale, downscale so the long side is 640 px, zxing-cpp on it (inverted codes
   included; cheap, and it reports where it saw a QR it could not read); when it saw nothing and
   ``payer_app.scan.precheck.may_hold_code`` sees no code either (it looks only where the frame
   has dense edges), step 2 and step 4's full-resolution pass are skipped (live frames only;
   ``precheck=False`` turns the gate off);
2. zbar (QR only) on the same small image: it reads codes zxing missed;
3. every place where a code was seen but not read is retried at full resolution: zbar, zxing with
   all its tries, then zbar on the inverted crop;
4. when nothing at all was found, zxing on the full-resolution frame (small, distant codes that the
   downscale blurred away), then zxing with a global threshold on the small image (blurred codes);
5. still images only (``STILL``): every decoder on the whole image, plain and inverted, then
   contrast-equalised, sharpened and binarised while nothing is found, OpenCV's detector last.

``Confirmer`` (pure, no threads) accepts a payload only after N consecutive frames showed it and
not again within a hold-off time. ``ScanSession`` runs capture and decode in their own threads and
reports through callbacks, called from those worker threads.
"""

from __future__ import annotations

import atexit
import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from payer_app.core.display_text import visible
from payer_app.scan.confirm import Confirmer
from payer_app.scan.decoders import Detection, Polygon, ZbarDecoder, ZxingDecoder, as_gray
from payer_app.scan.precheck import may_hold_code
from payer_app.scan.source_specs import make_source
from payer_app.scan.sources import Frame, FrameSource, SourceError, read_image_file

__all__ = ["AcceptedScan", "Confirmer", "DecodeFailed", "Detection", "EngineConfig", "ScanSession", "SourceError",
           "decode_checked", "decode_frame", "decode_image_file"]


class DecodeFailed(SourceError):
    """The decoders failed on a frame (an OpenCV error, too little memory); the message names the
    frame or file, escaped. A SourceError, so every caller that reports bad sources reports it."""


def decode_checked(image: np.ndarray, config: EngineConfig | None = None, what: str = "frame") -> list[Detection]:
    """``decode_frame`` that raises only ``DecodeFailed`` (never ``cv2.error``) when it fails;
    ``what`` names the frame or file in the message."""
    try:
        return decode_frame(image, config or LIVE)
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - cv2.error, MemoryError, a bad array: one clear message
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        detail = lines[-1] if lines else type(exc).__name__
        raise DecodeFailed(f"{visible(what)}: the QR decoders failed on this image ({visible(detail)})") from None


@dataclass(frozen=True)
class EngineConfig:
    fast_side: int = 640  # long side of the fast-path image
    zbar_density: int = 1  # zbar scan-line spacing on the fast path
    roi_margin: float = 0.35  # crop margin around a seen-but-unread code, in code sizes
    max_roi: int = 4  # at most this many full-resolution retries per frame
    full_res_fallback: bool = True  # step 4 above
    thorough: bool = False  # still images: also try everything on the whole full-resolution image
    precheck: bool = True  # skip the costly passes when the small image shows no finder pattern


LIVE = EngineConfig()
STILL = EngineConfig(thorough=True, precheck=False)


class _Decoders:
    """The decoder instances the pipeline uses (thread-safe, created on first use)."""

    _lock = threading.Lock()
    _instances: dict[int, _Decoders] = {}

    def __init__(self, config: EngineConfig):
        self.zbar = ZbarDecoder(density=config.zbar_density)
        self.zbar_full = ZbarDecoder(density=1)
        self.zxing = ZxingDecoder(try_invert=True)
        self.zxing_hard = ZxingDecoder(try_rotate=True, try_downscale=True, try_invert=True)
        self.zxing_global = ZxingDecoder(try_invert=True, global_threshold=True)

    @classmethod
    def get(cls, config: EngineConfig) -> _Decoders:
        key = config.zbar_density
        with cls._lock:
            found = cls._instances.get(key)
            if found is None:
                found = cls._instances[key] = _Decoders(config)
            return found


def _scaled(polygon: Polygon, factor: float, dx: int = 0, dy: int = 0) -> Polygon:
    return tuple((int(round(x * factor)) + dx, int(round(y * factor)) + dy) for x, y in polygon)


def _relabel(detections: Sequence[Detection], factor: float = 1.0, dx: int = 0, dy: int = 0,
             stage: str | None = None) -> list[Detection]:
    out = []
    for d in detections:
        name = d.decoder if stage is None else f"{d.decoder}/{stage}"
        out.append(Detection(d.text, _scaled(d.polygon, factor, dx, dy), name))
    return out


def _zbar_order(polygon: Polygon) -> Polygon:
    """zbar lists QR corners anticlockwise on screen; use the clockwise order zxing and OpenCV use."""
    if len(polygon) == 4:
        return (polygon[0], polygon[3], polygon[2], polygon[1])
    return polygon


def _bounds(polygon: Polygon) -> tuple[float, float, float, float]:
    xs = [p[0] for p in polygon]
    ys = [p[1] for p in polygon]
    return min(xs), min(ys), max(xs), max(ys)


def _size(polygon: Polygon) -> float:
    x0, y0, x1, y1 = _bounds(polygon)
    return max(x1 - x0, y1 - y0, 1)


def _center(polygon: Polygon) -> tuple[float, float]:
    x0, y0, x1, y1 = _bounds(polygon)
    return (x0 + x1) / 2, (y0 + y1) / 2


def _same_place(a: Polygon, b: Polygon) -> bool:
    (ax, ay), (bx, by) = _center(a), _center(b)
    return math.hypot(ax - bx, ay - by) < 0.5 * max(_size(a), _size(b))


class _Collected:
    """Detections gathered across pipeline steps; one per code (same text at the same place)."""

    def __init__(self):
        self.items: list[Detection] = []

    def add(self, detections: Sequence[Detection]) -> int:
        added = 0
        for d in detections:
            if any(d.text == o.text and _same_place(d.polygon, o.polygon) for o in self.items):
                continue
            self.items.append(d)
            added += 1
        return added

    def covers(self, polygon: Polygon) -> bool:
        return any(_same_place(polygon, o.polygon) for o in self.items)


def decode_frame(image: np.ndarray, config: EngineConfig = LIVE) -> list[Detection]:
    """All QR codes in a frame (BGR, BGRA or gray), each with its polygon in frame pixels and the
    decoder that read it (``zbar``, ``zxing``, with ``/roi``, ``/inverted``, ``/full`` for the
    retries). Sorted top to bottom, left to right."""
    import cv2

    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
        raise ValueError("decode_frame needs a non-empty 2-D (gray) or 3-D (colour) numpy image")
    decoders = _Decoders.get(config)
    gray = as_gray(image)
    height, width = gray.shape
    long_side = max(height, width)
    collected = _Collected()

    # 1. fast path
    if long_side > config.fast_side:
        factor = config.fast_side / long_side
        small = cv2.resize(gray, (max(1, round(width * factor)), max(1, round(height * factor))),
                           interpolation=cv2.INTER_AREA)
    else:
        factor = 1.0
        small = gray
    back = 1.0 / factor
    zx_found, unread = decoders.zxing.read(small)
    empty = config.precheck and not zx_found and not unread and not may_hold_code(gray, small, decoders.zxing.read)

    # 2. zbar on the small image (its results listed first), then zxing's
    if not empty:
        zbar_small = [Detection(d.text, _zbar_order(d.polygon), d.decoder) for d in decoders.zbar.decode(small)]
        collected.add(_relabel(zbar_small, back))
    collected.add(_relabel(zx_found, back))
    unread = [_scaled(p, back) for p in unread]

    # 3. full-resolution retries where a code was seen but not read
    for polygon in [p for p in unread if not collected.covers(p)][: config.max_roi]:
        collected.add(_retry_region(gray, polygon, config, decoders))

    # 4. nothing at all: a small code may have been lost in the downscale; a blurred one may need
    #    a global threshold instead of zxing's local one
    fallback = not collected.items and factor < 1.0 and config.full_res_fallback
    if fallback and not empty:
        found, unread_full = decoders.zxing.read(gray)
        collected.add(_relabel(found, stage="full"))
        for polygon in [p for p in unread_full if not collected.covers(p)][: config.max_roi]:
            collected.add(_retry_region(gray, polygon, config, decoders))
    if not collected.items:
        collected.add(_relabel(decoders.zxing_global.decode(small), back, stage="global"))

    if config.thorough:
        _thorough(gray, collected, decoders)

    return sorted(collected.items, key=lambda d: (_center(d.polygon)[1] // 40, _center(d.polygon)[0]))


def _retry_region(gray: np.ndarray, polygon: Polygon, config: EngineConfig, decoders: _Decoders) -> list[Detection]:
    height, width = gray.shape
    x0, y0, x1, y1 = _bounds(polygon)
    margin = config.roi_margin * _size(polygon) + 8
    left, top = max(0, int(x0 - margin)), max(0, int(y0 - margin))
    right, bottom = min(width, int(x1 + margin) + 1), min(height, int(y1 + margin) + 1)
    if right - left < 8 or bottom - top < 8:
        return []
    crop = np.ascontiguousarray(gray[top:bottom, left:right])
    found = [Detection(d.text, _zbar_order(d.polygon), d.decoder) for d in decoders.zbar_full.decode(crop)]
    if found:
        return _relabel(found, 1.0, left, top, "roi")
    found = decoders.zxing_hard.decode(crop)
    if found:
        return _relabel(found, 1.0, left, top, "roi")
    inverted = 255 - crop
    found = [Detection(d.text, _zbar_order(d.polygon), d.decoder) for d in decoders.zbar_full.decode(inverted)]
    return _relabel(found, 1.0, left, top, "inverted")


THOROUGH_MAX_SIDE = 2000  # big photos are reduced to this for the whole-image still passes


def _thorough(gray: np.ndarray, collected: _Collected, decoders: _Decoders) -> None:
    """Still images: zbar and zxing on the whole image, plain and inverted; while nothing is found,
    contrast-equalised, sharpened and binarised copies, and OpenCV's detector last."""
    import cv2

    back = 1.0
    if max(gray.shape) > THOROUGH_MAX_SIDE:  # a 12-megapixel photo would take seconds per pass
        factor = THOROUGH_MAX_SIDE / max(gray.shape)
        gray = cv2.resize(gray, (round(gray.shape[1] * factor), round(gray.shape[0] * factor)),
                          interpolation=cv2.INTER_AREA)
        back = 1.0 / factor

    def zbar(img):
        return [Detection(d.text, _zbar_order(d.polygon), d.decoder) for d in decoders.zbar_full.decode(img)]

    def add(detections, stage=None):
        collected.add(_relabel(detections, back, stage=stage))

    add(zbar(gray))
    add(zbar(255 - gray), "inverted")
    add(decoders.zxing_hard.decode(gray), "full")
    if not collected.items:
        equalized = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(gray)
        add(zbar(equalized), "contrast")
        add(decoders.zxing_hard.decode(equalized), "contrast")
    if not collected.items:
        blurred = cv2.GaussianBlur(gray, (0, 0), 2.0)
        sharpened = cv2.addWeighted(gray, 1.8, blurred, -0.8, 0)
        add(zbar(sharpened), "sharpened")
        add(decoders.zxing_hard.decode(sharpened), "sharpened")
    if not collected.items:
        binarized = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 5)
        add(zbar(binarized), "binarized")
    if not collected.items:
        from payer_app.scan.decoders import OpenCvDecoder

        add(OpenCvDecoder().decode(gray))


def decode_image_file(path) -> list[Detection]:
    """Every QR code in an image file (thorough still-image pipeline). Raises SourceError with a
    message naming the file when it is missing or not a readable image."""
    image = read_image_file(path)
    return decode_checked(image, STILL, str(path))


# ---------------------------------------------------------------------------------------------
# Threaded session


@dataclass
class AcceptedScan:
    """A confirmed QR code: what it says, where it was, which decoder read it, and the frame."""

    text: str
    polygon: Polygon
    decoder: str
    frame_index: int
    t_ms: float
    decode_ms: float
    image: np.ndarray = field(repr=False)
    source: str = ""
    file: str | None = None
    captured_at: float = 0.0  # time.monotonic() when the frame was captured
    accepted_at: float = 0.0  # time.monotonic() when it was accepted
    others: tuple[Detection, ...] = ()  # every code in the same frame (including this one)

    @property
    def detection(self) -> Detection:
        return Detection(self.text, self.polygon, self.decoder)


@dataclass
class SessionStats:
    frames_captured: int = 0
    frames_decoded: int = 0
    frames_dropped: int = 0
    errors: int = 0
    reopens: int = 0
    decode_ms: deque = field(default_factory=lambda: deque(maxlen=2000))


_END = object()


class ScanSession:
    """Capture and decode in two worker threads.

    Callbacks (all optional, all called from worker threads; keep them short):
    ``on_frame(frame)`` for every captured frame (preview), ``on_detections(frame, detections,
    decode_ms)`` for every decoded frame, ``on_accepted(accepted_scan)`` for every confirmed code,
    ``on_error(exc)`` when the source fails (a live source is then reopened), ``on_finished()``
    once, when the session ends (source exhausted, ``stop()``, ``max_frames`` decoded frames, or
    an unrecoverable error).

    Live sources keep only the newest frame (a slow decoder drops frames, the preview never lags);
    file sources hand over every frame. Per-file sources (images, folders) skip confirmation: each
    file's codes are accepted at once, and a file that cannot be read is reported via on_error.
    """

    def __init__(self, source: FrameSource | str, on_frame: Callable | None = None,
                 on_detections: Callable | None = None, on_accepted: Callable | None = None,
                 on_error: Callable | None = None, on_finished: Callable | None = None,
                 frames_required: int = 2, hold_off_ms: float = 3000.0, reopen_delay_s: float = 0.5,
                 config: EngineConfig | None = None, max_frames: int | None = None,
                 before_open: Callable | None = None):
        self.source = make_source(source) if isinstance(source, str) else source
        self.before_open = before_open  # run first in the capture thread (e.g. library_pages.prepare_scanning)
        self.on_frame = on_frame
        self.on_detections = on_detections
        self.on_accepted = on_accepted
        self.on_error = on_error
        self.on_finished = on_finished
        self.confirmer = Confirmer(frames_required, hold_off_ms)
        self.reopen_delay_s = reopen_delay_s
        self.max_frames = max_frames  # end the session after this many decoded frames
        self.config = config or (STILL if self.source.per_file else LIVE)
        self.stats = SessionStats()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._cond = threading.Condition()
        self._latest: object | None = None  # newest frame, or _END, waiting for the decoder
        self._threads: list[threading.Thread] = []
        _SESSIONS.add(self)

    # control -----------------------------------------------------------------------------------
    def start(self) -> ScanSession:
        if self._threads:
            raise RuntimeError("a ScanSession can be started once")
        self._threads = [
            threading.Thread(target=self._capture_loop, name="scan-capture", daemon=True),
            threading.Thread(target=self._decode_loop, name="scan-decode", daemon=True),
        ]
        for t in self._threads:
            t.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        """Ask both threads to end; waits for them unless called from one of them. A read in flight
        is ended through ``source.interrupt()`` (a network stream's socket is shut)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        try:
            self.source.interrupt()
        except Exception:  # noqa: BLE001 - stopping must not fail; the read ends by its time-out
            pass
        current = threading.current_thread()
        for t in self._threads:
            if t is not current:
                t.join(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the session has finished; True if it has."""
        return self._finished.wait(timeout)

    @property
    def running(self) -> bool:
        return bool(self._threads) and not self._finished.is_set()

    @property
    def threads_alive(self) -> bool:
        """True while a worker thread has not ended (after ``stop``: a read that ignored its time-out)."""
        return any(t.is_alive() for t in self._threads)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # helpers -----------------------------------------------------------------------------------
    def _emit(self, callback: Callable | None, *args) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception as exc:  # noqa: BLE001 - a faulty callback must not kill the session
            if callback is not self.on_error and self.on_error is not None:
                try:
                    self.on_error(exc)
                except Exception:  # noqa: BLE001
                    pass

    def _hand_over(self, item: object) -> bool:
        """Give a frame (or _END) to the decoder. Live sources overwrite an unread frame; others
        wait for the decoder to take it. False when the session is stopping."""
        with self._cond:
            if self.source.live and item is not _END:
                if self._latest is not None and self._latest is not _END:
                    self.stats.frames_dropped += 1
                self._latest = item
                self._cond.notify_all()
                return True
            while self._latest is not None and not self._stop.is_set():
                self._cond.wait(0.1)
            if self._stop.is_set():
                return False
            self._latest = item
            self._cond.notify_all()
            return True

    # threads -----------------------------------------------------------------------------------
    def _open_with_retries(self) -> bool:
        while not self._stop.is_set():
            try:
                self.source.reopen()
                return True
            except SourceError as exc:
                if self._stop.is_set():
                    return False
                self.stats.errors += 1
                self._emit(self.on_error, exc)
                if not self.source.live:
                    return False
                self._stop.wait(self.reopen_delay_s)
        return False

    def _capture_loop(self) -> None:
        try:
            self._emit(self.before_open)
            try:
                self.source.open()
            except SourceError as exc:
                if self._stop.is_set():
                    return
                self.stats.errors += 1
                self._emit(self.on_error, exc)
                if not (self.source.live and self._open_with_retries()):
                    return
            while not self._stop.is_set():
                try:
                    frame = self.source.read()
                except SourceError as exc:
                    if self._stop.is_set():
                        return  # the read was interrupted by stop(): nothing to report
                    self.stats.errors += 1
                    self._emit(self.on_error, exc)
                    if self.source.per_file:
                        continue  # that file is reported; go on with the next one
                    if not self.source.live:
                        return
                    self._stop.wait(self.reopen_delay_s)
                    if self._open_with_retries():
                        self.stats.reopens += 1
                        continue
                    return
                except Exception as exc:  # noqa: BLE001 - e.g. an OpenCV error: report and end
                    self.stats.errors += 1
                    self._emit(self.on_error, SourceError(f"{visible(self.source.spec)}: {visible(exc)}"))
                    return
                if frame is None:
                    return
                self.stats.frames_captured += 1
                self._emit(self.on_frame, frame)
                if not self._hand_over(frame):
                    return
        finally:
            self.source.close()
            self._hand_over_end()

    def _hand_over_end(self) -> None:
        with self._cond:
            while self._latest is not None and self._latest is not _END and not self._stop.is_set():
                self._cond.wait(0.1)
            self._latest = _END
            self._cond.notify_all()

    def _decode_loop(self) -> None:
        try:
            while True:
                with self._cond:
                    while self._latest is None and not self._stop.is_set():
                        self._cond.wait(0.2)
                    if self._stop.is_set():
                        return
                    item = self._latest
                    self._latest = None
                    self._cond.notify_all()
                if not isinstance(item, Frame):  # _END: the source has no more frames
                    return
                self._process(item)
                if self.max_frames is not None and self.stats.frames_decoded >= self.max_frames:
                    self._stop.set()
                    with self._cond:
                        self._cond.notify_all()
                    return
        finally:
            self._finished.set()
            self._emit(self.on_finished)

    def _process(self, frame: Frame) -> None:
        started = time.perf_counter()
        try:
            detections = decode_checked(frame.image, self.config, frame.name or f"frame {frame.index}")
        except SourceError as exc:  # a frame the decoders choke on is reported, not fatal
            self.stats.errors += 1
            self._emit(self.on_error, exc)
            return
        decode_ms = (time.perf_counter() - started) * 1000.0
        self.stats.frames_decoded += 1
        self.stats.decode_ms.append(decode_ms)
        self._emit(self.on_detections, frame, detections, decode_ms)
        if self.source.per_file:
            accepted = list(detections)
        else:
            accepted = self.confirmer.feed(detections, frame.t_ms)
        now = time.monotonic()
        for d in accepted:  # all of a frame's codes, even if a callback asks to stop
            self._emit(self.on_accepted, AcceptedScan(
                text=d.text, polygon=d.polygon, decoder=d.decoder, frame_index=frame.index,
                t_ms=frame.t_ms, decode_ms=decode_ms, image=frame.image, source=self.source.spec,
                file=frame.name, captured_at=frame.captured_at, accepted_at=now,
                others=tuple(detections),
            ))


# Sessions still running when the interpreter exits are stopped and their threads joined first.
# A daemon thread still inside OpenCV or zxing-cpp (a read, a decode) when Python finalizes is ended
# by the interpreter in the middle of that C++ code, and the process then aborts with "terminate
# called without an active exception" (SIGABRT). atexit handlers run before that point.
_SESSIONS: weakref.WeakSet[ScanSession] = weakref.WeakSet()
EXIT_JOIN_S = 5.0


def stop_all_sessions(timeout: float = EXIT_JOIN_S) -> None:
    """Stop every session of this process and wait (up to ``timeout`` each) for its threads."""
    for session in list(_SESSIONS):
        if session._threads:
            session.stop(timeout)


atexit.register(stop_all_sessions)
