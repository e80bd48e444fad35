"""Qt side of the payment service: signs and sends a request on a worker thread, answers by signal.

``PaymentRunner.pay(parsed, amount, note)`` returns at once; ``finished(outcome)`` carries the
``PaymentOutcome`` of ``payer_app.payments.service.PaymentService.pay`` and ``failed(code, message,
message_vi)`` carries a refusal (limits, a dynamic amount changed...) or any other failure.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal


class PaymentRunner(QObject):
    finished = Signal(object)
    failed = Signal(str, str, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.busy = False

    def pay(self, parsed, amount: int | None, note: str, acquirer_url: str | None = None,
            limits: tuple[int, int] | None = None, keep_history: bool = True) -> None:
        self.busy = True
        threading.Thread(
            target=self._run, args=(parsed, amount, note, acquirer_url, limits, keep_history),
            daemon=True, name="payment",
        ).start()

    def _run(self, parsed, amount, note, acquirer_url, limits, keep_history) -> None:
        try:
            from payer_app.core.request import Limits
            from payer_app.payments.service import PaymentService

            lo, hi = limits if limits else (None, None)
            service_limits = Limits(min_amount=lo, max_amount=hi) if limits else None
            with PaymentService(acquirer_url=acquirer_url or None, limits=service_limits,
                                keep_history=keep_history) as service:
                outcome = service.pay(parsed, amount, note)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message on screen
            code = getattr(exc, "code", None) or type(exc).__name__
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            message_vi = getattr(exc, "message_vi", None) or message
            self.busy = False
            self.failed.emit(str(code), str(message), str(message_vi))
            return
        self.busy = False
        self.finished.emit(outcome)
