"""Frame sources: every kind opened by spec and read through OpenCV, camera listing, the demo camera."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from payer_app.scan.demo_camera import DemoCamera, demo_bill_payload, plain_bill_card
from payer_app.scan.engine import ScanSession, decode_frame
from payer_app.scan.source_specs import make_source, open_image_list, open_source
from payer_app.scan.sources import (
    CameraSource,
    FolderSource,
    ImageFilesSource,
    SourceError,
    VideoFileSource,
    list_cameras,
)
from tests.media import empty_frame, frame_with, write_image, write_video
from tests.spec_vectors import EVN_BILL


def _drain(source, limit=1000):
    frames, errors = [], []
    for _ in range(limit):
        try:
            frame = source.read()
        except SourceError as exc:
            errors.append(str(exc))
            continue
        if frame is None:
            break
        frames.append(frame)
    return frames, errors


def test_video_file_source_reads_every_frame_with_video_time(tmp_path):
    path = write_video(tmp_path / "v.avi", [empty_frame(320, 240, i) for i in range(5)], fps=25)
    with open_source(str(path)) as source:
        assert isinstance(source, VideoFileSource) and not source.live and source.fps == 25
        frames, errors = _drain(source)
    assert errors == []
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert [f.t_ms for f in frames] == [0, 40, 80, 120, 160]
    assert frames[0].image.shape == (240, 320, 3)


def test_image_file_source_is_one_frame(tmp_path):
    path = write_image(tmp_path / "one.png", frame_with([(EVN_BILL, 10, 10)], 400, 400))
    with open_source(str(path)) as source:
        assert isinstance(source, ImageFilesSource) and source.kind == "image" and source.per_file
        frames, errors = _drain(source)
    assert len(frames) == 1 and frames[0].name == str(path)
    assert [d.text for d in decode_frame(frames[0].image)] == [EVN_BILL]


def test_folder_source_lists_images_in_order_and_reports_bad_files(tmp_path):
    write_image(tmp_path / "b.png", empty_frame(200, 200))
    write_image(tmp_path / "a.jpg", frame_with([(EVN_BILL, 5, 5)], 300, 300))
    (tmp_path / "c.png").write_bytes(b"not a picture")
    (tmp_path / "notes.txt").write_text("ignored")
    with open_source(str(tmp_path)) as source:
        assert isinstance(source, FolderSource) and source.kind == "folder"
        assert [p.name for p in source.paths] == ["a.jpg", "b.png", "c.png"]
        frames, errors = _drain(source)
    assert [f.name.rsplit("/", 1)[-1] for f in frames] == ["a.jpg", "b.png"]
    assert len(errors) == 1 and "c.png" in errors[0]


def test_empty_folder_is_a_bad_source(tmp_path):
    with pytest.raises(SourceError, match="no image files"):
        open_source(str(tmp_path))


def test_image_list(tmp_path):
    a = write_image(tmp_path / "a.png", empty_frame(100, 100))
    b = write_image(tmp_path / "b.png", empty_frame(100, 100))
    source = open_image_list([str(a), str(b)])
    frames, _ = _drain(source)
    assert len(frames) == 2
    with pytest.raises(SourceError, match="nope.png"):
        open_image_list([str(a), str(tmp_path / "nope.png")])


@pytest.mark.parametrize("spec, message", [
    ("", "empty source"),
    ("camera:x", "camera:N"),
    ("/dev/video987", "no such camera device"),
    ("no/such/file.avi", "no such file or folder"),
])
def test_bad_specs_raise_source_error(spec, message):
    with pytest.raises(SourceError, match=message):
        open_source(spec)


def test_absent_camera_index_fails_quietly(capfd):
    with pytest.raises(SourceError, match="camera:57"):
        open_source("camera:57")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_list_cameras_prints_nothing(capfd):
    cameras = list_cameras()
    assert isinstance(cameras, list)
    for cam in cameras:
        assert cam.spec.startswith("camera:")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_not_a_video_file_is_reported(tmp_path):
    path = tmp_path / "clip.avi"
    path.write_bytes(b"garbage" * 100)
    with pytest.raises(SourceError, match="not a video"):
        open_source(str(path))


def test_camera_source_reads_through_opencv_capture(tmp_path):
    import cv2

    path = write_video(tmp_path / "cam.avi", [empty_frame(320, 240, i) for i in range(3)])
    camera = CameraSource("camera:file", str(path), backend=cv2.CAP_ANY)
    assert camera.live
    with camera:
        frames = [camera.read() for _ in range(3)]
        assert [f.index for f in frames] == [0, 1, 2]
        with pytest.raises(SourceError, match="stopped delivering frames"):
            camera.read()


# ---------------------------------------------------------------------------------------------
# demo camera


def test_demo_source_frames_move_and_show_the_bill():
    source = open_source("demo:fast")
    assert isinstance(source, DemoCamera) and not source.live
    frames = [source.read() for _ in range(12)]
    source.close()
    assert all(f.image.shape == (720, 1280, 3) and f.image.dtype == np.uint8 for f in frames)
    assert [f.t_ms for f in frames[:3]] == pytest.approx([0, 33.33, 66.67], abs=0.01)
    assert not np.array_equal(frames[0].image, frames[1].image)
    payload = demo_bill_payload()
    hits = sum(any(d.text == payload for d in decode_frame(f.image)) for f in frames)
    assert hits >= 11
    # The bill moves: the code's centre is not at the same place in every frame.
    centres = {tuple(round(c) for c in decode_frame(f.image)[0].center()) for f in frames[::4]}
    assert len(centres) > 1


class FakeClock:
    """A monotonic clock that only moves when slept on (or pushed): the camera's pacing, step by step."""

    def __init__(self, now: float = 100.0):
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_demo_source_is_a_live_30_fps_camera():
    source = open_source("demo")
    assert source.live and source.fps == 30 and source.realtime
    source.close()


