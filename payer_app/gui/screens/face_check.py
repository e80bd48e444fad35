"""Face check: the simulated biometric step between Review and the PIN, shown when the payment is
above the authentication thresholds (``core/auth_policy.py``: over 10,000,000 ₫ at once or 20,000,000 ₫
in the source account's day; EVN's payees exempt up to 100,000,000 ₫ a day).

The screen says why it is asked (the threshold crossed and the Decision it comes from) and shows an
oval where the payer's face would be. No face detector ships with this build (docs/payments.md,
"Authentication by amount", tells which were looked at and why none fits), so the check is simulated
with every camera: a clearly labelled pair, *Mô phỏng thành công* / *Mô phỏng thất bại*. Success
signs the request with ``auth: biometric`` and goes on to the PIN (``passed``); failure stays here
and says so, nothing is paid. Back returns to Review, Cancel abandons the payment, and in kiosk mode
the window's idle timeout applies here as on every payment step."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from payer_app.core.amounts import format_vnd
from payer_app.core.auth_policy import AuthNeed, AuthPolicy
from payer_app.gui.components import Card, Page, button, button_row, plain_label, set_role, single_clicks_only
from payer_app.gui.context import AppContext
from payer_app.gui.flow_controls import add_cancel


class FaceOval(QWidget):
    """Where the payer's face goes: a dark frame with an oval guide, green once the check passed."""

    def __init__(self):
        super().__init__()
        self.setObjectName("FaceOval")
        self.setMinimumSize(160, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.state = "waiting"  # waiting | failed

    def set_state(self, state: str) -> None:
        self.state = state
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#101418"))
        p.drawRoundedRect(QRectF(0, 0, w, h), 18, 18)
        oval_h = h * 0.8
        oval_w = min(w * 0.6, oval_h * 0.75)
        colour = QColor("#e5484d") if self.state == "failed" else QColor("#f5f7fa")
        pen = QPen(colour, 3, Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QRectF((w - oval_w) / 2, (h - oval_h) / 2, oval_w, oval_h))


class FaceCheckScreen(Page):
    passed = Signal()

    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True, action_text=" ")
        self.ctx = ctx
        self.cancel_button = add_cancel(self)
        self.need: AuthNeed | None = None
        self.failed = False
        card = Card(spacing=6)
        self.why = plain_label("", "section")
        self.why.setObjectName("FaceCheckWhy")
        self.rule = plain_label("", "caption")
        card.body.addWidget(self.why)
        card.body.addWidget(self.rule)
        self.body.addWidget(card)
        self.oval = FaceOval()
        self.body.addWidget(self.oval, 1)
        self.note = plain_label("", "hint")
        self.note.setObjectName("FaceCheckNote")
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.note)
        self.message = plain_label("", "error")
        self.message.setObjectName("FaceCheckMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.message)
        self.simulate_pass = button("", "primary", "SimulatePass")
        self.simulate_fail = button("", "secondary", "SimulateFail")
        self.simulate_pass.clicked.connect(self._pass)
        self.simulate_fail.clicked.connect(self._fail)
        self.bottom.addLayout(button_row(self.simulate_fail, self.simulate_pass))
        single_clicks_only(self, self.simulate_pass, self.simulate_fail)  # a double click on Confirm: not an answer
        # no default button and no focus on one: an Enter meant for Review (pressed twice, or held)
        # must not answer the check; a button is pressed by a click, or Tab to it and Enter
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.retranslate()

    def ask(self, need: AuthNeed) -> None:
        """The check this payment needs (``PaymentService.auth_need``), before the screen is shown."""
        self.need = need
        self.retranslate()

    def on_enter(self) -> None:
        self.failed = False
        self.oval.set_state("waiting")
        self._show_message()
        self.setFocus()

    def retranslate(self) -> None:
        t = self.ctx.t
        self.top.set_title(t("face.title"))
        self.cancel_button.setText(t("common.cancel"))
        policy = AuthPolicy.bundled()
        need = self.need
        if need is not None and need.reason == "day-total":
            self.why.setText(t("face.why_day", day_total=format_vnd(need.day_total),
                               limit=format_vnd(policy.biometric_above_day_total)))
        else:
            total = format_vnd(need.total) if need is not None else ""
            self.why.setText(t("face.why_one", total=total, limit=format_vnd(policy.biometric_above_one_payment)))
        self.rule.setText(t("face.rule"))
        self.note.setText(t("face.simulated"))
        self.simulate_pass.setText(t("face.simulate_pass"))
        self.simulate_fail.setText(t("face.simulate_fail"))
        self._show_message()

    def _show_message(self) -> None:
        set_role(self.message, "error")
        self.message.setText(self.ctx.t("face.failed") if self.failed else "")
        self.message.setVisible(self.failed)

    def _pass(self) -> None:
        self.failed = False
        self._show_message()
        self.passed.emit()

    def _fail(self) -> None:
        self.failed = True
        self.oval.set_state("failed")
        self._show_message()
