"""Fuzzing the parser: 10,000 random and mutated payloads per run (hypothesis: 3,000 random texts,
3,000 digit strings, 3,000 mutated payloads, 1,000 built ones), and every single-character
substitution of a payload. The cases come in batches of ``BATCH`` per hypothesis example
(tests/fuzz_batches.py: one case costs the parser less than an example costs hypothesis)."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payer_app.core.builder import build_payload, evn_bill_payload, vietqr_payload, vnpay_payload
from payer_app.core.findings import CATALOG
from payer_app.core.payload import parse_payload
from tests.fuzz_batches import BATCH, batches
from tests.spec_vectors import ALL_VALID, VIETQR_ACB

FUZZ = settings(max_examples=3000 // BATCH, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ASCII_PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
TEXTISH = st.characters(codec="utf-8")  # any code point that can be encoded, Vietnamese included


def check_invariants(parsed):
    d = parsed.to_dict()
    json.dumps(d, ensure_ascii=False)  # always serialisable
    for f in parsed.findings:
        assert f.severity in ("error", "warning")
        assert f.code in CATALOG
        assert f.message and f.message_vi
    if parsed.valid:
        assert parsed.crc.ok, "nothing is valid without a correct checksum"
    assert d["valid"] == parsed.valid


@FUZZ
@given(batches(st.text(TEXTISH, max_size=600)))
def test_random_text_never_crashes(texts):
    for text in texts:
        for profile in ("lenient", "strict"):
            check_invariants(parse_payload(text, profile))


@FUZZ
@given(batches(st.text(st.sampled_from("0123456789"), min_size=4, max_size=300)))
def test_random_digit_strings_never_crash(texts):
    # Digits only: every prefix looks like an id and a length, the hardest case for the reader.
    for text in texts:
        check_invariants(parse_payload(text))


KINDS = ("replace", "insert", "delete", "truncate", "repeat")
OP_BYTES = 5  # kind, position (two bytes), size, character


def edits(raw: bytes) -> list[tuple[str, int, int, str]]:
    """1 to 4 edits read from one drawn byte string: a kind, a position 0-400, a size 1-40 and a
    printable ASCII character each. One draw of bytes costs hypothesis a fraction of the 17 small
    draws the same edits took as a list of tuples; the space is the same, and zero bytes (what the
    shrinker moves to) read as one replacement by a space at the start."""
    count = raw[0] % 4 + 1
    ops = []
    for i in range(count):
        kind, high, low, size, char = raw[1 + OP_BYTES * i: 1 + OP_BYTES * (i + 1)]
        ops.append((KINDS[kind % 5], ((high << 8) | low) % 401, size % 40 + 1, chr(0x20 + char % 95)))
    return ops


mutation_lists = st.binary(min_size=1 + 4 * OP_BYTES, max_size=1 + 4 * OP_BYTES).map(edits)


def mutate(payload: str, ops) -> str:
    for kind, pos, size, ch in ops:
        pos %= max(len(payload), 1)
        if kind == "replace":
            payload = payload[:pos] + ch + payload[pos + 1:]
        elif kind == "insert":
            payload = payload[:pos] + ch + payload[pos:]
        elif kind == "delete":
            payload = payload[:pos] + payload[pos + size:]
        elif kind == "truncate":
            payload = payload[:pos]
        else:
            payload = payload[:pos] + payload[pos:pos + size] + payload[pos:]
    return payload


@FUZZ
@given(batches(st.tuples(st.sampled_from(ALL_VALID), mutation_lists)))
def test_mutated_payloads_never_crash_and_never_pass_strict(cases):
    for original, ops in cases:
        mutated = mutate(original, ops)
        for profile in ("lenient", "strict"):
            parsed = parse_payload(mutated, profile)
            check_invariants(parsed)
            if profile == "strict" and parsed.valid:
                # A payload that still passes strict checks must be the original (the CRC catches the rest).
                assert mutated == original


def test_single_character_substitution_is_always_caught():
    """Every position of the payload, every printable ASCII character: all 11,115 substitutions, not a
    sample (cheaper than 3,000 drawn ones)."""
    passed = []
    for pos in range(len(VIETQR_ACB)):
        for code in range(0x20, 0x7F):
            mutated = VIETQR_ACB[:pos] + chr(code) + VIETQR_ACB[pos + 1:]
            if mutated != VIETQR_ACB and parse_payload(mutated, "strict").valid:
                passed.append((pos, chr(code)))
    assert passed == []
    assert parse_payload(VIETQR_ACB, "strict").valid


safe_text = st.text(ASCII_PRINTABLE, min_size=1, max_size=25)


built_cases = st.fixed_dictionaries({
    "kind": st.sampled_from(["vietqr", "vnpay", "evn"]),
    "amount": st.one_of(st.none(), st.integers(min_value=0, max_value=10**13 - 1)),
    "text": safe_text,
    "account": st.text(st.sampled_from("0123456789"), min_size=1, max_size=19),
    "code_tail": st.text(st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=11, max_size=11),
    "prefix": st.sampled_from(["PA", "PB", "PC", "PD", "PE"]),
})


@settings(max_examples=1000 // BATCH, deadline=None)
@given(batches(built_cases))
def test_built_payloads_round_trip(cases):
    for case in cases:
        check_built_payload(**case)


def check_built_payload(kind, amount, text, account, code_tail, prefix):
    if kind == "vietqr":
        payload = vietqr_payload("970436", account, amount, purpose=text)
    elif kind == "vnpay":
        payload = vnpay_payload(account, text, "Ha Noi", amount, store_label=text)
    else:
        payload = evn_bill_payload(prefix + code_tail, amount=amount, purpose=text)
    parsed = parse_payload(payload)
    check_invariants(parsed)
    assert parsed.valid, [f.code for f in parsed.findings]
    assert parsed.scheme == kind
    assert parsed.amount == amount
    assert parsed.initiation == ("static" if amount is None else "dynamic")
    assert build_payload(parsed.fields) == payload
    if kind == "evn":
        assert parsed.bill.evn_customer_code == prefix + code_tail
    else:
        assert parsed.account.id == account
