"""decode_frame's pipeline, the Confirmer, and ScanSession over real OpenCV captures of test videos."""

from __future__ import annotations

import functools
import threading

import cv2
import numpy as np
import pytest

from payer_app.scan.decoders import Detection
from payer_app.scan.engine import AcceptedScan, Confirmer, ScanSession, decode_frame, decode_image_file
from payer_app.scan.sources import CameraSource, SourceError, VideoFileSource
from tests.media import (
    empty_frame,
    frame_with,
    noisy_background,
    paste,
    qr_array,
    rotated,
    write_image,
    write_video,
)
from tests.spec_vectors import EVN_BILL, GARBLING_PAYLOAD, VIETQR_TRANSFER


def _inside(polygon, x0, y0, x1, y1, slack=6):
    return all(x0 - slack <= x <= x1 + slack and y0 - slack <= y <= y1 + slack for x, y in polygon)


# ---------------------------------------------------------------------------------------------
# decode_frame


def test_decode_frame_finds_a_code_in_a_720p_frame_with_full_frame_coordinates():
    frame = frame_with([(EVN_BILL, 700, 250)])
    side = qr_array(EVN_BILL).shape[0]
    found = decode_frame(frame)
    assert [d.text for d in found] == [EVN_BILL]
    assert _inside(found[0].polygon, 700, 250, 700 + side, 250 + side)
    assert len(found[0].polygon) == 4


def test_decode_frame_on_an_empty_noisy_frame_finds_nothing():
    assert decode_frame(empty_frame(seed=5)) == []


def test_decode_frame_reads_an_inverted_code():
    gray = noisy_background(seed=1)
    paste(gray, 255 - qr_array(EVN_BILL), 500, 200)
    assert [d.text for d in decode_frame(gray)] == [EVN_BILL]


@pytest.mark.parametrize("angle", [17, 45, 90, 160, 250])
def test_decode_frame_reads_rotated_codes(angle):
    gray = noisy_background(seed=2)
    paste(gray, rotated(qr_array(EVN_BILL), angle), 400, 120)
    assert [d.text for d in decode_frame(gray)] == [EVN_BILL]


def test_decode_frame_recovers_a_small_distant_code_the_downscale_loses():
    # 1 pixel per module in a 1080p frame: unreadable at the fast path's 640 px, read at full size.
    frame = frame_with([(EVN_BILL, 900, 500)], 1920, 1080, scale=1)
    found = decode_frame(frame)
    assert [d.text for d in found] == [EVN_BILL]
    assert "/" in found[0].decoder  # found by a retry step, not the fast path
    assert _inside(found[0].polygon, 900, 500, 960, 560)


def test_decode_frame_reports_every_code_with_its_position():
    frame = frame_with([(EVN_BILL, 80, 80), (VIETQR_TRANSFER, 700, 200), (EVN_BILL, 950, 420)])
    found = decode_frame(frame)
    assert sorted(d.text for d in found) == sorted([EVN_BILL, EVN_BILL, VIETQR_TRANSFER])
    centres = sorted((round(d.center()[0]), round(d.center()[1])) for d in found)
    assert centres[0][0] < 300 and 700 < centres[1][0] < 1000 and centres[2][0] > 950


def test_decode_frame_returns_exact_vietnamese_text():
    found = decode_frame(frame_with([(GARBLING_PAYLOAD, 300, 200)]))
    assert [d.text for d in found] == [GARBLING_PAYLOAD]


def test_still_pipeline_on_a_big_photo_reports_each_code_once_in_photo_pixels():
    from payer_app.scan.engine import STILL

    frame = frame_with([(EVN_BILL, 1500, 900)], 2800, 2000, scale=8)
    side = qr_array(EVN_BILL, 8).shape[0]
    found = decode_frame(frame, STILL)
    assert [d.text for d in found] == [EVN_BILL]  # the reduced whole-image passes map back
    assert _inside(found[0].polygon, 1500, 900, 1500 + side, 900 + side)


def test_decode_frame_rejects_non_images():
    with pytest.raises(ValueError):
        decode_frame(np.zeros((0, 0), np.uint8))


def test_decode_image_file_reads_a_png(tmp_path):
    path = write_image(tmp_path / "bill.png", frame_with([(EVN_BILL, 100, 100)], 640, 480))
    assert [d.text for d in decode_image_file(path)] == [EVN_BILL]


def test_decode_image_file_low_contrast_photo(tmp_path):
    gray = noisy_background(800, 600, seed=4, level=120, sigma=3)
    qr = qr_array(EVN_BILL, scale=3)
    paste(gray, (qr.astype(np.float32) * 0.18 + 105).astype(np.uint8), 200, 150)  # 105..151: faint print
    path = write_image(tmp_path / "faint.jpg", gray)
    assert [d.text for d in decode_image_file(path)] == [EVN_BILL]


