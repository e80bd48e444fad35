"""The payer's history (the same SQLite file as ``payer-app history``), shaped for display."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class HistoryEntry:
    payee: str | None
    amount: int | None
    status: str
    when: str
    request_id: str | None

    @property
    def status_key(self) -> str:
        """The result.* text key for the status."""
        s = (self.status or "").lower()
        if s in ("approved", "succeeded", "success", "ok"):
            return "approved"
        if s in ("pending", "sent", "created"):
            return "pending"
        if s in ("declined", "rejected", "refused"):
            return "declined"
        return "failed"


class HistoryUnavailable(Exception):
    pass


def _get(record, *names):
    for name in names:
        value = record.get(name) if isinstance(record, dict) else getattr(record, name, None)
        if value not in (None, ""):
            return value
    return None


def _short_time(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value).strftime("%d/%m %H:%M")
    text = str(value)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone().strftime("%d/%m %H:%M")
    except ValueError:
        return text[:16]


def to_entry(record) -> HistoryEntry:
    request = _get(record, "request") or {}
    payee = _get(record, "payee_name", "merchant_name", "payee")
    if isinstance(payee, dict):
        payee = payee.get("merchant_name") or payee.get("bank_name")
    if payee is None and isinstance(request, dict):
        payee = (request.get("payee") or {}).get("merchant_name")
    amount = _get(record, "amount", "amount_value")
    if isinstance(amount, dict):
        amount = amount.get("value")
    if amount is None and isinstance(request, dict):
        amount = (request.get("amount") or {}).get("value")
    try:
        amount = int(amount) if amount is not None else None
    except (TypeError, ValueError):
        amount = None
    return HistoryEntry(
        payee=str(payee) if payee is not None else None,
        amount=amount,
        status=str(_get(record, "status") or "pending"),
        when=_short_time(_get(record, "created_at", "updated_at", "time")),
        request_id=_get(record, "request_id"),
    )


def load_history(limit: int = 50) -> list[HistoryEntry]:
    """Newest first. Raises HistoryUnavailable with the reason when it cannot be read."""
    try:
        from payer_app.payments.history import History
    except ImportError as exc:
        raise HistoryUnavailable(str(exc)) from exc
    try:
        store = History()
        try:
            records = store.list(limit)
        finally:
            store.close()
    except Exception as exc:  # noqa: BLE001 - a damaged database is a message, not a crash
        raise HistoryUnavailable(str(exc)) from exc
    return [to_entry(r) for r in records]
