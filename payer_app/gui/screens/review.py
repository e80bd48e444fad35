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
from PySide6.QtWidgets import QComboBox, QSizePolicy, QWidget

from payer_app.core.amount_words import amount_in_words
from payer_app.core.amounts import format_vnd
from payer_app.core.auth_policy import BIOMETRIC, PIN
from payer_app.core.charge import cost_line
from payer_app.core.payee_display import mask_account, payee_display_from_request
from payer_app.core.refusals import Refusal, RequestRefused
from payer_app.core.request import PaymentRequest
from payer_app.gui.components import Card, Page, button, plain_label, single_clicks_only
from payer_app.gui.context import AppContext
from payer_app.gui.flow_controls import DetailCard, add_cancel, fee_row
from payer_app.gui.newest_answer import NewestAnswer
from payer_app.gui.plain_text import shown

# A holder's name is at most 50 characters, but 50 of the widest ones (W, or U+FDFD) would make the
# row and the picker wider than the window: names are cut with an ellipsis at this many pixels.
NAME_MAX_PX = 240


class ReviewScreen(Page):
    confirm_requested = Signal()
    funds_shown = Signal()  # the balance (and an over-balance or daily-limit refusal) is on the screen

    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True, action_text=" ")
        self.ctx = ctx
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # holds the keyboard while Confirm is off
        self.cancel_button = add_cancel(self)
        self.amount_card = top = Card(spacing=4)
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
        self.account_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.account_picker.setMinimumContentsLength(12)  # as wide as the page gives it, never wider
        self.account_picker.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.account_picker.activated.connect(self._account_chosen)
        self.account_picker.hide()  # until refresh finds several accounts
        self.body.addWidget(self.account_picker)
        self.problem_line = plain_label("", "error")
        self.problem_line.setObjectName("ReviewProblem")
        self.body.addWidget(self.problem_line)
        self.body.addStretch(1)
        self.confirm_button = button("", "primary", "ConfirmButton")
        self.confirm_button.clicked.connect(self.confirm_requested)
        single_clicks_only(self, self.confirm_button)  # a double click on Amount's Continue: not a confirmation
        self.bottom.addWidget(self.confirm_button)
        self._default_button = self.confirm_button
        self.request: PaymentRequest | None = None
        self._balance_lookup = NewestAnswer("balance-lookup", self)
        self._balance_lookup.answered.connect(self._show_funds)
        self.retranslate()

    def on_enter(self) -> None:
        self.refresh()
        self._focus_confirm()

    def _focus_confirm(self) -> None:
        """The keyboard on Confirm; while Confirm is off (the bank's balance answer not in yet) on the
        screen itself, where Enter presses nothing: never on Back, which a hurried Enter would press."""
        if self.confirm_button.isEnabled():
            self.confirm_button.setFocus()
        else:
            self.setFocus()

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
        if flow.parsed is None or flow.choice is None:
            return
        if service is None:  # e.g. a damaged accounts file: say why, nothing to confirm or pick
            self.account_picker.hide()
            self._show_request(None, Refusal("service-unavailable", problem=self.ctx.service_error))
            return
        self._fill_picker(service)
        try:
            self._show_request(service.preview(flow.parsed, flow.choice, check_funds=False), None)
        except RequestRefused as exc:  # the amount screen asks the same rules; this is a last guard
            self._show_request(None, exc)
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
        from_row = self.rows["from"]
        from_row.set(t("review.from"), f"{masked} · {fitted_name(from_row.value, account.name)}" if account is not None
                              else t("review.payer_account", account=masked))
        biometric = self._auth_step(service) == BIOMETRIC
        self.rows["auth"].set(t("review.auth"), t("review.auth_biometric") if biometric else t("review.auth_pin"))
        self.details.tidy()
        if service.acquirer_url:  # a question to the bank: off the GUI thread, only the newest answer kept
            self.rows["balance"].set(t("review.balance"), None)
            self.confirm_button.setEnabled(False)  # until the bank has answered (or not): no PIN before it
            self._balance_lookup.ask(request, lambda: _balance_or_none(service))
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

    def _show_request(self, request: PaymentRequest | None, refused: Refusal | None) -> None:
        """The request to confirm, or why there is none: its text, Confirm off and no rows (they
        would be an earlier payment's, or empty)."""
        self.request = request
        self.problem_line.setText(refused.text(self.ctx.language.code) if refused is not None else "")
        self.confirm_button.setEnabled(request is not None)
        for card in (self.amount_card, self.details):
            card.setVisible(request is not None)

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
        if self.isVisible() and self.hasFocus():
            self._focus_confirm()
        self.funds_shown.emit()

    def _fill_picker(self, service) -> None:
        """The picker lists the data folder's accounts (shown only when there are several, and never
        in a kiosk)."""
        try:
            accounts = service.accounts.list()
            if service.account is not None and accounts and service.account.id not in {a.id for a in accounts}:
                # the account in use was removed (`payer-app accounts remove`) while the window ran:
                # pay from the one the data folder names now, never from one no longer on the list
                service.use_account((service.accounts.current() or accounts[0]).id)
        except ValueError:  # the accounts file was damaged since the service opened: no picker
            accounts = []
        self.account_picker.blockSignals(True)
        self.account_picker.clear()
        for account in accounts:
            self.account_picker.addItem(f"{account.masked} · {fitted_name(self.account_picker, account.name)}",
                                        account.id)
        current = service.account.id if service.account is not None else None
        self.account_picker.setCurrentIndex(max(0, self.account_picker.findData(current)))
        self.account_picker.blockSignals(False)
        # a booth visitor pays only from the account opened for the visit, never from the operator's
        self.account_picker.setVisible(len(accounts) > 1 and not self.ctx.kiosk)

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


def _balance_or_none(service):
    """The HTTP acquirer's answer for the source account; None when it cannot be had (``balance``
    says None for an acquirer that does not answer; an unusable key file is said when paying)."""
    try:
        return service.balance()
    except Exception:  # noqa: BLE001 - the lookup must answer, so that Confirm comes back
        return None


def fitted_name(widget: QWidget, name: str) -> str:
    """A holder's name as ``widget`` shows it: escaped (``plain_text.shown``), then cut with an
    ellipsis to ``NAME_MAX_PX`` in the widget's font, so one long word cannot widen the screen."""
    widget.ensurePolished()
    return widget.fontMetrics().elidedText(shown(name), Qt.TextElideMode.ElideRight, NAME_MAX_PX)
