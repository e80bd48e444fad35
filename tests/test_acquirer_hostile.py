"""Hostile input to the mock acquirer over real HTTP (loopback, real SQLite ledger): every hostile
token of ``tests/hostile_tokens.py`` gets its expected status and code, hostile HTTP (paths, headers,
bodies, enrolments) gets a clean 4xx, and mutated tokens (hypothesis: bytes, JSON fields, headers;
1,400 in-process through the ASGI app, 30 over real HTTP) never get a 5xx.

The mutations' shapes are what ``verify_request`` reads, and tests/test_verify_fuzz.py tries 5,000 of
them in process; the answer to every verification reason is pinned by the hostile set below. What
is the acquirer's own here (reading the body, handing it over, writing the refusal's answer) is
the same code for every shape, so a few hundred cases of each kind reach it: an acquirer that reads
the body leniently (bytes dropped) or answers a duplicate with a 500 fails these counts too (tried by
breaking it on purpose). The in-process cases come ``BATCH`` to a hypothesis example
(tests/fuzz_batches.py: hypothesis's own cost per example is a good part of an in-process request's)."""

from __future__ import annotations

import copy
import http.client
import json
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payer_app.core.keys import SigningKey
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.endpoints import MAX_BODY_BYTES, create_app
from payer_app.payments.acquirer.ledger import TrustedKey
from tests.acquirer_helpers import CODE, JOSE, http_get, http_post, new_payer, post, start_server, token_for
from tests.fuzz_batches import BATCH, batches
from tests.hostile_tokens import b64url, build_hostile_set, good_header, sign_raw, valid_body

# How each verify_request reason is answered by the acquirer (status, error code).
ANSWER_FOR_REASON = {
    "malformed": (400, "malformed"), "unsupported-algorithm": (400, "unsupported-algorithm"),
    "bad-signature": (400, "bad-signature"), "bad-content": (400, "bad-content"),
    "key-mismatch": (400, "key-mismatch"), "qr-mismatch": (400, "qr-mismatch"),
    "fee-mismatch": (400, "fee-mismatch"), "total-mismatch": (400, "total-mismatch"),
    "wrong-key": (403, "key-not-enrolled"), "bad-key": (403, "key-not-enrolled"),
    "key-retired": (403, "key-retired"), "wrong-audience": (421, "wrong-audience"),
    **{reason: (422, reason) for reason in ("expired", "not-yet-valid", "not-vnd", "invalid-qr", "amount-mismatch",
                                            "payee-mismatch", "bill-mismatch", "below-minimum", "above-maximum")},
}


def hostile_server(tmp_path, key: SigningKey):
    """An acquirer trusting ``key`` and the hostile set's retired key, bound to the set's payer."""
    server = start_server(tmp_path / "hostile.sqlite3")
    hostile = build_hostile_set(key, audience=server.url)
    acquirer = server.server.config.app.state.acquirer
    acquirer.trust([TrustedKey(jwk, hostile.payer_bank_bin, hostile.payer_account, jwk.get("retired_at"))
                    for jwk in hostile.trusted_jwks["keys"]])
    return server, hostile


def test_every_hostile_token_gets_its_expected_answer_over_http(tmp_path):
    key = SigningKey.generate()
    server, hostile = hostile_server(tmp_path, key)
    try:
        assert len(hostile.tokens) >= 60
        wrong = []
        with httpx.Client(timeout=10) as client:
            for item in hostile.tokens:
                body = item.token.encode("utf-8", "surrogatepass")
                response = client.post(f"{server.url}/v1/payments", content=body, headers=JOSE)
                if len(body) > MAX_BODY_BYTES:
                    expected = {(413, "too-large")}
                else:
                    expected = {ANSWER_FOR_REASON[r] for r in item.reasons}
                got = (response.status_code, response.json().get("error"))
                assert response.status_code < 500, (item.name, response.text)
                if got not in expected:
                    wrong.append((item.name, got, sorted(expected)))
            assert wrong == []
            # The control: the good token (sent last: the hostile ones share its idempotency key).
            assert (
                client.post(f"{server.url}/v1/payments", content=hostile.valid_token, headers=JOSE).status_code == 201
            )
            assert (
                client.post(f"{server.url}/v1/payments", content=hostile.valid_token, headers=JOSE).status_code == 409
            )
    finally:
        server.stop()


