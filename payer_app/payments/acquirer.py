"""The mock acquirer: receives signed payment requests, checks them, answers, keeps a SQLite ledger.

``MockAcquirer`` holds the logic (used in-process by the payer app's embedded mode and by the HTTP
app); ``create_app`` wraps it in a Starlette application. The checks and their order are in
docs/security.md ("What the acquirer checks"), every status/code in docs/payments.md ("HTTP answers of
the mock acquirer") and in ``ERROR_TABLE``:

- ``POST /v1/payments`` (compact JWS, ``Content-Type: application/jose``): 201 approved, 402 declined,
  409 the same token again (body: the first answer), 4xx refusals, 503 injected outage.
- ``GET /v1/payments/{request_id}`` with ``Authorization: JWS <payment_lookup signed by the payer>``.
- ``POST /v1/keys`` (compact JWS ``key_enrolment`` signed by the new key) with
  ``Authorization: Bearer <enrolment code>`` or an endorsement by the account's current key.
- ``GET /v1/keys/{kid}``: active / retired / revoked (nothing about the account).
- ``POST /v1/keys/{kid}/revoke`` with the enrolment code or a ``key_revocation`` signed by a key of
  the same account.
- ``GET /v1/health`` (no file paths).

Failure injection (``FailureSettings``) is drawn from a hash of the seed and the idempotency key,
so a run is reproducible whatever the order in which concurrent requests arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import socket
import sqlite3
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from payer_app.core.display_text import visible
from payer_app.core.request import Limits
from payer_app.core.timestamps import format_timestamp, parse_timestamp
from payer_app.core.signing import VerificationKeys, verify_request
from payer_app.payments.enrolment import (
    CLOCK_SKEW,
    EMBEDDED_AUDIENCE,
    ENDORSEMENT,
    ENROLMENT,
    LOOKUP,
    REVOCATION,
    WRONG_CODE_WINDOW,
    WRONG_CODES_ALLOWED,
    SignedMessageError,
    WrongCodeLockout,
    jwk_thumbprint,
    normalise_audience,
    public_key_of,
    public_key_problem,
    read_message,
)
from payer_app.payments.sqlite_store import LEDGER_SCHEMA_VERSION, StoreFile

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64_000
MAX_KEY_BODY_BYTES = 16_000
MAX_HEADER_CHARS = 8_000
JOSE_MEDIA_TYPE = "application/jose"
# The random enrolment code: 16 characters from 32 that cannot be misread (no 0/O, 1/I), 80 bits, in
# groups of four ("7KQM-R2XD-..."), so an operator can read it out and a payer type it. It never starts
# with "-", which a command line would take for an option.
ENROL_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ENROL_CODE_GROUPS = 4
MIN_ENROL_CODE_CHARS = 16  # a fixed --enrol-code is at least as long as the random one

# Verification reasons answered with 422 (the request is authentic but cannot be accepted); 403
# for the key's own state; every other failure is a 400.
UNPROCESSABLE_REASONS = frozenset(
    {"expired", "not-yet-valid", "below-minimum", "above-maximum", "amount-mismatch",
     "payee-mismatch", "bill-mismatch", "invalid-qr", "not-vnd", "stale", "too-old"}
)
KEY_STATE_REASONS = frozenset({"key-retired", "key-revoked"})
# Reasons that mean the signed content is not a well-formed request at all: refused before anything
# else is looked at (no idempotency lookup).
STRUCTURAL_REASONS = frozenset({"bad-content", "key-mismatch", "qr-mismatch", "malformed"})

# (status, code, meaning): the error table of docs/payments.md ("HTTP answers of the mock acquirer") is this list.
ERROR_TABLE: list[tuple[int, str, str]] = [
    (200, "-", "lookup of your own payment; key status; enrolment of a key already bound to this account"),
    (201, "approved", "payment recorded and approved (body: acquirer_reference); key enrolled"),
    (402, "declined", "payment recorded and declined (injected insufficient funds)"),
    (409, "duplicate", "this exact token was already answered; the body is that first answer"),
    (400, "malformed", "not a compact EdDSA JWS: syntax, base64url, header JSON, typ, unknown header parameters"),
    (400, "unsupported-algorithm", "alg is not EdDSA (none, HS256...)"),
    (400, "bad-signature", "the signature does not match the content and key (or is not canonical)"),
    (400, "bad-content / key-mismatch / qr-mismatch", "the signed content breaks the request schema"),
    (400, "bad-proof", "an enrolment not signed by the key it enrols (no proof of possession)"),
    (400, "weak-key", "a small-order, non-canonical or off-curve Ed25519 key (forgeable signatures)"),
    (400, "bad-key / bad-account", "the enrolment's jwk or payer account is not well formed"),
    (400, "bad-request", "anything else the acquirer could not read (never a 500)"),
    (401, "enrolment-code-required", "POST /v1/keys without the enrolment code (and no endorsement)"),
    (401, "bad-enrolment-code", "the Bearer enrolment code is wrong"),
    (401, "signature-required", "a lookup or revocation without a valid signature of the payer"),
    (403, "key-not-enrolled", "the signing key is not enrolled at this acquirer"),
    (403, "key-revoked", "the signing key was revoked: nothing it signs is accepted"),
    (403, "account-mismatch", "payer.account/bank_bin is not the account bound to the signing key"),
    (403, "key-retired", "the request was received, or dated, more than 60 s (clock skew) after its key was retired"),
    (403, "bad-endorsement", "a rotation endorsement not signed by an active key of that account"),
    (403, "not-allowed", "a revocation signed by a key of another account"),
    (404, "not-found", "no such payment of yours / no such key / no such route"),
    (405, "method-not-allowed", "wrong HTTP method for the route"),
    (409, "key-already-bound", "the key is already bound to another payer account"),
    (413, "too-large", "body larger than the cap (64,000 bytes for payments, 16,000 for keys)"),
    (415, "unsupported-media-type", "POST bodies must be Content-Type: application/jose"),
    (421, "wrong-audience", "the request (or enrolment) is addressed to another acquirer (aud)"),
    (422, "idempotency-key-reused", "another request of this payer already used this idempotency key"),
    (422, "request-id-reused", "another request of this payer already used this request id"),
    (422, "nonce-reused", "this payer already used the nonce in an accepted request still within its lifetime"),
    (422, "expired / not-yet-valid", "outside the request's lifetime (TTL plus clock skew)"),
    (422, "stale", "an enrolment/endorsement/lookup older than 5 minutes (plus skew) or from the future"),
    (422, "below-minimum / above-maximum", "outside the acquirer's amount limits"),
    (422, "not-vnd / invalid-qr / amount-mismatch / payee-mismatch / bill-mismatch",
     "the signed request disagrees with its own QR payload, or the QR is not payable in VND"),
    (429, "too-many-attempts", "5 wrong enrolment codes within a minute: every code is refused until that minute "
     "is over (`Retry-After`)"),
    (503, "unavailable", "injected outage, or the ledger cannot be written; nothing recorded, safe to re-send"),
]


@dataclass(frozen=True)
class FailureSettings:
    """Failures to inject for demos and QA. Rates are probabilities in [0, 1]."""

    decline_rate: float = 0.0  # approved requests turned into 402 declines (recorded)
    latency_ms: int = 0  # added to every answer
    latency_jitter_ms: int = 0  # plus a reproducible random 0..jitter
    timeout_rate: float = 0.0  # payment recorded, then the answer is held for timeout_seconds
    timeout_seconds: float = 30.0
    unavailable_rate: float = 0.0  # 503 before anything is recorded
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("decline_rate", "timeout_rate", "unavailable_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {rate}")
        if self.latency_ms < 0 or self.latency_jitter_ms < 0 or self.timeout_seconds < 0:
            raise ValueError("latencies and timeouts cannot be negative")

    def draw(self, kind: str, key: str) -> float:
        """A reproducible number in [0, 1) for one decision about one request."""
        digest = hashlib.sha256(f"{self.seed}:{kind}:{key}".encode("utf-8", "surrogatepass")).digest()
        return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class AcquirerAnswer:
    http_status: int
    body: dict[str, Any]
    delay_seconds: float = 0.0  # how long to hold the answer (latency injection)
    lost: bool = False  # injected timeout: the payment is recorded but the answer never arrives in time
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TrustedKey:
    """A public key bound to a payer account from the start (``--trust-key``, the embedded acquirer)."""

    jwk: dict[str, Any]
    bank_bin: str
    account: str
    retired_at: str | None = None


@dataclass(frozen=True)
class KeyBinding:
    kid: str
    jwk: dict[str, Any]
    bank_bin: str
    account: str
    enrolled_at: str
    retired_at: str | None = None
    revoked_at: str | None = None

    @property
    def scope(self) -> str:
        """The payer an idempotency key, a request id and a lookup belong to: the bound account."""
        return payer_scope(self.bank_bin, self.account)

    @property
    def state(self) -> str:
        return "revoked" if self.revoked_at else "retired" if self.retired_at else "active"


def payer_scope(bank_bin: str, account: str) -> str:
    return f"{bank_bin}/{account}"


# Nonces are kept per payer, the scope of idempotency keys (version 2 of the ledger file).
_NONCES_TABLE = """CREATE TABLE IF NOT EXISTS used_nonces (
    payer_scope TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires_epoch INTEGER NOT NULL,
    PRIMARY KEY (payer_scope, nonce)
)"""
_LEDGER_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS ledger_payments (
    payer_scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_id TEXT NOT NULL,
    status TEXT NOT NULL,
    http_status INTEGER NOT NULL,
    acquirer_reference TEXT NOT NULL,
    amount INTEGER NOT NULL,
    payer_kid TEXT NOT NULL,
    token_sha256 TEXT NOT NULL,
    response TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (payer_scope, idempotency_key),
    UNIQUE (payer_scope, request_id)
);
CREATE TABLE IF NOT EXISTS key_bindings (
    kid TEXT PRIMARY KEY,
    jwk TEXT NOT NULL,
    bank_bin TEXT NOT NULL,
    account TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    retired_at TEXT,
    revoked_at TEXT
);
{_NONCES_TABLE};
CREATE TABLE IF NOT EXISTS acquirer_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
_BINDING_COLUMNS = "kid, jwk, bank_bin, account, enrolled_at, retired_at, revoked_at"
# The nonces of a version 1 ledger were kept without their payer: they stay used for every payer
# (this scope) until they expire.
_ANY_PAYER = ""


class Ledger(StoreFile):
    """The acquirer's SQLite ledger: payments per payer, key bindings, used nonces, settings.

    Tables carry new names (``ledger_payments``, ``key_bindings``): a ledger from a version without
    payer binding keeps its old tables untouched and unused."""

    SCHEMA = _LEDGER_SCHEMA
    SCHEMA_VERSION = LEDGER_SCHEMA_VERSION  # one version for the ledger file's three stores
    SYNCHRONOUS = "NORMAL"

    def __init__(self, path: Path | str):
        super().__init__(path)
        try:
            self._nonces_per_payer()
        except BaseException:
            self.close()
            raise

    def _nonces_per_payer(self) -> None:
        """Version 1 kept ``used_nonces`` without the payer: rebuild it with ``payer_scope``, its rows
        kept for every payer (``_ANY_PAYER``). Checked on every opening, since another store of the
        file may have stamped the version first."""
        def per_payer(db) -> bool:
            return "payer_scope" in [r[0] for r in db.execute("SELECT name FROM pragma_table_info('used_nonces')")]

        if per_payer(self._store.db):
            return
        with self._store.transaction() as db:
            if per_payer(db):  # another process did it in between
                return
            db.execute("ALTER TABLE used_nonces RENAME TO used_nonces_v1")
            db.execute(_NONCES_TABLE)
            db.execute("INSERT INTO used_nonces SELECT ?, nonce, expires_epoch FROM used_nonces_v1", (_ANY_PAYER,))
            db.execute("DROP TABLE used_nonces_v1")

    # --- settings -----------------------------------------------------------------------------
    def setting(self, name: str) -> str | None:
        row = self._store.one("SELECT value FROM acquirer_settings WHERE name = ?", (name,))
        return row[0] if row else None

    def set_setting(self, name: str, value: str) -> None:
        self._store.write("INSERT OR REPLACE INTO acquirer_settings VALUES (?, ?)", (name, value))

    # --- payments -----------------------------------------------------------------------------
    def find(self, scope: str, idempotency_key: str, request_id: str) -> tuple[int, dict[str, Any], str, str, str] | None:
        """(http_status, first answer, token sha256, idempotency key, request id) of this payer's
        payment with either identifier, or None."""
        row = self._store.one(
            "SELECT http_status, response, token_sha256, idempotency_key, request_id FROM ledger_payments "
            "WHERE payer_scope = ? AND (idempotency_key = ? OR request_id = ?) "
            "ORDER BY idempotency_key = ? DESC LIMIT 1",
            (scope, idempotency_key, request_id, idempotency_key))
        return (row[0], json.loads(row[1]), row[2], row[3], row[4]) if row else None

    def get(self, scope: str, request_id: str) -> tuple[int, dict[str, Any]] | None:
        row = self._store.one(
            "SELECT http_status, response FROM ledger_payments WHERE payer_scope = ? AND request_id = ?",
            (scope, request_id))
        return (row[0], json.loads(row[1])) if row else None

    def insert_if_new(self, scope: str, request: dict[str, Any], kid: str, token_sha256: str, http_status: int,
                      body: dict[str, Any], nonce_expires: int, now_epoch: int) -> tuple[str, Any]:
        """Record an answer in one transaction. Returns ("inserted", None), ("exists", find() tuple)
        when this payer already used the key or request id, or ("nonce", None) when this payer's
        nonce was used (``now_epoch``: the acquirer's clock, in seconds)."""
        with self._store.transaction() as db:
            existing = self.find(scope, request["idempotency_key"], request["request_id"])
            if existing is not None:
                return "exists", existing
            if self.nonce_used(scope, request["nonce"], now_epoch):
                return "nonce", None
            db.execute("INSERT OR REPLACE INTO used_nonces VALUES (?, ?, ?)", (scope, request["nonce"], nonce_expires))
            db.execute(
                "INSERT INTO ledger_payments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    scope, request["idempotency_key"], request["request_id"], body["status"], http_status,
                    body["acquirer_reference"], int(request["amount"]["value"]), kid, token_sha256,
                    json.dumps(body, ensure_ascii=False), body["received_at"],
                ),
            )
            if secrets.randbelow(256) == 0:  # now and then, forget nonces whose requests have expired
                db.execute("DELETE FROM used_nonces WHERE expires_epoch < ?", (now_epoch,))
        return "inserted", None

    def nonce_used(self, scope: str, nonce: str, now_epoch: int) -> bool:
        """This payer used the nonce in a request still alive at ``now_epoch`` (so did any payer,
        for the nonces a version 1 ledger kept)."""
        row = self._store.one("SELECT MAX(expires_epoch) FROM used_nonces WHERE payer_scope IN (?, ?) AND nonce = ?",
                              (scope, _ANY_PAYER, nonce))
        return row[0] is not None and row[0] >= now_epoch

    def counts(self) -> dict[str, int]:
        return dict(self._store.all("SELECT status, COUNT(*) FROM ledger_payments GROUP BY status"))

    # --- keys ---------------------------------------------------------------------------------
    def bindings(self) -> list[KeyBinding]:
        rows = self._store.all(f"SELECT {_BINDING_COLUMNS} FROM key_bindings ORDER BY enrolled_at")
        return [KeyBinding(r[0], json.loads(r[1]), *r[2:]) for r in rows]

    def binding(self, kid: str) -> KeyBinding | None:
        r = self._store.one(f"SELECT {_BINDING_COLUMNS} FROM key_bindings WHERE kid = ?", (kid,))
        return KeyBinding(r[0], json.loads(r[1]), *r[2:]) if r else None

    def bind(self, binding: KeyBinding, retire: str | None = None) -> str:
        """Bind a key to its account in one transaction (retiring ``retire``, the endorsing key).
        Returns "created", "known" (same account) or "conflict" (bound to another account)."""
        with self._store.transaction() as db:
            row = db.execute("SELECT bank_bin, account FROM key_bindings WHERE kid = ?", (binding.kid,)).fetchone()
            if row is not None:
                return "known" if tuple(row) == (binding.bank_bin, binding.account) else "conflict"
            db.execute(
                "INSERT INTO key_bindings VALUES (?, ?, ?, ?, ?, ?, ?)",
                (binding.kid, json.dumps(binding.jwk), binding.bank_bin, binding.account,
                 binding.enrolled_at, binding.retired_at, binding.revoked_at),
            )
            if retire:
                db.execute("UPDATE key_bindings SET retired_at = ? WHERE kid = ? AND retired_at IS NULL",
                           (binding.enrolled_at, retire))
        return "created"

    def set_retired(self, kid: str, retired_at: str | None) -> None:
        self._store.write("UPDATE key_bindings SET retired_at = ? WHERE kid = ?", (retired_at, kid))

    def revoke(self, kid: str, when: str) -> None:
        self._store.write("UPDATE key_bindings SET revoked_at = COALESCE(revoked_at, ?) WHERE kid = ?", (when, kid))


