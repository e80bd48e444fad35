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
"""

from __future__ import annotations

import sqlite3
import threading

from PySide6.QtCore import QObject, Signal

from payer_app.core.choice import PaymentChoice
from payer_app.core.payability import Limits
from payer_app.core.payload import ParsedPayload
from payer_app.core.refusals import Refusal, RequestRefused
from payer_app.payments.acquirer_client import AcquirerUnavailable
from payer_app.payments.errors import PaymentSetupError
from payer_app.payments.history import HistoryEntry
from payer_app.payments.service import PaymentService


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
