"""Qt side of the face check's camera session (``scan/face_session.py``), as ``ScanAdapter`` is for the
scan: the session's callbacks come from its worker threads, frames become ``QImage`` there, and the
signals reach the GUI thread queued. A session stopped meanwhile has nothing more to say (generation).

Signals: ``frame(QImage)`` the newest frame; ``faces(list_of_boxes, seen)`` every analysed frame
(boxes (x, y, w, h) in the frame's pixels, ``seen`` the frames in a row with a face);
``passed()`` a face seen long enough; ``failed(str)`` the source or the detector failed (the message
says which); ``finished()`` the source ended without the check passing."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from payer_app.gui.scan_adapter import ScanAdapter, SessionClosers, bgr_to_qimage, paced_video
from payer_app.scan.face_session import FACE_FRAMES_REQUIRED, FaceSession
from payer_app.scan.source_specs import make_source
from payer_app.scan.sources import CameraSource, VideoFileSource


class FaceWatch(QObject):
    frame = Signal(QImage)
    faces = Signal(list, int)
    passed = Signal()
    failed = Signal(str)
    finished = Signal()
    _frame_from = Signal(int, QImage)
    _faces_from = Signal(int, list, int)
    _passed_from = Signal(int)
    _failed_from = Signal(int, str)
    _finished_from = Signal(int)

    def __init__(self, scan_adapter: ScanAdapter | None = None, parent: QObject | None = None,
                 preview_fps: float = 15.0):
        super().__init__(parent)
        self.scan_adapter = scan_adapter  # its camera is released before this one opens it
        self._session: FaceSession | None = None
        self._closing = SessionClosers()
        self._generation = 0
        self._min_frame_gap = 1.0 / preview_fps
        self._last_frame_at = 0.0
        self._frame_from.connect(lambda g, image: self._deliver(g, self.frame, image))
        self._faces_from.connect(lambda g, boxes, seen: self._deliver(g, self.faces, boxes, seen))
        self._passed_from.connect(lambda g: self._deliver(g, self.passed))
        self._failed_from.connect(lambda g, message: self._deliver(g, self.failed, message))
        self._finished_from.connect(lambda g: self._deliver(g, self.finished))

    def start(self, spec: str, frames_required: int = FACE_FRAMES_REQUIRED,
              frame_size: tuple[int, int] | None = None) -> None:
        """Watch ``spec`` (a camera, a network camera, a video file) for a face. A source or a detector
        that cannot start is reported through ``failed``; nothing here raises."""
        self.stop()
        self.wait_stopped()
        if self.scan_adapter is not None:
            self.scan_adapter.wait_stopped()  # a webcam opens only once
        self._generation += 1
        g = self._generation
        try:
            source = make_source(spec)
            if isinstance(source, VideoFileSource):
                source = paced_video(source)  # a video stands in for a camera: played at its own speed
            if frame_size and isinstance(source, CameraSource):
                source.width, source.height = frame_size
            session = FaceSession(
                source,
                on_frame=lambda f: self._on_frame(g, f.image),
                on_faces=lambda f, found, seen: self._faces_from.emit(g, [x.box for x in found], seen),
                on_passed=lambda f, face: self._passed_from.emit(g),
                on_error=lambda exc: self._failed_from.emit(g, str(exc)),
                on_finished=lambda: self._finished_from.emit(g),
                frames_required=frames_required,
            )
        except Exception as exc:  # noqa: BLE001 - SourceError, FaceDetectorMissing: one line shown
            self.failed.emit(str(exc))
            return
        self._session = session
        session.start()

    def stop(self) -> None:
        """End the session without waiting here (the GUI thread); its late signals are dropped."""
        session, self._session = self._session, None
        self._generation += 1
        if session is not None:
            self._closing.close(session.stop, "face-session-stop")

    def wait_stopped(self, timeout: float = 3.0) -> None:
        self._closing.wait(timeout)

    @property
    def running(self) -> bool:
        return self._session is not None and self._session.running

    def _on_frame(self, generation: int, image) -> None:
        now = time.monotonic()
        if generation == self._generation and now - self._last_frame_at >= self._min_frame_gap:
            self._last_frame_at = now
            self._frame_from.emit(generation, bgr_to_qimage(image))

    def _deliver(self, generation: int, signal, *args) -> None:
        if generation == self._generation:
            signal.emit(*args)
