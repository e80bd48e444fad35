"""How long the payer app window takes to open (target: under 2 s).

Starts ``python -m payer_app gui`` as a fresh process RUNS times and measures, for each start, the
wall-clock time from spawning the process to the first painted window (the app prints a line when
it has painted and then quits: PAYER_APP_STARTUP_REPORT=exit). Also prints the part spent inside
the app after imports (run_app() to first paint). Uses a real X server (Xvfb) when available,
otherwise Qt's offscreen platform.

Run: .venv/bin/python bench/gui_startup_bench.py [--runs N] [--platform xvfb|offscreen]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_xvfb() -> tuple[subprocess.Popen, str]:
    for n in range(200, 260):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while not Path(f"/tmp/.X11-unix/X{n}").exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("Xvfb did not start")
                time.sleep(0.05)
            return proc, f":{n}"
    raise SystemExit("no free X display number")


def one_start(env: dict) -> tuple[float, float]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "payer_app", "gui", "--camera", "demo"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    wall = (time.perf_counter() - started) * 1000
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("window-shown-ms")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"the app did not report a shown window (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall, float(line.split()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--platform", choices=("xvfb", "offscreen"),
                        default="xvfb" if shutil.which("Xvfb") else "offscreen")
    args = parser.parse_args()
    xvfb = None
    env = dict(os.environ, PAYER_APP_STARTUP_REPORT="exit")
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
    walls = [r[0] for r in results]
    inside = [r[1] for r in results]
    print(f"platform {args.platform}, {args.runs} starts")
    print(f"process spawn -> first painted window: median {statistics.median(walls):.0f} ms, "
          f"max {max(walls):.0f} ms (target < 2000 ms)")
    print(f"run_app() -> first painted window:     median {statistics.median(inside):.0f} ms, "
          f"max {max(inside):.0f} ms")


if __name__ == "__main__":
    main()
