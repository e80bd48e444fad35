"""The window paying through the HTTP mock acquirer set in Settings (a real server on a free
loopback port): a declined payment and an unreachable acquirer are shown as such."""

from __future__ import annotations

import socket

import pytest
from PySide6.QtCore import Qt

from payer_app.core.builder import evn_bill_payload
from payer_app.core.keystore import KeyStore
from payer_app.core.signing import verify_request
from payer_app.gui.app import create_window, ensure_application
from payer_app.gui.settings import Settings, save_settings
from payer_app.payments.acquirer import AcquirerServer, FailureSettings, create_app


@pytest.fixture
def acquirer(tmp_path):
    servers = []

    def start(failures: FailureSettings):
        server = AcquirerServer(create_app(tmp_path / "acquirer.sqlite3", failures)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def pay_through(qtbot, acquirer_url: str):
    save_settings(Settings(acquirer_url=acquirer_url))
    ensure_application()
    window = create_window(camera="demo")
    qtbot.addWidget(window)
    window.show()
    window.open_payload(evn_bill_payload("PB12345678901"))
    qtbot.mouseClick(window.payee.continue_button, Qt.MouseButton.LeftButton)
    window.amount.edit.set_value(345_000)
    qtbot.mouseClick(window.amount.continue_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.review.confirm_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(window.payment_finished, timeout=30_000) as done:
        for digit in "123456":
            qtbot.mouseClick(window.pin.keys[digit], Qt.MouseButton.LeftButton)
    return window, done.args[0]


def test_declined_by_the_http_acquirer(qtbot, acquirer, payer_home):
    server = acquirer(FailureSettings(decline_rate=1.0))
    window, outcome = pay_through(qtbot, server.url)
    assert outcome.status == "declined"
    assert window.result.title.text() == "Giao dịch bị từ chối"
    assert "HTTP 402" in window.result.rows["acquirer"].value.text()
    assert verify_request(outcome.jws, KeyStore(payer_home)).ok


def test_unreachable_acquirer_leaves_the_payment_pending(qtbot, payer_home):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    window, outcome = pay_through(qtbot, f"http://127.0.0.1:{port}")
    assert outcome.status == "pending"
    assert window.result.title.text() == "Giao dịch đang chờ xử lý"
    window.new_payment()
    window.go("history")
    assert [e.status for e in window.history.entries] == ["pending"]
