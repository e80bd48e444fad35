"""The mock acquirer's SQLite ledger: payments per payer, key bindings, used nonces, settings (among
them the enrolment code, ``enrolment_code``). Opened through ``payments/sqlite_store.py``."""

from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from payer_app.core.request import PaymentRequest
from payer_app.payments.acquirer.balances import BALANCES_SCHEMA, Balances
from payer_app.payments.sqlite_store import LEDGER_SCHEMA_VERSION, StoreFile

# The random enrolment code: 16 characters from 32 that cannot be misread (no 0/O, 1/I), 80 bits, in
# groups of four ("7KQM-R2XD-..."), so an operator can read it out and a payer type it. It never starts
# with "-", which a command line would take for an option.
ENROL_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ENROL_CODE_GROUPS = 4
MIN_ENROL_CODE_CHARS = 16  # a fixed --enrol-code is at least as long as the random one
# Every this many payments recorded, the nonces of expired requests are forgotten (a count, not a
# random draw: two reads of the system's random source per payment cost the writer more than the purge).
NONCE_PURGE_EVERY = 256


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


# What an approved payment counts in its payer's day (its total, fee included; its amount for an answer
# written before totals were kept); ``approved_total_since`` reads only the payer's approvals of the
# day, through the index ``ledger_payments_by_day``.
_DAY_TOTAL = "COALESCE(CAST(json_extract(response, '$.total.value') AS INTEGER), amount)"

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
CREATE INDEX IF NOT EXISTS ledger_payments_by_day ON ledger_payments (payer_scope, status, received_at);
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
""" + BALANCES_SCHEMA
# A payer's approvals since a moment: (how many, the highest rowid, how many and the total of those
# after a rowid). Rows up to that rowid are not read (their rowid is in the index): only the new ones.
_DAY_TOTAL_SINCE = (
    f"SELECT COUNT(*), MAX(rowid), SUM(rowid > ?), COALESCE(SUM(CASE WHEN rowid > ? THEN {_DAY_TOTAL} END), 0) "
    "FROM ledger_payments WHERE payer_scope = ? AND status = 'approved' AND received_at >= ?")
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
        self.balances = Balances(self._store)  # the payers' balances (payments/acquirer/balances.py)
        self._day_totals: dict[tuple[str, str], tuple[int, int, int]] = {}  # approved_total_since's
        self._inserted = 0  # payments recorded through this ledger (every NONCE_PURGE_EVERY-th purges nonces)
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
    def batch(self):
        """One transaction around several recordings (the pipeline's group commit): each
        ``insert_if_new`` inside it is a savepoint, and nothing is committed before the block ends."""
        return self._store.transaction()

    def find(
        self, scope: str, idempotency_key: str, request_id: str
    ) -> tuple[int, dict[str, Any], str, str, str] | None:
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

    def insert_if_new(self, scope: str, request: PaymentRequest, kid: str, token_sha256: str, http_status: int,
                      body: dict[str, Any], nonce_expires: int, now_epoch: int,
                      checked: bool = False) -> tuple[str, Any]:
        """Record an answer in one transaction. Returns ("inserted", None), ("exists", find() tuple)
        when this payer already used the key or request id, ("nonce", None) when this payer's
        nonce was used (``now_epoch``: the acquirer's clock, in seconds), or ("funds", refusal) when
        an approval is over the account's balance or daily limit (nothing written). An approval
        debits the account in the same transaction (``Balances.debit``). ``checked``: the caller has
        just looked for the key, the request id and the nonce inside the transaction this one is a
        transaction of (``MockAcquirer.settle``, which holds it), so they are not looked for again
        and that transaction is the one the rows are written in."""
        with contextlib.nullcontext(self._store.db) if checked else self._store.transaction() as db:
            existing = None if checked else self.find(scope, request.idempotency_key, request.request_id)
            if existing is not None:
                return "exists", existing
            if not checked and self.nonce_used(scope, request.nonce, now_epoch):
                return "nonce", None
            if body["status"] == "approved":
                refused = self.balances.debit(db, scope, request.idempotency_key, request.cost.total,
                                              body["received_at"])
                if refused is not None:
                    return "funds", refused
            db.execute("INSERT OR REPLACE INTO used_nonces VALUES (?, ?, ?)", (scope, request.nonce, nonce_expires))
            db.execute(
                "INSERT INTO ledger_payments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    scope, request.idempotency_key, request.request_id, body["status"], http_status,
                    body["acquirer_reference"], request.amount, kid, token_sha256,
                    json.dumps(body, ensure_ascii=False), body["received_at"],
                ),
            )
            self._inserted += 1
            if self._inserted % NONCE_PURGE_EVERY == 0:  # now and then, forget nonces whose requests have expired
                db.execute("DELETE FROM used_nonces WHERE expires_epoch < ?", (now_epoch,))
        return "inserted", None

    def nonce_used(self, scope: str, nonce: str, now_epoch: int) -> bool:
        """This payer used the nonce in a request still alive at ``now_epoch`` (so did any payer,
        for the nonces a version 1 ledger kept)."""
        row = self._store.one("SELECT MAX(expires_epoch) FROM used_nonces WHERE payer_scope IN (?, ?) AND nonce = ?",
                              (scope, _ANY_PAYER, nonce))
        return row[0] is not None and row[0] >= now_epoch

    def approved_total_since(self, scope: str, since: str) -> int:
        """The dong this payer paid in approved payments received at ``since`` (a canonical UTC
        timestamp) or later: each answer's total (fee included), its amount for answers without one.

        Kept per (payer, since) with the rows counted (how many, the highest rowid): only rows added
        since are read again (another process's too: its rows come after). The acquirer never changes
        or removes a payment; if one is removed from the file all the same, fewer rows are found than
        were counted and the total is counted anew (``tests/test_acquirer_day_total.py``)."""
        with self._store.lock:
            count, last, total = self._day_totals.get((scope, since), (0, 0, 0))
            found = self._store.one(_DAY_TOTAL_SINCE, (last, last, scope, since))
            all_rows, newest, new_rows, added = found[0], found[1] or 0, found[2] or 0, found[3]
            if all_rows - new_rows != count:  # not the rows counted before: count them all
                all_rows, newest, new_rows, added = self._store.one(_DAY_TOTAL_SINCE, (0, 0, scope, since))
                newest, total = newest or 0, 0
            if len(self._day_totals) > 100_000:  # bounded memory on long runs
                self._day_totals.clear()
            self._day_totals[(scope, since)] = (all_rows, newest, total + added)
            return int(total + added)

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


__all__ = ["ENROL_CODE_ALPHABET", "NONCE_PURGE_EVERY", "KeyBinding", "Ledger", "TrustedKey", "enrolment_code",
           "enrolment_code_problem", "payer_scope", "random_enrolment_code"]
