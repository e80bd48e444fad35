"""An in-process acquirer that stops and starts again on the same port over the same ledger file, as a
restarted ``payer-app acquirer serve`` process would: for the merchant display tests whose point is
the page's reconnection, not the process (tests/test_merchant_display.py restarts a real process once)."""

from __future__ import annotations

from pathlib import Path

from payer_app.payments.acquirer.endpoints import create_app
from tests.acquirer_helpers import CODE, LedgerServer


class RestartedAcquirer:
    """``create_app`` over ``ledger`` served by ``LedgerServer`` (its URL known to ``account_code``):
    ``stop`` ends it, ``start`` serves a fresh app (stopping closed the old one's stores) on the same port."""

    def __init__(self, ledger: Path):
        self.ledger, self.port = ledger, 0
        self.server: LedgerServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RestartedAcquirer:
        app = create_app(self.ledger, enrol_code=CODE)
        self.server = LedgerServer(app, port=self.port).start()
        self.port = self.server.port
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
