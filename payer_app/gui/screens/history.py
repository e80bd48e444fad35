"""History: the payer's requests and outcomes, from the window's PaymentService (the same SQLite
history as ``payer-app history``). A row opens the payment's detail; pending payments are re-sent
from here (each to the acquirer it was first sent to); the list can be exported as CSV. A kiosk
lists and exports only the visitor's own payments (``home.shown_history``)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton

from payer_app.core.refusals import Refusal
from payer_app.gui.components import (
    Card,
    Page,
    button,
    button_row,
    clear_layout,
    divider,
    plain_label,
    set_role,
)
from payer_app.gui.context import AppContext
from payer_app.gui.history_csv import write_history_csv
from payer_app.gui.payment_runner import PaymentRunner, read_history
from payer_app.gui.screens.home import entry_payee, recent_row, shown_history
from payer_app.payments.history import HistoryEntry

HISTORY_ROWS = 200
EXPORT_NAME = "payer-history.csv"


class HistoryScreen(Page):
    entry_opened = Signal(object)  # HistoryEntry

    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True)
        self.ctx = ctx
        self.status_line = plain_label("", "ok")
        self.status_line.setObjectName("HistoryStatus")
        self.body.addWidget(self.status_line)
        self.card = Card(spacing=8)
        self.body.addWidget(self.card)
        self.body.addStretch(1)
        self.retry_button = button("", "primary", "RetryPendingButton")
        self.retry_button.clicked.connect(self.retry_pending)
        self.export_button = button("", "secondary", "ExportCsvButton")
        self.export_button.clicked.connect(self._export_clicked)
        self.bottom.addLayout(button_row(self.retry_button, self.export_button))
        self.retries = PaymentRunner(self)
        self.retries.finished.connect(self._retried)
        self.retries.failed.connect(self._retry_failed)
        self.entries: list[HistoryEntry] = []
        self.waiting = False  # a payment waits for the bank (Re-send is offered)
        self.rows: list[QPushButton] = []
        self.problem: str | None = None
        self._status: tuple[str, str, dict] | None = None  # (role, key, values: a Refusal is shown in words)
        self.retranslate()

    def on_enter(self) -> None:
        self._status = None
        self.reload()
        if self.rows:
            self.rows[0].setFocus()

    def reload(self) -> None:
        self.entries, self.problem = shown_history(self.ctx, HISTORY_ROWS)  # a kiosk: the visitor's own
        # re-sending is offered while any payment waits for the bank, an earlier visitor's too (the
        # kiosk re-sends those by itself; the operator may send them at once from here)
        everyone = read_history(self.ctx.service, HISTORY_ROWS)[0] if self.ctx.kiosk else self.entries
        self.waiting = any(e.status == "pending" for e in everyone)
        self._fill()

    def retranslate(self) -> None:
        t = self.ctx.t
        self.top.set_title(t("history.title"))
        self.retry_button.setText(t("history.retry"))
        self.export_button.setText(t("history.export"))
        self._fill()

    def _fill(self) -> None:
        layout = self.card.body
        clear_layout(layout)
        self.rows = []
        pending = self.waiting
        self.retry_button.setVisible(pending and self.ctx.service is not None)
        self.retry_button.setEnabled(not self.retries.busy)
        self.export_button.setVisible(bool(self.entries))
        self._default_button = self.retry_button if pending else None
        self._show_status()
        if self.problem:
            layout.addWidget(plain_label(self.ctx.t("history.unavailable", problem=self.problem), "error"))
            return
        if not self.entries:
            layout.addWidget(plain_label(self.ctx.t("history.empty"), "hint"))
            return
        for i, entry in enumerate(self.entries):
            if i:
                layout.addWidget(divider())
            row = recent_row(entry, self.ctx)
            row.clicked.connect(lambda _=False, e=entry: self.entry_opened.emit(e))
            self.rows.append(row)
            layout.addWidget(row)

    def _set_status(self, role: str, key: str, **values) -> None:
        self._status = (role, key, values)
        self._show_status()

    def _show_status(self) -> None:
        if self._status is None:
            self.status_line.hide()
            return
        role, key, values = self._status
        set_role(self.status_line, role)
        lang = self.ctx.language.code
        self.status_line.setText(self.ctx.t(key, **{name: value.text(lang) if isinstance(value, Refusal) else value
                                                    for name, value in values.items()}))
        self.status_line.show()

    # pending payments ---------------------------------------------------------------------------
    def retry_pending(self) -> None:
        if self.ctx.service is None or self.retries.busy:
            return
        self.retry_button.setEnabled(False)
        self._set_status("hint", "history.retrying")
        self.retries.retry_pending(self.ctx.service)

    def _retried(self, outcomes: list) -> None:
        approved = sum(1 for o in outcomes if o.status == "approved")
        still = sum(1 for o in outcomes if o.status == "pending")
        key = "history.retried_still_pending" if still else "history.retried"
        self._set_status("error" if still else "ok", key, count=len(outcomes), approved=approved, pending=still)
        self.reload()

    def _retry_failed(self, refusal: Refusal) -> None:
        self._set_status("error", "history.retry_failed", problem=refusal)
        self.reload()

    # export -------------------------------------------------------------------------------------
    def _export_clicked(self) -> None:
        if self.ctx.kiosk:
            from payer_app.gui.screens.result import export_folder

            self.export_csv(str(export_folder() / EXPORT_NAME))
            return
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, self.ctx.t("history.export"), EXPORT_NAME,
                                              self.ctx.t("history.csv_filter"))
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> bool:
        entries, problem = shown_history(self.ctx, 100_000)
        if problem:
            self._set_status("error", "history.export_error", problem=problem)
            return False
        try:
            write_history_csv(path, entries, [entry_payee(e).name for e in entries])
        except OSError as exc:
            self._set_status("error", "history.export_error", problem=exc.strerror or str(exc))
            return False
        self._set_status("ok", "history.exported", count=len(entries), path=path)
        return True
