"""The payer's history as CSV (what History's "Xuất CSV" writes).

One row per request, newest first, UTF-8 with a BOM so spreadsheet programs read Vietnamese names
right. Text that came from a QR (payee names, notes) is hostile: a cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return would be run as a formula by a spreadsheet, so such a cell
gets a leading apostrophe (OWASP "CSV injection"); control characters are escaped with
``core.display_text.visible``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from payer_app.core.display_text import visible
from payer_app.payments.history import HistoryEntry

COLUMNS = ("created_at", "request_id", "status", "amount", "currency", "payee", "payee_account", "scheme",
           "customer_code", "note", "acquirer", "acquirer_reference", "http_status", "attempts", "message")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    text = visible(str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def history_csv(entries: list[HistoryEntry], payee_names: list[str] | None = None) -> str:
    """The CSV text; ``payee_names`` (same order) are the names the screens show, else the recorded ones."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for i, e in enumerate(entries):
        payee = payee_names[i] if payee_names is not None else e.payee_name
        writer.writerow([safe_cell(v) for v in (
            e.created_at, e.request_id, e.status, e.amount, e.currency, payee, e.payee_account, e.scheme,
            e.customer_code, e.note, e.acquirer, e.acquirer_reference, e.http_status, e.attempts, e.message)])
    return out.getvalue()


def write_history_csv(path: str | Path, entries: list[HistoryEntry], payee_names: list[str] | None = None) -> None:
    Path(path).write_text("\ufeff" + history_csv(entries, payee_names), encoding="utf-8", newline="")
