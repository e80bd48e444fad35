"""The mock acquirer as EVN biller: GET /v1/bills/{code} over real HTTP, bills paid by real signed
requests, the client and service API for the window, and `payer-app bill` (a real process, and in
the test's process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from payer_app.core.builder import evn_bill_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.evn import is_customer_code
from payer_app.core.payload import parse_payload
from payer_app.core.request import PayerInfo
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer_client import HttpAcquirerClient
from payer_app.payments.biller import Biller, OutstandingBill
from payer_app.payments.service import PaymentService
from payer_app.studio.bill_spec import VAT_RATE_PERCENT, evn_tier_breakdown
from payer_app.studio.bill_spec import customer_bill_seed as bill_seed
from tests import cli_in_process
from tests.acquirer_helpers import DEMO_ACCOUNT, DEMO_BIN, http_get, http_post, new_payer, post, start_server, token_for

CODE = "PD13000123456"
OTHER = "PE0100012345X"
UNKNOWN = "PD13000129999"  # ends in 9999: no account at the mock biller


def vietqr_payload() -> str:
    from payer_app.core.builder import vietqr_payload as build

    return build("970436", "0001234567")


@pytest.fixture()
def server(tmp_path):
    srv = start_server(tmp_path / "ledger.sqlite3")
    yield srv
    srv.stop()


def get_bill(url: str, code: str) -> httpx.Response:
    return http_get(f"{url}/v1/bills/{code}", timeout=10)


def pay(url: str, payer, amount: int, code: str = CODE) -> httpx.Response:
    return post(url, token_for(payer, url, amount=amount, payload=evn_bill_payload(code)))


# --- deterministic bills -----------------------------------------------------------------------
def test_bills_are_deterministic_per_code_and_follow_the_tariff(tmp_path):
    first, second = Biller(tmp_path / "a.sqlite3"), Biller(tmp_path / "b.sqlite3")
    for code in (CODE, OTHER, "PA15ABCDEF123", "PD00000000000"):
        a, b = first.bill(code), second.bill(code)
        assert a == b and a.status == "unpaid" and a.amount_paid == 0 and a.amount_due == a.amount_total
        seed, kwh = bill_seed(code)
        assert (a.seed, a.kwh) == (seed, kwh) and 60 <= kwh <= 650
        subtotal = sum(cost for *_, cost in evn_tier_breakdown(kwh))
        assert a.amount_total == subtotal + round(subtotal * VAT_RATE_PERCENT / 100)
        assert a.due_date[5:7] + "/" + a.due_date[:4] == a.period and a.period in a.period_text
    amounts = {first.bill(f"PB{n:011d}").amount_total for n in range(40)}
    assert len(amounts) > 30  # codes get different bills


def test_the_bill_is_the_one_the_studio_prints(tmp_path):
    from payer_app.studio.bill_spec import BillSpec

    bill = Biller(tmp_path / "l.sqlite3").bill(CODE)
    printed = BillSpec(kind="evn", customer=CODE, kwh=bill.kwh, seed=bill.seed).resolve()
    assert printed.amount_due == bill.amount_total and printed.customer_name == bill.customer_name
    assert f"{bill.kwh} kWh" in dict(printed.rows).values()


def test_lookup_over_http_known_unknown_malformed(server):
    url = server.url
    first, again = get_bill(url, CODE), get_bill(url, CODE)
    assert first.status_code == 200 and first.json() == again.json()
    bill = OutstandingBill.from_dict(first.json()["bill"])
    assert bill.customer_code == CODE and bill.status == "unpaid" and bill.amount_due > 0
    assert bill.corporation == "EVNHANOI"

    unknown = get_bill(url, UNKNOWN)
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown-customer"
    for bad in ("pd13000123456", "PD1300012345", "PD130001234567", "PF13000123456", "PD13000-23456",
                "%00", "PD1300012345%C3%A9", "x" * 500, "PD13000123456%20"):
        answer = get_bill(url, bad)
        assert answer.status_code == 400, bad
        assert answer.json()["error"] == "malformed-customer-code"
    assert http_get(f"{url}/v1/bills/", timeout=10).status_code == 404
    assert http_post(f"{url}/v1/bills/{CODE}", timeout=10).status_code == 405


# --- paying the bill ---------------------------------------------------------------------------
def test_partial_then_full_payment_and_replays_count_once(server):
    url = server.url
    payer = new_payer(url)
    total = get_bill(url, CODE).json()["bill"]["amount_total"]
    token = token_for(payer, url, amount=300_000, payload=evn_bill_payload(CODE))
    assert post(url, token).status_code == 201
    assert post(url, token).status_code == 409  # the same request again: counted once
    bill = get_bill(url, CODE).json()["bill"]
    assert (bill["status"], bill["amount_paid"], bill["amount_due"], bill["payments"]) == \
        ("partially-paid", 300_000, total - 300_000, 1)
    assert bill["last_paid_at"]

    assert pay(url, payer, total - 300_000).status_code == 201
    bill = get_bill(url, CODE).json()["bill"]
    assert (bill["status"], bill["amount_paid"], bill["amount_due"], bill["overpaid"]) == ("paid", total, 0, 0)
    assert pay(url, payer, 5_000).status_code == 201  # paying more leaves a credit, never a negative due
    bill = get_bill(url, CODE).json()["bill"]
    assert (bill["status"], bill["amount_due"], bill["overpaid"]) == ("paid", 0, 5_000)
    # another customer's bill is untouched
    assert get_bill(url, OTHER).json()["bill"]["status"] == "unpaid"


def test_only_approved_evn_payments_for_that_code_count(tmp_path):
    srv = start_server(tmp_path / "ledger.sqlite3", FailureSettings(decline_rate=1.0))
    try:
        payer = new_payer(srv.url)
        assert pay(srv.url, payer, 100_000).status_code == 402  # declined: nothing paid
        assert get_bill(srv.url, CODE).json()["bill"]["status"] == "unpaid"
    finally:
        srv.stop()
    srv = start_server(tmp_path / "other.sqlite3")
    try:
        payer = new_payer(srv.url)
        assert post(srv.url, token_for(payer, srv.url, amount=100_000, payload=vietqr_payload())).status_code == 201
        assert pay(srv.url, payer, 100_000, code=OTHER).status_code == 201
        assert get_bill(srv.url, CODE).json()["bill"]["status"] == "unpaid"
        assert get_bill(srv.url, OTHER).json()["bill"]["amount_paid"] == 100_000
        # a refused request (tampered signature) pays nothing
        token = token_for(payer, srv.url, amount=50_000, payload=evn_bill_payload(CODE))
        assert post(srv.url, token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")).status_code == 400
        assert get_bill(srv.url, CODE).json()["bill"]["amount_paid"] == 0
    finally:
        srv.stop()


def test_payments_survive_a_restart(tmp_path):
    ledger = tmp_path / "ledger.sqlite3"
    srv = start_server(ledger)
    payer = new_payer(srv.url)
    assert pay(srv.url, payer, 120_000).status_code == 201
    port = srv.port
    srv.stop()
    from payer_app.payments.acquirer.endpoints import create_app
    from payer_app.payments.acquirer.server import AcquirerServer

    again = AcquirerServer(create_app(ledger, enrol_code="test-enrol-code-0001"), port=port).start()
    try:
        assert get_bill(again.url, CODE).json()["bill"]["amount_paid"] == 120_000
    finally:
        again.stop()


# --- the API the window uses -------------------------------------------------------------------
def test_client_and_service_give_a_typed_bill_or_none(server, tmp_path):
    client = HttpAcquirerClient(server.url)
    try:
        reply = client.bill(CODE)
        assert reply.http_status == 200 and reply.body["bill"]["customer_code"] == CODE
        sneaky = client.bill("../v1/health")  # the code stays one path segment (quoted): never another route
        assert sneaky.http_status == 404 and sneaky.body["error"] == "not-found" and "audiences" not in sneaky.body
        assert client.bill("PD13000123456?x=1").http_status == 400
    finally:
        client.close()
    with PaymentService(home=tmp_path / "home", acquirer_url=server.url) as service:
        bill = service.outstanding_bill(CODE)
        assert isinstance(bill, OutstandingBill) and bill.amount_due == bill.amount_total
        assert bill.amount_due_text.endswith(" ₫")
        assert service.outstanding_bill(UNKNOWN) is None
        assert service.outstanding_bill("nonsense") is None
    with PaymentService(home=tmp_path / "home", acquirer_url="http://127.0.0.1:9", timeout=2) as service:
        assert service.outstanding_bill(CODE) is None  # no answer: nothing to show, no exception


def test_embedded_acquirer_marks_its_bills_paid(tmp_path):
    with PaymentService(home=tmp_path / "home", payer=PayerInfo(DEMO_ACCOUNT, DEMO_BIN)) as service:
        before = service.outstanding_bill(CODE)
        assert before is not None and before.status == "unpaid"
        outcome = service.pay(parse_payload(evn_bill_payload(CODE)), PaymentChoice(200_000))
        assert outcome.status == "approved"
        after = service.outstanding_bill(CODE)
        assert (after.status, after.amount_paid, after.amount_due) == \
            ("partially-paid", 200_000, before.amount_total - 200_000)


def test_outstanding_bill_refuses_an_unreadable_answer():
    with pytest.raises(ValueError):
        OutstandingBill.from_dict({"customer_code": CODE})
    good = Biller(":memory:").bill(CODE).to_dict()
    for field, value in (("amount_due", -1), ("amount_due", "12"), ("amount_due", True), ("status", "stolen"),
                         ("customer_code", "X"), ("customer_name", "x" * 1000), ("last_paid_at", 5)):
        with pytest.raises(ValueError):
            OutstandingBill.from_dict({**good, field: value})
    assert OutstandingBill.from_dict(good).to_dict() == good


# --- the command -------------------------------------------------------------------------------
def run_process(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PAYER_APP_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "payer_app", *args], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """``payer-app ARGS`` with its data folder in ``home``, run in this process (tests/cli_in_process.py):
    what the command answers and its exit code; ``run_process`` starts the real process."""
    def run(*args: str, home: Path) -> subprocess.CompletedProcess:
        monkeypatch.setenv("PAYER_APP_HOME", str(home))
        code, out, err = cli_in_process.run(capsys, *args)
        return subprocess.CompletedProcess(args, code, out, err)

    return run


@pytest.mark.slow
def test_bill_command(server, tmp_path, run_cli):
    """The bill shown and the unknown customer's "no" by real processes (exit 0 and 1, stdout and stderr
    apart); the same command's other answers in this process (exit 2 and 3 from a real process:
    tests/test_cli_conventions.py)."""
    home = tmp_path / "home"
    payer = new_payer(server.url)
    assert pay(server.url, payer, 250_000).status_code == 201
    shown = run_process("bill", CODE, "--acquirer", server.url, home=home)
    assert shown.returncode == 0, shown.stderr
    bill = get_bill(server.url, CODE).json()["bill"]
    due = f"{bill['amount_due']:,}".replace(",", ".")
    assert f"Amount due   {due} ₫" in shown.stdout and "partially paid" in shown.stdout
    as_json = run_cli("bill", CODE, "--acquirer", server.url, "--json", home=home)
    assert as_json.returncode == 0 and json.loads(as_json.stdout) == {"found": True, "bill": bill}

    unknown = run_process("bill", UNKNOWN, "--acquirer", server.url, home=home)
    assert unknown.returncode == 1 and "unknown-customer" in unknown.stderr and "Traceback" not in unknown.stderr
    assert unknown.stdout == ""
    unknown_json = run_cli("bill", UNKNOWN, "--acquirer", server.url, "--json", home=home)
    assert unknown_json.returncode == 1 and json.loads(unknown_json.stdout)["error"] == "unknown-customer"
    malformed = run_cli("bill", "pd1\u202e3", "--acquirer", server.url, home=home)
    assert malformed.returncode == 2 and "\u202e" not in malformed.stderr and "EVN customer code" in malformed.stderr
    nobody = run_cli("bill", CODE, "--acquirer", "http://127.0.0.1:9", home=home)
    assert nobody.returncode == 3 and "no answer" in nobody.stderr
    embedded = run_cli("bill", OTHER, home=home)  # the embedded acquirer of the data folder
    assert embedded.returncode == 0 and "unpaid" in embedded.stdout


def test_unknown_rule_is_plain():
    assert is_customer_code(UNKNOWN)
    biller = Biller(":memory:")
    for code in ("PA00000009999", "PEABCDEFG9999"):
        with pytest.raises(LookupError):
            biller.bill(code)
    assert biller.bill("PD00000000000").status == "unpaid"  # the demo camera's customer has a bill


def test_the_period_a_payment_counts_against_is_the_issued_bills_on_every_day_of_a_year():
    """The acquirer's listener counts a payment under ``bill_period`` without drawing the bill; it
    must be the period of the bill issued that day, or a payment would count against no bill."""
    from datetime import date, timedelta

    from payer_app.payments.biller import bill_period
    from payer_app.studio.bill_spec import issued_evn_bill

    day = date(2026, 1, 1)
    while day.year == 2026:
        due = issued_evn_bill(CODE, day).resolve().due_date  # DD/MM/YYYY: the period's month and year
        assert bill_period(day) == due.split("/", 1)[1], day
        day += timedelta(days=1)



def test_a_bill_read_right_after_the_approval_shows_the_payment(server):
    """The biller hears of a payment after its answer is sent (the pipeline's listener thread); a payer
    who reads the bill as soon as the approval comes sees it paid. A listener put before the biller holds
    the listener thread until a timer lets it go: the read must wait for the biller, not answer 'unpaid'
    (it did: the read came before the biller had heard)."""
    import threading

    acquirer = server.server.config.app.state.acquirer
    go_on = threading.Event()
    acquirer.listeners.insert(0, lambda token, answer: go_on.wait(60))
    payer = new_payer(server.url)
    go_on.set()  # the enrolment's decisions heard; the payment's is held
    go_on.clear()
    total = get_bill(server.url, CODE).json()["bill"]["amount_total"]
    assert pay(server.url, payer, total).status_code == 201
    release = threading.Timer(2.0, go_on.set)  # after the read below has been sent
    release.start()
    try:
        assert get_bill(server.url, CODE).json()["bill"]["status"] == "paid"
    finally:
        release.cancel()
        go_on.set()
