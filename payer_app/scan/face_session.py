"""The face check's camera session: the scan engine's capture path (``ScanSession``: a capture thread
that keeps the newest frame of a live source, reopens a camera that stops, plays a file frame by frame)
with the face detector (``scan/face_detector.py``) in place of the QR decoders. No Qt here.

A face must be seen in ``frames_required`` analysed frames in a row (5 by default, a moment at a
camera's pace): a frame without a face starts the count again. ``on_faces(frame, faces, seen)`` is
called for every analysed frame (``seen``: the frames in a row so far) and ``on_passed(frame, face)``
once, when the count is reached; the session then stops on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from payer_app.scan.engine import ScanSession
from payer_app.scan.face_detector import Face, FaceDetector, load_face_detector
from payer_app.scan.sources import Frame, FrameSource, SourceError

FACE_FRAMES_REQUIRED = 5


class FaceCount:
    """Counts the analysed frames in a row that show a face; ``feed`` answers True once, when the
    count reaches ``required``."""

    def __init__(self, required: int = FACE_FRAMES_REQUIRED):
        self.required = max(1, int(required))
        self.seen = 0
        self.passed = False

    def feed(self, faces: list[Face]) -> bool:
        self.seen = self.seen + 1 if faces else 0
        if self.passed or self.seen < self.required:
            return False
        self.passed = True
        return True


class FaceSession(ScanSession):
    """Capture and face detection in two worker threads (callbacks from those threads, as
    ``ScanSession``'s). ``detector`` defaults to the installed model (``load_face_detector``, which
    raises ``FaceDetectorMissing`` when the package that ships it is not installed)."""

    def __init__(self, source: FrameSource | str, on_frame: Callable | None = None,
                 on_faces: Callable | None = None, on_passed: Callable | None = None,
                 on_error: Callable | None = None, on_finished: Callable | None = None,
                 frames_required: int = FACE_FRAMES_REQUIRED, detector: FaceDetector | None = None):
        super().__init__(source, on_frame=on_frame, on_error=on_error, on_finished=on_finished)
        self.detector = detector or load_face_detector()
        self.count = FaceCount(frames_required)
        self.on_faces = on_faces
        self.on_passed = on_passed

    def _process(self, frame: Frame) -> None:
        started = time.perf_counter()
        try:
            faces = self.detector.detect(frame.image)
        except Exception as exc:  # noqa: BLE001 - an OpenCV error on one frame is reported, not fatal
            self.stats.errors += 1
            self._emit(self.on_error, SourceError(f"frame {frame.index}: the face detector failed ({exc})"))
            return
        ms = (time.perf_counter() - started) * 1000.0
        self.stats.frames_decoded += 1
        self.stats.decode_ms.append(ms)
        passed = self.count.feed(faces)
        self._emit(self.on_faces, frame, faces, self.count.seen)
        if passed:
            self._emit(self.on_passed, frame, faces[0])
            self._stop.set()  # the check is done: the capture thread ends and closes the camera
            with self._cond:
                self._cond.notify_all()


__all__ = ["FACE_FRAMES_REQUIRED", "FaceCount", "FaceSession"]
