"""A booth's kiosk and its visitors' accounts: each visitor pays from an account of their own, opened
for the visit (by a real ``acquirer`` over HTTP with the booth's shared code, or by the embedded
one), and the operator's Settings do not take the kiosk's account away."""

from __future__ import annotations

import dataclasses

from payer_app.core.choice import PaymentChoice
from payer_app.core.payload import parse_payload
from payer_app.gui.startup_enrolment import StartupEnrolment
from tests.acquirer_helpers import CODE, DEMO_ACCOUNT, EVN_BILL, Payer, post, start_server, token_for

CEILING_MS = 60_000


def paid(service, amount: int = 250_000):
    return service.pay(parse_payload(EVN_BILL), PaymentChoice(amount))


def test_saving_settings_keeps_the_kiosks_demo_account(tmp_path, qtbot, kiosk):
    """The operator changes the limits: the service made for the new settings still pays from the
    demo account the kiosk opened (not the built-in account, which the acquirer refuses as
    ``account-mismatch`` for this key)."""
    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        window = kiosk(acquirer_url=server.url)
        enrolment = StartupEnrolment(window, server.url, CODE)
        with qtbot.waitSignal(enrolment.runner.finished, timeout=CEILING_MS):
            enrolment.start()
        opened = window.ctx.service.payer
        assert opened.account.startswith("99") and opened.account != DEMO_ACCOUNT
        before = window.ctx.service
        window.settings_controller.apply(dataclasses.replace(window.ctx.settings, max_amount=90_000_000))
        assert window.ctx.service is not before
        assert window.ctx.service.payer == opened
        outcome = paid(window.ctx.service)
        assert (outcome.status, outcome.reason) == ("approved", None), outcome.message
        assert outcome.request.payer.account == opened.account
    finally:
        server.stop()


def next_visitor(qtbot, window):
    """The idle warning runs out (the visitor walked away): the kiosk opens the next visitor's account."""
    with qtbot.waitSignal(window.kiosk.visits.started, timeout=CEILING_MS) as started:
        window.kiosk.idle_warning.expired.emit()
    assert window.nav.current == "home"
    return started.args[0]


def test_two_visitors_in_a_row_pay_from_two_accounts_at_a_real_acquirer(tmp_path, qtbot, kiosk, payer_home):
    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        window = kiosk(acquirer_url=server.url)
        window.ctx.acquirer_code = CODE  # the booth's shared code, as `payer-app booth` gives it
        first = next_visitor(qtbot, window)
        first_key = window.ctx.service.keystore.current()
        assert window.home.greeting.text() and first.account.startswith("99")
        assert paid(window.ctx.service).request.payer.account == first.account
        second = next_visitor(qtbot, window)
        service = window.ctx.service
        assert second.account != first.account and service.keystore.current().kid != first_key.kid
        outcome = paid(service)
        assert (outcome.status, outcome.request.payer.account) == ("approved", second.account), outcome.message
        # nothing of the first visitor is left to use: their account left the list, their key files are deleted
        assert [a.id for a in service.accounts.list() if a.visitor] == [second.id]
        assert not first.key_home(payer_home).exists() and second.key_home(payer_home).is_dir()
        # and the second visitor's key cannot pay from the first's account
        stolen = post(server.url, token_for(Payer(service.keystore.current(), first.bank_bin, first.account),
                                            server.url))
        assert stolen.status_code == 403 and stolen.json()["error"] == "account-mismatch", stolen.text
    finally:
        server.stop()


def test_a_kiosk_on_the_embedded_acquirer_opens_each_visitor_an_account_too(qtbot, kiosk, payer_home):
    window = kiosk()
    first = next_visitor(qtbot, window)
    assert paid(window.ctx.service).status == "approved"
    second = next_visitor(qtbot, window)
    assert second.account != first.account and not first.key_home(payer_home).exists()
    outcome = paid(window.ctx.service)
    assert (outcome.status, outcome.request.payer.account) == ("approved", second.account), outcome.message


def test_a_kiosk_moved_to_another_acquirer_in_settings_opens_the_visitor_an_account_there(tmp_path, qtbot, kiosk):
    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        window = kiosk()  # the embedded acquirer first
        window.ctx.acquirer_code = CODE
        before = next_visitor(qtbot, window)
        with qtbot.waitSignal(window.kiosk.visits.started, timeout=CEILING_MS) as started:
            window.settings_controller.apply(dataclasses.replace(window.ctx.settings, acquirer_url=server.url))
        there = started.args[0]
        assert there.account != before.account and window.ctx.service.account == there
        outcome = paid(window.ctx.service)
        assert (outcome.status, outcome.request.payer.account) == ("approved", there.account), outcome.message
    finally:
        server.stop()
