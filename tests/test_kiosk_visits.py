"""A booth's kiosk and its visitors' accounts: each visitor pays from an account of their own, opened
for the visit (by a real ``acquirer`` over HTTP with the booth's shared code, or by the embedded
one), and the operator's Settings do not take the kiosk's account away."""

from __future__ import annotations

import dataclasses

from payer_app.core.choice import PaymentChoice
from payer_app.core.payload import parse_payload
from payer_app.gui.startup_enrolment import StartupEnrolment
from tests.acquirer_helpers import CODE, DEMO_ACCOUNT, EVN_BILL, start_server

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
