"""The demo camera's bill and the window's amount-due chip say the same thing: the amount printed on
the bill the camera films is the amount the chip offers, for the period printed on it (one source:
``studio.bill_spec.issued_evn_bill``). Real window (offscreen), built-in acquirer and biller."""

from __future__ import annotations

from datetime import date

from payer_app.core.amounts import format_vnd
from payer_app.payments.biller import Biller
from payer_app.scan.demo_camera import DEMO_CUSTOMER_CODE, demo_bill_payload, demo_bill_spec
from payer_app.studio.bill_spec import current_bill_period
from tests.gui_helpers import click


def _printed_amount_due(rows) -> str:
    """The amount due as the bill prints it in its totals block (its last line)."""
    return rows[-1][1]


def test_the_biller_answers_with_the_bill_the_demo_camera_prints(tmp_path):
    printed = demo_bill_spec().resolve()
    bill = Biller(tmp_path / "ledger.sqlite3").bill(DEMO_CUSTOMER_CODE)
    assert bill.amount_due == bill.amount_total == printed.amount_due
    assert bill.customer_name == printed.customer_name
    assert bill.period_text == printed.subtitle
    month, year = current_bill_period(date.today())
    assert bill.period == f"{month:02d}/{year}"
    assert date.fromisoformat(bill.due_date) >= date.today()  # a booth never shows an overdue bill
    assert printed.payload == demo_bill_payload()


def test_the_amount_due_chip_shows_the_amount_printed_on_the_demo_bill(qtbot, make_window):
    printed = demo_bill_spec().resolve()
    window = make_window(camera="demo", lang="vi")
    with qtbot.waitSignal(window.amount_due.answered, timeout=30_000):
        window.open_payload(demo_bill_payload())
        click(qtbot, window.payee.continue_button)
    qtbot.waitUntil(lambda: window.amount.due_box.chip.isVisibleTo(window), timeout=30_000)
    chip = window.amount.due_box.chip.text()
    assert chip == format_vnd(printed.amount_due)
    assert chip == _printed_amount_due(printed.totals) + " ₫"  # as the bill prints it
    month, year = current_bill_period(date.today())
    assert f"{month:02d}/{year}" in window.amount.due_box.detail.text()
