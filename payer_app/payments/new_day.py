"""A new day at the booth: the day's counter and bill payments go to archive tables, so the merchant
display's totals start from zero and the demo EVN bills are unpaid again. Nothing is deleted.

In the acquirer's ledger file, one transaction:

- ``counter_events`` (what the merchant display shows) -> ``archived_counter_events``;
- ``biller_payments`` (what the EVN biller counts against its bills) -> ``archived_biller_payments``;

each archived row carries ``day_closed_at`` (when the day was closed). The acquirer's own record of
payments (``ledger_payments``, with the used nonces) is kept as it is: a request paid yesterday is
still a duplicate today, and ``payer-app`` lookups still find it.

Who starts a new day: the operator. ``payer-app acquirer new-day`` (on the ledger file, or at a
running acquirer with ``--acquirer URL``, the operator token read from the ledger file), the kiosk's
Settings (operator action; the booth gives its window the token), ``acquirer serve --new-day-at
HH:MM`` (every day at that local time, ``NewDaySchedule``). A running acquirer does it through
``start_new_day(acquirer)``, which also sends every open display its fresh, empty state.
``POST /v1/new-day`` (``Authorization: Bearer <operator token>``, ``payments/acquirer/activation.py``'s
``operator_token``) is the HTTP way in: the booth's shared code, which every visitor's kiosk knows,
is refused there.
"""

from __future__ import annotations

import hmac
import logging
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from payer_app.core.timestamps import format_timestamp
from payer_app.payments.biller import PAYMENT_COLUMNS, PAYMENT_FIELDS, Biller
from payer_app.payments.json_responses import json_response
from payer_app.payments.merchant_display import COUNTER_COLUMNS, COUNTER_FIELDS, CounterStore
from payer_app.payments.sqlite_store import LEDGER_SCHEMA_VERSION, StoreFile

log = logging.getLogger(__name__)

MAX_HEADER_CHARS = 200

_ARCHIVE_SCHEMA = CounterStore.SCHEMA + Biller.SCHEMA + """
CREATE TABLE IF NOT EXISTS archived_counter_events (
    day_closed_at TEXT NOT NULL,
    id INTEGER NOT NULL,""" + COUNTER_FIELDS + """
);
CREATE TABLE IF NOT EXISTS archived_biller_payments (
    day_closed_at TEXT NOT NULL,""" + PAYMENT_FIELDS + """
);
"""


@dataclass(frozen=True)
class NewDay:
    """What a new day archived: display events (approved ones and their total) and bill payments."""

    closed_at: str
    events: int
    approved: int
    approved_total: int
    bill_payments: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        return (f"New day from {self.closed_at}: {self.approved} approved payment(s) ({self.approved_total} dong) "
                f"and {self.events - self.approved} other display event(s), {self.bill_payments} bill payment(s) "
                "archived; the display's totals are zero and the bills unpaid again.")


class DayArchive(StoreFile):
    """The archive tables in the acquirer's ledger file."""

    SCHEMA = _ARCHIVE_SCHEMA
    SCHEMA_VERSION = LEDGER_SCHEMA_VERSION
    SYNCHRONOUS = "FULL"

    def close_day(self, now: datetime | None = None) -> NewDay:
        """Move the day's rows to the archive tables in one transaction."""
        closed_at = format_timestamp(now or datetime.now(UTC))
        with self._store.transaction() as db:
            events, approved, total = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(kind = 'approved'), 0), "
                "COALESCE(SUM(CASE WHEN kind = 'approved' THEN amount END), 0) FROM counter_events").fetchone()
            bills = db.execute("SELECT COUNT(*) FROM biller_payments").fetchone()[0]
            _add_fee_columns(db, "counter_events")  # tables written before fees were kept (no fee)
            _add_fee_columns(db, "archived_counter_events")
            db.execute(f"INSERT INTO archived_counter_events (day_closed_at, {COUNTER_COLUMNS}) "
                       f"SELECT ?, {COUNTER_COLUMNS} FROM counter_events", (closed_at,))
            db.execute("DELETE FROM counter_events")
            db.execute(f"INSERT INTO archived_biller_payments (day_closed_at, {PAYMENT_COLUMNS}) "
                       f"SELECT ?, {PAYMENT_COLUMNS} FROM biller_payments", (closed_at,))
            db.execute("DELETE FROM biller_payments")
        return NewDay(closed_at, events, approved, total, bills)


def _add_fee_columns(db: Any, table: str) -> None:
    """Give a table written before fees were kept its ``fee`` and ``fee_kind`` columns (no fee)."""
    if "fee" not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
        db.execute(f"ALTER TABLE {table} ADD COLUMN fee INTEGER NOT NULL DEFAULT 0")
        db.execute(f"ALTER TABLE {table} ADD COLUMN fee_kind TEXT NOT NULL DEFAULT ''")


