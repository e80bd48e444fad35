"""*Tên chủ tài khoản*: the registered name of the payee on the Payee screen, as bank apps show it after
a VietQR scan (a mock NAPAS name inquiry: ``PaymentService.registered_name``, ``POST /v2/lookup`` on an
HTTP acquirer, the bundled directory on the embedded one).

``RegisteredNameBox`` is built and placed by the Payee screen (``gui/screens/payee.py``), which hands it
each parsed QR (``show_for``). The inquiry runs off the GUI thread (``NewestAnswer``); until it answers
the box says it is looking. Then, by core's rule (``core/registered_name.py``):

- found, and the QR's name (field 59) is the same once case, diacritics and spacing are set aside, or
  the QR names nobody: the registered name, plainly;
- found but different: the registered name and a warning that the QR may have been replaced;
- the account does not exist: an error, and ``blocks_payment`` is True (the screen hides Continue);
- no answer, or a bank the acquirer does not serve: a warning; the payer may go on.

Every name here comes from outside (the QR, the acquirer) and is shown through plain labels.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QVBoxLayout

from payer_app.core.payload import ParsedPayload
from payer_app.core.registered_name import NameCheck, lookup_key, names_match
from payer_app.gui.components import plain_label
from payer_app.gui.newest_answer import NewestAnswer
from payer_app.payments.name_directory import NameInquiry

# The box's look for each state, chosen by object name: plain inside the payee card, or the warning and
# error frames of app.qss.
FRAME_OF_STATE = {"loading": "RegisteredNameBox", "match": "RegisteredNameBox", "found": "RegisteredNameBox",
                  "mismatch": "WarningBox", "unavailable": "WarningBox", "bank-not-served": "WarningBox",
                  "no-such-account": "ErrorBox"}


def _inquire(service, key) -> NameInquiry:
    """The acquirer's answer; anything that goes wrong is 'unavailable', never an error dialog."""
    try:
        return service.registered_name(key)
    except Exception as exc:  # noqa: BLE001 - a lookup that fails leaves the payer warned, never stuck
        return NameInquiry("unavailable", detail=type(exc).__name__)


class RegisteredNameBox(QFrame):
    blocks_payment_changed = Signal(bool)
    answered = Signal()  # the inquiry of the QR on screen has answered and is shown

    def __init__(self, ctx):
        super().__init__()
        self.ctx = ctx
        self.setObjectName("RegisteredNameBox")
        col = QVBoxLayout(self)
        col.setContentsMargins(16, 12, 16, 12)
        col.setSpacing(4)
        self.caption = plain_label("", "caption")
        self.value = plain_label("", "section", selectable=True)
        self.value.setObjectName("RegisteredName")
        self.note = plain_label("")
        self.note.setObjectName("RegisteredNameNote")
        col.addWidget(self.caption)
        col.addWidget(self.value)
        col.addWidget(self.note)
        self.state = "idle"
        self.inquiry: NameInquiry | None = None
        self._parsed = None
        self._lookup = NewestAnswer("name-lookup", self)
        self._lookup.answered.connect(self._answered)
        self.setVisible(False)

    @property
    def blocks_payment(self) -> bool:
        return self.state == "no-such-account"

    @property
    def name_check(self) -> NameCheck | None:
        """What the box shows, as the signed request records it; None while looking or when nothing was asked."""
        if self.inquiry is None or self._parsed is None or self.state in ("idle", "loading"):
            return None
        inquiry = self.inquiry
        return NameCheck.judge(self._parsed.merchant.name, inquiry.status, inquiry.name,
                               self.ctx.service.acquirer_description if self.ctx.service is not None else "")

    def show_for(self, parsed, blocked: bool = False) -> None:
        """Ask for the registered name of ``parsed``'s payee (once per QR), or hide the box when there is
        nothing to ask (no payment, a QR that cannot be paid anyway, no account, no service)."""
        if parsed is self._parsed:
            self._render()
            return
        self._parsed = parsed
        key = lookup_key(parsed) if parsed is not None and not blocked else None
        service = self.ctx.service
        if key is None or service is None:
            self._lookup.cancel()
            self._set_state("idle", None)
            return
        self._set_state("loading", None)
        self._lookup.ask(parsed, lambda: _inquire(service, key))

    def _answered(self, parsed: ParsedPayload, inquiry: NameInquiry) -> None:
        if parsed is not self._parsed:
            return  # an answer about a QR the payer has left
        state = inquiry.status
        if state == "found" and parsed.merchant.name:
            state = "match" if names_match(parsed.merchant.name, inquiry.name) else "mismatch"
        self._set_state(state, inquiry)
        self.answered.emit()

    def _set_state(self, state: str, inquiry: NameInquiry | None) -> None:
        was_blocking = self.blocks_payment
        self.state, self.inquiry = state, inquiry
        self._render()
        if self.blocks_payment != was_blocking:
            self.blocks_payment_changed.emit(self.blocks_payment)

    def _render(self) -> None:
        t = self.ctx.t
        self.setVisible(self.state != "idle")
        if self.state == "idle":
            return
        frame = FRAME_OF_STATE[self.state]
        if self.objectName() != frame:
            self.setObjectName(frame)
            self.style().unpolish(self)
            self.style().polish(self)
        self.caption.setText(t("registered.title"))
        name = self.inquiry.name if self.inquiry is not None and self.inquiry.name else None
        self.value.setText(name or (t("registered.looking") if self.state == "loading" else "—"))
        qr_name = self._parsed.merchant.name if self._parsed is not None else None
        note = {
            "loading": "",
            "match": t("registered.match"),
            "found": t("registered.found"),
            "mismatch": t("registered.mismatch", qr=qr_name or "", registered=name or ""),
            "no-such-account": t("registered.no_such_account"),
            "bank-not-served": t("registered.bank_not_served"),
            "unavailable": t("registered.unavailable"),
        }[self.state]
        self.note.setText(note)
        self.note.setVisible(bool(note))