class MockAcquirer:
    """The acquirer's decisions, independent of HTTP (the embedded mode calls ``submit`` directly).

    ``audiences``: the ``aud`` values addressed to this acquirer (normalised URLs or the embedded id).
    ``enrol_code``: the code ``POST /v1/keys`` needs (None: enrolment only through ``trust``, as in
    the embedded acquirer); ``open_enrolment`` waives it (demos only). ``clock`` gives the acquirer's
    time (timezone-aware UTC): when a request is received, when a key is enrolled or retired, the
    lock-out of wrong enrolment codes."""

    def __init__(self, ledger_path: Path, failures: FailureSettings | None = None,
                 trusted: list[TrustedKey] | None = None, limits: Limits | None = None,
                 audiences: list[str] | None = None, enrol_code: str | None = None,
                 open_enrolment: bool = False, clock: Callable[[], datetime] | None = None):
        self.clock = clock or _utc_now
        self.code_lockout = WrongCodeLockout(self.clock)
        self.ledger = Ledger(ledger_path)
        self.failures = failures or FailureSettings()
        self.limits = limits or Limits()
        self.audiences: set[str] = {normalise_audience(a) for a in audiences or []}
        self.enrol_code = enrol_code
        self.open_enrolment = open_enrolment
        self._keys_lock = threading.RLock()
        self._bindings: dict[str, KeyBinding] = {}
        self._keys = VerificationKeys()
        self._reload_keys()
        self.trust(trusted or [])
        self._attempts: dict[str, int] = {}
        self._attempts_lock = threading.Lock()
        # Called as listener(token, answer) after each decision: the merchant display and the biller
        # (payments/merchant_display.py, payments/biller.py); they never raise into the acquirer.
        self.listeners: list = []

    def close(self) -> None:
        self.ledger.close()

    def add_audience(self, audience: str) -> None:
        self.audiences.add(normalise_audience(audience))

    # --- keys ---------------------------------------------------------------------------------
    def trust(self, keys: list[TrustedKey]) -> None:
        """Bind keys given by the operator (no proof needed). Raises ValueError for an unusable key
        or a key already bound to another account."""
        changed = False
        for entry in keys:
            known = self._bindings.get(entry.jwk.get("kid", "")) if isinstance(entry.jwk, dict) else None
            if known is not None and (known.bank_bin, known.account, known.retired_at) == \
                    (entry.bank_bin, entry.account, entry.retired_at):
                continue  # already trusted as it is (the embedded acquirer refreshes before each payment)
            changed = True
            problem = weak_key_problem(entry.jwk)
            if problem:
                raise ValueError(problem)
            public = {k: entry.jwk[k] for k in ("kty", "crv", "x")}
            kid = jwk_thumbprint(public)
            binding = KeyBinding(kid, public, entry.bank_bin, entry.account, format_timestamp(self.clock()),
                                 entry.retired_at)
            result = self.ledger.bind(binding)
            if result == "conflict":
                raise ValueError(f"key {kid} is already bound to another payer account")
            if result == "known" and entry.retired_at is not None:
                current = self.ledger.binding(kid)
                if current is not None and current.retired_at != entry.retired_at:
                    self.ledger.set_retired(kid, entry.retired_at)
        if changed:
            self._reload_keys()

    def _reload_keys(self) -> None:
        with self._keys_lock:
            bindings = {b.kid: b for b in self.ledger.bindings()}
            keys = VerificationKeys()
            for b in bindings.values():
                jwk = dict(b.jwk, kid=b.kid)
                if b.retired_at:
                    jwk["retired_at"] = b.retired_at
                try:
                    keys.add(jwk)
                except ValueError:
                    log.warning("ignoring an unusable key binding %s", visible(b.kid, 60))
            self._bindings, self._keys = bindings, keys

    def key_status(self, kid: str) -> AcquirerAnswer:
        binding = self._bindings.get(kid)
        if binding is None:
            return _error(404, "not-found", "No key with this id is enrolled here.")
        return AcquirerAnswer(200, {"kid": kid, "status": binding.state, "retired_at": binding.retired_at,
                                    "revoked_at": binding.revoked_at})

    def enrol(self, token: bytes | str, authorization: str | None, now: datetime | None = None) -> AcquirerAnswer:
        """``POST /v1/keys``. Order: the code (when one is sent), the proof of possession, the key's
        quality, audience and freshness, the binding (one account per key), then who may add a key."""
        now = now or self.clock()
        refused = self._code_refusal(authorization)
        if refused is not None:
            return refused
        allowed = authorization is not None or self.open_enrolment
        try:
            message = read_message(token, ENROLMENT, _enrolment_key, self.audiences, now)
        except SignedMessageError as exc:
            if not allowed:
                return _error(401, "enrolment-code-required",
                              "Enrolling a key needs the acquirer's enrolment code (Authorization: Bearer CODE).")
            status = 421 if exc.code == "wrong-audience" else 422 if exc.code == "stale" else 400
            code = {"bad-signature": "bad-proof"}.get(exc.code, exc.code)
            return _error(status, code, f"Cannot enrol this key: {exc.message}")
        body = message.payload
        account, bank_bin = body.get("account"), body.get("bank_bin")
        if not _is_account_text(account) or not _is_account_text(bank_bin):
            return _error(400 if allowed else 401, "bad-account" if allowed else "enrolment-code-required",
                          "The enrolment must name the payer account (account, bank_bin: 1 to 34 letters or digits).")
        retire = None
        if not allowed:
            endorsement = body.get("endorsement")
            if endorsement is None:
                return _error(401, "enrolment-code-required",
                              "Enrolling a key needs the acquirer's enrolment code (Authorization: Bearer CODE), "
                              "or an endorsement by the account's current key.")
            retire = self._check_endorsement(endorsement, message.kid, bank_bin, account, now)
            if isinstance(retire, AcquirerAnswer):
                return retire
        public = {k: body["jwk"][k] for k in ("kty", "crv", "x")}
        binding = KeyBinding(message.kid, public, bank_bin, account, format_timestamp(now))
        with self._keys_lock:
            result = self.ledger.bind(binding, retire=retire)
            self._reload_keys()
        if result == "conflict":
            return _error(409, "key-already-bound", "This key is already bound to another payer account.")
        current = self._bindings[message.kid]
        return AcquirerAnswer(201 if result == "created" else 200,
                              {"kid": message.kid, "enrolled": result == "created", "status": current.state,
                               "retired_kid": retire})

    def _check_endorsement(self, endorsement: Any, new_kid: str, bank_bin: str, account: str,
                           now: datetime) -> str | AcquirerAnswer:
        """The kid of the endorsing key (to retire) or the refusal."""
        def active_key_of_account(kid: str, payload: dict[str, Any]):
            b = self._bindings.get(kid)
            if b is None or b.state != "active" or (b.bank_bin, b.account) != (bank_bin, account):
                return None
            return self._keys.by_kid.get(kid)

        try:
            message = read_message(endorsement if isinstance(endorsement, str) else "", ENDORSEMENT,
                                   active_key_of_account, self.audiences, now)
        except SignedMessageError as exc:
            return _error(403, "bad-endorsement",
                          f"The endorsement is not one from an active key of this account ({exc.code}).")
        p = message.payload
        if p.get("new_kid") != new_kid or p.get("account") != account or p.get("bank_bin") != bank_bin:
            return _error(403, "bad-endorsement", "The endorsement names another key or account.")
        return message.kid

    def revoke(self, kid: str, token: bytes | str, authorization: str | None,
               now: datetime | None = None) -> AcquirerAnswer:
        """``POST /v1/keys/{kid}/revoke``: with the enrolment code, or signed by a key of the same account."""
        now = now or self.clock()
        target = self._bindings.get(kid)
        refused = self._code_refusal(authorization)
        if refused is not None:
            return refused
        if authorization is None:
            def key_of(signer: str, payload: dict[str, Any]):
                b = self._bindings.get(signer)
                return None if b is None or b.state == "revoked" else self._keys.by_kid.get(signer)

            try:
                message = read_message(token, REVOCATION, key_of, self.audiences, now)
            except SignedMessageError as exc:
                return _error(401, "signature-required",
                              f"Revoking a key needs the enrolment code or a revocation signed by a key of the "
                              f"same account ({exc.code}).")
            signer = self._bindings[message.kid]
            if message.payload.get("kid") != kid or target is None or \
                    (signer.bank_bin, signer.account) != (target.bank_bin, target.account):
                return _error(403, "not-allowed", "This key may not revoke that key.")
        if target is None:
            return _error(404, "not-found", "No key with this id is enrolled here.")
        with self._keys_lock:
            self.ledger.revoke(kid, format_timestamp(now))
            self._reload_keys()
        return self.key_status(kid)

    def _code_refusal(self, authorization: str | None) -> AcquirerAnswer | None:
        """None when no code was sent (``authorization`` None) or the right one; 429 with
        ``Retry-After`` during a lock-out, whatever the code; else 401, the wrong code counted and logged."""
        if authorization is None:
            return None
        attempt = self.code_lockout.attempt(lambda: self._code_matches(authorization))
        if attempt.outcome == "right":
            return None
        if attempt.outcome == "locked":
            return AcquirerAnswer(429, {"status": "rejected", "error": "too-many-attempts",
                                        "message": f"Too many wrong enrolment codes; try again in "
                                                   f"{attempt.retry_after} s."},
                                  headers={"Retry-After": str(attempt.retry_after)})
        window = int(WRONG_CODE_WINDOW.total_seconds())
        if attempt.locked_until is None:
            log.warning("wrong enrolment code (%d within %d s; at %d every code is refused for %d s)",
                        attempt.wrong_in_window, window, WRONG_CODES_ALLOWED, window)
        else:
            log.warning("wrong enrolment code (%d within %d s): every code is locked out (429) until %s",
                        attempt.wrong_in_window, window, format_timestamp(attempt.locked_until))
        return _error(401, "bad-enrolment-code", "The enrolment code is wrong.")

    def _code_matches(self, authorization: str | None) -> bool:
        if not authorization or not self.enrol_code:
            return False
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(value.strip().encode("utf-8", "surrogatepass"),
                                   self.enrol_code.encode("utf-8", "surrogatepass"))

    # --- lookups ------------------------------------------------------------------------------
    def lookup(self, request_id: str, authorization: str | None, now: datetime | None = None) -> AcquirerAnswer:
        """``GET /v1/payments/{request_id}``: only for the payer who made it (a ``payment_lookup``
        signed by one of the payer's keys, in ``Authorization: JWS <token>``)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.upper() != "JWS" or not token:
            return _error(401, "signature-required",
                          "Looking up a payment needs Authorization: JWS <payment_lookup signed by the payer>.")

        def key_of(kid: str, payload: dict[str, Any]):
            b = self._bindings.get(kid)
            return None if b is None or b.state == "revoked" else self._keys.by_kid.get(kid)

        try:
            message = read_message(token.strip(), LOOKUP, key_of, self.audiences, now or self.clock())
        except SignedMessageError as exc:
            return _error(401, "signature-required", f"The lookup signature is not acceptable ({exc.code}).")
        if message.payload.get("request_id") != request_id:
            return _error(401, "signature-required", "The lookup signature names another request.")
        found = self.ledger.get(self._bindings[message.kid].scope, request_id)
        if found is None:
            return _error(404, "not-found", "No payment of yours has this request id.")
        status, body = found
        return AcquirerAnswer(200, {**body, "http_status": status})

    # --- payments -----------------------------------------------------------------------------
    def submit(self, token: str | bytes, now: datetime | None = None) -> AcquirerAnswer:
        answer = self._decide(token, now)
        for listener in self.listeners:
            listener(token, answer)
        settings = self.failures
        key = str(answer.body.get("idempotency_key") or "")
        if settings.latency_ms or settings.latency_jitter_ms:
            jitter = settings.latency_jitter_ms * settings.draw("latency", key + str(answer.http_status))
            answer.delay_seconds += (settings.latency_ms + jitter) / 1000.0
        return answer

    def _decide(self, token: str | bytes, now: datetime | None) -> AcquirerAnswer:
        """The checks in the order docs/security.md lists them ("What the acquirer checks"); the
        first refusal is the answer, and only a request that passes them all is recorded."""
        received = now or self.clock()
        result = _verify(token, self._keys, received, self.limits)
        binding = self._bindings.get(result.kid or "") if result.signature_ok else None
        refusal = (_unsigned_refusal(result)                          # 1. signed by an enrolled key
                   or _key_state_refusal(binding)                     # 2. the key is not revoked
                   or _structure_refusal(result)                      # 2. the signed content's schema
                   or _account_refusal(binding, result.request)       # 3. the payer account is the key's
                   or self._audience_refusal(result.request)          # 4. addressed to this acquirer
                   or _identifiers_refusal(result))
        if refusal is not None:
            return refusal
        request = result.request
        idem, request_id = request["idempotency_key"], request["request_id"]
        token_sha = hashlib.sha256(_token_bytes(token)).hexdigest()
        nonce = request["nonce"]
        refusal = (self._injected_unavailability(binding, idem)                        # 5. failure injection
                   or self._idempotency_answer(binding, idem, request_id, token_sha)   # 6. per payer
                   or self._retirement_refusal(binding, received, request_id, idem)    # 7. key retired on receipt
                   or _content_refusal(result, request_id, idem)                       # 7. content and time
                   or self._nonce_refusal(binding, nonce, received, request_id, idem))  # 8. nonce unused, per payer
        if refusal is not None:
            return refusal
        return self._record(binding, request, token_sha, received)                    # 9. record, answer

    def _audience_refusal(self, request: dict[str, Any]) -> AcquirerAnswer | None:
        """Step 4: ``aud`` must be one of this acquirer's names (its URLs or the embedded id)."""
        aud = request.get("aud")
        if not isinstance(aud, str) or normalise_audience(aud) not in self.audiences:
            return _error(421, "wrong-audience",
                          f"The request is addressed to {visible(str(aud), 80)}, not to this acquirer.")
        return None

    def _injected_unavailability(self, binding: KeyBinding, idem: str) -> AcquirerAnswer | None:
        """Step 5: ``--unavailable-rate`` answers 503 here (per attempt), before anything is recorded."""
        settings = self.failures
        attempt = self._next_attempt(binding.scope + "/" + idem)
        if settings.unavailable_rate and settings.draw(f"unavailable:{attempt}", idem) < settings.unavailable_rate:
            return _error(503, "unavailable", "The acquirer is temporarily unavailable (injected failure).")
        return None

    def _idempotency_answer(self, binding: KeyBinding, idem: str, request_id: str,
                            token_sha: str) -> AcquirerAnswer | None:
        """Step 6, scoped to the payer: the same token gets the first answer (409); another token under
        the same idempotency key or request id gets 422 and learns nothing of the first."""
        existing = self.ledger.find(binding.scope, idem, request_id)
        return None if existing is None else _replay_or_conflict(existing, token_sha, idem)

    def _retirement_refusal(self, binding: KeyBinding, received: datetime, request_id: str,
                            idem: str) -> AcquirerAnswer | None:
        """Step 7: a key retired at T pays nothing received after T plus the clock skew, whatever its
        ``created_at`` claims (core's rule R10 judges that claim; this judges the acquirer's own clock)."""
        retired = self._keys.retired_at.get(binding.kid)
        if retired is None or received <= retired + CLOCK_SKEW:
            return None
        when, at = format_timestamp(retired), format_timestamp(received)
        skew = int(CLOCK_SKEW.total_seconds())
        body = {"status": "rejected", "error": "key-retired",
                "message": f"Key {binding.kid} was retired at {when}; this request arrived at {at}, more than "
                           f"{skew} s later. Sign it again with the current key.",
                "message_vi": f"Khóa {binding.kid} đã ngừng dùng lúc {when}; yêu cầu này đến lúc {at}, sau hơn "
                              f"{skew} giây. Hãy ký lại bằng khóa hiện tại.",
                "request_id": visible(request_id, 100), "idempotency_key": visible(idem, 100)}
        return AcquirerAnswer(403, body)

    def _nonce_refusal(self, binding: KeyBinding, nonce: str, received: datetime, request_id: str,
                       idem: str) -> AcquirerAnswer | None:
        """Step 8: this payer has not used the nonce in an accepted request still alive (checked again
        inside the recording transaction). Nonces belong to one payer, like idempotency keys."""
        if self.ledger.nonce_used(binding.scope, nonce, int(received.timestamp())):
            return _nonce_reused(request_id, idem)
        return None

    def _record(self, binding: KeyBinding, request: dict[str, Any], token_sha: str,
                received: datetime) -> AcquirerAnswer:
        """Step 9: one transaction records the payment and its nonce; a concurrent twin recorded in
        between is answered as step 6 or 8 would have. Injected declines and lost answers apply here."""
        idem, request_id = request["idempotency_key"], request["request_id"]
        status, body = self._decision(binding, request, received)
        nonce_expires = int(_expiry(request, received).timestamp() + CLOCK_SKEW.total_seconds())
        outcome, existing = self.ledger.insert_if_new(binding.scope, request, binding.kid, token_sha, status, body,
                                                      nonce_expires, int(received.timestamp()))
        if outcome == "exists":  # another connection recorded the same key in between
            return _replay_or_conflict(existing, token_sha, idem)
        if outcome == "nonce":
            return _nonce_reused(request_id, idem)
        answer = AcquirerAnswer(status, body)
        settings = self.failures
        if settings.timeout_rate and settings.draw("timeout", idem) < settings.timeout_rate:
            answer.lost = True
            answer.delay_seconds = settings.timeout_seconds
        return answer

    def _decision(self, binding: KeyBinding, request: dict[str, Any], received: datetime) -> tuple[int, dict[str, Any]]:
        """(201 approved | 402 declined by ``--decline-rate``, the answer's body) of a request that passed."""
        settings, idem = self.failures, request["idempotency_key"]
        reference = "ACQ-" + hashlib.sha256(f"{settings.seed}:{binding.scope}:{idem}".encode()).hexdigest()[:12].upper()
        body = {
            "request_id": request["request_id"],
            "idempotency_key": idem,
            "acquirer_reference": reference,
            "amount": request["amount"],
            "payee": request["payee"].get("merchant_name") or request["payee"].get("account"),
            "received_at": format_timestamp(received),
        }
        if settings.decline_rate and settings.draw("decline", idem) < settings.decline_rate:
            body.update(status="declined", reason="insufficient-funds",
                        message="Declined: insufficient funds (injected failure).",
                        message_vi="Bị từ chối: không đủ số dư (lỗi giả lập).")
            return 402, body
        body.update(status="approved", message="Approved.", message_vi="Đã duyệt.")
        return 201, body

    def _next_attempt(self, key: str) -> int:
        with self._attempts_lock:
            n = self._attempts.get(key, 0) + 1
            self._attempts[key] = n
            if len(self._attempts) > 100_000:  # bounded memory on long runs
                self._attempts.clear()
            return n


