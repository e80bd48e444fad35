"""Who may bind a key to a payer account at the mock acquirer, and who may revoke one: activation per
account, not per booth (docs/security.md, "Activation: who may bind a key to an account").

- ``POST /v1/keys`` binds the enrolling key (proof of possession: it signs its own enrolment) to the
  account it names, with one of:
  - a **per-account code** (``Authorization: Bearer CODE``): one-time, issued by the operator for
    one account (``issue_code``, ``payer-app acquirer codes issue``), valid for minutes, kept only as
    its SHA-256 and compared in constant time; it binds only that account, once. Wrong codes naming
    the account count against its live codes: after ``MAX_CODE_ATTEMPTS`` they are void;
  - an **endorsement** by an active key of that account (``enrolment.endorsement_token``: the new
    key's thumbprint, the account and an expiry, signed by the existing key): a rotation retires the
    endorser, adding a device keeps it;
  - ``--open-enrolment`` (demos only, no code at all): only for an account no key was ever bound to.

  The booth's **shared code** binds no key to an account the payer names, known here or not (403
  ``shared-code-names-account``): else whoever names an account first, before its owner enrols, holds
  it. It only opens demo accounts the acquirer numbers, below.
- ``POST /v1/demo-accounts`` (``open_demo_account``): the shared code opens a **new demo account**
  numbered by the acquirer (``DEMO_ACCOUNT_PREFIX`` + digits, never one that exists) and binds the
  key to it: a booth visitor's account. The same active key asking again is told its demo account
  (200), so a kiosk started again pays from the account its key opened.
- ``POST /v1/keys/{kid}/revoke``: a ``key_revocation`` signed by that key itself, by the key that
  endorsed it, or (a retired key) by the key that replaced it in a rotation; or the **operator
  token** (``Authorization: Bearer``), kept in the ledger's settings, read by ``payer-app acquirer
  revoke`` on the acquirer's machine: the operator revokes any key.

Every code and the operator token go through the acquirer's one ``WrongCodeLockout`` (5 wrong in a
minute lock every code out for a minute, ``payments/enrolment.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeGuard

from payer_app.core.display_text import visible
from payer_app.core.refusals import Refusal
from payer_app.core.timestamps import format_timestamp, parse_timestamp
from payer_app.payments.acquirer.answers import AcquirerAnswer, error_answer, refusal_answer
from payer_app.payments.acquirer.ledger import KeyBinding, Ledger, random_enrolment_code
from payer_app.payments.enrolment import (
    CLOCK_SKEW,
    ENDORSEMENT,
    ENROLMENT,
    MAX_ENDORSEMENT_MINUTES,
    REVOCATION,
    WRONG_CODE_WINDOW,
    WRONG_CODES_ALLOWED,
    SignedMessageError,
    jwk_thumbprint,
    public_key_of,
    public_key_problem,
    read_message,
)
from payer_app.payments.sqlite_store import LEDGER_SCHEMA_VERSION, StoreFile

log = logging.getLogger(__name__)

MAX_CODE_MINUTES = 24 * 60
DEFAULT_CODE_MINUTES = 10
MAX_CODE_ATTEMPTS = 5  # wrong codes naming an account before its live codes are void
DEMO_ACCOUNT_PREFIX = "99"  # demo accounts: "99" and 11 random digits (13 digits, like the demo payer's)
DEMO_ACCOUNT_DIGITS = 11
OPERATOR_TOKEN_SETTING = "operator_token"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS activation_codes (
    code_sha256 TEXT PRIMARY KEY,
    bank_bin TEXT NOT NULL,
    account TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    wrong_attempts INTEGER NOT NULL DEFAULT 0,
    used_at TEXT,
    used_by TEXT
);
CREATE INDEX IF NOT EXISTS activation_codes_account ON activation_codes (bank_bin, account);
CREATE TABLE IF NOT EXISTS key_endorsements (
    kid TEXT PRIMARY KEY,
    endorsed_by TEXT NOT NULL,
    endorsed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS opened_accounts (
    bank_bin TEXT NOT NULL,
    account TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    how TEXT NOT NULL,
    PRIMARY KEY (bank_bin, account)
);
"""