def new_day_on_file(ledger: Path | str, now: datetime | None = None) -> NewDay:
    """A new day on a ledger file (``payer-app acquirer new-day --ledger FILE``)."""
    archive = DayArchive(ledger)
    try:
        return archive.close_day(now)
    finally:
        archive.close()


def start_new_day(acquirer: Any, now: datetime | None = None) -> NewDay:
    """A new day at a running acquirer: its ledger file archived, then every open display sent
    its fresh state (``DisplayHub.refresh_all``)."""
    done = new_day_on_file(acquirer.ledger.path, now)
    hub = getattr(acquirer, "display_hub", None)
    if hub is not None:
        hub.refresh_all()
    log.info("%s", done.line())
    return done


# --- at a set hour ------------------------------------------------------------------------------
def parse_hour(text: str) -> tuple[int, int]:
    """``HH:MM`` (24-hour clock) -> (hour, minute); ValueError otherwise."""
    hour, sep, minute = text.partition(":")
    if not (sep and hour.isdigit() and minute.isdigit() and len(hour) <= 2 and len(minute) == 2
            and 0 <= int(hour) <= 23 and 0 <= int(minute) <= 59):
        raise ValueError(f"a time of day is HH:MM (00:00 to 23:59), not {text[:20]!r}")
    return int(hour), int(minute)


def next_time(hour: int, minute: int, now: datetime) -> datetime:
    """The next moment at hour:minute local time strictly after ``now`` (an aware datetime)."""
    local = now.astimezone()
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at > local else at + timedelta(days=1)


class NewDaySchedule:
    """Starts a new day at ``hour:minute`` local time every day while the acquirer runs (a timer
    thread; ``stop()`` ends it)."""

    def __init__(self, acquirer: Any, hour: int, minute: int, say=None):
        self.acquirer, self.hour, self.minute, self.say = acquirer, hour, minute, say
        self._timer: threading.Timer | None = None
        self._stopped = False
        self._lock = threading.Lock()

    def start(self) -> NewDaySchedule:
        now = datetime.now(UTC)
        seconds = (next_time(self.hour, self.minute, now) - now.astimezone()).total_seconds()
        with self._lock:
            if not self._stopped:
                self._timer = threading.Timer(max(1.0, seconds), self._fire)
                self._timer.daemon = True
                self._timer.start()
        return self

    def _fire(self) -> None:
        try:
            done = start_new_day(self.acquirer)
            if self.say is not None:
                self.say(done.line())
        except Exception:  # noqa: BLE001 - the acquirer keeps serving; the next day is tried again
            log.exception("the scheduled new day failed")
        self.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()


# --- HTTP ---------------------------------------------------------------------------------------
def _operator_refusal(acquirer: Any, token: str, authorization: str | None):
    """None for the operator token; else its refusal, under the acquirer's one guard against guessing
    its codes (wrong ones counted, 429 with ``Retry-After`` during a lock-out)."""
    scheme, _, value = (authorization or "").partition(" ")
    value = value.strip() if scheme.lower() == "bearer" else ""
    if not value:
        return json_response({"status": "rejected", "error": "operator-token-required",
                              "message": "A new day needs the acquirer's operator token (Bearer): payer-app "
                                         "acquirer new-day, on the acquirer's machine."}, 401)
    attempt = acquirer.code_lockout.attempt(
        lambda: hmac.compare_digest(value.encode("utf-8", "surrogatepass"), token.encode("utf-8")))
    if attempt.outcome == "right":
        return None
    if attempt.outcome == "locked":
        return json_response({"status": "rejected", "error": "too-many-attempts",
                              "message": f"Too many wrong codes; try again in {attempt.retry_after} s."},
                             429, {"Retry-After": str(attempt.retry_after)})
    log.warning("wrong operator token for a new day")
    return json_response({"status": "rejected", "error": "bad-operator-token",
                          "message": "Only the operator token starts a new day (payer-app acquirer new-day, "
                                     "on the acquirer's machine)."}, 401)


def new_day_routes(acquirer: Any) -> list:
    """``POST /v1/new-day`` with ``Authorization: Bearer <operator token>``: 200 and what was archived;
    401 without it (the booth's shared code too)."""
    import asyncio

    from starlette.routing import Route

    from payer_app.payments.acquirer.activation import operator_token

    token = operator_token(acquirer.ledger)

    async def post_new_day(request):
        given = request.headers.get("authorization")
        refusal = _operator_refusal(acquirer, token, None if given is None else given[:MAX_HEADER_CHARS])
        if refusal is not None:
            return refusal
        done = await asyncio.to_thread(start_new_day, acquirer)
        return json_response({"status": "ok", "new_day": done.to_dict()})

    return [Route("/v1/new-day", post_new_day, methods=["POST"])]


__all__ = ["DayArchive", "NewDay", "NewDaySchedule", "new_day_on_file", "new_day_routes", "next_time", "parse_hour",
           "start_new_day"]
