"""Test launcher for the end-to-end tests (lives in tests/, never in the product).

Runs ``payer-app gui --verbose ...`` in this process, exactly as the command does (the same
``payer_app.cli.main``), so the product's own event lines go to stderr
(``payer_app.gui.app: window shown after <N> ms``, ``payer_app.gui.navigator: screen <name>``).
Besides, it only *reports* what a person would see, as JSON lines on stdout: where the buttons
of the visible screen are on the X screen (``{"screen": ..., "where": N, "targets": {name: [x, y]}}``,
asked for with ``where N``), payments that finished, the kiosk's idle warning, the window that
has the keyboard (a dialog, once focused), the window's size, each code the camera confirms. The test moves the real
mouse and keyboard with xdotool from these coordinates. Commands on stdin (one per line):
``where N``, ``shot NAME`` (a picture of the window or of its dialog), ``quit``. Usage::

    python tests/e2e/launch_window.py --shots DIR -- gui --verbose [--camera SPEC] [--lang vi] [--kiosk]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSocketNotifier, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from payer_app.cli import main as payer_app_main  # noqa: E402
from payer_app.gui.app import ensure_application  # noqa: E402
from payer_app.gui.main_window import MainWindow  # noqa: E402


def emit(**event) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def centre(widget) -> list[int] | None:
    if widget is None or not widget.isVisible() or not widget.isEnabled():
        return None
    point = widget.mapToGlobal(widget.rect().center())
    return [point.x(), point.y()]


def settle() -> None:
    """Bring Qt up to date with the X server (window moves by the window manager) and lay out
    what was changed, so the coordinates reported are the ones on the screen now."""
    QGuiApplication.sync()
    QApplication.processEvents()
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


class Reporter(QObject):
    """Watches one window; answers the test's commands; reports events as JSON lines."""

    def __init__(self, window, shots: Path):
        super().__init__(window)
        self.window = window
        self.shots = shots
        self.scan_shot = False
        window.payment_finished.connect(self.paid)
        window.scan_adapter.detections.connect(self.detections)
        window.scan_adapter.accepted.connect(self.accepted)
        window.kiosk.idle_warning.expired.connect(lambda: emit(idle="expired"))
        window.kiosk.idle_warning.installEventFilter(self)
        window.result.more_panel.installEventFilter(self)  # "Thêm" on Result: its panel shown
        window.installEventFilter(self)
        self._connect_status_lines()
        window.payee.registered.answered.connect(self.registered_name)
        window.review.funds_shown.connect(lambda: emit(funds="shown"))  # Review's Confirm is on or refused
        self.notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read, self)
        self.notifier.activated.connect(self.command)
        emit(window_size=[window.width(), window.height()])

    def _connect_status_lines(self) -> None:
        """Enrolment and history retries end on worker threads: their status line, once set."""
        window = self.window
        enrolment = window.settings_screen.enrolment
        for signal in (enrolment.finished, enrolment.failed):
            signal.connect(lambda *_: QTimer.singleShot(0, lambda: emit(
                enrol=window.settings_screen.enrol_status.text())))
        for signal in (window.history.retries.finished, window.history.retries.failed):
            signal.connect(lambda *_: QTimer.singleShot(0, lambda: emit(
                retried=window.history.status_line.text(), history=[e.status for e in window.history.entries])))

    def registered_name(self) -> None:
        """The Payee screen's name inquiry answered: what it shows (gui/registered_name.py)."""
        box = self.window.payee.registered
        emit(registered=box.state, registered_name=box.value.text(), registered_note=box.note.text())

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if watched is self.window.kiosk.idle_warning and kind == QEvent.Type.Show:
            emit(idle="warning", countdown=self.window.kiosk.idle_warning.countdown.text())
        elif watched is self.window.result.more_panel and kind == QEvent.Type.Show:
            emit(more="shown")
        elif watched is self.window and kind == QEvent.Type.Resize:
            emit(window_size=[event.size().width(), event.size().height()])
        return False

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
            "more": getattr(screen, "more_button", None), "show_qr": getattr(screen, "qr_button", None),
            "retry": getattr(screen, "retry_button", None), "receipt": getattr(screen, "pdf_button", None),
            "copy": getattr(screen, "copy_button", None), "paste": getattr(screen, "paste_button", None),
            "payee_name": w.result.rows["to"].value if w.current == "result" else None,
            "amount": getattr(screen, "edit", None), "note": getattr(screen, "note", None),
            "simulate_pass": getattr(screen, "simulate_pass", None),
            "simulate_fail": getattr(screen, "simulate_fail", None),
            "still_here": w.kiosk.idle_warning.stay_button,
            "enrol_code": w.settings_screen.enrol_code if w.current == "settings" else None,
            "enrol": w.settings_screen.enrol_button if w.current == "settings" else None,
            "save": w.settings_screen.save_button if w.current == "settings" else None,
        }
        rows = getattr(screen, "rows", None)
        if isinstance(rows, list):
            named.update({f"row{i}": r for i, r in enumerate(rows)})
        found = {name: centre(widget) for name, widget in named.items()}
        return {name: xy for name, xy in found.items() if xy is not None}

    def report(self, request: str) -> None:
        settle()
        w = self.window
        payee = w.payee
        emit(screen=w.current, where=request, targets=self.targets(),
             payee_error=payee.error_text.text() if payee.error_box.isVisible() else "",
             amount_message=w.amount.message.text(), hint=w.scan.hint.text(),
             history=[e.status for e in w.history.entries], outcome_whole=outcome_whole(w),
             clipboard_chars=len(QGuiApplication.clipboard().text()),
             dialogs=sum(1 for t in QApplication.topLevelWidgets() if isinstance(t, QDialog) and t.isVisible()))

    def detections(self, polygons, _ms) -> None:
        if polygons and not self.scan_shot and self.window.current == "scan":
            self.scan_shot = True
            self.shot("02-scan")

    def accepted(self, result) -> None:
        """The camera confirmed a code (the Scan screen has already decided what to do with it)."""
        w = self.window
        emit(accepted=w.current, scanning=w.scan_adapter.running, hint=w.scan.hint.text())

    def paid(self, outcome) -> None:
        if outcome is None:
            emit(payment=None, error=list(self.window.ctx.flow.error or []))
        else:
            emit(payment=outcome.status, jws=outcome.jws, request_id=outcome.request_id)

    def shot(self, name: str) -> None:
        w = self.window
        dialog = getattr(w.screens[w.current], "dialog", None)
        modal = QApplication.activeModalWidget()  # Qt's own file dialog
        target = modal or (dialog if dialog is not None and dialog.isVisible() else w)
        path = self.shots / f"{name}.png"
        target.grab().save(str(path))
        w.repaint()  # the X screen shows what was grabbed (a whole-screen picture may follow)
        QGuiApplication.sync()
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
            self.report(arg)
        elif word == "quit":
            self.window.close()
            QApplication.instance().quit()


