"""Frame sources behind one interface: webcams, video files, image files, folders and the demo camera.

``open_source(spec)`` understands:

* ``demo``: the built-in synthetic camera (``payer_app.scan.demo_camera``); ``demo:fast`` does not
  pace frames in real time (for tests and benchmarks);
* ``camera:N`` or ``/dev/videoN``: a webcam (V4L2 on Linux, MJPG requested, 1-frame buffer);
* a video file, an image file, or a folder of images (scanned file by file in name order).

A source's ``read()`` returns the next ``Frame``, ``None`` at the end of a finite source, and raises
``SourceError`` when the source fails (a camera unplugged, an unreadable file in a folder). Live
sources (cameras, the paced demo) can be reopened after a failure with ``reopen()``.
"""

from __future__ import annotations

import glob
import os
import re
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".gif"}
VIDEO_SUFFIXES = {".avi", ".mp4", ".mkv", ".mov", ".webm", ".mjpg", ".mjpeg", ".m4v", ".mpg", ".mpeg", ".wmv", ".ogv"}


class SourceError(Exception):
    """A source that cannot be opened or read; the message says which source and what went wrong."""


@dataclass
class Frame:
    """One captured frame. ``image`` is BGR (or gray for some image files), ``t_ms`` is the frame's
    time since the source started (video position for files), ``captured_at`` is time.monotonic()."""

    image: np.ndarray
    index: int
    t_ms: float
    captured_at: float = field(default_factory=time.monotonic)
    name: str | None = None  # the file a frame came from, for image and folder sources


class FrameSource:
    """Base class. Subclasses implement ``_open``, ``_read`` and ``_close``."""

    kind = "source"
    live = False  # True: frames arrive on their own clock and may be dropped by a slow consumer
    per_file = False  # True: every frame is a separate file to report on (images, folders)

    def __init__(self, spec: str):
        self.spec = spec
        self.frames_read = 0
        self._opened = False

    # public interface -------------------------------------------------------------------------
    def open(self) -> "FrameSource":
        if not self._opened:
            self._open()
            self._opened = True
        return self

    def read(self) -> Frame | None:
        if not self._opened:
            raise SourceError(f"{self.spec}: read before open")
        frame = self._read()
        if frame is not None:
            self.frames_read += 1
        return frame

    def close(self) -> None:
        if self._opened:
            self._opened = False
            self._close()

    def reopen(self) -> None:
        """Close and open again (live sources after a failure). Raises SourceError if it cannot."""
        self.close()
        self.open()

    @property
    def fps(self) -> float | None:
        return None

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec!r}>"

    # to implement -----------------------------------------------------------------------------
    def _open(self) -> None:
        raise NotImplementedError

    def _read(self) -> Frame | None:
        raise NotImplementedError

    def _close(self) -> None:
        pass


def _cv2():
    import cv2

    return cv2


def _quiet_opencv() -> None:
    """Stop OpenCV's backends from printing warnings for absent devices."""
    cv2 = _cv2()
    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except AttributeError:
        pass


# ---------------------------------------------------------------------------------------------
# Cameras


class CameraSource(FrameSource):
    """A webcam by index or device path. On Linux the V4L2 backend is used and MJPG requested, with a
    one-frame driver buffer so the newest picture is what gets read. A failed read means the camera
    went away: ``read`` raises SourceError and ``reopen`` tries again.

    ``device`` may also be any other target OpenCV can capture from (``backend`` then usually
    ``cv2.CAP_ANY``); the tests use that to film a video file as if it were a camera."""

    kind = "camera"
    live = True

    def __init__(self, spec: str, device: int | str, backend: int | None = None, width: int = 1280,
                 height: int = 720, pace_fps: float | None = None):
        super().__init__(spec)
        self.device = device
        self.backend = backend
        self.width = width
        self.height = height
        self.pace_fps = pace_fps  # pace reads (for non-camera targets that would otherwise run flat out)
        self._cap = None
        self._t0 = 0.0
        self._index = 0
        self._next_due = 0.0

    def _open(self) -> None:
        cv2 = _cv2()
        _quiet_opencv()
        backend = self.backend
        if backend is None:
            backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
        if isinstance(self.device, str) and self.device.startswith("/dev/") and not os.path.exists(self.device):
            raise SourceError(f"{self.spec}: no such camera device {self.device}")
        try:
            cap = cv2.VideoCapture(self.device, backend)
        except cv2.error as exc:
            raise SourceError(f"{self.spec}: OpenCV could not open the camera: {exc}") from exc
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"{self.spec}: camera not found or busy")
        if backend != cv2.CAP_ANY or isinstance(self.device, int):
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap = cap
        self._t0 = time.monotonic()
        self._next_due = self._t0

    def _read(self) -> Frame | None:
        cv2 = _cv2()
        if self._cap is None:
            raise SourceError(f"{self.spec}: camera is closed")
        if self.pace_fps:
            delay = self._next_due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next_due = max(self._next_due + 1.0 / self.pace_fps, time.monotonic() - 1.0)
        try:
            ok, image = self._cap.read()
        except cv2.error as exc:
            ok, image = False, None
            detail = str(exc)
        else:
            detail = "no frame"
        if not ok or image is None:
            self._release()
            raise SourceError(f"{self.spec}: camera stopped delivering frames ({detail}); was it unplugged?")
        now = time.monotonic()
        frame = Frame(image, self._index, (now - self._t0) * 1000.0, now)
        self._index += 1
        return frame

    def _release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def _close(self) -> None:
        self._release()

    @property
    def fps(self) -> float | None:
        if self.pace_fps:
            return self.pace_fps
        if self._cap is not None:
            value = self._cap.get(_cv2().CAP_PROP_FPS)
            return value or None
        return None


