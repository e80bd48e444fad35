"""The real payer window on an X screen, driven with real input (xdotool) and awaited on its events.

``RunningWindow`` starts ``payer-app gui --verbose`` through tests/e2e/launch_window.py and reads
two streams, each by a thread into a queue:

- stderr: the product's own event lines (``payer_app.gui.app: window shown after <N> ms``,
  ``payer_app.gui.navigator: screen <name>``); ``wait_for_screen(name)`` waits for the next one;
- stdout: the launcher's JSON reports (button positions, payments, dialogs focused, pictures taken).

Every wait is on a line arriving (``queue.get(timeout=...)``, and a timer thread's deadline for the
whole wait); the timeouts are generous and only fail a hung window. Nothing here sleeps.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
from itertools import count
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "tests" / "e2e" / "launch_window.py"
SCREENSHOTS = ROOT / "docs" / "screenshots"
UPDATE_SCREENSHOTS = "PAYER_APP_UPDATE_SCREENSHOTS"  # `make screenshots` sets it to 1

WINDOW_SHOWN = re.compile(r"payer_app\.gui\.app: window shown after (\d+) ms")
SCREEN_ENTERED = "payer_app.gui.navigator: screen {name}"  # logged each time a screen is entered
# Two copies of the suite on two cores: a step may take many seconds; only a hung one fails.
STEP_TIMEOUT_S = 60.0
PAY_TIMEOUT_S = 90.0


class Deadline:
    """Set once ``seconds`` have passed (a timer thread): a wait that reads line after line ends
    there even when unrelated lines keep coming."""

    def __init__(self, seconds: float, what: str):
        self.seconds, self.what = seconds, what
        self.passed = threading.Event()
        self._timer = threading.Timer(seconds, self.passed.set)
        self._timer.daemon = True
        self._timer.start()

    def check(self, stream: LineStream) -> None:
        if self.passed.is_set():
            raise AssertionError(f"{self.what}: not within {self.seconds:.0f} s; last lines: {stream.tail()}")

    def cancel(self) -> None:
        self._timer.cancel()


class LineStream:
    """Lines of one pipe, read by a thread into a queue; everything read is kept for messages."""

    END = None

    def __init__(self, pipe, name: str):
        self.name = name
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(pipe,), daemon=True, name=f"read-{name}").start()

    def _read(self, pipe) -> None:
        for line in pipe:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(self.END)

    def next_line(self, timeout: float, waiting_for: str) -> str:
        """The next line; AssertionError when none comes within ``timeout`` or the pipe ends."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.name}: no line within {timeout:.0f} s while waiting for "
                                 f"{waiting_for}; last lines: {self.tail()}") from None
        if line is self.END:
            self.lines.put(self.END)  # every later wait ends at once too
            raise AssertionError(f"{self.name} ended while waiting for {waiting_for}; last lines: {self.tail()}")
        self.seen.append(line)
        return line

    def tail(self, lines: int = 12) -> str:
        return "\n  ".join([""] + [line[:300] for line in self.seen[-lines:]])


