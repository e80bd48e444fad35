"""The window's one ``PaymentService``, from opening to closing.

``ServiceLifetime`` opens the service from the settings when the window opens (or keeps the reason
it could not: the payment then fails on screen with that reason), opens a new one when the operator
changes what the service was opened with (the acquirer, the limits, the kiosk history; the account
it pays from is kept), and closes
it when the window closes. A service whose payment is still on its way (``PaymentRunner.busy``) is
not closed under it. ``ctx.service`` always names the current service, for the screens that read it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from payer_app.gui.context import AppContext
from payer_app.gui.payment_runner import PaymentRunner, open_service

if TYPE_CHECKING:
    from payer_app.payments.service import PaymentService


class ServiceLifetime(QObject):
    def __init__(self, ctx: AppContext, parent: QObject):
        super().__init__(parent)
        self.ctx = ctx
        self.payments = PaymentRunner(self)  # the worker that pays with it
        self.service: PaymentService | None = None
        self.error: str | None = None
        self.open()

    def open(self) -> None:
        self.service, self.error = open_service(self.ctx.settings, self.ctx.keeps_history)
        self.ctx.service, self.ctx.service_error = self.service, self.error or ""

    def replace(self) -> None:
        """The settings the service was opened with changed: a service for the new ones. At the same
        acquirer, with the same key store, it pays from the account the old one paid from: a demo
        account the key opened there (``startup_enrolment.py``) is known only to the running service."""
        old = self.service
        self.close()
        self.open()
        new = self.service
        if old is not None and new is not None and new.audience == old.audience and new.account == old.account:
            new.payer = old.payer

    def close(self) -> None:
        if self.service is not None and not self.payments.busy:
            self.service.close()
