"""Window soak: the real window scanning bill after bill for a long time; it must neither die nor grow.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/window_soak_bench.py [--minutes 30] [--every 60]

Drives the window as a user would (clicks on widgets found by objectName, the demo camera):

- normal cycle: Home -> Scan -> the demo camera accepts its EVN bill -> Payee -> Inspector -> back ->
  Amount -> back -> Cancel (Home). The bill never leaves the camera's view, so each payment starts
  anew from Home: "Scan again" on the payee would wait until the code has left the view. Dropped
  pictures and pasted text (``--methods``) scan in a second window with "Scan again";
- every ``--kiosk-every`` cycles, a kiosk cycle in a second, full-screen kiosk window: Scan ->
  Payee -> left alone until the idle timer (5 s, the shortest allowed) resets it to Home.

Prints scans, screen changes, ``sys.getrefcount(None)`` and resident memory (RSS) every
``--every`` seconds and at the end. On PySide6 6.12.0 with Python < 3.12 the None count falls by
~29 per painted frame until the process aborts (``none_dealloc``); with a sound binding it stays
level. tests/test_window_soak.py runs a short version of this driver.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "bench"):  # the package, and process_memory next to this file
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from process_memory import (  # noqa: E402
    PeakWatch,
    mapping_top,
    memory_breakdown,
    peak_rss_mib,
    python_top,
    release_free_heap,
    rss_mib,
)

SCAN_TIMEOUT_S = 90.0  # ceilings only (a failure is reported when one passes): the machine may be loaded
STEP_TIMEOUT_S = 30.0
KIOSK_IDLE_S = 5  # Settings.validate's minimum
KIOSK_ATTEMPTS = 6  # Scan presses in a kiosk cycle before it counts as failed (see kiosk_cycle)


@dataclass
class Sample:
    seconds: float
    scans: int
    screen_changes: int
    kiosk_resets: int
    none_refs: int
    rss_mib: float
    detail: str = ""  # process_memory.memory_breakdown() at the same moment

    def line(self) -> str:
        return (f"{self.seconds:8.1f} s  scans {self.scans:6d}  screen changes {self.screen_changes:7d}  "
                f"kiosk resets {self.kiosk_resets:4d}  None refs {self.none_refs:7d}  RSS {self.rss_mib:7.1f} MiB"
                f"{'  ' + self.detail if self.detail else ''}")


@dataclass
class SoakRun:
    samples: list[Sample] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    # (scans, None refs, RSS MiB) after every cycle, taken in the same quiet state each time
    # (that cycle's window back on its resting screen, events processed), for trend checks
    quiet: list[tuple[int, int, float]] = field(default_factory=list)
    warm_up_scans: int = 0
    peak: str = ""  # PeakWatch's line: the highest RSS polled, when and where

    def quiet_trend(self, window: int = 20) -> tuple[float, float, int, int]:
        """(median RSS of the first ``window`` quiet points after warm-up, of the last ``window``,
        lowest None count seen after warm-up, None count at the first quiet point after warm-up)."""
        import statistics

        points = self.quiet
        head, tail = points[:window], points[-window:]
        return (statistics.median(p[2] for p in head), statistics.median(p[2] for p in tail),
                min(p[1] for p in points), points[0][1])


class WindowDriver:
    """Clicks and waits on one window, finding widgets by objectName (user-level, no internals)."""

    def __init__(self, window):
        from PySide6.QtWidgets import QApplication

        self.window = window
        self.app = QApplication.instance()
        self.screen_changes = 0
        window.screen_changed.connect(self._changed)

    def _changed(self, _name: str) -> None:
        self.screen_changes += 1

    def widget(self, name: str):
        from PySide6.QtWidgets import QWidget

        found = [w for w in self.window.findChildren(QWidget, name) if w.isVisible()]
        return found[-1] if found else None

    def click(self, name: str) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        button = self.widget(name)
        if button is None or not button.isEnabled():
            raise RuntimeError(f"no visible, enabled {name!r} to click")
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    def click_top(self, text: str) -> None:
        """Click the visible top-bar button showing ``text`` ("‹" is Back, "Cancel" is Cancel)."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QAbstractButton

        found = [
            b for b in self.window.findChildren(QAbstractButton, "TopBarButton") if b.isVisible() and b.text() == text
        ]
        if not found:
            raise RuntimeError(f"no visible top-bar button {text!r}")
        QTest.mouseClick(found[0], Qt.MouseButton.LeftButton)

    def click_back(self) -> None:
        self.click_top("‹")

    def wait(self, condition, timeout_s: float = STEP_TIMEOUT_S) -> bool:
        """Run the window's events until ``condition()`` holds (checked each time the window changes
        screen, the only thing the conditions here are about) or ``timeout_s`` passes. No sleeping:
        a nested event loop, ended by the screen change or by a single-shot timer."""
        from PySide6.QtCore import QEventLoop, QTimer

        if condition():
            return True
        loop = QEventLoop()
        deadline = QTimer()
        deadline.setSingleShot(True)
        deadline.timeout.connect(loop.quit)

        def check(_name: str) -> None:
            if condition():
                loop.quit()

        self.window.screen_changed.connect(check)
        deadline.start(int(timeout_s * 1000))
        try:
            loop.exec()
        finally:
            deadline.stop()
            self.window.screen_changed.disconnect(check)
        return condition()

    def settle(self) -> None:
        """Deliver what is pending now (queued signals, deferred deletes), without waiting for more."""
        from PySide6.QtCore import QEvent

        self.app.processEvents()
        self.app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self.app.processEvents()

    def shown(self, screen) -> bool:
        return screen.isVisible()

    def drop_file(self, path: str) -> None:
        """Drag a file from the desktop and drop it on the scan screen (enter, then drop)."""
        from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
        from PySide6.QtGui import QDragEnterEvent, QDropEvent

        target = self.widget("Preview")
        while target is not None and not target.acceptDrops():
            target = target.parentWidget()
        if target is None:
            raise RuntimeError("nothing on screen accepts a dropped file")
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(path)])
        enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier)
        self.app.sendEvent(target, enter)
        drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier)
        self.app.sendEvent(target, drop)

    def paste_text(self, text: str) -> None:
        """Copy ``text`` to the clipboard and press the scan screen's Paste button."""
        from PySide6.QtGui import QGuiApplication

        QGuiApplication.clipboard().setText(text)
        self.click("PasteButton")


