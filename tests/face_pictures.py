"""A real face for the face-check tests: the portrait of Grace Hopper that matplotlib's wheel ships as
sample data (``mpl-data/sample_data/grace_hopper.jpg``, a US Navy photograph in the public domain;
matplotlib is in the ``test`` extra for it). Found with ``importlib.util.find_spec``, so matplotlib
itself is never imported. Also camera-like frames and videos of it (tests/media.py writes them)."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import cv2
import numpy as np

from tests.media import empty_frame, write_video

# Where the face is in the photo (512x600), marked by hand from the picture: the face from the
# eyebrows to the chin and cheek to cheek (left, top, right, bottom in the photo's pixels).
FACE_IN_PHOTO = (180, 150, 365, 330)


def photo_path() -> Path:
    spec = importlib.util.find_spec("matplotlib")
    assert spec is not None and spec.origin, "matplotlib (the test extra) ships the photo: pip install -e '.[test]'"
    path = Path(spec.origin).parent / "mpl-data" / "sample_data" / "grace_hopper.jpg"
    assert path.is_file(), path
    return path


@functools.cache
def _photo() -> np.ndarray:
    image = cv2.imread(str(photo_path()))
    assert image is not None and image.shape[:2] == (600, 512), "not the photo FACE_IN_PHOTO was marked on"
    image.flags.writeable = False
    return image


def photo() -> np.ndarray:
    return _photo().copy()


def face_frame(size: tuple[int, int] = (640, 480), at: tuple[int, int] = (170, 10), scale: float = 0.75,
               seed: int = 0) -> np.ndarray:
    """A camera-like BGR frame (``size`` = width, height): a desk with the photo, shrunk by ``scale``,
    its top-left corner at ``at``."""
    w, h = size
    frame = empty_frame(w, h, seed=seed)  # BGR
    picture = cv2.resize(photo(), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ph, pw = picture.shape[:2]
    x, y = at
    frame[y:y + ph, x:x + pw] = picture[: h - y, : w - x]
    return frame


def face_in_frame(at: tuple[int, int] = (170, 10), scale: float = 0.75) -> tuple[float, float, float, float]:
    """FACE_IN_PHOTO in the pixels of ``face_frame(at=at, scale=scale)``."""
    left, top, right, bottom = FACE_IN_PHOTO
    return at[0] + left * scale, at[1] + top * scale, at[0] + right * scale, at[1] + bottom * scale


def face_video(path: Path, frames: int = 24, fps: float = 12.0, at: tuple[int, int] = (170, 10)) -> Path:
    """A person in front of the camera: the photo (its corner at ``at``) held still, moving a pixel or two."""
    moves = [face_frame(at=(at[0] + i, at[1])) for i in range(3)]
    return write_video(path, [moves[i % 3] for i in range(frames)], fps=fps)


def covers(box: tuple[float, float, float, float], face: tuple[float, float, float, float]) -> float:
    """How much of the marked ``face`` (left, top, right, bottom) the box (x, y, w, h) covers, and
    how much of the box is face: the smaller of the two fractions."""
    x, y, w, h = box
    ix = max(0.0, min(x + w, face[2]) - max(x, face[0]))
    iy = max(0.0, min(y + h, face[3]) - max(y, face[1]))
    inter = ix * iy
    return min(inter / ((face[2] - face[0]) * (face[3] - face[1])), inter / (w * h))
