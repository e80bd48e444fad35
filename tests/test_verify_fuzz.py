"""Hypothesis mutates good tokens: their bytes, the JSON fields of the signed request (re-signed with
the real key, so the content rules are what must refuse them) and the JWS header (re-signed too).
``verify_request`` must never raise and must say VALID only for the original request. A re-signed
mutation is a request the payer really signed: it may be VALID only when it differs from the
original in nothing but what a payer chooses (note, nonce, ids, times, a static QR's amount, the
account), each still within its rule; a type change, a missing or an extra field never is. 5,000
cases a run, ``BATCH`` to a hypothesis example (tests/fuzz_batches.py: a case costs ``verify_request``
less than an example costs hypothesis)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payer_app.core.keys import SigningKey
from payer_app.core.request import is_canonical_uuid, is_good_nonce, note_problem
from payer_app.core.signing import REASON_CODES, VerificationKeys, verify_request
from tests.fuzz_batches import BATCH, batches
from tests.hostile_tokens import good_header, sign_raw, valid_body

KEY = SigningKey.generate()
NOW = datetime.now(UTC).replace(microsecond=0)
AUDIENCE = "embedded"
BODY = valid_body(KEY, NOW, AUDIENCE)
TOKEN = sign_raw(good_header(KEY.kid), BODY, KEY)
BODY_JSON = json.dumps(BODY)
TRUSTED = VerificationKeys.load([KEY.public_jwk])


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))


def _get(body, path):
    for key in path:
        body = body[key]
    return body


PATHS = [p for p in _paths(BODY) if p]
# ``auth`` too: how the payer confirmed it is the payer app's own signed claim (pin or biometric)
PAYER_CHOSEN = {"note", "nonce", "request_id", "idempotency_key", "created_at", "expires_at", "amount", "payer",
                "auth"}
OBJECT_PATHS = [p for p in _paths(BODY) if isinstance(_get(BODY, p), dict)]

BY_KIND = {
    "NoneType": st.none(),
    "bool": st.booleans(),
    "number": st.integers(-10**20, 10**20) | st.floats(allow_nan=False, allow_infinity=False),
    "str": st.text(max_size=30),
}
json_scalars = st.one_of(*BY_KIND.values())
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                                  st.dictionaries(st.text(max_size=8), inner,
                                                                                  max_size=3)), max_leaves=6)
BY_KIND["list"] = st.lists(json_values, max_size=3)
BY_KIND["dict"] = st.dictionaries(st.text(max_size=8), json_values, max_size=3)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


# A value of any other kind than the one a field holds, drawn from the other kinds' strategies: no
# filter throwing away the drawn values (a nested list or object) of the field's own kind.
OTHER_KIND = {kind: st.one_of(*(strategy for other, strategy in BY_KIND.items() if other != kind))
              for kind in BY_KIND}


def new_name(name: str, taken) -> str:
    """``name``, lengthened until no field of ``taken`` has it: a field that is really new, without a
    filter rejecting the draws that hit a taken name."""
    while name in taken:
        name += "~"
    return name


def _verify(token) -> object:
    result = verify_request(token, TRUSTED, now=NOW, audience=AUDIENCE)
    assert result.reason in REASON_CODES or result.ok
    return result


TOKEN_OPS = ("flip", "set", "insert", "delete", "truncate", "duplicate")
EDIT_BYTES = 8  # operation, position (two bytes), bit or byte, size, up to three bytes to insert


def byte_edits(raw: bytes, original: bytes, ops: tuple[str, ...]) -> bytes:
    """1 to 4 edits of ``original`` read from one drawn byte string (one draw costs hypothesis a
    fraction of the dozen small ones the same edits took): an operation, a position anywhere in the
    data, then what the operation needs (a bit, a byte, a size, 1-4 bytes to insert). All zero bytes,
    where the shrinker goes, read as one flip of the first byte's lowest bit."""
    data = bytearray(original)
    for i in range(raw[0] % 4 + 1):
        op, high, low, value, size, *extra = raw[1 + EDIT_BYTES * i: 1 + EDIT_BYTES * (i + 1)]
        op = ops[op % len(ops)]
        at = ((high << 8) | low) % max(len(data), 1)
        if op == "flip" and data:
            data[at] ^= 1 << (value % 8)
        elif op == "set" and data:
            data[at] = value
        elif op == "insert":
            data[at:at] = bytes([value, *extra])[: size % 4 + 1]
        elif op == "delete" and data:
            del data[at:at + size % 4 + 1]
        elif op == "truncate":
            del data[at:]
        elif op == "duplicate":
            data[at:at] = data[at:at + size % 40 + 1]
        elif op == "space":
            data[at:at] = b" "
    return bytes(data)


def byte_mutations():
    return st.binary(min_size=1 + 4 * EDIT_BYTES, max_size=1 + 4 * EDIT_BYTES).map(
        lambda raw: byte_edits(raw, TOKEN.encode("ascii"), TOKEN_OPS))