def _prepare_home() -> None:
    """A data folder of our own, with the shortest kiosk idle time and no beeps."""
    if "PAYER_APP_HOME" not in os.environ:
        os.environ["PAYER_APP_HOME"] = tempfile.mkdtemp(prefix="payer-soak-")
    from payer_app.gui.settings import Settings, save_settings

    settings = Settings(kiosk_idle_seconds=KIOSK_IDLE_S, sound=False, language="en")
    if hasattr(settings, "kiosk_warning_seconds"):
        settings.kiosk_warning_seconds = 1  # the countdown shown before the idle reset, shortest
    if settings.validate():
        settings = Settings(kiosk_idle_seconds=KIOSK_IDLE_S, sound=False, language="en")
    save_settings(settings)


def _scan_inputs(folder: Path) -> tuple[list[str], list[str]]:
    """Two QR pictures (dropped) and two payloads (pasted), all different from the demo bill."""
    from payer_app.core.builder import vietqr_payload, vnpay_payload
    from payer_app.qr_symbol import qr_png

    payloads = [vietqr_payload("970422", "0987654321", amount=15_000, purpose="Soak"),
                vnpay_payload("0100109106", "SIEU THI MINH AN", "Ha Noi", amount=89_000)]
    pictures = []
    for i, payload in enumerate(payloads):
        path = folder / f"code_{i}.png"
        path.write_bytes(qr_png(payload, module_px=6, border=6))
        pictures.append(str(path))
    pasted = [vietqr_payload("970436", "0011001234567", amount=250_000, purpose=f"Paste {i}") for i in range(2)]
    return pictures, pasted


CAMERA_ONLY = ("camera",)


def _blank_picture(folder: Path) -> str:
    """A camera that sees nothing (one blank picture, then the source ends): the still window's."""
    import numpy as np
    from PIL import Image

    path = folder / "blank.png"
    Image.fromarray(np.full((120, 160, 3), 255, np.uint8)).save(path)
    return str(path)


