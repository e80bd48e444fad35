"""What a demo booth needs around the phone: the idle warning, the big-screen frame, the operator PIN,
and the timers that bring the booth back to Home.

``KioskTimers`` owns the kiosk's clocks: after ``kiosk_idle_seconds`` without a touch or a key the
idle warning counts down ``kiosk_warning_seconds`` and then starts a new payment; the receipt
returns to Home after ``kiosk_result_seconds``; neither fires while a dialog, Settings or a payment
on its way is in front of the visitor. It also opens the hidden Settings (a long press on Home's
greeting, or Ctrl+Alt+S, then the operator PIN). Outside kiosk mode its timers never start.

``IdleWarning`` is a banner over the window (not a modal dialog) that counts down before the kiosk
returns to Home; any touch or key cancels it. ``BoothFrame`` centres the phone on a large screen and
scales it up (the stylesheet's sizes are scaled by ``theme.stylesheet(..., scale)``) instead of
stretching the phone layout over a mostly empty 1920x1080 screen. ``operator_pin_set`` tells
whether an operator PIN opens Settings (there is no default PIN: until one is set with
``payer-app settings operator-pin``, Settings stay locked).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QInputEvent, QKeySequence, QShortcut, QWindowStateChangeEvent
from PySide6.QtWidgets import QApplication, QDialog, QFrame, QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from payer_app.core.amounts import format_vnd
from payer_app.core.operator_pin import is_stored_pin
from payer_app.core.timestamps import format_timestamp
from payer_app.gui.components import button, plain_label
from payer_app.gui.context import AppContext, operator_guard
from payer_app.gui.payment_runner import RESEND_SECONDS, PendingResender
from payer_app.gui.settings import load_settings
from payer_app.gui.startup_enrolment import KioskVisits

log = logging.getLogger(__name__)

PHONE_SIZE = (400, 820)
MAX_SCALE = 2.5
LONG_PRESS_MS = 1500


def now_stamp() -> str:
    """Now, in the form a payment's ``created_at`` is stored in (UTC, to the second)."""
    return format_timestamp(datetime.now(UTC))


def operator_pin_set(ctx: AppContext) -> bool:
    """True when an operator PIN is set. None in the window's settings: the settings file is read
    again (``payer-app settings operator-pin`` may have set one since the window opened), and a PIN
    found there is taken (only the PIN: the rest of the window's settings stay as they are)."""
    if is_stored_pin(ctx.settings.operator_pin_hash):
        return True
    stored = load_settings().operator_pin_hash
    if not is_stored_pin(stored):
        return False
    ctx.settings.operator_pin_hash = stored
    ctx.operator_guard = operator_guard(ctx.settings)
    return True


