"""EVN bills: "Số tiền cần thanh toán" (the amount due) as the first chip on the Amount screen
(shown by ``AmountScreen.show_amount_due``; the screen builds and places it).

When a payment flow holds an EVN bill (static QR with a customer code), the window's payment
service asks the acquirer's bill lookup (``PaymentService.outstanding_bill``, ``GET
/v1/bills/{code}`` on an HTTP acquirer, the embedded biller otherwise) on a worker thread, as soon
as the payee screen (or, for a saved bill, the Amount screen) is shown. The answer arrives by signal
and is shown only if that flow is still the one on screen. No bill service, no answer, an unknown
code: no chip and no error. The chip only fills the field; the payer can still type any amount.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QObject, Signal

from payer_app.core.display_text import visible
from payer_app.core.payability import locked_amount
from payer_app.gui.newest_answer import NewestAnswer
from payer_app.payments.biller import OutstandingBill


def local_date(iso: str) -> str:
    """``2026-12-24`` as printed on a Vietnamese bill: ``24/12/2026`` (anything else as it came, escaped)."""
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y")
    except ValueError:
        return visible(iso, 20)


def _outstanding(service, code: str) -> OutstandingBill | None:
    """The acquirer's bill for ``code``; None when it has none or does not answer (no chip, no error)."""
    try:
        return service.outstanding_bill(code)
    except Exception:  # noqa: BLE001 - a lookup that fails is no chip, never an error
        return None


class AmountDueLookup(QObject):
    """Asks for the bill of the flow on screen (``NewestAnswer``) and shows the chip."""

    answered = Signal(object, object)  # the PaymentFlow asked for, OutstandingBill | None

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ctx = window.ctx
        self.screen = window.amount
        self._asked_for = None  # the flow whose bill was asked for
        self.answer: tuple[object, OutstandingBill | None] | None = None
        self._lookup = NewestAnswer("bill-lookup", self)
        self._lookup.answered.connect(self.answered)
        self.answered.connect(self._answered)
        window.nav.changed.connect(self._screen_changed)
        self.ctx.language.changed.connect(lambda _code: self.show_current())

    @property
    def bill(self) -> OutstandingBill | None:
        """The bill of the flow on screen, once the acquirer has answered."""
        if self.answer is not None and self.answer[0] is self.ctx.flow:
            return self.answer[1]
        return None

    def _screen_changed(self, _previous: str, name: str) -> None:
        if name in ("payee", "amount"):
            self.ask()
        if name == "amount":
            self.show_current()

    def ask(self) -> None:
        flow = self.ctx.flow
        parsed = flow.parsed
        service = self.ctx.service
        if flow is self._asked_for or parsed is None or service is None:
            return
        code = parsed.bill.evn_customer_code
        if not code or locked_amount(parsed) is not None:
            return
        self._asked_for = flow
        self._lookup.ask(flow, lambda: _outstanding(service, code))

    def _answered(self, flow, bill) -> None:
        if flow is not self.ctx.flow:
            return  # an answer for a payment the payer has left
        self.answer = (flow, bill)
        self.show_current()

    def show_current(self) -> None:
        bill = self.bill
        if bill is None or self.screen.fixed_amount is not None:
            self.screen.show_amount_due(None)
            return
        t = self.ctx.t
        detail = (t("due.paid", period=bill.period) if bill.amount_due == 0
                  else t("due.period", period=bill.period, due_date=local_date(bill.due_date)))
        self.screen.show_amount_due(bill.amount_due, bill.amount_due_text, t("due.label"), detail)
