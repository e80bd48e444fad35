"""End to end: a demo booth on one X screen. The real payer window (left half) and the merchant
display in a real, non-headless Chromium (right half) share one Xvfb screen under openbox; a real
`payer-app acquirer serve` process on 127.0.0.1 sits between them. The payer's key is enrolled with
`payer-app keys enrol`; an EVN bill is scanned and paid through the window with real mouse and keyboard
input (xdotool); the display page shows the payment; one screenshot of the whole X screen shows both.

The screenshot is checked, not just taken: the window's own picture and the browser's own picture are
both found, unhidden, in their halves of the X screen. With PAYER_APP_UPDATE_SCREENSHOTS=1
(`make screenshots`) it is copied to docs/screenshots/booth-side-by-side.png (the README's first picture).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from payer_app.payments.keystore import KeyStore
from payer_app.core.signing import verify_request
from payer_app.gui.settings import Settings, save_settings
from tests.acquirer_helpers import CODE as ENROL_CODE
from tests.test_e2e_xvfb import TOOLS, RunningWindow, check_shot, scan_to_payee, x_server  # noqa: F401
from tests.test_merchant_display import AcquirerProcess, body_data, free_port, payer_cli, text_of, wait_for

webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"
SHOT = "booth-side-by-side"
WIDTH, HEIGHT = 1600, 900
HALF = WIDTH // 2

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.slow,
    # Under CI the set-up must have installed the tools and the browser: a missing one fails there.
    pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS) and os.environ.get("CI") != "true",
                       reason="Xvfb, openbox or xdotool is not installed (scripts/ensure_system_packages.sh)"),
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER) and os.environ.get("CI") != "true",
                       reason="needs Debian's chromium and chromium-driver (scripts/ensure_system_packages.sh)"),
]


def windowed_browser(x: int, y: int, width: int, height: int):
    """A real (not headless) Chromium window on $DISPLAY, placed where asked; loopback only."""
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-position={x},{y}",
                f"--window-size={width},{height}", "--autoplay-policy=no-user-gesture-required",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=http://127.0.0.1:9",
                "--proxy-bypass-list=127.0.0.1", "--disable-background-networking", "--no-first-run",
                "--no-default-browser-check", "--force-device-scale-factor=1", "--lang=vi-VN"):
        options.add_argument(arg)
    options.add_experimental_option("excludeSwitches", ["enable-automation"])  # no "controlled by" bar
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def grab_screen(display: str, path: Path) -> np.ndarray:
    """The whole X screen, as the audience sees it (Pillow reads the X server itself)."""
    from PIL import ImageGrab

    ImageGrab.grab(xdisplay=display).convert("RGB").save(str(path))
    image = cv2.imread(str(path))
    assert image is not None, f"could not read back {path}"
    return image


def found_at(screen: np.ndarray, part: np.ndarray) -> tuple[float, tuple[int, int]]:
    """How well ``part`` matches somewhere in ``screen`` (1.0 = exactly) and where (x, y)."""
    scores = cv2.matchTemplate(screen, part, cv2.TM_CCOEFF_NORMED)
    _, best, _, where = cv2.minMaxLoc(scores)
    return best, where


def test_booth_payer_window_and_merchant_display_side_by_side(x_server, tmp_path, payer_home, monkeypatch):  # noqa: F811
    display = x_server(WIDTH, HEIGHT)
    acquirer = AcquirerProcess(tmp_path, free_port()).start()
    driver = None
    app = None
    try:
        enrolled = payer_cli(payer_home, "keys", "enrol", "--acquirer", acquirer.url, "--code", ENROL_CODE)
        assert enrolled.returncode == 0, enrolled.stderr
        save_settings(Settings(acquirer_url=acquirer.url), payer_home / "settings.json")

        # the merchant display on the right half of the screen
        monkeypatch.setenv("DISPLAY", display)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        driver = windowed_browser(HALF, 0, WIDTH - HALF, HEIGHT)
        driver.get(f"{acquirer.url}/display")
        assert wait_for(lambda: body_data(driver, "connection") == "live", 15), "the display did not connect"
        assert text_of(driver, "latest-amount") == "—"

        # the payer window on the left half (moved there as a person would drag it)
        shots = tmp_path / "shots"
        app = RunningWindow(display, payer_home, shots, "--camera", "demo", "--lang", "vi")
        app.wait_screen("home")
        ids = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(app.proc.pid)], env=app.env,
                             capture_output=True, text=True, timeout=20).stdout.split()
        assert ids, "the payer window is not mapped"
        for window_id in ids:
            app.xdotool("windowmove", "--sync", window_id, "190", "36")  # below its title bar
        time.sleep(0.5)
        app.where()

        # one EVN bill paid with real input
        scan_to_payee(app)
        app.key("Return")
        app.wait_screen("amount")
        app.key("ctrl+a")  # whatever is in the field (the amount due may be offered) is replaced
        app.type("250000")
        app.key("Return")
        app.wait_screen("review")
        app.key("Return")
        app.wait_screen("pin")
        app.type("123456")
        paid = app.wait("payment", 60)
        assert paid["payment"] == "approved", paid
        app.wait_screen("result")
        verification = verify_request(paid["jws"], KeyStore(payer_home))
        assert verification.ok, verification.message
        assert verification.request["amount"] == {"value": "250000", "currency": "VND"}

        # the display shows it
        assert wait_for(lambda: text_of(driver, "latest-amount") == "250.000", 5), text_of(driver, "latest-amount")
        assert text_of(driver, "total-count") == "1"
        payee = text_of(driver, "latest-payee")
        assert payee.strip(), "no payee on the display"
        time.sleep(0.6)  # the new row's animation settles

        # the window's own picture and the page's own picture, then the whole screen
        app.shot("window")
        page = tmp_path / "page.png"
        assert driver.save_screenshot(str(page))
        screen = grab_screen(display, tmp_path / f"{SHOT}.png")
    finally:
        if app is not None:
            app.close()
        if driver is not None:
            driver.quit()
        acquirer.stop()

    assert screen.shape[:2] == (HEIGHT, WIDTH)
    check_shot(tmp_path / f"{SHOT}.png")
    window = cv2.imread(str(shots / "window.png"))
    score, (x, _) = found_at(screen, window)
    assert score > 0.95 and x + window.shape[1] <= HALF + 10, f"payer window not seen whole on the left ({score:.2f}, x={x})"
    viewport = cv2.imread(str(page))
    h, w = viewport.shape[:2]
    middle = viewport[h // 8: h // 2, w // 8: w - w // 8]  # the amount and payee, away from scrollbars
    score, (x, _) = found_at(screen, middle)
    assert score > 0.95 and x >= HALF - 10, f"the display's amount not seen on the right ({score:.2f}, x={x})"

    if os.environ.get("PAYER_APP_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_path / f"{SHOT}.png", SCREENSHOTS / f"{SHOT}.png")