class IdleWarning(QFrame):
    """'Still there?' with a countdown; ``expired`` when it reaches zero, ``dismissed`` on a tap."""

    expired = Signal()
    dismissed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("IdleWarning")
        col = QVBoxLayout(self)
        col.setContentsMargins(20, 18, 20, 18)
        col.setSpacing(10)
        self.title = plain_label("", "section")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.countdown = plain_label("", "value")
        self.countdown.setObjectName("IdleCountdown")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stay_button = button("", "primary", "StillHereButton")
        self.stay_button.clicked.connect(self.dismiss)
        col.addWidget(self.title)
        col.addWidget(self.countdown)
        col.addWidget(self.stay_button)
        self.seconds_left = 0
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self._tick)
        self.hide()
        self.retranslate()

    @property
    def active(self) -> bool:
        return self.ticker.isActive()

    def start(self, seconds: int) -> None:
        self.seconds_left = max(1, seconds)
        self.retranslate()
        self._place()
        self.show()
        self.raise_()
        self.ticker.start()

    def dismiss(self) -> None:
        was_active = self.active
        self.stop()
        if was_active:
            self.dismissed.emit()

    def stop(self) -> None:
        self.ticker.stop()
        self.hide()

    def retranslate(self) -> None:
        t = self.ctx.t
        self.title.setText(t("kiosk.idle_title"))
        self.countdown.setText(t("kiosk.idle_countdown", seconds=self.seconds_left))
        self.stay_button.setText(t("kiosk.still_here"))

    def _tick(self) -> None:
        self.seconds_left -= 1
        if self.seconds_left <= 0:
            self.stop()
            self.expired.emit()
            return
        self.retranslate()

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        width = min(max(280, parent.width() // 3), parent.width() - 32)
        self.setFixedWidth(width)
        self.adjustSize()
        self.move((parent.width() - width) // 2, (parent.height() - self.height()) // 2)


class BoothFrame(QWidget):
    """The phone centred on a big screen, scaled to the screen's height; ``scale_changed(scale)``."""

    scale_changed = Signal(float)

    def __init__(self, phone: QWidget):
        super().__init__()
        self.setObjectName("Booth")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)  # the booth colour around the phone
        self.phone = phone
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        row.addWidget(phone)
        row.addStretch(1)
        phone.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.scale = 1.0

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        w, h = self.width(), self.height()
        scale = max(1.0, min(MAX_SCALE, h / PHONE_SIZE[1], w / PHONE_SIZE[0]))
        self.phone.setFixedSize(int(PHONE_SIZE[0] * scale), min(h, int(PHONE_SIZE[1] * scale)))
        if abs(scale - self.scale) > 0.01:
            self.scale = scale
            self.scale_changed.emit(scale)


class ActivityWatcher(QObject):
    """Counts user input (kiosk idle timer) and spots long presses on ``long_press_target``. In a booth
    it watches the whole application (a dialog too); outside one, only the greeting (``KioskTimers``)."""

    activity = Signal()
    long_press = Signal()

    def __init__(self, long_press_target=None, parent: QObject | None = None):
        super().__init__(parent)
        self.target = long_press_target
        self.press_timer = QTimer(self)
        self.press_timer.setSingleShot(True)
        self.press_timer.setInterval(LONG_PRESS_MS)
        self.press_timer.timeout.connect(self.long_press)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        # every event of the application passes here: the class check (no call into Qt) lets all but
        # input events go at once; asking an event its type() makes an enum object, which costs more
        if not isinstance(event, QInputEvent):
            return False
        kind = event.type()
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.Wheel,
                    QEvent.Type.TouchBegin):
            self.activity.emit()
        if kind == QEvent.Type.MouseButtonPress and self.target is not None and obj is self.target:
            self.press_timer.start()
        elif kind == QEvent.Type.MouseButtonRelease:
            self.press_timer.stop()
        return False


RESTORE_AGAIN_MS = 300  # a second raise of the front window, once the window manager has shown both again


# The events KioskGuard acts on (the window manager's close, a minimise); PySide6 hands a filter each
# event as its own class
WATCHED_BY_GUARD = (QCloseEvent, QWindowStateChangeEvent)


class KioskGuard(QObject):
    """Kiosk mode: the window manager's close of the window (Alt+F4) is refused, and the window, or a
    dialog of it, minimised by the window manager (its title bar, a key, "show desktop") comes
    straight back, so a visitor never faces a bare desktop."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if not isinstance(event, WATCHED_BY_GUARD):  # most events of the application: let go at once
            return False
        if obj is self.window and event.type() == QEvent.Type.Close and event.spontaneous():
            # the window manager's close (Alt+F4, a title bar): the operator stops the kiosk from its
            # terminal (Ctrl+C, SIGTERM), which closes the window from inside
            event.ignore()
            log.info("kiosk: the window manager's close is refused")
            return True
        if event.type() != QEvent.Type.WindowStateChange or not isinstance(obj, QWidget) or not obj.isWindow():
            return False
        if obj is not self.window and obj.parentWidget() is not self.window:
            return False
        if obj.windowState() & Qt.WindowState.WindowMinimized:
            log.info("kiosk: %s was minimised, shown again", "the window" if obj is self.window else "a dialog")
            QTimer.singleShot(0, lambda: self._restore(obj))
        return False

    def _restore(self, widget: QWidget) -> None:
        if widget is self.window:
            widget.showFullScreen()
        else:
            widget.showNormal()
        # the window manager may minimise a dialog and its window together, in either order: whichever
        # comes back last, an open dialog ends up in front with the keyboard, as before the minimise
        dialog = self._open_dialog()
        front = dialog if dialog is not None else self.window
        front.raise_()
        front.activateWindow()
        if front is not widget:  # the other one's restore may still be on its way
            QTimer.singleShot(RESTORE_AGAIN_MS, lambda: self._bring_forward(front))

    def _open_dialog(self) -> QWidget | None:
        for child in self.window.findChildren(QWidget):
            if child.isWindow() and child.isVisible() and child.parentWidget() is self.window \
                    and not child.windowState() & Qt.WindowState.WindowMinimized:
                return child
        return None

    @staticmethod
    def _bring_forward(widget: QWidget) -> None:
        if widget.isVisible() and not widget.isActiveWindow():
            widget.raise_()
            widget.activateWindow()


class KioskTimers(QObject):
    """The idle reset (warning first), the receipt's return to Home and the hidden Settings of a window
    (``gui/main_window.py``): its navigator, its Home, PIN, Result and Entry screens and its toast."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ctx = window.ctx
        self.idle_warning = IdleWarning(self.ctx, window)
        self.idle_warning.expired.connect(self._idle_expired)
        self.idle_warning.dismissed.connect(self.restart_idle)
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.timeout.connect(self._idle_timeout)
        self.result_timer = QTimer(self)
        self.result_timer.setInterval(1000)
        self.result_timer.timeout.connect(self._result_tick)
        self._result_left = 0
        self.watcher = ActivityWatcher(window.home.greeting, self)
        self.watcher.activity.connect(self._user_active)
        self.watcher.long_press.connect(self.open_hidden_settings)
        self.guard = KioskGuard(window) if self.ctx.kiosk else None
        app = QApplication.instance()
        if self.guard is not None and app is not None:  # a booth: a touch or a key anywhere, a dialog too, is activity
            app.installEventFilter(self.watcher)
            app.installEventFilter(self.guard)
        else:  # outside a booth nothing times out: only the greeting's long press is watched
            window.home.greeting.installEventFilter(self.watcher)
        self.settings_shortcut = QShortcut(QKeySequence("Ctrl+Alt+S"), window)
        self.settings_shortcut.activated.connect(self.open_hidden_settings)
        window.nav.changed.connect(lambda _previous, _name: self.restart_idle())
        window.scan.camera_ready.connect(self.restart_idle)  # the visitor's wait for the camera is over
        window.nav.changed.connect(self._visitor_gone)
        self.resender = PendingResender(window.services, self)  # a pending payment is sent again
        window.payment_finished.connect(self._payment_shown)
        self.resender.waiting.connect(self._still_waiting)
        self.resender.answered.connect(self._resent_answered)
        if self.ctx.kiosk:
            self.resender.resume()
        self.visits = KioskVisits(window)  # each visitor's own account (kiosk mode only)
        self.ctx.visit_started = now_stamp()  # Home and History list nothing from before this visit

    @property
    def current(self) -> str:
        return self.window.nav.current

    def restart_idle(self) -> None:
        self.idle_warning.stop()
        if self.ctx.kiosk and self.current != "home":
            self.idle_timer.start(self.ctx.settings.kiosk_idle_seconds * 1000)
        else:
            self.idle_timer.stop()

    def start_receipt_countdown(self) -> None:
        """The receipt is shown: back to Home after ``kiosk_result_seconds`` (kiosk mode only)."""
        if self.ctx.kiosk:
            self._result_left = self.ctx.settings.kiosk_result_seconds
            self.window.result.show_kiosk_countdown(self._result_left)
            self.result_timer.start()

    def stop_receipt_countdown(self) -> None:
        self.result_timer.stop()
        self.window.result.show_kiosk_countdown(0)

    def _user_active(self) -> None:
        if not self.ctx.kiosk:
            return
        if self.idle_warning.active:
            self.idle_warning.dismiss()  # a touch or a key: the visitor is still there
        elif self.idle_timer.isActive():
            self.idle_timer.start(self.ctx.settings.kiosk_idle_seconds * 1000)

    def _busy_with_user(self) -> bool:
        """A payment on its way, or Scan's camera still opening (the visitor waits for the kiosk, not
        the other way round): no automatic reset now. (A dialog or Settings left open do time out:
        a touch or a key anywhere, in a dialog too, restarts the idle time.)"""
        w = self.window
        return (self.current == "pin" and w.pin.busy) or (self.current == "scan" and w.scan.waiting_for_camera)

    def _dialog_open(self) -> bool:
        w = self.window
        return any(d is not None and d.isVisible() for d in (w.result.dialog, w.entry.dialog))

    def close_dialogs(self) -> None:
        """Every dialog of the window closes (the warning and the next visitor see the phone)."""
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible() and widget.parentWidget() is self.window:
                widget.reject()

    def _idle_timeout(self) -> None:
        """Idle for kiosk_idle_seconds: warn with a countdown first (the reset comes after it)."""
        if self._busy_with_user():
            self.restart_idle()
            return
        self.close_dialogs()
        self.idle_warning.start(self.ctx.settings.kiosk_warning_seconds)

    def _idle_expired(self) -> None:
        if self._busy_with_user():
            self.restart_idle()
            return
        self.close_dialogs()
        self.ctx.pin_guard.failures = 0  # the visitor has gone: the next one gets every try (a lock runs on)
        self.next_visitor()

    def next_visitor(self) -> None:
        """The visitor has gone (idle, or the receipt's time is up): Home, and a new account for the
        next visitor (``startup_enrolment.KioskVisits``), who sees none of the earlier visitors' payments."""
        if self.ctx.kiosk:
            self.ctx.visit_started = now_stamp()
        self.window.new_payment()
        if self.ctx.kiosk:
            self.visits.start()

    def _visitor_gone(self, _previous: str, name: str) -> None:
        """Home in kiosk mode: the next visitor starts with nothing of the previous one on the clipboard
        (and sees that an earlier payment still waits for the bank, if one does)."""
        if self.ctx.kiosk and name == "home":
            QGuiApplication.clipboard().clear()
            self._still_waiting(self.resender.waiting_count)

    # a pending payment, sent again by itself (gui/payment_runner.PendingResender) ----------------
    def _payment_shown(self, outcome) -> None:
        """A payment's receipt is on screen: a kiosk keeps a pending one and sends it again."""
        if self.ctx.kiosk:
            self.resender.follow(outcome)

    def _shown_outcome(self):
        """The payment whose receipt is on screen (None on any other screen)."""
        return self.ctx.flow.outcome if self.current == "result" else None

    def _still_waiting(self, count: int) -> None:
        shown = self._shown_outcome()
        if shown is not None and shown.status == "pending":
            self.window.result.show_resending(RESEND_SECONDS)
        elif count > 0 and self.current == "home":
            # shown until the next round says it again (or says it is answered)
            self.window.toast.show_message(self.ctx.t("kiosk.pending_waiting", count=count),
                                           (RESEND_SECONDS + 2) * 1000)

    def _resent_answered(self, outcome) -> None:
        """The answer of a payment sent again: on its receipt if that is still on screen (which then
        stays its full time), else in a message over whatever screen is shown."""
        shown = self._shown_outcome()
        if shown is not None and shown.request_id == outcome.request_id:
            self.window.result.show_answer(outcome)
            self.start_receipt_countdown()
            return
        request = outcome.request
        amount = format_vnd(request.cost.total) if request is not None else ""
        self.window.toast.show_message(
            self.ctx.t("kiosk.pending_answered", amount=amount, status=self.ctx.t(f"status.{outcome.status}")),
            self.ctx.settings.kiosk_result_seconds * 1000)

    def _result_tick(self) -> None:
        if self.current != "result":
            self.result_timer.stop()
            return
        if self._dialog_open():
            return  # the countdown waits while the visitor uses a dialog (the idle time still runs)
        self._result_left -= 1
        if self._result_left <= 0:
            self.result_timer.stop()
            self.next_visitor()
            return
        self.window.result.show_kiosk_countdown(self._result_left)

    def open_hidden_settings(self) -> None:
        """Kiosk: Settings behind a long press / Ctrl+Alt+S and the operator PIN."""
        if self.current not in ("home", "scan"):
            return
        if self.ctx.kiosk and not operator_pin_set(self.ctx):
            self.window.toast.show_message(self.ctx.t("kiosk.settings_locked"), 10_000)  # no PIN: stays locked
        elif self.ctx.kiosk:
            self.window.pin.ask_operator()
            self.window.go("pin")
        else:
            self.window.go("settings")

    def close(self) -> None:
        self.resender.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.watcher)
            if self.guard is not None:
                app.removeEventFilter(self.guard)
