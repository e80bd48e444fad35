"""The fee or tip and the total travel in the signed request (version 2), limits apply to the total,
and the acquirer recomputes the fee from the signed QR: a request whose fee or total does not match
is refused with 400 and a named code, over real HTTP."""

from __future__ import annotations

import json

import httpx
import pytest

from payer_app.core.charge import Charge
from payer_app.core.choice import PaymentChoice
from payer_app.core.crc import payload_crc
from payer_app.core.keys import SigningKey
from payer_app.core.payability import Limits
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import RequestRefused
from payer_app.core.request import PayerInfo, PaymentRequest, build_request, read_signed
from payer_app.core.signing import sign_request, verify_request
from payer_app.payments.acquirer.endpoints import create_app
from payer_app.payments.speech import Speaker
from tests.acquirer_helpers import CODE, LedgerServer, new_payer, post, start_server
from tests.cli_in_process import run
from tests.display_stream import event_data

HEAD = "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704"


def qr(amount: int | None, extra: str = "") -> str:
    body = (HEAD if amount is not None else HEAD.replace("010212", "010211"))
    body += "" if amount is None else f"54{len(str(amount)):02d}{amount}"
    body += extra + "5802VN6304"
    return body + payload_crc(body)


FEE_QR = qr(100000, "550202" + "560550000")  # the example: 55=02, 56=50000, amount 100000
TIP_QR = qr(100000, "550201")
PERCENT_QR = qr(None, "550203" + "57031.5")
KEY = SigningKey.generate()
STORE = [KEY.public_jwk]


def request_for(payload: str, choice: PaymentChoice, **kwargs) -> PaymentRequest:
    return build_request(parse_payload(payload), choice, payer=PayerInfo(key_id=KEY.kid), **kwargs)


def test_the_fee_and_the_total_are_signed_with_the_amount():
    request = request_for(FEE_QR, PaymentChoice(None))
    assert request.amount == 100000 and request.charge == Charge("fixed", 50000, 150000)
    body = request.to_dict()
    assert body["version"] == 2
    assert body["amount"] == {"value": "100000", "currency": "VND"}
    assert body["fee"] == {"kind": "fixed", "value": "50000"}
    assert body["total"] == {"value": "150000", "currency": "VND"}
    token = sign_request(request, KEY)
    assert read_signed(token) == request
    assert verify_request(token, STORE).ok


def test_a_tip_is_the_payers_choice_where_the_qr_asks_for_one():
    request = request_for(TIP_QR, PaymentChoice(None, tip=15000))
    assert request.charge == Charge("tip", 15000, 115000)
    assert verify_request(sign_request(request, KEY), STORE).ok
    with pytest.raises(RequestRefused) as caught:
        build_request(parse_payload(FEE_QR), PaymentChoice(None, tip=1000))
    assert caught.value.code == "bad-tip" and caught.value.message_vi


def test_a_percentage_fee_is_computed_on_the_typed_amount():
    request = request_for(PERCENT_QR, PaymentChoice(33300))
    assert request.charge == Charge("percent", 500, 33800)  # 499.5 rounds half up to 500


def test_limits_apply_to_the_total():
    limits = Limits(min_amount=1000, max_amount=120000)
    with pytest.raises(RequestRefused) as caught:
        build_request(parse_payload(FEE_QR), PaymentChoice(None), limits=limits)
    assert caught.value.code == "above-maximum"
    with pytest.raises(RequestRefused):
        build_request(parse_payload(TIP_QR), PaymentChoice(None, tip=30000), limits=limits)
    assert build_request(parse_payload(TIP_QR), PaymentChoice(None, tip=20000), limits=limits).charge.total == 120000


def resigned(request: PaymentRequest, change) -> str:
    body = request.to_dict()
    change(body)
    return sign_request(body, KEY)


TAMPERING = {
    "fee removed": (lambda b: (b.update(version=1), b.pop("fee"), b.pop("total")), "fee-mismatch"),
    "fee zero": (lambda b: (b["fee"].update(value="0"), b["total"].update(value="100000")), "fee-mismatch"),
    "fee changed": (lambda b: (b["fee"].update(value="5000"), b["total"].update(value="105000")), "fee-mismatch"),
    "fee kind changed": (lambda b: b["fee"].update(kind="tip"), "fee-mismatch"),
    "fee kind none": (lambda b: b["fee"].update(kind=None), "fee-mismatch"),
    "total changed": (lambda b: b["total"].update(value="100000"), "total-mismatch"),
    "total raised": (lambda b: b["total"].update(value="250000"), "total-mismatch"),
    "fee kind unknown": (lambda b: b["fee"].update(kind="bonus"), "bad-content"),
    "fee negative": (lambda b: b["fee"].update(value="-50000"), "bad-content"),
    "total missing": (lambda b: b.pop("total"), "bad-content"),
}