# --- checks -------------------------------------------------------------------------------------
def weak_key_problem(jwk: Any) -> str | None:
    """Why a public JWK may not be trusted (None when it may): core's rule (not an Ed25519 public
    key, a small-order or non-canonical point...)."""
    return public_key_problem(jwk)


def _unsigned_refusal(result) -> AcquirerAnswer | None:
    """Step 1: signed (verify_request: syntax, alg, kid, signature) under an enrolled key."""
    if result.signature_ok:
        return None
    if result.reason == "wrong-key":
        return _error(403, "key-not-enrolled",
                      f"The signing key {visible(result.kid or '', 60)} is not enrolled at this acquirer; "
                      "enrol it with `payer-app keys enrol --acquirer URL --code CODE`.")
    return _refusal(400, result)


def _key_state_refusal(binding: KeyBinding | None) -> AcquirerAnswer | None:
    """Step 2: the key is still bound (one removed after verifying counts as unknown) and a revoked
    key signs nothing."""
    if binding is None:
        return _error(403, "key-not-enrolled", "The signing key is not enrolled at this acquirer.")
    if binding.revoked_at:
        return _error(403, "key-revoked", "The signing key was revoked; nothing it signs is accepted.")
    return None


def _structure_refusal(result) -> AcquirerAnswer | None:
    """Step 2: schema failures of the signed content answer 400 before any lookup."""
    if not isinstance(result.request, dict) or result.reason in STRUCTURAL_REASONS:
        return _refusal(400, result)
    return None