@dataclass(frozen=True)
class CameraInfo:
    spec: str  # what to pass to open_source
    index: int
    path: str | None
    name: str


_VIDIOC_QUERYCAP = 0x80685600
_V4L2_CAP_VIDEO_CAPTURE = 0x00000001
_V4L2_CAP_VIDEO_CAPTURE_MPLANE = 0x00001000
_V4L2_CAP_DEVICE_CAPS = 0x80000000


def _v4l2_capture_name(path: str) -> str | None:
    """The card name of a V4L2 node that captures video, or None for metadata/output/absent nodes."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        buf = bytearray(104)
        fcntl.ioctl(fd, _VIDIOC_QUERYCAP, buf)
    except OSError:
        return None
    finally:
        os.close(fd)
    _driver, card, _bus, _version, caps, device_caps = struct.unpack_from("16s32s32sIII", buf)
    effective = device_caps if caps & _V4L2_CAP_DEVICE_CAPS else caps
    if not effective & (_V4L2_CAP_VIDEO_CAPTURE | _V4L2_CAP_VIDEO_CAPTURE_MPLANE):
        return None
    return card.split(b"\0", 1)[0].decode("utf-8", errors="replace")


_IR_NAME = re.compile(r"\b(IR|infra-?red)\b", re.IGNORECASE)


def list_cameras(max_index: int = 8) -> list[CameraInfo]:
    """Cameras that deliver video. On Linux: /dev/video* nodes asked through V4L2 (metadata nodes
    and infrared cameras skipped), without opening a capture. Elsewhere: indexes 0..max_index-1
    probed with OpenCV's logging silenced. Never prints anything for absent indexes."""
    cameras: list[CameraInfo] = []
    if sys.platform.startswith("linux"):
        for path in sorted(glob.glob("/dev/video*"), key=lambda p: int(re.sub(r"\D", "", p) or 0)):
            match = re.fullmatch(r"/dev/video(\d+)", path)
            if not match:
                continue
            name = _v4l2_capture_name(path)
            if name is None or _IR_NAME.search(name):
                continue
            index = int(match.group(1))
            cameras.append(CameraInfo(f"camera:{index}", index, path, name))
        return cameras
    cv2 = _cv2()
    _quiet_opencv()
    for index in range(max_index):
        cap = cv2.VideoCapture(index)
        try:
            if cap.isOpened():
                cameras.append(CameraInfo(f"camera:{index}", index, None, f"Camera {index}"))
        finally:
            cap.release()
    return cameras


# ---------------------------------------------------------------------------------------------
# Files


class VideoFileSource(FrameSource):
    """A video file read frame by frame (every frame, no dropping). ``t_ms`` is the video position."""

    kind = "video"

    def __init__(self, spec: str, path: Path):
        super().__init__(spec)
        self.path = path
        self._cap = None
        self._index = 0
        self._fps = None

    def _open(self) -> None:
        cv2 = _cv2()
        _quiet_opencv()
        if not self.path.is_file():
            raise SourceError(f"{self.spec}: no such file")
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_ANY)
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"{self.spec}: not a video OpenCV can read")
        self._cap = cap
        self._fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        self._index = 0

    def _read(self) -> Frame | None:
        ok, image = self._cap.read()
        if not ok or image is None:
            return None
        frame = Frame(image, self._index, self._index * 1000.0 / self._fps)
        self._index += 1
        return frame

    def _close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    @property
    def fps(self) -> float | None:
        return self._fps


