"""``payer-app scan VIDEO|URL --expect FILE``: a stream's expectation (the payload, accepted within N
seconds / N frames, never a wrong payload), its verdict line, JSON, ``--report`` and JUnit; and a
video where nothing is found says so in one line (docs/qa.md, qa/stream_expectations.py).

Videos are made here frame by frame (``tests/media.py``: A = the EVN bill, B = a VietQR transfer,
. = no code; 30 fps, so frame i is at i/30 s) or by ``payer-app generate video``; the camera is a
local MJPEG server (``tests/mjpeg_server.py``)."""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from payer_app.cli import main
from payer_app.qa.expectations import ExpectationError
from tests.media import empty_frame, frame_with, write_video
from tests.mjpeg_server import MjpegServer, clip_jpegs
from tests.spec_vectors import EVN_BILL, VIETQR_TRANSFER

ROOT = Path(__file__).resolve().parent.parent
CAMERA_TIMEOUT_S = 120  # a ceiling for the scan of a live stream; it ends at the first accepted code


@functools.cache
def _frame(ch: str, seed: int):
    """One frame of a clip, drawn once for the file (write_video only reads it)."""
    if ch == "A":
        return frame_with([(EVN_BILL, 40, 30)], 640, 360, scale=3)
    if ch == "B":
        return frame_with([(VIETQR_TRANSFER, 300, 30)], 640, 360, scale=3)
    return empty_frame(640, 360, seed=seed)


def clip(tmp_path: Path, pattern: str, name: str = "clip.avi") -> Path:
    return write_video(tmp_path / name, [_frame(ch, 0 if ch in "AB" else i % 2) for i, ch in enumerate(pattern)])