def _account_refusal(binding: KeyBinding, request: dict[str, Any]) -> AcquirerAnswer | None:
    """Step 3: the payer account in the request is the one the key was enrolled for."""
    payer = request.get("payer")
    if not isinstance(payer, dict) or (payer.get("bank_bin"), payer.get("account")) != (binding.bank_bin, binding.account):
        return _error(403, "account-mismatch",
                      "The payer account in the request is not the account bound to its signing key.")
    return None


def _identifiers_refusal(result) -> AcquirerAnswer | None:
    """The idempotency key and request id that steps 6 and 9 use are non-empty text."""
    idem, request_id = result.request.get("idempotency_key"), result.request.get("request_id")
    if not isinstance(idem, str) or not isinstance(request_id, str) or not idem or not request_id:
        return _refusal(400, result)
    return None


def _content_refusal(result, request_id: str, idem: str) -> AcquirerAnswer | None:
    """Step 7: verify_request's remaining reasons (lifetime, QR agreement, VND, limits, the key's
    retirement): 403 for the key's state, 422 for an unprocessable request, else 400."""
    if result.ok:
        return None
    status = 403 if result.reason in KEY_STATE_REASONS else 422 if result.reason in UNPROCESSABLE_REASONS else 400
    return _refusal(status, result, request_id=request_id, idempotency_key=idem)


