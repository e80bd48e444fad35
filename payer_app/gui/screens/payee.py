"""Payee / bill: who is paid, from the parsed QR. Errors stop the flow with a way back to scanning."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPlainTextEdit, QVBoxLayout

from payer_app.core.amounts import format_vnd
from payer_app.core.findings import CHANGES_PAYMENT
from payer_app.core.payability import NOT_PAYMENT, locked_amount, payability
from payer_app.core.payee_display import payee_display
from payer_app.core.refusals import Refusal
from payer_app.gui.components import Card, InfoRow, Page, button, plain_label
from payer_app.gui.context import AppContext
from payer_app.gui.flow_controls import add_cancel, problem_text
from payer_app.gui.plain_text import shown
from payer_app.gui.registered_name import RegisteredNameBox
from payer_app.gui.scam_warning import SCAM_FINDING, ScamWarning


class PayeeScreen(Page):
    continue_requested = Signal()
    rescan_requested = Signal()
    inspector_requested = Signal()

    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True, action_text=" ")
        self.ctx = ctx
        self.cancel_button = add_cancel(self)

        self.error_box = QFrame()
        self.error_box.setObjectName("ErrorBox")
        err_col = QVBoxLayout(self.error_box)
        self.error_title = plain_label("", "section")
        self.error_text = plain_label("")
        self.error_detail = plain_label("", "caption")
        err_col.addWidget(self.error_title)
        err_col.addWidget(self.error_text)
        err_col.addWidget(self.error_detail)
        self.body.addWidget(self.error_box)
        self.scam_warning = ScamWarning(ctx)  # a sticker dressed as an EVN bill: before the payee and the amount
        self.body.addWidget(self.scam_warning)

        self.card = Card()
        head = QHBoxLayout()
        self.avatar = plain_label("", "avatar", wrap=False)
        self.avatar.setAlignment(Qt.AlignmentFlag.AlignCenter)
        head_text = QVBoxLayout()
        head_text.setSpacing(2)
        self.name = plain_label("", "section", selectable=True)
        self.name.setObjectName("PayeeName")
        self.scheme_badge = plain_label("", "badge", wrap=False)
        head_text.addWidget(self.name)
        head_text.addWidget(self.scheme_badge, 0, Qt.AlignmentFlag.AlignLeft)
        head.addWidget(self.avatar)
        head.addLayout(head_text, 1)
        self.card.body.addLayout(head)
        self.registered = RegisteredNameBox(ctx)  # Tên chủ tài khoản, from the acquirer (gui/registered_name.py)
        self.registered.blocks_payment_changed.connect(self._registered_name_blocks)
        self.card.body.addWidget(self.registered)
        self.rows = {key: InfoRow() for key in (
            "bank", "merchant", "city", "account", "merchant_id", "customer_code", "corporation",
            "bill_number", "purpose", "amount_fixed")}
        for row in self.rows.values():
            self.card.body.addWidget(row)
        self.initiation = plain_label("", "hint")
        self.card.body.addWidget(self.initiation)
        self.body.addWidget(self.card)

        self.warning_box = QFrame()
        self.warning_box.setObjectName("WarningBox")
        warn_col = QVBoxLayout(self.warning_box)
        self.warning_title = plain_label("", "section")
        self.warning_text = plain_label("")
        self.warning_text.setObjectName("Warnings")
        warn_col.addWidget(self.warning_title)
        warn_col.addWidget(self.warning_text)
        self.body.addWidget(self.warning_box)

        self.raw_caption = plain_label("", "caption")
        self.raw_text = QPlainTextEdit()  # wraps anywhere: a payload is one long word
        self.raw_text.setObjectName("ScannedText")
        self.raw_text.setReadOnly(True)
        self.raw_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.raw_text.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.raw_text.setMaximumHeight(110)
        self.body.addWidget(self.raw_caption)
        self.body.addWidget(self.raw_text)
        self.body.addStretch(1)

        self.inspector_button = button("", "link", "InspectorButton")
        self.inspector_button.clicked.connect(self.inspector_requested)
        self.continue_button = button("", "primary", "ContinueButton")
        self.continue_button.clicked.connect(self._continue)
        self.rescan_button = button("", "secondary", "RescanButton")
        self.rescan_button.clicked.connect(self.rescan_requested)
        self.bottom.addWidget(self.inspector_button)
        self.bottom.addWidget(self.continue_button)
        self.bottom.addWidget(self.rescan_button)
        self.problem: Refusal | None = None
        self._default_button = self.continue_button
        self.setTabOrder(self.continue_button, self.rescan_button)
        self.retranslate()

    def on_enter(self) -> None:
        default = self.default_button()
        if default is not None:
            default.setFocus()

    def retranslate(self) -> None:
        t = self.ctx.t
        self.top.set_title(t("payee.title"))
        self.cancel_button.setText(t("common.cancel"))
        self.error_title.setText(t("payee.error_title"))
        self.warning_title.setText(t("payee.warnings"))
        self.inspector_button.setText(t("payee.inspector"))
        self.continue_button.setText(t("common.continue"))
        self.rescan_button.setText(t("payee.scan_again"))
        self.raw_caption.setText(t("payee.scanned_text"))
        self.show_parsed(self.ctx.flow.parsed)

    def show_parsed(self, parsed) -> None:
        t = self.ctx.t
        if parsed is None:
            return
        self.problem = problem = payability(parsed, self.ctx.limits)
        blocked = problem is not None
        self.error_box.setVisible(blocked)
        self.continue_button.setVisible(not blocked)
        self.rescan_button.setVisible(True)
        self._default_button = self.rescan_button if blocked else self.continue_button
        if problem is not None:
            self.error_text.setText(problem_text(self.ctx, problem))
            # a text that is no payment QR at all is shown as scanned below; the finding would only repeat it
            detail = None if problem.code == NOT_PAYMENT else problem.detail(self.ctx.language.code)
            self.error_detail.setText(detail or "")
            self.error_detail.setVisible(bool(detail))
        self.card.setVisible(parsed.is_payment)
        m, b = parsed.merchant, parsed.bill
        evn = parsed.scheme == "evn"
        payee = payee_display(parsed)
        self.name.setText(payee.name)
        self.avatar.setText(payee.initial)
        self.scheme_badge.setText(t(f"scheme.{parsed.scheme}") if parsed.scheme else "")
        self.scheme_badge.setVisible(bool(parsed.scheme))
        bank = payee.bank
        corp = self.ctx.language.pick(b.evn_corporation_name_vi, b.evn_corporation_name)
        self.rows["bank"].set(t("payee.biller") if evn else t("payee.bank"), "EVN" if evn and not bank else bank)
        self.rows["merchant"].set(t("payee.merchant"), m.name)
        self.rows["city"].set(t("payee.city"), m.city)
        vietqr = parsed.scheme == "vietqr"
        self.rows["account"].set(t("payee.account"), payee.account if vietqr else None)
        self.rows["merchant_id"].set(t("payee.merchant_id"), None if vietqr else payee.account)
        self.rows["customer_code"].set(t("payee.customer_code"), b.evn_customer_code)
        self.rows["corporation"].set(t("payee.corporation"),
                                     f"{b.evn_corporation} – {corp}" if b.evn_corporation else None)
        self.rows["bill_number"].set(t("payee.bill_number"), b.bill_number)
        self.rows["purpose"].set(t("payee.purpose"), b.purpose)
        fixed = locked_amount(parsed)
        self.rows["amount_fixed"].set(t("payee.amount_fixed"), format_vnd(fixed) if fixed is not None else None)
        self.initiation.setText(t("payee.dynamic") if parsed.initiation == "dynamic" else
                                t("payee.static") if parsed.initiation == "static" else "")
        self.scam_warning.show_for(parsed)
        # the scam finding is shown above, in red; standards warnings help a QA engineer (the Inspector
        # lists them), not a payer who cannot act on them
        warnings = [w for w in parsed.warnings if w.code in CHANGES_PAYMENT and w.code != SCAM_FINDING]
        self.warning_box.setVisible(bool(warnings) and not blocked and not self.ctx.kiosk)
        self.warning_text.setText("\n".join(
            "• " + (self.ctx.language.pick(w.message_vi, w.message) or "") for w in warnings))
        self.raw_text.setPlainText(shown(parsed.raw, 2000))
        self.raw_caption.setVisible(blocked)
        self.raw_text.setVisible(blocked)
        self.registered.show_for(parsed, blocked)
        self._registered_name_blocks(self.registered.blocks_payment)

    def _continue(self) -> None:
        """On to Amount, keeping what the name inquiry showed (None while it is still looking) for the request."""
        self.ctx.flow.name_check = self.registered.name_check
        self.continue_requested.emit()

    def _registered_name_blocks(self, no_such_account: bool) -> None:
        """An account the bank says does not exist cannot be paid: Continue goes, Scan again is the way on."""
        can_pay = self.problem is None and not no_such_account
        self.continue_button.setVisible(can_pay)
        self._default_button = self.continue_button if can_pay else self.rescan_button
