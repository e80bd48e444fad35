"""The live pipeline's finder-pattern gate (payer_app/scan/precheck.py): it spares the costly passes
on a frame that shows no code, and it never costs a read. The second part is checked picture by
picture over generated corpora: whatever the engine reads without the gate, it reads with it."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from payer_app.scan import decoders as decoders_module
from payer_app.scan.decoders import as_gray
from payer_app.scan.demo_camera import DemoCamera
from payer_app.scan.engine import LIVE, EngineConfig, decode_frame
from payer_app.scan.precheck import finder_candidates, fine_detail
from payer_app.studio.corpus import generate_corpus
from tests.media import frame_with, paste, qr_array
from tests.spec_vectors import EVN_BILL

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from decode_bench import cluttered_scene, hard_sample  # noqa: E402

NO_GATE = EngineConfig(precheck=False)


def _small(gray: np.ndarray) -> np.ndarray:
    factor = 640 / max(gray.shape)
    size = (round(gray.shape[1] * factor), round(gray.shape[0] * factor))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _texts(image, config) -> set[str]:
    return {d.text for d in decode_frame(image, config)}


@pytest.fixture
def decoder_calls(monkeypatch):
    """Every zbar and zxing-cpp call the engine makes, as (decoder, image height)."""
    calls: list[tuple[str, int]] = []
    zbar_decode = decoders_module.ZbarDecoder.decode
    zxing_read = decoders_module.ZxingDecoder.read

    def counted_zbar(self, gray):
        calls.append(("zbar", gray.shape[0]))
        return zbar_decode(self, gray)

    def counted_zxing(self, gray, **overrides):
        calls.append(("zxing", gray.shape[0]))
        return zxing_read(self, gray, **overrides)

    monkeypatch.setattr(decoders_module.ZbarDecoder, "decode", counted_zbar)
    monkeypatch.setattr(decoders_module.ZxingDecoder, "read", counted_zxing)
    return calls


def test_an_empty_noisy_1080p_frame_skips_zbar_and_the_full_resolution_pass(decoder_calls):
    frame = cluttered_scene(1920, 1080, np.random.default_rng(4))
    assert decode_frame(frame, LIVE) == []
    assert ("zbar", 360) not in decoder_calls
    assert ("zxing", 1080) not in decoder_calls
    assert ("zxing", 360) in decoder_calls  # the cheap pass still looked


def test_without_the_gate_the_same_frame_runs_every_pass(decoder_calls):
    frame = cluttered_scene(1920, 1080, np.random.default_rng(4))
    assert decode_frame(frame, NO_GATE) == []
    assert ("zbar", 360) in decoder_calls and ("zxing", 1080) in decoder_calls


@pytest.mark.parametrize("inverted", [False, True])
def test_finder_candidates_sees_a_code_of_either_polarity(inverted):
    gray = np.full((360, 640), 160, np.uint8)
    code = qr_array(EVN_BILL, scale=3)
    paste(gray, 255 - code if inverted else code, 200, 60)
    assert finder_candidates(gray) >= 1


def test_fine_detail_finds_a_code_of_one_pixel_modules_and_not_sensor_noise():
    tiny = as_gray(frame_with([(EVN_BILL, 900, 500)], 1920, 1080, scale=1))
    empty = as_gray(cluttered_scene(1920, 1080, np.random.default_rng(4)))
    assert fine_detail(tiny, _small(tiny))
    assert not fine_detail(empty, _small(empty))


def test_a_tiny_distant_code_is_still_read_with_the_gate():
    frame = frame_with([(EVN_BILL, 900, 500)], 1920, 1080, scale=1)
    assert _texts(frame, LIVE) == {EVN_BILL}


def _assert_gate_loses_nothing(images) -> int:
    read = 0
    for name, image in images:
        without = _texts(image, NO_GATE)
        assert without <= _texts(image, LIVE), f"the gate cost a read on {name}"
        read += bool(without)
    return read


def test_the_gate_loses_no_read_over_the_hard_corpus():
    rng = np.random.default_rng(1)  # bench/decode_bench.py's corpus (its first 60 pictures)
    images = [(f"hard {i}", hard_sample(rng)[0]) for i in range(60)]
    assert _assert_gate_loses_nothing(images) >= 20  # the corpus holds readable pictures


def test_the_gate_loses_no_read_over_the_studio_corpus(tmp_path):
    manifest = generate_corpus(tmp_path, count=48, seed=0)
    images = [(e["file"], cv2.imread(str(tmp_path / e["file"]), cv2.IMREAD_COLOR)) for e in manifest["entries"]]
    assert _assert_gate_loses_nothing(images) >= 30


def test_the_gate_loses_no_read_over_demo_camera_frames():
    camera = DemoCamera(realtime=False, size=(1920, 1080), seed=2, qr_side=390)
    camera.open()
    try:
        images = [(f"frame {i}", camera.read().image) for i in range(12)]
    finally:
        camera.close()
    assert _assert_gate_loses_nothing(images) >= 6