def _nonce_reused(request_id: str, idem: str) -> AcquirerAnswer:
    return _error(422, "nonce-reused", "This nonce was already used by another request.",
                  request_id=request_id, idempotency_key=idem)


def _verify(token: str | bytes, keys: VerificationKeys, now: datetime, limits: Limits):
    """verify_request without an audience: this acquirer answers to several names (its URLs) and
    checks ``aud`` itself, after the key binding (step 4 of ``_decide``)."""
    return verify_request(token, keys, now=now, limits=limits)


def _expiry(request: dict[str, Any], fallback: datetime) -> datetime:
    try:
        return parse_timestamp(request.get("expires_at"))
    except (ValueError, TypeError):
        return fallback + timedelta(minutes=5)


def _enrolment_key(kid: str, payload: dict[str, Any]):
    """The key an enrolment is checked with: the one it carries, if it is a sound Ed25519 public key
    (core's rule: small-order and non-canonical points are refused) whose thumbprint is the kid."""
    jwk = payload.get("jwk")
    if not isinstance(jwk, dict) or set(jwk) != {"kty", "crv", "x"}:
        raise SignedMessageError("bad-key", "The enrolment's jwk must be exactly {kty: OKP, crv: Ed25519, x}.")
    problem = weak_key_problem(jwk)
    if problem:
        raise SignedMessageError("weak-key", visible(problem, 300))
    key = public_key_of(jwk)
    if key is None or jwk_thumbprint(jwk) != kid:
        raise SignedMessageError("bad-key", "The enrolment's kid is not the thumbprint of its jwk.")
    return key


