"""PIN: a mock 6-digit PIN pad; too many wrong PINs in a row (``context.PinGuard``, 3 by default) lock
it for a while, as banks do. Above the pad the payer sees what the PIN confirms: the prompt names the
total and, when the QR adds a fee or a tip, the line under the dots says ``100.000 + 50.000 = 150.000 ₫``
until a message takes its place (from the request Review showed, ``PaymentService.preview``; no line
is added, so the pad still fits a 1600x900 screen at 200 %). In kiosk mode the same pad asks for the
operator PIN before Settings."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QSizePolicy

from payer_app.core.amounts import format_vnd
from payer_app.core.charge import cost_line
from payer_app.core.refusals import RequestRefused
from payer_app.gui.components import Page, button, plain_label, set_role
from payer_app.gui.context import AppContext
from payer_app.gui.flow_controls import add_cancel, fee_row

PIN_LENGTH = 6


class PinScreen(Page):
    """The payment PIN; with ``ask_operator()`` the kiosk operator's PIN that opens Settings."""

    pin_accepted = Signal()
    operator_accepted = Signal()

    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True, action_text=" ", scroll=False)
        self.ctx = ctx
        self.cancel_button = add_cancel(self)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.body.addStretch(1)
        self.prompt = plain_label("", "section")
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.prompt)
        dots = QHBoxLayout()
        dots.setSpacing(14)
        dots.addStretch(1)
        self.dots = []
        for _ in range(PIN_LENGTH):
            d = plain_label("", "pin-dot", wrap=False)
            self.dots.append(d)
            dots.addWidget(d)
        dots.addStretch(1)
        self.body.addLayout(dots)
        self.message = plain_label("", "error")
        self.message.setObjectName("PinMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.message)
        self.demo_hint = plain_label("", "caption")
        self.demo_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.demo_hint)
        self.body.addStretch(1)
        self.body.setSpacing(8)  # the pad fits a 1600x900 screen at 200 % (tests/test_gui_fits.py)
        self.body.setContentsMargins(16, 8, 16, 16)
        self.bottom.setContentsMargins(0, 0, 0, 0)  # nothing at the bottom: no margin there either
        grid = QGridLayout()
        grid.setSpacing(8)
        self.keys = {}
        for i, label in enumerate("123456789"):
            self.keys[label] = button(label, "key", f"Key{label}")
            grid.addWidget(self.keys[label], i // 3, i % 3)
        self.keys["0"] = button("0", "key", "Key0")
        grid.addWidget(self.keys["0"], 3, 1)
        self.keys["del"] = button("⌫", "key", "KeyDelete")
        grid.addWidget(self.keys["del"], 3, 2)
        for label, b in self.keys.items():
            b.clicked.connect(lambda _=False, k=label: self.press(k))
            b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)  # taller when there is room
        self.body.addLayout(grid)
        self.digits = ""
        self.busy = False
        self.operator = False
        self._message: tuple[str, dict] | None = None
        self.total_text = ""  # the total the PIN confirms (empty for the operator PIN)
        self.breakdown_text = ""  # with a fee or tip: 100.000 + 50.000 = 150.000 ₫
        self._lock_timer = QTimer(self)
        self._lock_timer.setInterval(500)
        self._lock_timer.timeout.connect(self._tick_lock)
        self.retranslate()

    def retranslate(self) -> None:
        t = self.ctx.t
        self.top.set_title(t("pin.operator_title") if self.operator else t("pin.title"))
        self.cancel_button.setText(t("common.cancel"))
        self._find_cost()
        self.prompt.setText(t("pin.operator_prompt") if self.operator else
                            t("pin.prompt_total", total=self.total_text) if self.total_text else t("pin.prompt"))
        self.demo_hint.setText(t("pin.demo_hint", pin=self.ctx.settings.pin))
        self.demo_hint.setVisible(not self.operator)  # the operator's PIN is never shown
        self.keys["del"].setToolTip(t("pin.delete"))
        self._show_message()

    def _find_cost(self) -> None:
        """The total and the fee or tip of the request the PIN will sign (none for the operator PIN)."""
        flow, service = self.ctx.flow, self.ctx.service
        request = None
        if not self.operator and flow.parsed is not None and flow.choice is not None and service is not None:
            try:
                request = service.preview(flow.parsed, flow.choice)
            except RequestRefused:  # Review let no such choice through; nothing to show then
                request = None
        cost = request.cost if request is not None else None
        self.total_text = format_vnd(cost.total) if cost is not None else ""
        self.breakdown_text = ""
        if request is not None and cost is not None and cost.fee:
            self.breakdown_text = f"{fee_row(self.ctx.t, cost, None)[0]}: {cost_line(request.amount, cost)}"

    @property
    def guard(self):
        return self.ctx.operator_guard if self.operator else self.ctx.pin_guard

    def ask_operator(self) -> None:
        """The next PIN entered is the operator's (the window then opens Settings)."""
        self.operator = True
        self.retranslate()

    def on_leave(self) -> None:
        if not self.busy:  # Back or Cancel right after the sixth digit: its pending check finds no PIN
            self.digits = ""
        if self.operator:
            self.operator = False
            self.retranslate()

    def on_enter(self) -> None:
        self.retranslate()  # the prompt names this payment's total
        self.reset()
        self.setFocus()  # digits typed on the keyboard go to the pad

    def can_leave(self) -> bool:
        return not self.busy  # a payment on its way is not abandoned half-sent

    def reset(self) -> None:
        self.digits = ""
        self.busy = False
        self._message = None
        self._refresh()
        self._tick_lock()

    def _refresh(self) -> None:
        for i, dot in enumerate(self.dots):
            set_role(dot, "pin-dot-on" if i < len(self.digits) else "pin-dot")
        locked = self.guard.seconds_locked() > 0
        for b in self.keys.values():
            b.setEnabled(not locked and not self.busy)
        self._show_message()

    def _show_message(self) -> None:
        if self._message is None:  # nothing to warn about: the fee or tip, when there is one
            set_role(self.message, "caption")
            self.message.setText(self.breakdown_text)
            return
        key, values = self._message
        set_role(self.message, "hint" if key == "pin.sending" else "error")
        self.message.setText(self.ctx.t(key, **values))

    def press(self, key: str) -> None:
        if self.busy or self.guard.seconds_locked():
            return
        if key == "del":
            self.digits = self.digits[:-1]
        elif len(self.digits) < PIN_LENGTH:
            self.digits += key
        self._refresh()
        if len(self.digits) == PIN_LENGTH:
            QTimer.singleShot(120, self._check)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        text = event.text()
        if text and text.isdigit():
            self.press(text)
        elif event.key() == Qt.Key.Key_Backspace:
            self.press("del")
        else:
            super().keyPressEvent(event)

    def _check(self) -> None:
        if len(self.digits) != PIN_LENGTH:
            return
        entered, self.digits = self.digits, ""
        outcome = self.guard.check(entered)
        if outcome == "ok" and self.operator:
            self._message = None
            self._refresh()
            self.operator_accepted.emit()
            return
        if outcome == "ok":
            self.busy = True
            self._message = ("pin.sending", {})
            self._refresh()
            self.pin_accepted.emit()
            return
        if outcome == "wrong":
            self._message = ("pin.wrong", {"left": self.guard.attempts_left})
        self._refresh()
        self._tick_lock()

    def _tick_lock(self) -> None:
        seconds = self.guard.seconds_locked()
        if seconds:
            self._message = ("pin.locked", {"tries": self.guard.attempts, "seconds": seconds})
            if not self._lock_timer.isActive():
                self._lock_timer.start()
        else:
            self._lock_timer.stop()
            if self._message and self._message[0] == "pin.locked":
                self._message = None
        self._refresh_keys_only()
        self._show_message()

    def _refresh_keys_only(self) -> None:
        locked = self.guard.seconds_locked() > 0
        for b in self.keys.values():
            b.setEnabled(not locked and not self.busy)

    def payment_done(self) -> None:
        self.busy = False
        self._message = None
        self._refresh()
