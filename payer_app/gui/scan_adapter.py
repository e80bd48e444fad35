"""Qt side of the scan engine: re-emits ``ScanSession`` callbacks as signals on the GUI thread.

The engine calls back from its capture and decode threads; this adapter converts frames (BGR numpy
arrays) to ``QImage`` there, then emits signals. The adapter lives in the GUI thread, so Qt queues
those signals to it: widgets only ever receive finished images, polygons and texts.
Still images (picked, dropped or pasted) are decoded on a worker thread too.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from payer_app.scan.library_pages import prepare_scanning, release_library_pages
from payer_app.scan.limits import limit_malloc_arenas, map_large_blocks, release_free_memory

# before any scan session starts its threads: they share two malloc arenas, and frames get mappings
# of their own, given back when freed (payer_app/scan/limits.py)
limit_malloc_arenas()
map_large_blocks()

if TYPE_CHECKING:
    from payer_app.core.payload import ParsedPayload
    from payer_app.scan.engine import ScanSession


@dataclass
class ScanResult:
    """What the payment flow needs from a scan: the text and how it was read."""

    text: str
    decoder: str = "typed"
    decode_ms: float = 0.0
    polygon: tuple = ()
    frame: QImage | None = field(default=None, repr=False)
    source: str = ""
    others: int = 1  # how many codes were in view
    parsed: ParsedPayload | None = field(default=None, repr=False)  # ParsedPayload when parsed off the GUI thread


def bgr_to_qimage(image: np.ndarray) -> QImage:
    """A deep-copied QImage of a BGR, BGRA or gray frame (safe to hand to another thread)."""
    if image.ndim == 2:
        gray = np.ascontiguousarray(image)
        h, w = gray.shape
        return QImage(gray.data, w, h, gray.strides[0], QImage.Format.Format_Grayscale8).copy()
    h, w, channels = image.shape
    data = np.ascontiguousarray(image)
    if channels == 4:
        return QImage(data.data, w, h, data.strides[0], QImage.Format.Format_ARGB32).copy()
    # BGR888 exists since Qt 5.14: no channel shuffling in Python
    return QImage(data.data, w, h, data.strides[0], QImage.Format.Format_BGR888).copy()


def preview_image(image: np.ndarray, view_pixels: tuple[int, int] | None) -> QImage:
    """A frame as a view of ``view_pixels`` (device pixels) shows it cover-fit: made only as large as
    the view shows it, never larger than the frame (a 720p frame in a 368x545 view: 969x545, 1.5 MB
    instead of 2.6). Its device pixel ratio keeps the frame's size as its logical size, so outlines in
    frame pixels still fit it. Nearest-pixel scaling, as the view painted the whole frame before."""
    h, w = image.shape[:2]
    scale = 1.0 if not view_pixels else max(view_pixels[0] / w, view_pixels[1] / h)
    if scale >= 1.0 or image.ndim != 3 or image.shape[2] != 3:
        return bgr_to_qimage(image)
    data = np.ascontiguousarray(image)
    frame = QImage(data.data, w, h, data.strides[0], QImage.Format.Format_BGR888)  # no copy
    shown = frame.scaled(max(1, round(w * scale)), max(1, round(h * scale)))  # a new image, data of its own
    shown.setDevicePixelRatio(shown.width() / w)
    return shown


def qimage_to_bgr(image: QImage) -> np.ndarray:
    """A BGR numpy copy of a QImage (clipboard and drag-and-drop images)."""
    converted = image.convertToFormat(QImage.Format.Format_BGR888)
    w, h = converted.width(), converted.height()
    stride = converted.bytesPerLine()
    buffer = np.frombuffer(converted.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    return buffer[:, : w * 3].reshape(h, w, 3).copy()


class ScanAdapter(QObject):
    """Run one scan session at a time and report through signals.

    ``frame(QImage)`` every captured frame; ``detections(list_of_polygons, decode_ms)`` every decoded
    frame; ``accepted(ScanResult)`` a confirmed code; ``failed(str)`` a source problem (the message
    names the source); ``camera_stopped(str)`` a live camera stopped delivering usable frames (it is
    being reopened: ``scan.sources.CameraStopped``); ``finished()`` the source ended.
    ``image_decoded(list[ScanResult], str)`` answers
    ``decode_image(...)`` with the results and the file name (empty list: no QR in it).
    """

    frame = Signal(QImage)
    detections = Signal(list, float)
    accepted = Signal(object)
    failed = Signal(str)
    camera_stopped = Signal(str)
    finished = Signal()
    image_decoded = Signal(list, str)
    image_failed = Signal(str)
    # worker threads emit these with their session's generation; the GUI-thread slots drop stale ones
    _accepted_from = Signal(int, object)
    _failed_from = Signal(int, str)
    _stopped_from = Signal(int, str)
    _finished_from = Signal(int)
    _preview_ready = Signal()  # a frame waits in the preview slot (sent when the slot fills)

    def __init__(self, parent: QObject | None = None, preview_fps: float = 30.0,
                 clock=time.monotonic, sleep=time.sleep):
        super().__init__(parent)
        self._pace = (clock, sleep)  # what a video file standing in for a camera is played by
        self._session: ScanSession | None = None
        self._closing = SessionClosers()  # sessions told to stop, still closing
        self._generation = 0  # callbacks from an older session are dropped
        self._min_frame_gap = 1.0 / preview_fps if preview_fps > 0 else 0.0
        self._last_frame_at = 0.0
        self.source_spec = ""
        self._accepted_from.connect(self._deliver_accepted)
        self._failed_from.connect(self._deliver_failed)
        self._stopped_from.connect(self._deliver_stopped)
        self._finished_from.connect(self._deliver_finished)
        # The newest frame not yet shown, at most one: a GUI thread that falls behind the camera
        # (a long paint, a loaded machine) gets the latest frame, not a queue of full-size copies.
        self._preview_lock = threading.Lock()
        self._preview: tuple[int, QImage] | None = None
        # the device pixels of the view that shows the frames (set by the GUI thread; None: unknown)
        self.preview_pixels: tuple[int, int] | None = None
        self._preview_ready.connect(self._deliver_preview)

    # live sessions -----------------------------------------------------------------------------
    def start(self, spec: str, frames_required: int = 2, frame_size: tuple[int, int] | None = None) -> None:
        """Start scanning ``spec`` (``demo``, ``camera:0``, a video file...); ``frame_size`` is the
        resolution asked of a webcam. A bad spec is reported through ``failed``; nothing here raises."""
        self.stop()
        self.wait_stopped()  # the previous session's camera must be free before it is opened again
        self._generation += 1
        generation = self._generation
        self.source_spec = spec
        try:
            from payer_app.scan.engine import ScanSession
            from payer_app.scan.source_specs import make_source
            from payer_app.scan.sources import CameraSource, VideoFileSource
        except ImportError as exc:  # the engine is a separate part of the app
            self.failed.emit(f"scan engine unavailable ({exc})")
            return
        try:
            source = make_source(spec)
            if isinstance(source, VideoFileSource):
                source = paced_video(source, *self._pace)  # a replayed scan plays at its own speed
            if frame_size and isinstance(source, CameraSource):
                source.width, source.height = frame_size
            session = ScanSession(
                source,
                on_frame=lambda f: self._on_frame(generation, f),
                on_detections=lambda f, d, ms: self._on_detections(generation, f, d, ms),
                on_accepted=lambda a: self._on_accepted(generation, a),
                on_error=lambda e: self._on_error(generation, e),
                on_finished=lambda: self._on_finished(generation),
                frames_required=frames_required,
                before_open=prepare_scanning,
            )
        except Exception as exc:  # noqa: BLE001 - SourceError and friends: show the message
            self.failed.emit(str(exc))
            return
        self._session = session
        session.start()

    def stop(self) -> None:
        """End the live session without waiting for its threads here: a decode in flight can take
        a second on a busy machine, and this runs on the GUI thread. Its late results are dropped
        (generation); ``start`` and ``wait_stopped`` wait for it when the camera is needed again."""
        session, self._session = self._session, None
        self._generation += 1
        with self._preview_lock:
            self._preview = None  # a frame not yet shown is not shown now
        if session is not None:
            self._closing.close(lambda: _stop_and_trim(session), "scan-session-stop")

    def wait_stopped(self, timeout: float = 3.0) -> None:
        """Wait until every stopped session has released its source (a webcam opens only once)."""
        self._closing.wait(timeout)

    @property
    def running(self) -> bool:
        return self._session is not None and self._session.running

    # still images ------------------------------------------------------------------------------
    def decode_image(self, path: str | None = None, image: np.ndarray | None = None, name: str = "") -> None:
        """Decode an image file or an in-memory BGR image on a worker thread."""
        label = name or (str(path) if path else "clipboard")
        worker = threading.Thread(target=self._decode_still, args=(path, image, label), daemon=True,
                                  name="scan-still")
        _STILL_DECODES.add(worker)
        worker.start()

    def _decode_still(self, path, image, label: str) -> None:
        try:
            from payer_app.scan.engine import STILL, decode_frame
            from payer_app.scan.sources import read_image_file

            started = time.perf_counter()
            if image is None:
                image = read_image_file(path)
            found = decode_frame(image, STILL)
            ms = (time.perf_counter() - started) * 1000.0
            qimage = bgr_to_qimage(image)
            results = [ScanResult(d.text, d.decoder, ms, d.polygon, qimage, label, len(found)) for d in found]
            self.image_decoded.emit(results, label)
        except Exception as exc:  # noqa: BLE001 - unreadable file, missing engine: a message, no crash
            self.image_failed.emit(str(exc))

    # engine callbacks (worker threads) ---------------------------------------------------------
    def _on_frame(self, generation: int, frame) -> None:
        if generation != self._generation:
            return
        now = time.monotonic()
        if now - self._last_frame_at < self._min_frame_gap:
            return
        self._last_frame_at = now
        self._offer_preview(generation, frame.image)

    def _on_detections(self, generation: int, frame, detections, decode_ms: float) -> None:
        if generation != self._generation:
            return
        if detections:  # show the very frame the outlines belong to
            self._last_frame_at = time.monotonic()
            self._offer_preview(generation, frame.image)
        self.detections.emit([tuple(d.polygon) for d in detections], float(decode_ms))

    def _offer_preview(self, generation: int, image: np.ndarray) -> None:
        """Put the frame in the preview slot, replacing one the GUI thread has not taken yet; the
        GUI thread is told only when the slot was empty."""
        qimage = preview_image(image, self.preview_pixels)
        with self._preview_lock:
            waiting = self._preview is not None
            self._preview = (generation, qimage)
        if not waiting:
            self._preview_ready.emit()

    def _on_accepted(self, generation: int, accepted) -> None:
        if generation != self._generation:
            return
        result = ScanResult(
            text=accepted.text, decoder=accepted.decoder, decode_ms=accepted.decode_ms,
            polygon=tuple(accepted.polygon), frame=bgr_to_qimage(accepted.image),
            source=accepted.source, others=len({d.text for d in accepted.others}) or 1,
        )
        self._accepted_from.emit(generation, result)

    def _on_error(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            from payer_app.scan.sources import CameraStopped

            if isinstance(exc, CameraStopped):
                self._stopped_from.emit(generation, str(exc))
            else:
                self._failed_from.emit(generation, str(exc))

    def _on_finished(self, generation: int) -> None:
        if generation == self._generation:
            self._finished_from.emit(generation)

    # GUI thread: a session stopped meanwhile has nothing more to say
    def _deliver_preview(self) -> None:
        with self._preview_lock:
            offered, self._preview = self._preview, None
        if offered is not None and offered[0] == self._generation:
            self.frame.emit(offered[1])

    def _deliver_accepted(self, generation: int, result) -> None:
        if generation == self._generation:
            self.accepted.emit(result)

    def _deliver_failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.failed.emit(message)

    def _deliver_stopped(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.camera_stopped.emit(message)

    def _deliver_finished(self, generation: int) -> None:
        if generation == self._generation:
            self.finished.emit()


def _stop_and_trim(session) -> None:
    """End ``session`` (its threads joined), then hand the memory its frames used back to the system."""
    session.stop()
    release_free_memory()
    release_library_pages()  # libraries the session loaded late (the first decode's fallbacks)


# A still decode still running when the process exits is waited for (as the engine waits for its scan
# sessions): a daemon thread inside OpenCV or zxing-cpp while Python shuts down aborts the process.
_STILL_DECODES: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


def _wait_for_still_decodes(timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    for worker in list(_STILL_DECODES):
        worker.join(max(0.0, deadline - time.monotonic()))


atexit.register(_wait_for_still_decodes)


def list_camera_choices() -> list[tuple[str, str]]:
    """(spec, label) for every camera the scan engine finds; never raises."""
    try:
        from payer_app.scan.sources import list_cameras

        cameras = list_cameras()
    except Exception:  # noqa: BLE001 - no cameras, no V4L2: the demo camera remains
        return []
    out = []
    for cam in cameras:
        out.append((cam.spec, f"{cam.name or cam.spec} ({cam.spec})"))  # scan.sources.CameraInfo
    return out


def find_cameras_for(found) -> None:
    """``list_camera_choices()`` on a thread of its own (it may open devices), its answer emitted on the
    signal ``found``; nothing when the signal's owner (a window) was deleted meanwhile."""
    def work():
        with contextlib.suppress(RuntimeError):  # "Signal source has been deleted"
            found.emit(list_camera_choices())

    threading.Thread(target=work, daemon=True, name="list-cameras").start()


