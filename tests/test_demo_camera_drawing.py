"""``payer-app generate video`` lays the bill with 4-channel pixels (payer_app/studio/video.py,
``ClipCamera._lay_bill``: OpenCV's vectorised warp), the window's demo camera with 3
(payer_app/scan/demo_camera.py, ``DemoCamera._lay_bill``). Same options and seed, same frames:
these tests hold the clip's drawing to the camera's, byte for byte, over every pose of clips of
each motion and size, a bill turned a quarter, and a bill mostly out of the frame."""

from __future__ import annotations

import functools

import cv2
import pytest

from payer_app.scan.demo_camera import DemoCamera
from payer_app.studio.video import ClipCamera, ClipSpec, bill_for

PAYLOAD = "000201010211262400020001140100101114-0115204490053037045802VN5930EVN CONG TY DIEN LUC LONG BIEN6304"


@functools.cache
def _bill(bill_or_payload: str):
    return bill_for(bill_or_payload)[0]  # drawn once for the file


def _poses(camera: ClipCamera, frames: int):
    yield from (camera.pose(i / camera.fps) for i in range(0, frames, 5))  # a sixth of a second apart
    cx, cy = camera._center
    yield cv2.getRotationMatrix2D((cx, cy), 90.0, camera._zoom)
    shifted = camera.pose(0.0)
    shifted[1, 2] -= 0.8 * camera.height  # only the bottom of the bill, in the top rows
    yield shifted
    shifted = camera.pose(0.0)
    shifted[0, 2] += 0.9 * camera.width  # only its left edge, in the rightmost columns
    yield shifted


@pytest.mark.parametrize("bill, spec", [
    ("demo", ClipSpec(seconds=2)),
    ("demo", ClipSpec(seconds=2, motion="sweep", light="dim", seed=3)),
    ("demo", ClipSpec(seconds=0.5, motion="still", size=(1920, 1080))),
    (PAYLOAD, ClipSpec(seconds=1, size=(640, 360), blur="motion", seed=5)),
], ids=["handheld-720p", "sweep-720p", "still-1080p", "card-360p"])
def test_a_clip_lays_the_bill_as_the_demo_camera_does_to_the_bit(bill, spec):
    camera = ClipCamera(_bill(bill), spec, qr_side=0.4 * min(spec.size))
    camera.open()
    poses = list(_poses(camera, spec.frame_count))
    shown = 0
    try:
        for pose in poses:
            clip_frame, camera_frame = camera._desk.copy(), camera._desk.copy()
            camera._lay_bill(clip_frame, pose)
            DemoCamera._lay_bill(camera, camera_frame, pose)
            assert (clip_frame == camera_frame).all()
            shown += bool((clip_frame != camera._desk).any())
    finally:
        camera.close()
    assert shown > len(poses) / 2  # the bill was in most of them


def test_a_pose_with_the_bill_out_of_the_frame_leaves_the_desk():
    camera = ClipCamera(_bill("demo"), ClipSpec(seconds=1), qr_side=260.0)
    camera.open()
    try:
        pose = camera.pose(0.0)
        pose[1, 2] -= 10 * camera.height
        frame = camera._desk.copy()
        camera._lay_bill(frame, pose)
        assert (frame == camera._desk).all()
    finally:
        camera.close()
