"""Fees and tips from EMVCo tags 55 / 56 / 57: the rule, its findings (en + vi), the sums, and the
places a parse is shown (``parse`` report and ``--json``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payer_app.core.crc import payload_crc
from payer_app.core.fees import (
    FIXED_FEE,
    PERCENT_FEE,
    TIP_PROMPT,
    FeeError,
    FeeRule,
    fee_for,
    fee_problem,
    parse_percent,
    percent_of,
    total_for,
)
from payer_app.core.findings import CATALOG
from payer_app.core.payability import Limits, amount_problem, payability
from payer_app.core.payload import parse_payload
from payer_app.core.report import format_report


def with_crc(body: str) -> str:
    return body + "6304" + payload_crc(body + "6304")


def tlv(field_id: str, value: str) -> str:
    return f"{field_id}{len(value):02d}{value}"


HEAD = "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704"


def qr(amount: int | None = 100000, **fields: str) -> str:
    """A dynamic VietQR (static without ``amount``) with the given root fields (``f55="02"``)."""
    body = HEAD.replace("010212", "010211") if amount is None else HEAD
    if amount is not None:
        body += tlv("54", str(amount))
    for key in ("f55", "f56", "f57"):
        if key in fields:
            body += tlv(key[1:], fields[key])
    return with_crc(body + "5802VN")


# The issue's example: 55=02, 56=50000, amount 100000.
FEE_QR = qr(100000, f55="02", f56="50000")


def codes(parsed) -> list[str]:
    return [f.code for f in parsed.findings]


def test_the_fixed_fee_example_totals_150000():
    parsed = parse_payload(FEE_QR)
    assert parsed.valid and codes(parsed) == []
    assert parsed.fee == FeeRule(FIXED_FEE, fixed=50000)
    assert fee_for(parsed.fee, parsed.amount) == 50000
    assert total_for(parsed.fee, parsed.amount) == 150000


def test_a_tip_prompt_and_a_percentage_are_read():
    tip = parse_payload(qr(100000, f55="01"))
    assert tip.valid and tip.fee == FeeRule(TIP_PROMPT)
    assert total_for(tip.fee, 100000, tip=10000) == 110000
    pct = parse_payload(qr(100000, f55="03", f57="1.5"))
    assert pct.valid and pct.fee == FeeRule(PERCENT_FEE, hundredths=150)
    assert pct.fee.percent_text == "1.5"
    assert total_for(pct.fee, 100000) == 101500


def test_a_qr_without_55_has_no_fee():
    parsed = parse_payload(qr(100000))
    assert parsed.valid and parsed.fee is None and total_for(None, 100000) == 100000


@pytest.mark.parametrize("fields, code, path", [
    ({"f56": "50000"}, "fee-without-indicator", "56"),
    ({"f57": "2"}, "fee-without-indicator", "57"),
    ({"f55": "01", "f56": "50000"}, "fee-fixed-unexpected", "56"),
    ({"f55": "03", "f56": "50000"}, "fee-fixed-unexpected", "56"),
    ({"f55": "01", "f57": "2"}, "fee-percent-unexpected", "57"),
    ({"f55": "02", "f57": "2"}, "fee-percent-unexpected", "57"),
    ({"f55": "02", "f56": "5000", "f57": "2"}, "fee-both", "56"),
    ({"f55": "03", "f56": "5000", "f57": "2"}, "fee-both", "56"),
    ({"f55": "04"}, "bad-tip", "55"),
    ({"f55": "00", "f56": "5000"}, "bad-tip", "55"),
    ({"f55": "02"}, "bad-tip", "55"),
    ({"f55": "03"}, "bad-tip", "55"),
    ({"f55": "02", "f56": "5,000"}, "bad-fee-fixed", "56"),
    ({"f55": "02", "f56": "50.5"}, "bad-fee-fixed", "56"),
    ({"f55": "03", "f57": "100.01"}, "bad-fee-percent", "57"),
    ({"f55": "03", "f57": "101"}, "bad-fee-percent", "57"),
    ({"f55": "03", "f57": "1.255"}, "bad-fee-percent", "57"),
    ({"f55": "03", "f57": "-1"}, "bad-fee-percent", "57"),
    ({"f55": "03", "f57": "1,5"}, "bad-fee-percent", "57"),
    ({"f55": "03", "f57": ".5"}, "bad-fee-percent", "57"),
    ({"f55": "03", "f57": "1e2"}, "bad-fee-percent", "57"),
])
def test_every_malformed_combination_is_an_error_in_both_languages_and_no_fee_is_guessed(fields, code, path):
    for profile in ("lenient", "strict"):
        parsed = parse_payload(qr(100000, **fields), profile)
        found = [f for f in parsed.findings if f.code == code]
        assert found, codes(parsed)
        assert found[0].path == path and found[0].severity == "error"
        assert found[0].message and found[0].message_vi and found[0].message != found[0].message_vi
        assert not parsed.valid and parsed.fee is None


def test_each_fee_finding_is_in_the_catalog_with_both_languages():
    for code in ("fee-without-indicator", "fee-fixed-unexpected", "fee-percent-unexpected", "fee-both",
                 "bad-fee-fixed", "bad-fee-percent", "bad-tip"):
        grading, en, vi = CATALOG[code]
        assert grading == "error" and en and vi


@pytest.mark.parametrize("text, hundredths", [
    ("0", 0), ("100", 10000), ("100.00", 10000), ("1.5", 150), ("1.50", 150), ("0.01", 1), ("3", 300),
    ("99.99", 9999), ("05.5", 550),
])
def test_percentages_from_0_to_100_with_two_decimals_are_read_exactly(text, hundredths):
    assert parse_percent(text) == hundredths


@pytest.mark.parametrize("text", ["", "100.1", "1000", "1.", ".5", "1.234", "-0", "+1", "1 ", "١", "½", "1e1"])
def test_other_percentages_are_refused(text):
    assert parse_percent(text) is None


@pytest.mark.parametrize("amount, hundredths, fee", [
    (100000, 150, 1500),
    (333, 150, 5),  # 4.995 -> 5
    (100, 150, 2),  # 1.5 -> 2: half rounds up
    (100, 149, 1),  # 1.49 -> 1
    (1, 5000, 1),  # 0.5 -> 1
    (1, 4999, 0),
    (0, 10000, 0),
    (499_999_999, 10000, 499_999_999),
])
def test_a_percentage_fee_is_rounded_half_up_to_a_whole_dong(amount, hundredths, fee):
    assert percent_of(amount, hundredths) == fee
    assert fee_for(FeeRule(PERCENT_FEE, hundredths=hundredths), amount) == fee


@given(amount=st.integers(0, 10**13), hundredths=st.integers(0, 10000))
def test_percent_fee_is_the_nearest_dong_with_halves_up(amount, hundredths):
    fee = percent_of(amount, hundredths)
    exact_times_2 = 2 * amount * hundredths  # twice the exact fee, in 1/10000 dong
    # fee - 1/2 <= exact < fee + 1/2, in integers
    assert (2 * fee - 1) * 10000 <= exact_times_2 < (2 * fee + 1) * 10000
    assert 0 <= fee <= amount


@given(amount=st.integers(0, 10**13), lower=st.integers(0, 10000), upper=st.integers(0, 10000))
def test_a_higher_percentage_never_costs_less(amount, lower, upper):
    lower, upper = sorted((lower, upper))
    assert percent_of(amount, lower) <= percent_of(amount, upper)


@given(amount=st.integers(0, 10**13), fixed=st.integers(0, 10**12), tip=st.integers(0, 10**12))
def test_the_total_is_the_amount_plus_the_fee_or_tip(amount, fixed, tip):
    assert total_for(FeeRule(FIXED_FEE, fixed=fixed), amount) == amount + fixed
    assert total_for(FeeRule(TIP_PROMPT), amount, tip) == amount + tip
    assert total_for(None, amount) == amount


@given(st.text(alphabet="0123456789.-,e ", max_size=8))
def test_a_percentage_read_is_one_that_writes_back_the_same(text):
    hundredths = parse_percent(text)
    if hundredths is not None:
        assert 0 <= hundredths <= 10000
        assert parse_percent(FeeRule(PERCENT_FEE, hundredths=hundredths).percent_text) == hundredths


def test_a_tip_is_taken_only_where_one_is_asked_for():
    with pytest.raises(FeeError):
        fee_for(FeeRule(FIXED_FEE, fixed=1000), 100000, tip=5000)
    with pytest.raises(FeeError):
        fee_for(None, 100000, tip=5000)
    with pytest.raises(FeeError):
        fee_for(FeeRule(TIP_PROMPT), 100000, tip=-1)


# --- where a parse is shown ----------------------------------------------------------------------------

def test_the_report_derives_the_fee_and_the_total():
    report = format_report(parse_payload(FEE_QR))
    assert "Fee or tip           fixed convenience fee of 50.000 ₫ (55=02, 56)" in report
    assert "Total                100.000 + 50.000 = 150.000 ₫" in report
    tip = format_report(parse_payload(qr(100000, f55="01")))
    assert "the payer is asked for a tip (55=01)" in tip and "Total" not in tip
    pct = format_report(parse_payload(qr(None, f55="03", f57="2.5")))
    assert "convenience fee of 2.5% of the amount" in pct and "Total" not in pct


def test_parse_json_carries_the_fee_and_the_total():
    r = subprocess.run([sys.executable, "-m", "payer_app", "parse", "--json", FEE_QR],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["fee"] == {"kind": "fixed", "indicator": "02", "fixed": "50000", "percent": None,
                                           "fee": "50000", "total": "150000"}
    r = subprocess.run([sys.executable, "-m", "payer_app", "parse", "--json", qr(100000, f55="02", f56="1",
                                                                                 f57="2")],
                       capture_output=True, timeout=60)
    assert r.returncode == 1
    d = json.loads(r.stdout)
    assert d["fee"] is None and "fee-both" in [f["code"] for f in d["findings"]]


# --- the acquirer's recompute: fee and total stated in a request against the signed QR ---------------

def test_the_issue_example_is_accepted_only_with_its_fee_and_total():
    rule = parse_payload(FEE_QR).fee
    assert fee_problem(rule, 100000, 50000, 150000, "fixed") is None
    removed = fee_problem(rule, 100000, 0, 100000, None)
    assert removed is not None and removed.code == "fee-mismatch"
    changed = fee_problem(rule, 100000, 5000, 105000, "fixed")
    assert changed is not None and changed.code == "fee-mismatch"
    assert "5.000 ₫" in changed.text("en") and "50.000 ₫" in changed.text("en") and "50.000 ₫" in changed.text("vi")
    total = fee_problem(rule, 100000, 50000, 100000, "fixed")
    assert total is not None and total.code == "total-mismatch" and "150.000 ₫" in total.text("en")


def test_a_percentage_fee_is_recomputed_to_the_dong():
    rule = parse_payload(qr(None, f55="03", f57="1.5")).fee
    assert fee_problem(rule, 333, 5, 338, "percent") is None
    assert fee_problem(rule, 333, 4, 337, "percent").code == "fee-mismatch"  # rounded down: refused
    assert fee_problem(rule, 100000, 1500, 101500, "percent") is None


def test_a_tip_is_any_amount_from_zero_where_the_qr_asks_for_one_and_none_elsewhere():
    tip = FeeRule(TIP_PROMPT)
    assert fee_problem(tip, 100000, 0, 100000, "tip") is None
    assert fee_problem(tip, 100000, 15000, 115000, "tip") is None
    assert fee_problem(tip, 100000, -1, 99999, "tip").code == "fee-mismatch"
    assert fee_problem(None, 100000, 15000, 115000, "tip").code == "fee-mismatch"
    assert fee_problem(None, 100000, 15000, 115000, None).code == "fee-mismatch"
    assert fee_problem(None, 100000, 0, 100000, None) is None


@pytest.mark.parametrize("kind", ["fixed", "tip", None, "percent", "<b>bonus</b>", ["x"], 7])
def test_a_fee_of_another_kind_is_refused_without_echoing_it(kind):
    problem = fee_problem(FeeRule(PERCENT_FEE, hundredths=150), 100000, 1500, 101500, kind)
    if kind == "percent":
        assert problem is None
    else:
        assert problem.code == "fee-mismatch" and "<b>" not in problem.text("en") and "<b>" not in problem.text("vi")


@given(amount=st.integers(0, 10**12), hundredths=st.integers(0, 10000), fee=st.integers(-10, 10**12),
       total=st.integers(0, 2 * 10**12))
def test_only_the_recomputed_fee_and_its_total_pass(amount, hundredths, fee, total):
    rule = FeeRule(PERCENT_FEE, hundredths=hundredths)
    problem = fee_problem(rule, amount, fee, total, "percent")
    right_fee = fee == percent_of(amount, hundredths)
    assert (problem is None) == (right_fee and total == amount + fee)
    assert fee_problem(rule, amount, percent_of(amount, hundredths), total_for(rule, amount), "percent") is None


# --- limits apply to the total -------------------------------------------------------------------------

def test_a_dynamic_qr_whose_fee_takes_it_over_the_limit_is_refused_on_the_payee_screen():
    limits = Limits()
    near = limits.max_amount - 10_000
    assert payability(parse_payload(qr(near)), limits) is None
    problem = payability(parse_payload(qr(near, f55="02", f56="50000")), limits)
    assert problem is not None and problem.code == "above-maximum"
    assert problem.values["amount"] == near + 50000


def test_a_typed_amount_plus_its_fee_must_fit_the_limits():
    limits = Limits()
    static_fee = parse_payload(qr(None, f55="03", f57="10"))
    assert amount_problem(static_fee, 400_000_000, limits) is None
    problem = amount_problem(static_fee, 460_000_000, limits)  # + 46,000,000 fee = 506,000,000
    assert problem is not None and problem.code == "above-maximum"
    assert amount_problem(parse_payload(qr(None)), 460_000_000, limits) is None
