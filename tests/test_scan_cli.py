"""``payer-app scan``: streams (demo, video), still images and folders, JSON lines, reports, exit codes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from payer_app.cli import main
from payer_app.core.payload import parse_payload
from payer_app.scan.demo_camera import demo_bill_payload
from tests.hostile_files import run_measured
from tests.media import empty_frame, frame_with, write_image, write_video
from tests.spec_vectors import EVN_BILL, GARBLING_PAYLOAD, VIETQR_TRANSFER


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _clip(tmp_path, pattern, name="clip.avi"):
    frames = []
    for i, ch in enumerate(pattern):
        if ch == ".":
            frames.append(empty_frame(640, 360, seed=i % 2))
        elif ch == "A":
            frames.append(frame_with([(EVN_BILL, 40, 30)], 640, 360, scale=3))
        elif ch == "B":
            frames.append(frame_with([(VIETQR_TRANSFER, 300, 30)], 640, 360, scale=3))
        elif ch == "V":
            frames.append(frame_with([(GARBLING_PAYLOAD, 100, 20)], 640, 360, scale=3))
        elif ch == "2":
            frames.append(frame_with([(EVN_BILL, 10, 30), (VIETQR_TRANSFER, 330, 30)], 640, 360, scale=3))
    return write_video(tmp_path / name, frames)


def test_scan_demo_json_finds_the_demo_bill(tmp_path):
    """The real-time demo camera through the whole command; how fast: bench/scan_latency_bench.py --cli."""
    run = run_measured(["scan", "demo", "--json"], tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = _json_lines(run.out)
    assert len(lines) == 1
    line = lines[0]
    assert set(line) >= {"source", "frame", "t_ms", "polygon", "decoder", "payload", "parse"}
    assert line["source"] == "demo" and line["payload"] == demo_bill_payload()
    assert line["parse"] == parse_payload(line["payload"]).to_dict()
    assert line["parse"]["valid"] and line["parse"]["scheme"] == "evn"


def test_scan_video_json_line_matches_parse_json(tmp_path, capsys):
    path = _clip(tmp_path, "...VVVV")
    assert main(["scan", str(path), "--json"]) == 0
    lines = _json_lines(capsys.readouterr().out)
    assert len(lines) == 1
    line = lines[0]
    assert line["payload"] == GARBLING_PAYLOAD  # exact Vietnamese text
    assert line["frame"] == 4 and line["t_ms"] == pytest.approx(133.3, abs=0.2)
    assert line["parse"] == parse_payload(GARBLING_PAYLOAD).to_dict()
    assert len(line["polygon"]) == 4
    assert line["source"] == str(path)


def test_scan_stops_at_first_payment_qr_unless_all(tmp_path, capsys):
    path = _clip(tmp_path, "AAAA....BBBB")
    assert main(["scan", str(path), "--json"]) == 0
    assert [line["payload"] for line in _json_lines(capsys.readouterr().out)] == [EVN_BILL]
    assert main(["scan", str(path), "--json", "--all"]) == 0
    assert [line["payload"] for line in _json_lines(capsys.readouterr().out)] == [EVN_BILL, VIETQR_TRANSFER]


def test_scan_reports_every_code_of_the_frame_that_ends_the_scan(tmp_path, capsys):
    path = _clip(tmp_path, "2222")
    assert main(["scan", str(path), "--json"]) == 0
    lines = _json_lines(capsys.readouterr().out)
    assert sorted(line["payload"] for line in lines) == sorted([EVN_BILL, VIETQR_TRANSFER])
    assert lines[0]["polygon"] != lines[1]["polygon"]


def test_scan_nothing_found_exits_1_and_max_frames_stops(tmp_path, capsys):
    path = _clip(tmp_path, "." * 12)
    report = tmp_path / "report.json"
    assert main(["scan", str(path), "--max-frames", "5", "--report", str(report)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "nothing found" in captured.err
    summary = json.loads(report.read_text())
    assert summary["stopped_by"] == "max-frames" and summary["frames_decoded"] == 5 and summary["found"] == 0


def test_scan_demo_all_respects_hold_off(tmp_path, capsys):
    """The bill stays in view for 40 frames (1.3 s of camera time): reported once within the 60 s hold-off."""
    report = tmp_path / "report.json"
    assert main(["scan", "demo:fast", "--all", "--json", "--hold-off", "60", "--max-frames", "40",
                 "--report", str(report)]) == 0
    assert len(_json_lines(capsys.readouterr().out)) == 1
    summary = json.loads(report.read_text())
    assert summary["stopped_by"] == "max-frames" and summary["found"] == 1


def test_scan_timeout_ends_an_endless_source(tmp_path, capsys):
    """demo:fast never ends by itself; --timeout does (a hang would end in pytest-timeout's ceiling, a
    failure with the stacks). Whether the bill was read by then depends on the machine's load, so only
    "at most once". In this process: the command as a process ending a stream is
    test_ctrl_c_ends_an_endless_stream_scan_cleanly."""
    report = tmp_path / "report.json"
    code = main(["scan", "demo:fast", "--all", "--timeout", "1", "--json", "--hold-off", "60", "--report", str(report)])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    assert len(_json_lines(captured.out)) <= 1
    assert json.loads(report.read_text())["stopped_by"] == "timeout"


def test_scan_folder_one_line_per_file_with_report(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    write_image(folder / "1-bill.png", frame_with([(EVN_BILL, 20, 20)], 500, 400))
    write_image(folder / "2-two.jpg", frame_with([(EVN_BILL, 10, 10), (VIETQR_TRANSFER, 330, 40)], 700, 400, scale=3))
    write_image(folder / "3-empty.png", empty_frame(300, 200))
    (folder / "4-broken.png").write_bytes(b"oops")
    report = tmp_path / "r.json"
    assert main(["scan", str(folder), "--json", "--report", str(report)]) == 1
    lines = _json_lines(capsys.readouterr().out)
    assert [Path(line["source"]).name for line in lines] == ["1-bill.png", "2-two.jpg", "3-empty.png", "4-broken.png"]
    assert [line["found"] for line in lines] == [True, True, False, False]
    assert lines[0]["payload"] == EVN_BILL and lines[0]["parse"]["valid"]
    assert sorted(c["payload"] for c in lines[1]["codes"]) == sorted([EVN_BILL, VIETQR_TRANSFER])
    assert "error" in lines[3] and "4-broken.png" in lines[3]["error"]
    summary = json.loads(report.read_text())
    assert summary["files"] == 4 and summary["found"] == 2 and summary["not_found"] == 2
    assert sum(summary["per_decoder"].values()) == 3
    assert summary["timings"]["decode"]["count"] == 3


def test_scan_image_list_all_found_exits_0(tmp_path, capsys):
    a = write_image(tmp_path / "a.png", frame_with([(EVN_BILL, 20, 20)], 400, 400))
    b = write_image(tmp_path / "b.png", frame_with([(VIETQR_TRANSFER, 20, 20)], 400, 400))
    assert main(["scan", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert f"{a}: zxing at [" in out and f"{b}: zxing at [" in out
    assert "EVN electricity bill, customer PD00000000000" in out
    assert out.count("(valid)") == 2


def test_scan_list_cameras(capsys):
    assert main(["scan", "--list-cameras", "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    for line in _json_lines(captured.out):  # this machine may have no webcam at all
        assert line["source"].startswith("camera:")


@pytest.mark.parametrize("argv, message", [
    (["scan"], "give a SOURCE"),
    (["scan", "no-such-thing.avi"], "bad source"),
    (["scan", "camera:42"], "bad source"),
    (["scan", "demo", "--timeout", "0"], "--timeout"),
])
def test_scan_bad_source_exits_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("attempt", range(3))
def test_ctrl_c_ends_an_endless_stream_scan_cleanly(attempt):
    """Ctrl+C on ``scan demo --all`` (an endless source): the scan stops, prints what it accepted and
    exits 0 (a code was accepted), with no traceback. The signal only sets a flag the scan reads between
    events (cli/scan_cmd.CtrlC), so it can never leave the event queue's lock held; run a few times
    because that hang depended on where the signal landed."""
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "payer_app", "scan", "demo", "--all", "--json"], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # waits on the first accepted code
        assert json.loads(first)["payload"] == demo_bill_payload()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)  # only a hung scan waits this long
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert all(json.loads(line)["payload"] == demo_bill_payload() for line in out.splitlines() if line.strip())


def test_a_damaged_picture_is_one_line_of_ours_not_opencv_noise(tmp_path):
    """A truncated PNG: the scan says in one line that it cannot read it; OpenCV's own warnings
    (printed from C++ straight to standard error) stay silent."""
    whole = write_image(tmp_path / "whole.png", frame_with([(EVN_BILL, 40, 30)], 640, 360, scale=3))
    damaged = tmp_path / "damaged.png"
    damaged.write_bytes(whole.read_bytes()[:3000])
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-m", "payer_app", "scan", str(damaged)], cwd=root,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 4  # an input could not be read (docs/cli.md)
    assert "cannot read" in run.stdout + run.stderr
    assert "WARN" not in run.stderr and "grfmt" not in run.stderr, run.stderr