@pytest.mark.parametrize("name", list(TAMPERING))
def test_a_request_signed_with_the_fee_or_total_changed_is_refused_with_a_named_code(name):
    change, reason = TAMPERING[name]
    result = verify_request(resigned(request_for(FEE_QR, PaymentChoice(None)), change), STORE)
    assert result.signature_ok and not result.ok and result.reason == reason, (result.reason, result.message)


def test_a_version_1_request_is_still_read_and_counts_as_no_fee():
    plain = request_for(qr(100000), PaymentChoice(None))
    v1 = resigned(plain, lambda b: (b.update(version=1), b.pop("fee"), b.pop("total")))
    result = verify_request(v1, STORE)
    assert result.ok and result.request.charge is None and result.request.cost == Charge(None, 0, 100000)


def test_a_tip_where_none_is_asked_for_is_refused():
    plain = request_for(qr(100000), PaymentChoice(None))
    token = resigned(plain, lambda b: (b["fee"].update(kind="tip", value="5000"), b["total"].update(value="105000")))
    assert verify_request(token, STORE).reason == "fee-mismatch"


def test_the_acquirer_refuses_a_changed_fee_with_400_over_http(tmp_path):
    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        payer = new_payer(server.url)
        request = build_request(parse_payload(FEE_QR), PaymentChoice(None), payer=payer.info, audience=server.url)
        removed = request.to_dict()
        removed.update(version=1)
        removed.pop("fee")
        removed.pop("total")
        response = post(server.url, sign_request(removed, payer.key))
        assert response.status_code == 400 and response.json()["error"] == "fee-mismatch", response.text
        changed = request.to_dict()
        changed["total"]["value"] = "100000"
        response = post(server.url, sign_request(changed, payer.key))
        assert response.status_code == 400 and response.json()["error"] == "total-mismatch", response.text
        response = post(server.url, sign_request(request, payer.key))
        assert response.status_code == 201, response.text
    finally:
        server.stop()


# --- pay --tip, verify and history show them ------------------------------------------------------------

def test_pay_verify_and_history_show_the_fee_and_the_total(capsys, tmp_path):
    target = tmp_path / "fee.jws"
    code, out, err = run(capsys, "pay", FEE_QR, "-o", str(target))
    assert code == 0, err
    assert err.startswith("APPROVED: 100.000 + 50.000 = 150.000 ₫ to 257678859"), err
    code, out, _ = run(capsys, "verify", str(target))
    assert code == 0, out
    assert "  Amount          100.000 ₫" in out and "  Fee (fixed)     50.000 ₫" in out
    assert "  Total           100.000 + 50.000 = 150.000 ₫" in out
    code, out, _ = run(capsys, "history")
    assert "100.000 + 50.000 = 150.000 ₫" in out
    code, out, _ = run(capsys, "history", "--json")
    entry = json.loads(out)[0]
    assert (entry["amount"], entry["fee_kind"], entry["fee"], entry["total"]) == (100000, "fixed", 50000, 150000)


def test_pay_tip_adds_the_payers_tip_where_the_qr_asks_for_one(capsys):
    code, out, err = run(capsys, "pay", TIP_QR, "--tip", "15.000")
    assert code == 0, err
    assert err.startswith("APPROVED: 100.000 + 15.000 = 115.000 ₫"), err
    assert read_signed(out.strip()).charge == Charge("tip", 15000, 115000)
    code, out, err = run(capsys, "pay", FEE_QR, "--tip", "15000")
    assert code == 1 and "(bad-tip)" in err and out == ""
    code, out, err = run(capsys, "pay", TIP_QR, "--tip", "-5")
    assert code == 2 and "--tip" in err


def test_the_acquirer_answers_with_the_total_and_the_merchant_display_announces_it(tmp_path):
    """The merchant receives amount + fee: the 201 answer carries the fee and the total, and the
    display's payment event (read over real HTTP, server-sent events) is the total."""
    app = create_app(tmp_path / "display.sqlite3", enrol_code=CODE)
    app.state.acquirer.display_hub.speaker = Speaker(command=str(tmp_path / "no-such-espeak-ng"))
    with LedgerServer(app) as server, httpx.Client(timeout=60) as client:
        with client.stream("GET", f"{server.url}/display/events") as live:
            lines = live.iter_lines()
            assert event_data(lines, "snapshot")["recent"] == []
            payer = new_payer(server.url)
            request = build_request(parse_payload(FEE_QR), PaymentChoice(None), payer=payer.info, audience=server.url)
            response = post(server.url, sign_request(request, payer.key))
            assert response.status_code == 201, response.text
            body = response.json()
            assert body["amount"]["value"] == "100000" and body["fee"] == {"kind": "fixed", "value": "50000"}
            assert body["total"] == {"value": "150000", "currency": "VND"}
            event = event_data(lines, "payment")
    assert event["amount"] == 150000 and event["amount_text"] == "150.000"

