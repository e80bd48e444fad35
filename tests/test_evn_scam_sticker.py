"""A scam sticker over an EVN bill, end to end: the studio's EVN bills pay EVN's registered payees
(so they stay EVN bills), the corpus labels scam-sticker cases, and paying a sticker through the real
acquirer over HTTP leaves the victim's bill unpaid in ``payer-app bill``."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from payer_app.cli import main
from payer_app.core.builder import evn_bill_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.evn_payees import EvnPayees
from payer_app.core.payload import parse_payload
from payer_app.core.request import PaymentRequest, build_request
from payer_app.payments.biller import Biller, customer_code_of
from payer_app.scan.demo_camera import demo_bill_payload
from payer_app.studio.bill_spec import POWER_BRANCHES, BillSpec
from payer_app.studio.corpus import generate_corpus
from payer_app.studio.payload_faults import FAULTS_BY_NAME
from tests import cli_in_process
from tests.acquirer_helpers import account_code, start_server
from tests.spec_vectors import SCAM_CUSTOMER, SCAM_STICKER

REGISTRY = EvnPayees.bundled()


# --- the studio ---------------------------------------------------------------------------------
def test_the_studio_bills_pay_evns_registered_payees():
    assert [b.merchant_id for b in POWER_BRANCHES] == [p.merchant_id for p in REGISTRY.payees]
    evn_bills = [spec for spec in (BillSpec.random(seed) for seed in range(300)) if spec.kind == "evn"]
    assert len(evn_bills) > 50
    for spec in evn_bills:
        parsed = parse_payload(spec.payload())
        assert parsed.scheme == "evn", spec
        assert REGISTRY.by_merchant_id(parsed.account.id) is not None
    for payload in (demo_bill_payload(), evn_bill_payload("PD00000000000")):
        assert parse_payload(payload).scheme == "evn"


def test_a_studio_bill_with_another_merchant_id_is_a_scam_sticker():
    parsed = parse_payload(BillSpec(kind="evn", customer=SCAM_CUSTOMER, merchant_id="ATTACKER-SHOP-1").payload())
    assert parsed.scheme != "evn" and "evn-payee-unknown" in [f.code for f in parsed.findings]


# --- the corpus ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["scam-sticker", "scam-sticker-transfer"])
def test_scam_sticker_faults_keep_the_victims_code_and_pay_someone_else(fault):
    base = BillSpec(kind="evn", customer="PE15000000042").payload()
    for seed in range(20):
        parsed = parse_payload(FAULTS_BY_NAME[fault].apply(base, random.Random(seed)))
        assert parsed.valid and parsed.scheme != "evn" and parsed.merchant.mcc == "4900"
        assert parsed.bill.customer_label == "PE15000000042"
        assert "evn-payee-unknown" in [f.code for f in parsed.findings]
        assert {f.code for f in parsed.findings} <= {"evn-payee-unknown", "too-long"}  # EVN's 31-character name


def test_the_corpus_labels_scam_sticker_cases(tmp_path, capsys):
    assert main(["generate", "corpus", str(tmp_path), "--count", "30", "--seed", "2"]) == 0
    capsys.readouterr()
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    scams = [e for e in manifest["entries"] if e["fault"].startswith("scam-sticker")]
    assert {e["fault"] for e in scams} == {"scam-sticker", "scam-sticker-transfer"}
    for entry in scams:
        assert entry["fault_finding"] == "evn-payee-unknown"
        assert "evn-payee-unknown" in entry["expected"]["finding_codes"]
        assert entry["expected"]["scheme"] != "evn"
    for entry in manifest["entries"]:  # and nothing else is called a scam
        if not entry["fault"].startswith("scam-sticker"):
            assert "evn-payee-unknown" not in entry["expected"]["finding_codes"], entry["file"]
    assert generate_corpus(tmp_path / "again", 30, 2)["entries"] == manifest["entries"]


# --- the biller ---------------------------------------------------------------------------------
def _evn_request_paying(merchant_id: str) -> PaymentRequest:
    """A request read back from signed JSON that calls itself an EVN bill payment to ``merchant_id``
    (as a request signed by another payer app could)."""
    registered = REGISTRY.payees[0].merchant_id
    built = build_request(parse_payload(evn_bill_payload(SCAM_CUSTOMER, merchant_id=registered)),
                          PaymentChoice(100_000))
    data = built.to_dict()
    data["payee"]["merchant_id"] = merchant_id
    data["payer"]["key_id"] = "k1"  # set when signed
    return PaymentRequest.from_dict(data)


def test_the_biller_counts_only_payments_to_evns_own_merchant_ids():
    stranger = _evn_request_paying("ATTACKER-SHOP-1")
    assert stranger.payee.scheme == "evn" and customer_code_of(stranger) is None
    assert Biller(":memory:").record_payment(stranger, "970436/1", "ref") is None
    assert customer_code_of(_evn_request_paying("0100101114-004")) == SCAM_CUSTOMER


@pytest.fixture
def cli(capsys, monkeypatch):
    """``payer-app`` run in this process (``tests/cli_in_process.py``): the test is about what the biller
    counts, over the real acquirer's HTTP; ``pay`` and ``bill`` as processes are tested in
    tests/test_payments_cli.py and tests/test_cli_conventions.py."""
    def run(*args: str, home: Path) -> subprocess.CompletedProcess:
        monkeypatch.setenv("PAYER_APP_HOME", str(home))
        code, out, err = cli_in_process.run(capsys, *args)
        return subprocess.CompletedProcess(args, code, out, err)

    return run


def test_paying_the_scam_sticker_leaves_the_victims_bill_unpaid(tmp_path, cli):
    server = start_server(tmp_path / "ledger.sqlite3")
    home = tmp_path / "home"
    try:
        url = server.url
        enrolled = cli("keys", "enrol", "--acquirer", url, "--code", account_code(url), home=home)
        assert enrolled.returncode == 0, enrolled.stderr
        due = json.loads(cli("bill", SCAM_CUSTOMER, "--acquirer", url, "--json", home=home).stdout)["bill"]
        # the bank has no merchant ATTACKER-SHOP-1: pay refuses it unless told to pay anyway (the biller is tested here)
        paid = cli("pay", SCAM_STICKER, "--amount", str(due["amount_due"]), "--acquirer", url, "--pay-unknown-account",
                   home=home)
        assert paid.returncode == 0 and "APPROVED" in paid.stderr, paid.stderr
        after = cli("bill", SCAM_CUSTOMER, "--acquirer", url, "--json", home=home)
        bill = json.loads(after.stdout)["bill"]
        assert (bill["status"], bill["amount_paid"], bill["payments"]) == ("unpaid", 0, 0)
        shown = cli("bill", SCAM_CUSTOMER, "--acquirer", url, home=home)
        assert shown.returncode == 0 and "unpaid" in shown.stdout
        # the same amount paid to EVN's own collection merchant id does pay it
        real = evn_bill_payload(SCAM_CUSTOMER, merchant_id="0100101114-004")
        assert cli("pay", real, "--amount", str(due["amount_due"]), "--acquirer", url, home=home).returncode == 0
        bill = json.loads(cli("bill", SCAM_CUSTOMER, "--acquirer", url, "--json", home=home).stdout)["bill"]
        assert (bill["status"], bill["amount_due"]) == ("paid", 0)
    finally:
        server.stop()
