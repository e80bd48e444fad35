"""End to end: the real payer window on a real X server (Xvfb) under a real window manager (openbox),
driven with real mouse and keyboard events (xdotool), as a person would.

The window is started by a small launcher in tests/e2e/ that only reports what is on screen (the
visible screen and where its buttons are) and takes screenshots on request; the product holds no
test hook. The walk: scan a video of an EVN bill, the inspector, Back and Cancel from every step, an
amount and a note typed on the keyboard, the PIN, the receipt and the signed request as a QR, history,
settings, English + dark through the Settings screen, a dynamic QR over the limit picked through
Qt's (Vietnamese) file dialog and refused on the payee screen before any PIN; then the kiosk on a
1920x1080 screen: the phone scaled up and centred, the idle warning and its reset.
The signed request that comes out is verified with the payer's public key. With
PAYER_APP_UPDATE_SCREENSHOTS=1 (`make screenshots`) the pictures are copied to docs/screenshots/.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import segno

from payer_app.core.builder import vietqr_payload
from payer_app.payments.keystore import KeyStore
from payer_app.core.signing import verify_request
from payer_app.gui.settings import Settings, save_settings

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = ROOT / "tests" / "e2e" / "launch_window.py"
SCREENSHOTS = ROOT / "docs" / "screenshots"
EXPECTED_SHOTS = ["01-home", "02-scan", "03-payee", "04-inspector", "05-amount", "06-review", "07-pin",
                  "08-result", "09-request-qr", "10-history", "11-settings", "12-home-en-dark", "13-payee-refused",
                  "14-file-dialog-vi"]
KIOSK_SHOTS = ["15-kiosk-1920x1080", "16-kiosk-idle-warning"]
PENDING_SHOTS = ["17-enrol-key", "18-result-pending", "19-history-retried"]
ENROL_CODE = "ENROL-E2E-5831"
TOOLS = ("Xvfb", "openbox", "xdotool")

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.slow,
    # Under CI the set-up must have installed the tools: a missing one fails there instead of skipping.
    pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS) and os.environ.get("CI") != "true",
                       reason="Xvfb, openbox or xdotool is not installed (scripts/ensure_system_packages.sh)"),
]


def bill_video(path: Path, frames: int = 60, fps: float = 15.0) -> str:
    """A 1280x720 video of a printed EVN bill on a desk, drifting a little; returns its QR payload."""
    from payer_app.scan.demo_camera import _find_qr, demo_bill

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
        sx0, sy0 = max(0, -x), max(0, -y)
        dx0, dy0 = max(0, x), max(0, y)
        w = min(bw - sx0, 1280 - dx0)
        h = min(bh - sy0, 720 - dy0)
        desk[dy0:dy0 + h, dx0:dx0 + w] = bill[sy0:sy0 + h, sx0:sx0 + w]
        noise = rng.normal(0, 4, desk.shape)
        writer.write(np.clip(desk + noise, 0, 255).astype(np.uint8))
    writer.release()
    return payload


def qr_png(path: Path, payload: str) -> Path:
    segno.make_qr(payload, error="m").save(str(path), scale=6, border=4)
    return path


def free_display() -> int:
    for n in range(140, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


@pytest.fixture
def x_server():
    """``start(width, height)``: Xvfb with openbox on it; returns the DISPLAY."""
    procs = []

    def start(width: int, height: int) -> str:
        number = free_display()
        xvfb = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(xvfb)
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if xvfb.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Xvfb :{number} did not start")
            time.sleep(0.05)
        display = f":{number}"
        wm = subprocess.Popen(["openbox", "--sm-disable"], env=dict(os.environ, DISPLAY=display),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(wm)
        time.sleep(0.8)  # openbox takes the screen before the window maps
        return display

    yield start
    for proc in reversed(procs):
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


class RunningWindow:
    """The launched window: its reports (JSON lines) and real input through xdotool."""

    def __init__(self, display: str, home: Path, shots: Path, *args: str):
        self.env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", PAYER_APP_HOME=str(home))
        self.env.pop("WAYLAND_DISPLAY", None)
        self.proc = subprocess.Popen([sys.executable, str(LAUNCHER), "--shots", str(shots), *args],
                                     env=self.env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, encoding="utf-8")
        self.events: queue.Queue = queue.Queue()
        self.screen: dict = {}
        self.log: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                continue

    def wait(self, what: str, timeout: float = 30.0, **match) -> dict:
        """The next report that has ``what`` (and the ``match`` values); the newest screen is kept."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                stderr = self.proc.stderr.read() if self.proc.poll() is not None else ""
                raise AssertionError(f"waited for {what} {match}; seen {self.log[-6:]} {stderr[-1500:]}")
            try:
                event = self.events.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            self.log.append({k: v for k, v in event.items() if k != "jws"})
            if "screen" in event:
                self.screen = event
            if what in event and all(event.get(k) == v for k, v in match.items()):
                return event

    def wait_screen(self, name: str, timeout: float = 30.0) -> dict:
        return self.wait("screen", timeout, screen=name)

    def send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def shot(self, name: str) -> None:
        time.sleep(0.3)  # let the screen paint
        self.send(f"shot {name}")
        self.wait("shot", 10, shot=name)

    def where(self) -> dict:
        self.send("where")
        return self.wait("screen", 10)

    # real input -----------------------------------------------------------------------------
    def xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env=self.env, check=True, timeout=20)

    def click(self, target: str) -> None:
        targets = self.screen.get("targets", {})
        assert target in targets, f"{target} is not on the {self.screen.get('screen')} screen: {sorted(targets)}"
        x, y = targets[target]
        self.xdotool("mousemove", "--sync", str(x), str(y), "click", "1")

    def key(self, *names: str) -> None:
        self.xdotool("key", "--delay", "60", *names)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "40", text)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()


