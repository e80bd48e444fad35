"""A kiosk with *keep history* on: each visitor's History (and Home's recent payments, and the CSV
it exports) lists only that visitor's own payments; the history file keeps everyone's for the
operator (``payer-app history``). Real kiosk window, real PaymentService and embedded acquirer."""

from __future__ import annotations

import csv

from PySide6.QtWidgets import QPushButton

from payer_app.core.builder import evn_bill_payload, vietqr_payload
from payer_app.payments.service import PaymentService
from tests.gui_helpers import pay
from tests.kiosk_visit_helpers import next_visitor

BILL = evn_bill_payload("PD01000123456")
SHOP = vietqr_payload("970416", "257678859")


def listed(window, screen) -> list[QPushButton]:
    """The payment rows ``screen`` (Home or History) lists now."""
    layout = screen.recent_rows if screen is window.home else screen.card.body
    widgets = [layout.itemAt(i).widget() for i in range(layout.count())]
    return [w for w in widgets if isinstance(w, QPushButton) and w.objectName() == "HistoryRow"]


def paid(qtbot, window, payload: str, amount: int):
    outcome = pay(qtbot, window, payload, amount)
    assert outcome is not None and outcome.status == "approved", window.result.title.text()
    window.new_payment()
    return outcome


def test_two_visits_the_second_sees_none_of_the_firsts_payments(qtbot, kiosk, payer_home, tmp_path):
    window = kiosk(kiosk_keep_history=True)
    next_visitor(qtbot, window)
    first = [paid(qtbot, window, BILL, 120_000), paid(qtbot, window, SHOP, 75_000)]
    window.go("history")
    assert [e.request_id for e in window.history.entries] == [o.request_id for o in reversed(first)]
    assert len(listed(window, window.history)) == 2

    window.new_payment()
    second_account = next_visitor(qtbot, window)
    assert window.home.recent_card.isVisible()
    assert listed(window, window.home) == []  # Home's recent payments: none of the first visitor's
    window.go("history")
    assert window.history.entries == [] and listed(window, window.history) == []
    mine = paid(qtbot, window, BILL, 33_000)
    assert len(listed(window, window.home)) == 1
    window.go("history")
    assert [e.request_id for e in window.history.entries] == [mine.request_id]
    assert mine.request.payer.account == second_account.account
    exported = tmp_path / "visitor.csv"
    assert window.history.export_csv(str(exported))
    with exported.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["request_id"] for row in rows] == [mine.request_id]

    # the operator still has everything: the data folder's history file, as `payer-app history` reads it
    with PaymentService(payer_home) as operator:
        assert {e.request_id for e in operator.history(100)} == {o.request_id for o in [*first, mine]}


def test_a_kiosk_that_keeps_one_account_for_everyone_still_shows_each_visitor_only_their_visit(
        qtbot, kiosk, tmp_path, payer_home):
    """``gui --kiosk --acquirer URL`` without the booth's code opens no account per visitor: every
    visitor pays from the same one, and History still lists only what was paid since the visit began."""
    import sqlite3
    from datetime import timedelta

    from payer_app.core.timestamps import format_timestamp, parse_timestamp
    from tests.acquirer_helpers import code_for, start_server

    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        window = kiosk(acquirer_url=server.url, kiosk_keep_history=True)
        window.ctx.service.enrol(code=code_for(window.ctx.service, server.url), acquirer_url=server.url)
        earlier = paid(qtbot, window, BILL, 120_000)
        account = window.ctx.service.payer
        # the idle reset comes a while after that payment, as it does at a booth: the payment is dated
        # a minute back in the history file (the whole second of the reset may be the payment's own here)
        with sqlite3.connect(payer_home / "history.sqlite3") as db:
            stamp = db.execute("SELECT created_at FROM requests WHERE request_id = ?",
                               (earlier.request_id,)).fetchone()[0]
            minute_back = format_timestamp(parse_timestamp(stamp) - timedelta(minutes=1))
            db.execute("UPDATE requests SET created_at = ? WHERE request_id = ?", (minute_back, earlier.request_id))
        window.kiosk.idle_warning.expired.emit()
        assert window.current == "home" and window.ctx.service.payer == account  # no new account here
        assert listed(window, window.home) == []
        window.go("history")
        assert window.history.entries == []
        mine = paid(qtbot, window, SHOP, 75_000)
        window.go("history")
        assert [e.request_id for e in window.history.entries] == [mine.request_id] != [earlier.request_id]
    finally:
        server.stop()
