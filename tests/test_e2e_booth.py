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
from pathlib import Path

import cv2
import numpy as np
import pytest

from payer_app.core.signing import verify_request
from payer_app.gui.settings import Settings, save_settings
from payer_app.payments.keystore import KeyStore
from tests.e2e.acquirer import (
    AcquirerProcess,
    body_data,
    enrol_payer,
    make_browser,
    text_of,
    wait_until,
    wait_until_still,
)
from tests.e2e.marks import X_SCREEN_AND_CHROMIUM
from tests.e2e.window import (
    SCREENSHOTS,
    UPDATE_SCREENSHOTS,
    RunningWindow,
    check_shot,
    grab_screen,
    pay_from_payee,
    scan_to_payee,
)

pytest.importorskip("selenium.webdriver")
SHOT = "booth-side-by-side"
WIDTH, HEIGHT = 1600, 900
HALF = WIDTH // 2

pytestmark = X_SCREEN_AND_CHROMIUM


def found_at(screen: np.ndarray, part: np.ndarray) -> tuple[float, tuple[int, int]]:
    """How well ``part`` matches somewhere in ``screen`` (1.0 = exactly) and where (x, y)."""
    scores = cv2.matchTemplate(screen, part, cv2.TM_CCOEFF_NORMED)
    _, best, _, where = cv2.minMaxLoc(scores)
    return best, where


def display_on_the_right(display: str, url: str, monkeypatch):
    """The merchant display in a real Chromium window on the right half of the X screen."""
    monkeypatch.setenv("DISPLAY", display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    driver = make_browser(WIDTH - HALF, HEIGHT, position=(HALF, 0))
    driver.get(f"{url}/display")
    wait_until(driver, lambda: body_data(driver, "connection") == "live", "the display did not connect")
    assert text_of(driver, "latest-amount") == "—"
    return driver


def window_on_the_left(app: RunningWindow) -> None:
    """The payer window moved to the left half, as a person would drag it (below its title bar)."""
    app.wait_shown()
    for window_id in app.window_ids:
        app.xdotool("windowmove", "--sync", window_id, "190", "36")
    app.where()  # the buttons where the window is now


def pay_one_bill(app: RunningWindow, payer_home: Path) -> None:
    """One EVN bill paid with real input; the signed request verifies with the payer's key."""
    scan_to_payee(app)
    paid = pay_from_payee(app, "250000")
    assert paid["payment"] == "approved", paid
    verification = verify_request(paid["jws"], KeyStore(payer_home))
    assert verification.ok, verification.message
    assert verification.request.amount == 250_000 and verification.request.currency == "VND"


def display_shows_it(driver) -> None:
    wait_until(driver, lambda: text_of(driver, "latest-amount") == "250.000",
               f"the display shows {text_of(driver, 'latest-amount')!r}, not the payment")
    assert text_of(driver, "total-count") == "1"
    assert text_of(driver, "latest-payee").strip(), "no payee on the display"
    wait_until_still(driver)  # the new payment's flash has ended


def check_both_seen(screen: np.ndarray, window: np.ndarray, page: np.ndarray) -> None:
    """The window's own picture whole on the left, the page's amount and payee on the right."""
    assert screen.shape[:2] == (HEIGHT, WIDTH)
    score, (x, _) = found_at(screen, window)
    assert score > 0.95 and x + window.shape[1] <= HALF + 10, (
        f"payer window not seen whole on the left ({score:.2f}, x={x})"
    )
    h, w = page.shape[:2]
    middle = page[h // 8: h // 2, w // 8: w - w // 8]  # the amount and payee, away from scrollbars
    score, (x, _) = found_at(screen, middle)
    assert score > 0.95 and x >= HALF - 10, f"the display's amount not seen on the right ({score:.2f}, x={x})"


def test_booth_payer_window_and_merchant_display_side_by_side(x_server, tmp_path, payer_home, monkeypatch):  # noqa: F811
    display = x_server(WIDTH, HEIGHT)
    acquirer = AcquirerProcess(tmp_path).start()
    driver = app = None
    try:
        enrol_payer(payer_home, acquirer.url)
        save_settings(Settings(acquirer_url=acquirer.url), payer_home / "settings.json")
        driver = display_on_the_right(display, acquirer.url, monkeypatch)
        app = RunningWindow(display, payer_home, tmp_path / "shots", "--camera", "demo", "--lang", "vi")
        window_on_the_left(app)
        pay_one_bill(app, payer_home)
        display_shows_it(driver)
        window = app.shot("window")  # the window's own picture, then the page's, then the whole screen
        assert driver.save_screenshot(str(tmp_path / "page.png"))
        screen = grab_screen(display, tmp_path / f"{SHOT}.png")
    finally:
        if app is not None:
            app.close()
        if driver is not None:
            driver.quit()
        acquirer.stop()

    check_shot(tmp_path / f"{SHOT}.png")
    check_both_seen(screen, cv2.imread(str(window)), cv2.imread(str(tmp_path / "page.png")))
    if os.environ.get(UPDATE_SCREENSHOTS) == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tmp_path / f"{SHOT}.png", SCREENSHOTS / f"{SHOT}.png")