class SessionClosers:
    """Sessions told to stop, each closing on a thread of its own (a decode in flight can take a second
    on a busy machine, and the GUI thread must not wait for it): ``close`` starts one, ``wait`` joins
    them all within ``timeout`` seconds."""

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []

    def close(self, stop, name: str) -> None:
        closer = threading.Thread(target=stop, daemon=True, name=name)
        closer.start()
        self._threads.append(closer)

    def wait(self, timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        while self._threads:
            self._threads.pop().join(max(0.0, deadline - time.monotonic()))


def paced_video(source, clock=time.monotonic, sleep=time.sleep):
    """The video file ``source`` (scan.sources.VideoFileSource) read no faster than real time.

    The scan engine hands a file source's frames over as fast as it decodes them (right for
    ``payer-app scan`` and benchmarks); in the window a video stands in for a camera, so frame n is
    handed over no earlier than n / fps seconds after the first, as a camera would show it.
    ``clock`` and ``sleep`` are the time it is paced by (tests pass a clock they move by hand)."""
    from payer_app.scan.sources import VideoFileSource

    class PacedVideoSource(VideoFileSource):
        def _open(self) -> None:
            super()._open()
            self._started: float | None = None

        def _read(self):
            frame = super()._read()
            if frame is not None:
                now = clock()
                if self._started is None:
                    self._started = now - frame.t_ms / 1000.0
                wait = self._started + frame.t_ms / 1000.0 - now
                if wait > 0:
                    sleep(min(wait, 1.0))
            return frame

    return PacedVideoSource(source.spec, source.path)
