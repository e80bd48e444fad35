"""CPU time to build a window, in one process that builds many (as a test worker does).

Builds ``create_window(camera="demo", kiosk=False, lang="vi")`` RUNS times on Qt's offscreen platform,
each shown (``present``), its first events handled, then closed and deleted; prints the process CPU
time (``time.process_time``) per window for the build and show, and for a first visit of five other
screens (History, Settings, Entry, Saved bills and back Home). The first window of the process is
reported apart (Qt's and the modules' one-time set-up). CPU time, not wall time: it holds on a busy
machine, within a few per cent.

Run: .venv/bin/python bench/gui_build_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

VISITS = ("history", "settings", "entry", "saved_bills", "home")


def one_window(app, create_window) -> tuple[float, float]:
    """(build and show, first visits) CPU seconds of one window."""
    from PySide6.QtCore import QEvent

    started = time.process_time()
    window = create_window(camera="demo", kiosk=False, lang="vi")
    window.present()
    app.processEvents()
    built = time.process_time()
    for name in VISITS:
        window.go(name)
        app.processEvents()
    visited = time.process_time()
    window.close()
    window.deleteLater()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return built - started, visited - built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as home:
        os.environ["PAYER_APP_HOME"] = home
        from payer_app.gui.app import create_window, ensure_application

        app = ensure_application()
        first = one_window(app, create_window)
        runs = [one_window(app, create_window) for _ in range(args.runs)]
    builds = [b * 1000 for b, _ in runs]
    visits = [v * 1000 for _, v in runs]
    print(f"first window: build and show {first[0] * 1000:.0f} ms CPU")
    print(f"next {args.runs}: build and show median {statistics.median(builds):.1f} ms CPU "
          f"(max {max(builds):.1f}); first visit of {len(VISITS)} screens median "
          f"{statistics.median(visits):.1f} ms CPU")


if __name__ == "__main__":
    main()
