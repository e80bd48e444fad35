"""Typed refusals of the payment service, for the GUI and the CLI.

Each is a ``core.refusals.Refusal``: a stable ``code`` and the values its text needs, the text itself
from the refusal catalogue (outside values already escaped), so the window's payment runner shows any
of them as it shows a refused amount.
"""

from __future__ import annotations

from typing import Any

from payer_app.core.refusals import Refusal


class PaymentSetupError(Refusal):
    """Nothing was paid and nothing is pending: something must be set up first (the text says what)."""


class KeyNotAccepted(PaymentSetupError):
    """The acquirer will not take requests signed by the current key: ``code`` is
    ``key-not-enrolled`` (run ``payer-app keys enrol``), ``key-revoked`` or ``key-retired``
    (rotate the key, then enrol the new one). ``acquirer`` is the acquirer's URL."""

    def __init__(self, kind: str, acquirer: str = "", **values: Any):
        super().__init__(kind, **values)
        self.acquirer = acquirer


class EnrolmentRefused(PaymentSetupError):
    """The acquirer refused to enrol (or revoke) the key: ``code`` is its error code
    (``bad-enrolment-code``, ``enrolment-code-required``, ``key-already-bound``, ``weak-key``...),
    ``http_status`` its status."""

    def __init__(self, kind: str, code: str, http_status: int | None = None, **values: Any):
        super().__init__(kind, **values)
        self.code = code  # the acquirer's own code (escaped), which the window translates when it knows it
        self.http_status = http_status


class RetryTargetRefused(PaymentSetupError):
    """``retry_pending(acquirer_url=...)`` named an acquirer other than the one some pending requests
    were first sent to (one payment, one acquirer); pass ``force=True`` to send them there anyway."""
