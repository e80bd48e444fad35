"""Review: what will be paid, to whom, before the PIN."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal

from payer_app.core.amount_words import amount_in_words
from payer_app.core.amounts import format_vnd
from payer_app.gui.components import Card, InfoRow, Screen, button, divider, mask_account, plain_label
from payer_app.gui.context import AppContext


class ReviewScreen(Screen):
    confirm_requested = Signal()

    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True)
        self.ctx = ctx
        top = Card(spacing=4)
        self.amount_caption = plain_label("", "caption")
        self.amount_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.amount = plain_label("", "big-amount")
        self.amount.setObjectName("ReviewAmount")
        self.amount.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.words = plain_label("", "words")
        self.words.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for w in (self.amount_caption, self.amount, self.words):
            top.body.addWidget(w)
        self.body.addWidget(top)
        details = Card(spacing=10)
        self.rows = {k: InfoRow() for k in ("to", "bank", "customer_code", "purpose", "note", "fee", "from")}
        for i, row in enumerate(self.rows.values()):
            if i:
                details.body.addWidget(divider())
            details.body.addWidget(row)
        self.body.addWidget(details)
        self.body.addStretch(1)
        self.confirm_button = button("", "primary", "ConfirmButton")
        self.confirm_button.clicked.connect(self.confirm_requested)
        self.bottom.addWidget(self.confirm_button)
        self.retranslate()

    def retranslate(self) -> None:
        t = self.ctx.t
        self.top.set_title(t("review.title"))
        self.amount_caption.setText(t("review.amount"))
        self.confirm_button.setText(t("review.confirm"))
        self.refresh()

    def refresh(self) -> None:
        t = self.ctx.t
        flow = self.ctx.flow
        parsed = flow.parsed
        if parsed is None or flow.amount is None:
            return
        self.amount.setText(format_vnd(flow.amount))
        self.words.setText(amount_in_words(flow.amount, self.ctx.lang))
        a, b = parsed.account, parsed.bill
        bank = a.bank_name and f"{a.bank_short_name} – {a.bank_name}"
        self.rows["to"].set(t("review.to"), parsed.merchant.name or mask_account(a.id) or a.id)
        self.rows["bank"].set(t("payee.bank"), bank or (mask_account(a.id) if parsed.scheme == "vietqr" else None))
        self.rows["customer_code"].set(t("payee.customer_code"), b.evn_customer_code)
        self.rows["purpose"].set(t("payee.purpose"), b.purpose)
        self.rows["note"].set(t("amount.note"), flow.note or None)
        self.rows["fee"].set(t("review.fee"), t("review.free"))
        self.rows["from"].set(t("review.from"), t("review.demo_account"))
