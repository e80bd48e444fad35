"""Frame sources behind one interface: webcams, video files, image files, folders and the demo camera.

``open_source(spec)`` (in ``source_specs.py``, which picks among the kinds) understands:

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
import stat
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from payer_app.core.display_text import visible
from payer_app.scan.limits import (
    MAX_IMAGE_FILE_BYTES,
    MAX_IMAGE_PIXELS,
    MAX_JPEG_SCANS,
    decoded_bytes_problem,
    file_size_text,
    megapixels,
    pixel_cap_problem,
)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".gif"}
VIDEO_SUFFIXES = {".avi", ".mp4", ".mkv", ".mov", ".webm", ".mjpg", ".mjpeg", ".m4v", ".mpg", ".mpeg", ".wmv", ".ogv"}


class SourceError(Exception):
    """A source that cannot be opened or read; the message says which source and what went wrong."""


class CameraStopped(SourceError):
    """A live source stopped delivering usable frames (unplugged, the stream hung, ended or sent what
    is refused), or did not answer in time: the session reopens it, the window says the camera stopped."""


@dataclass
class Frame:
    """One captured frame. ``image`` is BGR (or gray for some image files), ``t_ms`` is the frame's
    time since the source started (video position for files), ``captured_at`` is the source's
    monotonic clock (time.monotonic() unless a test gave the demo camera another)."""

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
        self._opened = False

    # public interface -------------------------------------------------------------------------
    def open(self) -> FrameSource:
        if not self._opened:
            self._open()
            self._opened = True
        return self

    def read(self) -> Frame | None:
        if not self._opened:
            raise SourceError(f"{shown_name(self.spec)}: read before open")
        return self._read()

    def close(self) -> None:
        if self._opened:
            self._opened = False
            self._close()

    def interrupt(self) -> None:
        """Called from another thread when the session stops: end a read in flight if the source can
        (a network stream shuts its socket); by default nothing, the read ends by its own time-out."""

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


def quiet_cv2():
    """OpenCV, quieted: its own warnings (absent devices, a damaged picture) would go from C++ straight
    to standard error, unescaped, beside our one-line messages; the scan reports those cases itself.
    FFmpeg's own log (``[mjpeg @ 0x...]`` lines) is silenced the same way: OpenCV reads
    ``OPENCV_FFMPEG_LOGLEVEL`` when it first starts FFmpeg, after this (-8 is FFmpeg's "quiet")."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    import cv2

    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except AttributeError:
        pass
    return cv2


# ---------------------------------------------------------------------------------------------
# Cameras


class _CaptureSource(FrameSource):
    """A source read through an OpenCV ``VideoCapture`` (cameras, video files): numbers its frames
    and holds each one to the pixel cap (``payer_app.scan.limits``)."""

    def __init__(self, spec: str):
        super().__init__(spec)
        self._cap = None
        self._index = 0

    def _numbered(self, image, t_ms: float, refused: str) -> Frame:
        """The image as the next frame; over the pixel cap, the capture is released and SourceError
        says ``refused`` and the frame's size."""
        problem = pixel_cap_problem(image.shape[1], image.shape[0])
        if problem:
            self._release()
            raise SourceError(f"{shown_name(self.spec)}: {refused}{problem}")
        frame = Frame(image, self._index, t_ms, time.monotonic())
        self._index += 1
        return frame

    def _release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def _close(self) -> None:
        self._release()


class CameraSource(_CaptureSource):
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
        self._t0 = 0.0
        self._next_due = 0.0

    def _open(self) -> None:
        cv2 = quiet_cv2()
        backend = self.backend
        if backend is None:
            backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
        if isinstance(self.device, str) and self.device.startswith("/dev/") and not os.path.exists(self.device):
            raise SourceError(f"{shown_name(self.spec)}: no such camera device {shown_name(self.device)}")
        try:
            cap = cv2.VideoCapture(self.device, backend)
        except cv2.error as exc:
            raise SourceError(
                f"{shown_name(self.spec)}: OpenCV could not open the camera: {visible(_first_line(exc))}"
            ) from exc
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"{shown_name(self.spec)}: camera not found or busy")
        if backend != cv2.CAP_ANY or isinstance(self.device, int):
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap = cap
        self._t0 = time.monotonic()
        self._next_due = self._t0

    def _read(self) -> Frame | None:
        cv2 = quiet_cv2()
        if self._cap is None:
            raise SourceError(f"{shown_name(self.spec)}: camera is closed")
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
            raise CameraStopped(f"{shown_name(self.spec)}: camera stopped delivering frames ({detail}); "
                                "was it unplugged?")
        # no webcam delivers more than the pixel cap; something is wrong with the device
        return self._numbered(image, (time.monotonic() - self._t0) * 1000.0, "camera refused: a frame of ")

    @property
    def fps(self) -> float | None:
        if self.pace_fps:
            return self.pace_fps
        if self._cap is not None:
            value = self._cap.get(quiet_cv2().CAP_PROP_FPS)
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
    cv2 = quiet_cv2()
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