def attach(shots: Path) -> Reporter:
    """The Reporter on the window ``payer-app gui`` built (called once its event loop runs)."""
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    if len(windows) != 1:
        emit(error=f"expected one payer window, found {len(windows)}")
        QApplication.instance().exit(3)
        return None
    return Reporter(windows[0], shots)


def outcome_whole(window) -> list[str]:
    """Which of Result's icon, title and amount are shown whole (not cut by the scroll area)."""
    if window.current != "result":
        return []
    result = window.result
    return [name for name, widget in (("icon", result.icon), ("title", result.title), ("amount", result.amount))
            if widget.isVisible() and widget.visibleRegion().boundingRect().size() == widget.size()]


def report_focus(window) -> None:
    """The X window that has the keyboard now: the payer window (main) or a dialog of it, once
    the window manager has focused it."""
    if window is not None:
        main = any(isinstance(w, MainWindow) and w.windowHandle() is window for w in QApplication.topLevelWidgets())
        emit(focus=window.title(), main=main)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shots", required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- gui --verbose ... (payer-app's arguments)")
    args = parser.parse_args()
    shots = Path(args.shots)
    shots.mkdir(parents=True, exist_ok=True)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    app = ensure_application()
    attached = []
    QTimer.singleShot(0, lambda: attached.append(attach(shots)))  # runs once app.exec() has started
    app.focusWindowChanged.connect(report_focus)
    return payer_app_main(command)


if __name__ == "__main__":
    sys.exit(main())
