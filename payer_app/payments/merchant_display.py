"""The other side of the counter: the merchant display and the biller, served by the mock acquirer.

``counter_routes(acquirer)`` attaches to a ``MockAcquirer`` (as a listener of its decisions) and
returns the routes ``create_app`` serves next to the payment API:

- ``GET /display`` (``?merchant=NAME_OR_ID`` shows one payee only): the page (resources/display/).
- ``GET /display/events``: Server-Sent Events (sse-starlette). The first event of every connection
  is a ``snapshot`` (last ten approved payments, today's running total, declined / duplicate /
  refused requests apart), so a page that reconnects (EventSource does by itself, also after the
  acquirer restarted) is whole again; then one ``payment`` event per decision, at the moment it is
  made. Event ids are the counter's row ids, kept in the ledger file, so they survive restarts.
- ``GET /display/audio/{amount}.wav``: "Đã nhận ... đồng" spoken by espeak-ng (Vietnamese voice),
  404 when speech is not available (the page then chimes and shows a banner).
- ``GET /display/static/{file}``: the page's CSS and JS.
- ``GET /v1/bills/{customer_code}``: the outstanding EVN bill (``biller.py``): 200, 400 malformed
  code, 404 unknown customer.

Limits: at most ``MAX_DISPLAY_CLIENTS`` event streams at once. A new stream is never refused: it
closes the one that has been quiet longest (a stream that fell behind goes first; then the one
sent nothing for longest, the oldest among equals), so idle connections cannot lock the real
display out, and a display closed that way reconnects by itself and is whole from its snapshot.
Each stream has a bounded queue (a display that falls behind gets a fresh snapshot instead of the
missed events);
the speech cache is bounded (``speech.Speaker``); only approved, declined and duplicate answers are
stored (refused requests are only counted, in memory), and old non-approved rows are trimmed.
Everything shown on the page comes from the payment as data and is set with ``textContent``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import sqlite3
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from payer_app.core.amount_words import vietnamese_words
from payer_app.core.amounts import group_thousands
from payer_app.core.display_text import visible
from payer_app.core.request import read_signed
from payer_app.core.timestamps import format_timestamp
from payer_app.payments.biller import Biller, attach_biller, bill_answer
from payer_app.payments.json_responses import json_response
from payer_app.payments.speech import Speaker, announcement
from payer_app.payments.sqlite_store import LEDGER_SCHEMA_VERSION, StoreFile, inserted_id

log = logging.getLogger(__name__)

MAX_DISPLAY_CLIENTS = 32
QUEUE_SIZE = 64
RECENT_COUNT = 10
KEEP_NOT_APPROVED = 1000  # declined / duplicate rows kept in the counter table
MAX_MERCHANT_CHARS = 100
RETRY_MS = 1000  # how soon a disconnected page tries again
PING_SECONDS = 15
SHUTDOWN_POLL_SECONDS = 0.25  # how often a stream looks whether the server is stopping
BILL_WAIT_S = 5.0  # how long a bill read waits for the biller to hear of the payments already answered
STATIC_FILES = {"display.css": "text/css; charset=utf-8", "display.js": "text/javascript; charset=utf-8"}
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                           "media-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
                           "frame-ancestors 'none'")
KINDS_BY_STATUS = {201: "approved", 402: "declined", 409: "duplicate"}
SECURITY_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


# --- the counter's record -------------------------------------------------------------------------
# The columns after the id, one definition a line; the day's archive (payments/new_day.py) copies them.
COUNTER_FIELDS = """
    kind TEXT NOT NULL,
    amount INTEGER NOT NULL,
    payee TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    customer_code TEXT NOT NULL,
    reference TEXT NOT NULL,
    at TEXT NOT NULL,
    fee INTEGER NOT NULL DEFAULT 0,
    fee_kind TEXT NOT NULL DEFAULT ''"""
_COUNTER_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS counter_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,{COUNTER_FIELDS}
);
"""
COUNTER_COLUMNS = ", ".join(["id"] + [line.split()[0] for line in COUNTER_FIELDS.strip().splitlines()])


