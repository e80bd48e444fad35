"""The payer's own record of payment requests and their outcomes (SQLite in the data folder).

A request is written, with its signed JWS, in one transaction before it is sent; until an answer
arrives it stays ``pending`` and can be re-sent with the same idempotency key.
Statuses: ``pending``, ``approved``, ``declined``, ``rejected``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from payer_app.core.charge import Charge, no_charge
from payer_app.core.request import PaymentRequest, read_signed
from payer_app.core.timestamps import format_timestamp
from payer_app.payments.sqlite_store import StoreFile

HISTORY_FILE = "history.sqlite3"
STATUSES = ("pending", "approved", "declined", "rejected")


@dataclass(frozen=True)
class HistoryEntry:
    request_id: str
    idempotency_key: str
    created_at: str
    expires_at: str
    updated_at: str
    status: str
    amount: int
    currency: str
    scheme: str | None
    payee_name: str | None
    payee_account: str | None
    customer_code: str | None
    note: str
    acquirer: str
    acquirer_reference: str | None
    http_status: int | None
    message: str | None
    attempts: int
    jws: str

    @property
    def charge(self) -> Charge:
        """The fee or tip and the total, as the stored signed request states them (a request signed
        before fees were carried: no fee)."""
        request = read_signed(self.jws)
        return request.cost if request is not None else no_charge(self.amount)

    def to_dict(self) -> dict[str, Any]:
        charge = self.charge
        return asdict(self) | {"fee_kind": charge.kind, "fee": charge.fee, "total": charge.total}


_COLUMNS = (
    "request_id, idempotency_key, created_at, expires_at, updated_at, status, amount, currency, scheme, "
    "payee_name, payee_account, customer_code, note, acquirer, acquirer_reference, http_status, message, "
    "attempts, jws"
)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    request_id TEXT PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    status TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    scheme TEXT,
    payee_name TEXT,
    payee_account TEXT,
    customer_code TEXT,
    note TEXT NOT NULL,
    acquirer TEXT NOT NULL,
    acquirer_reference TEXT,
    http_status INTEGER,
    message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    jws TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_by_time ON requests (created_at);
"""


class History(StoreFile):
    """The payer's requests. ``History(path)``: ``path`` defaults to the data folder's history file;
    ``IN_MEMORY`` keeps nothing on disk."""

    SCHEMA = _SCHEMA
    SCHEMA_VERSION = 1  # PRAGMA user_version of the history file
    DEFAULT_FILE = HISTORY_FILE

    def record_pending(self, request: PaymentRequest, jws: str, acquirer: str) -> HistoryEntry:
        """Write a new request as pending, in one transaction (call before sending it)."""
        payee = request.payee
        now = _now()
        with self._store.transaction() as db:
            db.execute(
                f"INSERT INTO requests ({_COLUMNS}) VALUES ({', '.join('?' * 19)})",
                (
                    request.request_id, request.idempotency_key, format_timestamp(request.created_at),
                    format_timestamp(request.expires_at), now, "pending", request.amount,
                    request.currency, payee.scheme, payee.merchant_name,
                    payee.account_or_merchant_id, request.bill.customer_code,
                    request.note, acquirer, None, None, "Recorded; not sent yet.", 0, jws,
                ),
            )
        entry = self.get(request.request_id)
        if entry is None:  # written just above; only a file changed under us gets here
            raise sqlite3.DatabaseError("the pending request was not recorded")
        return entry

    def record_attempt(self, request_id: str, message: str, http_status: int | None = None) -> None:
        """A send without a final answer (none at all, or an acquirer error such as a 5xx, whose
        status is kept in ``http_status``): still pending, one more attempt."""
        with self._store.transaction() as db:
            db.execute(
                "UPDATE requests SET attempts = attempts + 1, message = ?, http_status = ?, updated_at = ? "
                "WHERE request_id = ?",
                (message, http_status, _now(), request_id),
            )

    def record_outcome(self, request_id: str, status: str, http_status: int | None,
                       acquirer_reference: str | None, message: str | None) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._store.transaction() as db:
            db.execute(
                "UPDATE requests SET status = ?, http_status = ?, acquirer_reference = ?, message = ?, "
                "attempts = attempts + 1, updated_at = ? WHERE request_id = ?",
                (status, http_status, acquirer_reference, message, _now(), request_id),
            )

    def get(self, request_id: str) -> HistoryEntry | None:
        row = self._store.one(f"SELECT {_COLUMNS} FROM requests WHERE request_id = ?", (request_id,))
        return HistoryEntry(*row) if row else None

    def pending(self) -> list[HistoryEntry]:
        """Oldest first, the order in which they should be re-sent."""
        rows = self._store.all(f"SELECT {_COLUMNS} FROM requests WHERE status = 'pending' ORDER BY created_at, rowid")
        return [HistoryEntry(*r) for r in rows]

    # last in the class: an annotation below it would read `list` as this method
    def list(self, limit: int = 50) -> list[HistoryEntry]:
        """Newest first."""
        rows = self._store.all(f"SELECT {_COLUMNS} FROM requests ORDER BY created_at DESC, rowid DESC LIMIT ?",
                               (limit,))
        return [HistoryEntry(*r) for r in rows]


def _now() -> str:
    return format_timestamp(datetime.now(UTC))
