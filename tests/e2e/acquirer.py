"""A real acquirer process, real payer processes, and the merchant display in a real Chromium.

``AcquirerProcess``: ``payer-app acquirer serve`` on a loopback port with its ledger in a test folder.
``payer_cli``: ``payer-app ...`` as a process with its own data folder. ``make_browser``: Debian's
Chromium through chromedriver (Selenium), headless or as a real window placed on $DISPLAY; it
resolves no name and reaches nothing but 127.0.0.1. The page is read with ``text_of`` /
``body_data`` and awaited with ``wait_until`` (Selenium's WebDriverWait on the page's condition,
with a generous timeout that only fails a page that never gets there).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from payer_app.payments.acquirer_client import read_until_serving
from tests.acquirer_helpers import CODE as ENROL_CODE
from tests.acquirer_helpers import account_code, forget_ledger, register_ledger, served_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# Two copies of the suite on two cores: the page may take seconds; only a page that never gets there fails.
PAGE_TIMEOUT_S = 30.0
CLI_TIMEOUT_S = 120.0
# How often a wait asks the page again: each ask is a script run through chromedriver in the browser
# (CPU in three processes), and a page condition is awaited for the event it follows, not timed.
POLL_S = 0.2


# --- a real acquirer process and real payer processes ------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AcquirerProcess:
    """`payer-app acquirer serve` on a loopback port with its ledger in ``folder``. The first start
    binds port 0 (the system picks a free one, ``port`` and ``url`` are then read from the start lines);
    a restart binds the same port again."""

    def __init__(self, folder: Path, port: int = 0):
        self.folder, self.port = folder, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.log = ""

    def start(self) -> AcquirerProcess:
        env = dict(os.environ, PAYER_APP_HOME=str(self.folder / "acquirer-home"))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "payer_app", "acquirer", "serve", "--port", str(self.port),
             "--ledger", str(self.folder / "ledger.sqlite3"), "--enrol-code", ENROL_CODE],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        said = read_until_serving(self.proc)
        self.log += "".join(said)
        self.port = served_port(said)
        self.url = f"http://127.0.0.1:{self.port}"
        register_ledger(self.url, self.folder / "ledger.sqlite3")  # per-account codes are issued there
        return self

    def stop(self) -> None:
        forget_ledger(self.url)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr and not self.proc.stderr.closed:  # stop() may come twice
            self.log += self.proc.stderr.read()
            self.proc.stderr.close()


def payer_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PAYER_APP_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "payer_app", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=CLI_TIMEOUT_S)


def enrol_payer(home: Path, url: str) -> None:
    """`payer-app keys enrol` with a one-time code the operator issued for the demo payer's account (the
    booth's shared code binds no key to a named account)."""
    enrolled = payer_cli(home, "keys", "enrol", "--acquirer", url, "--code", account_code(url))
    assert enrolled.returncode == 0, enrolled.stderr


# --- the browser -------------------------------------------------------------------------------
LOOPBACK_ONLY = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=http://127.0.0.1:9",
                 "--proxy-bypass-list=127.0.0.1", "--disable-background-networking")


def make_browser(width: int = 1366, height: int = 900, position: tuple[int, int] | None = None):
    """Chromium at ``width`` x ``height``: headless, or a real window at ``position`` on $DISPLAY."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    placed = [f"--window-position={position[0]},{position[1]}", "--no-default-browser-check",
              "--force-device-scale-factor=1"] if position else ["--headless=new"]
    for arg in ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                "--autoplay-policy=no-user-gesture-required", "--no-first-run", "--lang=vi-VN",
                *LOOPBACK_ONLY, *placed):
        options.add_argument(arg)
    if position:
        options.add_experimental_option("excludeSwitches", ["enable-automation"])  # no "controlled by" bar
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def text_of(driver, element_id: str) -> str:
    return driver.execute_script(f"return document.getElementById('{element_id}').textContent")


def body_data(driver, name: str) -> str | None:
    return driver.execute_script(f"return document.body.dataset['{name}'] || null")


def wait_until(driver, condition, message: str, timeout: float = PAGE_TIMEOUT_S):
    """The page's ``condition()`` once it holds (WebDriverWait); its last value in the failure."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=POLL_S).until(lambda _: condition())
    except TimeoutException:
        raise AssertionError(f"{message} (within {timeout:.0f} s)") from None


def open_display(driver, url: str, query: str = "") -> None:
    """The merchant display page, once its event stream is live."""
    driver.get(f"{url}/display{query}")
    wait_until(driver, lambda: body_data(driver, "connection") == "live", "the display did not connect")


def wait_until_still(driver) -> None:
    """Until the page's animations have ended and the next frame has been drawn."""
    wait_until(driver, lambda: driver.execute_script(
        "return document.getAnimations().every(a => a.playState !== 'running')"), "the page kept moving")
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => requestAnimationFrame(() => done(true)));")
