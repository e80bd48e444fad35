"""How long the payer app window takes to open (target: under 2 s).

Starts ``python -m payer_app gui --verbose`` as a fresh process RUNS times and measures, for each
start, the wall-clock time from spawning the process to the first painted window: the app logs
``payer_app.gui.app: window shown after <N> ms`` on stderr once it has painted, and the bench then
ends it with SIGTERM (the window closes as with its close button). Also prints the part spent
inside the app after imports (run_app() to first paint, the N of that line). Uses a real X server
(Xvfb) when available, otherwise Qt's offscreen platform.

Run: .venv/bin/python bench/gui_startup_bench.py [--runs N] [--platform xvfb|offscreen]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOWN = re.compile(r"^payer_app\.gui\.app: window shown after (\d+) ms$")


def start_xvfb() -> tuple[subprocess.Popen, str]:
    """A private Xvfb; it picks a free display number and writes it to a pipe once it accepts
    clients (-displayfd), so the bench waits on that line, not on a sleep."""
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_end,))
    os.close(write_end)
    with os.fdopen(read_end) as ready:
        number = ready.readline().strip()  # empty when Xvfb ended without a display
    if not number.isdigit():
        proc.kill()
        raise SystemExit("Xvfb did not start")
    return proc, f":{number}"


def one_start(env: dict) -> tuple[float, float]:
    """(spawn -> painted, run_app() -> painted) in ms for one start of the window."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "payer_app", "gui", "--verbose", "--camera", "demo"], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    try:
        for line in proc.stderr:  # blocks until the app writes a line: no polling
            seen.append(line)
            shown = SHOWN.match(line.rstrip("\n"))
            if shown:
                wall = (time.perf_counter() - started) * 1000
                proc.terminate()
                if proc.wait(timeout=60) != 0:
                    raise SystemExit(f"the window did not close cleanly on SIGTERM (exit {proc.returncode})")
                return wall, float(shown.group(1))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    raise SystemExit(f"the app did not report a shown window (exit {proc.returncode}):\n{''.join(seen)[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platform", choices=("xvfb", "offscreen"),
                        default="xvfb" if shutil.which("Xvfb") else "offscreen")
    args = parser.parse_args()
    xvfb = None
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as home:
        env["PAYER_APP_HOME"] = home
        if args.platform == "xvfb":
            xvfb, display = start_xvfb()
            env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
        else:
            env["QT_QPA_PLATFORM"] = "offscreen"
        try:
            one_start(env)  # warm the OS file cache once, as a second launch by a user would
            results = [one_start(env) for _ in range(args.runs)]
        finally:
            if xvfb is not None:
                xvfb.terminate()
                xvfb.wait()
    walls = [r[0] for r in results]
    inside = [r[1] for r in results]
    print(f"platform {args.platform}, {args.runs} starts")
    print(f"process spawn -> first painted window: median {statistics.median(walls):.0f} ms, "
          f"max {max(walls):.0f} ms (target < 2000 ms)")
    print(f"run_app() -> first painted window:     median {statistics.median(inside):.0f} ms, "
          f"max {max(inside):.0f} ms")


if __name__ == "__main__":
    main()
