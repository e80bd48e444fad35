"""A demo booth from one command (``payer-app booth``): the mock acquirer with its merchant display,
served on a background thread of this process; the merchant display in Debian's Chromium, a child
process; and (started by the command, in this process) the kiosk window that pays that acquirer.

``Booth.start()`` serves the acquirer; ``Booth.open_display(place)`` starts Chromium on the display
page, in its own process group and with a throw-away profile folder; ``Booth.stop()`` ends Chromium's
whole process group (TERM, then KILL for anything left), removes the profile and stops the acquirer
(its display streams are ended first). ``placement(screens)`` decides where the two windows go: the
display full screen on a second screen when there is one, else the payer window on the left half of
the screen and the display on the right half. No Qt here: the screens come from the caller.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

Rect = tuple[int, int, int, int]  # x, y, width, height

CHROMIUM_NAMES = ("chromium", "chromium-browser")
STOP_GRACE_S = 5.0  # how long Chromium gets to end after TERM before what is left is killed


@dataclass(frozen=True)
class Placement:
    """Where the booth's windows go: ``window`` None means the payer window full screen (its own
    screen); ``display`` the merchant display's rectangle, ``display_full_screen`` on a screen of its own."""

    window: Rect | None
    display: Rect
    display_full_screen: bool


def placement(screens: list[Rect]) -> Placement:
    """``screens``: the primary screen first. Two or more: the payer window full screen on the
    first, the display full screen on the second. One: left half and right half."""
    if len(screens) >= 2:
        return Placement(None, screens[1], True)
    x, y, w, h = screens[0]
    half = w // 2
    return Placement((x, y, half, h), (x + half, y, w - half, h), False)


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_command(binary: str, url: str, place: Placement, profile: Path, extra: list[str]) -> list[str]:
    """Chromium showing only ``url``: an app window (no address bar) at the display's place, or in
    kiosk mode (full screen) on a screen of its own; speech allowed without a tap on the page."""
    x, y, w, h = place.display
    command = [binary, f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
               "--password-store=basic", "--noerrdialogs", "--disable-session-crashed-bubble",
               "--autoplay-policy=no-user-gesture-required", f"--window-position={x},{y}",
               f"--window-size={w},{h}"]
    if os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium refuses to start as root otherwise
    command += ["--kiosk", url] if place.display_full_screen else [f"--app={url}"]
    return command[:1] + extra + command[1:]


class Booth:
    """The acquirer served in this process and the display browser it opened; ``stop()`` ends both."""

    def __init__(self, app, host: str, port: int, demo_balance: int | None = None):
        """``demo_balance``: what each visitor's demo account opens with (``booth --demo-balance``; the
        acquirer's default when None)."""
        from payer_app.payments.acquirer.server import AcquirerServer

        self.app = app
        if demo_balance is not None:
            app.state.acquirer.ledger.balances.set_demo_balance(demo_balance)
        self.server = AcquirerServer(app, host=host, port=port)  # binds now: a taken port raises OSError
        self.browser: subprocess.Popen | None = None
        self._profile: Path | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def display_url(self) -> str:
        return f"{self.url}/display"

    @property
    def enrol_code(self) -> str:
        return self.app.state.acquirer.enrol_code

    def start(self) -> Booth:
        self.server.start()
        return self

    def open_display(self, place: Placement, chromium: str, extra: list[str] | None = None) -> int:
        """Start Chromium on the display page; returns its process id."""
        self._profile = Path(tempfile.mkdtemp(prefix="payer-app-display-"))
        command = chromium_command(chromium, self.display_url, place, self._profile, list(extra or []))
        self.browser = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        return self.browser.pid

    def stop(self) -> None:
        """Chromium's process group first (the page then stops asking), then the acquirer."""
        self._stop_browser()
        self.server.stop()  # its open display streams are ended first (acquirer/server.py)

    def _stop_browser(self) -> None:
        browser, self.browser = self.browser, None
        if browser is not None:
            _signal_group(browser.pid, signal.SIGTERM)
            try:
                browser.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                pass
            _signal_group(browser.pid, signal.SIGKILL)  # helpers that outlived the browser
            browser.wait()
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None


def _signal_group(pgid: int, sig: int) -> None:
    """Signal the process group this booth started (Chromium and its helpers), if any is left."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


__all__ = ["Booth", "Placement", "chromium_command", "find_chromium", "placement"]
