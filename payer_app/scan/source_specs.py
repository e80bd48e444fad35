"""Sources by their command-line spelling: ``make_source(spec)`` (demo, ``camera:N``, ``/dev/videoN``,
a network camera URL, a video, an image or a folder), ``open_source(spec)`` (made and opened) and
``open_image_list(paths)``. The one module that knows every kind of source: ``sources.py`` holds
the kinds, the demo camera and the network camera build on it, and this module picks among them.
"""

from __future__ import annotations

import re
from pathlib import Path

from payer_app.scan.sources import (
    IMAGE_SUFFIXES,
    VIDEO_SUFFIXES,
    CameraSource,
    FolderSource,
    FrameSource,
    ImageFilesSource,
    SourceError,
    VideoFileSource,
    quiet_cv2,
    read_image_file,
    shown_name,
)


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
        raise SourceError(f"{shown_name(text)}: a camera is camera:N with N a number (camera:0)")
    if re.fullmatch(r"/dev/video\d+", text):
        return CameraSource(text, text)
    if re.match(r"(?i)(https?|rtsps?)://", text):
        from payer_app.scan.network_source import NetworkCameraSource

        return NetworkCameraSource(text)
    path = Path(text).expanduser()
    if path.is_dir():
        return FolderSource(text, path)
    if not path.exists():
        raise SourceError(
            f"{shown_name(text)}: no such file or folder "
            "(sources: demo, camera:N, /dev/videoN, a video, an image, a folder)"
        )
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return ImageFilesSource(text, [path], kind="image")
    if suffix in VIDEO_SUFFIXES:
        return VideoFileSource(text, path)
    # Unknown suffix: sniff. Something OpenCV decodes as a still image is an image; one our reader
    # refuses (a Radiance HDR picture: its size is not checked before decoding) stays refused, not
    # handed to the video decoder, which would decode it whole.
    try:
        read_image_file(path)
        return ImageFilesSource(text, [path], kind="image")
    except SourceError:
        if path.is_file() and quiet_cv2().haveImageReader(str(path)):
            raise
        return VideoFileSource(text, path)


def open_image_list(paths: list[str]) -> FrameSource:
    """Several image files given on the command line, scanned file by file."""
    for p in paths:
        if not Path(p).is_file():
            raise SourceError(f"{shown_name(p)}: no such file")
    source = ImageFilesSource(" ".join(paths), [Path(p) for p in paths])
    source.open()
    return source


__all__ = ["make_source", "open_image_list", "open_source"]
