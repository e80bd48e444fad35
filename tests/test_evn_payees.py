"""EVN only when the payee is EVN: the bundled registry of EVN's collection payees, and the parser's
rule that a QR dressed as an EVN bill (MCC 4900 with EVN's template or a customer code) that pays
anyone else is a scam sticker, not an EVN bill."""

from __future__ import annotations

import subprocess
import sys

import pytest

from payer_app.core.builder import build_payload, evn_bill_payload, vnpay_payload
from payer_app.core.evn_payees import COLUMNS, EvnPayees, EvnPayeesError
from payer_app.core.payload import parse_payload
from payer_app.core.report import format_report
from tests.spec_vectors import EVN_BILL, SCAM_CUSTOMER, SCAM_STICKER

REGISTRY = EvnPayees.bundled()


def codes(parsed) -> list[str]:
    return [f.code for f in parsed.findings]


def test_the_scam_sticker_is_not_an_evn_bill_and_says_whom_it_pays():
    parsed = parse_payload(SCAM_STICKER)
    assert parsed.scheme != "evn"
    assert parsed.bill.evn_customer_code is None and parsed.bill.evn_corporation is None
    assert parsed.bill.customer_label == SCAM_CUSTOMER  # the label is still read, only not believed
    finding = next(f for f in parsed.findings if f.code == "evn-payee-unknown")
    assert finding.severity == "warning" and finding.path == "26.01" and finding.offset == 22
    assert "claims to be an EVN bill but pays ATTACKER-SHOP-1, which is not an EVN collection account" in (
        finding.message)
    assert "ATTACKER-SHOP-1" in finding.message_vi and "không phải tài khoản thu tiền của EVN" in finding.message_vi


def test_the_report_does_not_call_the_scam_sticker_an_evn_bill():
    for lang in ("en", "vi"):
        report = format_report(parse_payload(SCAM_STICKER), lang)
        assert "EVN electricity bill" not in report and "EVN customer" not in report
        assert "Findings: none" not in report and "evn-payee-unknown" in report


def test_parse_cli_reports_the_warning_and_another_scheme():
    run = subprocess.run([sys.executable, "-m", "payer_app", "parse", SCAM_STICKER], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr  # a warning, not an error: the payload is well formed
    assert "WARNING evn-payee-unknown" in run.stdout
    assert "Scheme               Other EMVCo QR" in run.stdout
    assert "EVN electricity bill" not in run.stdout and "EVN customer" not in run.stdout


def test_every_registered_payee_makes_an_evn_bill():
    assert len(REGISTRY) >= 5
    assert {p.corporation for p in REGISTRY.payees} == {"PA", "PB", "PC", "PD", "PE"}
    for payee in REGISTRY.payees:
        parsed = parse_payload(evn_bill_payload(payee.company_code + "000123456", merchant_id=payee.merchant_id))
        assert parsed.scheme == "evn" and "evn-payee-unknown" not in codes(parsed), payee
        assert parsed.bill.evn_corporation == payee.corporation_short_name
    real = parse_payload(EVN_BILL)  # the real Thanh Xuân bill
    assert real.scheme == "evn" and "evn-payee-unknown" not in codes(real)


def test_a_look_alike_with_any_other_merchant_id_is_flagged():
    for merchant_id in ("0100101114-0190", "0100101114-01", "0100101114-999", " 0100101114-019"):
        parsed = parse_payload(evn_bill_payload("PD11000000001", merchant_id=merchant_id))
        assert parsed.scheme != "evn" and "evn-payee-unknown" in codes(parsed), merchant_id


def vietqr_dressed_as_evn(bank_bin: str, account: str) -> str:
    """A VietQR transfer with MCC 4900 and an EVN customer code in 62.06."""
    return build_payload([
        ("00", "01"), ("01", "11"),
        ("38", [("00", "A000000727"), ("01", [("00", bank_bin), ("01", account)]), ("02", "QRIBFTTA")]),
        ("52", "4900"), ("53", "704"), ("58", "VN"), ("59", "EVN HA NOI"), ("60", "Ha Noi"),
        ("62", [("06", "PD11000000001")]),
    ])


def test_a_bank_transfer_dressed_as_an_evn_bill_is_flagged_unless_it_pays_evns_account():
    parsed = parse_payload(vietqr_dressed_as_evn("970436", "1234567890"))
    assert parsed.scheme == "vietqr" and "evn-payee-unknown" in codes(parsed)
    assert next(f for f in parsed.findings if f.code == "evn-payee-unknown").path == "38.01"
    evn_account = REGISTRY.payees[0]
    parsed = parse_payload(vietqr_dressed_as_evn(evn_account.bank_bin, evn_account.account))
    assert "evn-payee-unknown" not in codes(parsed)


def test_other_utilities_and_shops_are_not_flagged():
    water = parse_payload(vnpay_payload("0101234567", "NUOC SACH HA NOI", "Ha Noi", mcc="4900"))
    shop = parse_payload(vnpay_payload("0101234567", "SHOP", "Ha Noi", mcc="5499"))
    assert "evn-payee-unknown" not in codes(water) + codes(shop)


def test_the_registry_is_data_passed_in_or_bundled():
    row = "PD99,PD,Cong ty thu nghiem,Ha Noi,Hà Nội,ATTACKER-SHOP-1,970436,1\n"
    mine = EvnPayees.from_csv_text(",".join(COLUMNS) + "\n" + row, "mine.csv")
    assert parse_payload(SCAM_STICKER, payees=mine).scheme == "evn"
    assert parse_payload(EVN_BILL, payees=mine).scheme != "evn"
    assert REGISTRY.by_merchant_id("0100101114-019").name == "Công ty Điện lực Thanh Xuân"
    assert REGISTRY.by_merchant_id("ATTACKER-SHOP-1") is None and REGISTRY.by_merchant_id(None) is None


@pytest.mark.parametrize(("text", "problem"), [
    ("company_code,name\n", "missing column(s) corporation"),
    (",".join(COLUMNS) + "\nPD11,PX,N,C,C,M,970436,1\n", "mine.csv:2: corporation 'PX' is not PA..PE"),
    (",".join(COLUMNS) + "\nPE11,PD,N,C,C,M,970436,1\n", "mine.csv:2: company code 'PE11' is not of its"),
    (",".join(COLUMNS) + "\nPD11,PD,N,C,C,M,9704,1\n", "mine.csv:2: bank_bin '9704' is not 6 digits"),
    (",".join(COLUMNS) + "\nPD11,PD,N,C,C,,970436,1\n", "mine.csv:2: empty merchant_id"),
])
def test_a_bad_registry_is_one_clear_line(text, problem):
    with pytest.raises(EvnPayeesError, match=None) as caught:
        EvnPayees.from_csv_text(text, "mine.csv")
    assert problem in str(caught.value) and "\n" not in str(caught.value)
