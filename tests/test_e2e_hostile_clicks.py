"""End to end, as a hurried user at a real window (Xvfb under openbox, xdotool): a double click on
Amount's Continue lands its second click where Review's Confirm now is, one on Review's Confirm where
the face check's *Mô phỏng thành công* now is, and Enter pressed twice does the same by keyboard;
none may confirm or pass what the payer has not seen. The demo camera is used (with it the check is
the labelled simulate pair) and its EVN bill is paid 101,000,000 ₫, over EVN's exemption. Then Escape
steps back, and Alt+F4 with the face check open closes the window with nothing signed: the embedded
acquirer's ledger and the history stay empty."""

from __future__ import annotations

from payer_app.payments.accounts import PayerAccounts
from payer_app.payments.history import HISTORY_FILE, History
from payer_app.payments.service import EMBEDDED_LEDGER_FILE
from tests.acquirer_helpers import ledger_rows
from tests.e2e.marks import X_SCREEN
from tests.e2e.window import RunningWindow, check_shot, scan_to_payee

pytestmark = X_SCREEN



def test_a_double_click_or_a_double_enter_never_passes_the_face_check(x_server, tmp_path, payer_home):
    accounts = PayerAccounts(payer_home)
    accounts.add("970436", "0011001234567", "NGUYEN VAN A", balance=500_000_000)
    accounts.add("970415", "1234567890", "TRAN THI B", balance=500_000_000)
    display = x_server(1280, 720)
    shots = tmp_path / "shots"
    app = RunningWindow(display, payer_home, shots, "--camera", "demo", "--lang", "vi")
    try:
        assert app.wait_shown()["screen"] == "home"
        scan_to_payee(app)
        app.key("Return")
        app.wait_for_screen("amount")
        app.key("ctrl+a")  # the amount due may be offered: what is typed replaces it
        app.type("101000000")
        amount = app.where()
        x, y = amount["targets"]["continue"]
        app.click_at(x, y, "--repeat", "2", "--delay", "60")
        review = app.wait_for_screen("review")
        assert app.where()["screen"] == "review"  # the second click did not confirm what was not seen
        x, y = review["targets"]["confirm"]
        app.click_at(x, y, "--repeat", "2", "--delay", "60")
        face = app.wait_for_screen("face_check")
        assert "simulate_pass" in face["targets"], face  # the simulate pair is on screen
        assert app.where()["screen"] == "face_check"  # the second click did not answer the check
        app.shot("face-check-after-double-click")
        app.key("Escape")
        app.wait_for_screen("review")
        app.key("Return", "Return")  # Enter twice: Confirm, then nothing
        app.wait_for_screen("face_check")
        assert app.where()["screen"] == "face_check"
        app.key("alt+F4")
        assert app.proc.wait(60) == 0
    finally:
        app.close()
    check_shot(shots / "face-check-after-double-click.png")
    ledger = payer_home / EMBEDDED_LEDGER_FILE
    assert not ledger.exists() or ledger_rows(ledger) == []
    history = payer_home / HISTORY_FILE
    assert not history.exists() or History(history).list() == []
