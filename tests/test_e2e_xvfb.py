"""End to end: the real ``payer-app gui`` process on a real X server (Xvfb), scanning a video file
written here, paying with simulated input (the autopilot test hook clicks and types with QTest from
inside the app), and taking a screenshot of every screen. With PAYER_APP_UPDATE_SCREENSHOTS=1 (`make
screenshots`) the pictures are copied to docs/screenshots/, which the README shows; otherwise a test run
leaves the work tree untouched.
The signed request that comes out is verified with the payer's public key."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from payer_app.core.keystore import KeyStore
from payer_app.core.signing import verify_request

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"
EXPECTED_SHOTS = ["01-home", "02-scan", "03-payee", "04-inspector", "05-amount", "06-review", "07-pin",
                  "08-result", "09-request-qr", "10-history", "11-settings", "12-home-en-dark", "13-payee-refused"]

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.slow,
    # Under CI the set-up must have installed Xvfb: a missing X server fails there instead of skipping.
    pytest.mark.skipif(shutil.which("Xvfb") is None and os.environ.get("CI") != "true",
                       reason="Xvfb is not installed (scripts/ensure_system_packages.sh)"),
]


def bill_video(path: Path, frames: int = 60, fps: float = 15.0) -> str:
    """A 1280x720 video of a printed EVN bill on a desk, drifting a little; returns its QR payload."""
    from payer_app.scan.demo_camera import demo_bill

    from payer_app.scan.demo_camera import _find_qr

    bill, payload = demo_bill()
    bill = cv2.cvtColor(np.array(bill.convert("RGB")), cv2.COLOR_RGB2BGR)
    cx, cy, side = _find_qr(cv2.cvtColor(bill, cv2.COLOR_BGR2GRAY))
    scale = 330 / side  # the payer holds the phone so the code fills the scan window
    bill = cv2.resize(bill, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    bh, bw = bill.shape[:2]
    cx, cy = cx * scale, cy * scale
    rng = np.random.default_rng(4)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (1280, 720))
    assert writer.isOpened(), "OpenCV cannot write MJPG video here"
    for i in range(frames):
        desk = np.zeros((720, 1280, 3), dtype=np.uint8)
        desk[:] = (92, 112, 128)
        x = int(640 - cx + 10 * np.sin(i / 6))
        y = int(360 - cy + 6 * np.cos(i / 5))
        # paste the part of the bill that falls inside the frame
        sx0, sy0 = max(0, -x), max(0, -y)
        dx0, dy0 = max(0, x), max(0, y)
        w = min(bw - sx0, 1280 - dx0)
        h = min(bh - sy0, 720 - dy0)
        desk[dy0:dy0 + h, dx0:dx0 + w] = bill[sy0:sy0 + h, sx0:sx0 + w]
        noise = rng.normal(0, 4, desk.shape)
        writer.write(np.clip(desk + noise, 0, 255).astype(np.uint8))
    writer.release()
    return payload


def broken_crc(payload: str) -> str:
    """The payload with one character of the merchant name changed: the checksum no longer fits."""
    at = payload.index("EVN CONG TY") + 4
    return payload[:at] + "X" + payload[at + 1:]


def free_display() -> int:
    for n in range(140, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


@pytest.fixture
def xvfb():
    display = free_display()
    proc = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{display}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"Xvfb :{display} did not start")
        time.sleep(0.05)
    yield f":{display}"
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_real_app_scans_a_video_pays_and_saves_screenshots(xvfb, tmp_path, payer_home):
    video = tmp_path / "bill-scan.avi"
    payload = bill_video(video)
    shots = tmp_path / "shots"
    result_file = tmp_path / "autopilot.json"
    script = tmp_path / "script.json"
    script.write_text(json.dumps({
        "screenshots": str(shots), "amount": 1234567, "note": "Tien dien thang 11", "pin": "123456",
        "result_file": str(result_file), "timeout_s": 90,
        "error_payload": broken_crc(payload),
    }), encoding="utf-8")
    env = dict(os.environ, DISPLAY=xvfb, QT_QPA_PLATFORM="xcb", PAYER_APP_AUTOPILOT=str(script),
               PAYER_APP_HOME=str(payer_home))
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.run([sys.executable, "-m", "payer_app", "gui", "--camera", str(video), "--lang", "vi"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=150)
    assert result_file.exists(), f"the app wrote no report (exit {proc.returncode}): {proc.stderr[-2000:]}"
    report = json.loads(result_file.read_text(encoding="utf-8"))
    assert proc.returncode == 0, (report.get("error"), proc.stderr[-2000:])
    assert report["ok"] and report["status"] == "approved"
    assert report["screens"][:7] == ["scan", "payee", "inspector", "payee", "amount", "review", "pin"]

    verification = verify_request(report["jws"], KeyStore(payer_home))
    assert verification.ok, verification.message
    request = verification.request
    assert request["qr"]["payload"] == payload
    assert request["amount"] == {"value": "1234567", "currency": "VND"}
    assert request["note"] == "Tien dien thang 11"
    assert request["request_id"] == report["request_id"]

    update_docs = os.environ.get("PAYER_APP_UPDATE_SCREENSHOTS") == "1"
    for name in EXPECTED_SHOTS:
        shot = shots / f"{name}.png"
        assert shot.exists(), f"no screenshot {name}"
        image = cv2.imread(str(shot))
        assert image is not None and image.shape[0] >= 400 and image.std() > 10, f"{name} looks blank"
    if update_docs:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name in EXPECTED_SHOTS:
            shutil.copyfile(shots / f"{name}.png", SCREENSHOTS / f"{name}.png")
