"""``payer-app verify FILE_OR_- [--key JWK]``: check a signed mock payment request.

Exit 0 with a summary when the signature and the content are good; exit 1 with the reason when the
token is tampered with, signed with another key, expired, malformed, or pays another amount than
its dynamic QR fixes. Without ``--key`` the keys of the local data folder are used.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from payer_app.cli import UsageError
from payer_app.core.amounts import format_vnd
from payer_app.core.keystore import KeyStore, KeyStoreError
from payer_app.core.signing import VerificationKeys, verify_request


def register(sub) -> None:
    p = sub.add_parser(
        "verify",
        help="verify a signed payment request (compact JWS)",
        description="Verify a signed payment request. Exit 0 good, 1 rejected (the reason is printed), 2 usage error.",
    )
    p.add_argument("token", metavar="FILE_OR_-", help="a file holding the compact JWS, or - for standard input")
    p.add_argument("--key", metavar="JWK", help="the payer's public key: a JWK or JWK Set file, or the JSON itself "
                   "(default: this computer's payer keys)")
    p.add_argument("--json", action="store_true", help="print the verification result as JSON")
    p.add_argument("--lang", choices=("en", "vi"), default="en", help="language of the messages")
    p.set_defaults(func=run)


def run(args) -> int:
    token = _read_token(args.token)
    keys = _load_keys(args.key)
    result = verify_request(token, keys)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        return 0 if result.ok else 1
    message = result.message_vi if args.lang == "vi" else result.message
    if not result.ok:
        print(f"REJECTED ({result.reason}): {message}")
        return 1
    request = result.request
    payee = request["payee"]
    bill = request["bill"]
    lines = [
        f"VALID: {message}",
        f"  Signed by key   {result.kid} (EdDSA / Ed25519)",
        f"  Request         {request['request_id']} (idempotency key {request['idempotency_key']})",
        f"  Amount          {format_vnd(int(request['amount']['value']))}",
        f"  Payee           {payee.get('merchant_name') or '-'} ({payee.get('scheme')}, "
        f"{'account ' + payee['account'] if payee.get('account') else 'merchant ' + str(payee.get('merchant_id'))}"
        f"{', bank ' + payee['bank_bin'] if payee.get('bank_bin') else ''})",
        f"  Payer           account {request['payer']['account']} at bank {request['payer']['bank_bin']}",
    ]
    if bill.get("customer_code") or bill.get("bill_number"):
        lines.append(f"  Bill            {bill.get('customer_code') or ''} {bill.get('bill_number') or ''}".rstrip())
    if request.get("note"):
        lines.append(f"  Note            {request['note']}")
    lines.append(f"  Valid           {request['created_at']} to {request['expires_at']}")
    print("\n".join(lines))
    return 0


def _read_token(source: str) -> str:
    if source == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {source}: {exc.strerror}") from None
    try:
        return data.decode("ascii").strip()
    except UnicodeDecodeError:
        # Let the verifier explain what is wrong with it.
        return data.decode("utf-8", errors="replace").strip()


def _load_keys(option: str | None) -> VerificationKeys:
    if option is None:
        try:
            local = KeyStore().verification_keys()
        except KeyStoreError as exc:
            raise UsageError(str(exc)) from None
        if not local:
            raise UsageError("this computer has no payer keys yet; give the signer's public key with --key")
        return VerificationKeys.load(local)
    text = option
    if not option.lstrip().startswith("{"):
        try:
            text = Path(option).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--key: cannot read {option}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--key: {option} is not a text file") from None
    try:
        document = json.loads(text)
    except ValueError:
        raise UsageError("--key: not JSON (expected a JWK or a JWK Set)") from None
    try:
        return VerificationKeys.load(document)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"--key: {exc}") from None
