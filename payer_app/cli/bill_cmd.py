"""``payer-app bill CUSTOMER_CODE [--acquirer URL] [--json]``: the outstanding EVN bill of a customer.

Asks the acquirer, which plays the biller (``GET /v1/bills/{customer_code}``, payments/biller.py);
without ``--acquirer``, the embedded mock acquirer in the data folder (bills paid with the embedded
acquirer count there). Exit codes: 0 the bill was found (unpaid, partially paid or paid); 1 no
customer with this code; 2 not an EVN customer code (checked here first, core's rule); 3 the
acquirer did not answer or answered something unreadable.
"""

from __future__ import annotations

import sys

from payer_app.cli.exits import EXIT_NO, EXIT_OK, EXIT_PENDING, EXIT_USAGE, UsageError
from payer_app.cli.options import add_acquirer_option, add_command, add_json_option
from payer_app.core.amounts import format_vnd
from payer_app.core.display_text import visible

STATUS_LABELS = {"unpaid": ("unpaid", "chưa thanh toán"), "partially-paid": ("partially paid", "đã trả một phần"),
                 "paid": ("paid", "đã thanh toán")}


def register(sub) -> None:
    p = add_command(sub, "bill", "look up the outstanding EVN bill of a customer code",
                    "Ask the acquirer (playing the EVN biller) for the bill of CUSTOMER_CODE: period, kWh, "
                    "amount due, due date. Exit 0 found, 1 unknown customer, 2 malformed code, 3 no answer.",
                    func=run)
    p.add_argument("customer_code", metavar="CUSTOMER_CODE", help="EVN customer code, e.g. PD13000123456")
    add_acquirer_option(p, "ask this acquirer (e.g. http://127.0.0.1:8765); default: the embedded mock")
    add_json_option(p)


def run(args) -> int:
    from payer_app.core.json_output import dumps
    from payer_app.payments.acquirer_client import AcquirerUnavailable
    from payer_app.payments.biller import MalformedCustomerCode, OutstandingBill, check_customer_code

    try:
        code = check_customer_code(args.customer_code)
    except MalformedCustomerCode as exc:
        raise UsageError(f"{visible(args.customer_code, 60)!s}: {exc}") from None
    client = _client(args.acquirer)
    try:
        reply = client.bill(code)
    except AcquirerUnavailable as exc:
        print(f"payer-app: no answer about {code}: {visible(str(exc), 300)}", file=sys.stderr)
        return EXIT_PENDING
    finally:
        client.close()
    if reply.http_status == 200:
        try:
            bill = OutstandingBill.from_dict(reply.body.get("bill"))
        except ValueError as exc:
            print(f"payer-app: the acquirer's bill for {code} is unreadable: {visible(str(exc), 200)}", file=sys.stderr)
            return EXIT_PENDING
        print(dumps({"found": True, "bill": bill.to_dict()}, indent=2) if args.json else summary(bill))
        return EXIT_OK
    error = visible(str(reply.body.get("error") or reply.http_status), 60)
    message = visible(str(reply.body.get("message") or ""), 300)
    if args.json:
        print(dumps({"found": False, "http_status": reply.http_status, "error": error, "message": message}, indent=2))
    else:
        print(f"No bill for {code}: {message or error} (HTTP {reply.http_status}, {error})", file=sys.stderr)
    if reply.http_status == 404 and error == "unknown-customer":
        return EXIT_NO
    return EXIT_USAGE if reply.http_status == 400 else EXIT_PENDING


def summary(bill) -> str:
    """The bill as lines for a terminal (texts from the acquirer escaped)."""
    status_en, status_vi = STATUS_LABELS.get(bill.status, (bill.status, bill.status))
    rows = [
        ("Customer", f"{visible(bill.customer_name, 80)} ({visible(bill.corporation, 20)})"),
        ("Period", visible(bill.period_text, 120)),
        ("Consumption", f"{bill.kwh} kWh"),
        ("Bill total", format_vnd(bill.amount_total)),
        (
            "Paid",
            format_vnd(bill.amount_paid) + (f" ({bill.payments} payments)" if bill.payments != 1 else " (1 payment)"),
        ),
        ("Amount due", f"{format_vnd(bill.amount_due)}  (Số tiền cần thanh toán)"),
        ("Due date", bill.due_date),
        ("Status", f"{status_en} ({status_vi})"),
    ]
    if bill.overpaid:
        rows.append(("Overpaid", format_vnd(bill.overpaid)))
    width = max(len(label) for label, _ in rows)
    return "\n".join([f"EVN bill {bill.customer_code}"] + [f"  {label:<{width}}  {value}" for label, value in rows])


def _client(url: str | None):
    from payer_app.payments.acquirer_client import EmbeddedAcquirerClient, HttpAcquirerClient

    if url:
        return HttpAcquirerClient(url)
    from payer_app.paths import data_file
    from payer_app.payments.service import EMBEDDED_LEDGER_FILE

    return EmbeddedAcquirerClient(data_file(EMBEDDED_LEDGER_FILE))