class ActivationStore(StoreFile):
    """The activation tables of the acquirer's ledger file: per-account codes (hashed), who endorsed
    which key, and the accounts opened here (by the shared code or the demo-account route)."""

    SCHEMA = _SCHEMA
    SCHEMA_VERSION = LEDGER_SCHEMA_VERSION
    SYNCHRONOUS = "NORMAL"

    def add_code(self, code: str, bank_bin: str, account: str, issued: datetime, expires: datetime) -> None:
        self._store.write("INSERT INTO activation_codes (code_sha256, bank_bin, account, issued_at, expires_at) "
                          "VALUES (?, ?, ?, ?, ?)",
                          (code_digest(code), bank_bin, account, format_timestamp(issued), format_timestamp(expires)))

    def live_codes(self, bank_bin: str, account: str, now: datetime) -> list[str]:
        """The digests of the account's codes that may still be used at ``now``."""
        rows = self._store.all("SELECT code_sha256, expires_at FROM activation_codes WHERE bank_bin = ? AND "
                               "account = ? AND used_at IS NULL AND wrong_attempts < ?",
                               (bank_bin, account, MAX_CODE_ATTEMPTS))
        return [digest for digest, expires in rows if now <= parse_timestamp(expires)]

    def count_wrong(self, bank_bin: str, account: str) -> None:
        self._store.write("UPDATE activation_codes SET wrong_attempts = wrong_attempts + 1 WHERE bank_bin = ? AND "
                          "account = ? AND used_at IS NULL", (bank_bin, account))

    def claim_code(self, digest: str, kid: str, now: datetime) -> bool:
        """Mark the code used by ``kid``; False when another enrolment used it first."""
        cursor = self._store.write("UPDATE activation_codes SET used_at = ?, used_by = ? WHERE code_sha256 = ? AND "
                                   "used_at IS NULL", (format_timestamp(now), kid, digest))
        return cursor.rowcount == 1

    def release_code(self, digest: str) -> None:
        self._store.write("UPDATE activation_codes SET used_at = NULL, used_by = NULL WHERE code_sha256 = ?", (digest,))

    def has_codes(self, bank_bin: str, account: str) -> bool:
        return self._store.one("SELECT 1 FROM activation_codes WHERE bank_bin = ? AND account = ? LIMIT 1",
                               (bank_bin, account)) is not None

    def open_account(self, bank_bin: str, account: str, now: datetime, how: str) -> bool:
        """Record the account as opened here; False when it already was (a concurrent opening)."""
        cursor = self._store.write("INSERT OR IGNORE INTO opened_accounts VALUES (?, ?, ?, ?)",
                                   (bank_bin, account, format_timestamp(now), how))
        return cursor.rowcount == 1

    def forget_opened(self, bank_bin: str, account: str) -> None:
        self._store.write("DELETE FROM opened_accounts WHERE bank_bin = ? AND account = ?", (bank_bin, account))

    def was_opened(self, bank_bin: str, account: str) -> bool:
        return self.opened_how(bank_bin, account) is not None

    def opened_how(self, bank_bin: str, account: str) -> str | None:
        """How the account was opened here ("demo", "shared-code"), or None."""
        row = self._store.one("SELECT how FROM opened_accounts WHERE bank_bin = ? AND account = ?",
                              (bank_bin, account))
        return row[0] if row else None

    def has_balance(self, bank_bin: str, account: str) -> bool:
        """The bank side of the ledger keeps a balance for the account (its ``account_balances`` table,
        when the file has one): the operator opened it, so it exists."""
        try:
            return self._store.one("SELECT 1 FROM account_balances WHERE payer_scope = ?",
                                   (f"{bank_bin}/{account}",)) is not None
        except sqlite3.OperationalError:  # a ledger without balances
            return False

    def endorse(self, kid: str, endorsed_by: str, now: datetime) -> None:
        self._store.write("INSERT OR REPLACE INTO key_endorsements VALUES (?, ?, ?)",
                          (kid, endorsed_by, format_timestamp(now)))

    def endorser_of(self, kid: str) -> str | None:
        row = self._store.one("SELECT endorsed_by FROM key_endorsements WHERE kid = ?", (kid,))
        return row[0] if row else None


