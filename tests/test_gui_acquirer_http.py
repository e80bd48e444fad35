"""The window paying through the HTTP mock acquirer set in Settings (a real server on a free
loopback port): the key enrolled from Settings with a code issued for the payer's account, a payment refused for an
unenrolled key, a declined payment and an unreachable acquirer are shown as such, and a pending
payment is re-sent from History to the acquirer it was first sent to."""

from __future__ import annotations

import socket

import pytest
from PySide6.QtTest import QTest

from payer_app.core.builder import evn_bill_payload
from payer_app.core.keys import SigningKey
from payer_app.core.signing import verify_request
from payer_app.gui.settings import Settings, save_settings
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.endpoints import create_app
from payer_app.payments.keystore import KeyStore
from tests.acquirer_helpers import LedgerServer, Payer, account_code, enrol
from tests.gui_helpers import click, pay, tr

CODE = "ENROL-7Q2X-94KD-0001"  # at least 16 characters, as the acquirer requires


@pytest.fixture
def acquirer(tmp_path):
    servers = []

    def start(failures: FailureSettings | None = None, port: int = 0, ledger: str = "acquirer.sqlite3"):
        server = LedgerServer(create_app(tmp_path / ledger, failures or FailureSettings(), enrol_code=CODE),
                                port=port).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def open_window(make_window, acquirer_url: str):
    """A window whose saved settings send payments to the acquirer at ``acquirer_url``."""
    save_settings(Settings(acquirer_url=acquirer_url))
    return make_window(camera="demo")


def enrol_in_settings(qtbot, window, code: str) -> str:
    click(qtbot, window.home.settings_button)
    screen = window.settings_screen
    QTest.keyClicks(screen.enrol_code, code)
    click(qtbot, screen.enrol_button)
    qtbot.waitUntil(lambda: screen.enrol_button.isEnabled(), timeout=15_000)
    status = screen.enrol_status.text()
    click(qtbot, screen.top.back)
    return status


def test_the_enrolment_lock_out_is_said_in_the_windows_language(qtbot, make_window, acquirer):
    server = acquirer()
    stranger = Payer(SigningKey.generate())
    for attempt in range(5):  # someone guessing codes locks enrolment for a minute
        assert enrol(server.url, stranger, code=f"WRONG-GUESS-{attempt:05d}").status_code == 401
    window = open_window(make_window, server.url)
    assert enrol_in_settings(qtbot, window, account_code(server.url)) == tr("settings.enrol_error.too-many-attempts")


def pay_the_bill(qtbot, window):
    return pay(qtbot, window, evn_bill_payload("PB12345678901"), 345_000)


def test_an_unenrolled_key_is_refused_with_a_way_forward_then_enrolled_from_settings(
    qtbot, make_window, acquirer, payer_home
):
    server = acquirer()
    window = open_window(make_window, server.url)
    outcome = pay_the_bill(qtbot, window)
    assert outcome is None  # refused before anything was signed or sent
    result = window.result
    assert result.title.text() == tr("result.failed")
    assert result.amount.property("role") == "big-amount-bad"  # failure colours, not success green
    assert result.rows["message"].value.text()== tr("problem.key-not-enrolled")
    assert result.rows["message"].caption.text() == tr("result.reason")
    # no buttons that would do nothing
    for b in (result.save_button, result.copy_button, result.qr_button, result.json_button):
        assert not b.isVisibleTo(window)
    click(qtbot, result.new_button)

    assert enrol_in_settings(qtbot, window, "WRONG-CODE") == tr("settings.enrol_error.bad-enrolment-code")
    status = enrol_in_settings(qtbot, window, account_code(server.url))
    assert "đã được đăng ký" in status, status
    outcome = pay_the_bill(qtbot, window)
    assert outcome.status == "approved"
    assert verify_request(outcome.jws, KeyStore(payer_home)).ok


def test_declined_by_the_http_acquirer(qtbot, make_window, acquirer, payer_home):
    server = acquirer(FailureSettings(decline_rate=1.0))
    window = open_window(make_window, server.url)
    enrol_in_settings(qtbot, window, account_code(server.url))
    outcome = pay_the_bill(qtbot, window)
    assert outcome.status == "declined"
    assert window.result.title.text() == tr("result.declined")
    assert outcome.http_status == 402  # the status code is for the Inspector and exports, not the payer
    assert window.result.rows["acquirer"].value.text() == tr("status.declined")
    assert window.result.amount.property("role") == "big-amount-bad"
    assert window.result.rows["message"].caption.text() == tr("result.reason")
    assert verify_request(outcome.jws, KeyStore(payer_home)).ok


def test_a_pending_payment_is_retried_from_history_to_the_acquirer_it_was_sent_to(
    qtbot, make_window, acquirer, payer_home
):
    with socket.socket() as s:  # a port nobody listens on yet
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    first = acquirer(port=port)
    window = open_window(make_window, first.url)
    enrol_in_settings(qtbot, window, account_code(first.url))
    first.stop()  # the acquirer goes away: the next payment gets no answer
    outcome = pay_the_bill(qtbot, window)
    assert outcome.status == "pending"
    assert window.result.title.text() == tr("result.pending")
    reason = window.result.rows["message"].value.text()
    assert reason == tr("result.pending_reason")
    click(qtbot, window.result.new_button)
    click(qtbot, window.home.history_button)
    history = window.history
    assert [e.status for e in history.entries] == ["pending"]
    assert history.retry_button.isVisibleTo(window)
    acquirer(port=port)  # the same acquirer (same ledger, same address) is back
    click(qtbot, history.retry_button)
    qtbot.waitUntil(lambda: [e.status for e in history.entries] == ["approved"], timeout=20_000)
    assert history.status_line.text() == tr("history.retried", count=1, approved=1)
    assert not history.retry_button.isVisibleTo(window)
