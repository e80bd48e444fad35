"""``payer-app gui --acquirer URL --enrol-code CODE``: the window pays that acquirer, and at start
enrols its key there with the code, when the key is not yet accepted (``payer-app booth`` opens the
window so).

The check and the enrolment run on a worker thread (``PaymentRunner``); the outcome is one log line
(``payer_app.gui.startup_enrolment: key ... enrolled at URL`` or ``... cannot be enrolled at URL:
reason``) and, when it fails, a notice in the window, so an operator sees why payments will be refused.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject

from payer_app.core.refusals import Refusal
from payer_app.gui.payment_runner import PaymentRunner

log = logging.getLogger(__name__)

FAILURE_NOTICE_MS = 30_000


class StartupEnrolment(QObject):
    """Enrol the window's key at ``url`` with ``code`` unless the acquirer already accepts it."""

    def __init__(self, window, url: str, code: str):
        super().__init__(window)
        self.window, self.url, self.code = window, url, code
        self.runner = PaymentRunner(self)
        self.runner.finished.connect(self._done)
        self.runner.failed.connect(self._failed)

    def start(self) -> None:
        service = self.window.ctx.service
        if service is None:
            self._failed(Refusal("service-unavailable", problem="the payment service is not open"))
            return
        url, code = self.url, self.code

        def enrol_unless_accepted():
            if service.key_status(url) == "active":
                return None
            return service.enrol(code=code, acquirer_url=url)

        self.runner.start(enrol_unless_accepted)

    def _done(self, result) -> None:
        if result is None:
            log.info("key already enrolled at %s", self.url)
        else:
            log.info("key %s enrolled at %s", result.kid, self.url)

    def _failed(self, refusal: Refusal) -> None:
        log.warning("the key cannot be enrolled at %s: %s", self.url, refusal.text("en"))
        ctx = self.window.ctx
        key = f"settings.enrol_error.{refusal.code}"
        text = ctx.t(key) if key in ctx.language.catalogue else refusal.text(ctx.language.code)
        self.window.toast.show_message(text, FAILURE_NOTICE_MS)
