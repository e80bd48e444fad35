"""``payer-app keys export [-o FILE] [--all]`` and ``payer-app keys rotate``: the payer's signing keys.

Only public keys are ever printed; the private key stays in the data folder (mode 0600).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from payer_app.cli import UsageError
from payer_app.core.keystore import KeyStore, KeyStoreError, write_file_atomically


def register(sub) -> None:
    p = sub.add_parser(
        "keys",
        help="export or rotate the payer's signing key",
        description="The payer's Ed25519 signing key (created on first use in the data folder).",
    )
    keys_sub = p.add_subparsers(dest="keys_command", metavar="ACTION")
    export = keys_sub.add_parser("export", help="print the public key as a JWK",
                                 description="Print the current public key as a JWK (RFC 7517/8037).")
    export.add_argument("-o", "--output", metavar="FILE", help="write the JWK to FILE instead of standard output")
    export.add_argument("--all", action="store_true",
                        help="a JWK Set of every key still accepted for verification (current first)")
    export.set_defaults(func=run_export)
    rotate = keys_sub.add_parser("rotate", help="make a new key pair; the old public key stays valid for verification",
                                 description="Replace the signing key. Requests signed with the old key still verify.")
    rotate.set_defaults(func=run_rotate)
    p.set_defaults(func=run_without_action)


def run_without_action(args) -> int:
    raise UsageError("keys needs an action: export or rotate")


def run_export(args) -> int:
    store = KeyStore()
    try:
        if args.all:
            store.current()  # creates the first key pair if there is none yet
            document = store.jwk_set()
        else:
            document = store.public_jwk()
    except KeyStoreError as exc:
        raise UsageError(str(exc)) from None
    text = json.dumps(document, indent=1) + "\n"
    if args.output:
        try:
            write_file_atomically(Path(args.output), text.encode("utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
        print(f"Public key written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def run_rotate(args) -> int:
    store = KeyStore()
    try:
        old = store.current().kid if store.exists() else None
        new = store.rotate()
    except KeyStoreError as exc:
        raise UsageError(str(exc)) from None
    print(f"New signing key: {new.kid}")
    if old:
        print(f"Previous key {old} is kept for verification (see `payer-app keys export --all`).")
    return 0