class SoakSession:
    """The windows of one soak, its counters and its samples; ``cycle()`` is one scan cycle."""

    def __init__(self, scan_methods: tuple[str, ...], kiosk_every: int, report_every: float,
                 warm_up_scans: int, out):
        from payer_app.gui.app import create_window, ensure_application

        ensure_application()
        self.create_window = create_window
        self.scan_methods, self.kiosk_every, self.report_every, self.out = scan_methods, kiosk_every, report_every, out
        self.run = SoakRun(warm_up_scans=warm_up_scans)
        self.folder = Path(tempfile.mkdtemp(prefix="payer-soak-"))
        self.pictures, self.pasted = _scan_inputs(self.folder)
        self.drivers: dict[str, WindowDriver] = {}
        self.windows = []
        self.kiosk = None
        if kiosk_every:
            self.kiosk = create_window(camera="demo", kiosk=True, lang="en")
            self.windows.append(self.kiosk)
            self.drivers["kiosk"] = WindowDriver(self.kiosk)
        self.scans = self.kiosk_resets = self.cycles = 0
        self.phase = "windows made"  # what the soak is doing now, for PeakWatch
        self.mappings = 0  # with --mappings N: the N largest mappings after each sample
        self.started = time.monotonic()
        self.next_report = self.started + report_every

    def driver_for(self, method: str) -> WindowDriver:
        """The camera window for camera scans; a window whose camera sees nothing for the others."""
        key = "camera" if method == "camera" else "still"
        if key not in self.drivers:
            camera = "demo" if key == "camera" else _blank_picture(self.folder)
            window = self.create_window(camera=camera, kiosk=False, lang="en")
            window.show()
            self.windows.append(window)
            self.drivers[key] = WindowDriver(window)
        return self.drivers[key]

    def screen_changes(self) -> int:
        return sum(d.screen_changes for d in self.drivers.values())

    def sample(self) -> Sample:
        s = Sample(time.monotonic() - self.started, self.scans, self.screen_changes(), self.kiosk_resets,
                   sys.getrefcount(None), rss_mib(), memory_breakdown())
        self.run.samples.append(s)
        self.out(s.line())
        if self.mappings:
            for line in mapping_top(self.mappings):
                self.out(f"          {line}")
        return s

    def scanned(self) -> None:
        self.scans += 1
        if self.scans == self.run.warm_up_scans:
            self.sample()

    def cycle(self, max_scans: int | None, min_screen_changes: int, finished) -> None:
        """Scan (camera, drop or paste) -> Payee -> Inspector and back -> Amount and back -> rest;
        a kiosk cycle when one is due; then the quiet point and, when due, a sample."""
        method = self.scan_methods[self.cycles % len(self.scan_methods)]
        self.cycles += 1
        d = self.driver_for(method)
        self.phase = f"scan {self.scans + 1} ({method})"
        self.scan_once(d, method)
        self.phase = f"after scan {self.scans} ({method})"
        visit_and_return(d, "InspectorButton", d.window.inspector)
        if d.widget("ContinueButton") is not None:
            visit_and_return(d, "ContinueButton", d.window.amount)
        while max_scans is not None and self.scans >= max_scans and self.screen_changes() < min_screen_changes:
            visit_and_return(d, "InspectorButton", d.window.inspector)  # scans done: changes until the count
        kiosk_due = (
            self.kiosk is not None and (self.cycles == 1 or self.cycles % self.kiosk_every == 0) and not finished()
        )
        self.rest(d, method)
        if kiosk_due:
            self.phase = f"kiosk cycle after scan {self.scans}"
            kiosk_cycle(self.kiosk, self.drivers["kiosk"])
            self.kiosk_resets += 1
            self.scanned()
        self.quiet_point(d)

    def scan_once(self, d: WindowDriver, method: str) -> None:
        w = d.window
        if not w.scan.isVisible():
            d.click("ScanButton")
            step(d.wait(w.scan.isVisible), "scan screen")
        if method == "drop":
            d.drop_file(self.pictures[self.cycles % len(self.pictures)])
        elif method == "paste":
            d.paste_text(self.pasted[self.cycles % len(self.pasted)])
        step(d.wait(w.payee.isVisible, SCAN_TIMEOUT_S), f"scan {self.scans + 1} ({method})")
        self.scanned()

    def rest(self, d: WindowDriver, method: str) -> None:
        """The camera window goes back Home (Cancel) and starts its next payment from there; the
        others scan again. The demo bill never leaves the camera's view, and the scan screen holds
        a code just accepted until it has left the view ("Scan again" on the payee would wait for
        ever: docs/window.md); a payment started anew from Home accepts it at once."""
        w = d.window
        if method == "camera":
            d.click_top(w.ctx.t("common.cancel"))
            step(d.wait(w.home.isVisible), "cancel to home")
        else:
            d.click("RescanButton")
            step(d.wait(w.scan.isVisible), "scan screen again")

    def quiet_point(self, d: WindowDriver) -> None:
        """After warm-up: None count and RSS in the same quiet state every cycle; a sample when due."""
        if self.scans >= self.run.warm_up_scans:
            d.settle()
            release_free_heap()
            self.run.quiet.append((self.scans, sys.getrefcount(None), rss_mib()))
        if time.monotonic() >= self.next_report:
            self.sample()
            self.next_report += self.report_every

    def failed(self, exc: RuntimeError) -> None:
        screens = ("home", "scan", "payee", "inspector", "amount")
        showing = {
            k: next((n for n in screens if getattr(d.window, n).isVisible()), "?") for k, d in self.drivers.items()
        }
        message = f"{exc} (screens shown: {showing})"
        self.run.failures.append(message)
        self.out(f"FAILED: {message}")

    def close(self) -> None:
        self.sample()
        for w in self.windows:
            w.close()
            w.deleteLater()
        if self.drivers:
            next(iter(self.drivers.values())).settle()