@st.composite
def field_mutations(draw):
    """(payload bytes, header) with one structural change of the signed request."""
    body = json.loads(BODY_JSON)  # a private copy (the C parser makes it faster than copy.deepcopy)
    op = draw(st.sampled_from(["retype", "delete", "add", "string"]))
    if op == "add":
        path = draw(st.sampled_from(OBJECT_PATHS))
        target = _get(body, path)
        name = new_name(draw(st.text(min_size=1, max_size=10)), target)
        target[name] = draw(json_values)
    else:
        path = draw(st.sampled_from(PATHS))
        parent, name = _get(body, path[:-1]), path[-1]
        if op == "delete":
            del parent[name]
        elif op == "retype":
            original = parent[name]
            parent[name] = draw(OTHER_KIND[_kind(original)])
        else:  # any text instead of the value: valid only if it happens to be equivalent
            parent[name] = draw(st.text(max_size=60))
    return body, (path if op == "string" else None)


@st.composite
def header_mutations(draw):
    header = good_header(KEY.kid)
    op = draw(st.sampled_from(["add", "delete", "change"]))
    if op == "add":
        header[new_name(draw(st.text(min_size=1, max_size=8)), header)] = draw(json_values)
    elif op == "delete":
        del header[draw(st.sampled_from(sorted(header)))]
    else:
        name = draw(st.sampled_from(sorted(header)))
        header[name] = draw(json_values)
    return header


SIGNED_JSON = json.dumps(BODY, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def raw_payload_mutations():
    """Byte edits of the signed JSON text itself (set a byte, insert 1-3 bytes, delete one, insert a
    space; 1-3 of them), re-signed by the real key."""
    return st.binary(min_size=1 + 3 * EDIT_BYTES, max_size=1 + 3 * EDIT_BYTES).map(
        lambda raw: byte_edits(bytes([raw[0] % 3]) + raw[1:], SIGNED_JSON, ("set", "insert", "delete", "space")))


FUZZ = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
        "database": None}


@settings(max_examples=2000 // BATCH, **FUZZ)
@given(batches(byte_mutations()))
def test_byte_mutations_of_a_token_are_never_valid(tokens):
    for mutated in tokens:
        result = _verify(mutated)
        assert result.ok == (mutated == TOKEN.encode("ascii"))


@settings(max_examples=1500 // BATCH, **FUZZ)
@given(batches(field_mutations()))
def test_re_signed_field_mutations_are_refused_unless_only_payer_choices_changed(mutations):
    """Any change of type, a missing or an extra field is refused. Free text in place of a value is
    accepted only where the payer chooses the value (the note, the account...) and keeps its rule."""
    for body, replaced in mutations:
        check_field_mutation(body, replaced)


def check_field_mutation(body, replaced) -> None:
    result = _verify(sign_raw(good_header(KEY.kid), body, KEY))
    if result.ok and body == {key: value for key, value in BODY.items() if key != "auth"}:
        # ``auth`` is optional (requests signed before it existed have none): without it a request
        # claims a PIN, the weaker claim (core/auth_policy.py), never more than it said
        assert result.request is not None and result.request.auth_method == "pin"
    elif result.ok and body != BODY:
        assert replaced is not None, "only a text replacement may still be valid"
        _assert_only_payer_choices_changed(body)


@settings(max_examples=1000 // BATCH, **FUZZ)
@given(batches(header_mutations()))
def test_re_signed_header_mutations_are_never_valid(headers):
    for header in headers:
        if header != good_header(KEY.kid):  # a changed value drawn equal to the old one is no change
            assert not _verify(sign_raw(header, BODY, KEY)).ok


@settings(max_examples=500 // BATCH, **FUZZ)
@given(batches(raw_payload_mutations()))
def test_re_signed_byte_edits_of_the_json_are_refused_unless_only_payer_choices_changed(payloads):
    for payload in payloads:
        result = _verify(sign_raw(good_header(KEY.kid), payload, KEY))
        if result.ok:
            _assert_only_payer_choices_changed(json.loads(payload))


def _assert_only_payer_choices_changed(body) -> None:
    """A VALID re-signed mutation differs from the original only in what the payer chooses (note,
    nonce, ids, times, amount of a static QR, the payer account); everything bound to the QR, the
    key and the audience is unchanged, and the chosen values keep their rules."""
    changed = {key for key in set(body) | set(BODY) if body.get(key) != BODY.get(key)}
    assert changed <= PAYER_CHOSEN, changed
    for name in ("type", "version", "aud", "payee", "bill", "qr"):
        assert body[name] == BODY[name]
    assert body["payer"]["key_id"] == KEY.kid and body["amount"]["currency"] == "VND"
    assert note_problem(body["note"]) is None and is_good_nonce(body["nonce"])
    assert is_canonical_uuid(body["request_id"]) and is_canonical_uuid(body["idempotency_key"])


def test_the_original_is_valid():
    """The control for the properties above (2,000 + 1,500 + 1,000 + 500 = 5,000 cases a run)."""
    assert _verify(TOKEN).ok
    assert verify_request(TOKEN, TRUSTED, now=NOW, audience="elsewhere").reason == "wrong-audience"