def scan_to_payee(app: RunningWindow) -> None:
    app.click("scan")
    app.wait_screen("payee", 40)


def test_real_window_real_input_pay_back_cancel_and_refuse_over_the_limit(x_server, tmp_path, payer_home):
    display = x_server(1280, 1024)
    video = tmp_path / "bill-scan.avi"
    payload = bill_video(video)
    over_limit = qr_png(tmp_path / "over-limit.png", vietqr_payload(
        "970436", "0011001234567", amount=600_000_000, merchant_name="CONG TY AN PHAT", purpose="Hop dong 7"))
    shots = tmp_path / "shots"
    app = RunningWindow(display, payer_home, shots, "--camera", str(video), "--lang", "vi")
    try:
        app.wait_screen("home")
        app.shot("01-home")

        # Scan -> Payee; the inspector and back; Back from the payee does not bounce back to it
        scan_to_payee(app)
        app.shot("03-payee")
        app.click("inspector")
        app.wait_screen("inspector")
        app.shot("04-inspector")
        app.key("Escape")
        app.wait_screen("payee")
        app.click("back")
        app.wait_screen("scan")
        time.sleep(1.5)
        assert app.where()["screen"] == "scan"  # the code just accepted is not accepted again at once
        app.click("cancel")
        app.wait_screen("home")

        # Cancel (Hủy) from every step of a payment returns Home
        for step in ("payee", "amount", "review", "pin"):
            scan_to_payee(app)
            if step != "payee":
                app.key("Return")  # Enter = Continue
                app.wait_screen("amount")
            if step in ("review", "pin"):
                app.type("50000")
                app.key("Return")
                app.wait_screen("review")
            if step == "pin":
                app.key("Return")  # Enter = Confirm
                app.wait_screen("pin")
            app.click("cancel")
            app.wait_screen("home")

        # the payment, with Back (Escape and ‹) from every step on the way
        scan_to_payee(app)
        app.key("Return")
        app.wait_screen("amount")
        app.type("1234567")
        app.key("Tab")
        app.type("Tien dien thang 11")
        app.shot("05-amount")
        app.key("Escape")
        app.wait_screen("payee")
        app.key("Return")
        app.wait_screen("amount")
        app.key("Return")
        app.wait_screen("review")
        app.shot("06-review")
        app.click("back")
        app.wait_screen("amount")
        app.key("Return")
        app.wait_screen("review")
        app.key("Return")
        app.wait_screen("pin")
        app.type("123")
        app.shot("07-pin")
        app.key("Escape")
        app.wait_screen("review")
        app.key("Return")
        app.wait_screen("pin")
        app.type("123456")
        paid = app.wait("payment", 60)
        assert paid["payment"] == "approved", paid
        app.wait_screen("result")
        app.shot("08-result")
        request = verify_request(paid["jws"], KeyStore(payer_home))
        assert request.ok, request.message
        assert request.request["qr"]["payload"] == payload
        assert request.request["amount"] == {"value": "1234567", "currency": "VND"}
        assert request.request["note"] == "Tien dien thang 11"

        app.click("show_qr")
        time.sleep(0.8)
        app.shot("09-request-qr")
        app.key("Escape")  # closes the QR dialog
        time.sleep(0.5)
        app.where()
        app.click("new")
        app.wait_screen("home")
        app.click("history")
        history = app.wait_screen("history")
        assert history["history"] == ["approved"]
        app.shot("10-history")
        app.key("Escape")
        app.wait_screen("home")
        app.click("settings")
        app.wait_screen("settings")
        app.shot("11-settings")
        app.key("Escape")
        app.wait_screen("home")

        # a dynamic QR over the limit, picked through Qt's file dialog (in Vietnamese), is refused
        # on the payee screen: Enter there scans again, no way leads to the amount or the PIN
        app.click("pick")
        time.sleep(1.5)
        app.shot("14-file-dialog-vi")
        app.type(str(over_limit))
        app.key("Return")
        refused = app.wait_screen("payee", 30)
        assert refused["payee_error"] == "Số tiền 600.000.000 ₫ vượt hạn mức mỗi giao dịch 499.999.999 ₫"
        assert "continue" not in refused["targets"] and "rescan" in refused["targets"]
        app.shot("13-payee-refused")
        app.click("back")  # Back after a picked image: where it was picked
        app.wait_screen("home")

        # English and dark, chosen with the keyboard on the Settings screen
        app.click("settings")
        app.wait_screen("settings")
        app.key("Down", "Tab", "Down", "Return")
        app.wait_screen("home")
        app.shot("12-home-en-dark")
        saved = json.loads((payer_home / "settings.json").read_text(encoding="utf-8"))
        assert (saved["language"], saved["theme"], saved["camera"]) == ("en", "dark", "demo")
    finally:
        app.close()

    for name in EXPECTED_SHOTS:
        check_shot(shots / f"{name}.png")
    publish(shots, EXPECTED_SHOTS)


