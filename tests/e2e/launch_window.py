"""Test launcher for the end-to-end test (lives in tests/, never in the product).

Starts the real payer window exactly as ``payer-app gui`` does (``payer_app.gui.app``), then only
*reports* what a person would see, as JSON lines on stdout: the visible screen and where its buttons
are on the X screen (``{"screen": ..., "targets": {name: [x, y]}}``), payments that finished, the
idle warning. The test moves the real mouse and keyboard with xdotool from these coordinates.
Commands on stdin (one per line) ask for a screenshot (``shot NAME``), the current targets
(``where``) or to quit (``quit``). Usage::

    python tests/e2e/launch_window.py --shots DIR [--camera SPEC] [--lang vi] [--kiosk]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from PySide6.QtCore import QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from payer_app.gui.app import create_window, ensure_application  # noqa: E402


def emit(**event) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def centre(widget) -> list[int] | None:
    if widget is None or not widget.isVisible() or not widget.isEnabled():
        return None
    point = widget.mapToGlobal(widget.rect().center())
    return [point.x(), point.y()]


class Reporter:
    def __init__(self, window, shots: Path):
        self.window = window
        self.shots = shots
        self.scan_shot = False
        window.screen_changed.connect(lambda name: QTimer.singleShot(250, lambda: self.report(name)))
        window.payment_finished.connect(self.paid)
        window.scan_adapter.detections.connect(self.detections)
        window.idle_warning.expired.connect(lambda: emit(idle="expired"))
        enrolment = window.settings_screen.enrolment
        for signal in (enrolment.finished, enrolment.failed):
            signal.connect(lambda *_: QTimer.singleShot(100, lambda: emit(
                enrol=window.settings_screen.enrol_status.text())))
        for signal in (window.history.retries.finished, window.history.retries.failed):
            signal.connect(lambda *_: QTimer.singleShot(250, lambda: emit(
                retried=window.history.status_line.text(), history=[e.status for e in window.history.entries])))
        self._watch_warning = QTimer()
        self._watch_warning.setInterval(200)
        self._watch_warning.timeout.connect(self.warning)
        self._watch_warning.start()
        self._warned = False
        self.notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
        self.notifier.activated.connect(self.command)

    def targets(self) -> dict[str, list[int]]:
        w = self.window
        screen = w.screens[w.current]
        named = {
            "back": getattr(getattr(screen, "top", None), "back", None),
            "cancel": getattr(screen, "cancel_button", None),
            "scan": w.home.scan_button, "pick": w.home.pick_button, "history": w.home.history_button,
            "settings": w.home.settings_button, "continue": getattr(screen, "continue_button", None),
            "inspector": getattr(screen, "inspector_button", None), "rescan": getattr(screen, "rescan_button", None),
            "confirm": getattr(screen, "confirm_button", None), "new": getattr(screen, "new_button", None),
            "show_qr": getattr(screen, "qr_button", None), "retry": getattr(screen, "retry_button", None),
            "amount": getattr(screen, "edit", None), "note": getattr(screen, "note", None),
            "still_here": w.idle_warning.stay_button,
            "enrol_code": w.settings_screen.enrol_code if w.current == "settings" else None,
            "enrol": w.settings_screen.enrol_button if w.current == "settings" else None,
        }
        rows = getattr(screen, "rows", None)
        if isinstance(rows, list):
            named.update({f"row{i}": r for i, r in enumerate(rows)})
        found = {name: centre(widget) for name, widget in named.items()}
        return {name: xy for name, xy in found.items() if xy is not None}

    def report(self, name: str | None = None) -> None:
        w = self.window
        payee = w.payee
        emit(screen=w.current, targets=self.targets(), payee_error=payee.error_text.text()
             if payee.error_box.isVisible() else "", amount_message=w.amount.message.text(),
             hint=w.scan.hint.text(), history=[e.status for e in w.history.entries])

    def detections(self, polygons, _ms) -> None:
        if polygons and not self.scan_shot and self.window.current == "scan":
            self.scan_shot = True
            self.shot("02-scan")

    def paid(self, outcome) -> None:
        if outcome is None:
            emit(payment=None, error=list(self.window.ctx.flow.error or []))
        else:
            emit(payment=outcome.status, jws=outcome.jws, request_id=outcome.request_id)

    def warning(self) -> None:
        shown = self.window.idle_warning.isVisible()
        if shown and not self._warned:
            emit(idle="warning", countdown=self.window.idle_warning.countdown.text(),
                 targets=self.targets())
        self._warned = shown

    def shot(self, name: str) -> None:
        w = self.window
        dialog = getattr(w.screens[w.current], "dialog", None)
        modal = QApplication.activeModalWidget()  # Qt's own file dialog
        target = modal or (dialog if dialog is not None and dialog.isVisible() else w)
        path = self.shots / f"{name}.png"
        target.grab().save(str(path))
        emit(shot=name, path=str(path))

    def command(self) -> None:
        line = sys.stdin.readline()
        if not line:
            self.notifier.setEnabled(False)
            return
        word, _, arg = line.strip().partition(" ")
        if word == "shot":
            self.shot(arg)
        elif word == "where":
            self.report()
        elif word == "quit":
            self.window.close()
            QApplication.instance().quit()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shots", required=True)
    parser.add_argument("--camera", default="demo")
    parser.add_argument("--lang", default="vi")
    parser.add_argument("--kiosk", action="store_true")
    args = parser.parse_args()
    shots = Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    app = ensure_application()
    window = create_window(camera=args.camera, kiosk=args.kiosk, lang=args.lang)
    window.present()
    reporter = Reporter(window, shots)  # noqa: F841 - kept alive with the event loop
    QTimer.singleShot(800, reporter.report)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
