"""Review: what will be paid, to whom, from which account, before the PIN.

Everything shown comes from the request that will be signed (``PaymentService.preview``): the
amount, its fee or tip and the total (``100.000 + 50.000 = 150.000 ₫``), the payee block and the
payer's account, so Review cannot say one thing and sign another; and the authentication Confirm
will ask (*Xác thực*: the PIN, or the face check then the PIN), which the request records.

The source account (*Tài khoản nguồn*) is shown as bank apps show it: masked number, the holder's
name and the available balance, with a picker when the data folder has several accounts
(``payments/accounts.py``). A total over the balance or the day's limit is said here, before the PIN:
the refusal's text, and Confirm stays off."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox

from payer_app.core.amount_words import amount_in_words
from payer_app.core.amounts import format_vnd
from payer_app.core.auth_policy import BIOMETRIC, PIN
from payer_app.core.charge import cost_line
from payer_app.core.payee_display import mask_account, payee_display_from_request
from payer_app.core.refusals import Refusal, RequestRefused
from payer_app.core.request import PaymentRequest
from payer_app.gui.components import Card, Page, button, plain_label
from payer_app.gui.context import AppContext
from payer_app.gui.flow_controls import DetailCard, add_cancel, fee_row
from payer_app.gui.newest_answer import NewestAnswer


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
                                            "from", "balance", "auth"), spacing=10)
        self.rows, self.details = details.rows, details
        self.body.addWidget(details)
        self.account_picker = QComboBox()  # several source accounts: choose the one to pay from
        self.account_picker.setObjectName("SourceAccountPicker")
        self.account_picker.activated.connect(self._account_chosen)
        self.body.addWidget(self.account_picker)
        self.problem_line = plain_label("", "error")
        self.problem_line.setObjectName("ReviewProblem")
        self.body.addWidget(self.problem_line)
        self.body.addStretch(1)
        self.confirm_button = button("", "primary", "ConfirmButton")
        self.confirm_button.clicked.connect(self.confirm_requested)
        self.bottom.addWidget(self.confirm_button)
        self._default_button = self.confirm_button
        self.request: PaymentRequest | None = None
        self._balance_lookup = NewestAnswer("balance-lookup", self)
        self._balance_lookup.answered.connect(self._show_funds)
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
        self._fill_picker(service)
        try:
            self.request = service.preview(flow.parsed, flow.choice, check_funds=False)
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
        # the account that is signed, masked the same way everywhere, with its holder's name
        masked = mask_account(request.payer.account)
        account = service.account
        self.rows["from"].set(t("review.from"), f"{masked} · {account.name}" if account is not None
                              else t("review.payer_account", account=masked))
        biometric = self._auth_step(service) == BIOMETRIC
        self.rows["auth"].set(t("review.auth"), t("review.auth_biometric") if biometric else t("review.auth_pin"))
        self.details.tidy()
        if service.acquirer_url:  # a question to the bank: off the GUI thread, only the newest answer kept
            self.rows["balance"].set(t("review.balance"), None)
            self._balance_lookup.ask(request, service.balance)
        else:  # the embedded acquirer's ledger: a local SQLite query, as the history is read
            self._show_funds(request, service.balance())

    def _auth_step(self, service) -> str:
        """``pin`` or ``biometric``: what Confirm will ask (the rule ``PaymentSteps.confirm_review``
        follows, ``PaymentService.auth_need``), which the signed request then records."""
        flow = self.ctx.flow
        if flow.parsed is None or flow.choice is None:
            return PIN
        try:
            need = service.auth_need(flow.parsed, replace(flow.choice, auth=PIN))
        except RequestRefused:
            return PIN
        return BIOMETRIC if need.biometric else PIN

    def _show_funds(self, request: PaymentRequest, state) -> None:
        """The available balance, and the over-balance or daily-limit refusal before the PIN: its text
        on the problem line, Confirm off."""
        service = self.ctx.service
        if request is not self.request or service is None:
            return
        t = self.ctx.t
        self.rows["balance"].set(t("review.balance"), format_vnd(state.balance) if state is not None else None)
        refused = service.funds_refusal(request, state)
        self.problem_line.setText(refused.text(self.ctx.language.code) if refused is not None else "")
        self.confirm_button.setEnabled(refused is None)
        self.details.tidy()

    def _fill_picker(self, service) -> None:
        """The picker lists the data folder's accounts (shown only when there are several)."""
        try:
            accounts = service.accounts.list()
        except ValueError:  # the accounts file was damaged since the service opened: no picker
            accounts = []
        self.account_picker.blockSignals(True)
        self.account_picker.clear()
        for account in accounts:
            self.account_picker.addItem(f"{account.masked} · {account.name}", account.id)
        current = service.account.id if service.account is not None else None
        self.account_picker.setCurrentIndex(max(0, self.account_picker.findData(current)))
        self.account_picker.blockSignals(False)
        self.account_picker.setVisible(len(accounts) > 1)

    def _account_chosen(self, index: int) -> None:
        service = self.ctx.service
        chosen = self.account_picker.itemData(index)
        if service is None or chosen is None or (service.account is not None and service.account.id == chosen):
            return
        try:
            service.use_account(chosen)
        except ValueError as exc:  # AccountsRefused: the accounts file changed under the window
            self.problem_line.setText(exc.text(self.ctx.language.code) if isinstance(exc, Refusal) else str(exc))
            return
        self.refresh()