def _is_account_text(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 34 and value.isascii() and value.isalnum()


def _token_bytes(token: str | bytes) -> bytes:
    if isinstance(token, str):
        return token.encode("utf-8", "surrogatepass")
    return bytes(token)


def _replay_or_conflict(existing, token_sha: str, idem: str) -> AcquirerAnswer:
    first_status, first_body, first_sha, first_idem, _ = existing
    if hmac.compare_digest(first_sha, token_sha):
        body = {**first_body, "duplicate": True, "first_http_status": first_status}
        return AcquirerAnswer(409, body, headers={"Idempotent-Replayed": "true"})
    if first_idem == idem:
        return _error(422, "idempotency-key-reused",
                      "This idempotency key was already used for a different request; use a new key.")
    return _error(422, "request-id-reused", "This request id was already used for a different request.")


def _refusal(status: int, result, **extra: str) -> AcquirerAnswer:
    body = {"status": "rejected", "error": result.reason or "bad-request", "message": visible(result.message, 500),
            "message_vi": visible(result.message_vi, 500)}
    body.update({k: visible(v, 100) for k, v in extra.items()})
    return AcquirerAnswer(status, body)


def _error(status: int, code: str, message: str, **extra: str) -> AcquirerAnswer:
    body = {"status": "rejected", "error": code, "message": message}
    body.update({k: visible(v, 100) for k, v in extra.items()})
    return AcquirerAnswer(status, body)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


# --- enrolment code -----------------------------------------------------------------------------
def enrolment_code(ledger: Ledger, fixed: str | None = None) -> str:
    """The acquirer's enrolment code: ``fixed`` (``--enrol-code``, then kept), else the one kept in the
    ledger, else a new random one (created on first start and kept). A kept code too short to be
    safe (``--enrol-code`` once took 8 characters) is replaced by a new random one."""
    if fixed is not None:
        problem = enrolment_code_problem(fixed)
        if problem:
            raise ValueError(problem)
        ledger.set_setting("enrol_code", fixed)
        return fixed
    code = ledger.setting("enrol_code")
    if not code or enrolment_code_problem(code):
        code = random_enrolment_code()
        ledger.set_setting("enrol_code", code)
    return code


def random_enrolment_code() -> str:
    """A new random enrolment code (see ``ENROL_CODE_ALPHABET``)."""
    return "-".join("".join(secrets.choice(ENROL_CODE_ALPHABET) for _ in range(4)) for _ in range(ENROL_CODE_GROUPS))


def enrolment_code_problem(code: str) -> str | None:
    """Why ``code`` cannot be an enrolment code, or None. At least as long as the random code (16
    characters), so a memorable example such as a booth name and a year is refused."""
    if code.startswith("-"):
        return "the enrolment code must not start with '-' (a command line would take it for an option)"
    if MIN_ENROL_CODE_CHARS <= len(code) <= 128 and code.isascii() and code.isprintable() and " " not in code:
        return None
    return (f"the enrolment code must be {MIN_ENROL_CODE_CHARS} to 128 printable ASCII characters without "
            f"spaces (at least {MIN_ENROL_CODE_CHARS} characters, so it cannot be guessed); leave --enrol-code "
            "out and acquirer serve makes a random one and prints it")


# --- HTTP ---------------------------------------------------------------------------------------
def create_app(ledger_path: Path, failures: FailureSettings | None = None,
               trusted: list[TrustedKey] | None = None, limits: Limits | None = None, *,
               audiences: list[str] | None = None, enrol_code: str | None = None,
               open_enrolment: bool = False, clock: Callable[[], datetime] | None = None):
    """The Starlette application serving a MockAcquirer (``app.state.acquirer``).

    The enrolment code is ``enrol_code`` when given (and kept in the ledger), else the kept one, else
    a new random one: ``app.state.acquirer.enrol_code``. ``AcquirerServer`` adds its own URL to the
    audiences. ``clock``: the acquirer's time (``MockAcquirer``), the system's UTC clock by default."""
    from starlette.applications import Starlette

    from payer_app.payments.merchant_display import counter_routes

    acquirer = MockAcquirer(ledger_path, failures, trusted, limits, audiences, open_enrolment=open_enrolment,
                            clock=clock)
    acquirer.enrol_code = enrolment_code(acquirer.ledger, enrol_code)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        acquirer.close()

    app = Starlette(
        routes=[
            *_AcquirerHttp(acquirer).routes(),
            *counter_routes(acquirer),  # /display, /display/events, /v1/bills/{code}: merchant_display.py
        ],
        lifespan=lifespan,
        exception_handlers={Exception: _unexpected, 404: _not_found, 405: _not_found},
    )
    app.state.acquirer = acquirer
    return app


class _AcquirerHttp:
    """The acquirer's HTTP endpoints (step 0 of docs/security.md: body size, then media type, then
    ``Authorization`` capped), each handing the checked input to the ``MockAcquirer``."""

    def __init__(self, acquirer: MockAcquirer):
        self.acquirer = acquirer

    def routes(self) -> list:
        from starlette.routing import Route

        return [
            Route("/v1/payments", _guarded(self.post_payment), methods=["POST"]),
            Route("/v1/payments/{request_id}", _guarded(self.get_payment), methods=["GET"]),
            Route("/v1/keys", _guarded(self.post_key), methods=["POST"]),
            Route("/v1/keys/{kid}", _guarded(self.get_key), methods=["GET"]),
            Route("/v1/keys/{kid}/revoke", _guarded(self.revoke_key), methods=["POST"]),
            Route("/v1/health", _guarded(self.health), methods=["GET"]),
        ]

    # --- endpoints ----------------------------------------------------------------------------
    async def post_payment(self, request):
        body = await _read_jose(request, MAX_BODY_BYTES)
        if not isinstance(body, bytes):
            return body
        answer = self.acquirer.submit(body)
        if answer.delay_seconds:
            await _hold_answer(answer.delay_seconds)
        return _respond(answer)

    async def get_payment(self, request):
        return _respond(self.acquirer.lookup(request.path_params["request_id"], _authorization(request)))

    async def post_key(self, request):
        body = await _read_jose(request, MAX_KEY_BODY_BYTES)
        if not isinstance(body, bytes):
            return body
        return _respond(self.acquirer.enrol(body, _authorization(request)))

    async def get_key(self, request):
        return _respond(self.acquirer.key_status(request.path_params["kid"]))

    async def revoke_key(self, request):
        body = await _read_capped_body(request, MAX_KEY_BODY_BYTES)
        if body is None:
            return _too_large(MAX_KEY_BODY_BYTES)
        return _respond(self.acquirer.revoke(request.path_params["kid"], body.strip(), _authorization(request)))

    async def health(self, request):
        acquirer = self.acquirer
        return json_response({"ok": True, "audiences": sorted(acquirer.audiences),
                              "open_enrolment": acquirer.open_enrolment,
                              "failures": asdict(acquirer.failures), "counts": acquirer.ledger.counts()})


# --- HTTP input, each capped before the work ----------------------------------------------------
async def _hold_answer(seconds: float) -> None:
    """Injected latency or a lost answer (``FailureSettings``): the answer waits this long."""
    await asyncio.sleep(seconds)


def _respond(answer: AcquirerAnswer):
    return json_response(answer.body, answer.http_status, answer.headers)


async def _read_capped_body(request, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` (the declared Content-Length is checked
    before reading, the bytes received while reading)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int):
    return _respond(_error(413, "too-large", f"The body is larger than {limit} bytes."))


def _media_problem(request):
    """415 unless the body is declared ``application/jose`` (parameters ignored)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != JOSE_MEDIA_TYPE:
        return _respond(_error(415, "unsupported-media-type",
                               f"Send the compact JWS with Content-Type: {JOSE_MEDIA_TYPE} "
                               f"(got {visible(media, 60) or 'none'})."))
    return None


def _authorization(request) -> str | None:
    value = request.headers.get("authorization")
    return None if value is None else value[:MAX_HEADER_CHARS]


async def _read_jose(request, limit: int):
    """The body (at most ``limit`` bytes, checked first) of an application/jose POST, or the refusal."""
    body = await _read_capped_body(request, limit)
    if body is None:
        return _too_large(limit)
    wrong_media = _media_problem(request)
    return body.strip() if wrong_media is None else wrong_media


async def _unexpected(request, exc: Exception):
    log.error("unexpected error on %s %s", request.method, visible(request.url.path, 100), exc_info=exc)
    return json_response({"status": "rejected", "error": "bad-request",
                          "message": "The acquirer could not process this request."}, 400)


async def _not_found(request, exc: Exception):
    status = getattr(exc, "status_code", 404)
    code = {404: "not-found", 405: "method-not-allowed"}.get(status, "bad-request")
    return json_response({"status": "rejected", "error": code, "message": f"HTTP {status}."},
                         status if 400 <= status < 500 else 400)


def _guarded(endpoint):
    """Anything unexpected inside an endpoint becomes a clean 400 JSON answer (and a log line),
    never a 500 and never a traceback to the client. The known causes are fixed where they arise;
    a client that hangs up before its whole body arrived is one log line (no one is left to answer)."""
    from starlette.requests import ClientDisconnect

    async def guarded(request):
        try:
            return await endpoint(request)
        except ClientDisconnect:
            log.warning("%s %s: the client hung up before sending the whole body (Content-Length %s); "
                        "nothing was done", request.method, visible(request.url.path, 100),
                        visible(request.headers.get("content-length", "none"), 20))
            return json_response({"status": "rejected", "error": "bad-request",
                                  "message": "The body did not arrive whole."}, 400)
        except (sqlite3.Error, OSError, MemoryError):
            log.exception("acquirer storage failure")
            return json_response({"status": "rejected", "error": "unavailable",
                                  "message": "The acquirer cannot record anything right now."}, 503)
        except Exception:  # noqa: BLE001 - the last line of defence, logged
            log.exception("unexpected error in %s", endpoint.__name__)
            return json_response({"status": "rejected", "error": "bad-request",
                                  "message": "The acquirer could not process this request."}, 400)

    guarded.__name__ = endpoint.__name__
    return guarded


def json_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None):
    """A JSON answer that can always be written: strings a stranger sent (ids, kids) that hold lone
    surrogates or controls are escaped rather than crashing the encoder."""
    from starlette.responses import Response

    try:
        data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, TypeError):
        data = json.dumps(_escaped(body), ensure_ascii=False, allow_nan=False, default=str).encode("utf-8")
    return Response(data, status_code=status, headers=headers or None, media_type="application/json")


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {visible(str(k)): _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value


class AcquirerServer:
    """Serve an app with uvicorn on a background thread (tests, benchmarks, embedded demos).

    ``port=0`` picks a free port; ``url`` is the base URL once started, and is added to the app's
    audiences (with ``localhost`` for a loopback address)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        acquirer = getattr(getattr(app, "state", None), "acquirer", None)
        if isinstance(acquirer, MockAcquirer):
            for audience in served_audiences(self.host, self.port):
                acquirer.add_audience(audience)
        config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1)
        self._settled = threading.Event()  # set once uvicorn serves, or has given up
        self.server = _server_telling_when_started(config, self._settled)
        self._thread = threading.Thread(target=self._run, name="acquirer-server", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self._socket])
        finally:
            self._settled.set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> "AcquirerServer":
        """Start serving; returns once uvicorn's startup has finished (an event, not a poll)."""
        self._thread.start()
        if not self._settled.wait(timeout) or not self.server.started:
            raise RuntimeError("the acquirer server did not start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> "AcquirerServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _server_telling_when_started(config, settled: threading.Event):
    """A uvicorn server that sets ``settled`` when its startup has finished (or failed)."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            try:
                await super().startup(sockets=sockets)
            finally:
                settled.set()

    return Server(config)


def served_audiences(host: str, port: int) -> list[str]:
    """The ``aud`` values a server on host:port answers to: its URL, plus the other loopback names
    when it listens on loopback, plus the loopback names and this machine's name when it listens on
    every address (0.0.0.0 / ::). Other names (a proxy, an IP address) come from ``--public-url``."""
    shown = f"[{host}]" if ":" in host else host
    names = [f"http://{shown}:{port}"]
    if host in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""):
        names += [f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"]
    if host in ("0.0.0.0", "::", ""):
        names.append(f"http://{socket.gethostname().lower()}:{port}")
    return list(dict.fromkeys(names))


__all__ = [
    "AcquirerAnswer", "AcquirerServer", "EMBEDDED_AUDIENCE", "ERROR_TABLE", "FailureSettings", "JOSE_MEDIA_TYPE",
    "KeyBinding", "Ledger", "MAX_BODY_BYTES", "MockAcquirer", "TrustedKey", "create_app", "enrolment_code",
    "enrolment_code_problem", "json_response", "payer_scope", "served_audiences", "weak_key_problem",
]
