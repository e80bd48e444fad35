"""What the name inquiry said travels into the signed request (``name_check``) and ``verify`` shows it:
paid from the real window (offscreen) and by ``payer-app pay`` as a real process; ``pay`` refuses an
account the bank says does not exist unless told to pay anyway; the block's round trip through
``PaymentRequest.from_dict``; hostile names (huge, control and bidi characters) from a stranger's
acquirer capped and escaped in the signed request and in ``verify``'s output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtTest import QTest

from payer_app.core import base64url
from payer_app.core.builder import vietqr_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.display_text import is_unsafe_char
from payer_app.core.keys import SigningKey
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import RequestRefused
from payer_app.core.registered_name import MAX_NAME_CHARS, NameCheck
from payer_app.core.request import PayerInfo, PaymentRequest, build_request, read_signed
from payer_app.core.signing import sign_request, verify_request
from payer_app.payments.acquirer.server import AcquirerServer
from payer_app.payments.keystore import KeyStore
from payer_app.payments.service import PaymentService
from tests.gui_helpers import PAY_TIMEOUT_MS, click, enter_pin, tr

ANSWER_MS = 30_000
REGISTERED = "NGUYEN VAN A"  # 970436/0011001234567 in resources/registered_names.csv
PASTED_OVER = vietqr_payload("970436", "0011001234567", merchant_name="EVN HA NOI THU TIEN DIEN", city="Ha Noi")
NOBODY = vietqr_payload("970436", "999999999", merchant_name="NGUYEN VAN A", city="Ha Noi")
KEY = SigningKey.from_private_key(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "payer_app", *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PAYER_APP_HOME=str(home)))


def verify_token(token: str, home: Path, *extra: str) -> subprocess.CompletedProcess:
    path = home.parent / "token.jws"
    path.write_text(token + "\n", encoding="ascii")
    return run_cli("verify", str(path), *extra, home=home)


# --- from the window --------------------------------------------------------------------------------
def test_a_payment_from_the_window_signs_what_payee_showed_and_verify_prints_it(qtbot, window, payer_home):
    box = window.payee.registered
    with qtbot.waitSignal(box.answered, timeout=ANSWER_MS):
        window.open_payload(PASTED_OVER)
    assert box.state == "mismatch"  # the payer has seen the warning, and goes on by clicks
    click(qtbot, window.payee.continue_button)
    QTest.keyClicks(window.amount.edit, "60000")
    click(qtbot, window.amount.continue_button)
    click(qtbot, window.review.confirm_button)
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        enter_pin(qtbot, window)
    outcome = done.args[0]
    assert outcome is not None and outcome.status == "approved"
    assert outcome.request.name_check == NameCheck("mismatch", REGISTERED, "embedded")
    signed = verify_request(outcome.jws, KeyStore(payer_home)).content
    assert signed["name_check"] == {"outcome": "mismatch", "registered_name": REGISTERED, "answered_by": "embedded"}
    shown = verify_token(outcome.jws, payer_home)
    assert shown.returncode == 0, shown.stdout
    assert "  Name check      mismatch: registered name NGUYEN VAN A (asked embedded)" in shown.stdout
    as_json = json.loads(verify_token(outcome.jws, payer_home, "--json").stdout)
    assert as_json["name_check"] == signed["name_check"]
    # the history's Entry screen shows it among the technical details
    window.entry.show_entry(window.ctx.service.entry(outcome.request_id))
    row = window.entry.rows["name_check"]
    assert row.value.text() == f"{REGISTERED} — {tr('registered.outcome.mismatch')}"


# --- payer-app pay ----------------------------------------------------------------------------------
def test_pay_looks_the_payee_up_before_signing_and_records_the_answer(tmp_path):
    home = tmp_path / "home"
    paid = run_cli("pay", PASTED_OVER, "--amount", "70000", home=home)
    assert paid.returncode == 0, paid.stderr
    request = read_signed(paid.stdout.strip())
    assert request.name_check == NameCheck("mismatch", REGISTERED, "embedded")
    assert "Name check: mismatch: registered name NGUYEN VAN A (asked embedded)" in paid.stderr
    shown = verify_token(paid.stdout.strip(), home)
    assert "Name check      mismatch: registered name NGUYEN VAN A" in shown.stdout


def test_pay_refuses_an_account_that_does_not_exist_unless_told_to_pay_anyway(tmp_path):
    home = tmp_path / "home"
    refused = run_cli("pay", NOBODY, "--amount", "70000", "--lang", "vi", home=home)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("payer-app pay: not paid (no-such-account): Ngân hàng (embedded) cho biết")
    assert run_cli("history", "--json", home=home).stdout.strip() in ("", "[]")  # nothing signed, nothing kept
    anyway = run_cli("pay", NOBODY, "--amount", "70000", "--pay-unknown-account", home=home)
    assert anyway.returncode == 0, anyway.stderr
    assert read_signed(anyway.stdout.strip()).name_check == NameCheck("not-found", None, "embedded")
    assert "Name check      not-found (asked embedded)" in verify_token(anyway.stdout.strip(), home).stdout


def test_the_refusal_is_core_s_rule_for_every_caller():
    check = NameCheck("not-found", None, "embedded")
    with pytest.raises(RequestRefused) as refused:
        build_request(parse_payload(NOBODY), PaymentChoice(70_000, name_check=check))
    assert refused.value.code == "no-such-account" and "tồn tại" in refused.value.text("vi")
    made = build_request(parse_payload(NOBODY), PaymentChoice(70_000, name_check=check, pay_unknown_account=True))
    assert made.name_check == check


# --- the signed block ---------------------------------------------------------------------------------
def request_with(check: NameCheck | None) -> PaymentRequest:
    return build_request(parse_payload(PASTED_OVER), PaymentChoice(70_000, name_check=check, pay_unknown_account=True),
                         payer=PayerInfo(key_id=KEY.kid))


@pytest.mark.parametrize("check", [
    NameCheck("match", "EVN HA NOI", "http://127.0.0.1:8765"), NameCheck("found", "A", "embedded"),
    NameCheck("mismatch", REGISTERED, "embedded"), NameCheck("not-found", None, "embedded"),
    NameCheck("bank-not-served", None, "embedded"), NameCheck("unavailable", None, "http://127.0.0.1:9"),
], ids=lambda c: c.outcome)
def test_the_name_check_block_round_trips_through_from_dict(check):
    request = request_with(check)
    data = request.to_dict()
    assert list(data)[-1] == "name_check" and data["name_check"]["outcome"] == check.outcome
    assert PaymentRequest.from_dict(json.loads(json.dumps(data))) == request


def test_no_lookup_is_no_block_so_requests_signed_before_it_still_read():
    request = request_with(None)
    assert "name_check" not in request.to_dict()
    assert PaymentRequest.from_dict(request.to_dict()).name_check is None


@pytest.mark.parametrize(("block", "said"), [
    (None, "name_check is not an object"),
    ({"outcome": "match", "registered_name": "A"}, "name_check.answered_by is missing"),
    ({"outcome": "trusted", "registered_name": None, "answered_by": "x"}, "is not one of"),
    ({"outcome": "not-found", "registered_name": "A", "answered_by": "x"}, "must be null for not-found"),
    ({"outcome": "match", "registered_name": None, "answered_by": "x"}, "must be given for match"),
    ({"outcome": "match", "registered_name": "A\x1b[2J", "answered_by": "x"}, "holds controls"),
    ({"outcome": "match", "registered_name": "A" * (MAX_NAME_CHARS + 1), "answered_by": "x"}, "longer than"),
    ({"outcome": "match", "registered_name": "A", "answered_by": "\u202e"}, "holds controls"),
    ({"outcome": "unavailable", "registered_name": None, "answered_by": ""}, "is empty"),
], ids=["null", "missing-key", "outcome", "name-not-null", "name-null", "control", "long", "bidi", "empty"])
def test_a_block_judge_could_not_have_written_is_refused(block, said):
    data = request_with(None).to_dict()
    data["name_check"] = block
    with pytest.raises(RequestRefused) as refused:
        PaymentRequest.from_dict(data)
    assert refused.value.code == "bad-content" and said in refused.value.message


def test_a_signed_request_with_a_raw_control_in_the_block_is_rejected_and_never_printed(tmp_path):
    home = tmp_path / "home"
    key = KeyStore(home).current()
    data = request_with(NameCheck("match", "A", "embedded")).with_key_id(key.kid).to_dict()
    data["name_check"]["registered_name"] = "A\x1b[32mVALID\u202e"
    header = base64url.encode(json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": key.kid}).encode())
    body = base64url.encode(json.dumps(data).encode())
    token = f"{header}.{body}"
    token += "." + base64url.encode(key.private_key.sign(token.encode("ascii")))
    shown = verify_token(token, home)
    assert shown.returncode == 1 and shown.stdout.startswith("REJECTED (")
    assert "\x1b" not in shown.stdout and "\u202e" not in shown.stdout


# --- hostile names from a stranger's acquirer ---------------------------------------------------------
HOSTILE = "NGUYEN\u202eVAN A\x1b[2J" + "B" * 100_000


@pytest.fixture
def stranger():
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def hostile(request):
        return JSONResponse({"code": "00", "desc": "", "data": {"accountName": HOSTILE}})

    served = AcquirerServer(Starlette(routes=[Route("/v2/lookup", hostile, methods=["POST"])])).start()
    try:
        yield served.url
    finally:
        served.stop()


def test_a_huge_control_character_name_is_capped_and_escaped_in_the_request_and_in_verify(tmp_path, stranger):
    home = tmp_path / "home"
    with PaymentService(acquirer_url=stranger, home=home) as service:
        check = service.name_check(parse_payload(PASTED_OVER))
        key = service.keystore.current()
        request = build_request(parse_payload(PASTED_OVER), PaymentChoice(70_000, name_check=check),
                                payer=PayerInfo(key_id=key.kid), audience=service.audience)
    assert check.outcome == "mismatch" and check.answered_by == stranger
    name = check.registered_name
    assert len(name) <= MAX_NAME_CHARS and not any(is_unsafe_char(ch) for ch in name)
    assert name.startswith("NGUYEN\\u202eVAN A\\x1b[2JBBB") and name.endswith("…")
    token = sign_request(request, key)
    signed = json.loads(base64url.decode(token.split(".")[1]))
    assert signed["name_check"]["registered_name"] == name
    shown = verify_token(token, home)
    assert shown.returncode == 0, shown.stdout
    assert "\x1b" not in shown.stdout and "\u202e" not in shown.stdout
    assert "registered name NGUYEN\\u202eVAN A\\x1b[2JBBB" in shown.stdout
    as_json = verify_token(token, home, "--json").stdout
    assert "\x1b" not in as_json and "\u202e" not in as_json
    assert json.loads(as_json)["name_check"]["registered_name"] == name


def test_the_payee_screen_hands_its_answer_to_the_request_only_when_it_has_one(qtbot, window):
    box = window.payee.registered
    with qtbot.waitSignal(box.answered, timeout=ANSWER_MS):
        window.open_payload(PASTED_OVER)
        assert box.name_check is None  # still looking: nothing to record
    assert box.name_check == NameCheck("mismatch", REGISTERED, "embedded")


# --- the acquirer records the claim and trusts it for nothing ----------------------------------------
ROOT = Path(__file__).resolve().parents[1]
DECIDERS = ["payer_app/payments/acquirer", "payer_app/payments/biller.py", "payer_app/payments/merchant_display.py"]


def test_no_acquirer_biller_or_display_code_reads_the_claim():
    readers = [str(path.relative_to(ROOT)) for folder in DECIDERS
               for path in ([ROOT / folder] if folder.endswith(".py") else (ROOT / folder).rglob("*.py"))
               if "name_check" in path.read_text(encoding="utf-8")]
    assert readers == []


@pytest.mark.parametrize("claim", [None, NameCheck("match", "NGUYEN VAN A", "embedded"),
                                   NameCheck("not-found", None, "embedded")], ids=["none", "forged-match", "not-found"])
def test_the_acquirer_decides_the_same_whatever_the_claim_says(tmp_path, claim):
    """A payee the bank does not know, paid with no claim, a forged "match" or an honest "not-found" (paid
    anyway): the acquirer answers alike and keeps the signed claim as it came."""
    with PaymentService(home=tmp_path / "home") as service:
        outcome = service.pay(parse_payload(NOBODY), PaymentChoice(70_000, name_check=claim, pay_unknown_account=True))
        stored = read_signed(service.entry(outcome.request_id).jws)
    assert (outcome.status, outcome.http_status) == ("approved", 201)
    assert outcome.request.name_check == claim and stored.name_check == claim
