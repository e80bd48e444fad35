"""The phone-shaped main window: the screens, one navigator between them, one payment service.

Flow: Home -> Scan -> Payee -> Amount -> Review -> PIN -> Result, with History, Settings, Saved
bills and the Inspector on the side. ``Navigator`` owns the screen stack (go / back / cancel / reset); the rules
(can this QR be paid, the amount rules, the request to be signed) are asked of ``payer_app.core``
and of the window's one ``PaymentService``. Scanning and paying run on worker threads
(``ScanAdapter``, ``PaymentRunner``); the window only reacts to their signals.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFileDialog,
    QMainWindow,
    QPlainTextEdit,
    QStackedWidget,
    QTextEdit,
    QWidget,
)

from payer_app.core.payability import payability
from payer_app.core.payload import parse_payload
from payer_app.gui.components import Toast
from payer_app.gui.context import AppContext, PaymentFlow, PinGuard, operator_guard
from payer_app.gui.i18n import QtTexts
from payer_app.gui.kiosk import BoothFrame, IdleWarning, operator_pin_set
from payer_app.gui.amount_due import AmountDueLookup
from payer_app.gui.merchant_display_link import MerchantDisplayLink
from payer_app.gui.navigator import Navigator
from payer_app.gui.payment_runner import PaymentRunner, open_service, read_history
from payer_app.gui.saved_bills_controller import SavedBillsController
from payer_app.gui.scan_adapter import ScanAdapter, ScanResult, list_camera_choices
from payer_app.gui.screens.amount import AmountScreen
from payer_app.gui.screens.entry import EntryScreen
from payer_app.gui.screens.history import HistoryScreen
from payer_app.gui.screens.home import HomeScreen
from payer_app.gui.screens.inspector import InspectorScreen
from payer_app.gui.screens.payee import PayeeScreen
from payer_app.gui.screens.pin import PinScreen
from payer_app.gui.screens.result import ResultScreen
from payer_app.gui.screens.saved_bills import SavedBillsScreen
from payer_app.gui.screens.review import ReviewScreen
from payer_app.gui.screens.scan import ScanScreen
from payer_app.gui.screens.settings_screen import SettingsScreen
from payer_app.gui.settings import save_settings
from payer_app.gui.theme import stylesheet

WINDOW_SIZE = (400, 820)
LONG_PRESS_MS = 1500
PAYMENT_STEPS = ("scan", "payee", "amount", "review", "pin")


class _ActivityWatcher(QObject):
    """Counts user input anywhere in the app (kiosk idle timer) and spots long presses."""

    activity = Signal()
    long_press = Signal()

    def __init__(self, long_press_target=None):
        super().__init__()
        self.target = long_press_target
        self.press_timer = QTimer(self)
        self.press_timer.setSingleShot(True)
        self.press_timer.setInterval(LONG_PRESS_MS)
        self.press_timer.timeout.connect(self.long_press)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.Wheel,
                    QEvent.Type.TouchBegin):
            self.activity.emit()
        if kind == QEvent.Type.MouseButtonPress and self.target is not None and obj is self.target:
            self.press_timer.start()
        elif kind == QEvent.Type.MouseButtonRelease:
            self.press_timer.stop()
        return False


class _EnterKey(QObject):
    """Enter activates the focused button, else the visible screen's default button.

    Installed on the window's screens: a line edit or a button with focus gets Enter through here
    first, so every screen behaves the same (multi-line text keeps its own Enter)."""

    def __init__(self, window: "MainWindow"):
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if event.type() != QEvent.Type.KeyPress or event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return False
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        focus = obj if isinstance(obj, QWidget) else QApplication.focusWidget()
        if focus is None or focus.window() is not self.window:
            return False
        if isinstance(focus, (QPlainTextEdit, QTextEdit)) and not focus.isReadOnly():
            return False
        if isinstance(focus, QAbstractButton):
            if focus.isEnabled() and focus.isVisible():
                focus.click()
            return True
        default = getattr(self.window.screens[self.window.current], "default_button", None)
        if default is not None and default.isVisible() and default.isEnabled():
            default.click()
            return True
        return False


class MainWindow(QMainWindow):
    screen_changed = Signal(str)
    payment_finished = Signal(object)
    _cameras_found = Signal(list)

    def __init__(self, ctx: AppContext):
        super().__init__()
        self.ctx = ctx
        self.setObjectName("MainWindow")
        self.resize(*WINDOW_SIZE)
        self.setMinimumSize(340, 560)
        self._open_services()
        self._build_screens()
        self.nav = Navigator(self.stack, self.screens)
        self._connect_navigation()
        self._connect_flow()
        # issue 13: saved bills, an EVN bill's amount due, the merchant display link
        self.saved_bills_controller = SavedBillsController(self)
        self.amount_due = AmountDueLookup(self)
        self.merchant_display = MerchantDisplayLink(self)
        self._follow_language()
        self._install_keyboard()
        self._install_kiosk_timers()
        self.apply_theme()
        self.retranslate()
        self._refresh_recent()
        self._cameras_found.connect(self.scan.set_cameras)
        self._cameras_found.connect(self.settings_screen.set_cameras)
        QTimer.singleShot(0, self._find_cameras)

    def _open_services(self) -> None:
        """The PIN guards from the settings, the one payment service, the scan and pay workers."""
        ctx = self.ctx
        ctx.pin_guard = PinGuard(ctx.settings.pin, ctx.settings.pin_attempts, ctx.settings.pin_lock_seconds)
        ctx.operator_guard = operator_guard(ctx.settings)
        self.service, self.service_error = open_service(ctx.settings, self.shows_history)
        ctx.service = self.service
        self.scan_adapter = ScanAdapter(self)
        self.payments = PaymentRunner(self)
        self.payments.finished.connect(self._payment_done)
        self.payments.failed.connect(self._payment_failed)

    def _build_screens(self) -> None:
        """The phone's screen stack (centred and scaled in a booth frame in kiosk mode), the toast
        and the idle warning."""
        ctx = self.ctx
        self.stack = QStackedWidget()
        self.stack.setObjectName("Phone")
        self.booth: BoothFrame | None = None
        self._scale = 1.0
        if ctx.kiosk:
            # a big screen shows the phone scaled up and centred, not stretched
            self.booth = BoothFrame(self.stack)
            self.booth.scale_changed.connect(self._set_scale)
            self.setCentralWidget(self.booth)
        else:
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
        self.entry = EntryScreen(ctx)
        self.saved_bills = SavedBillsScreen(ctx)
        self.screens = {
            "home": self.home, "scan": self.scan, "payee": self.payee, "amount": self.amount,
            "review": self.review, "pin": self.pin, "result": self.result, "history": self.history,
            "settings": self.settings_screen, "inspector": self.inspector, "entry": self.entry,
            "saved_bills": self.saved_bills,
        }
        for screen in self.screens.values():
            self.stack.addWidget(screen)
        self.toast = Toast(self)
        self.idle_warning = IdleWarning(ctx, self)

    def _connect_navigation(self) -> None:
        """‹ on every screen but Home goes back; Hủy on every payment step cancels the payment."""
        self.nav.changed.connect(self._screen_changed)
        for name, screen in self.screens.items():
            if name != "home":
                screen.top.back_clicked.connect(self.back)
        for name in PAYMENT_STEPS:
            self.screens[name].cancel_button.clicked.connect(self.cancel)

    def _connect_flow(self) -> None:
        """Each screen's request to the next step of the flow."""
        self.home.scan_requested.connect(lambda: self.go("scan"))
        self.home.pick_image_requested.connect(self.pick_image)
        self.home.paste_requested.connect(self.paste_from_home)
        self.home.history_requested.connect(lambda: self.go("history"))
        self.home.settings_requested.connect(lambda: self.go("settings"))
        self.home.entry_opened.connect(self.open_entry)
        self.history.entry_opened.connect(self.open_entry)
        self.scan.scanned.connect(self.open_scan)
        self.scan.pick_image_requested.connect(self.pick_image)
        self.payee.continue_requested.connect(lambda: self.go("amount"))
        self.payee.rescan_requested.connect(self.rescan)
        self.payee.inspector_requested.connect(lambda: self.go("inspector"))
        self.amount.continue_requested.connect(lambda: self.go("review"))
        self.review.confirm_requested.connect(lambda: self.go("pin"))
        self.pin.pin_accepted.connect(self._pay)
        self.pin.operator_accepted.connect(lambda: self.go("settings", replace=True))
        self.result.new_payment_requested.connect(self.new_payment)
        self.settings_screen.saved.connect(self.apply_settings)

    def _follow_language(self) -> None:
        """Our texts and Qt's own dialogs and menus follow the window's language."""
        self.ctx.language.changed.connect(self.retranslate)
        self.qt_texts = QtTexts.shared()
        self.qt_texts.apply(self.ctx.language.code)
        self.ctx.language.changed.connect(self.qt_texts.apply)

    def _install_keyboard(self) -> None:
        """Escape goes back, Enter activates the default button (``_EnterKey``)."""
        self.back_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.back_shortcut.activated.connect(self.back)
        self.enter_key = _EnterKey(self)
        QApplication.instance().installEventFilter(self.enter_key)

    def _install_kiosk_timers(self) -> None:
        """Kiosk: the idle timer (then the warning), the receipt countdown, and Settings behind a long
        press on the greeting or Ctrl+Alt+S."""
        self.idle_warning.expired.connect(self._idle_expired)
        self.idle_warning.dismissed.connect(self._restart_idle)
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

    def present(self) -> None:
        """Show the window: full screen in kiosk mode, phone-sized otherwise."""
        if self.ctx.kiosk:
            self.showFullScreen()
        else:
            self.show()

    # navigation (all of it goes through self.nav) ------------------------------------------------
    @property
    def current(self) -> str:
        return self.nav.current

    def go(self, name: str, replace: bool = False) -> None:
        self.nav.go(name, replace=replace)

    def back(self) -> None:
        """Back one step; from the receipt, a new payment; on Home, nothing."""
        if self.current == "result":
            self.new_payment()
            return
        self.nav.back()

    def cancel(self) -> None:
        """Cancel (Hủy) on a payment step: the payment is abandoned, Home is shown."""
        if self.nav.cancel():
            self.ctx.flow = PaymentFlow()

    def _screen_changed(self, previous: str, name: str) -> None:
        if name == "home":
            self.ctx.flow = PaymentFlow()  # Home: no payment in progress
            self._refresh_recent()
        elif name == "inspector":
            self.inspector.refresh()  # the inspector has no entered() hook of its own
        self._restart_idle()
        self.screen_changed.emit(name)

    # flow --------------------------------------------------------------------------------------
    def open_payload(self, text: str, scan: ScanResult | None = None, replace: bool = False) -> None:
        """Show the payee screen for a scanned (or typed) payload."""
        scan = scan or ScanResult(text=text)
        parsed = scan.parsed if scan.parsed is not None else parse_payload(text)  # pasted: parsed off-thread
        self.ctx.flow = PaymentFlow(scan=scan, parsed=parsed)
        self.payee.show_parsed(parsed)
        self.go("payee", replace=replace)

    def open_scan(self, result: ScanResult) -> None:
        # A picked image (not the camera) was decoded on the scan screen: Back from the payee
        # returns to where the image was picked, not to a camera that accepts whatever it sees.
        self.open_payload(result.text, result, replace=self.scan.still_only)

    def rescan(self) -> None:
        self.nav.go("scan", from_root=True)

    def pick_image(self) -> None:
        if self.ctx.kiosk:
            return  # a booth shows no file dialogs
        path, _ = QFileDialog.getOpenFileName(self, self.ctx.t("scan.pick_title"), "", self.ctx.t("scan.image_filter"))
        if path:
            self.open_image(path)

    def paste_from_home(self) -> None:
        """Dán on Home: the clipboard is read on the scan screen with no camera running, so a camera
        that sees a code at once cannot take the place of what was pasted."""
        self.scan.still_only = True
        self.go("scan")
        self.scan.paste_from_clipboard()

    def open_image(self, path: str) -> None:
        """Decode an image file (worker thread) on the scan screen; the camera is not started."""
        if self.current != "scan":
            self.scan.still_only = True
            self.go("scan")
        self.scan.decode_file(path)

    def open_entry(self, entry) -> None:
        """A history row: the payment's detail (Back returns to the list it was opened from)."""
        self.entry.show_entry(entry)
        self.go("entry")

    def can_pay(self) -> bool:
        parsed = self.ctx.flow.parsed
        return parsed is not None and payability(parsed, self.ctx.limits) is None

    def _pay(self) -> None:
        flow = self.ctx.flow
        if self.service is None:
            self._payment_failed("service-unavailable", self.service_error or "", self.service_error or "")
            return
        self.payments.pay(self.service, flow.parsed, flow.amount, flow.note)

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
        self.nav.go("result", from_root=True)
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
        self.nav.reset()

    # kiosk -------------------------------------------------------------------------------------
    def _restart_idle(self) -> None:
        self.idle_warning.stop()
        if self.ctx.kiosk and self.current != "home":
            self.idle_timer.start(self.ctx.settings.kiosk_idle_seconds * 1000)
        else:
            self.idle_timer.stop()

    def _user_active(self) -> None:
        if not self.ctx.kiosk:
            return
        if self.idle_warning.active:
            self.idle_warning.dismiss()  # a touch or a key: the visitor is still there
        elif self.idle_timer.isActive():
            self.idle_timer.start(self.ctx.settings.kiosk_idle_seconds * 1000)

    def _busy_with_user(self) -> bool:
        """A dialog, Settings or a payment on its way: no automatic reset now."""
        return (QApplication.activeModalWidget() is not None
                or any(d is not None and d.isVisible() for d in (self.result.dialog, self.entry.dialog))
                or self.current == "settings"
                or (self.current == "pin" and self.pin.busy))

    def _idle_timeout(self) -> None:
        """Idle for kiosk_idle_seconds: warn with a countdown first (the reset comes after it)."""
        if self._busy_with_user():
            self._restart_idle()
            return
        self.idle_warning.start(self.ctx.settings.kiosk_warning_seconds)

    def _idle_expired(self) -> None:
        if self._busy_with_user():
            self._restart_idle()
            return
        self.new_payment()

    def _result_tick(self) -> None:
        if self.current != "result":
            self.result_timer.stop()
            return
        if self._busy_with_user():
            return  # the countdown waits while the visitor uses a dialog
        self._result_left -= 1
        if self._result_left <= 0:
            self.result_timer.stop()
            self.new_payment()
            return
        self.result.show_kiosk_countdown(self._result_left)

    def _open_hidden_settings(self) -> None:
        """Kiosk: Settings behind a long press / Ctrl+Alt+S and the operator PIN."""
        if self.current not in ("home", "scan"):
            return
        if self.ctx.kiosk and not operator_pin_set(self.ctx):
            self.toast.show_message(self.ctx.t("kiosk.settings_locked"), 10_000)  # no PIN: stays locked
        elif self.ctx.kiosk:
            self.pin.ask_operator()
            self.go("pin")
        else:
            self.go("settings")

    # settings, language, theme -----------------------------------------------------------------
    def apply_settings(self, settings) -> None:
        old = self.ctx.settings
        self.ctx.settings = settings
        save_settings(settings)
        if (settings.pin, settings.pin_attempts, settings.pin_lock_seconds) != (old.pin, old.pin_attempts,
                                                                                  old.pin_lock_seconds):
            self.ctx.pin_guard = PinGuard(settings.pin, settings.pin_attempts, settings.pin_lock_seconds)
        if settings.operator_pin_hash != old.operator_pin_hash:
            self.ctx.operator_guard = operator_guard(settings)
        picked = self.settings_screen.picked_camera
        if picked is not None:
            self.ctx.camera_spec = picked  # only a camera the user picked replaces --camera
        if (settings.acquirer_url, settings.min_amount, settings.max_amount, settings.kiosk_keep_history) != (
                old.acquirer_url, old.min_amount, old.max_amount, old.kiosk_keep_history):
            self._reopen_service()
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

    def _reopen_service(self) -> None:
        """The operator changed the acquirer, the limits or the kiosk history: a service for them."""
        if self.service is not None and not self.payments.busy:
            self.service.close()
        self.service, self.service_error = open_service(self.ctx.settings, self.shows_history)
        self.ctx.service = self.service

    def set_language(self, code: str) -> None:
        self.ctx.settings.language = code
        self.ctx.language.set(code)

    def apply_theme(self) -> None:
        self.setStyleSheet(stylesheet(self.ctx.settings.theme, self._scale))

    def _set_scale(self, scale: float) -> None:
        self._scale = scale
        self.apply_theme()

    def retranslate(self, *_):
        self.setWindowTitle(self.ctx.t("app.title"))
        self.idle_warning.retranslate()
        for screen in self.screens.values():
            screen.retranslate()

    @property
    def shows_history(self) -> bool:
        """Kiosk mode shows no history unless the settings say so."""
        return self.ctx.keeps_history

    def _refresh_recent(self) -> None:
        self.home.recent_card.setVisible(self.shows_history)
        self.home.history_button.setVisible(self.shows_history)
        if not self.shows_history:
            return
        entries, _problem = read_history(self.service, 4)
        self.home.show_recent(entries)

    def _find_cameras(self) -> None:
        def work():
            self._cameras_found.emit(list_camera_choices())

        threading.Thread(target=work, daemon=True, name="list-cameras").start()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.scan.stop()
        self.scan.adapter.wait_stopped()
        app = QApplication.instance()
        app.removeEventFilter(self.watcher)
        app.removeEventFilter(self.enter_key)
        if self.service is not None and not self.payments.busy:
            self.service.close()
        super().closeEvent(event)
