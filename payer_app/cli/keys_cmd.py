"""``payer-app keys``: the payer's signing keys, locally and at an HTTP acquirer.

- ``keys export [-o FILE] [--all]``: the public key (or every key, with retirement times) as JWK.
- ``keys rotate [--acquirer URL ...]``: a new key pair; the old public key stays for verification,
  retired now. With ``--acquirer`` the new key is enrolled there, endorsed by the old one (no code).
- ``keys enrol --acquirer URL --code CODE``: bind the current key to the payer account at that
  acquirer (the code is printed by ``payer-app acquirer serve``).
- ``keys status --acquirer URL``: is the current key active, retired, revoked or not enrolled there.
- ``keys revoke KID --acquirer URL [--code CODE]``: revoke a key at the acquirer (signed by the
  current key of the same account, or with the enrolment code).

Only public keys are ever printed; the private key stays in the data folder (mode 0600). Every
key-file problem is one clear message and exit 2.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

from payer_app.cli import UsageError
from payer_app.core.display_text import visible
from payer_app.files import write_file_atomically
from payer_app.payments.keystore import KeyStore, KeyStoreError


def register(sub) -> None:
    p = sub.add_parser(
        "keys",
        help="export, rotate, enrol or revoke the payer's signing key",
        description="The payer's Ed25519 signing key (created on first use in the data folder).",
    )
    keys_sub = p.add_subparsers(dest="keys_command", metavar="ACTION")
    export = keys_sub.add_parser("export", help="print the public key as a JWK",
                                 description="Print the current public key as a JWK (RFC 7517/8037).")
    export.add_argument("-o", "--output", metavar="FILE", help="write the JWK to FILE instead of standard output")
    export.add_argument("--all", action="store_true",
                        help="a JWK Set of every key still accepted for verification (current first), with "
                        "retirement times")
    export.set_defaults(func=run_export)
    rotate = keys_sub.add_parser("rotate", help="make a new key pair; the old public key stays valid for verification",
                                 description="Replace the signing key. Requests signed with the old key before "
                                 "now still verify; requests dated later do not.")
    rotate.add_argument("--acquirer", metavar="URL", action="append", default=[],
                        help="enrol the new key at this HTTP acquirer, endorsed by the old key (repeatable)")
    rotate.set_defaults(func=run_rotate)
    enrol = keys_sub.add_parser("enrol", help="enrol the current key at an HTTP acquirer",
                                description="Bind the current key to the payer account at an HTTP acquirer, "
                                "with the enrolment code `payer-app acquirer serve` prints.")
    enrol.add_argument("--acquirer", metavar="URL", required=True, help="the acquirer, e.g. http://127.0.0.1:8765")
    enrol.add_argument("--code", metavar="CODE", help="the acquirer's enrolment code (not needed with --open-enrolment)")
    enrol.set_defaults(func=run_enrol)
    status = keys_sub.add_parser("status", help="the current key's state at an HTTP acquirer")
    status.add_argument("--acquirer", metavar="URL", required=True)
    status.set_defaults(func=run_status)
    revoke = keys_sub.add_parser("revoke", help="revoke a key at an HTTP acquirer",
                                 description="Revoke KID at the acquirer: nothing it signs is accepted there "
                                 "any more. Signed by the current key (same account), or with --code.")
    revoke.add_argument("kid", metavar="KID")
    revoke.add_argument("--acquirer", metavar="URL", required=True)
    revoke.add_argument("--code", metavar="CODE", help="use the acquirer's enrolment code instead of a signature")
    revoke.set_defaults(func=run_revoke)
    p.set_defaults(func=run_without_action)


def run_without_action(args) -> int:
    raise UsageError("keys needs an action: export, rotate, enrol, status or revoke")


@contextmanager
def key_problems_as_usage_errors():
    """Key files that cannot be used, an acquirer that does not answer or says no: one line, exit 2."""
    from payer_app.payments.acquirer_client import AcquirerUnavailable
    from payer_app.payments.errors import PaymentSetupError

    try:
        yield
    except KeyStoreError as exc:
        raise UsageError(f"key store: {exc}") from None
    except PaymentSetupError as exc:
        raise UsageError(exc.message) from None
    except AcquirerUnavailable as exc:
        raise UsageError(f"no usable answer from the acquirer: {visible(str(exc), 300)}") from None


def run_export(args) -> int:
    store = KeyStore()
    with key_problems_as_usage_errors():
        if args.all:
            store.current()  # creates the first key pair if there is none yet
            document = store.jwk_set()
        else:
            document = store.public_jwk()
    text = json.dumps(document, indent=1) + "\n"
    if args.output:
        try:
            write_file_atomically(Path(args.output), text.encode("utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot write {visible(args.output, 200)}: {exc.strerror}") from None
        print(f"Public key written to {visible(args.output, 200)}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def run_rotate(args) -> int:
    from payer_app.payments.service import PaymentService

    store = KeyStore()
    old = None
    with key_problems_as_usage_errors():
        if store.exists():
            try:
                old = store.current()  # kept in memory to endorse the new key at acquirers
            except KeyStoreError as exc:
                print(f"payer-app keys rotate: the old key is unusable ({exc}); rotating anyway.", file=sys.stderr)
        new = store.rotate()
    print(f"New signing key: {new.kid}")
    if old:
        print(f"Previous key {old.kid} is kept for verification, retired now (see `payer-app keys export --all`).")
    failed = 0
    for url in args.acquirer:
        with PaymentService() as service:
            try:
                with key_problems_as_usage_errors():
                    if old is None:
                        raise UsageError("there is no previous key to endorse the new one; enrol it with the code: "
                                         f"payer-app keys enrol --acquirer {visible(url, 100)} --code CODE")
                    result = service.enrol(acquirer_url=url, endorsed_by=old)
            except UsageError as exc:
                failed += 1
                print(f"payer-app keys rotate: {exc}", file=sys.stderr)
                continue
        retired = f" Key {result.retired_kid} is retired there." if result.retired_kid else ""
        print(f"{result.message}{retired}")
    return 2 if failed else 0


def run_enrol(args) -> int:
    from payer_app.payments.service import PaymentService

    with PaymentService() as service, key_problems_as_usage_errors():
        result = service.enrol(code=args.code, acquirer_url=args.acquirer)
    print(result.message)
    return 0


def run_status(args) -> int:
    from payer_app.payments.service import PaymentService

    with PaymentService() as service, key_problems_as_usage_errors():
        state = service.key_status(args.acquirer)
        kid = service.keystore.current().kid
    print(f"Key {kid} at {visible(args.acquirer, 100)}: {state}")
    return 0 if state == "active" else 1


def run_revoke(args) -> int:
    from payer_app.payments.service import PaymentService

    with PaymentService() as service, key_problems_as_usage_errors():
        state = service.revoke_key(args.kid, acquirer_url=args.acquirer, code=args.code)
    print(f"Key {visible(args.kid, 60)} at {visible(args.acquirer, 100)}: {state}")
    return 0
