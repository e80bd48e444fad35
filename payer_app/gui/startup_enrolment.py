"""``payer-app gui --acquirer URL --enrol-code CODE``: the window pays that acquirer, and at start
gets its key accepted there with the code (``payer-app booth`` opens the window so).

The code is the booth's shared code: it opens a **new demo account** numbered by the acquirer
(``POST /v1/demo-accounts``, ``payments/acquirer/activation.py``), the window's key bound to it, and
the window pays from that account; a key that opened one before is told its account again, so a
kiosk started again keeps its account. When the acquirer opens no account for it (the code is a
one-time code for the payer's own account, or the key is bound to an account of its own), the key is
enrolled for the window's own account as before, unless the acquirer already accepts it.

``KioskVisits``: in a kiosk, each new visitor (the kiosk's idle reset or the receipt's return to
Home, ``gui/kiosk.py``) pays from a new account with a new key (``PaymentService.start_demo_visit``):
opened by the acquirer with the booth's shared code, or numbered here for the embedded acquirer; the
previous visitor's account and key files are deleted.

The work runs on a worker thread (``PaymentRunner``); the outcome is one log line
(``payer_app.gui.startup_enrolment: key ... enrolled at URL ...`` or ``... cannot be enrolled at URL:
reason``) and, when it fails, a notice in the window, so an operator sees why payments will be refused.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from payer_app.core.refusals import Refusal
from payer_app.gui.payment_runner import PaymentRunner

log = logging.getLogger(__name__)

FAILURE_NOTICE_MS = 30_000
# The acquirer's answers to POST /v1/demo-accounts after which the key is enrolled for the window's own
# account instead: the code is not the booth's, or the key is bound to an account that is not a demo one.
NOT_A_DEMO_ACCOUNT = frozenset({"bad-enrolment-code", "key-already-bound", "not-found"})


class StartupEnrolment(QObject):
    """Get the window's key accepted at ``url`` with ``code``: a demo account of its own, else its
    own account enrolled unless the acquirer already accepts the key."""

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

        def accepted_key():
            from payer_app.payments.errors import EnrolmentRefused

            try:
                return service.open_demo_account(code, acquirer_url=url)
            except EnrolmentRefused as exc:
                if exc.code not in NOT_A_DEMO_ACCOUNT:
                    raise
            if service.key_status(url) == "active":
                return None
            return service.enrol(code=code, acquirer_url=url)

        self.runner.start(accepted_key)

    def _done(self, result) -> None:
        if result is None:
            log.info("key already enrolled at %s", self.url)
            return
        log.info("key %s enrolled at %s", result.kid, self.url)
        service = self.window.ctx.service
        if service is not None:
            log.info("paying from account %s/%s", service.payer.bank_bin, service.payer.account)

    def _failed(self, refusal: Refusal) -> None:
        log.warning("the key cannot be enrolled at %s: %s", self.url, refusal.text("en"))
        ctx = self.window.ctx
        key = f"settings.enrol_error.{refusal.code}"
        text = ctx.t(key) if key in ctx.language.catalogue else refusal.text(ctx.language.code)
        self.window.toast.show_message(text, FAILURE_NOTICE_MS)


class KioskVisits(QObject):
    """A kiosk's visitors, each with an account of their own: ``start()`` opens the next one off the
    GUI thread (``started(account)`` when it is the account paid from). A kiosk that pays an HTTP
    acquirer without the booth's code cannot open accounts there and keeps the one it has."""

    started = Signal(object)  # the visitor's PayerAccount

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.runner = PaymentRunner(self)
        self.runner.finished.connect(self._done)
        self.runner.failed.connect(self._failed)

    def start(self) -> None:
        ctx = self.window.ctx
        service, url, code = ctx.service, ctx.settings.acquirer_url or None, ctx.acquirer_code
        if service is None or self.runner.busy:
            return
        if url and not code:
            log.info("no booth code for %s: the next visitor pays from the same account", url)
            return
        self.runner.start(lambda: service.start_demo_visit(code, url))

    def _done(self, account) -> None:
        log.info("a new visitor pays from account %s/%s", account.bank_bin, account.masked)
        if self.window.nav.current == "home":  # greeted by name, and the recent payments are theirs
            self.window.home.greet()
            self.window.home.refresh_recent()
        self.started.emit(account)

    def _failed(self, refusal: Refusal) -> None:
        log.warning("no account for the next visitor: %s", refusal.text("en"))
