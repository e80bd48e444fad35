"""The acquirer's check of authentication by amount (``core/auth_policy.py``): a request whose total,
or whose account's total for the day, is above the thresholds must say it was confirmed with the face
check (``auth``: ``biometric``); one that claims only a PIN (or says nothing, as requests signed before
``auth`` existed) is refused with ``biometric-required`` before anything is recorded.

The day's total is the acquirer's own: the approved payments of the payer account in its ledger
received since the start of the policy's day (Vietnam time) of the acquirer's clock, plus this one.
"""

from __future__ import annotations

from datetime import datetime

from payer_app.core.auth_policy import AuthPolicy, auth_refusal, need_for
from payer_app.core.request import PaymentRequest
from payer_app.core.timestamps import format_timestamp
from payer_app.payments.acquirer.answers import AcquirerAnswer, refusal_answer
from payer_app.payments.acquirer.ledger import Ledger

BIOMETRIC_REQUIRED_STATUS = 403  # authentic, but not authenticated strongly enough for its amount


def strong_auth_refusal(ledger: Ledger, scope: str, request: PaymentRequest, received: datetime,
                        policy: AuthPolicy | None = None) -> AcquirerAnswer | None:
    """403 ``biometric-required`` when the policy asks the face check of this request and it claims a PIN."""
    policy = policy or AuthPolicy.bundled()
    spent = ledger.approved_total_since(scope, format_timestamp(policy.day_start(received)))
    need = need_for(request.cost.total, request.payee, spent, policy)
    refusal = auth_refusal(request.auth_method, need, policy)
    if refusal is None:
        return None
    return refusal_answer(BIOMETRIC_REQUIRED_STATUS, refusal, request_id=request.request_id,
                          idempotency_key=request.idempotency_key)