def test_demo_camera_in_real_time_waits_for_each_frame_at_30_fps():
    clock = FakeClock()
    cam = DemoCamera(size=(320, 240), clock=clock, sleep=clock.sleep)
    cam.open()
    opened = clock.now
    frames = [cam.read() for _ in range(10)]
    assert [f.index for f in frames] == list(range(10))
    assert [f.captured_at - opened for f in frames] == pytest.approx([i / 30 for i in range(10)])
    assert len(clock.sleeps) == 9  # frame 0 is due at once; each later one a 30th of a second on
    assert [f.t_ms for f in frames] == pytest.approx([i * 1000 / 30 for i in range(10)])


def test_demo_camera_skips_ahead_when_the_reader_falls_more_than_a_second_behind():
    clock = FakeClock()
    cam = DemoCamera(size=(320, 240), clock=clock, sleep=clock.sleep)
    cam.open()
    opened = clock.now
    assert cam.read().index == 0
    clock.now = opened + 0.9  # 0.9 s late: frames come at once, none skipped
    assert cam.read().index == 1 and clock.sleeps == []
    clock.now = opened + 2.5  # 2.5 s late: the frame due now, not a burst of stale ones
    assert cam.read().index == 75
    assert cam.read().index == 76 and clock.sleeps == [pytest.approx(76 / 30 - 2.5)]


def test_demo_camera_can_film_any_picture_and_start_empty():
    card = plain_bill_card(EVN_BILL)
    cam = DemoCamera(realtime=False, image=card, show_after=3)
    cam.open()
    frames = [cam.read() for _ in range(5)]
    assert [bool(decode_frame(f.image)) for f in frames] == [False, False, False, True, True]


def test_demo_session_confirms_the_bill():
    accepted = []
    got_one = threading.Event()

    def on_accepted(scan):
        accepted.append(scan)
        got_one.set()

    session = ScanSession(make_source("demo:fast"), on_accepted=on_accepted)
    session.start()
    assert got_one.wait(60), "the demo bill was not accepted"
    session.stop()
    assert accepted and accepted[0].text == demo_bill_payload() and accepted[0].frame_index == 1
