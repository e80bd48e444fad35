"""The mock acquirer over HTTP: ``create_app`` wraps a ``MockAcquirer`` in a Starlette application,
next to the merchant display's routes (``payments/merchant_display.py``).

- ``POST /v1/payments`` (compact JWS, ``Content-Type: application/jose``): 201 approved, 402 declined,
  409 the same token again (body: the first answer), 4xx refusals, 503 injected outage.
- ``GET /v1/payments/{request_id}`` with ``Authorization: JWS <payment_lookup signed by the payer>``.
- ``GET /v1/balance`` with the same kind of signature, for ``balance``: the signer's account's balance
  (``payments/acquirer/balances.py``).
- ``POST /v1/keys`` (compact JWS ``key_enrolment`` signed by the new key) with
  ``Authorization: Bearer <code>`` (a per-account code; the booth's shared code only for an account
  that does not exist yet) or an endorsement by the account's active key (``activation.py``).
- ``POST /v1/demo-accounts`` (the same, asking for ``new_account``) with the booth's shared code: a
  new demo account numbered by the acquirer, the key bound to it.
- ``GET /v1/keys/{kid}``: active / retired / revoked (nothing about the account).
- ``POST /v1/keys/{kid}/revoke`` with the operator token or a ``key_revocation`` signed by that key
  or by the key that endorsed it.
- ``GET /v1/health`` (no file paths).
- ``POST /v2/lookup`` (JSON ``{"bin", "accountNumber"}``): the registered account name, in the shape
  of the VietQR lookup API (``payments/name_directory.py``).

Every status and code is in docs/payments.md ("HTTP answers of the mock acquirer") and in
``answers.ERROR_TABLE``. Each input is capped before the work (step 0 of docs/security.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from payer_app.core.display_text import visible
from payer_app.core.payability import Limits
from payer_app.payments.acquirer.activation import Activation
from payer_app.payments.acquirer.answers import AcquirerAnswer, FailureSettings, error_answer
from payer_app.payments.acquirer.balances import balance_answer
from payer_app.payments.acquirer.decisions import MockAcquirer
from payer_app.payments.acquirer.ledger import TrustedKey, enrolment_code
from payer_app.payments.acquirer.pipeline import DecisionPipeline
from payer_app.payments.json_responses import json_bytes, json_response
from payer_app.payments.name_directory import MAX_LOOKUP_BODY_BYTES, NameDirectory, refusal

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64_000
MAX_KEY_BODY_BYTES = 16_000
MAX_HEADER_CHARS = 8_000
JOSE_MEDIA_TYPE = "application/jose"
JSON_MEDIA_TYPE = "application/json"
PAYMENTS_PATH = "/v1/payments"


# --- HTTP ---------------------------------------------------------------------------------------
def create_app(ledger_path: Path, failures: FailureSettings | None = None,
               trusted: list[TrustedKey] | None = None, limits: Limits | None = None, *,
               audiences: list[str] | None = None, enrol_code: str | None = None,
               open_enrolment: bool = False, clock: Callable[[], datetime] | None = None,
               directory: NameDirectory | None = None):
    """The Starlette application serving a MockAcquirer (``app.state.acquirer``).

    The enrolment code is ``enrol_code`` when given (and kept in the ledger), else the kept one, else
    a new random one: ``app.state.acquirer.enrol_code``. ``AcquirerServer`` adds its own URL to the
    audiences. ``clock``: the acquirer's time (``MockAcquirer``), the system's UTC clock by default.
    ``directory``: the registered names ``POST /v2/lookup`` answers from (the bundled one by default)."""
    from starlette.applications import Starlette

    from payer_app.payments.merchant_display import counter_routes
    from payer_app.payments.new_day import new_day_routes

    acquirer = MockAcquirer(ledger_path, failures, trusted, limits, audiences, open_enrolment=open_enrolment,
                            clock=clock)
    acquirer.enrol_code = enrolment_code(acquirer.ledger, enrol_code)
    activation = Activation(acquirer)
    pipeline = DecisionPipeline(acquirer)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        pipeline.close()  # answers in flight recorded and given, listeners told
        activation.close()
        acquirer.close()

    http = _AcquirerHttp(acquirer, directory or NameDirectory.bundled(), activation, pipeline)
    app = Starlette(
        routes=[
            *http.routes(),
            *counter_routes(acquirer),  # /display, /display/events, /v1/bills/{code}: merchant_display.py
            *new_day_routes(acquirer),  # POST /v1/new-day: new_day.py
        ],
        lifespan=lifespan,
        exception_handlers={Exception: _unexpected, 404: _not_found, 405: _not_found},
    )
    app.state.acquirer = acquirer
    app.state.activation = activation
    app.state.pipeline = pipeline
    return AcquirerApp(app, http)


class AcquirerApp:
    """The acquirer's ASGI application: ``POST /v1/payments``, the one route under load, is answered
    by ``_AcquirerHttp.lean_payment`` straight from ASGI messages (no Starlette request, response or
    middleware on its way: half the event loop's work per payment); everything else, other methods on
    that path included, by the Starlette ``app``, whose attributes (``state``...) this one shows."""

    def __init__(self, app, http: _AcquirerHttp):
        self.app, self.http = app, http

    def __getattr__(self, name: str):
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == PAYMENTS_PATH:
            await self.http.lean_payment(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class _AcquirerHttp:
    """The acquirer's HTTP endpoints (step 0 of docs/security.md: body size, then media type, then
    ``Authorization`` capped), each handing the checked input to the ``MockAcquirer``."""

    def __init__(self, acquirer: MockAcquirer, directory: NameDirectory, activation: Activation,
                 pipeline: DecisionPipeline):
        self.acquirer = acquirer
        self.pipeline = pipeline
        self.directory = directory
        self.activation = activation

    def routes(self) -> list:
        from starlette.routing import Route

        return [
            Route(PAYMENTS_PATH, _guarded(self.post_payment), methods=["POST"]),  # POST: AcquirerApp's lean path
            Route("/v1/payments/{request_id}", _guarded(self.get_payment), methods=["GET"]),
            Route("/v1/keys", _guarded(self.post_key), methods=["POST"]),
            Route("/v1/demo-accounts", _guarded(self.post_demo_account), methods=["POST"]),
            Route("/v1/keys/{kid}", _guarded(self.get_key), methods=["GET"]),
            Route("/v1/keys/{kid}/revoke", _guarded(self.revoke_key), methods=["POST"]),
            Route("/v1/health", _guarded(self.health), methods=["GET"]),
            Route("/v2/lookup", _guarded(self.lookup_name), methods=["POST"]),
            Route("/v1/balance", _guarded(self.get_balance), methods=["GET"]),  # acquirer/balances.py
        ]

    # --- endpoints ----------------------------------------------------------------------------
    async def lean_payment(self, scope, receive, send) -> None:
        """``POST /v1/payments`` from ASGI messages: the same checks in the same order as
        ``post_payment`` (the Starlette route's), the same answers, the same refusals of what goes wrong."""
        headers = _LeanHeaders(scope)
        try:
            answer = await self._lean_answer(headers, receive)
        except Exception as exc:  # noqa: BLE001 - each cause answered as _guarded answers it
            status, body = _guarded_answer(exc, "POST", PAYMENTS_PATH, headers.get("content-length", "none"))
            answer = AcquirerAnswer(status, body)
        data = json_bytes(answer.body)
        raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode("ascii")),
               *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items())]
        await send({"type": "http.response.start", "status": answer.http_status, "headers": raw})
        await send({"type": "http.response.body", "body": data})

    async def _lean_answer(self, headers: _LeanHeaders, receive) -> AcquirerAnswer:
        body = await _read_lean_body(headers, receive, MAX_BODY_BYTES)
        if body is None:
            return _too_large_answer(MAX_BODY_BYTES)
        wrong_media = _media_answer(headers)
        if wrong_media is not None:
            return wrong_media
        answer = await self.pipeline.decide(body.strip(), self.acquirer.clock())  # off the event loop
        if answer.delay_seconds:
            await _hold_answer(answer.delay_seconds)
        return answer

    async def post_payment(self, request):
        body = await _read_jose(request, MAX_BODY_BYTES)
        if not isinstance(body, bytes):
            return body
        answer = await self.pipeline.decide(body, self.acquirer.clock())  # off the event loop
        if answer.delay_seconds:
            await _hold_answer(answer.delay_seconds)
        return _respond(answer)

    async def get_payment(self, request):
        return _respond(self.acquirer.lookup(request.path_params["request_id"], _authorization(request)))

    async def post_key(self, request):
        body = await _read_jose(request, MAX_KEY_BODY_BYTES)
        if not isinstance(body, bytes):
            return body
        return _respond(self.activation.enrol(body, _authorization(request)))

    async def post_demo_account(self, request):
        body = await _read_jose(request, MAX_KEY_BODY_BYTES)
        if not isinstance(body, bytes):
            return body
        return _respond(self.activation.open_demo_account(body, _authorization(request)))

    async def get_balance(self, request):
        return _respond(balance_answer(self.acquirer, _authorization(request), self.acquirer.clock()))

    async def get_key(self, request):
        return _respond(self.acquirer.key_status(request.path_params["kid"]))

    async def revoke_key(self, request):
        body = await _read_capped_body(request, MAX_KEY_BODY_BYTES)
        if body is None:
            return _too_large(MAX_KEY_BODY_BYTES)
        return _respond(self.activation.revoke(request.path_params["kid"], body.strip(), _authorization(request)))

    async def lookup_name(self, request):
        """The registered name of a bank account or merchant id (body capped, then media type, then
        the fields: ``name_directory.read_lookup_body``)."""
        body = await _read_capped_body(request, MAX_LOOKUP_BODY_BYTES)
        if body is None:
            answer = refusal(413, "too-large", f"The body is larger than {MAX_LOOKUP_BODY_BYTES} bytes.")
        elif request.headers.get("content-type", "").split(";")[0].strip().lower() != JSON_MEDIA_TYPE:
            answer = refusal(415, "unsupported-media-type", f"Send the body with Content-Type: {JSON_MEDIA_TYPE}.")
        else:
            answer = self.directory.answer_body(body)
        return json_response(answer.body, answer.http_status)

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
    return _respond(_too_large_answer(limit))


