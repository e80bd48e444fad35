"""Home: scan, pick an image, recent payments, history and settings."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from payer_app.core.amounts import format_vnd
from payer_app.gui.components import Card, button, divider, plain_label
from payer_app.gui.context import AppContext
from payer_app.gui.history_source import HistoryEntry


class HomeScreen(QWidget):
    scan_requested = Signal()
    pick_image_requested = Signal()
    history_requested = Signal()
    settings_requested = Signal()

    def __init__(self, ctx: AppContext):
        super().__init__()
        self.ctx = ctx
        self.setObjectName("Screen")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)

        hero = QFrame()
        hero.setObjectName("Hero")
        hero_col = QVBoxLayout(hero)
        hero_col.setContentsMargins(22, 26, 22, 26)
        hero_col.setSpacing(6)
        self.greeting = plain_label("", "hero-title")
        self.subtitle = plain_label("", "hero-sub")
        self.kiosk_banner = plain_label("", "hero-sub")
        self.kiosk_banner.setVisible(ctx.kiosk)
        self.scan_button = button("", "scan-hero", "ScanButton")
        self.scan_button.clicked.connect(self.scan_requested)
        hero_col.addWidget(self.greeting)
        hero_col.addWidget(self.subtitle)
        hero_col.addWidget(self.kiosk_banner)
        hero_col.addSpacing(14)
        hero_col.addWidget(self.scan_button)
        outer.addWidget(hero)

        body = QVBoxLayout()
        body.setContentsMargins(16, 16, 16, 16)
        body.setSpacing(14)
        tiles = QGridLayout()
        tiles.setSpacing(10)
        self.pick_button = button("", "tile", "PickImageButton")
        self.history_button = button("", "tile", "HistoryButton")
        self.settings_button = button("", "tile", "SettingsButton")
        self.pick_button.clicked.connect(self.pick_image_requested)
        self.history_button.clicked.connect(self.history_requested)
        self.settings_button.clicked.connect(self.settings_requested)
        for i, b in enumerate((self.pick_button, self.history_button, self.settings_button)):
            b.setMinimumHeight(74)
            tiles.addWidget(b, 0, i)
        body.addLayout(tiles)

        self.recent_card = Card(spacing=8)
        self.recent_title = plain_label("", "section")
        self.recent_card.body.addWidget(self.recent_title)
        self.recent_rows = QVBoxLayout()
        self.recent_rows.setSpacing(8)
        self.recent_card.body.addLayout(self.recent_rows)
        body.addWidget(self.recent_card)
        body.addStretch(1)
        outer.addLayout(body, 1)
        self._entries: list[HistoryEntry] = []
        self.settings_button.setVisible(not ctx.kiosk)
        self.retranslate()

    def retranslate(self) -> None:
        t = self.ctx.t
        self.greeting.setText(t("home.greeting"))
        self.subtitle.setText(t("home.subtitle"))
        self.kiosk_banner.setText(t("home.kiosk_banner"))
        self.scan_button.setText("⌗  " + t("home.scan"))
        self.pick_button.setText("🖼\n" + t("home.pick_image"))
        self.history_button.setText("🕘\n" + t("home.history"))
        self.settings_button.setText("⚙\n" + t("home.settings"))
        self.recent_title.setText(t("home.recent"))
        self.show_recent(self._entries)

    def show_recent(self, entries: list[HistoryEntry]) -> None:
        self._entries = entries
        while self.recent_rows.count():
            item = self.recent_rows.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        if not entries:
            self.recent_rows.addWidget(plain_label(self.ctx.t("home.no_recent"), "hint"))
            return
        for i, entry in enumerate(entries[:4]):
            if i:
                self.recent_rows.addWidget(divider())
            self.recent_rows.addWidget(recent_row(entry, self.ctx))


def recent_row(entry: HistoryEntry, ctx: AppContext) -> QWidget:
    row = QWidget()
    line = QHBoxLayout(row)
    line.setContentsMargins(0, 0, 0, 0)
    left = QVBoxLayout()
    left.setSpacing(0)
    left.addWidget(plain_label(entry.payee or "—", "value"))
    left.addWidget(plain_label(f"{entry.when} · {ctx.t('result.' + entry.status_key)}", "caption", wrap=False))
    line.addLayout(left, 1)
    amount = plain_label(format_vnd(entry.amount) if entry.amount is not None else "", "value", wrap=False)
    amount.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    line.addWidget(amount)
    return row
