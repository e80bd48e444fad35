"""A review of authentication by amount (core/auth_policy.py) against the rule as docs/payments.md
states it: the face check above 10,000,000 ₫ in one payment (the total paid, fee included) or above
20,000,000 ₫ in the source account's day (Vietnam's calendar day, approved payments plus this one);
EVN's collection payees exempt up to 100,000,000 ₫ a day, and only a payment that really goes to EVN.
The acquirer is attacked over real HTTP with hand-signed requests; the payer app through ``payer-app
pay`` and the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from payer_app.core.auth_policy import BIOMETRIC, PIN, AuthPolicy, need_for
from payer_app.core.builder import build_payload, evn_bill_payload, vietqr_payload, vnpay_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.payload import parse_payload
from payer_app.core.request import build_request, read_signed
from payer_app.core.signing import sign_request
from payer_app.payments.acquirer.answers import FailureSettings
from tests.acquirer_helpers import CODE, AcquirerClock, ledger_rows, new_payer, post, start_server
from tests.cli_in_process import run

M = 1_000_000
SHOP = vietqr_payload("970416", "257678859")  # a person's account: not a trusted payee
EVN = evn_bill_payload("PD01000123456")
# EVN's Thanh Xuân merchant id (resources/evn_payees.csv) and MCC 4900, but on VNPAY's network
# (template 26, GUID A000000775): VNPAY's merchant with that id is whoever VNPAY says, not EVN.
VNPAY_AS_EVN = vnpay_payload("0100101114-019", "EVN CONG TY DIEN LUC", "Ha Noi", mcc="4900")
# The same id under a made-up network's GUID.
OTHER_AS_EVN = build_payload([("00", "01"), ("01", "11"), ("27", [("00", "A000000999"), ("01", "0100101114-019")]),
                              ("52", "4900"), ("53", "704"), ("58", "VN"), ("59", "EVN DIEN LUC"),
                              ("60", "Ha Noi")])
# A VietQR transfer to EVN Thanh Xuân's own collection account: the money does go to EVN.
EVN_ACCOUNT = vietqr_payload("970436", "0011004190011")
# A shop whose QR adds a fixed convenience fee of 1,000 ₫ (field 55 = 02, field 56).
FEE_SHOP = build_payload([("00", "01"), ("01", "11"), ("38", [("00", "A000000727"),
                          ("01", [("00", "970416"), ("01", "257678859")]), ("02", "QRIBFTTA")]),
                          ("53", "704"), ("55", "02"), ("56", "1000"), ("58", "VN"), ("59", "CUA HANG"),
                          ("60", "Ha Noi")])


def _token(payer, url, amount, payload=SHOP, auth=PIN, now=None):
    request = build_request(parse_payload(payload), PaymentChoice(amount, auth=auth), payer=payer.info,
                            audience=url, now=now)
    return sign_request(request, payer.key)


@pytest.fixture
def acquirer(tmp_path):
    servers = []

    def start(**kwargs):
        servers.append(start_server(tmp_path / f"ledger{len(servers)}.sqlite3", **kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


# --- who is trusted: the payee the money goes to, never what a QR says of itself --------------------
@pytest.mark.parametrize("payload", [VNPAY_AS_EVN, OTHER_AS_EVN], ids=["vnpay", "other-network"])
def test_a_qr_on_another_network_with_evns_merchant_id_is_not_trusted(acquirer, payload):
    parsed = parse_payload(payload)
    assert parsed.is_payment, parsed
    payee = build_request(parsed, PaymentChoice(12 * M)).payee
    assert need_for(12 * M, payee, 0).method == BIOMETRIC
    server = acquirer()
    payer = new_payer(server.url)
    refused = post(server.url, _token(payer, server.url, 12 * M, payload))
    assert refused.status_code == 403 and refused.json()["error"] == "biometric-required", refused.text
    assert post(server.url, _token(payer, server.url, 12 * M, payload, auth=BIOMETRIC)).status_code == 201


def test_evns_own_bill_and_its_collection_account_stay_trusted(acquirer):
    server = acquirer()
    payer = new_payer(server.url)
    for payload in (EVN, EVN_ACCOUNT):
        answer = post(server.url, _token(payer, server.url, 12 * M, payload))
        assert answer.status_code == 201, answer.text


# --- the thresholds, exactly, at the acquirer -----------------------------------------------------
def test_exactly_at_the_thresholds_is_a_pin_one_dong_above_is_the_face_check(acquirer):
    server = acquirer()
    payer = new_payer(server.url)
    above = post(server.url, _token(payer, server.url, 10 * M + 1))
    assert above.status_code == 403 and above.json()["error"] == "biometric-required", above.text
    assert post(server.url, _token(payer, server.url, 10 * M)).status_code == 201   # not above 10 million
    assert post(server.url, _token(payer, server.url, 10 * M)).status_code == 201   # the day: exactly 20 million
    day = post(server.url, _token(payer, server.url, 1000))  # the acquirer's smallest payment
    assert day.status_code == 403 and day.json()["error"] == "biometric-required", day.text
    assert "20.001.000" in day.json()["message"]
    # claiming the face check is never refused, below the thresholds or above them
    assert post(server.url, _token(payer, server.url, 1000, auth=BIOMETRIC)).status_code == 201
    assert post(server.url, _token(payer, server.url, 5 * M, auth=BIOMETRIC)).status_code == 201


def test_the_threshold_is_on_the_total_paid_fee_included(acquirer, capsys):
    parsed = parse_payload(FEE_SHOP)
    request = build_request(parsed, PaymentChoice(10 * M))
    assert (request.amount, request.cost.total) == (10 * M, 10 * M + 1000)
    server = acquirer()
    payer = new_payer(server.url)
    refused = post(server.url, _token(payer, server.url, 10 * M, FEE_SHOP))
    assert refused.status_code == 403 and "10.001.000" in refused.json()["message"], refused.text
    code, out, err = run(capsys, "pay", FEE_SHOP, "--amount", str(10 * M))
    assert code == 1 and out == "" and "(biometric-required)" in err and "10.001.000" in err, err


# --- which day: Vietnam's (UTC+7), at the acquirer ------------------------------------------------
def test_the_acquirers_day_is_vietnams_not_utcs(acquirer):
    # 16:30 UTC is 23:30 in Hanoi; 23:30 UTC the same UTC date is 06:30 the next morning there, and
    # 00:30 UTC the next UTC date is still that Hanoi morning.
    clock = AcquirerClock()
    server = acquirer(clock=clock)
    payer = new_payer(server.url)  # enrolled at the real time (an enrolment is signed now)
    clock.now = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)

    def pay(amount):
        return post(server.url, _token(payer, server.url, amount, now=clock.now))

    assert [pay(9 * M).status_code for _ in range(2)] == [201, 201]  # 18 million on Hanoi's 4 December
    clock.advance(7 * 3600)  # 23:30 UTC, 4 December: 06:30 on 5 December in Hanoi, a new day
    assert [pay(9 * M).status_code for _ in range(2)] == [201, 201]  # a UTC day would be at 36 million
    clock.advance(3600)  # 00:30 UTC on 5 December: the same Hanoi day as 23:30 UTC
    third = pay(9 * M)
    assert third.status_code == 403 and "27.000.000" in third.json()["message"], third.text  # a UTC day: 9


def test_the_payer_apps_day_is_vietnams_too(capsys):
    from payer_app.payments.auth_need import payer_auth_need
    from payer_app.payments.service import PaymentService

    for _ in range(2):
        assert run(capsys, "pay", SHOP, "--amount", str(9 * M))[0] == 0
    policy = AuthPolicy.bundled()
    with PaymentService() as service:
        request = build_request(parse_payload(SHOP), PaymentChoice(9 * M), payer=service.payer)
        paid_at = read_signed(service.history()[0].jws).created_at
        assert payer_auth_need(service._history, request, paid_at, policy).day_total == 27 * M
        next_day = policy.day_start(paid_at) + timedelta(days=1)
        assert payer_auth_need(service._history, request, next_day, policy).day_total == 9 * M
        assert payer_auth_need(service._history, request, next_day - timedelta(seconds=1), policy).day_total == 27 * M


# --- what counts: approved payments only, at the acquirer -----------------------------------------
def test_declined_payments_do_not_count_toward_the_day(acquirer):
    server = acquirer(failures=FailureSettings(decline_rate=1.0))
    payer = new_payer(server.url)
    answers = [post(server.url, _token(payer, server.url, 9 * M)) for _ in range(3)]
    assert [a.status_code for a in answers] == [402, 402, 402], [a.text for a in answers]


def test_refused_payments_do_not_count_toward_the_day(acquirer):
    server = acquirer()
    payer = new_payer(server.url)
    assert post(server.url, _token(payer, server.url, 12 * M)).status_code == 403  # refused: not counted
    assert post(server.url, _token(payer, server.url, 9 * M)).status_code == 201
    assert post(server.url, _token(payer, server.url, 9 * M)).status_code == 201


# --- another device of the same account: the acquirer knows more than this payer app --------------
def test_payments_from_another_device_make_the_acquirer_refuse_and_pay_says_so(acquirer, capsys, tmp_path):
    server = acquirer()
    assert run(capsys, "keys", "enrol", "--acquirer", server.url, "--code", CODE)[0] == 0
    from payer_app.payments.service import PaymentService

    with PaymentService(acquirer_url=server.url) as service:
        this_device = service.keystore.current()
    other = new_payer(None)
    other.key = this_device  # the same account's key, used from a device whose history this app never sees
    for _ in range(2):
        assert post(server.url, _token(other, server.url, 9 * M)).status_code == 201
    for lang, words in (("en", "the face check"), ("vi", "xác thực khuôn mặt")):
        code, out, err = run(capsys, "pay", SHOP, "--amount", str(9 * M), "--acquirer", server.url, "--lang", lang)
        assert code == 1, err
        assert err.startswith("REJECTED (biometric-required): ") and "27.000.000" in err and words in err, err
        assert "Traceback" not in err
    assert [r[0] for r in ledger_rows(tmp_path / "ledger0.sqlite3")] == ["approved", "approved"]  # nothing new
    code, out, err = run(capsys, "pay", SHOP, "--amount", str(9 * M), "--acquirer", server.url, "--biometric", "pass")
    assert code == 0, err
