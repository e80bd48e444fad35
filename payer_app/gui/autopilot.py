"""A test hook that drives the real window like a user: ``PAYER_APP_AUTOPILOT=script.json payer-app gui``.

Used by the end-to-end test (and to refresh the README screenshots). It clicks and types with QTest
from inside the running app, moving on when the window reports each step (screen changes, camera
frames, the payment result), takes a screenshot of every screen, writes what happened to
``result_file`` and quits. The script is JSON::

    {"screenshots": "docs/screenshots", "amount": 250000, "note": "Tien dien",
     "pin": "123456", "result_file": "/tmp/e2e.json", "timeout_s": 90,
     "error_payload": "<a QR text that must be refused, photographed last>"}

Exit code 0 when the payment was made, 3 when a step timed out or failed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

STEP_DELAY_MS = 350  # let each screen paint before it is photographed


class Autopilot(QObject):
    def __init__(self, window, script_path: str):
        super().__init__(window)
        self.window = window
        self.script = json.loads(Path(script_path).read_text(encoding="utf-8"))
        self.shots = Path(self.script.get("screenshots") or ".")
        self.shots.mkdir(parents=True, exist_ok=True)
        self.log: list[dict] = []
        self.report: dict = {"ok": False, "screens": [], "screenshots": []}
        self.started = time.monotonic()
        self._scan_shot = False
        self._waiting_for: str | None = None
        self._watchdog = QTimer(self)
        self._watchdog.setSingleShot(True)
        self._watchdog.timeout.connect(lambda: self.fail(f"timed out waiting for {self._waiting_for}"))

    # plumbing ----------------------------------------------------------------------------------
    def start(self) -> None:
        self._watchdog.start(int(float(self.script.get("timeout_s", 90)) * 1000))
        w = self.window
        w.screen_changed.connect(self._screen_changed)
        w.scan_adapter.detections.connect(self._detections)
        w.payment_finished.connect(self._paid)
        self.after(800, self.home)

    def after(self, ms: int, step) -> None:
        QTimer.singleShot(ms, step)

    def shot(self, name: str, widget=None) -> None:
        target = widget or self.window
        path = self.shots / f"{name}.png"
        target.grab().save(str(path))
        self.report["screenshots"].append(str(path))

    def click(self, button) -> None:
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    def fail(self, why: str) -> None:
        self.report["error"] = why
        self.finish(3)

    def finish(self, code: int) -> None:
        self.report["elapsed_s"] = round(time.monotonic() - self.started, 2)
        out = self.script.get("result_file")
        if out:
            Path(out).write_text(json.dumps(self.report, ensure_ascii=False, indent=1), encoding="utf-8")
        self._watchdog.stop()
        self.window.close()
        QApplication.instance().exit(code)

    # the walk ----------------------------------------------------------------------------------
    def home(self) -> None:
        self.shot("01-home")
        self._waiting_for = "the camera to show a QR code"
        self.click(self.window.home.scan_button)

    def _screen_changed(self, name: str) -> None:
        self.report["screens"].append(name)
        step = {"payee": self.payee, "amount": self.amount, "review": self.review, "pin": self.pin}.get(name)
        if step is not None and self.report.get("phase") != "tour":
            self._waiting_for = name
            self.after(STEP_DELAY_MS, step)

    def _detections(self, polygons: list, decode_ms: float) -> None:
        if polygons and not self._scan_shot:
            self._scan_shot = True
            self.shot("02-scan")

    def payee(self) -> None:
        if self.report.get("inspected"):
            self.shot("03-payee")
            self.click(self.window.payee.continue_button)
            return
        self.report["inspected"] = True
        self.report["phase"] = "tour"
        self.click(self.window.payee.inspector_button)
        self.after(STEP_DELAY_MS, self.inspector)

    def inspector(self) -> None:
        tabs = self.window.inspector.tabs
        tabs.setCurrentIndex(1)
        self.after(150, lambda: (self.shot("04-inspector"), self._inspector_done()))

    def _inspector_done(self) -> None:
        self.window.inspector.tabs.setCurrentIndex(0)
        self.report["phase"] = "pay"
        self.window.back()

    def amount(self) -> None:
        screen = self.window.amount
        if not screen.edit.isReadOnly():
            screen.edit.clear()
            QTest.keyClicks(screen.edit, str(self.script.get("amount", 250000)))
        if self.script.get("note"):
            QTest.keyClicks(screen.note, self.script["note"])
        self.after(150, lambda: (self.shot("05-amount"), self.click(screen.continue_button)))

    def review(self) -> None:
        self.shot("06-review")
        self.click(self.window.review.confirm_button)

    def pin(self) -> None:
        pin = str(self.script.get("pin", "123456"))
        for digit in pin[:3]:
            self.click(self.window.pin.keys[digit])
        self.after(150, lambda: (self.shot("07-pin"), [self.click(self.window.pin.keys[d]) for d in pin[3:]]))
        self._waiting_for = "the payment result"

    def _paid(self, outcome) -> None:
        self.report["phase"] = "tour"
        if outcome is None:
            self.report["payment_error"] = list(self.window.ctx.flow.error or [])
        else:
            self.report.update(status=outcome.status, jws=outcome.jws, request_id=outcome.request_id,
                               acquirer_reference=outcome.acquirer_reference)
        self.after(STEP_DELAY_MS, self.result)

    def result(self) -> None:
        self.shot("08-result")
        self.click(self.window.result.qr_button)
        self.after(STEP_DELAY_MS, self.request_qr)

    def request_qr(self) -> None:
        dialog = self.window.result.dialog
        if dialog is not None:
            self.shot("09-request-qr", dialog)
            dialog.close()
        self.click(self.window.result.new_button)
        self.after(STEP_DELAY_MS, self.history)

    def history(self) -> None:
        self.click(self.window.home.history_button)
        self.after(STEP_DELAY_MS, lambda: (self.shot("10-history"), self.settings()))

    def settings(self) -> None:
        self.window.back()
        self.click(self.window.home.settings_button)
        self.after(STEP_DELAY_MS, lambda: (self.shot("11-settings"), self.english_dark()))

    def english_dark(self) -> None:
        w = self.window
        w.back()
        w.set_language("en")
        w.ctx.settings.theme = "dark"
        w.apply_theme()
        self.after(STEP_DELAY_MS, lambda: (self.shot("12-home-en-dark"), self.refused()))

    def refused(self) -> None:
        """A damaged QR (``error_payload`` in the script) stops at the payee screen."""
        text = self.script.get("error_payload")
        if not text:
            self.done()
            return
        w = self.window
        w.set_language("vi")
        w.ctx.settings.theme = "light"
        w.apply_theme()
        w.open_payload(text)
        self.after(STEP_DELAY_MS, lambda: (self.shot("13-payee-refused"), self.done()))

    def done(self) -> None:
        self.report["ok"] = self.report.get("status") is not None
        self.finish(0 if self.report["ok"] else 3)
