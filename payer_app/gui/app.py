"""Start the window: ``run_app(camera=..., kiosk=..., lang=...)`` (what ``payer-app gui`` calls)."""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from payer_app.gui.context import AppContext
from payer_app.gui.i18n import Language
from payer_app.gui.settings import load_settings
from payer_app.gui.theme import app_font

# "1": print the time from run_app() to the first painted window; "exit": print it and quit (bench)
STARTUP_REPORT_ENV = "PAYER_APP_STARTUP_REPORT"


def ensure_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv or [sys.argv[0]])
        app.setApplicationName("payer-app")
        app.setApplicationDisplayName("Payer App")
    app.setFont(app_font())
    return app


def create_window(camera: str | None = None, kiosk: bool = False, lang: str | None = None):
    """Build the main window (not shown). Settings come from the data folder; arguments win."""
    from payer_app.gui.main_window import MainWindow

    settings = load_settings()
    if lang:
        settings.language = lang
    ctx = AppContext(language=Language(settings.language), settings=settings, kiosk=kiosk,
                     camera_spec=camera or settings.camera)
    return MainWindow(ctx)


def run_app(camera: str | None = None, kiosk: bool = False, lang: str | None = None) -> int:
    started = time.perf_counter()
    app = ensure_application()
    window = create_window(camera, kiosk, lang)
    window.present()
    report = os.environ.get(STARTUP_REPORT_ENV)
    if report:
        def painted() -> None:
            print(f"window-shown-ms {(time.perf_counter() - started) * 1000:.1f}", flush=True)
            if report == "exit":
                window.close()
                app.exit(0)

        window.repaint()  # paint now, so the report follows a real first frame
        QTimer.singleShot(0, painted)
    return app.exec()
