"""A kiosk keeps a payment the acquirer did not answer and sends it again by itself, visibly: the
receipt says it is waiting and then shows the answer; a visitor who has gone (idle reset) leaves it
waiting, Home says so, and the answer is shown when it comes. Real kiosk window (offscreen), real
payment service, a real HTTP acquirer on 127.0.0.1 that is down and then up on the same port (same
ledger). The re-send timer is checked by its interval and fired (tests/gui_helpers.fire)."""

from __future__ import annotations

import socket

import pytest

from payer_app.core.builder import evn_bill_payload
from payer_app.gui.payment_runner import RESEND_SECONDS
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.endpoints import create_app
from tests.acquirer_helpers import LedgerServer, code_for
from tests.gui_helpers import fire, pay_typing_the_pin, tr

CODE = "KIOSK-RESEND-CODE-0001"  # at least 16 characters, as the acquirer requires
ANSWER_MS = 30_000


@pytest.fixture
def acquirer_port(tmp_path):
    """``(start, port)``: ``start()`` serves the acquirer on ``port`` (always the same ledger);
    ``start().stop()`` takes it away."""
    with socket.socket() as probe:  # a port nobody listens on yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    servers = []

    def start():
        server = LedgerServer(create_app(tmp_path / "acquirer.sqlite3", FailureSettings(), enrol_code=CODE),
                                port=port).start()
        servers.append(server)
        return server

    yield start, port
    for server in servers:
        server.stop()


def pending_kiosk_payment(qtbot, kiosk, acquirer_port):
    """A kiosk enrolled at the acquirer, which then goes away: a visitor pays and gets no answer."""
    start, port = acquirer_port
    first = start()
    window = kiosk(acquirer_url=first.url, kiosk_result_seconds=30)
    window.ctx.service.enrol(code=code_for(window.ctx.service, first.url), acquirer_url=first.url)
    first.stop()
    outcome = pay_typing_the_pin(qtbot, window, evn_bill_payload("PB12345678901"), 345_000)
    assert outcome.status == "pending"
    return window


def test_the_receipt_waits_for_the_answer_and_shows_it_when_the_acquirer_is_back(qtbot, kiosk, acquirer_port):
    window = pending_kiosk_payment(qtbot, kiosk, acquirer_port)
    result, resender = window.result, window.kiosk.resender
    assert result.title.text() == tr("result.pending")
    assert result.rows["message"].value.text() == tr("result.pending_reason_kiosk")
    assert result.status_line.text() == tr("result.resending", seconds=RESEND_SECONDS)
    assert resender.timer.isActive() and resender.timer.interval() == RESEND_SECONDS * 1000

    with qtbot.waitSignal(resender.waiting, timeout=ANSWER_MS) as round_done:  # still down: sent, no answer
        fire(resender.timer)
    assert round_done.args == [1] and resender.timer.isActive()
    assert result.title.text() == tr("result.pending")

    acquirer_port[0]()  # the acquirer is back (same address, same ledger)
    with qtbot.waitSignal(resender.answered, timeout=ANSWER_MS) as answered:
        fire(resender.timer)
    assert answered.args[0].status == "approved"
    assert window.current == "result"
    assert result.title.text() == tr("result.approved")
    assert result.rows["acquirer"].value.text() == tr("status.approved")
    assert result.status_line.text() == tr("result.resent_answer")
    assert window.kiosk.result_timer.isActive() and result.kiosk_seconds == 30  # the whole time to read it
    assert not resender.timer.isActive()  # nothing left to send


def test_a_pending_payment_outlives_the_idle_reset_and_its_answer_is_shown(qtbot, kiosk, acquirer_port):
    window = pending_kiosk_payment(qtbot, kiosk, acquirer_port)
    resender = window.kiosk.resender
    fire(window.kiosk.idle_timer)  # the visitor has gone: the warning, then the reset
    window.kiosk.idle_warning.expired.emit()
    assert window.current == "home"
    assert window.ctx.flow.outcome is None  # nothing of the visitor's payment on screen
    assert window.toast.isVisible() and window.toast.text() == tr("kiosk.pending_waiting", count=1)
    assert resender.timer.isActive()  # ...but the payment is kept and still sent again

    acquirer_port[0]()
    with qtbot.waitSignal(resender.answered, timeout=ANSWER_MS) as answered:
        fire(resender.timer)
    assert answered.args[0].status == "approved"
    assert window.current == "home"
    assert window.toast.isVisible()
    assert window.toast.text() == tr("kiosk.pending_answered", amount="345.000 ₫", status=tr("status.approved"))
    assert not resender.timer.isActive()


def test_a_kiosk_that_keeps_history_sends_again_what_was_pending_when_it_stopped(qtbot, kiosk, acquirer_port):
    start, _port = acquirer_port
    first = start()
    window = kiosk(acquirer_url=first.url, kiosk_result_seconds=30, kiosk_keep_history=True)
    window.ctx.service.enrol(code=code_for(window.ctx.service, first.url), acquirer_url=first.url)
    first.stop()
    assert pay_typing_the_pin(qtbot, window, evn_bill_payload("PB12345678901"), 345_000).status == "pending"
    window.close()  # the operator stops the kiosk before the acquirer is back

    start()
    window = kiosk(acquirer_url=first.url, kiosk_result_seconds=30, kiosk_keep_history=True)
    resender = window.kiosk.resender
    assert resender.timer.isActive() and resender.waiting_count == 1
    assert window.toast.text() == tr("kiosk.pending_waiting", count=1)
    with qtbot.waitSignal(resender.answered, timeout=ANSWER_MS) as answered:
        fire(resender.timer)
    assert answered.args[0].status == "approved"
    assert [e.status for e in window.ctx.service.history(10)] == ["approved"]
