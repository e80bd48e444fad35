"""``payer-app verify FILE_OR_- [--key JWK] [--audience AUD] [--min-amount N] [--max-amount N]``:
check a signed mock payment request.

Exit 0 with a summary when the signature and the content are good; exit 1 with ONE line
``REJECTED (reason): message`` when the token is tampered with, signed with another or a retired
key, expired, malformed, breaks the content schema or pays another amount than its dynamic QR
fixes; exit 2 with one line when the token file or a key cannot be used. Without ``--key`` the keys
of the local data folder are used.

Everything taken from the token (kid, note, payee, error details) is printed escaped
(``display_text.visible``): a rejected token cannot paint a "VALID" line or move the cursor. The
token file's size is checked before it is read, and at most the cap + 1 bytes are ever read.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from datetime import datetime
from pathlib import Path

from payer_app.cli.exits import EXIT_NO, EXIT_OK, UsageError
from payer_app.cli.options import add_command, add_input_argument, add_json_option, add_lang_option, checked_option
from payer_app.core.amounts import format_vnd
from payer_app.core.charge import cost_line
from payer_app.core.display_text import is_unsafe_char, visible
from payer_app.core.payability import Limits
from payer_app.core.refusals import VerifyRefused
from payer_app.core.registered_name import name_check_line
from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted
from payer_app.core.signing import MAX_TOKEN_CHARS, Verification, VerificationKeys, verify_request
from payer_app.core.timestamps import format_timestamp, parse_canonical_timestamp
from payer_app.files import UnsafeFileError, read_regular_file
from payer_app.payments.accounts import AccountsRefused, local_verification_keys
from payer_app.payments.keystore import KeyStoreError

MAX_TOKEN_FILE_BYTES = MAX_TOKEN_CHARS + 1024  # room for surrounding white space
MAX_KEY_FILE_BYTES = 256 * 1024
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def register(sub) -> None:
    p = add_command(sub, "verify", "verify a signed payment request (compact JWS)",
                    "Verify a signed payment request. Exit 0 good, 1 rejected (the reason is printed), "
                    "2 the token file or the key cannot be used.", func=run)
    add_input_argument(p, "token", "FILE_OR_-", "a file holding the compact JWS")
    p.add_argument("--key", metavar="JWK", help="the payer's public key: a JWK or JWK Set file, or the JSON itself "
                   "(default: this computer's payer keys)")
    p.add_argument("--audience", metavar="AUD", help="refuse requests not addressed to AUD (the acquirer's id or "
                   "URL; default: any audience)")
    p.add_argument("--min-amount", type=int, default=Limits.min_amount, metavar="DONG",
                   help=f"smallest accepted amount (default {Limits.min_amount})")
    p.add_argument("--max-amount", type=int, default=Limits.max_amount, metavar="DONG",
                   help=f"largest accepted amount (default {Limits.max_amount})")
    p.add_argument("--at", metavar="TIME", help="verify as of TIME (2026-01-31T08:00:00Z) instead of now")
    add_json_option(p, "print the verification result as JSON")
    add_lang_option(p)


def run(args) -> int:
    limits = _limits(args.min_amount, args.max_amount)
    when = _moment(args.at)
    token = _read_token(args.token)
    keys = _load_keys(args.key)
    if isinstance(token, Verification):
        result = token
    else:
        result = verify_request(token, keys, now=when, limits=limits, audience=args.audience)
    if args.json:
        document = result.to_dict()
        check = result.request.name_check if result.request is not None else None
        document["name_check"] = check.to_dict() if check is not None else None  # null: the request holds none
        print(json_text(document))
        return EXIT_OK if result.ok else EXIT_NO
    message = visible(result.text(args.lang), 2000)
    if not result.ok:
        print(f"REJECTED ({visible(result.reason)}): {message}")
        return EXIT_NO
    print("\n".join(_summary(result, message)))
    return EXIT_OK


def _summary(result: Verification, message: str) -> list[str]:
    request = result.request
    assert request is not None  # a valid verification carries its request
    payee, bill = request.payee, request.bill
    where = f"account {payee.account}" if payee.account else f"merchant {payee.merchant_id}"
    if payee.bank_bin:
        where += f", bank {payee.bank_bin}"
    lines = [
        f"VALID: {message}",
        f"  Signed by key   {result.kid} (EdDSA / Ed25519)",
        f"  Audience        {request.audience}",
        f"  Request         {request.request_id} (idempotency key {request.idempotency_key})",
        f"  Amount          {format_vnd(request.amount)}",
        *_fee_lines(request),
        f"  Payee           {payee.merchant_name or '-'} ({payee.scheme}, {where})",
        f"  Payer           account {request.payer.account} at bank {request.payer.bank_bin}",
    ]
    if bill.customer_code or bill.bill_number:
        lines.append(f"  Bill            {bill.customer_code or ''} {bill.bill_number or ''}".rstrip())
    if request.note:
        lines.append(f"  Note            {request.note}")
    check = request.name_check
    lines.append(f"  Name check      {name_check_line(check) if check else 'none (no name inquiry recorded)'}"
                 + (" - the payer app's claim, not checked" if check else ""))
    lines.append(f"  Valid           {format_timestamp(request.created_at)} to {format_timestamp(request.expires_at)}")
    return [lines[0]] + [visible(line, 500) for line in lines[1:]]


def _fee_lines(request) -> list[str]:
    """The fee or tip and the total, when the request carries them (version 2)."""
    charge = request.charge
    if charge is None:
        return []
    label = {"tip": "Tip", "fixed": "Fee (fixed)", "percent": "Fee (percent)"}.get(charge.kind or "", "Fee")
    return [f"  {label:<15} {format_vnd(charge.fee)}",
            f"  Total           {cost_line(request.amount, charge)}"]


def json_text(document: object) -> str:
    """JSON for a terminal or a file: readable Vietnamese, but every character that ``visible`` would
    escape (C1 controls, bidi, zero-width...) written as a \\u escape, so the text is still valid JSON."""
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return _NON_ASCII.sub(lambda m: f"\\u{ord(m.group()):04x}" if is_unsafe_char(m.group()) else m.group(), text)


def _limits(minimum: int, maximum: int) -> Limits:
    try:
        return Limits(minimum, maximum)
    except ValueError as exc:
        raise UsageError(f"--min-amount/--max-amount: {exc}") from None


def _moment(text: str | None) -> datetime | None:
    return checked_option("--at", text, parse_canonical_timestamp)


def _read_token(source: str) -> bytes | Verification:
    """The token bytes (white space around them removed), or a rejection when the file is larger
    than any token; the size is checked before reading and at most the cap + 1 bytes are read."""
    if source == "-":
        data = sys.stdin.buffer.read(MAX_TOKEN_FILE_BYTES + 1)
    else:
        data = _read_token_file(source)
        if isinstance(data, Verification):
            return data
    if len(data) > MAX_TOKEN_FILE_BYTES:
        return _too_large(f"more than {MAX_TOKEN_FILE_BYTES}")
    return data.strip(b" \t\r\n")


def _read_token_file(source: str) -> bytes | Verification:
    shown = visible(source)
    try:
        info = os.stat(source)
    except OSError as exc:
        raise UsageError(f"cannot read {shown}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{shown} is a folder, not a token file")
    if stat.S_ISREG(info.st_mode) and info.st_size > MAX_TOKEN_FILE_BYTES:
        return _too_large(str(info.st_size))  # refused without reading the file
    try:
        with open(source, "rb") as handle:  # a pipe (e.g. <(...)) is read up to the cap as well
            return handle.read(MAX_TOKEN_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {shown}: {exc.strerror}") from None


def _too_large(size: str) -> Verification:
    return Verification(False, VerifyRefused("token-file-too-large", size=size, limit=MAX_TOKEN_CHARS))


def _load_keys(option: str | None) -> VerificationKeys:
    """The verification keys; every problem is one UsageError line (exit 2)."""
    if option is None:
        return _local_keys()
    if option.lstrip().startswith("{"):
        data: bytes | str = option
        where = "--key"
    else:
        where = f"--key {visible(option)}"
        try:
            data = read_regular_file(Path(option), MAX_KEY_FILE_BYTES, "the key file", follow_symlinks=True,
                                     fix="Give a file holding a JWK or JWK Set.")
        except UnsafeFileError as exc:
            raise UsageError(f"--key: {exc}") from None
    try:
        document = loads_untrusted(data, max_bytes=MAX_KEY_FILE_BYTES, max_depth=8, what="the key")
    except UntrustedJSONError as exc:
        raise UsageError(f"{where}: not a JWK or JWK Set ({visible(str(exc), 200)})") from None
    try:
        return VerificationKeys.load(document)
    except (ValueError, TypeError, KeyError) as exc:
        raise UsageError(f"{where}: {visible(str(exc), 300)}") from None


def _local_keys() -> VerificationKeys:
    try:
        local = local_verification_keys()  # the data folder's keys and each source account's
        if not local:
            raise UsageError("this computer has no payer keys yet; give the signer's public key with --key")
        return VerificationKeys.load(local)
    except (KeyStoreError, AccountsRefused) as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot open the data folder: {visible(exc.strerror)}") from None
    except ValueError as exc:
        raise UsageError(f"the local public key list: {visible(str(exc), 300)}") from None