def test_decode_image_file_errors_name_the_file(tmp_path):
    with pytest.raises(SourceError, match="missing.png: no such file"):
        decode_image_file(tmp_path / "missing.png")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(SourceError, match="broken.png: not an image"):
        decode_image_file(broken)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match="empty file"):
        decode_image_file(empty)


# ---------------------------------------------------------------------------------------------
# Confirmer


def _det(text, x=0):
    return Detection(text, ((x, 0), (x + 10, 0), (x + 10, 10), (x, 10)), "zbar")


def test_confirmer_needs_two_consecutive_frames_by_default():
    c = Confirmer()
    assert c.feed([_det("A")], 0) == []
    assert [d.text for d in c.feed([_det("A")], 33)] == ["A"]
    assert c.feed([_det("A")], 66) == []  # held off


def test_confirmer_streak_is_broken_by_a_frame_without_the_code():
    c = Confirmer(frames_required=3, hold_off_ms=0)
    assert c.feed([_det("A")], 0) == []
    assert c.feed([_det("A")], 33) == []
    assert c.feed([], 66) == []
    assert c.feed([_det("A")], 100) == []
    assert c.feed([_det("A")], 133) == []
    assert [d.text for d in c.feed([_det("A")], 166)] == ["A"]


def test_confirmer_hold_off_then_reports_again():
    c = Confirmer(frames_required=2, hold_off_ms=1000)
    accepted_at = []
    for i in range(90):  # 3 s at 30 fps, the code always in view
        t = i * 1000 / 30
        if c.feed([_det("A")], t):
            accepted_at.append(round(t))
    assert accepted_at == [33, 1033, 2033]


def test_confirmer_confirms_several_payloads_independently():
    c = Confirmer()
    assert c.feed([_det("A"), _det("B", 50)], 0) == []
    both = c.feed([_det("B", 50), _det("A")], 33)
    assert sorted(d.text for d in both) == ["A", "B"]
    c2 = Confirmer()
    c2.feed([_det("A", 0), _det("A", 500)], 0)
    twice = c2.feed([_det("A", 0), _det("A", 500)], 33)
    assert [d.polygon[0][0] for d in twice] == [0, 500]  # the same bill twice: both positions


def test_confirmer_with_one_frame_accepts_at_once():
    assert Confirmer(frames_required=1).feed([_det("A")], 0)
    with pytest.raises(ValueError):
        Confirmer(frames_required=0)


# ---------------------------------------------------------------------------------------------
# ScanSession

HUNG_S = 60  # only a hung session waits this long; the waits end on the session's own events


class Recorder:
    """Collects a session's callbacks; ``wait_until(check)`` blocks until a callback makes check true."""

    def __init__(self):
        self.frames = []
        self.decoded = []
        self.accepted: list[AcceptedScan] = []
        self.errors = []
        self.finished = threading.Event()
        self.threads = set()
        self.changed = threading.Condition()

    def _note(self, items: list, item) -> None:
        with self.changed:
            items.append(item)
            self.changed.notify_all()

    def wait_until(self, check, timeout: float = HUNG_S) -> bool:
        with self.changed:
            return self.changed.wait_for(check, timeout)

    def on_frame(self, frame):
        self.threads.add(threading.current_thread().name)
        self._note(self.frames, frame.index)

    def on_detections(self, frame, detections, decode_ms):
        self._note(self.decoded, (frame.index, [d.text for d in detections], decode_ms))

    def on_accepted(self, scan):
        self.threads.add(threading.current_thread().name)
        self._note(self.accepted, scan)

    def on_error(self, exc):
        self._note(self.errors, exc)

    def on_finished(self):
        self.finished.set()

    def session(self, source, **kw):
        return ScanSession(source, on_frame=self.on_frame, on_detections=self.on_detections,
                           on_accepted=self.on_accepted, on_error=self.on_error,
                           on_finished=self.on_finished, **kw)


@functools.cache
def _frame(ch: str, i: int, w: int, h: int) -> np.ndarray:
    """Frame ``i`` of a pattern for ``ch`` (it depends on i only through i % 3 and i % 5: drawn once
    each; write_video only reads it)."""
    if ch == ".":
        return empty_frame(w, h, seed=i % 3)
    if ch == "A":
        return frame_with([(EVN_BILL, 60 + i % 5, 40)], w, h, scale=3, seed=i % 3)
    if ch == "B":
        return frame_with([(VIETQR_TRANSFER, 300, 60)], w, h, scale=3, seed=i % 3)
    return frame_with([(EVN_BILL, 20, 40), (VIETQR_TRANSFER, 350, 60)], w, h, scale=3)


def _video(tmp_path, pattern, name="clip.avi", size=(640, 360)):
    """pattern: a string, one character per frame: '.' empty, 'A' EVN bill, 'B' another QR, '2' both."""
    w, h = size
    return write_video(tmp_path / name, [_frame(ch, i % 15, w, h) for i, ch in enumerate(pattern)])