def raw_request(url: str, method: str, path: bytes, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> int:
    """Send bytes the way a hostile client would (no client-side checks); returns the status."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest(method, path.decode("latin-1"), skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name.decode("latin-1"), value.decode("latin-1"))
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.fixture
def server(tmp_path):
    srv = start_server(tmp_path / "a.sqlite3")
    yield srv
    srv.stop()


def test_hostile_http_never_gets_a_500(server):
    payer = new_payer(server.url)
    token = token_for(payer, server.url).encode()
    jose = [(b"Content-Type", b"application/jose")]
    cases = [
        ("GET", b"/v1/payments/%ED%A0%80", [], b""),  # a lone surrogate, percent-encoded
        ("GET", b"/v1/payments/%FF%FE", [], b""),
        ("GET", b"/v1/keys/%ED%A0%80", [], b""),
        ("GET", b"/v1/payments/" + b"A" * 4000, [], b""),
        ("GET", b"/v1/payments/x", [(b"Authorization", b"JWS \xff\xfe\x80")], b""),
        ("GET", b"/v1/payments/x", [(b"Authorization", b"JWS " + b"A" * 7000)], b""),
        ("POST", b"/v1/keys", jose + [(b"Authorization", b"Bearer \xe9\xff")], b"a.b.c"),
        ("POST", b"/v1/keys", jose + [(b"Authorization", b"Bearer " + CODE.encode())], b"\xff" * 100),
        ("POST", b"/v1/keys", jose + [(b"Authorization", b"Bearer " + CODE.encode())], b"[" * 7000 + b"]" * 7000),
        ("POST", b"/v1/keys/" + b"k" * 43 + b"/revoke", [], b"\x00\xff"),
        ("POST", b"/v1/payments", [(b"Content-Type", b"application/jose\xff")], token),
        ("POST", b"/v1/payments", jose, b"\xff\xfe" + token),
        ("POST", b"/v1/payments", jose, token + b"\x00"),
        ("PUT", b"/v1/payments", jose, token),
        ("GET", b"/nowhere", [], b""),
    ]
    for method, path, headers, body in cases:
        status = raw_request(server.url, method, path, headers, body)
        assert 400 <= status < 500, (method, path[:40], status)
    # A Content-Length far above the cap is refused before the body is read.
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("POST", "/v1/payments")
    conn.putheader("Content-Type", "application/jose")
    conn.putheader("Content-Length", str(10**9))
    conn.endheaders()
    assert conn.getresponse().status == 413
    conn.close()
    # Enrolment bodies: a lone-surrogate kid, duplicate keys, deep JSON, all signed validly.
    key = SigningKey.generate()
    bearer = {**JOSE, "Authorization": f"Bearer {CODE}"}
    for header, payload in [
        ({"alg": "EdDSA", "kid": "\ud800", "typ": "payer-message+jws"}, {"type": "key_enrolment"}),
        (b'{"alg":"EdDSA","alg":"EdDSA","kid":"x","typ":"payer-message+jws"}', {"type": "key_enrolment"}),
        ({"alg": "EdDSA", "kid": key.kid, "typ": "payer-message+jws"}, b'{"type":"key_enrolment","type":"x"}'),
        ({"alg": "EdDSA", "kid": key.kid, "typ": "payer-message+jws"}, b"[" * 3000 + b"]" * 3000),
        ({"alg": "EdDSA", "kid": key.kid, "typ": "payer-message+jws"}, b"\xff\xfe{}"),
    ]:
        raw = sign_raw(header if isinstance(header, bytes) else json.dumps(header).encode(), payload, key)
        response = http_post(f"{server.url}/v1/keys", content=raw, headers=bearer)
        assert response.status_code == 400, response.text
    # Nothing above touched the ledger's payments.
    assert http_get(f"{server.url}/v1/health").json()["counts"] == {}


# --- hypothesis: mutated tokens -----------------------------------------------------------------
_KEY = SigningKey.generate()
_STRANGER = SigningKey.generate()
AUDIENCE = "http://testserver"


class InProcessClient:
    """The acquirer's ASGI app called in this process (no socket) on one event loop: the same
    routes, body reading and answers as over HTTP, at a fraction of the cost per request."""

    def __init__(self, app):
        import asyncio

        self.loop = asyncio.new_event_loop()
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=AUDIENCE)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.loop.run_until_complete(self.http.post(path, **kwargs))

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()


@pytest.fixture(scope="module")
def app_client(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3", FailureSettings(), enrol_code=CODE,
                     audiences=[AUDIENCE])
    hostile = build_hostile_set(_KEY, audience=AUDIENCE)
    app.state.acquirer.trust([TrustedKey(jwk, hostile.payer_bank_bin, hostile.payer_account, jwk.get("retired_at"))
                              for jwk in hostile.trusted_jwks["keys"]])
    client = InProcessClient(app)
    yield client
    client.close()
    app.state.acquirer.close()


_ORIGINAL: list[str] = []


def _original_token() -> str:
    """One valid token for all byte mutations (made once: the mutations are what vary)."""
    if not _ORIGINAL:
        _ORIGINAL.append(sign_raw(good_header(_KEY.kid), fresh_body(), _KEY))
    return _ORIGINAL[0]


_BODIES: dict[str, tuple[datetime, dict]] = {}


def fresh_body(audience: str = AUDIENCE) -> dict:
    """A valid request body for ``audience`` (a copy; remade once a minute so it stays within its TTL)."""
    now = datetime.now(UTC).replace(microsecond=0)
    made = _BODIES.get(audience)
    if made is None or (now - made[0]).total_seconds() > 60:
        made = _BODIES[audience] = (now, valid_body(_KEY, now, audience))
    return copy.deepcopy(made[1])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**15, 10**15) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))


def _set(body, path, value):
    if not path:
        return value
    target = body
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    return body


@st.composite
def mutated_bodies(draw, audience: str = AUDIENCE):
    body = fresh_body(audience)
    paths = list(_paths(body))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        try:
            if action == "replace":
                body = _set(body, path, draw(json_values))  # body is this draw's own copy already
            elif action == "delete" and path:
                parent = body
                for k in path[:-1]:
                    parent = parent[k]
                parent.pop(path[-1], None)
            elif action == "add":
                target = body
                for k in path:
                    target = target[k]
                if isinstance(target, dict):
                    target[draw(st.text(max_size=8))] = draw(json_values)
        except (KeyError, TypeError, AttributeError, IndexError):
            pass  # the path went away with an earlier mutation
    return body


def _check(response, token: str, original: str | None = None) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    body = response.json()
    assert isinstance(body, dict)
    # The acquirer reads the body's token without the white space around it (endpoints.py), so a
    # mutation that only adds spaces or line ends at either end is the same token, not a forgery.
    if original is not None and token.strip() != original:
        assert response.status_code not in (201, 409), (token, response.text[:300])


def edited_token(original: str, edits: bytes) -> bytes:
    """1-4 edits of the token read from one drawn byte string, four bytes an edit: what (flip a bit,
    insert 1-4 bytes, delete a byte, set a byte), where (two bytes, anywhere in the token), and a
    value. One draw costs hypothesis a fraction of the dozen small draws the same edits took."""
    raw = bytearray(original.encode())
    for i in range(edits[0] % 4 + 1):
        what, high, low, value = edits[1 + 4 * i: 5 + 4 * i]
        at = ((high << 8) | low) % len(raw)
        kind = ("flip", "insert", "delete", "byte")[what % 4]
        if kind == "flip":
            raw[at] ^= 1 << (value % 8)
        elif kind == "insert":
            raw[at:at] = bytes(edits[17 + i * 4: 17 + i * 4 + what // 4 % 4 + 1])
        elif kind == "delete" and len(raw) > 1:
            del raw[at]
        else:
            raw[at] = value
    return bytes(raw)


@pytest.mark.slow
@settings(max_examples=500 // BATCH, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=batches(st.binary(min_size=33, max_size=33)))
def test_byte_mutations_of_a_valid_token_never_get_a_5xx_or_a_payment(app_client, batch):
    original = _original_token()
    for edits in batch:
        raw = edited_token(original, edits)
        response = app_client.post("/v1/payments", content=raw, headers=JOSE)
        _check(response, raw.decode("latin-1"), original)


@pytest.mark.slow
@settings(max_examples=400 // BATCH, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=batches(st.tuples(mutated_bodies(), st.sampled_from([_KEY, _STRANGER]))))
def test_json_field_mutations_signed_by_a_payer_never_get_a_5xx(app_client, batch):
    for body, signer in batch:
        token = sign_raw(good_header(signer.kid), body, signer)
        response = app_client.post("/v1/payments", content=token, headers=JOSE)
        _check(response, token)
        if signer is _STRANGER:
            assert response.status_code in (400, 403)


@pytest.mark.slow
@settings(max_examples=250 // BATCH, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(headers=batches(st.dictionaries(st.sampled_from(["alg", "kid", "typ", "jwk", "crit", "x5u", "b64", "zip"])
                                       | st.text(max_size=6), json_values, max_size=5) | json_values))
def test_header_mutations_never_get_a_5xx(app_client, headers):
    for header in headers:
        token = sign_raw(header, fresh_body(), _KEY)
        response = app_client.post("/v1/payments", content=token, headers=JOSE)
        _check(response, token)
        assert response.status_code != 201


@settings(max_examples=250 // BATCH, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=batches(st.tuples(st.binary(max_size=600) | json_values.map(lambda v: json.dumps(v).encode()),
                               st.booleans())))
def test_random_enrolment_bodies_never_get_a_5xx(app_client, batch):
    for body, with_code in batch:
        check_enrolment_body(app_client, body, with_code)


def check_enrolment_body(app_client, body: bytes, with_code: bool) -> None:
    headers = {**JOSE, **({"Authorization": f"Bearer {CODE}"} if with_code else {})}
    response = app_client.post("/v1/keys", content=body, headers=headers)
    assert response.status_code in ((400, 413) if with_code else (401, 413)), response.text[:200]
    token = b64url(body[:200]) + "." + b64url(body[200:]) + "." + b64url(body[:64])
    assert app_client.post("/v1/keys", content=token, headers=headers).status_code < 500


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), flip=st.integers(0, 10_000))
def test_mutations_over_real_http_never_get_a_5xx(server, data, flip):
    acquirer = server.server.config.app.state.acquirer
    acquirer.trust([TrustedKey(_KEY.public_jwk, "970436", "0011001234567")])
    body = data.draw(mutated_bodies(server.url))
    token = sign_raw(good_header(_KEY.kid), body, _KEY)
    raw = bytearray(token.encode())
    raw[flip % len(raw)] ^= 0x01
    for content in (token.encode(), bytes(raw)):
        response = http_post(f"{server.url}/v1/payments", content=content, headers=JOSE, timeout=10)
        assert response.status_code < 500 and isinstance(response.json(), dict)


def test_anything_unexpected_is_a_clean_json_answer_not_a_500(server, monkeypatch):
    import sqlite3

    acquirer = server.server.config.app.state.acquirer

    def broken(*args, **kwargs):
        raise RuntimeError("a bug nobody foresaw")

    def full_disk(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(acquirer, "admit", broken)
    response = post(server.url, b"a.b.c")
    assert response.status_code == 400 and response.json()["error"] == "bad-request"
    assert "nobody foresaw" not in response.text and "Traceback" not in response.text
    monkeypatch.setattr(acquirer, "admit", full_disk)
    response = post(server.url, b"a.b.c")
    assert response.status_code == 503 and response.json()["error"] == "unavailable"
