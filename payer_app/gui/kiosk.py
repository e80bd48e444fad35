"""What a demo booth needs around the phone: the idle warning, the big-screen frame, the operator PIN.

``IdleWarning`` is a banner over the window (not a modal dialog) that counts down before the kiosk
returns to Home; any touch or key cancels it. ``BoothFrame`` centres the phone on a large screen and
scales it up (the stylesheet's sizes are scaled by ``theme.stylesheet(..., scale)``) instead of
stretching the phone layout over a mostly empty 1920x1080 screen. ``operator_pin_set`` tells
whether an operator PIN opens Settings (there is no default PIN: until one is set with
``payer-app settings operator-pin``, Settings stay locked).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from payer_app.gui.components import button, plain_label
from payer_app.core.operator_pin import is_stored_pin
from payer_app.gui.context import AppContext, operator_guard
from payer_app.gui.settings import load_settings

PHONE_SIZE = (400, 820)
MAX_SCALE = 2.5


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
