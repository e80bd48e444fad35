"""`payer-app parse` as QA scripts call it: a real subprocess, exit codes, JSON contract."""

import json
import subprocess
import sys

import pytest

from tests.spec_vectors import EVN_BILL, VIETQR_ACB, VIETQR_ACB_BAD_CRC, VNPAY_SUNFLY


def run_cli(*args, stdin: bytes | None = None):
    return subprocess.run(
        [sys.executable, "-m", "payer_app", *args], input=stdin, capture_output=True, timeout=60
    )


def test_json_contract_for_evn_bill():
    r = run_cli("parse", "--json", EVN_BILL)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["valid"] is True and d["profile"] == "lenient"
    assert d["crc"] == {"found": "DC30", "computed": "DC30", "ok": True}
    assert d["scheme"] == "evn" and d["initiation"] == "static" and d["amount"] is None
    assert d["merchant"]["mcc"] == "4900"
    assert d["account"]["id"] == "0100101114-019" and d["account"]["bank_bin"] is None
    assert d["bill"]["evn_customer_code"] == "PD00000000000" and d["bill"]["evn_corporation"] == "EVNHANOI"
    assert [f["code"] for f in d["findings"]] == ["too-long"]


def test_strict_flag_changes_exit_code():
    assert run_cli("parse", EVN_BILL).returncode == 0
    r = run_cli("parse", "--strict", "--json", EVN_BILL)
    assert r.returncode == 1
    d = json.loads(r.stdout)
    assert d["profile"] == "strict" and d["valid"] is False
    assert d["findings"][0]["severity"] == "error"


def test_bad_crc_exit_1_with_readable_report():
    r = run_cli("parse", VIETQR_ACB_BAD_CRC)
    assert r.returncode == 1
    out = r.stdout.decode()
    assert "INVALID" in out and "crc-mismatch" in out and "computed BBB8" in out


def test_readable_report_shows_tree_derived_view_and_findings():
    out = run_cli("parse", VIETQR_ACB).stdout.decode()
    assert "38 Merchant account information (template)" in out
    assert "00 Acquirer id (bank BIN)" in out
    assert "970416 ACB - Ngân hàng TMCP Á Châu" in out
    assert "1.000 ₫" in out
    assert "Findings: none" in out


def test_vietnamese_messages():
    out = run_cli("parse", "--lang", "vi", VIETQR_ACB_BAD_CRC).stdout.decode()
    assert "Mã kiểm tra sai" in out


def test_stdin_input():
    r = run_cli("parse", "--json", "-", stdin=(VNPAY_SUNFLY + "\n").encode())
    assert r.returncode == 0
    assert json.loads(r.stdout)["scheme"] == "vnpay"


@pytest.mark.parametrize(
    "data",
    [b"", b"https://www.evn.com.vn/", b"\x00\xff\xfe\x80garbage\x01", b"9" * 100_000,
     b"000201010212389" , b"00020101021238990010"],
)
def test_bad_input_gives_findings_and_exit_1_never_a_traceback(data):
    r = run_cli("parse", "--json", "-", stdin=data)
    assert r.returncode == 1, r.stderr
    assert b"Traceback" not in r.stderr
    d = json.loads(r.stdout)
    assert d["valid"] is False and d["findings"]


def test_usage_errors_exit_2():
    assert run_cli("parse").returncode == 2
    assert run_cli("parse", "--bogus", EVN_BILL).returncode == 2
    assert run_cli("no-such-command").returncode == 2