def step(ok: bool, what: str) -> None:
    if not ok:
        raise RuntimeError(f"timed out: {what}")


def visit_and_return(d: WindowDriver, button: str, screen) -> None:
    d.click(button)
    step(d.wait(screen.isVisible), f"{button} -> screen")
    d.click_back()
    step(d.wait(d.window.payee.isVisible), f"back from {button}")


def run_soak(seconds: float | None = None, max_scans: int | None = None, min_screen_changes: int = 0,
             scan_methods: tuple[str, ...] = CAMERA_ONLY, kiosk_every: int = 25, report_every: float = 60.0,
             warm_up_scans: int = 10, out=print, mappings: int = 0) -> SoakRun:
    """Soak the window until ``seconds`` pass, or until ``max_scans`` scans and ``min_screen_changes``
    screen changes are done. ``scan_methods`` is the rotation of how each scan is made:

    - "camera": the demo camera, in the camera window (it rests on Home between its scans, so the
      camera runs only while it scans; each scan is a new payment started from Home);
    - "drop" (a QR picture dropped on the scan screen) and "paste" (QR text pasted): in a second
      window whose camera sees nothing, so these scans are not slowed by the camera's threads.

    A kiosk window does a kiosk cycle after the first scan and every ``kiosk_every`` scans. The first
    sample is taken after ``warm_up_scans`` scans (caches filled), then every ``report_every`` seconds
    and at the end."""
    _prepare_home()
    soak = SoakSession(scan_methods, kiosk_every, report_every, warm_up_scans, out)
    soak.mappings = mappings
    watch = PeakWatch(lambda: soak.phase).start()

    def finished() -> bool:
        if seconds is not None:
            return time.monotonic() - soak.started >= seconds
        return soak.scans >= (max_scans or 0) and soak.screen_changes() >= min_screen_changes

    try:
        while not finished():
            soak.cycle(max_scans, min_screen_changes, finished)
    except RuntimeError as exc:
        soak.failed(exc)
    finally:
        soak.close()
        watch.stop()
        soak.run.peak = watch.line()
    return soak.run


def kiosk_cycle(kiosk, driver: WindowDriver) -> None:
    """Kiosk window: Home -> Scan -> Payee, then left alone until the idle timer resets it to Home."""
    if not kiosk.isVisible():
        kiosk.present()  # full screen, as at a booth
    step(driver.wait(lambda: kiosk.home.isVisible()), "kiosk home")
    for _attempt in range(KIOSK_ATTEMPTS):
        # the idle timer also runs on Scan: on a loaded machine the kiosk may go Home before the
        # camera has confirmed the code; a visitor would press Scan again, and so do we
        driver.click("ScanButton")
        if driver.wait(lambda: kiosk.payee.isVisible() or kiosk.home.isVisible() and not kiosk.scan.isVisible(),
                       SCAN_TIMEOUT_S) and kiosk.payee.isVisible():
            break
    step(kiosk.payee.isVisible(), f"kiosk scan ({KIOSK_ATTEMPTS} attempts)")
    settings = kiosk.ctx.settings
    reset_s = settings.kiosk_idle_seconds + getattr(settings, "kiosk_warning_seconds", 0)
    step(driver.wait(lambda: kiosk.home.isVisible(), reset_s + STEP_TIMEOUT_S), "kiosk idle reset")