def test_session_on_a_video_file_accepts_on_the_second_qr_frame(tmp_path):
    path = _video(tmp_path, "....." + "A" * 8 + "...")
    rec = Recorder()
    session = rec.session(VideoFileSource(str(path), path)).start()
    assert session.wait(HUNG_S)
    session.stop()
    assert rec.finished.is_set() and rec.errors == []
    assert rec.frames == list(range(16))  # a file source hands over every frame
    assert [i for i, texts, _ in rec.decoded if texts] == list(range(5, 13))
    assert len(rec.accepted) == 1
    scan = rec.accepted[0]
    assert scan.text == EVN_BILL and scan.frame_index == 6
    assert scan.t_ms == pytest.approx(200.0, abs=1)
    assert isinstance(scan.image, np.ndarray) and scan.image.shape == (360, 640, 3)
    assert scan.decode_ms > 0 and scan.decoder.startswith(("zbar", "zxing"))
    assert _inside(scan.polygon, 60, 40, 60 + 4 + qr_array(EVN_BILL, 3).shape[1], 40 + qr_array(EVN_BILL, 3).shape[0])
    assert {"scan-capture", "scan-decode"} <= rec.threads


def test_session_hold_off_and_reappearance(tmp_path):
    # In view 10 frames, away 5, back 10 (within the hold-off), away 40 (1.3 s), back 10.
    path = _video(tmp_path, "A" * 10 + "." * 5 + "A" * 10 + "." * 40 + "A" * 10)
    rec = Recorder()
    session = rec.session(VideoFileSource(str(path), path), hold_off_ms=1000).start()
    assert session.wait(HUNG_S)
    assert [s.frame_index for s in rec.accepted] == [1, 66]


def test_session_reports_two_codes_in_one_frame(tmp_path):
    path = _video(tmp_path, "2222")
    rec = Recorder()
    session = rec.session(VideoFileSource(str(path), path)).start()
    assert session.wait(HUNG_S)
    assert sorted(s.text for s in rec.accepted) == sorted([EVN_BILL, VIETQR_TRANSFER])
    assert {s.frame_index for s in rec.accepted} == {1}
    assert all(len(s.others) == 2 for s in rec.accepted)


def test_session_truncated_video_ends_cleanly(tmp_path):
    path = _video(tmp_path, "A" * 30)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    rec = Recorder()
    session = rec.session(VideoFileSource(str(path), path)).start()
    assert session.wait(HUNG_S)
    assert rec.finished.is_set()
    assert 0 < len(rec.frames) < 30
    assert [s.text for s in rec.accepted] == [EVN_BILL]


def test_vanished_camera_is_reported_and_reopened(tmp_path):
    """A camera that stops delivering frames: on_error, then reopen attempts until it is back."""
    path = _video(tmp_path, "A" * 6, name="cam.avi")
    saved = path.read_bytes()
    # Film the video file as if it were a camera: OpenCV's generic backend, paced like a webcam.
    camera = CameraSource("camera:test", str(path), backend=cv2.CAP_ANY, pace_fps=60)
    rec = Recorder()
    session = rec.session(camera, reopen_delay_s=0.05).start()
    assert rec.wait_until(lambda: rec.errors), "the end of the frames should be reported as a vanished camera"
    assert isinstance(rec.errors[0], SourceError) and "unplugged" in str(rec.errors[0])
    path.unlink()  # the device is gone: reopening fails and is reported, not fatal
    assert rec.wait_until(lambda: any("not found" in str(e) for e in rec.errors)), rec.errors
    assert session.running
    before = len(rec.frames)
    path.write_bytes(saved)  # plugged back in
    assert rec.wait_until(lambda: len(rec.frames) >= before + 3), "no frames after the camera came back"
    assert rec.wait_until(lambda: rec.accepted), "the bill the camera films was never accepted"
    session.stop()
    assert session.stats.reopens >= 1
    assert rec.accepted and rec.accepted[0].text == EVN_BILL
    assert rec.finished.wait(HUNG_S)


def test_session_stop_from_a_callback_does_not_deadlock(tmp_path):
    path = _video(tmp_path, "A" * 40)
    box = {}

    def accepted(scan):
        box["scan"] = scan
        box["session"].stop()

    box["session"] = ScanSession(VideoFileSource(str(path), path), on_accepted=accepted)
    box["session"].start()
    assert box["session"].wait(HUNG_S)
    assert box["scan"].frame_index == 1
    assert box["session"].stats.frames_decoded < 40


def test_faulty_callback_is_reported_not_fatal(tmp_path):
    path = _video(tmp_path, "AAAA")
    errors = []

    def bad_frame(frame):
        raise RuntimeError("preview broke")

    accepted = []
    session = ScanSession(VideoFileSource(str(path), path), on_frame=bad_frame,
                          on_accepted=accepted.append, on_error=errors.append).start()
    assert session.wait(HUNG_S)
    assert accepted and errors and "preview broke" in str(errors[0])
