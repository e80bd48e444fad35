"""Each payload fault is a real edit of a good payload and makes the parser say what it is meant to."""

from __future__ import annotations

import random

import pytest

from payer_app.core.payload import parse_payload
from payer_app.studio.bill_spec import BillSpec
from payer_app.studio.payload_faults import FAULTS, FAULTS_BY_NAME

SEEDS = range(12)  # BillSpec.random covers all three kinds in these seeds


def _base(seed: int) -> str:
    return BillSpec.random(seed).payload()


def _codes(payload: str, profile: str = "lenient") -> dict[str, str]:
    return {f.code: f.severity for f in parse_payload(payload, profile).findings}


def test_seeds_cover_every_kind():
    assert {BillSpec.random(s).kind for s in SEEDS} == {"evn", "vietqr", "vnpay"}


@pytest.mark.parametrize("fault", [f for f in FAULTS if f.finding], ids=lambda f: f.name)
def test_fault_yields_its_finding(fault):
    for seed in SEEDS:
        base = _base(seed)
        broken = fault.apply(base, random.Random(seed))
        assert broken != base
        assert fault.finding in _codes(broken), (fault.name, seed, broken)


@pytest.mark.parametrize(
    "name, code, severity",
    [
        ("bad-crc", "crc-mismatch", "error"),
        ("crc-leading-zero-dropped", "crc-bad-length", "error"),
        ("truncated", "truncated", "error"),
        ("length-past-end", "truncated", "error"),
        ("length-overrun", "length-overrun", "error"),
        ("duplicate-id", "duplicate-id", "error"),
        ("crc-not-last", "crc-not-last", "error"),
        ("amount-comma", "bad-amount", "error"),
        ("tag-00-in-62", "undefined-id", "warning"),
        ("long-merchant-name", "too-long", "warning"),
        ("non-payment", "not-emvco", "error"),
    ],
)
def test_severity_in_the_lenient_profile(name, code, severity):
    broken = FAULTS_BY_NAME[name].apply(_base(3), random.Random(1))
    assert _codes(broken)[code] == severity
    if severity == "warning":
        assert _codes(broken, "strict")[code] == "error"


def test_errors_make_the_payload_invalid_and_warnings_do_not():
    for seed in SEEDS:
        for fault in FAULTS:
            broken = fault.apply(_base(seed), random.Random(seed))
            parsed = parse_payload(broken)
            errors = {f.code for f in parsed.errors}
            assert parsed.valid == (not errors)


def test_crc_leading_zero_is_valid_and_keeps_four_digits():
    for seed in SEEDS:
        payload = FAULTS_BY_NAME["crc-leading-zero"].apply(_base(seed), random.Random(seed))
        parsed = parse_payload(payload)
        assert parsed.valid
        assert payload[-8:-4] == "6304" and payload[-4] == "0" and parsed.crc.ok


def test_truncated_cuts_inside_a_value_and_keeps_a_prefix():
    for seed in SEEDS:
        base = _base(seed)
        cut = FAULTS_BY_NAME["truncated"].apply(base, random.Random(seed))
        assert base.startswith(cut) and len(cut) < len(base)


def test_crc_not_last_keeps_a_correct_crc_before_the_extra_field():
    payload = FAULTS_BY_NAME["crc-not-last"].apply(_base(5), random.Random(5))
    parsed = parse_payload(payload)
    assert parsed.crc.ok
    assert parsed.fields[-1].id != "63"


def test_amount_comma_is_in_field_54_of_a_dynamic_code():
    payload = FAULTS_BY_NAME["amount-comma"].apply(_base(2), random.Random(2))
    parsed = parse_payload(payload)
    assert "," in parsed.field_at("54").value
    assert parsed.field_at("01").value == "12"
    assert parsed.amount is None


def test_tag_00_sits_inside_62():
    payload = FAULTS_BY_NAME["tag-00-in-62"].apply(_base(4), random.Random(4))
    parsed = parse_payload(payload)
    assert parsed.field_at("62.00") is not None
    finding = next(f for f in parsed.findings if f.code == "undefined-id")
    assert finding.path == "62.00"


def test_vietnamese_text_counts_characters_not_bytes():
    payload = FAULTS_BY_NAME["vietnamese-text"].apply(_base(1), random.Random(1))
    parsed = parse_payload(payload)
    assert parsed.valid and parsed.crc.ok
    name = parsed.field_at("59")
    assert not name.value.isascii()
    assert payload[name.offset + 2 : name.offset + 4] == f"{len(name.value):02d}"
    assert len(name.value.encode("utf-8")) > len(name.value)
