"""``payer-app parse [--strict] [--json] PAYLOAD``: check and explain a payment-QR payload.

Exit 0 valid, 1 invalid (the report, on standard output, says why), 2 usage error. Text longer
than a QR code can hold (``MAX_INPUT_CHARS``) is refused unread: exit 1 with the finding
``input-too-long``. The report escapes every control and bidi character; JSON is printed through
``json_output.dumps``.
"""

from __future__ import annotations

from payer_app.cli import read_text_argument
from payer_app.cli.exits import EXIT_NO, EXIT_OK
from payer_app.cli.options import add_command, add_input_argument, add_json_option, add_lang_option
from payer_app.core.json_output import dumps as json_dumps
from payer_app.core.payload import parse_payload
from payer_app.core.report import format_report


def register(sub) -> None:
    p = add_command(sub, "parse", "parse and check an EMVCo / VietQR / EVN payload",
                    "Parse a payment-QR payload. Exit 0 valid, 1 invalid, 2 usage error.", func=run)
    add_input_argument(p, "payload", "PAYLOAD", "the decoded QR text")
    p.add_argument("--strict", action="store_true", help="EMVCo / NAPAS rules to the letter (default: lenient)")
    add_json_option(p, "print one JSON object instead of a report")
    add_lang_option(p, "report's messages")


def run(args) -> int:
    text = read_text_argument(args.payload)  # at most MAX_INPUT_CHARS + 2 characters read
    parsed = parse_payload(text, "strict" if args.strict else "lenient")
    if args.json:
        print(json_dumps(parsed.to_dict()))
    else:
        print(format_report(parsed, args.lang))
    return EXIT_OK if parsed.valid else EXIT_NO
