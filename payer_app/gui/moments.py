"""When a payment happened, as the window shows it: a stored ISO 8601 stamp (UTC, ``...Z``) in the
computer's local time. Unreadable stamps are shown as they came (they are never a reason to fail)."""

from __future__ import annotations

from datetime import datetime


def local_moment(text: str) -> datetime | None:
    """The stamp as an aware local datetime; None when it is not ISO 8601."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone()
    except (TypeError, ValueError):
        return None


def receipt_time(text: str | None) -> str:
    """``14:03:27 26/11/2026``, as on a receipt; now when there is no stamp yet."""
    moment = local_moment(text) if text else datetime.now()
    return moment.strftime("%H:%M:%S %d/%m/%Y") if moment is not None else (text or "")


def list_time(text: str) -> str:
    """``26/11 14:03``, as in a list of payments."""
    moment = local_moment(text)
    return moment.strftime("%d/%m %H:%M") if moment is not None else text[:16]
