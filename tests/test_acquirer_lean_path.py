"""``POST /v1/payments`` is answered by the acquirer's lean path (``endpoints.AcquirerApp``: ASGI
messages, no Starlette request or response). Attacked side by side with the Starlette route it
replaced, which stays in the app: two real servers on loopback, one serving the product's app and
one the same kind of app with every request handed to Starlette. Each hostile request, sent as raw
bytes (wrong or missing media type, oversize bodies declared or chunked, lies about the length,
bytes that are not UTF-8, a client that hangs up half-way), must get the same status, the same JSON
and the same headers from both; never a 500."""

from __future__ import annotations

import http.client
import json
import logging
import socket

import pytest

from payer_app.payments.acquirer.endpoints import MAX_BODY_BYTES, AcquirerApp, create_app
from payer_app.payments.acquirer.server import AcquirerServer
from tests.acquirer_helpers import forget_ledger, new_payer, register_ledger, token_for

CEILING = 60  # seconds: only ends a hung test


class StarletteOnly:
    """The product's app with every request handed to its Starlette app (what served
    ``POST /v1/payments`` before the lean path); ``state`` is the product's."""

    def __init__(self, app: AcquirerApp):
        self.app, self.state = app, app.state

    async def __call__(self, scope, receive, send) -> None:
        await self.app.app(scope, receive, send)


def _serve(tmp_path, name: str, starlette_only: bool) -> AcquirerServer:
    app = create_app(tmp_path / f"{name}.sqlite3")
    assert isinstance(app, AcquirerApp)
    server = AcquirerServer(StarletteOnly(app) if starlette_only else app).start()
    register_ledger(server.url, tmp_path / f"{name}.sqlite3")
    return server


@pytest.fixture
def servers(tmp_path):
    lean, starlette = _serve(tmp_path, "lean", False), _serve(tmp_path, "starlette", True)
    yield lean, starlette
    for server in (lean, starlette):
        forget_ledger(server.url)
        server.stop()


def _exchange(url: str, raw: bytes, half_close: bool = False) -> tuple[int, dict, dict] | None:
    """Raw bytes on a new connection; (status, JSON body, headers) of the answer, or None when the
    server answered nothing before closing."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=CEILING) as sock:
        sock.sendall(raw)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
        except (http.client.RemoteDisconnected, ConnectionError):
            return None
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders() if k.lower() not in ("date", "server")}
        try:
            return response.status, json.loads(body), headers
        except ValueError:  # not an answer of the app: uvicorn's own (a request it could not parse)
            return response.status, {"not JSON": body.decode("latin-1")}, headers


def _post(headers: list[bytes], body: bytes, length: int | None = None) -> bytes:
    lines = [b"POST /v1/payments HTTP/1.1", b"Host: 127.0.0.1", *headers]
    if length is not None:
        lines.append(b"Content-Length: " + str(length).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _chunked(headers: list[bytes], body: bytes, chunk: int = 8192) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i:i + chunk]), body[i:i + chunk]) for i in range(0, len(body), chunk)]
    start = b"\r\n".join([b"POST /v1/payments HTTP/1.1", b"Host: 127.0.0.1", *headers,
                          b"Transfer-Encoding: chunked"]) + b"\r\n\r\n"
    return start + b"".join(parts) + b"0\r\n\r\n"


JOSE = b"Content-Type: application/jose"
HOSTILE = {
    "no media type": _post([], b"a.b.c", 5),
    "json media type": _post([b"Content-Type: application/json"], b"a.b.c", 5),
    "media type with parameters and case": _post([b"Content-Type: Application/JOSE; charset=utf-8"], b"a.b.c", 5),
    "media type not latin": _post([b"Content-Type: application/jose\xff\xfe"], b"a.b.c", 5),
    "two media types, the first wrong": _post([b"Content-Type: text/plain", JOSE], b"a.b.c", 5),
    "declared over the cap": _post([JOSE], b"", MAX_BODY_BYTES + 1),
    "declared over the cap, wrong media": _post([b"Content-Type: text/plain"], b"", 10**9),
    "chunked over the cap": _chunked([JOSE], b"A" * (MAX_BODY_BYTES + 10)),
    "chunked under the cap": _chunked([JOSE], b"A." * 3000 + b"B"),
    "empty body": _post([JOSE], b"", 0),
    "white space only": _post([JOSE], b" \r\n\t ", 5),
    "bytes not UTF-8": _post([JOSE], b"\xff\xfe.\x80.\x00", 6),
    "NUL after a dot": _post([JOSE], b"eyJ.\x00.x", 7),
    "deep JSON header": _post([JOSE], b"W" * 5000 + b".e30.AA", 5007),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_payment_gets_the_same_answer_from_the_lean_path_and_from_starlette(servers, name):
    lean, starlette = servers
    got = _exchange(lean.url, HOSTILE[name])
    want = _exchange(starlette.url, HOSTILE[name])
    assert got is not None and want is not None
    assert got[0] < 500, got
    assert got == want


def test_payments_and_replays_get_the_same_answers_from_both(servers):
    lean, starlette = servers
    answers = []
    for server in (lean, starlette):
        payer = new_payer(server.url)
        token = token_for(payer, server.url).encode()
        padded = b"  " + token + b"\r\n"  # white space around the token is not part of it
        first = _exchange(server.url, _post([JOSE], padded, len(padded)))
        again = _exchange(server.url, _chunked([JOSE], token, chunk=100))
        cut = token_for(payer, server.url).encode()[:-2]  # a signature two characters short
        other = _exchange(server.url, _post([JOSE], cut, len(cut)))
        answers.append([(a[0], sorted(a[1]), a[2]) if a else None for a in (first, again, other)])
    assert answers[0] == answers[1]
    (first, again, other) = answers[0]
    assert (first[0], again[0], other[0]) == (201, 409, 400) and again[2]["idempotent-replayed"] == "true"


def test_a_client_that_hangs_up_half_way_is_one_log_line_and_the_server_goes_on(servers, caplog):
    lean, _ = servers
    payer = new_payer(lean.url)
    token = token_for(payer, lean.url).encode()
    with caplog.at_level(logging.WARNING, logger="payer_app.payments.acquirer.endpoints"):
        answer = _exchange(lean.url, _post([JOSE], token[:40], len(token)), half_close=True)
        assert answer is None  # nobody left to answer
        after = _exchange(lean.url, _post([JOSE], token, len(token)))
    assert after is not None and after[0] == 201
    assert [r.getMessage() for r in caplog.records if "hung up" in r.getMessage()] == [
        f"POST /v1/payments: the client hung up before sending the whole body (Content-Length {len(token)}); "
        "nothing was done"]
