"""The acquirer's console: one line per payment decision (``payer-app acquirer serve`` and
``payer-app booth`` print them on standard error), so an operator sees each payment as it is decided:

    2026-12-04T21:03:05Z  250.000 ₫  to CONG TY DIEN LUC HA NOI  approved (201)
    2026-12-04T21:03:09Z  refused (401 bad-signature)

``attach_decision_log(acquirer, write)`` makes ``write`` a listener of ``MockAcquirer.submit``. The
payee and codes come from the acquirer's own answer (already escaped there) and are escaped again
for the terminal; a line never raises into the acquirer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from payer_app.core.amounts import format_vnd
from payer_app.core.display_text import visible
from payer_app.core.timestamps import format_timestamp

log = logging.getLogger(__name__)

ANSWERS = {201: "approved", 402: "declined", 409: "duplicate (the same request again)", 503: "unavailable"}


def decision_line(answer: Any, now: datetime | None = None) -> str:
    """One line for one decision: time, amount, payee and the answer."""
    when = format_timestamp(now or datetime.now(UTC))
    status = int(getattr(answer, "http_status", 0) or 0)
    body = answer.body if isinstance(getattr(answer, "body", None), dict) else {}
    said = ANSWERS.get(status)
    if said is None:
        said = f"refused ({status} {visible(str(body.get('error') or ''), 40)})".replace(" )", ")")
    else:
        said = f"{said} ({status})"
    amount = _amount(body.get("amount"))
    payee = visible(str(body.get("payee") or ""), 80)
    if amount is None:
        return f"{when}  {said}"
    return f"{when}  {format_vnd(amount)}  to {payee or '(no payee)'}  {said}"


def attach_decision_log(acquirer: Any, write: Callable[[str], None]) -> None:
    """Write one ``decision_line`` for each decision the acquirer makes from now on."""

    def say(token: Any, answer: Any) -> None:
        try:
            write(decision_line(answer))
        except Exception:  # noqa: BLE001 - the payment stands whatever the console does
            log.exception("could not log a decision")

    acquirer.listeners.append(say)


def _amount(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 16:
        return int(value)
    return None


__all__ = ["attach_decision_log", "decision_line"]
