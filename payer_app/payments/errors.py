"""Typed refusals of the payment service, for the GUI and the CLI.

Each carries a stable ``code`` and a ``message`` / ``message_vi`` safe to show (outside text already
escaped), like ``RequestError`` does for bad input, so the window's payment runner can show any of
them as it shows a refused amount.
"""

from __future__ import annotations


class PaymentSetupError(Exception):
    """Nothing was paid and nothing is pending: something must be set up first (the message says what)."""

    def __init__(self, code: str, message: str, message_vi: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_vi = message_vi or message


class KeyNotAccepted(PaymentSetupError):
    """The acquirer will not take requests signed by the current key: ``code`` is
    ``key-not-enrolled`` (run ``payer-app keys enrol``), ``key-revoked`` or ``key-retired``
    (rotate the key, then enrol the new one). ``acquirer`` is the acquirer's URL."""

    def __init__(self, code: str, message: str, message_vi: str = "", acquirer: str = ""):
        super().__init__(code, message, message_vi)
        self.acquirer = acquirer


class EnrolmentRefused(PaymentSetupError):
    """The acquirer refused to enrol the key: ``code`` is its error code (``bad-enrolment-code``,
    ``enrolment-code-required``, ``key-already-bound``, ``weak-key``...), ``http_status`` its status."""

    def __init__(self, code: str, message: str, message_vi: str = "", http_status: int | None = None):
        super().__init__(code, message, message_vi)
        self.http_status = http_status


class RetryTargetRefused(PaymentSetupError):
    """``retry_pending(acquirer_url=...)`` named an acquirer other than the one some pending requests
    were first sent to (one payment, one acquirer); pass ``force=True`` to send them there anyway."""
