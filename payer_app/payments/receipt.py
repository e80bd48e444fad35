"""The receipt of a payment (``core.receipt``) from a ``PaymentOutcome`` or a history row, and its PDF
(``studio.receipt_pdf``): what the CLI's ``receipt`` command and the Result screen use."""

from __future__ import annotations

from pathlib import Path

from payer_app.core.receipt import SIMULATION_MARK, SIMULATION_MARK_EN, Receipt, receipt_of
from payer_app.core.request import read_signed

__all__ = ["SIMULATION_MARK", "SIMULATION_MARK_EN", "Receipt", "receipt_of", "receipt_of_entry", "receipt_of_outcome",
           "write_receipt_pdf", "ReceiptFontError"]


class ReceiptFontError(RuntimeError):
    """No font able to print Vietnamese text was found (the message says how to install one)."""


def receipt_of_outcome(outcome) -> Receipt | None:
    """The receipt for a ``PaymentOutcome`` (None when its signed request cannot be read back)."""
    if outcome.request is None:
        return None
    return receipt_of(outcome.request, outcome.status, outcome.acquirer_reference)


def receipt_of_entry(entry) -> Receipt | None:
    """The receipt for a history row (``payments.history.HistoryEntry``), from its signed request."""
    request = read_signed(entry.jws)
    if request is None:
        return None
    return receipt_of(request, entry.status, entry.acquirer_reference)


def write_receipt_pdf(receipt: Receipt, path: str | Path) -> None:
    """Write the receipt PDF to ``path`` (OSError when it cannot be written, ReceiptFontError without a font)."""
    from payer_app.studio.fonts import FontNotFoundError
    from payer_app.studio.receipt_pdf import receipt_pdf_bytes

    try:
        data = receipt_pdf_bytes(receipt)
    except FontNotFoundError as exc:
        raise ReceiptFontError(str(exc)) from None
    Path(path).write_bytes(data)
