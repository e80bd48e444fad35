"""Qt side of the payment service: the window's one ``PaymentService``, used on worker threads.

``open_service(settings, keep_history)`` opens the service the window keeps for its life (or says
why it cannot). A ``ServiceCall`` runs one call of it on a worker thread and answers by signal:
``finished(result)``, or ``failed(refusal)`` with the ``Refusal`` itself (``RequestRefused``,
``PaymentSetupError`` and its kinds: key not accepted, enrolment refused...; ``acquirer-unavailable``
for an acquirer that does not answer, ``payment-error`` for any other failure), so a screen shows
its catalogue text in whatever language the window is in when it shows it.
``PaymentRunner.pay(service, parsed, choice)`` pays;
``retry_pending(service)`` re-sends the pending requests, each to the acquirer it was first sent to;
``enrol(service, code, url)`` enrols the payer's key at an HTTP acquirer.
``PendingResender`` (kiosk mode) re-sends the service's pending requests by itself, every
``RESEND_SECONDS``, until each has its answer.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from payer_app.core.choice import PaymentChoice
from payer_app.core.payability import Limits
from payer_app.core.payload import ParsedPayload
from payer_app.core.refusals import Refusal, RequestRefused
from payer_app.payments.acquirer_client import AcquirerUnavailable
from payer_app.payments.errors import PaymentSetupError
from payer_app.payments.history import HistoryEntry
from payer_app.payments.service import PaymentOutcome, PaymentService

log = logging.getLogger(__name__)
RESEND_SECONDS = 10  # how often a kiosk re-sends a payment still without an answer
RESUME_LOOK_BACK = 500  # at start, the newest history rows looked at for payments left pending


def open_service(settings, keep_history: bool) -> tuple[PaymentService | None, str | None]:
    """(service, None), or (None, the reason) when the data folder or its files cannot be opened."""
    try:
        service = PaymentService(acquirer_url=settings.acquirer_url or None,
                                 limits=Limits(settings.min_amount, settings.max_amount),
                                 keep_history=keep_history)
    except (OSError, sqlite3.Error, ValueError) as exc:
        return None, str(exc) or type(exc).__name__
    return service, None


def read_history(service: PaymentService | None, limit: int) -> tuple[list[HistoryEntry], str | None]:
    """(entries newest first, None) or ([], the reason they cannot be read)."""
    if service is None:
        return [], "no payment service"
    try:
        return service.history(limit), None
    except sqlite3.Error as exc:
        return [], str(exc)


class ServiceCall(QObject):
    """One call of the payment service at a time, on a worker thread."""

    finished = Signal(object)
    failed = Signal(object)  # a core.refusals.Refusal

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.busy = False

    def start(self, work) -> None:
        self.busy = True
        threading.Thread(target=self._run, args=(work,), daemon=True, name="payment-service").start()

    def _run(self, work) -> None:
        try:
            result = work()
        except (RequestRefused, PaymentSetupError) as exc:
            self.busy = False
            self.failed.emit(exc)
            return
        except AcquirerUnavailable as exc:
            self.busy = False
            self.failed.emit(Refusal("acquirer-unavailable", problem=str(exc) or type(exc).__name__))
            return
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message on screen
            self.busy = False
            self.failed.emit(Refusal("payment-error", problem=str(exc) or type(exc).__name__))
            return
        self.busy = False
        self.finished.emit(result)


class PaymentRunner(ServiceCall):
    def pay(self, service: PaymentService, parsed: ParsedPayload, choice: PaymentChoice) -> None:
        self.start(lambda: service.pay(parsed, choice))

    def retry_pending(self, service: PaymentService) -> None:
        """``finished(list[PaymentOutcome])``: every pending request re-sent to its own acquirer."""
        self.start(service.retry_pending)

    def enrol(self, service: PaymentService, code: str, acquirer_url: str) -> None:
        """``finished(EnrolmentResult)``: the current key enrolled at ``acquirer_url`` with ``code``."""
        self.start(lambda: service.enrol(code=code or None, acquirer_url=acquirer_url))


class PendingResender(QObject):
    """A kiosk keeps every payment left pending and sends it again by itself (the same signed
    request, so the acquirer's idempotency key means it is never paid twice), every
    ``RESEND_SECONDS``, until the acquirer answers; the visitor need not stay, nor touch anything.

    ``follow(outcome)`` after a payment: a pending one starts the rounds; ``resume()`` at start
    starts them for payments left pending in a kept history. Each round re-sends every
    pending request of the window's current service (``services.service``), never while a payment of
    the window is on its way; then ``waiting(count)`` says how many still have no answer, and
    ``answered(outcome)`` comes once for each that got its answer (approved, declined, rejected)."""

    waiting = Signal(int)
    answered = Signal(object)  # a PaymentOutcome

    def __init__(self, services, parent: QObject | None = None):
        super().__init__(parent)
        self.services = services  # gui/service_lifetime.ServiceLifetime
        self.waiting_count = 0
        self.call = ServiceCall(self)
        self.call.finished.connect(self._round_done)
        self.call.failed.connect(self._round_failed)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(RESEND_SECONDS * 1000)
        self.timer.timeout.connect(self.resend)

    def follow(self, outcome: PaymentOutcome | None) -> None:
        if outcome is None or outcome.status != "pending":
            return
        self.waiting_count = max(self.waiting_count, 1)
        self.timer.start()
        self.waiting.emit(self.waiting_count)

    def resume(self) -> None:
        """At start: payments a kiosk that keeps its history left pending (the kiosk was stopped
        before they were answered) are sent again as well."""
        entries, _problem = read_history(self.services.service, RESUME_LOOK_BACK)
        waiting = sum(1 for entry in entries if entry.status == "pending")
        if waiting:
            self.waiting_count = waiting
            self.timer.start()
            self.waiting.emit(waiting)

    def resend(self) -> None:
        """One round now: every pending request of the service sent again (off the GUI thread)."""
        service = self.services.service
        if service is None or self.call.busy:
            return
        if self.services.payments.busy:  # a visitor's payment is on its way: the next round waits
            self.timer.start()
            return
        self.call.start(service.retry_pending)

    def _round_done(self, outcomes: list[PaymentOutcome]) -> None:
        still = [o for o in outcomes if o.status == "pending"]
        self.waiting_count = len(still)
        if still:
            self.timer.start()
        else:
            self.timer.stop()
        self.waiting.emit(self.waiting_count)
        for outcome in outcomes:
            if outcome.status != "pending":
                log.info("kiosk: the pending payment %s was sent again and answered %s", outcome.request_id,
                         outcome.status)
                self.answered.emit(outcome)

    def _round_failed(self, refusal: Refusal) -> None:
        log.info("kiosk: re-sending the pending payments failed (%s); trying again", refusal.code)
        self.timer.start()
