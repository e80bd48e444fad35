"""End to end: `payer-app booth` on a fresh data folder, on one Xvfb screen under openbox. The one
command serves the acquirer, opens the kiosk window (left half) with its key enrolled, and opens the
merchant display in Chromium (right half). A bill is paid with real clicks and keys (xdotool); the
payment is seen on the page in the very Chromium the booth opened (Selenium attaches to it through
its DevTools port, given with --browser-arg); then SIGINT (Ctrl+C) stops the booth, and no process
it started is left (every process carrying this test's data folder in its environment, read from
/proc, is gone). The whole X screen with the payment on both sides is taken before Ctrl+C; with
PAYER_APP_UPDATE_SCREENSHOTS=1 (`make screenshots`) it is copied to docs/screenshots/booth-one-command.png.

The window runs through tests/e2e/launch_window.py, as in the other end-to-end tests (it only
reports where the buttons are); every wait is on a line or a page condition, with generous ceilings.
"""

from __future__ import annotations

import re
import signal

import pytest

from tests.e2e.acquirer import CHROMEDRIVER, free_port, text_of, wait_until, wait_until_still
from tests.e2e.marks import X_SCREEN_AND_CHROMIUM
from tests.e2e.window import (
    PAY_TIMEOUT_S,
    RunningWindow,
    check_shot,
    grab_screen,
    pay_from_payee,
    publish,
    scan_to_payee,
)
from tests.process_lines import processes_of

WIDTH, HEIGHT = 1600, 900
SHOT = "booth-one-command"  # docs/screenshots/booth-one-command.png with PAYER_APP_UPDATE_SCREENSHOTS=1
ENROLLED = re.compile(r"payer_app\.gui\.startup_enrolment: key \S+ enrolled at http://127\.0\.0\.1:\d+")
BROWSER_OPENED = re.compile(r"Merchant display opened in Chromium \(pid (\d+)\), beside the payer window\.")
DISPLAY_URL = re.compile(r"Merchant display: (http://127\.0\.0\.1:\d+/display)")

pytestmark = X_SCREEN_AND_CHROMIUM


def attach_to(port: int):
    """Selenium on the Chromium the booth started (its DevTools port). ChromeDriver itself waits up
    to 60 s for the port to listen, so a browser still starting is waited for, not raced."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.add_experimental_option("debuggerAddress", f"127.0.0.1:{port}")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def line_seen(app: RunningWindow, pattern: re.Pattern, what: str) -> re.Match:
    """A line the booth has said already, or the next one that matches."""
    for line in app.log.seen:
        found = pattern.fullmatch(line)
        if found:
            return found
    return app.wait_log(pattern, PAY_TIMEOUT_S, what)


def test_one_command_booth_pays_shows_and_stops_everything(x_server, tmp_path):
    pytest.importorskip("selenium.webdriver")
    display = x_server(WIDTH, HEIGHT)
    home = tmp_path / "fresh-home"  # not made yet: the booth starts from nothing
    devtools = free_port()
    app = RunningWindow(display, home, tmp_path / "shots", "--port", "0", "--camera", "demo", "--lang", "vi",
                        f"--browser-arg=--remote-debugging-port={devtools}", command="booth")
    driver = None
    try:
        app.wait_shown()
        browser_pid = int(line_seen(app, BROWSER_OPENED, "the display opened in Chromium").group(1))
        url = line_seen(app, DISPLAY_URL, "the display's URL").group(1)
        line_seen(app, ENROLLED, "the kiosk's key enrolled")
        started = processes_of(home)
        assert app.proc.pid in started and browser_pid in started, started

        driver = attach_to(devtools)
        assert driver.current_url.startswith(url), driver.current_url
        wait_until(driver, lambda: driver.execute_script("return document.body.dataset.connection") == "live",
                   "the booth's display did not connect")
        window = driver.get_window_rect()
        assert window["x"] >= WIDTH // 2 - 10, window  # beside the payer window, on the right half

        app.where()
        scan_to_payee(app)
        paid = pay_from_payee(app, "250000")
        assert paid["payment"] == "approved", paid
        wait_until(driver, lambda: text_of(driver, "latest-amount") == "250.000",
                   "the booth's display does not show the payment")
        assert text_of(driver, "total-count") == "1"
        wait_until_still(driver)  # the new payment's flash has ended
        grab_screen(display, tmp_path / f"{SHOT}.png")  # the booth as the operator sees it

        app.proc.send_signal(signal.SIGINT)  # Ctrl+C
        assert app.proc.wait(PAY_TIMEOUT_S) == 130
    finally:
        if driver is not None:
            driver.service.stop()  # chromedriver only: the browser is the booth's to stop
        if app.proc.poll() is None:
            app.proc.kill()
            app.proc.wait()
    said = everything_said(app)
    assert "Booth stopped: window, display browser and acquirer." in said
    assert re.search(r"Z  250\.000 ₫  to .+  approved \(201\)", said), said[-2000:]  # the acquirer's console
    left = processes_of(home)
    assert not left, f"the booth left processes behind: {left}"
    check_shot(tmp_path / f"{SHOT}.png")
    publish(tmp_path, [SHOT])


def everything_said(app: RunningWindow) -> str:
    """Every line the booth wrote on standard error, up to its end."""
    while True:
        try:
            app.log.next_line(PAY_TIMEOUT_S, "the end of the booth's standard error")
        except AssertionError:
            return "\n".join(app.log.seen)