def test_kiosk_on_a_big_screen_warns_before_the_idle_reset(x_server, tmp_path, payer_home):
    display = x_server(1920, 1080)
    save_settings(Settings(kiosk_idle_seconds=5, kiosk_warning_seconds=3), payer_home / "settings.json")
    shots = tmp_path / "shots"
    app = RunningWindow(display, payer_home, shots, "--camera", "demo", "--lang", "vi", "--kiosk")
    try:
        home = app.wait_screen("home")
        time.sleep(1.0)
        app.where()
        x, _ = app.screen["targets"]["scan"]
        assert abs(x - 960) < 20  # the phone is centred on the big screen
        assert "pick" not in app.screen["targets"]  # no file dialogs at a booth
        assert home is not None
        app.shot("15-kiosk-1920x1080")
        scan_to_payee(app)
        warning = app.wait("idle", 15, idle="warning")
        assert warning["countdown"] == "Tự động về trang chủ sau 3 giây"
        app.shot("16-kiosk-idle-warning")
        app.wait_screen("home", 8)
        # Settings need the operator PIN
        app.key("ctrl+alt+s")
        app.wait_screen("pin")
        app.type("246810")
        app.wait_screen("settings")
    finally:
        app.close()
    for name in KIOSK_SHOTS:
        check_shot(shots / f"{name}.png")
    image = cv2.imread(str(shots / "15-kiosk-1920x1080.png"))
    assert image.shape[:2] == (1080, 1920)
    publish(shots, KIOSK_SHOTS)


def test_a_pending_payment_is_retried_from_history(x_server, tmp_path, payer_home):
    """The key enrolled from Settings with the acquirer's code (typed), the acquirer goes away, the
    payment stays pending; the acquirer comes back and History re-sends it there: approved."""
    from payer_app.payments.acquirer import AcquirerServer, create_app

    display = x_server(1280, 1024)
    ledger = tmp_path / "acquirer.sqlite3"
    server = AcquirerServer(create_app(ledger, enrol_code=ENROL_CODE)).start()
    port = server.port
    save_settings(Settings(acquirer_url=server.url), payer_home / "settings.json")
    shots = tmp_path / "shots"
    app = RunningWindow(display, payer_home, shots, "--camera", "demo", "--lang", "vi")
    try:
        app.wait_screen("home")
        app.click("settings")
        app.wait_screen("settings")
        app.click("enrol_code")
        app.type(ENROL_CODE)
        app.where()
        app.click("enrol")
        enrolled = app.wait("enrol", 20)
        assert "đã được đăng ký" in enrolled["enrol"], enrolled
        app.shot("17-enrol-key")
        app.key("Escape")
        app.wait_screen("home")
        server.stop()  # the acquirer goes away

        scan_to_payee(app)
        app.key("Return")
        app.wait_screen("amount")
        app.type("275000")
        app.key("Return")
        app.wait_screen("review")
        app.key("Return")
        app.wait_screen("pin")
        app.type("123456")
        paid = app.wait("payment", 60)
        assert paid["payment"] == "pending", paid
        app.wait_screen("result")
        app.shot("18-result-pending")
        app.click("new")
        app.wait_screen("home")

        server = AcquirerServer(create_app(ledger, enrol_code=ENROL_CODE), port=port).start()  # back
        app.click("history")
        listed = app.wait_screen("history")
        assert listed["history"] == ["pending"] and "retry" in listed["targets"]
        app.click("retry")
        retried = app.wait("retried", 30)
        assert retried["history"] == ["approved"], retried
        assert retried["retried"] == "Đã gửi lại 1 giao dịch: 1 thành công."
        app.shot("19-history-retried")
    finally:
        app.close()
        server.stop()
    verification = verify_request(paid["jws"], KeyStore(payer_home))
    assert verification.ok, verification.message
    for name in PENDING_SHOTS:
        check_shot(shots / f"{name}.png")
    publish(shots, PENDING_SHOTS)


def check_shot(path: Path) -> None:
    assert path.exists(), f"no screenshot {path.name}"
    image = cv2.imread(str(path))
    assert image is not None and image.shape[0] >= 300 and image.std() > 10, f"{path.name} looks blank"


def publish(shots: Path, names: list[str]) -> None:
    if os.environ.get("PAYER_APP_UPDATE_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(shots / f"{name}.png", SCREENSHOTS / f"{name}.png")