class VideoFileSource(_CaptureSource):
    """A video file read frame by frame (every frame, no dropping). ``t_ms`` is the video position."""

    kind = "video"

    def __init__(self, spec: str, path: Path):
        super().__init__(spec)
        self.path = path
        self._fps: float | None = None

    def _open(self) -> None:
        cv2 = quiet_cv2()
        name = shown_name(self.spec)
        try:
            info = self.path.stat()
        except OSError:
            raise SourceError(f"{name}: no such file") from None
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(f"{name}: not a regular file")
        try:
            target = os.fspath(self.path)
            target.encode("utf-8")
        except UnicodeEncodeError:
            raise SourceError(f"{name}: OpenCV cannot open a file whose name is not UTF-8; rename it") from None
        try:
            cap = cv2.VideoCapture(target, cv2.CAP_ANY)
        except (cv2.error, MemoryError) as exc:
            raise SourceError(f"{name}: not a video OpenCV can read ({visible(_first_line(exc))})") from None
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"{name}: not a video OpenCV can read")
        # The declared frame size, checked before any frame is decoded.
        problem = pixel_cap_problem(int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0),
                                    int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0))
        if problem:
            cap.release()
            raise SourceError(f"{name}: video refused: frames of {problem}")
        self._cap = cap
        self._fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        self._index = 0

    def _read(self) -> Frame | None:
        cv2 = quiet_cv2()
        if self._cap is None:  # released after a refused frame
            raise SourceError(f"{shown_name(self.spec)}: video is closed")
        try:
            ok, image = self._cap.read()
        except (cv2.error, MemoryError) as exc:
            raise SourceError(f"{shown_name(self.spec)}: frame {self._index} could not be decoded "
                              f"({visible(_first_line(exc))})") from None
        if not ok or image is None:
            return None
        # a stream may change its frame size midway
        return self._numbered(image, self._index * 1000.0 / self._fps, f"video refused: frame {self._index} is ")

    @property
    def fps(self) -> float | None:
        return self._fps


# Formats the header probe and the Pillow fallback accept (Pillow's EPS, for one, would run
# Ghostscript on the file: not for files from strangers). A picture whose header is not one of these
# is not decoded: its decoded size could not be checked first.
PILLOW_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "PPM")
UNREADABLE_FORMAT_HINT = "damaged, or not PNG, JPEG, GIF, BMP, TIFF, WebP or PPM/PGM"