class RunningWindow:
    """The window (``payer-app gui --verbose`` via the launcher), its events, and real input."""

    def __init__(self, display: str, home: Path, shots: Path, *gui_args: str, command: str = "gui"):
        self.env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", PAYER_APP_HOME=str(home))
        self.env.pop("WAYLAND_DISPLAY", None)
        self.shots = shots
        self.proc = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "--shots", str(shots), "--", command, "--verbose", *gui_args],
            env=self.env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8")
        self.log = LineStream(self.proc.stderr, "the window's stderr")
        self.reports = LineStream(self.proc.stdout, "the launcher's reports")
        self.pending: list[dict] = []  # reports read while waiting for another one
        self.screen: dict = {}
        self._requests = count(1)
        self.window_ids: list[str] = []

    # waiting on events ------------------------------------------------------------------------
    def wait_shown(self, timeout: float = STEP_TIMEOUT_S) -> dict:
        """The first paint logged, then the X window mapped (xdotool search --sync, its ids kept in
        ``window_ids``); returns where the first screen's buttons are."""
        self.wait_log(WINDOW_SHOWN, timeout, "window shown")
        found = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--pid", str(self.proc.pid)],
                               env=self.env, capture_output=True, text=True, timeout=timeout)
        self.window_ids = found.stdout.split()
        assert self.window_ids, f"the payer window is not mapped: {found.stderr}"
        return self.where()

    def wait_log(self, pattern: re.Pattern, timeout: float, what: str) -> re.Match:
        deadline = Deadline(timeout, f"waiting for {what}")
        try:
            while True:
                deadline.check(self.log)
                match = pattern.fullmatch(self.log.next_line(timeout, what))
                if match:
                    return match
        finally:
            deadline.cancel()

    def wait_for_screen(self, name: str, timeout: float = STEP_TIMEOUT_S) -> dict:
        """Wait for the log line of ``name`` being entered (lines of other screens pass by); then
        where its buttons are."""
        self.wait_log(re.compile(re.escape(SCREEN_ENTERED.format(name=name))), timeout, f"screen {name}")
        return self.where()

    def wait(self, what: str, timeout: float = STEP_TIMEOUT_S, **match) -> dict:
        """The next report that has ``what`` (and the ``match`` values); others are kept for later."""
        for i, report in enumerate(self.pending):
            if what in report and all(report.get(k) == v for k, v in match.items()):
                return self.pending.pop(i)
        deadline = Deadline(timeout, f"waiting for the report {what} {match}")
        try:
            while True:
                deadline.check(self.reports)
                try:
                    report = json.loads(self.reports.next_line(timeout, f"{what} {match}"))
                except ValueError:
                    continue
                if what in report and all(report.get(k) == v for k, v in match.items()):
                    return report
                self.pending.append(report)
        finally:
            deadline.cancel()

    def where(self) -> dict:
        """Ask the launcher for the visible screen and its buttons (kept for ``click``)."""
        request = str(next(self._requests))
        self.send(f"where {request}")
        self.screen = self.wait("screen", where=request)
        return self.screen

    def forget(self, what: str) -> None:
        """Reports of this kind read so far are old news: the next ``wait(what)`` is for a new one.
        (Call it right after a ``where()``: every report sent before its answer has been read.)"""
        self.pending = [report for report in self.pending if what not in report]

    # commands ---------------------------------------------------------------------------------
    def send(self, command: str) -> None:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def shot(self, name: str) -> Path:
        """A picture of the window (or of its open dialog), taken by the window itself."""
        self.send(f"shot {name}")
        self.wait("shot", shot=name)
        return self.shots / f"{name}.png"

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()

    # real input -------------------------------------------------------------------------------
    def xdotool(self, *args: str) -> str:
        done = subprocess.run(["xdotool", *args], env=self.env, check=True, timeout=STEP_TIMEOUT_S,
                              capture_output=True, text=True)
        return done.stdout

    def click(self, target: str) -> None:
        targets = self.screen.get("targets", {})
        assert target in targets, f"{target} is not on the {self.screen.get('screen')} screen: {sorted(targets)}"
        self.click_at(*targets[target])

    def click_at(self, x: int, y: int, *click: str) -> None:
        """The pointer moved to ``x``, ``y`` (awaited: ``mousemove --sync``) and a click there; ``click``
        options such as ``--repeat 2 --delay 60`` make it a double click. ``mousemove --sync`` waits for
        the pointer to leave where it is, so to the spot it is already on it would wait out xdotool's own
        15 s limit for nothing (a button that came where the last click was): then only the click."""
        here = dict(line.split("=", 1) for line in self.xdotool("getmouselocation", "--shell").split())
        move = [] if (int(here["X"]), int(here["Y"])) == (x, y) else ["mousemove", "--sync", str(x), str(y)]
        self.xdotool(*move, "click", *click, "1")

    def key(self, *names: str) -> None:
        self.xdotool("key", "--delay", "60", *names)

    def type(self, text: str) -> None:
        self.xdotool("type", "--delay", "40", text)


# walks shared by the tests --------------------------------------------------------------------
def scan_to_payee(app: RunningWindow) -> dict:
    """Home -> Scan: the camera finds the bill and the payee screen shows it."""
    app.click("scan")
    return app.wait_for_screen("payee", PAY_TIMEOUT_S)


def pay_from_payee(app: RunningWindow, amount: str, pin: str = "123456") -> dict:
    """Payee -> Amount (``amount`` typed over whatever is offered) -> Review -> PIN -> the result;
    with Enter as Continue / Confirm, as a person at the keyboard does. Returns the payment report."""
    app.key("Return")
    app.wait_for_screen("amount")
    app.forget("funds")
    app.key("ctrl+a")  # the amount due may be offered: what is typed replaces it
    app.type(amount)
    app.key("Return")
    if "confirm" not in app.wait_for_screen("review").get("targets", {}):
        app.wait("funds")  # with an HTTP acquirer Confirm is on once its balance answer is in; a person waits
    app.key("Return")
    app.wait_for_screen("pin")
    app.type(pin)
    paid = app.wait("payment", PAY_TIMEOUT_S)
    app.wait_for_screen("result")
    return paid


# screenshots -------------------------------------------------------------------------------------
def check_shot(path: Path) -> None:
    assert path.exists(), f"no screenshot {path.name}"
    image = cv2.imread(str(path))
    assert image is not None and image.shape[0] >= 300 and image.std() > 10, f"{path.name} looks blank"


def grab_screen(display: str, path: Path):
    """The whole X screen, as the audience sees it (Pillow reads the X server itself), saved to
    ``path``; returns it as OpenCV reads it."""
    from PIL import ImageGrab

    ImageGrab.grab(xdisplay=display).convert("RGB").save(str(path))
    image = cv2.imread(str(path))
    assert image is not None, f"could not read back {path}"
    return image


def publish(shots: Path, names: list[str]) -> None:
    """Copy the pictures to docs/screenshots/ when `make screenshots` asks for it."""
    if os.environ.get(UPDATE_SCREENSHOTS) != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(shots / f"{name}.png", SCREENSHOTS / f"{name}.png")
