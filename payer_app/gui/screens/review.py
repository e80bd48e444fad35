"""Review: what will be paid, to whom, from which account, before the PIN.

Everything shown comes from the request that will be signed (``PaymentService.preview``): the
amount, its fee or tip and the total (``100.000 + 50.000 = 150.000 ₫``), the payee block and the
payer's account, so Review cannot say one thing and sign another."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal

from payer_app.core.amount_words import amount_in_words
from payer_app.core.amounts import format_vnd
from payer_app.core.charge import cost_line
from payer_app.core.payee_display import mask_account, payee_display_from_request
from payer_app.core.refusals import RequestRefused
from payer_app.core.request import PaymentRequest
from payer_app.gui.components import Card, Page, button, plain_label
from payer_app.gui.context import AppContext
from payer_app.gui.flow_controls import DetailCard, add_cancel, fee_row


class ReviewScreen(Page):
    confirm_requested = Signal()

    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True, action_text=" ")
        self.ctx = ctx
        self.cancel_button = add_cancel(self)
        top = Card(spacing=4)
        self.amount_caption = plain_label("", "caption")
        self.amount_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.amount = plain_label("", "big-amount")
        self.amount.setObjectName("ReviewAmount")
        self.amount.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.breakdown = plain_label("", "value")  # amount + fee or tip = total, when there is one
        self.breakdown.setObjectName("ReviewBreakdown")
        self.breakdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.words = plain_label("", "words")
        self.words.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for w in (self.amount_caption, self.amount, self.breakdown, self.words):
            top.body.addWidget(w)
        self.body.addWidget(top)
        details = DetailCard(("to", "bank", "account", "customer_code", "purpose", "note", "fee",
                                            "from"), spacing=10)
        self.rows, self.details = details.rows, details
        self.body.addWidget(details)
        self.problem_line = plain_label("", "error")
        self.problem_line.setObjectName("ReviewProblem")
        self.body.addWidget(self.problem_line)
        self.body.addStretch(1)
        self.confirm_button = button("", "primary", "ConfirmButton")
        self.confirm_button.clicked.connect(self.confirm_requested)
        self.bottom.addWidget(self.confirm_button)
        self._default_button = self.confirm_button
        self.request: PaymentRequest | None = None
        self.retranslate()

    def on_enter(self) -> None:
        self.refresh()
        self.confirm_button.setFocus()

    def retranslate(self) -> None:
        t = self.ctx.t
        self.top.set_title(t("review.title"))
        self.cancel_button.setText(t("common.cancel"))
        self.amount_caption.setText(t("review.amount"))
        self.confirm_button.setText(t("review.confirm"))
        self.refresh()

    def refresh(self) -> None:
        t = self.ctx.t
        flow = self.ctx.flow
        service = self.ctx.service
        if flow.parsed is None or flow.choice is None or service is None:
            return
        try:
            self.request = service.preview(flow.parsed, flow.choice)
            self.problem_line.setText("")
        except RequestRefused as exc:  # the amount screen asks the same rules; this is a last guard
            self.request = None
            self.problem_line.setText(exc.text(self.ctx.language.code))
        self.confirm_button.setEnabled(self.request is not None)
        if self.request is None:
            return
        request = self.request
        payee = payee_display_from_request(request.payee)
        cost = request.cost
        self.amount.setText(format_vnd(cost.total))
        self.breakdown.setText(cost_line(request.amount, cost) if cost.fee else "")  # 100.000 + 50.000 = 150.000 ₫
        self.breakdown.setVisible(bool(cost.fee))
        self.words.setText(amount_in_words(cost.total, self.ctx.lang))
        vietqr = request.payee.scheme == "vietqr"
        self.rows["to"].set(t("review.to"), payee.name)
        self.rows["bank"].set(t("payee.bank"), payee.bank)
        self.rows["account"].set(t("payee.account") if vietqr else t("payee.merchant_id"), payee.account)
        self.rows["customer_code"].set(t("payee.customer_code"), flow.parsed.bill.evn_customer_code)
        self.rows["purpose"].set(t("payee.purpose"), request.bill.purpose)
        self.rows["note"].set(t("amount.note"), request.note or None)
        self.rows["fee"].set(*fee_row(t, cost, flow.parsed.fee))
        # the account that is signed, masked the same way everywhere
        self.rows["from"].set(t("review.from"), t("review.payer_account", account=mask_account(request.payer.account)))
        self.details.tidy()
