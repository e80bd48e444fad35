"""The receipt to take away: the PDF, the receipt QR and the CLI, each marked as a simulation."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
import zxingcpp

from payer_app.core.choice import PaymentChoice
from payer_app.core.crc import payload_crc
from payer_app.core.payload import parse_payload
from payer_app.core.receipt import SIMULATION_MARK, receipt_of
from payer_app.core.request import PayerInfo, build_request
from payer_app.payments.receipt import write_receipt_pdf
from payer_app.qr_symbol import qr_pixels
from payer_app.studio.receipt_pdf import receipt_pdf_bytes

HEAD = "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704"
HOSTILE_NAME = "ACME\u202eLIAP\x1b[31m (x) \\ <b>"


def fee_qr() -> str:
    body = HEAD + "5406100000" + "550202" + "560550000" + "5802VN6304"
    return body + payload_crc(body)


def request(name: str | None = "CONG TY ACME"):
    built = build_request(parse_payload(fee_qr()), PaymentChoice(note="Tiền điện tháng 11"), payer=PayerInfo())
    return dataclasses.replace(built, payee=dataclasses.replace(built.payee, merchant_name=name))


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def has_pdftotext():
    import shutil

    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the receipt PDF back")


def test_the_pdf_carries_the_mark_the_total_and_the_payee(tmp_path, has_pdftotext):
    receipt = receipt_of(request(), "approved", "ACQ-123")
    path = tmp_path / "r.pdf"
    write_receipt_pdf(receipt, path)
    text = pdf_text(path)
    assert SIMULATION_MARK in text
    assert "150.000 ₫" in text  # 100.000 + fee 50.000
    assert "50.000 ₫" in text
    assert "CONG TY ACME" in text
    assert "ACQ-123" in text
    assert "Tiền điện tháng 11" in text


def test_a_hostile_payee_name_is_escaped_in_the_pdf_and_the_qr(tmp_path, has_pdftotext):
    receipt = receipt_of(request(HOSTILE_NAME), "approved", "REF\x00\u202e")
    assert "\u202e" not in receipt.payee_name and "\x1b" not in receipt.payee_name
    assert "\\u202e" in receipt.payee_name and "\\x1b" in receipt.payee_name
    assert "\x00" not in receipt.reference
    path = tmp_path / "h.pdf"
    write_receipt_pdf(receipt, path)
    text = pdf_text(path)
    assert "\u202e" not in text and "\x1b" not in text
    assert "\\u202e" in text
    assert "\u202e" not in receipt.qr_text()


def test_the_receipt_qr_decodes_to_text_with_the_mark():
    receipt = receipt_of(request(), "approved", "ACQ-123")
    pixels = qr_pixels(receipt.qr_text(), module_px=4, error="l")
    found = zxingcpp.read_barcodes(cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR))
    assert len(found) == 1
    text = found[0].text
    assert text.startswith(SIMULATION_MARK)
    assert "150.000 ₫" in text and "CONG TY ACME" in text and "ACQ-123" in text


def test_the_uncompressed_pdf_is_a_pdf_with_one_page():
    data = receipt_pdf_bytes(receipt_of(request(), "pending", None), compress=False)
    assert data.startswith(b"%PDF-") and data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") >= 1


def test_the_receipt_command_for_an_unknown_request_is_a_usage_error(tmp_path):
    env = {"PAYER_APP_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "payer_app", "receipt", "no-such-id", "-o", str(tmp_path / "x.pdf")],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2
    assert done.stderr.startswith("payer-app: error: ")
    assert not (tmp_path / "x.pdf").exists()
