"""``payer-app lookup BIN ACCOUNT [--acquirer URL] [--json]``: the registered account name (a mock
NAPAS name inquiry, ``POST /v2/lookup``, payments/name_directory.py).

``BIN`` is a 6-digit NAPAS BIN, or ``merchant`` to look up a merchant id (a QR whose template 26/38
carries a merchant id instead of a bank and account). Without ``--acquirer`` the embedded mock
answers from the bundled directory. Exit codes: 0 found; 1 no such account, or a bank the acquirer
does not serve; 2 a malformed BIN or account (checked here first); 3 the acquirer did not answer or
answered something unreadable.
"""

from __future__ import annotations

import sys

from payer_app.cli.exits import EXIT_NO, EXIT_OK, EXIT_PENDING, UsageError
from payer_app.cli.options import add_acquirer_option, add_command, add_json_option, add_lang_option
from payer_app.core.display_text import visible
from payer_app.core.registered_name import MAX_ACCOUNT_CHARS, LookupKey

MERCHANT = "merchant"
SAID = {
    "found": ("Registered name (Tên chủ tài khoản): {name}", "Tên chủ tài khoản: {name}"),
    "no-such-account": ("No such account: {key} does not exist at this acquirer.",
                        "Tài khoản {key} không tồn tại."),
    "bank-not-served": ("The acquirer does not answer name inquiries for bank {bin}.",
                        "Ngân hàng thanh toán không tra cứu được tên cho ngân hàng {bin}."),
    "unavailable": ("payer-app: no answer about {key}: {detail}",
                    "payer-app: no answer: chưa tra cứu được {key}: {detail}"),
}


def register(sub) -> None:
    p = add_command(sub, "lookup", "look up the registered name of an account or merchant id",
                    "Ask the acquirer who holds an account (a mock NAPAS name inquiry, POST /v2/lookup). "
                    "Exit 0 found, 1 no such account or bank not served, 2 malformed input, 3 no answer.",
                    func=run)
    p.add_argument("bank_bin", metavar="BIN", help="6-digit NAPAS BIN (e.g. 970436), or 'merchant' for a merchant id")
    p.add_argument("account", metavar="ACCOUNT", help="account number, or the merchant id")
    add_acquirer_option(p, "ask this acquirer (e.g. http://127.0.0.1:8765); default: the embedded mock")
    add_json_option(p)
    add_lang_option(p)


def checked_key(bank_bin: str, account: str) -> LookupKey:
    """The key the command line names, or a usage error saying what is wrong."""
    if bank_bin != MERCHANT and not (len(bank_bin) == 6 and bank_bin.isascii() and bank_bin.isdigit()):
        raise UsageError(f"BIN {visible(bank_bin, 40)!r} is not 6 digits (or '{MERCHANT}' for a merchant id)")
    allowed = account.isascii() and all(ch.isalnum() or ch == "-" for ch in account)
    if not (0 < len(account) <= MAX_ACCOUNT_CHARS and allowed):
        raise UsageError(f"ACCOUNT {visible(account, 60)!r} is not 1 to {MAX_ACCOUNT_CHARS} ASCII letters, digits "
                         "or dashes")
    return LookupKey(None if bank_bin == MERCHANT else bank_bin, account)


def run(args) -> int:
    from payer_app.core.json_output import dumps
    from payer_app.payments.acquirer_client import AcquirerUnavailable
    from payer_app.payments.name_directory import NameInquiry

    key = checked_key(args.bank_bin, args.account)
    client = _client(args.acquirer)
    try:
        reply = client.name_lookup(key)
        inquiry = NameInquiry.from_answer(reply.http_status, reply.body)
    except AcquirerUnavailable as exc:
        inquiry = NameInquiry("unavailable", detail=visible(str(exc), 300))
    finally:
        client.close()
    shown_key = f"{key.bank_bin or MERCHANT}/{key.account}"
    if args.json:
        print(dumps({"bin": key.bank_bin, "account": key.account, **inquiry.to_dict()}, indent=2))
    else:
        english, vietnamese = SAID[inquiry.status]
        line = (vietnamese if args.lang == "vi" else english).format(
            name=inquiry.name, key=shown_key, bin=key.bank_bin, detail=inquiry.detail)
        print(line, file=sys.stdout if inquiry.status == "found" else sys.stderr)
    return {"found": EXIT_OK, "unavailable": EXIT_PENDING}.get(inquiry.status, EXIT_NO)


def _client(url: str | None):
    from payer_app.payments.acquirer_client import EmbeddedAcquirerClient, HttpAcquirerClient

    if url:
        return HttpAcquirerClient(url)
    from payer_app.paths import data_file
    from payer_app.payments.service import EMBEDDED_LEDGER_FILE

    return EmbeddedAcquirerClient(data_file(EMBEDDED_LEDGER_FILE))