def shown_name(path: str | os.PathLike) -> str:
    """A file name fit for a message: controls, bidi controls and undecodable bytes escaped."""
    return visible(os.fspath(path))


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _open_regular_file(path: Path):
    """A binary file object for ``path``, after checking that it is a regular file
    within ``MAX_IMAGE_FILE_BYTES``. Opened non-blocking, so a FIFO cannot hang the scan."""
    name = shown_name(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise SourceError(f"{name}: no such file") from None
    except OSError as exc:
        raise SourceError(f"{name}: cannot read: {visible(exc.strerror or exc)}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise SourceError(f"{name}: not a file")
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(f"{name}: not a regular file (a device, pipe or socket is not an image)")
        if info.st_size == 0:
            raise SourceError(f"{name}: empty file")
        if info.st_size > MAX_IMAGE_FILE_BYTES:
            raise SourceError(f"{name}: the file is {file_size_text(info.st_size)}, over the "
                              f"{file_size_text(MAX_IMAGE_FILE_BYTES)} limit for an image; not read")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _bits_per_sample(im, stream) -> int:
    """The widest sample an opened (not decoded) Pillow image declares: PNG's header byte, TIFF's
    BitsPerSample tag, else its mode (Pillow opens 16-bit RGB(A) PNGs as 8-bit modes, so the mode
    alone would hide them)."""
    if im.format == "PNG":
        stream.seek(24)  # signature (8), IHDR length and type (8), width and height (8), bit depth
        return stream.read(1)[0]
    if im.format == "TIFF":
        declared = im.tag_v2.get(258) or (8,)  # BitsPerSample
        declared = declared if isinstance(declared, tuple) else (declared,)
        return max(8, *(int(bits) for bits in declared))
    if im.mode.startswith("I;16"):
        return 16
    return 32 if im.mode in ("I", "F") else 8


def _channels(im) -> int:
    """Channels the decoders produce: a palette opens out to colour (with alpha when it has one)."""
    if im.mode in ("P", "PA"):
        return 4 if im.mode == "PA" or "transparency" in im.info else 3
    return len(im.getbands())


def probe_image_header(stream) -> tuple[bool, str | None]:
    """Read only an image file's header (Pillow opens lazily) and check its declared size.

    Returns (known, problem): ``known`` is False when Pillow does not recognise the header (the
    picture is then not decoded); ``problem`` says why the image is refused, or
    is None when its pixels are within ``MAX_IMAGE_PIXELS`` and its decoded size (channels and
    bits per sample included) within ``MAX_IMAGE_DECODED_BYTES``."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's DecompressionBombWarning: our cap is lower
            with Image.open(stream, formats=PILLOW_FORMATS) as im:
                width, height = im.size
                layout = (_channels(im), _bits_per_sample(im, stream))
    except Image.DecompressionBombError as exc:  # over Pillow's own limit (179 MP): far over ours
        found = re.search(r"\((\d+) pixels\)", str(exc))
        declared = f"{megapixels(int(found.group(1)))} megapixels" if found else "too many pixels"
        return True, f"{declared}, over the {megapixels(MAX_IMAGE_PIXELS)}-megapixel limit (8192x8192)"
    except Exception:  # noqa: BLE001 - unknown or damaged header
        return False, None
    return True, pixel_cap_problem(width, height) or decoded_bytes_problem(width, height, *layout)


def read_image_file(path: str | os.PathLike) -> np.ndarray:
    """An image file as a numpy array (BGR, or gray for gray files). Raises SourceError naming the
    file (escaped) and what is wrong with it; never an OpenCV error.

    Limits (``payer_app.scan.limits``) are checked before the work: the file size from the file
    system, the pixel count and the decoded size from the header; only then is the file read and
    decoded, at 8 bits a sample."""
    cv2 = quiet_cv2()
    p = Path(os.fspath(path))
    name = shown_name(p)
    stream = _open_regular_file(p)
    with stream:
        known, problem = probe_image_header(stream)
        if problem:
            raise SourceError(f"{name}: image refused: {problem}")
        if not known:  # its decoded size cannot be told before decoding (OpenCV's Radiance HDR: floats)
            raise SourceError(f"{name}: not an image format that can be read ({UNREADABLE_FORMAT_HINT})")
        try:
            stream.seek(0)
            data = stream.read(MAX_IMAGE_FILE_BYTES + 1)
        except OSError as exc:
            raise SourceError(f"{name}: cannot read: {visible(exc.strerror or exc)}") from None
    if len(data) > MAX_IMAGE_FILE_BYTES:  # it grew after the size check
        raise SourceError(f"{name}: the file is over the {file_size_text(MAX_IMAGE_FILE_BYTES)} limit for an image")
    if data[:2] == b"\xff\xd8":  # JPEG: 0xFF 0xDA only starts a scan (entropy data stuffs 0xFF as FF 00)
        scans = data.count(b"\xff\xda")
        if scans > MAX_JPEG_SCANS:
            raise SourceError(f"{name}: image refused: a JPEG with {scans} scans (a photo has about ten; "
                              f"the limit is {MAX_JPEG_SCANS})")
    try:
        # 8 bits a sample, grey kept grey, colour as BGR without alpha: the decoders reduce 16-bit
        # samples and drop alpha row by row, so no 16-bit or 4-channel copy of the picture is made.
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_ANYCOLOR)
        if image is None:
            image = _decode_with_pillow(data)
        del data
        if image is None:
            raise SourceError(f"{name}: not an image format that can be read (damaged or unsupported)")
        height, width = image.shape[:2]
        problem = pixel_cap_problem(width, height)
        if problem:  # the decoder produced more than the header said
            raise SourceError(f"{name}: image refused: {problem}")
    except cv2.error as exc:
        if "CV_IO_MAX_IMAGE" in str(exc):
            raise SourceError(f"{name}: image refused: over the {megapixels(MAX_IMAGE_PIXELS)}-megapixel "
                              "limit (8192x8192)") from None
        raise SourceError(f"{name}: the image could not be decoded ({visible(_first_line(exc))})") from None
    except MemoryError:
        raise SourceError(f"{name}: not enough memory to decode this image") from None
    return image


def _decode_with_pillow(data: bytes) -> np.ndarray | None:
    """Formats OpenCV does not read (GIF...) through Pillow; None when Pillow cannot either.
    Only called after the header probe has checked the size."""
    import io
    import warnings

    try:
        from PIL import Image

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data), formats=PILLOW_FORMATS) as im:
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
            raise SourceError(f"{shown_name(spec)}: not a folder")
        try:
            entries = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        except OSError as exc:
            raise SourceError(f"{shown_name(spec)}: cannot list the folder: {visible(exc.strerror or exc)}") from exc
        super().__init__(spec, entries, kind="folder")
        self.folder = folder

    def _open(self) -> None:
        if not self.paths:
            raise SourceError(
                f"{shown_name(self.spec)}: the folder holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})"
            )
        super()._open()
