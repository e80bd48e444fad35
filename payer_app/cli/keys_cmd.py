"""``payer-app keys``: the payer's signing keys, locally and at an HTTP acquirer.

- ``keys export [-o FILE] [--all]``: the public key (or every key, with retirement times) as JWK.
- ``keys rotate [--acquirer URL ...]``: a new key pair; the old public key stays for verification,
  retired now. With ``--acquirer`` the new key is enrolled there, endorsed by the old one (no code).
- ``keys enrol --acquirer URL --code CODE``: bind the current key to the payer account at that
  acquirer, with a one-time code for this account (``payer-app acquirer codes issue --account``);
  ``--endorsement FILE`` instead: an endorsement made by the account's device. The booth's code
  (``acquirer serve`` prints it) binds no key to a named account: refused with
  ``shared-code-names-account`` in one line saying what to do (exit 2); it opens only demo accounts
  the acquirer numbers (``payer-app gui --acquirer URL --enrol-code CODE``).
- ``keys endorse JWK_FILE --acquirer URL [--minutes M]``: on the device whose key is active for the
  account, endorse a new device's public key (``keys export`` there): the endorsement is printed,
  for ``keys enrol --endorsement`` on the new device; the new key can then revoke only itself.
- ``keys status --acquirer URL``: is the current key active, retired, revoked or not enrolled there.
- ``keys revoke KID --acquirer URL [--code TOKEN]``: revoke a key at the acquirer, signed by the
  current key (itself, or a key it endorsed), or with the acquirer's operator token.

Only public keys are ever printed; the private key stays in the data folder (mode 0600). Every
key-file problem, and every refusal by the acquirer, is one clear message and exit 2; an acquirer
that does not answer is exit 3 (``keys rotate`` goes on with the other acquirers and ends 2 or 3).
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

from payer_app.cli.exits import EXIT_NO, EXIT_OK, EXIT_PENDING, EXIT_USAGE, NoAnswerError, UsageError
from payer_app.cli.options import add_acquirer_option, add_command, add_command_group
from payer_app.core.display_text import visible
from payer_app.files import write_file_atomically
from payer_app.payments.accounts import current_keystore
from payer_app.payments.keystore import KeyStoreError


def register(sub) -> None:
    actions = add_command_group(sub, "keys", "export, rotate, enrol or revoke the payer's signing key",
                                "The payer's Ed25519 signing key (created on first use in the data folder).")
    export = add_command(actions, "export", "print the public key as a JWK",
                         "Print the current public key as a JWK (RFC 7517/8037).", func=run_export)
    export.add_argument("-o", "--output", metavar="FILE", help="write the JWK to FILE instead of standard output")
    export.add_argument("--all", action="store_true",
                        help="a JWK Set of every key still accepted for verification (current first), with "
                        "retirement times")
    rotate = add_command(actions, "rotate", "make a new key pair; the old public key stays valid for verification",
                         "Replace the signing key. Requests signed with the old key before now still verify; "
                         "requests dated later do not.", func=run_rotate)
    rotate.add_argument("--acquirer", metavar="URL", action="append", default=[],
                        help="enrol the new key at this HTTP acquirer, endorsed by the old key (repeatable)")
    enrol = add_command(actions, "enrol", "enrol the current key at an HTTP acquirer",
                        "Bind the current key to the payer account at an HTTP acquirer, with a one-time code "
                        "the operator issues for this account (`payer-app acquirer codes issue --account`), or "
                        "an endorsement by the account's device.", func=run_enrol)
    add_acquirer_option(enrol, "the acquirer, e.g. http://127.0.0.1:8765", required=True)
    how = enrol.add_mutually_exclusive_group()
    how.add_argument("--code", metavar="CODE", help="a one-time code for this account (payer-app acquirer codes "
                     "issue --account; the booth's code opens only demo accounts, not this one; not needed with "
                     "--open-enrolment)")
    how.add_argument("--endorsement", metavar="FILE", help="an endorsement of this key by the account's device "
                     "(payer-app keys endorse there)")
    status = add_command(actions, "status", "the current key's state at an HTTP acquirer",
                         "Is the current key active, retired, revoked or not enrolled at the acquirer? "
                         "Exit 0 active, 1 not active.", func=run_status)
    add_acquirer_option(status, "the acquirer, e.g. http://127.0.0.1:8765", required=True)
    revoke = add_command(actions, "revoke", "revoke a key at an HTTP acquirer",
                         "Revoke KID at the acquirer: nothing it signs is accepted there any more. Signed by the "
                         "current key (same account), or with --code.", func=run_revoke)
    revoke.add_argument("kid", metavar="KID")
    add_acquirer_option(revoke, "the acquirer, e.g. http://127.0.0.1:8765", required=True)
    revoke.add_argument("--code", metavar="TOKEN", help="the acquirer's operator token instead of a signature "
                        "(payer-app acquirer revoke does this on the acquirer's machine)")
    endorse = add_command(actions, "endorse", "endorse a new device's key for this account",
                          "Sign an endorsement of another device's public key (JWK_FILE, from `payer-app keys "
                          "export` there) for this payer's account; print it for `payer-app keys enrol "
                          "--endorsement FILE` on that device.", func=run_endorse)
    endorse.add_argument("jwk_file", metavar="JWK_FILE")
    add_acquirer_option(endorse, "the acquirer the new key enrols at", required=True)
    endorse.add_argument("--minutes", type=int, default=10, help="how long the endorsement is valid (1 to 1440, "
                         "default 10)")


@contextmanager
def key_and_acquirer_problems():
    """Key files that cannot be used, an acquirer that says no: one line, exit 2; an acquirer that
    does not answer: one line, exit 3 (try again later)."""
    from payer_app.payments.acquirer_client import AcquirerUnavailable
    from payer_app.payments.errors import EnrolmentRefused, PaymentSetupError

    try:
        yield
    except KeyStoreError as exc:
        raise UsageError(f"key store: {exc}") from None
    except EnrolmentRefused as exc:  # a refusal the catalogue words itself is named by its code, for scripts
        raise UsageError(f"{exc.code}: {exc.message}" if exc.kind == exc.code else exc.message) from None
    except PaymentSetupError as exc:
        raise UsageError(exc.message) from None
    except AcquirerUnavailable as exc:
        raise NoAnswerError(f"from the acquirer: {visible(str(exc), 300)}") from None


def run_export(args) -> int:
    with key_and_acquirer_problems():
        store = current_keystore()  # the current source account's key (payments/accounts.py)
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
    return EXIT_OK


def run_rotate(args) -> int:
    old = None
    with key_and_acquirer_problems():
        store = current_keystore()  # the current source account's key (payments/accounts.py)
        if store.exists():
            try:
                old = store.current()  # kept in memory to endorse the new key at acquirers
            except KeyStoreError as exc:
                print(f"payer-app keys rotate: the old key is unusable ({exc}); rotating anyway.", file=sys.stderr)
        new = store.rotate()
    print(f"New signing key: {new.kid}")
    if old:
        print(f"Previous key {old.kid} is kept for verification, retired now (see `payer-app keys export --all`).")
    codes = [_enrol_rotated_key(url, old) for url in args.acquirer]
    return EXIT_USAGE if EXIT_USAGE in codes else max(codes, default=EXIT_OK)


def _enrol_rotated_key(url: str, old) -> int:
    """Enrol the new key at one acquirer, endorsed by the old key; a failure is one line on stderr
    and its exit code (2 refused or unusable, 3 no answer), and the next acquirer is still tried."""
    from payer_app.payments.service import PaymentService

    with PaymentService() as service:
        try:
            with key_and_acquirer_problems():
                if old is None:
                    raise UsageError("there is no previous key to endorse the new one; enrol it with the code: "
                                     f"payer-app keys enrol --acquirer {visible(url, 100)} --code CODE")
                result = service.enrol(acquirer_url=url, endorsed_by=old)
        except UsageError as exc:
            print(f"payer-app keys rotate: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except NoAnswerError as exc:
            print(f"payer-app keys rotate: no answer {exc}", file=sys.stderr)
            return EXIT_PENDING
    retired = f" Key {result.retired_kid} is retired there." if result.retired_kid else ""
    print(f"{result.message}{retired}")
    return EXIT_OK


def run_enrol(args) -> int:
    from payer_app.payments.service import PaymentService

    endorsement = _read_small_file(args.endorsement, "--endorsement").strip() if args.endorsement else None
    with PaymentService() as service, key_and_acquirer_problems():
        result = service.enrol(code=args.code, acquirer_url=args.acquirer, endorsement=endorsement)
    print(result.message)
    return EXIT_OK


def run_endorse(args) -> int:
    """The endorsement on standard output; the key it names on standard error."""
    from payer_app.core.keys import BadPublicKeyError, check_ed25519_public_jwk
    from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted
    from payer_app.payments.enrolment import MAX_ENDORSEMENT_MINUTES, endorsement_token
    from payer_app.payments.service import PaymentService

    if not 1 <= args.minutes <= MAX_ENDORSEMENT_MINUTES:
        raise UsageError(f"--minutes must be 1 to {MAX_ENDORSEMENT_MINUTES}, not {args.minutes}")
    shown = visible(args.jwk_file, 200)
    try:
        jwk = loads_untrusted(_read_small_file(args.jwk_file, "JWK_FILE"), max_bytes=8192, max_depth=4,
                              what=shown)
        new_kid = check_ed25519_public_jwk(jwk, shown)
    except (UntrustedJSONError, BadPublicKeyError) as exc:
        raise UsageError(f"JWK_FILE: {visible(str(exc), 300)}") from None
    with PaymentService() as service, key_and_acquirer_problems():
        current = service.keystore.current()
        payer = service.payer
        token = endorsement_token(current, new_kid, payer.account, payer.bank_bin, args.acquirer,
                                  minutes=args.minutes)
    print(token)
    print(f"Key {new_kid} endorsed by {current.kid} for {payer.bank_bin}/{payer.account}, for {args.minutes} "
          "minute(s).", file=sys.stderr)
    return EXIT_OK


def _read_small_file(name: str, what: str) -> str:
    """A small text file from outside (a JWK or an endorsement), read with the house's care."""
    from payer_app.files import UnsafeFileError, read_regular_file

    try:
        return read_regular_file(Path(name), 16_000, what).decode("utf-8")
    except UnsafeFileError as exc:
        raise UsageError(f"{what}: {visible(str(exc), 300)}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{what}: {visible(name, 200)} is not UTF-8 text") from None


def run_status(args) -> int:
    from payer_app.payments.service import PaymentService

    with PaymentService() as service, key_and_acquirer_problems():
        state = service.key_status(args.acquirer)
        kid = service.keystore.current().kid
    print(f"Key {kid} at {visible(args.acquirer, 100)}: {state}")
    return EXIT_OK if state == "active" else EXIT_NO


def run_revoke(args) -> int:
    from payer_app.payments.service import PaymentService

    with PaymentService() as service, key_and_acquirer_problems():
        state = service.revoke_key(args.kid, acquirer_url=args.acquirer, code=args.code)
    print(f"Key {visible(args.kid, 60)} at {visible(args.acquirer, 100)}: {state}")
    return EXIT_OK