class CounterStore(StoreFile):
    """Approved, declined and duplicate answers, in the acquirer's ledger file (table counter_events)."""

    SCHEMA = _COUNTER_SCHEMA
    SCHEMA_VERSION = LEDGER_SCHEMA_VERSION  # one version for the ledger file's three stores
    SYNCHRONOUS = "NORMAL"

    def __init__(self, ledger_path: Path | str):
        super().__init__(ledger_path)
        self._added = 0
        with self._store.lock:  # a table written before fees were kept gets their columns (no fee)
            columns = {row[1] for row in self._store.all("PRAGMA table_info(counter_events)")}
            if "fee" not in columns:
                self._store.write("ALTER TABLE counter_events ADD COLUMN fee INTEGER NOT NULL DEFAULT 0")
                self._store.write("ALTER TABLE counter_events ADD COLUMN fee_kind TEXT NOT NULL DEFAULT ''")

    def add(self, kind: str, amount: int, payee: str, merchant_id: str, customer_code: str, reference: str,
            at: str, fee: int = 0, fee_kind: str = "") -> int:
        """One answer; ``amount`` is the total the merchant receives, ``fee`` the part of it that is
        the QR's fee or the payer's tip (``fee_kind``: fixed, percent or tip; empty when none)."""
        with self._store.lock:
            cursor = self._store.write(
                "INSERT INTO counter_events (kind, amount, payee, merchant_id, customer_code, reference, at, fee, "
                "fee_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (kind, amount, payee, merchant_id, customer_code, reference, at, fee, fee_kind))
            self._added += 1
            if self._added % 100 == 0:
                self._store.write(
                    "DELETE FROM counter_events WHERE kind != 'approved' AND id NOT IN "
                    "(SELECT id FROM counter_events WHERE kind != 'approved' ORDER BY id DESC LIMIT ?)",
                    (KEEP_NOT_APPROVED,))
            return inserted_id(cursor)

    def snapshot(self, merchant: str | None, since: str, speech: bool) -> dict[str, Any]:
        """What a display shows: the last ten approved, today's total and count (from ``since``, an
        RFC 3339 UTC time), the last ten declined/duplicate, and the newest event id. Each event is
        ``counter_event``'s, as the live one was (``speech``: whether approvals carry an audio URL)."""
        where, args = "", []
        if merchant:
            where = " AND (lower(payee) = lower(?) OR lower(merchant_id) = lower(?))"
            args = [merchant, merchant]
        with self._store.lock:  # one consistent view: no event lands between the four reads
            recent = self._store.all(
                f"SELECT {COUNTER_COLUMNS} FROM counter_events WHERE kind = 'approved'{where} "
                "ORDER BY id DESC LIMIT ?",
                (*args, RECENT_COUNT))
            apart = self._store.all(
                f"SELECT {COUNTER_COLUMNS} FROM counter_events WHERE kind != 'approved'{where} "
                "ORDER BY id DESC LIMIT ?",
                (*args, RECENT_COUNT))
            total, count = self._store.one(
                f"SELECT COALESCE(SUM(amount), 0), COUNT(*) FROM counter_events WHERE kind = 'approved' "
                f"AND at >= ?{where}", (since, *args))
            last = self._store.one("SELECT COALESCE(MAX(id), 0) FROM counter_events")[0]
        return {"recent": [counter_event(*r, speech=speech) for r in recent],
                "apart": [counter_event(*r, speech=speech) for r in apart],
                "total": total, "total_text": group_thousands(total), "count": count, "last_id": last}


def audio_url(amount: int) -> str:
    """Where the page fetches an approved amount spoken (``GET /display/audio/{amount}.wav``)."""
    return f"/display/audio/{amount}.wav"


FEE_WORDS = {"fixed": "phí", "percent": "phí", "tip": "tiền tip"}  # the page is in Vietnamese


def breakdown_text(amount: int, fee: int, fee_kind: str) -> str:
    """What a total is made of, beside it on the page: ``100.000 ₫ + phí 50.000 ₫`` (empty: no fee)."""
    if fee <= 0 or fee >= amount:
        return ""
    return f"{group_thousands(amount - fee)} ₫ + {FEE_WORDS.get(fee_kind, 'phí')} {group_thousands(fee)} ₫"


def counter_event(event_id: int, kind: str, amount: int, payee: str, merchant_id: str, customer_code: str,
                  reference: str, at: str, fee: int = 0, fee_kind: str = "", *, speech: bool) -> dict[str, Any]:
    """One payment as the page receives it, the one builder for both the live ``payment`` event and
    a snapshot's lists, so a payment the page missed is announced as a live one is: ``spoken`` is
    the sentence, ``audio`` its WAV (for an approval when ``speech``, else None: the page chimes).
    ``amount`` is the total, fee or tip included; ``breakdown`` says what it is made of.
    Texts are already escaped with ``visible``; the page still sets them only as text."""
    return {"id": event_id, "kind": kind, "amount": amount, "amount_text": group_thousands(amount),
            "fee": fee, "fee_kind": fee_kind, "breakdown": breakdown_text(amount, fee, fee_kind),
            "words": vietnamese_words(amount), "spoken": announcement(amount),
            "audio": audio_url(amount) if speech and kind == "approved" else None, "payee": visible(payee, 80),
            "merchant_id": visible(merchant_id, 40), "customer_code": visible(customer_code, 40),
            "reference": visible(reference, 40), "at": at}


def day_start(now: datetime | None = None) -> str:
    """The start of today in this machine's time zone, as an RFC 3339 UTC time (the running total's)."""
    local = (now or datetime.now(UTC)).astimezone()
    return format_timestamp(local.replace(hour=0, minute=0, second=0, microsecond=0))


def merchant_matches(merchant: str | None, event: dict[str, Any]) -> bool:
    if not merchant:
        return True
    wanted = merchant.casefold()
    return wanted in (str(event.get("payee", "")).casefold(), str(event.get("merchant_id", "")).casefold())


# --- live streams -------------------------------------------------------------------------------
@dataclass(eq=False)
class Subscription:
    merchant: str | None
    loop: asyncio.AbstractEventLoop
    opened: int  # the hub's tick when it opened
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    behind: bool = False  # the queue overflowed: send a snapshot instead of the missed events
    active: int = 0  # the hub's tick of the last message offered (or of opening)
    closed: bool = False  # closed by the hub to make room: the stream ends (None on the queue wakes it)

    def quiet_order(self) -> tuple[bool, int, int]:
        """Sorts the stream to close first to the front: behind, then quiet longest, then oldest."""
        return (not self.behind, self.active, self.opened)


class DisplayHub:
    """The open displays and what happens at the counter (approved, declined, duplicate, refused)."""

    def __init__(self, store: CounterStore, speaker: Speaker, max_clients: int = MAX_DISPLAY_CLIENTS):
        self.store = store
        self.speaker = speaker
        self.max_clients = max_clients
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._ticks = itertools.count(1)  # orders openings and broadcasts (under _lock)
        self.refused = 0  # refused requests since start (not stored)
        self.refused_codes: deque[str] = deque(maxlen=RECENT_COUNT)
        self._speech_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="display-speech")
        self._speech_pending = 0
        self._ending = False  # end_streams() was called: the server is stopping

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._subs)

    def close(self) -> None:
        self._speech_pool.shutdown(wait=False, cancel_futures=True)
        self.store.close()

    def subscribe(self, merchant: str | None) -> Subscription:
        """A new stream; when ``max_clients`` are open, the quietest ones are closed to make room."""
        with self._lock:
            crowd = sorted(self._subs, key=Subscription.quiet_order)[:max(0, len(self._subs) - self.max_clients + 1)]
            for old in crowd:
                self._subs.discard(old)
                old.closed = True
            tick = next(self._ticks)
            sub = Subscription(merchant, asyncio.get_running_loop(), opened=tick, active=tick, closed=self._ending)
            self._subs.add(sub)
        for old in crowd:
            try:
                old.loop.call_soon_threadsafe(_wake, old)
            except RuntimeError:  # its loop has closed: nothing left to wake
                pass
        if crowd:
            log.info("merchant display: %d quiet stream(s) closed for a new one (at most %d)", len(crowd),
                     self.max_clients)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def refresh_all(self) -> None:
        """Every open display gets a fresh snapshot (a new day: totals back to zero)."""
        self._broadcast({"type": "snapshot"})

    def end_streams(self) -> None:
        """The server is stopping: every stream ends now (streams opened later end at once)."""
        with self._lock:
            self._ending = True
            subs = list(self._subs)
            for sub in subs:
                sub.closed = True
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(_wake, sub)
            except RuntimeError:  # its loop has closed
                pass

    def snapshot(self, merchant: str | None) -> dict[str, Any]:
        state = self.store.snapshot(merchant, day_start(), self.speaker.available)
        state.update(merchant=visible(merchant, MAX_MERCHANT_CHARS) if merchant else None,
                     refused=None if merchant else self.refused,
                     refused_codes=[] if merchant else list(self.refused_codes), speech=self.speaker.available)
        return state

    # called by the acquirer (any thread) after each decision
    def on_decision(self, token: str | bytes, answer: Any) -> None:
        try:
            self._on_decision(token, answer)
        except Exception:  # noqa: BLE001 - the payment stands whatever the display does
            log.exception("merchant display could not show a decision")

    def _on_decision(self, token: str | bytes, answer: Any) -> None:
        status = answer.http_status
        kind = KINDS_BY_STATUS.get(status)
        if kind is None:
            if 400 <= status < 500:
                with self._lock:
                    self.refused += 1
                    self.refused_codes.appendleft(visible(str(answer.body.get("error") or status), 40))
                self._broadcast({"type": "refused", "refused": self.refused, "code": self.refused_codes[0]})
            return
        body = answer.body
        # the acquirer has just verified it (its 201, 402 or 409 answer)
        request = getattr(answer, "request", None) or read_signed(token)
        amount = _amount_of(body.get("total") or body.get("amount"))  # what the merchant receives, fee included
        if amount is None:
            return
        fields = (kind, amount, str(body.get("payee") or ""),
                  (request.payee.account_or_merchant_id or "") if request is not None else "",
                  (request.bill.customer_code or "") if request is not None else "",
                  str(body.get("acquirer_reference") or ""),
                  format_timestamp(datetime.now(UTC)),
                  request.cost.fee if request is not None else 0,
                  (request.cost.kind or "") if request is not None and request.cost.fee else "")
        event_id = self.store.add(*fields)
        if not self.clients:  # no display open: nothing to announce (one opening later reads the store)
            return
        event = counter_event(event_id, *fields, speech=self.speaker.available)
        if kind == "approved":
            self._prepare_speech(event["spoken"])
        self._broadcast({"type": "payment", "event": event})

    def _prepare_speech(self, text: str) -> None:
        """Make the WAV before the page asks for it, when a display is open (at most two waiting)."""
        if not self.speaker.available or not self.clients:
            return
        with self._lock:
            if self._speech_pending >= 2:
                return
            self._speech_pending += 1

        def run() -> None:
            try:
                self.speaker.wav(text)
            finally:
                with self._lock:
                    self._speech_pending -= 1

        self._speech_pool.submit(run)

    def _broadcast(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        with self._lock:
            # a display of one merchant shows only its payments (refusals name no payee); a new
            # snapshot goes to every display
            subs = [sub for sub in self._subs if not sub.merchant or message["type"] == "snapshot"
                    or (event is not None and merchant_matches(sub.merchant, event))]
            tick = next(self._ticks)
            for sub in subs:
                sub.active = tick
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(_offer, sub, message)
            except RuntimeError:  # its loop has closed
                self.unsubscribe(sub)


def _wake(sub: Subscription) -> None:
    """Wake a closed stream so it ends now (its queue may be full: the flag alone then ends it)."""
    try:
        sub.queue.put_nowait(None)
    except asyncio.QueueFull:
        pass


def _offer(sub: Subscription, message: dict[str, Any]) -> None:
    try:
        sub.queue.put_nowait(message)
    except asyncio.QueueFull:
        sub.behind = True


def _amount_of(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 16:
        return int(value)
    return None


# --- routes -------------------------------------------------------------------------------------
def _resource(name: str) -> bytes:
    return resources.files("payer_app.resources").joinpath("display").joinpath(name).read_bytes()


def counter_routes(acquirer: Any, speaker: Speaker | None = None, max_clients: int = MAX_DISPLAY_CLIENTS):
    """The display and biller routes for an acquirer app; attaches the display and the biller to
    ``acquirer`` (its listeners) and keeps them as ``acquirer.display_hub`` / ``acquirer.biller``."""
    from starlette.routing import Route

    biller: Biller = attach_biller(acquirer)
    hub = DisplayHub(CounterStore(acquirer.ledger.path), speaker or Speaker(), max_clients)
    acquirer.listeners.append(hub.on_decision)
    acquirer.display_hub = hub
    http = _CounterHttp(acquirer, hub, biller)
    return [
        Route("/display", http.display_page, methods=["GET"]),
        Route("/display/events", http.events, methods=["GET"]),
        Route("/display/audio/{amount}.wav", http.audio, methods=["GET"]),
        Route("/display/static/{name}", http.static_file, methods=["GET"]),
        Route("/v1/bills/{customer_code}", http.bill, methods=["GET"]),
    ]


def _json(body: dict[str, Any], status: int = 200):
    return json_response(body, status)


def _rejected(status: int, code: str, message: str):
    return _json({"status": "rejected", "error": code, "message": message}, status)


class _CounterHttp:
    """The counter's endpoints: the page and its files (strict CSP), spoken amounts, the live event
    stream, and the biller's ``GET /v1/bills/{code}``. Outside input (``merchant=``, path parts) is
    capped and checked before any work."""

    def __init__(self, acquirer: Any, hub: DisplayHub, biller: Biller):
        self.acquirer, self.hub, self.biller = acquirer, hub, biller
        self.page = _resource("index.html")
        self.statics = {name: _resource(name) for name in STATIC_FILES}

    @staticmethod
    def _merchant_of(request) -> tuple[str | None, Any]:
        """(the ``merchant=`` filter or None, None) or (None, the 400 refusal of an over-long one)."""
        merchant = request.query_params.get("merchant", "").strip()
        if len(merchant) > MAX_MERCHANT_CHARS:
            return None, _rejected(400, "bad-request", f"merchant= is at most {MAX_MERCHANT_CHARS} characters.")
        return merchant or None, None

    async def display_page(self, request):
        from starlette.responses import Response

        _, refusal = self._merchant_of(request)
        if refusal is not None:
            return refusal
        return Response(self.page, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)

    async def static_file(self, request):
        from starlette.responses import Response

        name = request.path_params["name"]
        if name not in self.statics:
            return _rejected(404, "not-found", "HTTP 404.")
        return Response(self.statics[name], media_type=STATIC_FILES[name], headers=SECURITY_HEADERS)

    async def audio(self, request):
        """The spoken amount as WAV, only for amounts within the acquirer's limits (a bounded cache)."""
        from starlette.responses import Response

        digits = request.path_params["amount"]
        limits = self.acquirer.limits
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 13) or not \
                limits.min_amount <= int(digits) <= limits.max_amount:
            return _rejected(404, "not-found", "No such amount.")
        data = await asyncio.to_thread(self.hub.speaker.wav, announcement(int(digits)))
        if data is None:
            return _rejected(404, "not-found", "Speech is not available on this acquirer.")
        return Response(data, media_type="audio/wav", headers={"Cache-Control": "max-age=3600"})

    async def events(self, request):
        """Server-Sent Events: a snapshot first, then each decision (at most ``max_clients`` streams:
        a new one closes the quietest)."""
        import anyio
        from sse_starlette import EventSourceResponse

        merchant, refusal = self._merchant_of(request)
        if refusal is not None:
            return refusal
        sub = self.hub.subscribe(merchant)
        shutdown = anyio.Event()  # set by sse-starlette when the server stops: end the stream cleanly
        return EventSourceResponse(self._stream(sub, shutdown), ping=PING_SECONDS, send_timeout=30,
                                   shutdown_event=shutdown, shutdown_grace_period=2 * SHUTDOWN_POLL_SECONDS,
                                   headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    def _snapshot_event(self, merchant: str | None):
        from sse_starlette import ServerSentEvent

        state = self.hub.snapshot(merchant)
        return ServerSentEvent(json.dumps(state, ensure_ascii=False), event="snapshot",
                               id=str(state["last_id"]), retry=RETRY_MS)

    async def _stream(self, sub: Subscription, shutdown):
        """A snapshot, then the queued messages; a display that fell behind gets a fresh snapshot
        instead of the events it missed. Ends when the server stops or the hub closed the stream."""
        try:
            yield self._snapshot_event(sub.merchant)
            while not shutdown.is_set() and not sub.closed:
                try:
                    message = await asyncio.wait_for(sub.queue.get(), timeout=SHUTDOWN_POLL_SECONDS)
                except TimeoutError:
                    continue
                if sub.closed:
                    break
                if sub.behind or message["type"] == "snapshot":
                    sub.behind = False
                    while not sub.queue.empty():
                        sub.queue.get_nowait()
                    yield self._snapshot_event(sub.merchant)
                    continue
                yield _message_event(message)
        finally:
            self.hub.unsubscribe(sub)

    async def bill(self, request):
        try:
            status, body = await asyncio.to_thread(self._bill_answer, request.path_params["customer_code"])
        except (OSError, sqlite3.Error):
            log.exception("biller storage failure")
            return _rejected(503, "unavailable", "The biller cannot answer right now.")
        return _json(body, status)

    def _bill_answer(self, customer_code: str):
        """The bill as it stands after every payment answered before this request: the biller hears of a
        payment after its answer was sent (the pipeline's listener thread), so a payer who reads the bill
        right after an approval waits for that, at most ``BILL_WAIT_S`` (then the bill as it is)."""
        caught_up = getattr(self.acquirer, "listeners_caught_up", None)
        if caught_up is not None:
            caught_up(BILL_WAIT_S)
        return bill_answer(self.biller, customer_code)


def _message_event(message: dict[str, Any]):
    """A payment (with its event id, so a page can tell it has seen it) or a refused request."""
    from sse_starlette import ServerSentEvent

    if message["type"] == "payment":
        event = message["event"]
        return ServerSentEvent(json.dumps(event, ensure_ascii=False), event="payment", id=str(event["id"]))
    return ServerSentEvent(json.dumps(message, ensure_ascii=False), event="refused")


__all__ = ["COUNTER_COLUMNS", "COUNTER_FIELDS", "CounterStore", "DisplayHub", "MAX_DISPLAY_CLIENTS", "counter_event",
           "counter_routes", "day_start", "merchant_matches"]