def read_image_file(path: str | os.PathLike) -> np.ndarray:
    """An image file as a numpy array (BGR, or gray for gray files). Raises SourceError naming the
    file and what is wrong with it."""
    cv2 = _cv2()
    p = Path(path)
    if not p.exists():
        raise SourceError(f"{p}: no such file")
    if not p.is_file():
        raise SourceError(f"{p}: not a file")
    try:
        data = np.fromfile(str(p), dtype=np.uint8)
    except OSError as exc:
        raise SourceError(f"{p}: cannot read: {exc.strerror or exc}") from exc
    if data.size == 0:
        raise SourceError(f"{p}: empty file")
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if image is None:
        image = _decode_with_pillow(p)
    if image is None:
        raise SourceError(f"{p}: not an image format that can be read (damaged or unsupported)")
    if image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(1, int(image.max())))
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def _decode_with_pillow(path: Path) -> np.ndarray | None:
    """Formats OpenCV does not read (GIF...) through Pillow; None when Pillow cannot either."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            return np.array(im.convert("L"))
    except Exception:  # noqa: BLE001 - any failure means "not readable"
        return None


class ImageFilesSource(FrameSource):
    """A list of image files, one frame each. An unreadable file raises SourceError for that file;
    reading continues with the next file on the following ``read``."""

    kind = "images"
    per_file = True

    def __init__(self, spec: str, paths: list[Path], kind: str = "images"):
        super().__init__(spec)
        self.paths = list(paths)
        self.kind = kind
        self._position = 0

    def _open(self) -> None:
        self._position = 0

    def _read(self) -> Frame | None:
        if self._position >= len(self.paths):
            return None
        path = self.paths[self._position]
        index = self._position
        self._position += 1
        image = read_image_file(path)
        return Frame(image, index, 0.0, name=str(path))


class FolderSource(ImageFilesSource):
    """Every image file in a folder (not recursive), in name order."""

    def __init__(self, spec: str, folder: Path):
        if not folder.is_dir():
            raise SourceError(f"{spec}: not a folder")
        try:
            entries = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        except OSError as exc:
            raise SourceError(f"{spec}: cannot list the folder: {exc.strerror or exc}") from exc
        super().__init__(spec, entries, kind="folder")
        self.folder = folder

    def _open(self) -> None:
        if not self.paths:
            raise SourceError(f"{self.spec}: the folder holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
        super()._open()


# ---------------------------------------------------------------------------------------------
# Opening by spec


def open_source(spec: str) -> FrameSource:
    """Open a source from its command-line spelling; raises SourceError with a clear message."""
    source = make_source(spec)
    source.open()
    return source


def make_source(spec: str) -> FrameSource:
    """The source a spec names, not yet opened (``ScanSession`` opens it in its capture thread)."""
    if not isinstance(spec, str) or not spec.strip():
        raise SourceError("empty source: give demo, camera:N, /dev/videoN, a video, an image or a folder")
    text = spec.strip()
    lowered = text.lower()
    if lowered in ("demo", "demo:fast", "demo:realtime"):
        from payer_app.scan.demo_camera import DemoCamera

        return DemoCamera(spec=text, realtime=lowered != "demo:fast")
    match = re.fullmatch(r"camera:(\d+)", lowered)
    if match:
        return CameraSource(text, int(match.group(1)))
    if lowered.startswith("camera:"):
        raise SourceError(f"{text}: a camera is camera:N with N a number (camera:0)")
    if re.fullmatch(r"/dev/video\d+", text):
        return CameraSource(text, text)
    path = Path(text).expanduser()
    if path.is_dir():
        return FolderSource(text, path)
    if not path.exists():
        raise SourceError(f"{text}: no such file or folder (sources: demo, camera:N, /dev/videoN, a video, an image, a folder)")
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return ImageFilesSource(text, [path], kind="image")
    if suffix in VIDEO_SUFFIXES:
        return VideoFileSource(text, path)
    # Unknown suffix: sniff. Something OpenCV decodes as a still image is an image.
    try:
        read_image_file(path)
        return ImageFilesSource(text, [path], kind="image")
    except SourceError:
        return VideoFileSource(text, path)


def open_image_list(paths: list[str]) -> FrameSource:
    """Several image files given on the command line, scanned file by file."""
    for p in paths:
        if not Path(p).is_file():
            raise SourceError(f"{p}: no such file")
    source = ImageFilesSource(" ".join(paths), [Path(p) for p in paths])
    source.open()
    return source
