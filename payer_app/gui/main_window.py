"""The phone-shaped main window: the screens and the objects that own the rest, wired together.

Flow: Home -> Scan -> Payee -> Amount -> Review -> PIN -> Result, with History, Settings, Saved bills and the
Inspector on the side. Each screen says what it does when entered and left (``gui/screen.py``); ``Navigator`` owns
the screen stack (go / back / cancel / reset) and calls those hooks. The window only wires: ``ServiceLifetime``
keeps the one ``PaymentService``, ``SettingsController`` applies saved settings, ``KioskTimers`` runs the booth's
clocks, and ``PaymentSteps`` takes the flow from one screen to the next, and ``SavedBillsController``,
``AmountDueLookup`` and ``MerchantDisplayLink`` fill widgets the screens built. The rules (can this QR be paid, the
amounts, the request to be signed) are asked of ``payer_app.core`` and of the payment service. Scanning and paying
run on worker threads (``ScanAdapter``, ``PaymentRunner``): the window reacts.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QMainWindow, QStackedWidget

from payer_app.gui.amount_due import AmountDueLookup
from payer_app.gui.components import Page, Toast
from payer_app.gui.context import AppContext, PaymentFlow
from payer_app.gui.i18n import QtTexts
from payer_app.gui.kiosk import BoothFrame, KioskTimers
from payer_app.gui.merchant_display_link import MerchantDisplayLink
from payer_app.gui.navigator import Navigator
from payer_app.gui.payment_steps import PaymentSteps
from payer_app.gui.saved_bills_controller import SavedBillsController
from payer_app.gui.scan_adapter import ScanAdapter, ScanResult, find_cameras_for
from payer_app.gui.screen import EnterKey
from payer_app.gui.screens.amount import AmountScreen
from payer_app.gui.screens.entry import EntryScreen
from payer_app.gui.screens.face_check import FaceCheckScreen
from payer_app.gui.screens.history import HistoryScreen
from payer_app.gui.screens.home import HomeScreen
from payer_app.gui.screens.inspector import InspectorScreen
from payer_app.gui.screens.payee import PayeeScreen
from payer_app.gui.screens.pin import PinScreen
from payer_app.gui.screens.result import ResultScreen
from payer_app.gui.screens.review import ReviewScreen
from payer_app.gui.screens.saved_bills import SavedBillsScreen
from payer_app.gui.screens.scan import ScanScreen
from payer_app.gui.screens.settings_screen import SettingsScreen
from payer_app.gui.service_lifetime import ServiceLifetime
from payer_app.gui.settings_controller import SettingsController
from payer_app.gui.theme import stylesheet

WINDOW_SIZE = (400, 820)
# the smallest window every screen's main button fits in (1600x900 at 200 %: tests/test_gui_fits.py)
MIN_SIZE = (340, 400)
TITLE_ROOM = 40  # what a window manager's title bar and borders take, kept free when the window opens


class MainWindow(QMainWindow):
    screen_changed = Signal(str)
    payment_finished = Signal(object)
    _cameras_found = Signal(list)

    def __init__(self, ctx: AppContext):
        super().__init__()
        self.ctx = ctx
        self.setObjectName("MainWindow")
        self.resize(*WINDOW_SIZE)
        self.setMinimumSize(*MIN_SIZE)
        self._scale = 1.0
        self.apply_theme()  # before the screens: each widget is styled once as it is made, not restyled after
        self.settings_controller = SettingsController(self)  # sets the PIN checks first
        self.services = ServiceLifetime(ctx, self)
        self.scan_adapter = ScanAdapter(self)
        self._build_screens()
        self.nav = Navigator(self.stack, self.screens)
        self._install_keyboard()  # before the kiosk's watcher: it must see the Enter that EnterKey takes
        self.kiosk = KioskTimers(self)  # restarts the idle timer on every move, before screen_changed
        self.steps = PaymentSteps(self)
        self._connect_navigation()
        self._connect_flow()
        self.saved_bills_controller = SavedBillsController(self)
        self.amount_due = AmountDueLookup(self)
        self.merchant_display = MerchantDisplayLink(self)
        self._follow_language()
        self.retranslate()
        self.home.refresh_recent()
        self._cameras_found.connect(self.scan.set_cameras)
        self._cameras_found.connect(self.settings_screen.set_cameras)
        QTimer.singleShot(0, self._find_cameras)

    def _build_screens(self) -> None:
        """The phone's screen stack (centred and scaled in a booth frame in kiosk mode) and the toast."""
        ctx = self.ctx
        self.stack = QStackedWidget()
        self.stack.setObjectName("Phone")
        self.booth: BoothFrame | None = None
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
        self.face_check = FaceCheckScreen(ctx, self.scan_adapter)
        self.pin = PinScreen(ctx)
        self.result = ResultScreen(ctx)
        self.history = HistoryScreen(ctx)
        self.settings_screen = SettingsScreen(ctx)
        self.inspector = InspectorScreen(ctx)
        self.entry = EntryScreen(ctx)
        self.saved_bills = SavedBillsScreen(ctx)
        self.screens = {
            "home": self.home, "scan": self.scan, "payee": self.payee, "amount": self.amount, "review": self.review,
            "face_check": self.face_check, "pin": self.pin, "result": self.result, "history": self.history,
            "settings": self.settings_screen, "inspector": self.inspector, "entry": self.entry,
            "saved_bills": self.saved_bills,
        }
        for screen in (self.home, self.scan):  # the first two; the Navigator adds each other one when first shown
            self.stack.addWidget(screen)
        self.toast = Toast(self)

    def _connect_navigation(self) -> None:
        """‹ on every screen but Home goes back; Hủy on every payment step cancels the payment."""
        self.nav.changed.connect(self._screen_changed)
        for screen in self.screens.values():
            if isinstance(screen, Page):  # every screen but Home, which has no top bar
                screen.top.back_clicked.connect(self.back)
        for step in (self.scan, self.payee, self.amount, self.review, self.face_check, self.pin):
            step.cancel_button.clicked.connect(self.cancel)

    def _connect_flow(self) -> None:
        """Each screen's request to the next step of the flow."""
        steps = self.steps
        self.home.scan_requested.connect(lambda: self.go("scan"))
        self.home.pick_image_requested.connect(steps.pick_image)
        self.home.paste_requested.connect(steps.paste_from_home)
        self.home.history_requested.connect(lambda: self.go("history"))
        self.home.settings_requested.connect(lambda: self.go("settings"))
        self.home.entry_opened.connect(steps.open_entry)
        self.history.entry_opened.connect(steps.open_entry)
        self.scan.scanned.connect(steps.open_scan)
        self.scan.pick_image_requested.connect(steps.pick_image)
        self.payee.continue_requested.connect(lambda: self.go("amount"))
        self.payee.rescan_requested.connect(steps.rescan)
        self.payee.inspector_requested.connect(lambda: self.go("inspector"))
        self.amount.continue_requested.connect(lambda: self.go("review"))
        self.review.confirm_requested.connect(steps.confirm_review)  # the face check first when it is needed
        self.pin.pin_accepted.connect(steps.pay)
        self.pin.operator_accepted.connect(lambda: self.go("settings", replace=True))
        self.result.new_payment_requested.connect(steps.new_payment)
        self.settings_screen.saved.connect(self.settings_controller.apply)

    def _follow_language(self) -> None:
        """Our texts and Qt's own dialogs and menus follow the window's language."""
        self.ctx.language.changed.connect(self.retranslate)
        self.qt_texts = QtTexts.shared()
        self.qt_texts.apply(self.ctx.language.code)
        self.ctx.language.changed.connect(self.qt_texts.apply)

    def _install_keyboard(self) -> None:
        """Escape goes back, Enter activates the default button (``screen.EnterKey``)."""
        self.back_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.back_shortcut.activated.connect(self.back)
        self.enter_key = EnterKey(self, self.nav)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.enter_key)

    def present(self) -> None:
        """Show the window: full screen in kiosk mode, phone-sized otherwise (but never taller or wider
        than the screen's free room, title bar included)."""
        if self.ctx.kiosk:
            self.showFullScreen()
            self.activateWindow()  # a booth's keyboard types into the kiosk before anyone touches it
            return
        room = self.screen().availableGeometry()
        self.resize(min(self.width(), room.width()), min(self.height(), room.height() - TITLE_ROOM))
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

    def _screen_changed(self, _previous: str, name: str) -> None:
        self.screen_changed.emit(name)

    # the flow (gui/payment_steps.py) -------------------------------------------------------------
    def open_payload(self, text: str, scan: ScanResult | None = None, replace: bool = False) -> None:
        self.steps.open_payload(text, scan, replace)

    def open_image(self, path: str) -> None:
        self.steps.open_image(path)

    def new_payment(self) -> None:
        self.steps.new_payment()

    # language, theme ---------------------------------------------------------------------------
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
        self.kiosk.idle_warning.retranslate()
        for screen in self.screens.values():
            screen.retranslate()

    def _find_cameras(self) -> None:
        find_cameras_for(self._cameras_found)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.scan.stop()
        self.face_check.stop()
        self.scan.adapter.wait_stopped()
        self.face_check.watch.wait_stopped()
        self.kiosk.close()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.enter_key)
        self.services.close()
        super().closeEvent(event)
