"""What the payer chose for one payment, as one value: the amount typed (or None, nothing typed) and
the note. The Amount screen and ``payer-app pay`` make it; it travels unchanged through the review,
the PIN and ``PaymentService.preview`` / ``pay`` to ``core.request.build_request``, which alone
decides what it becomes in the signed request.

A new thing the payer chooses (a tip, a source account...) is one more field here, with a default
that means "not chosen", so every place that only passes the value along stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from payer_app.core.registered_name import NameCheck


@dataclass(frozen=True)
class PaymentChoice:
    """The payer's input. ``amount`` None: nothing entered (a QR's own amount is then used, or the
    request is refused with ``amount-required``)."""

    amount: int | None = None
    note: str = ""
    tip: int = 0  # dong the payer adds as a tip, where the QR asks for one (field 55 = 01)
    name_check: NameCheck | None = None  # what the name inquiry said on Payee / in ``pay`` (None: none ran)
    pay_unknown_account: bool = False  # pay even though the name check says the account does not exist
    auth: str = "pin"  # how the payer confirms it: "pin", or "biometric" once the face check passed
