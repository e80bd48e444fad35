"""Qt side of the payment service: the window's one ``PaymentService``, used on worker threads.

``open_service(settings, keep_history)`` opens the service the window keeps for its life (or says
why it cannot). ``PaymentRunner.pay(service, parsed, amount, note)`` returns at once;
``finished(outcome)`` carries the ``PaymentOutcome`` of ``PaymentService.pay`` and ``failed(code,
message, message_vi)`` carries a refusal (``RequestError``: limits, a changed dynamic amount...) or
any other failure. ``retry(service, request_id)`` re-sends a pending request the same way.
"""

from __future__ import annotations

import sqlite3
import threading

from PySide6.QtCore import QObject, Signal

from payer_app.core.request import Limits, RequestError
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


class PaymentRunner(QObject):
    finished = Signal(object)
    failed = Signal(str, str, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.busy = False

    def pay(self, service: PaymentService, parsed, amount: int | None, note: str) -> None:
        self._start(lambda: service.pay(parsed, amount, note))

    def _start(self, work) -> None:
        self.busy = True
        threading.Thread(target=self._run, args=(work,), daemon=True, name="payment").start()

    def _run(self, work) -> None:
        try:
            outcome = work()
        except RequestError as exc:
            self.busy = False
            self.failed.emit(exc.code, exc.message, exc.message_vi)
            return
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message on screen
            self.busy = False
            text = str(exc) or type(exc).__name__
            self.failed.emit("payment-error", text, text)
            return
        self.busy = False
        self.finished.emit(outcome)