def expect_file(tmp_path: Path, entry, name: str = "expect.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"stream": entry}), encoding="utf-8")
    return path


def scan(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["scan", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_expected_payload_within_n_frames_passes_with_junit_and_report(tmp_path, capsys):
    video = clip(tmp_path, "...AAAA...")
    expect = expect_file(tmp_path, {"payload": EVN_BILL, "within_frames": 5, "within_s": 0.2})
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    code, out, _ = scan(capsys, video, "--expect", expect, "--junit", junit, "--report", report)
    assert code == 0
    verdict = out.strip().splitlines()[-1]
    assert verdict.startswith(f"expectation ({expect}): {video}: pass (accepted on frame 4 at 0.133 s")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["expect"]["status"] == "pass" and data["expect"]["expected"]["within_frames"] == 5
    root = ET.fromstring(junit.read_bytes())
    cases = list(root.iter("testcase"))
    assert len(cases) == 1 and cases[0].get("name") == str(video)
    assert root.get("failures") == "0" and not list(root.iter("failure"))


@pytest.mark.parametrize("entry, why", [
    ({"payload": EVN_BILL, "within_frames": 4}, "expected within the first 4 frame(s)"),
    ({"payload": EVN_BILL, "within_s": 0.1}, "expected within 0.1 s"),
])
def test_accepted_too_late_fails_with_exit_1(tmp_path, capsys, entry, why):
    video = clip(tmp_path, "...AAAA...")  # accepted on frame 4 (two frames in a row), 0.133 s in
    junit = tmp_path / "junit.xml"
    code, out, _ = scan(capsys, video, "--expect", expect_file(tmp_path, entry), "--junit", junit)
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[-2].endswith(f"{video}: FAIL too-late")
    assert lines[-1].strip() == f"accepted on frame 4 at 0.133 s; {why}"
    failure = next(ET.fromstring(junit.read_bytes()).iter("failure"))
    assert failure.get("type") == "too-late" and why in failure.get("message")


def test_a_wrong_payload_fails(tmp_path, capsys):
    video = clip(tmp_path, "..BBBB....")
    code, out, _ = scan(capsys, video, "--expect", expect_file(tmp_path, EVN_BILL))
    assert code == 1
    assert f"{video}: FAIL wrong-payload" in out
    assert "accepted on frame 3 at 0.100 s" in out and "expected payload" in out


def test_never_a_wrong_payload_before_or_after_the_right_one(tmp_path, capsys):
    """The scan stops at the first payment QR: a wrong one first fails. With --all every accepted code
    counts: a wrong one after the right one fails too, unless never_wrong is false."""
    wrong_first = clip(tmp_path, "..BBB..AAA..", "wrong-first.avi")
    wrong_after = clip(tmp_path, "..AAA..BBB..", "wrong-after.avi")
    strict = expect_file(tmp_path, {"payload": EVN_BILL}, "strict.json")
    lenient = expect_file(tmp_path, {"payload": EVN_BILL, "never_wrong": False}, "lenient.json")

    code, out, _ = scan(capsys, wrong_first, "--expect", strict)
    assert code == 1 and "FAIL wrong-payload" in out and "accepted on frame 3 " in out
    code, out, _ = scan(capsys, wrong_after, "--expect", strict)
    assert code == 0, out  # without --all the scan ends at the right one
    code, out, _ = scan(capsys, wrong_after, "--expect", strict, "--all")
    assert code == 1 and "FAIL wrong-payload" in out and "accepted on frame 8 " in out
    code, out, _ = scan(capsys, wrong_after, "--expect", lenient, "--all")
    assert code == 0 and "also accepted on frame 8" in out
    code, out, _ = scan(capsys, wrong_first, "--expect", lenient, "--all")
    assert code == 0 and "accepted on frame 8 " in out


def test_fields_and_no_code_expected(tmp_path, capsys):
    video = clip(tmp_path, "..AAA..")
    code, out, _ = scan(capsys, video, "--expect", expect_file(tmp_path, {"scheme": "evn", "amount": 123}))
    assert code == 1 and "FAIL wrong-fields" in out and "amount: expected 123" in out
    blank = clip(tmp_path, "......", "blank.avi")
    assert scan(capsys, blank, "--expect", expect_file(tmp_path, {"found": False}))[0] == 0
    code, out, _ = scan(capsys, video, "--expect", expect_file(tmp_path, {"found": False}))
    assert code == 1 and "FAIL unexpected-qr" in out


def test_nothing_found_on_a_video_says_so_in_one_line(tmp_path, capsys):
    """Without --expect: exit 1 and one line on standard error (it used to exit 1 saying nothing)."""
    video = clip(tmp_path, "........")
    code, out, err = scan(capsys, video)
    assert code == 1 and out == ""
    assert err.strip() == "payer-app: scan: nothing found (end of source after 8 frames)"


def test_nothing_found_with_an_expectation_is_a_failed_expectation(tmp_path, capsys):
    video = clip(tmp_path, "........")
    junit = tmp_path / "junit.xml"
    code, out, err = scan(capsys, video, "--expect", expect_file(tmp_path, EVN_BILL), "--junit", junit, "--json")
    assert code == 1
    last = json.loads(out.strip().splitlines()[-1])
    assert last["found"] is False and last["expect"]["status"] == "not-found"
    assert last["expect"]["problems"] == ["nothing accepted in 8 frame(s) decoded (the scan stopped: end of source)"]
    assert "FAIL not-found" in err  # with --json the verdict goes to standard error
    assert next(ET.fromstring(junit.read_bytes()).iter("failure")).get("type") == "not-found"


def test_a_generated_handheld_clip_meets_its_payload(tmp_path, capsys):
    video = tmp_path / "handheld.mp4"
    assert main(["generate", "video", "demo", "-o", str(video), "--seconds", "1", "--size", "640x360",
                 "--motion", "handheld", "--seed", "1"]) == 0
    payload = capsys.readouterr().out.strip()
    code, out, _ = scan(capsys, video, "--expect", expect_file(tmp_path, {"payload": payload, "within_s": 0.5}))
    assert code == 0 and ": pass (accepted on frame" in out


def test_a_network_camera_meets_its_expectation(tmp_path):
    """A real MJPEG stream on 127.0.0.1, through the command in its own process."""
    from payer_app.core.builder import evn_bill_payload

    payload = evn_bill_payload("PD13000777777")
    server = MjpegServer(clip_jpegs(tmp_path, payload, 5))
    try:
        expect = expect_file(tmp_path, {"payload": payload, "scheme": "evn", "customer_code": "PD13000777777"})
        junit = tmp_path / "camera.xml"
        run = subprocess.run([sys.executable, "-m", "payer_app", "scan", server.url(credentials=False),
                              "--expect", str(expect), "--junit", str(junit), "--timeout", str(CAMERA_TIMEOUT_S)],
                             cwd=ROOT, capture_output=True, text=True, timeout=CAMERA_TIMEOUT_S + 60)
    finally:
        server.stop()
    assert run.returncode == 0, run.stdout + run.stderr
    assert ": pass (accepted on frame" in run.stdout
    assert len(list(ET.fromstring(junit.read_bytes()).iter("testcase"))) == 1


@pytest.mark.parametrize("entry, message", [
    ({"payload": EVN_BILL, "within_s": -1}, "\"within_s\" must be a number of seconds above 0"),
    ({"payload": EVN_BILL, "within_frames": 1.5}, "\"within_frames\" must be a whole number"),
    ({"payload": EVN_BILL, "never_wrong": "yes"}, "\"never_wrong\" must be true or false"),
    ({"payload": EVN_BILL, "whithin_s": 2}, "unknown key whithin_s"),
    (42, "expected a payload string or an object"),
])
def test_an_unusable_expectation_is_exit_2_naming_the_file(tmp_path, capsys, entry, message):
    video = clip(tmp_path, "..AAA..")
    expect = expect_file(tmp_path, entry)
    code, out, err = scan(capsys, video, "--expect", expect)
    assert code == 2 and out == ""
    assert err.startswith(f"payer-app: error: --expect: {expect}: \"stream\": ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_html_on_a_video_is_refused_and_the_expectation_file_is_capped(tmp_path, capsys):
    video = clip(tmp_path, "..AAA..")
    code, _, err = scan(capsys, video, "--html", tmp_path / "r.html")
    assert code == 2 and "--html works on images and folders" in err
    from payer_app.qa.batch import QaSetupError
    from payer_app.qa.stream_expectations import StreamCheck, load_stream_expectation

    for option in ({"shard": "1/2"}, {"recursive": True}):  # never ignored on a stream
        with pytest.raises(QaSetupError, match="works on images and folders"):
            StreamCheck.from_args(argparse.Namespace(expect=None, junit="j.xml", **option), video)

    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({"stream": {"payload": EVN_BILL, "note": "x" * 2_000_000}}), encoding="utf-8")
    with pytest.raises(ExpectationError):
        load_stream_expectation(huge)


def test_a_stream_summary_holds_its_outcome(tmp_path, capsys):
    """--summary (the pipeline's JSON, written by the folder scan's writer) for a stream: one result."""
    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    if "--summary" not in capsys.readouterr().out:
        pytest.skip("this checkout's scan has no --summary yet")
    video = clip(tmp_path, "...AAAA...")
    summary = tmp_path / "summary.json"
    code, _, _ = scan(capsys, video, "--expect", expect_file(tmp_path, {"payload": EVN_BILL, "within_frames": 2}),
                      "--summary", summary)
    assert code == 1
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["verdict"] == "fail" and data["exit_code"] == 1
    assert [f["status"] for f in data["failures"]] == ["too-late"]
