"""The phone-shaped main window: one stack of screens and the navigation between them.

Flow: Home -> Scan -> Payee -> Amount -> Review -> PIN -> Result, with History, Settings and the
Inspector on the side. Scanning and paying run on worker threads (``ScanAdapter``,
``PaymentRunner``); the window only reacts to their signals.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow, QStackedWidget

from payer_app.core.payload import parse_payload
from payer_app.gui.components import Toast
from payer_app.gui.context import AppContext, PaymentFlow, PinGuard
from payer_app.gui.history_source import HistoryUnavailable, load_history
from payer_app.gui.payment_runner import PaymentRunner
from payer_app.gui.scan_adapter import ScanAdapter, ScanResult, list_camera_choices
from payer_app.gui.screens.amount import AmountScreen
from payer_app.gui.screens.history import HistoryScreen
from payer_app.gui.screens.home import HomeScreen
from payer_app.gui.screens.inspector import InspectorScreen
from payer_app.gui.screens.payee import PayeeScreen, blocking_problem
from payer_app.gui.screens.pin import PinScreen
from payer_app.gui.screens.result import ResultScreen
from payer_app.gui.screens.review import ReviewScreen
from payer_app.gui.screens.scan import ScanScreen
from payer_app.gui.screens.settings_screen import SettingsScreen
from payer_app.gui.settings import save_settings
from payer_app.gui.theme import stylesheet

WINDOW_SIZE = (400, 820)
LONG_PRESS_MS = 1500


class _ActivityWatcher(QObject):
    """Counts user input anywhere in the app (kiosk idle timer) and spots long presses."""

    activity = Signal()
    long_press = Signal()

    def __init__(self, long_press_target=None):
        super().__init__()
        self.target = long_press_target
        self._press_timer = QTimer(self)
        self._press_timer.setSingleShot(True)
        self._press_timer.setInterval(LONG_PRESS_MS)
        self._press_timer.timeout.connect(self.long_press)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.Wheel,
                    QEvent.Type.TouchBegin):
            self.activity.emit()
        if kind == QEvent.Type.MouseButtonPress and self.target is not None and obj is self.target:
            self._press_timer.start()
        elif kind == QEvent.Type.MouseButtonRelease:
            self._press_timer.stop()
        return False


class MainWindow(QMainWindow):
    screen_changed = Signal(str)
    payment_finished = Signal(object)

    def __init__(self, ctx: AppContext):
        super().__init__()
        self.ctx = ctx
        self.setObjectName("MainWindow")
        self.resize(*WINDOW_SIZE)
        self.setMinimumSize(340, 560)
        ctx.pin_guard = PinGuard(ctx.settings.pin, ctx.settings.pin_attempts, ctx.settings.pin_lock_seconds)
        self.scan_adapter = ScanAdapter(self)
        self.payments = PaymentRunner(self)
        self.payments.finished.connect(self._payment_done)
        self.payments.failed.connect(self._payment_failed)

        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.home = HomeScreen(ctx)
        self.scan = ScanScreen(ctx, self.scan_adapter)
        self.payee = PayeeScreen(ctx)
        self.amount = AmountScreen(ctx)
        self.review = ReviewScreen(ctx)
        self.pin = PinScreen(ctx)
        self.result = ResultScreen(ctx)
        self.history = HistoryScreen(ctx)
        self.settings_screen = SettingsScreen(ctx)
        self.inspector = InspectorScreen(ctx)
        self.screens = {
            "home": self.home, "scan": self.scan, "payee": self.payee, "amount": self.amount,
            "review": self.review, "pin": self.pin, "result": self.result, "history": self.history,
            "settings": self.settings_screen, "inspector": self.inspector,
        }
        for screen in self.screens.values():
            self.stack.addWidget(screen)
            top = getattr(screen, "top", None)
            if top is not None:
                top.back_clicked.connect(self.back)
        self.toast = Toast(self)
        self._trail: list[str] = ["home"]

        self.home.scan_requested.connect(lambda: self.go("scan"))
        self.home.pick_image_requested.connect(self.pick_image)
        self.home.history_requested.connect(lambda: self.go("history"))
        self.home.settings_requested.connect(lambda: self.go("settings"))
        self.scan.scanned.connect(self.open_scan)
        self.scan.pick_image_requested.connect(self.pick_image)
        self.payee.continue_requested.connect(lambda: self.go("amount"))
        self.payee.rescan_requested.connect(self.rescan)
        self.payee.inspector_requested.connect(lambda: self.go("inspector"))
        self.amount.continue_requested.connect(lambda: self.go("review"))
        self.review.confirm_requested.connect(lambda: self.go("pin"))
        self.pin.pin_accepted.connect(self._pay)
        self.result.new_payment_requested.connect(self.new_payment)
        self.settings_screen.saved.connect(self.apply_settings)
        ctx.language.changed.connect(self.retranslate)

        # kiosk: idle and receipt timers, settings behind a long press or Ctrl+Alt+S
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.timeout.connect(self._idle_timeout)
        self.result_timer = QTimer(self)
        self.result_timer.setInterval(1000)
        self.result_timer.timeout.connect(self._result_tick)
        self._result_left = 0
        self.watcher = _ActivityWatcher(self.home.greeting)
        self.watcher.activity.connect(self._user_active)
        self.watcher.long_press.connect(self._open_hidden_settings)
        QApplication.instance().installEventFilter(self.watcher)
        self.settings_shortcut = QShortcut(QKeySequence("Ctrl+Alt+S"), self)
        self.settings_shortcut.activated.connect(self._open_hidden_settings)

        self.apply_theme()
        self.retranslate()
        self._refresh_recent()
        self._cameras_found.connect(self.scan.set_cameras)
        self._cameras_found.connect(self.settings_screen.set_cameras)
        QTimer.singleShot(0, self._find_cameras)

    def present(self) -> None:
        """Show the window: full screen in kiosk mode, phone-sized otherwise."""
        if self.ctx.kiosk:
            self.showFullScreen()
        else:
            self.show()

    # navigation --------------------------------------------------------------------------------
    @property
    def current(self) -> str:
        return self._trail[-1]

    def go(self, name: str, replace: bool = False) -> None:
        previous = self.current
        if previous == name:
            return
        if replace:
            self._trail[-1] = name
        elif name in self._trail:
            del self._trail[self._trail.index(name) + 1:]
        else:
            self._trail.append(name)
        self._show(previous, name)

    def back(self) -> None:
        if self.current == "pin" and self.pin.busy:
            return  # a payment is on its way
        if self.current == "result" or len(self._trail) <= 1:
            self.new_payment()
            return
        previous = self._trail.pop()
        self._show(previous, self.current)

    def go_home(self) -> None:
        previous = self.current
        self._trail = ["home"]
        self._show(previous, "home")

    def _show(self, previous: str, name: str) -> None:
        if previous == "scan" and name != "scan":
            self.scan.stop()
        screen = self.screens[name]
        if name == "scan":
            self.scan.start()
        elif name == "amount" and previous == "payee":
            self.amount.prepare()
        elif name == "review":
            self.review.refresh()
        elif name == "pin":
            self.pin.reset()
        elif name == "inspector":
            self.inspector.refresh()
        elif name == "history":
            self.history.reload()
        elif name == "settings":
            self.settings_screen.load()
        elif name == "home":
            self._refresh_recent()
        self.stack.setCurrentWidget(screen)
        if name == "pin":
            self.pin.setFocus()
        self._restart_idle()
        self.screen_changed.emit(name)

    # flow --------------------------------------------------------------------------------------
    def open_payload(self, text: str, scan: ScanResult | None = None) -> None:
        """Show the payee screen for a scanned (or typed) payload."""
        scan = scan or ScanResult(text=text)
        parsed = parse_payload(text)
        self.ctx.flow = PaymentFlow(scan=scan, parsed=parsed)
        self.payee.show_parsed(parsed)
        self.go("payee")

    def open_scan(self, result: ScanResult) -> None:
        self.open_payload(result.text, result)

    def rescan(self) -> None:
        self._trail = ["home"]
        self.go("scan")

    def pick_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.ctx.t("scan.pick_title"), "", self.ctx.t("scan.image_filter"))
        if path:
            self.open_image(path)

    def open_image(self, path: str) -> None:
        """Decode an image file (worker thread) from the scan screen; the camera is not started."""
        if self.current != "scan":
            previous = self.current
            self._trail.append("scan")
            self.stack.setCurrentWidget(self.scan)
            if previous != "scan":
                self.screen_changed.emit("scan")
        self.scan.decode_file(path)

    def can_pay(self) -> bool:
        parsed = self.ctx.flow.parsed
        return parsed is not None and blocking_problem(parsed) is None

    def _pay(self) -> None:
        flow = self.ctx.flow
        s = self.ctx.settings
        amount = None if (flow.parsed.initiation == "dynamic" and flow.parsed.amount is not None) else flow.amount
        self.payments.pay(flow.parsed, amount, flow.note, acquirer_url=s.acquirer_url or None,
                          limits=(s.min_amount, s.max_amount), keep_history=self.shows_history)

    def _payment_done(self, outcome) -> None:
        self.ctx.flow.outcome = outcome
        self.ctx.flow.error = None
        self._show_result()
        self.payment_finished.emit(outcome)

    def _payment_failed(self, code: str, message: str, message_vi: str) -> None:
        self.ctx.flow.outcome = None
        self.ctx.flow.error = (code, message, message_vi)
        self._show_result()
        self.payment_finished.emit(None)

    def _show_result(self) -> None:
        self.pin.payment_done()
        self.result.clear_status()
        self.result.refresh()
        self._trail = ["home", "result"]
        self._show("pin", "result")
        if self.ctx.kiosk:
            self._result_left = self.ctx.settings.kiosk_result_seconds
            self.result.show_kiosk_countdown(self._result_left)
            self.result_timer.start()

    def new_payment(self) -> None:
        self.result_timer.stop()
        self.result.show_kiosk_countdown(0)
        if self.result.dialog is not None:
            self.result.dialog.close()
        self.ctx.flow = PaymentFlow()
        self.go_home()

    # kiosk -------------------------------------------------------------------------------------
    def _restart_idle(self) -> None:
        if self.ctx.kiosk and self.current != "home":
            self.idle_timer.start(self.ctx.settings.kiosk_idle_seconds * 1000)
        else:
            self.idle_timer.stop()

    def _user_active(self) -> None:
        if self.ctx.kiosk and self.idle_timer.isActive():
            self.idle_timer.start(self.ctx.settings.kiosk_idle_seconds * 1000)

    def _idle_timeout(self) -> None:
        if self.current == "pin" and self.pin.busy:
            self._restart_idle()
            return
        self.new_payment()

    def _result_tick(self) -> None:
        self._result_left -= 1
        if self._result_left <= 0 or self.current != "result":
            self.result_timer.stop()
            if self.current == "result":
                self.new_payment()
            return
        self.result.show_kiosk_countdown(self._result_left)

    def _open_hidden_settings(self) -> None:
        if self.current in ("home", "scan"):
            self.go("settings")

    # settings, language, theme -----------------------------------------------------------------
    def apply_settings(self, settings) -> None:
        old = self.ctx.settings
        self.ctx.settings = settings
        save_settings(settings)
        if (settings.pin, settings.pin_attempts, settings.pin_lock_seconds) != (old.pin, old.pin_attempts,
                                                                                  old.pin_lock_seconds):
            self.ctx.pin_guard = PinGuard(settings.pin, settings.pin_attempts, settings.pin_lock_seconds)
        self.ctx.camera_spec = settings.camera
        self.scan.preview.mirror = settings.mirror
        self.scan.mirror_button.setChecked(settings.mirror)
        if settings.theme != old.theme:
            self.apply_theme()
        if settings.language != self.ctx.language.code:
            self.ctx.language.set(settings.language)  # retranslates everything
        else:
            self.retranslate()
        self.toast.show_message(self.ctx.t("settings.saved"))
        self.back()

    def set_language(self, code: str) -> None:
        self.ctx.settings.language = code
        self.ctx.language.set(code)

    def apply_theme(self) -> None:
        self.setStyleSheet(stylesheet(self.ctx.settings.theme))

    def retranslate(self, *_):
        self.setWindowTitle(self.ctx.t("app.title"))
        for screen in self.screens.values():
            screen.retranslate()

    @property
    def shows_history(self) -> bool:
        """Kiosk mode shows no history unless the settings say so."""
        return not self.ctx.kiosk or self.ctx.settings.kiosk_keep_history

    def _refresh_recent(self) -> None:
        self.home.recent_card.setVisible(self.shows_history)
        self.home.history_button.setVisible(self.shows_history)
        if not self.shows_history:
            return
        try:
            entries = load_history(4)
        except HistoryUnavailable:
            entries = []
        self.home.show_recent(entries)

    def _find_cameras(self) -> None:
        import threading

        def work():
            cameras = list_camera_choices()
            self._cameras_found.emit(cameras)

        threading.Thread(target=work, daemon=True, name="list-cameras").start()

    _cameras_found = Signal(list)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.scan.stop()
        QApplication.instance().removeEventFilter(self.watcher)
        super().closeEvent(event)
