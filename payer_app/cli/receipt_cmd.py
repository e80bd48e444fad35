"""``payer-app receipt REQUEST_ID [-o FILE.pdf]``: the receipt of a payment from the history, as a PDF
marked "MÔ PHỎNG - KHÔNG CÓ GIÁ TRỊ THANH TOÁN" (``payments.receipt``, ``studio.receipt_pdf``).

Without ``-o`` the file is ``receipt-REQUEST_ID.pdf`` in the current folder. Exit 0 written, 2 an
unknown request id, a request whose signed token cannot be read back, or a file that cannot be written.
"""

from __future__ import annotations

import re

from payer_app.cli.exits import EXIT_OK, UsageError
from payer_app.cli.options import add_command
from payer_app.core.display_text import quoted

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,80}")


def register(sub) -> None:
    p = add_command(sub, "receipt", "write a payment's receipt as a PDF (marked as a simulation)",
                    "The receipt of one payment from the history (amount, fee or tip, total, payee, bill, "
                    "time, status, acquirer reference) as a PDF with a QR a phone can read, marked "
                    "'MÔ PHỎNG - KHÔNG CÓ GIÁ TRỊ THANH TOÁN'. Exit 0 written, 2 unknown request or "
                    "the file cannot be written.", func=run)
    p.add_argument("request_id", metavar="REQUEST_ID", help="the request id (payer-app history lists them)")
    p.add_argument("-o", "--output", metavar="FILE.pdf", help="where to write (default receipt-REQUEST_ID.pdf)")


def run(args) -> int:
    from payer_app.payments.errors import PaymentSetupError
    from payer_app.payments.receipt import ReceiptFontError, receipt_of_entry, write_receipt_pdf
    from payer_app.payments.service import PaymentService

    if not _SAFE_ID.fullmatch(args.request_id):
        raise UsageError(f"no payment request {quoted(args.request_id, 80)} in the history")
    try:
        with PaymentService() as service:
            entry = service.entry(args.request_id)
    except PaymentSetupError as exc:
        raise UsageError(exc.message) from None
    if entry is None:
        raise UsageError(f"no payment request {quoted(args.request_id, 80)} in the history")
    receipt = receipt_of_entry(entry)
    if receipt is None:
        raise UsageError(f"the signed request {quoted(args.request_id, 80)} cannot be read back")
    path = args.output or f"receipt-{args.request_id}.pdf"
    try:
        write_receipt_pdf(receipt, path)
    except ReceiptFontError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write {quoted(path, 200)}: {exc.strerror or exc}") from None
    print(f"wrote {quoted(path, 200)} (receipt of {receipt.request_id}, marked as a simulation)")
    return EXIT_OK
