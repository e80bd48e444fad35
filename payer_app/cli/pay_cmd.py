"""``payer-app pay SOURCE [--amount N] [--tip N] [--note TEXT] [--pay-unknown-account] [--biometric pass|fail]
[-o FILE]``: pay a QR code with a signed mock request.

Above the authentication thresholds (``core/auth_policy.py``: over 10,000,000 ₫ in one payment or over
20,000,000 ₫ in the account's day, EVN exempt up to 100,000,000 ₫ a day) the payment needs the simulated
face check: ``--biometric pass`` signs ``auth: biometric``; without it the payment is refused with
``biometric-required`` (exit 1), and ``--biometric fail`` is refused with ``biometric-failed`` (exit 1);
nothing is signed or recorded then.

Before signing, the payee's registered name is looked up at the same acquirer (``PaymentService.name_check``,
what the Payee screen asks) and the answer is signed in the request (``name_check``). When the bank says the
account does not exist, nothing is paid (exit 1, ``no-such-account``) unless ``--pay-unknown-account``.

SOURCE is the payload text, an image file holding the QR code, or ``-`` for standard input.
The compact JWS goes to FILE (written atomically) or standard output; a one-line summary goes to
standard error. Exit codes: 0 approved; 1 not paid (unusable QR, amount refused, declined,
rejected); 2 usage error, unusable key files, or a key the acquirer does not accept (not enrolled:
``payer-app keys enrol --acquirer URL --code CODE``; nothing is recorded then); 3 pending (no answer
or an acquirer error: recorded, re-send with ``payer-app history --retry``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from payer_app.cli import read_text_argument
from payer_app.cli.exits import EXIT_NO, EXIT_OK, EXIT_PENDING, EXIT_USAGE, UsageError
from payer_app.cli.options import (
    add_acquirer_option,
    add_amount_option,
    add_command,
    add_input_argument,
    add_json_option,
    add_lang_option,
    amount_option,
    checked_option,
)
from payer_app.core.amounts import parse_user_amount
from payer_app.core.auth_policy import BIOMETRIC, PIN
from payer_app.core.charge import cost_line
from payer_app.core.choice import PaymentChoice
from payer_app.core.display_text import visible
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import InputRefused, RequestRefused
from payer_app.core.registered_name import name_check_line
from payer_app.files import write_file_atomically
from payer_app.payments.keystore import KeyStoreError

EXIT_BY_STATUS = {"approved": EXIT_OK, "pending": EXIT_PENDING}  # any other status: not paid, EXIT_NO
BIOMETRIC_OUTCOMES = ("pass", "fail")


def register(sub) -> None:
    p = add_command(sub, "pay", "pay a payment QR with a signed mock request",
                    "Build, sign and send a mock payment request for a QR code. "
                    "Exit 0 approved, 1 not paid, 2 usage error, 3 pending (no answer yet).", func=run)
    add_input_argument(p, "source", "SOURCE", "the payload text or an image file with the QR")
    add_amount_option(p, "required for static QRs, must match a dynamic QR's amount if given")
    p.add_argument("--tip", metavar="N", help="a tip in dong, for a QR that asks for one (field 55 = 01); default 0")
    p.add_argument("--note", default="", help="a note for the payee (140 characters at most)")
    p.add_argument("--pay-unknown-account", action="store_true",
                   help="pay even when the bank's name inquiry says the account does not exist")
    p.add_argument("--biometric", choices=BIOMETRIC_OUTCOMES,
                   help="the simulated face check's outcome: pass confirms the payment with the face check (needed "
                        "above 10,000,000 ₫ at once or 20,000,000 ₫ a day), fail refuses it")
    p.add_argument(
        "-o", "--output", metavar="FILE", help="write the signed request (compact JWS) here instead of standard output"
    )
    add_acquirer_option(p, "send to this acquirer (e.g. http://127.0.0.1:8765); default: the embedded mock")
    add_json_option(p, "print the outcome as JSON on standard error instead of a summary")
    add_lang_option(p)


def run(args) -> int:
    from payer_app.payments.errors import PaymentSetupError
    from payer_app.payments.service import PaymentService

    amount = amount_option(args.amount, args.lang)
    tip = checked_option("--tip", args.tip, parse_user_amount, args.lang) or 0
    text = read_source(args.source)
    parsed = parse_payload(text)
    if args.biometric == "fail":  # the face check did not recognise the payer: nothing is signed
        refused = InputRefused("biometric-failed")
        print(f"payer-app pay: not paid ({refused.code}): {refused.line(args.lang)}", file=sys.stderr)
        return EXIT_NO
    try:
        with PaymentService(acquirer_url=args.acquirer) as service:
            check = service.name_check(parsed) if parsed.is_payment else None
            choice = PaymentChoice(amount, args.note, tip, name_check=check,
                                   pay_unknown_account=args.pay_unknown_account,
                                   auth=BIOMETRIC if args.biometric == "pass" else PIN)
            outcome = service.pay(parsed, choice)
    except RequestRefused as exc:  # the refusal catalogue's sentence, and the QR finding behind it
        print(f"payer-app pay: not paid ({exc.code}): {exc.line(args.lang)}", file=sys.stderr)
        return EXIT_NO
    except PaymentSetupError as exc:  # not enrolled, bad acquirer URL...: nothing sent, nothing recorded
        message = exc.message_vi if args.lang == "vi" else exc.message
        print(f"payer-app pay: not paid ({exc.code}): {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyStoreError as exc:
        raise UsageError(f"key store: {exc}") from None
    if args.output:
        try:
            write_file_atomically(Path(args.output), (outcome.jws + "\n").encode("ascii"))
        except OSError as exc:
            print(f"payer-app pay: cannot write {visible(args.output, 200)}: {exc.strerror}; the signed request "
                  "follows on standard output", file=sys.stderr)
            print(outcome.jws)
    else:
        print(outcome.jws)
    if args.json:
        summary = outcome.to_dict()
        summary.pop("jws")
        print(json.dumps(summary, ensure_ascii=False, indent=1), file=sys.stderr)
    else:
        request = outcome.request
        assert request is not None  # a payment just made holds its request
        payee = visible(request.payee.short_name or "?", 80)
        message = (outcome.message_vi if args.lang == "vi" and outcome.message_vi else outcome.message)
        ref = f", reference {outcome.acquirer_reference}" if outcome.acquirer_reference else ""
        code = f" ({visible(outcome.reason, 60)})" if outcome.reason and outcome.status != "approved" else ""
        print(
            f"{outcome.status.upper()}{code}: {cost_line(request.amount, request.charge)} to {payee}{ref} "
            f"(request {outcome.request_id}). {message}",
            file=sys.stderr,
        )
        if request.name_check is not None:
            print(f"Name check: {name_check_line(request.name_check)}", file=sys.stderr)
    return EXIT_BY_STATUS.get(outcome.status, EXIT_NO)


def read_source(source: str) -> str:
    """The payload text from SOURCE: standard input, an image file, or the text itself."""
    from payer_app.scan.sources import IMAGE_SUFFIXES  # the scan engine's list of picture types

    if source == "-":
        return read_text_argument(source)
    path = Path(source)
    try:
        is_file = path.is_file()
    except (OSError, ValueError):
        is_file = False
    if is_file:
        return _payload_from_image(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        raise UsageError(f"no such image file: {source}")
    return source


def _payload_from_image(path: Path) -> str:
    # Imported here: the scan engine pulls in OpenCV, which payloads given as text do not need.
    from payer_app.scan.engine import SourceError, decode_image_file

    try:
        detections = decode_image_file(path)
    except SourceError as exc:
        raise UsageError(str(exc)) from None
    texts = list(dict.fromkeys(d.text for d in detections))
    if not texts:
        raise UsageError(f"no QR code found in {path}")
    payments = [t for t in texts if parse_payload(t).is_payment]
    if len(payments) > 1:
        raise UsageError(f"{path} shows {len(payments)} different payment QR codes; crop the picture to the one to pay")
    return payments[0] if payments else texts[0]