def _too_large_answer(limit: int) -> AcquirerAnswer:
    return error_answer(413, "too-large", f"The body is larger than {limit} bytes.")


def _media_problem(request):
    """415 unless the body is declared ``application/jose`` (parameters ignored)."""
    answer = _media_answer(request.headers)
    return None if answer is None else _respond(answer)


def _media_answer(headers) -> AcquirerAnswer | None:
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if media != JOSE_MEDIA_TYPE:
        return error_answer(415, "unsupported-media-type",
                            f"Send the compact JWS with Content-Type: {JOSE_MEDIA_TYPE} "
                            f"(got {visible(media, 60) or 'none'}).")
    return None


class _LeanHeaders:
    """The first value of each request header of an ASGI scope (names lower case, values latin-1),
    as Starlette's ``request.headers.get`` gives them."""

    def __init__(self, scope):
        self._raw = scope["headers"]

    def get(self, name: str, default: str = "") -> str:
        wanted = name.encode("latin-1")
        for key, value in self._raw:
            if key == wanted:
                return value.decode("latin-1")
        return default


async def _read_lean_body(headers: _LeanHeaders, receive, limit: int) -> bytes | None:
    """``_read_capped_body`` from ASGI messages: None when larger than ``limit`` (declared or
    received); a client gone before the end of its body raises ``ClientDisconnect``, as Starlette's
    stream does."""
    from starlette.requests import ClientDisconnect

    declared = headers.get("content-length")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        if message["type"] != "http.request":
            continue
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


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

    async def guarded(request):
        try:
            return await endpoint(request)
        except Exception as exc:  # noqa: BLE001 - each cause answered by _guarded_answer
            status, body = _guarded_answer(exc, request.method, request.url.path,
                                           request.headers.get("content-length", "none"), endpoint.__name__)
            return json_response(body, status)

    guarded.__name__ = endpoint.__name__
    return guarded


