"""The payer's side of authentication by amount (``core/auth_policy.py``): what the face-check policy
asks of a request about to be signed, from the payer's own history.

The day's total here is what this payer app knows: the payments of the same source account (bank BIN
and account) in its history, approved or still pending (a pending one may yet be approved), made since
the start of the policy's day (Vietnam time), plus this one. The acquirer counts its own ledger
(``payments/acquirer/auth_check.py``) and has the last word: it also sees the payments made from the
account's other devices. When it refused a PIN payment of the account with ``biometric-required``,
``acquirer_asked`` makes the face check this app's answer for that account for the rest of the day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from payer_app.core.auth_policy import BIOMETRIC, AuthNeed, AuthPolicy, need_for
from payer_app.core.request import PaymentRequest, read_signed
from payer_app.core.timestamps import format_timestamp
from payer_app.payments.history import History

COUNTED = ("approved", "pending")
MAX_ROWS_READ = 5_000  # a day's payments of one payer app, read newest first


def payer_auth_need(history: History, request: PaymentRequest, now: datetime | None = None,
                    policy: AuthPolicy | None = None) -> AuthNeed:
    """The authentication ``request`` needs, counting the account's payments of the day in ``history``."""
    policy = policy or AuthPolicy.bundled()
    return need_for(request.cost.total, request.payee, spent_today(history, request, now, policy), policy)


def spent_today(history: History, request: PaymentRequest, now: datetime | None, policy: AuthPolicy) -> int:
    """The dong (totals, fee included) the request's source account paid today, as the history says."""
    since = format_timestamp(policy.day_start(now or datetime.now(UTC)))
    source = (request.payer.bank_bin, request.payer.account)
    spent = 0
    for entry in history.list(MAX_ROWS_READ):  # newest first
        if entry.created_at < since:
            break
        if entry.status not in COUNTED or entry.request_id == request.request_id:
            continue
        earlier = read_signed(entry.jws)
        if earlier is not None and (earlier.payer.bank_bin, earlier.payer.account) == source:
            spent += earlier.cost.total
    return spent


def acquirer_asked(need: AuthNeed) -> AuthNeed:
    """``need`` after the acquirer refused a PIN payment of the same source account today with
    ``biometric-required``: the face check (reason ``acquirer``), whatever this app's history says."""
    return need if need.biometric else replace(need, method=BIOMETRIC, reason="acquirer")
