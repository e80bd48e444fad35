"""``payer-app parse [--strict] [--json] PAYLOAD``: check and explain a payment-QR payload.

Text longer than a QR code can hold (``MAX_INPUT_CHARS``) is refused unread: exit 1 with the
finding ``input-too-long``. The report escapes every control and bidi character; JSON is printed
through ``json_output.dumps``.
"""

from __future__ import annotations

from payer_app.cli import read_text_argument
from payer_app.core.json_output import dumps as json_dumps
from payer_app.core.payload import parse_payload
from payer_app.core.report import format_report


def register(sub) -> None:
    p = sub.add_parser(
        "parse",
        help="parse and check an EMVCo / VietQR / EVN payload",
        description="Parse a payment-QR payload. Exit 0 valid, 1 invalid, 2 usage error.",
    )
    p.add_argument("payload", metavar="PAYLOAD", help="the decoded QR text, or - to read standard input")
    p.add_argument("--strict", action="store_true", help="EMVCo / NAPAS rules to the letter (default: lenient)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
    p.add_argument("--lang", choices=("en", "vi"), default="en", help="language of the report's messages")
    p.set_defaults(func=run)


def run(args) -> int:
    text = read_text_argument(args.payload)  # at most MAX_INPUT_CHARS + 2 characters read
    parsed = parse_payload(text, "strict" if args.strict else "lenient")
    if args.json:
        print(json_dumps(parsed.to_dict()))
    else:
        print(format_report(parsed, args.lang))
    return 0 if parsed.valid else 1
