"""Start the window: ``run_app(camera=..., kiosk=..., lang=...)`` (what ``payer-app gui`` calls).

Observable events go to logging, not to a switch: logger ``payer_app.gui.app`` logs
``window shown after <N> ms`` once the first frame of the window has been painted
(``payer-app gui --verbose`` shows it on standard error). SIGTERM and SIGINT (Ctrl+C in the
terminal) close the window as its close button does: the camera is released and the data
files are closed before the process ends.
"""

from __future__ import annotations

import linecache
import logging
import signal
import socket
import sys
import time

from PySide6.QtCore import QEvent, QObject, QSocketNotifier, Qt, QTimer
from PySide6.QtGui import QPixmapCache
from PySide6.QtWidgets import QApplication

from payer_app.gui.context import AppContext
from payer_app.gui.i18n import Language
from payer_app.gui.settings import Settings, SettingsRefusal, read_settings
from payer_app.gui.theme import app_font

log = logging.getLogger(__name__)

# Signals that close the window cleanly, and the exit code run_app() returns after each.
CLOSING_SIGNALS = {signal.SIGTERM: 0, signal.SIGINT: 130}


def ensure_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv or [sys.argv[0]])
        app.setApplicationName("payer-app")
        app.setApplicationDisplayName("Payer App")
        # Qt keeps up to 10 MB of drawn pixmaps for reuse (scaled ones among them: the Inspector's
        # captured frame, 250 kB at every visit); 2 MB covers the window's own icons and frames
        QPixmapCache.setCacheLimit(PIXMAP_CACHE_KB)
    app.setFont(app_font())
    return app


PIXMAP_CACHE_KB = 2048


STARTUP_NOTICE_MS = 15_000  # how long the window shows why it runs on the default settings


def create_window(camera: str | None = None, kiosk: bool = False, lang: str | None = None,
                  loaded: tuple[Settings, SettingsRefusal | None] | None = None):
    """Build the main window (not shown). Settings come from the data folder (``loaded``: as
    ``read_settings`` already gave them); arguments win. A settings file that was refused is said
    in the window (the settings are then the defaults)."""
    from payer_app.gui.main_window import MainWindow

    settings, problem = loaded if loaded is not None else read_settings()
    if lang:
        settings.language = lang
    ctx = AppContext(language=Language(settings.language), settings=settings, kiosk=kiosk,
                     camera_spec=camera or settings.camera)
    window = MainWindow(ctx)
    # PySide6 reads the source of every module imported after it (a check for its __feature__
    # imports), and linecache keeps those sources: ~10 MB of text nobody reads again
    linecache.clearcache()
    if problem:
        why = ctx.t(f"settings.refusal.{problem.reason}")
        window.toast.show_message(ctx.t("settings.file_refused", file=problem.file, problem=why), STARTUP_NOTICE_MS)
    return window


class FirstPaintLogger(QObject):
    """Logs ``window shown after <N> ms`` (N counted from ``started``, a ``time.perf_counter()``
    value) once, right after the window's first paint event has been handled."""

    def __init__(self, window, started: float) -> None:
        super().__init__(window)
        self._started = started
        self._seen = False
        window.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        if not self._seen and event.type() == QEvent.Type.Paint:
            self._seen = True
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._report)  # after this paint event has been delivered
        return False

    def _report(self) -> None:
        log.info("window shown after %.0f ms", (time.perf_counter() - self._started) * 1000)


class SignalCloser(QObject):
    """Closes the window when one of CLOSING_SIGNALS arrives.

    Python runs signal handlers only between bytecodes, and the Qt event loop runs in C++; so the
    handler's wake-up byte goes through a socket pair that a QSocketNotifier watches, and the window
    is closed on the GUI thread, through its normal closeEvent (camera stopped, files closed)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.exit_code: int | None = None
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous = {sig: signal.signal(sig, self._note) for sig in CLOSING_SIGNALS}
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._close_window)

    def _note(self, signum, frame) -> None:
        """The Python-level handler: remember the first signal; the wake-up fd does the rest."""
        if self.exit_code is None:
            self.exit_code = CLOSING_SIGNALS.get(signal.Signals(signum), 0)

    def _close_window(self) -> None:
        try:
            while self._reader.recv(64):
                pass
        except BlockingIOError:
            pass
        if self.exit_code is not None:
            log.info("closing the window (signal)")
            self.window.close()
            QApplication.quit()

    def restore(self) -> None:
        """Give the signals back to their previous handlers (after the event loop ended)."""
        self._notifier.setEnabled(False)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()


def screen_rects() -> list[tuple[int, int, int, int]]:
    """The screens Qt reports (x, y, width, height), the primary one first."""
    app = ensure_application()
    primary = app.primaryScreen()
    screens = [primary] + [s for s in app.screens() if s is not primary]
    return [(g.x(), g.y(), g.width(), g.height()) for g in (s.geometry() for s in screens if s is not None)]


def run_app(camera: str | None = None, kiosk: bool = False, lang: str | None = None, *,
            acquirer: str | None = None, enrol_code: str | None = None, operator_token: str = "",
            area: tuple[int, int, int, int] | None = None, on_shown=None) -> int:
    """``acquirer``: pay this acquirer (instead of the one in the settings; not saved); with
    ``enrol_code``, enrol the key there at start unless it is accepted (``startup_enrolment.py``);
    ``operator_token``: that acquirer's, for the kiosk Settings' new day (the booth serves it).
    ``area``: the window there, without a frame, instead of full screen or phone-sized (the booth
    shares one screen with its display). ``on_shown()`` is called once the event loop runs."""
    started = time.perf_counter()
    app = ensure_application()
    loaded = read_settings()
    if loaded[1]:  # the file name is escaped by read_settings
        print(f"payer-app: warning: {loaded[1]} The window opens with the default settings.", file=sys.stderr)
    if acquirer:
        loaded[0].acquirer_url = acquirer
    window = create_window(camera, kiosk, lang, loaded)
    FirstPaintLogger(window, started)
    closer = SignalCloser(window)
    window.ctx.operator_token = operator_token
    if acquirer and enrol_code:
        from payer_app.gui.startup_enrolment import StartupEnrolment

        window.ctx.acquirer_code = enrol_code

        StartupEnrolment(window, acquirer, enrol_code).start()
    if area is None:
        window.present()
    else:
        window.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
        window.setGeometry(*area)
        window.show()
    if on_shown is not None:
        QTimer.singleShot(0, on_shown)
    try:
        code = app.exec()
    finally:
        closer.restore()
    return closer.exit_code if closer.exit_code is not None else code
