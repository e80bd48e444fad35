"""History: the payer's requests and outcomes, from the same SQLite history as ``payer-app history``."""

from __future__ import annotations

from payer_app.gui.components import Card, Screen, divider, plain_label
from payer_app.gui.context import AppContext
from payer_app.gui.history_source import HistoryEntry, HistoryUnavailable, load_history
from payer_app.gui.screens.home import recent_row


class HistoryScreen(Screen):
    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True)
        self.ctx = ctx
        self.card = Card(spacing=8)
        self.body.addWidget(self.card)
        self.body.addStretch(1)
        self.entries: list[HistoryEntry] = []
        self.problem: str | None = None
        self.retranslate()

    def reload(self) -> None:
        try:
            self.entries = load_history(200)
            self.problem = None
        except HistoryUnavailable as exc:
            self.entries = []
            self.problem = str(exc)
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
        if self.problem:
            layout.addWidget(plain_label(self.ctx.t("history.unavailable", reason=self.problem), "error"))
            return
        if not self.entries:
            layout.addWidget(plain_label(self.ctx.t("history.empty"), "hint"))
            return
        for i, entry in enumerate(self.entries):
            if i:
                layout.addWidget(divider())
            layout.addWidget(recent_row(entry, self.ctx))