# --- the operator's side: codes and the operator token -----------------------------------------
def code_digest(code: str) -> str:
    """What is kept of a per-account code: the SHA-256 of its normalised form (80 random bits: a
    plain hash cannot be reversed by trying codes)."""
    return hashlib.sha256(normalised_code(code).encode("utf-8", "surrogatepass")).hexdigest()


def normalised_code(code: str) -> str:
    """A code as typed: spaces around it ignored, letters in either case."""
    return code.strip().upper()


def issue_code(ledger_path: Path | str, bank_bin: str, account: str, minutes: int = DEFAULT_CODE_MINUTES,
               now: datetime | None = None) -> tuple[str, datetime]:
    """A new one-time activation code for ``bank_bin``/``account``, valid ``minutes`` from ``now``
    (the acquirer's clock, UTC), kept hashed in the ledger file. Returns (code, expiry). Raises
    ValueError for an account or a duration that cannot be."""
    problem = account_problem(bank_bin, account)
    if problem:
        raise ValueError(problem)
    if not 1 <= minutes <= MAX_CODE_MINUTES:
        raise ValueError(f"a code is valid for 1 to {MAX_CODE_MINUTES} minutes, not {minutes}")
    issued = now or datetime.now(UTC)
    expires = issued + timedelta(minutes=minutes)
    code = random_enrolment_code()
    store = ActivationStore(ledger_path)
    try:
        store.add_code(code, bank_bin, account, issued, expires)
    finally:
        store.close()
    return code, expires


def account_problem(bank_bin: str, account: str) -> str | None:
    """Why BANK_BIN/ACCOUNT cannot name a payer account (6 digits / 1-34 ASCII letters or digits), or None."""
    if not (isinstance(bank_bin, str) and len(bank_bin) == 6 and bank_bin.isascii() and bank_bin.isdigit()):
        return f"the bank must be a 6-digit BIN, not {visible(str(bank_bin), 40)}"
    if not _is_account_text(account):
        return f"the account must be 1 to 34 ASCII letters or digits, not {visible(str(account), 60)}"
    return None


def operator_token(ledger: Ledger | Path | str) -> str:
    """The acquirer's operator token (kept in the ledger's settings, made on first use): whoever
    can read the ledger file is the operator. Never printed by ``acquirer serve``."""
    owned = not isinstance(ledger, Ledger)
    book = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
    try:
        token = book.setting(OPERATOR_TOKEN_SETTING)
        if not token:
            token = "op-" + secrets.token_urlsafe(32)
            book.set_setting(OPERATOR_TOKEN_SETTING, token)
        return token
    finally:
        if owned:
            book.close()


def new_demo_account_number() -> str:
    """A candidate demo account number: ``DEMO_ACCOUNT_PREFIX`` and random digits."""
    return DEMO_ACCOUNT_PREFIX + "".join(secrets.choice("0123456789") for _ in range(DEMO_ACCOUNT_DIGITS))


