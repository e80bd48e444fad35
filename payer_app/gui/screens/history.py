"""History: the payer's requests and outcomes, from the window's PaymentService (the same SQLite
history as ``payer-app history``). A row opens the payment's detail."""

from __future__ import annotations

from PySide6.QtCore import Signal

from payer_app.gui.components import Card, Screen, divider, plain_label
from payer_app.gui.context import AppContext
from payer_app.gui.payment_runner import read_history
from payer_app.gui.screens.home import recent_row
from payer_app.payments.history import HistoryEntry

HISTORY_ROWS = 200


class HistoryScreen(Screen):
    entry_opened = Signal(object)  # HistoryEntry

    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True)
        self.ctx = ctx
        self.card = Card(spacing=8)
        self.body.addWidget(self.card)
        self.body.addStretch(1)
        self.entries: list[HistoryEntry] = []
        self.rows = []
        self.problem: str | None = None
        self.retranslate()

    def entered(self) -> None:
        self.reload()
        if self.rows:
            self.rows[0].setFocus()

    def reload(self) -> None:
        self.entries, self.problem = read_history(self.ctx.service, HISTORY_ROWS)
        self._fill()

    def retranslate(self) -> None:
        self.top.set_title(self.ctx.t("history.title"))
        self._fill()

    def _fill(self) -> None:
        layout = self.card.body
        while layout.count():
            item = layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.rows = []
        if self.problem:
            layout.addWidget(plain_label(self.ctx.t("history.unavailable", reason=self.problem), "error"))
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
