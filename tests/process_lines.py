"""A process's stderr read line by line on a thread, and a wait for the line that matters: the
``payer-app gui --verbose`` log lines that say the window was shown or closed; and the processes a
test's data folder still has alive (read from /proc)."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path

SHOWN = re.compile(r"^payer_app\.gui\.app: window shown after (\d+) ms$")
LINE_TIMEOUT_S = 90  # only fails a hung process; how long a start takes is bench/gui_startup_bench.py's


def stderr_lines(proc: subprocess.Popen) -> queue.Queue:
    """Every line the process writes to stderr, as it comes (None at the end)."""
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in proc.stderr:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def wait_for_line(lines: queue.Queue, pattern: re.Pattern, seen: list[str]) -> re.Match:
    """The first line matching ``pattern`` (lines read on the way are added to ``seen``); fails when
    the process ends first or writes nothing for ``LINE_TIMEOUT_S``."""
    while True:
        try:
            line = lines.get(timeout=LINE_TIMEOUT_S)
        except queue.Empty:
            raise AssertionError(f"nothing matching {pattern.pattern!r} (hung?):\n" + "\n".join(seen[-40:])) from None
        if line is None:
            raise AssertionError(f"the process ended before {pattern.pattern!r}:\n" + "\n".join(seen[-40:]))
        seen.append(line)
        match = pattern.match(line)
        if match:
            return match


def stop_with_sigterm(proc: subprocess.Popen, lines: queue.Queue, seen: list[str]) -> None:
    """SIGTERM: the process must exit 0 (it closed itself, not killed by the signal) within
    ``LINE_TIMEOUT_S``; the rest of its stderr, up to the end, is added to ``seen``."""
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=LINE_TIMEOUT_S) == 0, seen[-40:]
    seen.extend(iter(lambda: lines.get(timeout=LINE_TIMEOUT_S), None))


@contextmanager
def killed_if_left_running(proc: subprocess.Popen):
    """The block's process killed and reaped at its end when it is still running (a failed test)."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def processes_of(home: Path) -> dict[int, str]:
    """Live processes (not zombies) whose environment has PAYER_APP_HOME=home: {pid: command}."""
    wanted = f"PAYER_APP_HOME={home}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile, or not ours to read
            continue
        if wanted in environ and state != "Z":
            found[int(entry.name)] = command[:160]
    return found