# --- the acquirer's side ------------------------------------------------------------------------
class Activation:
    """Enrolment, demo accounts and revocation for one ``MockAcquirer`` (``acquirer``: its ledger,
    key bindings, audiences, clock, shared code, open enrolment and code lock-out)."""

    def __init__(self, acquirer: Any):
        self.acquirer = acquirer
        self.store = ActivationStore(acquirer.ledger.path)
        self.operator_token = operator_token(acquirer.ledger)

    def close(self) -> None:
        self.store.close()

    # --- POST /v1/keys ------------------------------------------------------------------------
    def enrol(self, token: bytes | str, authorization: str | None, now: datetime | None = None) -> AcquirerAnswer:
        """Order: the proof of possession, the key's quality, audience and freshness, the account,
        then the right to bind it (a per-account code or an endorsement; the shared code binds none)."""
        now = now or self.acquirer.clock()
        message = self._read_enrolment(token, authorization, now)
        if isinstance(message, AcquirerAnswer):
            return message
        body = message.payload
        account, bank_bin = body.get("account"), body.get("bank_bin")
        if not _is_account_text(account) or not _is_account_text(bank_bin):
            allowed = authorization is not None or self.acquirer.open_enrolment
            return error_answer(400 if allowed else 401, "bad-account" if allowed else "enrolment-code-required",
                                "The enrolment must name the payer account (account, bank_bin: 1 to 34 letters "
                                "or digits).")
        if authorization is not None:
            grant = self._code_grant(authorization, bank_bin, account)
        elif self.acquirer.open_enrolment and body.get("endorsement") is None:
            grant = ("open",)
        else:
            grant = self._endorsement_grant(body.get("endorsement"), message.kid, bank_bin, account, now)
        if isinstance(grant, AcquirerAnswer):
            return grant
        if grant[0] == "shared":
            return refusal_answer(403, Refusal("shared-code-names-account", account=f"{bank_bin}/{account}"))
        return self._bind(message.kid, body["jwk"], bank_bin, account, grant, now)

    def _read_enrolment(self, token: bytes | str, authorization: str | None, now: datetime):
        try:
            return read_message(token, ENROLMENT, enrolment_key, self.acquirer.audiences, now)
        except SignedMessageError as exc:
            if authorization is None and not self.acquirer.open_enrolment:
                return error_answer(401, "enrolment-code-required",
                                    "Enrolling a key needs a code (Authorization: Bearer CODE) or an endorsement "
                                    "by the account's key.")
            status = 421 if exc.code == "wrong-audience" else 422 if exc.code == "stale" else 400
            code = {"bad-signature": "bad-proof"}.get(exc.code, exc.code)
            return error_answer(status, code, f"Cannot enrol this key: {exc.message}")

    def _code_grant(self, authorization: str, bank_bin: str, account: str):
        """("shared",) for the booth's code, ("code", digest) for a live code of this account, else the
        refusal (the wrong code counted against the account's codes and the lock-out)."""
        value = _bearer(authorization)
        matched: list[tuple[str, ...]] = []

        def matches() -> bool:
            shared = self.acquirer.enrol_code
            if value is not None and shared and hmac.compare_digest(_utf8(value), _utf8(shared)):
                matched.append(("shared",))
                return True
            digest = code_digest(value) if value is not None else ""
            for live in self.store.live_codes(bank_bin, account, self.acquirer.clock()):
                if hmac.compare_digest(live, digest):
                    matched.append(("code", live))
            return bool(matched)

        refused = self._attempt(matches, "bad-enrolment-code", "The code is wrong, used or expired.")
        if refused is not None:
            if refused.http_status == 401:
                self.store.count_wrong(bank_bin, account)
            return refused
        return matched[0]

    def _endorsement_grant(self, endorsement: Any, new_kid: str, bank_bin: str, account: str, now: datetime):
        """("endorsed", endorser kid, retire) or the refusal."""
        if endorsement is None:
            return error_answer(401, "enrolment-code-required",
                                "Enrolling a key needs a code (Authorization: Bearer CODE), or an endorsement by "
                                "the account's active key.")
        bindings, keys = self.acquirer._bindings, self.acquirer._keys

        def active_key_of_account(kid: str, payload: dict[str, Any]):
            b = bindings.get(kid)
            if b is None or b.state != "active" or (b.bank_bin, b.account) != (bank_bin, account):
                return None
            return keys.by_kid.get(kid)

        try:
            message = read_message(endorsement if isinstance(endorsement, str) else "", ENDORSEMENT,
                                   active_key_of_account, self.acquirer.audiences, now, fresh=False)
        except SignedMessageError as exc:
            return error_answer(403, "bad-endorsement",
                                f"The endorsement is not one from an active key of this account ({exc.code}).")
        p = message.payload
        if p.get("new_kid") != new_kid or p.get("account") != account or p.get("bank_bin") != bank_bin:
            return error_answer(403, "bad-endorsement", "The endorsement names another key or account.")
        problem = endorsement_time_problem(p, now)
        if problem:
            return error_answer(403, "bad-endorsement", problem)
        return ("endorsed", message.kid, p.get("retire") is True)

    def _bind(self, kid: str, jwk: dict[str, Any], bank_bin: str, account: str, grant: tuple,
              now: datetime) -> AcquirerAnswer:
        """Bind the key as ``grant`` allows: open enrolment only an account no key was ever bound to."""
        if grant[0] == "open":
            known = self._known_binding(kid)
            if known is not None and (known.bank_bin, known.account) == (bank_bin, account):
                return self._answer(kid, "known", None)
            # Open enrolment (a demo without any code): an account no key was ever bound to (the operator
            # may have opened it with a balance).
            taken = self._has_key(bank_bin, account) or self.store.was_opened(bank_bin, account)
            if taken or not self.store.open_account(bank_bin, account, now, "open-enrolment"):
                return _account_exists()
        if grant[0] == "code" and not self.store.claim_code(grant[1], kid, now):
            return error_answer(401, "bad-enrolment-code", "The code is wrong, used or expired.")
        retire = grant[1] if grant[0] == "endorsed" and grant[2] else None
        public = {k: jwk[k] for k in ("kty", "crv", "x")}
        with self.acquirer._keys_lock:
            result = self.acquirer.ledger.bind(KeyBinding(kid, public, bank_bin, account, format_timestamp(now)),
                                               retire=retire)
            self.acquirer._reload_keys()
        if result != "created" and grant[0] == "code":  # nothing was bound with it: the code stays usable
            self.store.release_code(grant[1])
        if result == "conflict":
            if grant[0] in ("open", "opened"):  # nothing was bound to the account it opened
                self.store.forget_opened(bank_bin, account)
            return error_answer(409, "key-already-bound", "This key is already bound to another payer account.")
        if result == "created" and grant[0] == "endorsed":
            self.store.endorse(kid, grant[1], now)
        answer = self._answer(kid, result, retire)
        if grant[0] == "opened":  # the acquirer numbered it: the payer learns it here
            answer.body.update(bank_bin=bank_bin, account=account)
        return answer

    def _answer(self, kid: str, result: str, retire: str | None) -> AcquirerAnswer:
        current = self.acquirer._bindings[kid]
        return AcquirerAnswer(201 if result == "created" else 200,
                              {"kid": kid, "enrolled": result == "created", "status": current.state,
                               "retired_kid": retire})

    def _known_binding(self, kid: str) -> KeyBinding | None:
        return self.acquirer._bindings.get(kid)

    def account_exists(self, bank_bin: str, account: str) -> bool:
        """The account is known here: a key was ever bound to it, a code was issued for it, it was
        opened here, or the bank side keeps a balance for it."""
        if self._has_key(bank_bin, account):
            return True
        return (self.store.has_codes(bank_bin, account) or self.store.was_opened(bank_bin, account)
                or self.store.has_balance(bank_bin, account))

    def _has_key(self, bank_bin: str, account: str) -> bool:
        """A key was ever bound to the account here (active, retired or revoked)."""
        return any((b.bank_bin, b.account) == (bank_bin, account) for b in self.acquirer._bindings.values())

    # --- POST /v1/demo-accounts ---------------------------------------------------------------
    def open_demo_account(self, token: bytes | str, authorization: str | None,
                          now: datetime | None = None) -> AcquirerAnswer:
        """The shared code (or open enrolment) opens a new demo account at the enrolment's ``bank_bin``,
        numbered here, with the operator's starting balance (``Balances.open_demo``: the visitor can
        pay at once), and binds the enrolling key to it: 201 with ``bank_bin`` and ``account``."""
        now = now or self.acquirer.clock()
        if authorization is None and not self.acquirer.open_enrolment:
            return error_answer(401, "enrolment-code-required",
                                "Opening a demo account needs the booth's code (Authorization: Bearer CODE).")
        message = self._read_enrolment(token, authorization, now)
        if isinstance(message, AcquirerAnswer):
            return message
        body = message.payload
        bank_bin = body.get("bank_bin")
        if body.get("new_account") is not True or "account" in body or account_problem(bank_bin, "0") is not None:
            return error_answer(400, "bad-account", "A demo account is asked for with new_account true, a 6-digit "
                                "bank_bin and no account (the acquirer numbers it).")
        if authorization is not None:
            value = _bearer(authorization)
            shared = self.acquirer.enrol_code or ""
            refused = self._attempt(lambda: value is not None and bool(shared) and
                                    hmac.compare_digest(_utf8(value), _utf8(shared)),
                                    "bad-enrolment-code", "The booth's code is wrong.")
            if refused is not None:
                return refused
        known = self._known_binding(message.kid)
        if known is not None:
            return self._demo_account_of(known, bank_bin)
        for _ in range(20):
            account = new_demo_account_number()
            if not self.account_exists(bank_bin, account) and self.store.open_account(bank_bin, account, now, "demo"):
                # its starting balance before the key is bound: no key ever pays from it without one
                self.acquirer.ledger.balances.open_demo(f"{bank_bin}/{account}", format_timestamp(now))
                return self._bind(message.kid, body["jwk"], bank_bin, account, ("opened",), now)
        return error_answer(503, "unavailable", "No free demo account number was found; try again.")

    def _demo_account_of(self, known: KeyBinding, bank_bin: str) -> AcquirerAnswer:
        """A key asking again (a kiosk started again): 200 with the demo account it opened, while it is
        active; a key bound to any other account opens nothing."""
        if (known.bank_bin != bank_bin or known.state != "active"
                or self.store.opened_how(known.bank_bin, known.account) != "demo"):
            return error_answer(409, "key-already-bound", "This key is already bound to a payer account.")
        # a demo account opened before demo balances were kept gets its starting balance now
        opened_at = format_timestamp(self.acquirer.clock())
        self.acquirer.ledger.balances.open_demo(f"{known.bank_bin}/{known.account}", opened_at)
        answer = self._answer(known.kid, "known", None)
        answer.body.update(bank_bin=known.bank_bin, account=known.account)
        return answer

    # --- POST /v1/keys/{kid}/revoke -----------------------------------------------------------
    def revoke(self, kid: str, token: bytes | str, authorization: str | None,
               now: datetime | None = None) -> AcquirerAnswer:
        """With the operator token: any key. Else a revocation signed by the key itself or by the key
        that endorsed it."""
        now = now or self.acquirer.clock()
        target = self.acquirer._bindings.get(kid)
        if authorization is not None:
            value = _bearer(authorization)
            refused = self._attempt(lambda: value is not None and
                                    hmac.compare_digest(_utf8(value), _utf8(self.operator_token)),
                                    "bad-operator-token", "Only the operator token revokes a key without its "
                                    "signature (payer-app acquirer revoke, on the acquirer's machine).")
            if refused is not None:
                return refused
        else:
            refused = self._revoker_refusal(kid, target, token, now)
            if refused is not None:
                return refused
        if target is None:
            return error_answer(404, "not-found", "No key with this id is enrolled here.")
        with self.acquirer._keys_lock:
            self.acquirer.ledger.revoke(kid, format_timestamp(now))
            self.acquirer._reload_keys()
        return self.acquirer.key_status(kid)

    def _revoker_refusal(self, kid: str, target: KeyBinding | None, token: bytes | str,
                         now: datetime) -> AcquirerAnswer | None:
        bindings, keys = self.acquirer._bindings, self.acquirer._keys

        def key_of(signer: str, payload: dict[str, Any]):
            b = bindings.get(signer)
            return None if b is None or b.state == "revoked" else keys.by_kid.get(signer)

        try:
            message = read_message(token, REVOCATION, key_of, self.acquirer.audiences, now)
        except SignedMessageError as exc:
            return error_answer(401, "signature-required",
                                f"Revoking a key needs a revocation signed by that key or by the key that "
                                f"endorsed it ({exc.code}).")
        if message.payload.get("kid") != kid or target is None or not self._may_revoke(message.kid, target):
            return error_answer(403, "not-allowed", "A key may revoke only itself or a key it endorsed.")
        return None

    def _may_revoke(self, signer: str, target: KeyBinding) -> bool:
        """Itself; a key it endorsed; or the key it replaced in a rotation (that key endorsed it and
        was retired by it: revoking it takes nothing more from anyone)."""
        if signer == target.kid or self.store.endorser_of(target.kid) == signer:
            return True
        return target.state == "retired" and self.store.endorser_of(signer) == target.kid

    # --- codes and the lock-out ---------------------------------------------------------------
    def _attempt(self, matches, wrong_code: str, wrong_words: str) -> AcquirerAnswer | None:
        """None when ``matches()``; 429 with ``Retry-After`` during a lock-out (nothing compared);
        else 401 ``wrong_code``, counted and logged."""
        what = "operator token" if wrong_code == "bad-operator-token" else "enrolment code"
        attempt = self.acquirer.code_lockout.attempt(matches)
        if attempt.outcome == "right":
            return None
        if attempt.outcome == "locked":
            return AcquirerAnswer(429, {"status": "rejected", "error": "too-many-attempts",
                                        "message": f"Too many wrong codes; try again in {attempt.retry_after} s."},
                                  headers={"Retry-After": str(attempt.retry_after)})
        window = int(WRONG_CODE_WINDOW.total_seconds())
        if attempt.locked_until is None:
            log.warning("wrong %s (%d within %d s; at %d every code is refused for %d s)", what,
                        attempt.wrong_in_window, window, WRONG_CODES_ALLOWED, window)
        else:
            log.warning("wrong %s (%d within %d s): every code is locked out (429) until %s", what,
                        attempt.wrong_in_window, window, format_timestamp(attempt.locked_until))
        return error_answer(401, wrong_code, wrong_words)


