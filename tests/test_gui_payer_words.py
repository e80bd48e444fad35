"""What the payer reads: no QA findings or technical words on the payer's screens (they belong in
the Inspector and the exports), and Qt's own texts in the UI language."""

from __future__ import annotations

from payer_app.core.builder import vietqr_payload
from payer_app.scan.demo_camera import demo_bill_payload


def test_demo_bill_payee_card_shows_no_qa_warning(window):
    window.open_payload(demo_bill_payload())
    assert window.current == "payee"
    payee = window.payee
    assert payee.continue_button.isVisibleTo(window)
    # the 30-character name is a standards finding for QA: the Inspector lists it, the payer does not see it
    assert not payee.warning_box.isVisibleTo(window)
    assert "Trường 59" not in payee.warning_text.text()
    codes = [f.code for f in window.ctx.flow.parsed.findings]
    assert "too-long" in codes


def test_payee_card_keeps_a_warning_that_changes_what_is_paid(window):
    window.open_payload(vietqr_payload("970999", "0011001234567"))  # a bank NAPAS does not list
    assert window.current == "payee"
    assert window.payee.warning_box.isVisibleTo(window)
    assert window.payee.warning_text.text().strip()
