"""A private X screen for the tests that need a real one: Xvfb, and openbox managing it.

Both are awaited on their own signals, never on the clock: Xvfb writes its display number to the
pipe given with ``-displayfd`` once clients can connect (it also picks a free number itself, so two
test runs at once never collide); openbox runs its ``--startup`` command once it manages the
screen, and that command writes one line to a FIFO the test waits on.

Between the two, one key is pressed through XTEST (``xdotool key shift``, to an empty screen). The X
server's keyboard takes the keymap of the device whose key came last: the first XTEST key switches it
from Xvfb's own keyboard to XTEST's and sends every client an XKB new-keyboard event. openbox answers
that by dropping its key grabs and taking them again, one at a time; on a busy machine the F4 of an
Alt+F4 sent as a test's first key came in between, went to the window instead of openbox, and no close
was ever asked (tests/test_x_screen_keyboard.py). Switched before openbox starts, no client is told.
Xvfb runs with ``-noreset``: otherwise it resets when its last client leaves (xdotool, before openbox
connects), and the keyboard is Xvfb's own again.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

# A machine with two cores running two copies of the suite: generous, only a hung start fails it.
START_TIMEOUT_S = 60.0
TOOLS = ("Xvfb", "openbox", "xdotool")


def missing_tools(tools: tuple[str, ...] = TOOLS) -> list[str]:
    return [tool for tool in tools if shutil.which(tool) is None]


def read_line_from(fd: int, timeout: float, what: str) -> str:
    """One whole line written to ``fd`` (a pipe or FIFO), waited for with select, each part within
    ``timeout``. The whole line is read: Xvfb writes the number and its newline separately, and
    a writer whose reader has gone is killed by SIGPIPE."""
    data = b""
    while not data.endswith(b"\n"):
        readable, _, _ = select.select([fd], [], [], timeout)
        if not readable:
            raise TimeoutError(f"{what}: no line within {timeout:.0f} s (got {data!r})")
        part = os.read(fd, 256)
        if not part:
            raise RuntimeError(f"{what}: closed before it wrote a line (the program exited; got {data!r})")
        data += part
    return data.decode("ascii", "replace").strip()


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_xvfb(width: int, height: int, timeout: float = START_TIMEOUT_S,
               number: int | None = None) -> tuple[subprocess.Popen, str]:
    """Xvfb on display ``number`` (default: a free one of its own choosing); returns
    (process, DISPLAY) once it accepts clients."""
    read_fd, write_fd = os.pipe()
    chosen = [f":{number}"] if number is not None else []
    try:
        proc = subprocess.Popen(
            ["Xvfb", *chosen, "-displayfd", str(write_fd), "-noreset", "-screen", "0", f"{width}x{height}x24",
             "-nolisten", "tcp"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)  # only Xvfb holds the write end now: EOF if it dies before writing
        try:
            number = read_line_from(read_fd, timeout, "Xvfb -displayfd")
        except (TimeoutError, RuntimeError):
            stop_process(proc)
            raise
    finally:
        os.close(read_fd)
    assert number.isdigit(), f"Xvfb wrote {number!r} as its display number"
    return proc, f":{number}"


def switch_the_keyboard_to_xtest(display: str, timeout: float = START_TIMEOUT_S) -> None:
    """Press and release Shift through XTEST on ``display`` (no window manager yet): the core keyboard
    now has XTEST's keymap, so later xdotool keys tell no client the keymap changed. xdotool ends only
    after the X server has taken its requests (it closes its connection with a round trip)."""
    subprocess.run(["xdotool", "key", "shift"], env=dict(os.environ, DISPLAY=display), check=True,
                   timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_openbox(display: str, timeout: float = START_TIMEOUT_S) -> subprocess.Popen:
    """openbox on ``display``; returns once it has taken the screen (its --startup command ran)."""
    folder = Path(tempfile.mkdtemp(prefix="openbox-ready-"))
    fifo = folder / "ready"
    os.mkfifo(fifo)
    # read-write: the open does not wait for a writer, and select wakes on the line written
    fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    try:
        proc = subprocess.Popen(["openbox", "--sm-disable", "--startup", f"sh -c 'echo ready > {fifo}'"],
                                env=dict(os.environ, DISPLAY=display),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            read_line_from(fd, timeout, "openbox --startup")
        except (TimeoutError, RuntimeError):
            stop_process(proc)
            raise
    finally:
        os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
    return proc


class XSession:
    """Xvfb screens with openbox on them, started by ``start`` and all stopped by ``close``."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def start(self, width: int, height: int) -> str:
        """A ``width`` x ``height`` screen managed by openbox; returns its DISPLAY."""
        try:
            xvfb, display = start_xvfb(width, height)
            self.procs.append(xvfb)
            switch_the_keyboard_to_xtest(display)
            self.procs.append(start_openbox(display))
        except (TimeoutError, RuntimeError, subprocess.SubprocessError) as exc:
            pytest.fail(f"the X screen did not start: {exc}")
        return display

    def close(self) -> None:
        for proc in reversed(self.procs):
            stop_process(proc)
        self.procs.clear()


@pytest.fixture
def x_server():
    """``start(width, height)``: Xvfb with openbox on it; returns the DISPLAY."""
    session = XSession()
    yield session.start
    session.close()