# --- checks -------------------------------------------------------------------------------------
def enrolment_key(kid: str, payload: dict[str, Any]):
    """The key an enrolment is checked with: the one it carries, if it is a sound Ed25519 public key
    (core's rule: small-order and non-canonical points are refused) whose thumbprint is the kid."""
    jwk = payload.get("jwk")
    if not isinstance(jwk, dict) or set(jwk) != {"kty", "crv", "x"}:
        raise SignedMessageError("bad-key", "The enrolment's jwk must be exactly {kty: OKP, crv: Ed25519, x}.")
    problem = public_key_problem(jwk)
    if problem:
        raise SignedMessageError("weak-key", visible(problem, 300))
    key = public_key_of(jwk)
    if key is None or jwk_thumbprint(jwk) != kid:
        raise SignedMessageError("bad-key", "The enrolment's kid is not the thumbprint of its jwk.")
    return key


def endorsement_time_problem(payload: dict[str, Any], now: datetime) -> str | None:
    """Why an endorsement is out of its time (None when it is not): made no later than now (plus the
    clock skew), expiring after now, and lasting at most ``MAX_ENDORSEMENT_MINUTES``."""
    try:
        created = parse_timestamp(str(payload.get("created_at")))
        expires = parse_timestamp(str(payload.get("expires_at")))
    except (ValueError, TypeError, OverflowError):
        return "The endorsement must carry created_at and expires_at timestamps."
    if created > now + CLOCK_SKEW:
        return "The endorsement is dated in the future."
    if expires - created > timedelta(minutes=MAX_ENDORSEMENT_MINUTES) or expires < created:
        return f"An endorsement lasts at most {MAX_ENDORSEMENT_MINUTES} minutes."
    if now > expires:
        return "The endorsement has expired; ask the account's device for a new one."
    return None


def _account_exists() -> AcquirerAnswer:
    return error_answer(403, "account-exists",
                        "This account already has a key here: open enrolment only opens new accounts. Enrol with a "
                        "code the operator issues for this account (payer-app acquirer codes issue) or with an "
                        "endorsement by the account's key.")


def _is_account_text(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= 34 and value.isascii() and value.isalnum()


def _bearer(authorization: str) -> str | None:
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


__all__ = ["MAX_CODE_ATTEMPTS", "Activation", "ActivationStore", "account_problem",
           "enrolment_key", "issue_code", "new_demo_account_number", "operator_token"]