def summary(run: SoakRun) -> str:
    if len(run.samples) < 2 or len(run.quiet) < 2:
        return "not enough samples"
    first = next((s for s in run.samples if s.scans >= run.warm_up_scans), run.samples[0])
    last = run.samples[-1]
    rss_head, rss_tail, lowest_none, first_none = run.quiet_trend()
    return (
        f"after warm-up -> end ({last.seconds - first.seconds:.0f} s): scans {first.scans} -> {last.scans}, "
        f"screen changes {first.screen_changes} -> {last.screen_changes}, kiosk resets {last.kiosk_resets}; "
        f"None refs {first.none_refs} -> {last.none_refs} ({last.none_refs - first.none_refs:+d}, lowest after "
        f"warm-up {lowest_none - first_none:+d}); quiet RSS median first/last 20 cycles {rss_head:.1f} -> "
        f"{rss_tail:.1f} MiB ({rss_tail - rss_head:+.1f}); "
        f"peak sampled RSS {max(s.rss_mib for s in run.samples):.1f} MiB; peak RSS (VmHWM) {peak_rss_mib():.1f} MiB"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0, help="how long (default 30); ignored with --scans")
    ap.add_argument("--scans", type=int, default=None, help="stop after this many scans instead")
    ap.add_argument("--screen-changes", type=int, default=0, help="with --scans: and at least this many screen changes")
    ap.add_argument("--methods", default="camera",
                    help="comma-separated rotation of how scans are made: camera, drop, paste (default camera); "
                         "e.g. camera,drop*10,paste*10 interleaves 1 camera scan with 10 drops and 10 pastes")
    ap.add_argument("--every", type=float, default=60.0, help="seconds between samples (default 60)")
    ap.add_argument(
        "--kiosk-every", type=int, default=25, help="a kiosk cycle every N normal cycles (default 25; 0: none)"
    )
    ap.add_argument("--warm-up", type=int, default=10, help="scans before the first sample (default 10)")
    ap.add_argument("--json", action="store_true", help="end with one JSON line of the results (for tests)")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="trace Python allocations: their total in each sample, the top files at the end (slower)")
    ap.add_argument("--mappings", type=int, default=0, metavar="N",
                    help="after each sample, the N mappings holding the most resident memory (/proc/self/smaps)")
    args = ap.parse_args()
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import PySide6

    methods = parse_methods(args.methods)
    what = f"{args.scans} scans" if args.scans else f"{args.minutes:g} min"
    print(f"window soak: {what}, methods {'/'.join(methods[:3])}{'...' if len(methods) > 3 else ''}, "
          f"Python {sys.version.split()[0]}, PySide6 {PySide6.__version__}, "
          f"QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}", flush=True)
    run = run_soak(seconds=None if args.scans else args.minutes * 60.0, max_scans=args.scans,
                   min_screen_changes=args.screen_changes, scan_methods=methods, kiosk_every=args.kiosk_every,
                   report_every=args.every, warm_up_scans=args.warm_up, out=lambda line: print(line, flush=True),
                   mappings=args.mappings)
    print(summary(run), flush=True)
    print(run.peak, flush=True)
    for line in python_top():
        print(line, flush=True)
    if args.json:
        import json

        last = run.samples[-1]
        rss_head, rss_tail, lowest_none, first_none = run.quiet_trend() if len(run.quiet) >= 2 else (0, 0, 0, 0)
        print(json.dumps({"failures": run.failures, "scans": last.scans, "screen_changes": last.screen_changes,
                          "kiosk_resets": last.kiosk_resets, "none_fall": first_none - lowest_none,
                          "rss_head_mib": rss_head, "rss_tail_mib": rss_tail,
                          "peak_rss_mib": peak_rss_mib()}), flush=True)
    return 1 if run.failures else 0


def parse_methods(text: str) -> tuple[str, ...]:
    """"camera,drop*10,paste*10" -> ("camera", "drop", "drop", ..., "paste", ...) in that order."""
    out: list[str] = []
    for part in text.split(","):
        name, _, times = part.strip().partition("*")
        if name not in ("camera", "drop", "paste"):
            raise SystemExit(f"window_soak_bench: unknown scan method {name!r} (camera, drop, paste)")
        out += [name] * (int(times) if times else 1)
    return tuple(out)


if __name__ == "__main__":
    raise SystemExit(main())
