"""Authentication by amount (core/auth_policy.py): a PIN below the thresholds, the face check above
10,000,000 ₫ in one payment or 20,000,000 ₫ in the source account's day; EVN's collection payees
exempt up to 100,000,000 ₫ a day. The policy's cases, the signed ``auth`` field, the acquirer's
refusal of a PIN-only claim over real HTTP, and ``payer-app pay --biometric`` over a real acquirer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payer_app.core.auth_policy import BIOMETRIC, PIN, AuthPolicy, is_trusted_payee, need_for, required_auth
from payer_app.core.builder import vietqr_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import CATALOG, RequestRefused
from payer_app.core.request import PayerInfo, PaymentRequest, build_request, read_signed
from payer_app.core.signing import sign_request
from tests.acquirer_helpers import account_code, ledger_rows, new_payer, post, start_server
from tests.cli_in_process import run
from tests.spec_vectors import EVN_BILL

SHOP = vietqr_payload("970416", "257678859")  # a static VietQR to a person's account: not a trusted payee
M = 1_000_000
PLAIN = SimpleNamespace(mcc=None, merchant_id=None, bank_bin="970416", account="257678859")


# --- the policy ---------------------------------------------------------------------------------
def test_the_thresholds_are_data_with_the_decisions_reference():
    policy = AuthPolicy.bundled()
    assert (policy.biometric_above_one_payment, policy.biometric_above_day_total,
            policy.trusted_exempt_up_to_day_total, policy.day_utc_offset_hours) == (10 * M, 20 * M, 100 * M, 7)
    assert "2345/QĐ-NHNN" in policy.reference


@pytest.mark.parametrize("total, spent, trusted, method, reason", [
    (12 * M, 0, False, BIOMETRIC, "one-payment"),      # 12 million at once
    (9 * M, 0, False, PIN, "below"),                   # 9 million
    (9 * M, 9 * M, False, PIN, "below"),               # the second 9 million of the day: 18 million
    (9 * M, 18 * M, False, BIOMETRIC, "day-total"),    # the third: 27 million in the day
    (12 * M, 0, True, PIN, "trusted"),                 # an EVN bill of 12 million
    (10 * M, 0, False, PIN, "below"),                  # exactly 10 million is not above it
    (10 * M + 1, 0, False, BIOMETRIC, "one-payment"),
    (5 * M, 15 * M, False, PIN, "below"),              # exactly 20 million in the day is not above it
    (5 * M, 15 * M + 1, False, BIOMETRIC, "day-total"),
    (40 * M, 60 * M, True, PIN, "trusted"),            # EVN: exactly 100 million in the day is exempt
    (40 * M, 60 * M + 1, True, BIOMETRIC, "one-payment"),  # over 100 million a day: the general rule
    (1 * M, 100 * M, True, BIOMETRIC, "day-total"),
])
def test_required_auth(total, spent, trusted, method, reason):
    need = required_auth(total, spent, trusted)
    assert (need.method, need.reason, need.day_total) == (method, reason, total + spent)


def test_trusted_means_one_of_evns_registered_collection_payees():
    evn = build_request(parse_payload(EVN_BILL), PaymentChoice(12 * M)).payee
    assert is_trusted_payee(evn.mcc, evn.merchant_id, evn.bank_bin, evn.account)
    assert need_for(12 * M, evn, 0).method == PIN
    assert not is_trusted_payee(PLAIN.mcc, PLAIN.merchant_id, PLAIN.bank_bin, PLAIN.account)
    assert not is_trusted_payee("4900", "NOT-EVN-42", "970436", "0000000001")  # MCC 4900 alone is not EVN


def test_the_day_is_vietnams_calendar_day():
    policy = AuthPolicy.bundled()
    # 16:59:59 UTC is 23:59:59 in Hanoi; 17:00 UTC is already the next day there
    assert policy.day_start(datetime(2026, 3, 1, 16, 59, 59, tzinfo=UTC)) == datetime(2026, 2, 28, 17, tzinfo=UTC)
    assert policy.day_start(datetime(2026, 3, 1, 17, 0, tzinfo=UTC)) == datetime(2026, 3, 1, 17, tzinfo=UTC)


def test_the_refusal_texts_are_in_both_languages():
    for kind in ("biometric-required", "biometric-required-day", "biometric-failed"):
        english, vietnamese = CATALOG[kind]
        assert english and vietnamese and english != vietnamese


# --- the signed request says how it was confirmed -----------------------------------------------
def test_the_request_records_the_authentication_and_from_dict_reads_it():
    payer = PayerInfo(key_id="k" * 43)
    pin = build_request(parse_payload(SHOP), PaymentChoice(9 * M), payer=payer)
    face = build_request(parse_payload(SHOP), PaymentChoice(12 * M, auth=BIOMETRIC), payer=payer)
    assert pin.to_dict()["auth"] == "pin" and face.to_dict()["auth"] == "biometric"
    assert PaymentRequest.from_dict(json.loads(json.dumps(face.to_dict()))) == face
    older = pin.to_dict()
    del older["auth"]  # a request signed before ``auth`` existed claims a PIN
    assert PaymentRequest.from_dict(older).auth_method == PIN
    for bad in ("face", "", "BIOMETRIC"):
        with pytest.raises(RequestRefused) as refused:
            PaymentRequest.from_dict(pin.to_dict() | {"auth": bad})
        assert refused.value.code == "bad-content" and "auth" in refused.value.text()
    with pytest.raises(RequestRefused):
        PaymentRequest.from_dict(pin.to_dict() | {"auth": None})


# --- the acquirer, over real HTTP ----------------------------------------------------------------
def _token(payer, url, amount, auth=None, payload=SHOP, drop_auth=False):
    request = build_request(parse_payload(payload), PaymentChoice(amount), payer=payer.info, audience=url)
    body = request.to_dict()
    if drop_auth:
        del body["auth"]
    elif auth is not None:
        body["auth"] = auth
    return sign_request(body, payer.key)  # hand-crafted: signed as it is, whatever the payer app would say


def test_the_acquirer_refuses_a_pin_only_claim_above_the_thresholds(tmp_path):
    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        payer = new_payer(server.url)
        for claimed in ({"auth": "pin"}, {"drop_auth": True}):
            response = post(server.url, _token(payer, server.url, 12 * M, **claimed))
            assert response.status_code == 403, response.text
            body = response.json()
            assert body["error"] == "biometric-required" and "12.000.000" in body["message"], body
            assert "khuôn mặt" in body["message_vi"]
        assert ledger_rows(tmp_path / "ledger.sqlite3") == []  # refused before anything was recorded
        assert post(server.url, _token(payer, server.url, 12 * M, auth="biometric")).status_code == 201
        # an EVN bill of 12 million needs no face check
        assert post(server.url, _token(payer, server.url, 12 * M, payload=EVN_BILL)).status_code == 201
    finally:
        server.stop()


def test_the_acquirer_counts_the_accounts_approved_payments_of_the_day(tmp_path):
    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        payer, other = new_payer(server.url), new_payer(server.url, account="0022002234567")
        assert post(server.url, _token(payer, server.url, 9 * M)).status_code == 201
        assert post(server.url, _token(payer, server.url, 9 * M)).status_code == 201
        third = post(server.url, _token(payer, server.url, 9 * M))
        assert third.status_code == 403 and third.json()["error"] == "biometric-required", third.text
        assert "27.000.000" in third.json()["message"]
        # another source account has its own day
        assert post(server.url, _token(other, server.url, 9 * M)).status_code == 201
        assert post(server.url, _token(payer, server.url, 9 * M, auth="biometric")).status_code == 201
    finally:
        server.stop()


# --- payer-app pay --biometric, over a real acquirer ----------------------------------------------
def test_pay_needs_biometric_pass_above_the_thresholds(capsys, tmp_path):
    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        url = server.url
        assert run(capsys, "keys", "enrol", "--acquirer", url, "--code", account_code(url))[0] == 0
        code, out, err = run(capsys, "pay", SHOP, "--amount", "12000000", "--acquirer", url)
        assert code == 1 and out == "" and "(biometric-required)" in err, err
        code, out, err = run(capsys, "pay", SHOP, "--amount", "12000000", "--acquirer", url, "--biometric", "fail")
        assert code == 1 and out == "" and "(biometric-failed)" in err, err
        code, out, err = run(capsys, "pay", SHOP, "--amount", "12000000", "--acquirer", url, "--biometric", "pass")
        assert code == 0, err
        assert read_signed(out.strip()).auth == "biometric"
        code, out, err = run(capsys, "pay", EVN_BILL, "--amount", "12000000", "--acquirer", url)
        assert code == 0, err  # EVN: trusted; the day is now 24 million, all but 12 of it to EVN
        assert read_signed(out.strip()).auth == "pin"
        assert [r[0] for r in ledger_rows(tmp_path / "ledger.sqlite3")] == ["approved", "approved"]
    finally:
        server.stop()


def test_pay_the_third_9_million_of_the_day_needs_the_face_check(capsys):
    for _ in range(2):
        code, out, err = run(capsys, "pay", SHOP, "--amount", "9000000")
        assert code == 0, err
        assert read_signed(out.strip()).auth == "pin"
    code, out, err = run(capsys, "pay", SHOP, "--amount", "9000000", "--lang", "vi")
    assert code == 1 and "(biometric-required)" in err and "27.000.000" in err, err
    code, out, err = run(capsys, "pay", SHOP, "--amount", "9000000", "--biometric", "pass")
    assert code == 0, err


def test_the_payer_app_refuses_before_signing_and_records_nothing():
    from payer_app.payments.service import PaymentService

    with PaymentService() as service:
        parsed = parse_payload(SHOP)
        with pytest.raises(RequestRefused) as refused:
            service.pay(parsed, PaymentChoice(12 * M))
        assert refused.value.code == "biometric-required"
        assert service.history() == []
        assert service.auth_need(parsed, PaymentChoice(12 * M)).biometric
        assert not service.auth_need(parsed, PaymentChoice(9 * M)).biometric
        assert service.pay(parsed, PaymentChoice(12 * M, auth=BIOMETRIC)).status == "approved"


@given(st.integers(1, 500 * M), st.integers(0, 500 * M), st.integers(0, 500 * M), st.booleans())
def test_more_spent_never_asks_for_less(total, spent, more, trusted):
    """Paying more in the day, or more at once, never turns a face check back into a PIN; a trusted
    payee never needs more than another."""
    need = required_auth(total, spent, trusted)
    assert not need.biometric or required_auth(total, spent + more, trusted).biometric
    assert not need.biometric or required_auth(total + more, spent, trusted).biometric
    assert not required_auth(total, spent, True).biometric or required_auth(total, spent, False).biometric


@pytest.mark.parametrize("change", [
    {"format": "other"}, {"version": 2}, {"biometric_above_one_payment": "10000000"},
    {"biometric_above_day_total": -1}, {"day_utc_offset_hours": 15}, {"trusted_exempt_up_to_day_total": True},
])
def test_a_policy_file_out_of_form_is_refused(change):
    good = json.loads(AuthPolicy.bundled_text())
    assert AuthPolicy.from_json_text(json.dumps(good)) == AuthPolicy.bundled()
    with pytest.raises(ValueError):
        AuthPolicy.from_json_text(json.dumps(good | change))