def _guarded_answer(exc: Exception, method: str, path: str, declared: str,
                    where: str = "post_payment") -> tuple[int, dict[str, str]]:
    """(status, body) of an exception out of an endpoint, logged: a client that hung up before the
    end of its body 400, storage 503, anything else 400; never a 500, never a traceback to the client."""
    from starlette.requests import ClientDisconnect

    if isinstance(exc, ClientDisconnect):
        log.warning("%s %s: the client hung up before sending the whole body (Content-Length %s); "
                    "nothing was done", method, visible(path, 100), visible(declared, 20))
        return 400, {"status": "rejected", "error": "bad-request", "message": "The body did not arrive whole."}
    if isinstance(exc, sqlite3.Error | OSError | MemoryError):
        log.error("acquirer storage failure", exc_info=exc)
        return 503, {"status": "rejected", "error": "unavailable",
                     "message": "The acquirer cannot record anything right now."}
    log.error("unexpected error in %s", where, exc_info=exc)
    return 400, {"status": "rejected", "error": "bad-request",
                  "message": "The acquirer could not process this request."}


__all__ = ["JOSE_MEDIA_TYPE", "MAX_BODY_BYTES", "MAX_KEY_BODY_BYTES", "PAYMENTS_PATH", "AcquirerApp", "create_app"]
