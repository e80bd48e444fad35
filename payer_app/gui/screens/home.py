"""Home: scan, pick an image, paste, the saved bills, the merchant display button, recent payments,
history and settings.

Home is where no payment is in progress: entering it clears the flow and shows the recent payments
again. The saved bills card is filled by ``gui/saved_bills_controller.py`` and the merchant display
button is driven by ``gui/merchant_display_link.py``; both widgets are built and placed here."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from payer_app.core.amounts import format_vnd, group_thousands
from payer_app.core.payee_display import PayeeDisplay, payee_display_from_request
from payer_app.core.request import Payee, PayerInfo, read_signed
from payer_app.gui.components import Card, button, clear_layout, divider, plain_label, scrolling
from payer_app.gui.context import AppContext, PaymentFlow
from payer_app.gui.moments import list_time
from payer_app.gui.payment_runner import read_history
from payer_app.gui.plain_text import PlainLabel
from payer_app.gui.plain_text import shown as shown_plain
from payer_app.gui.screen import Screen
from payer_app.gui.screens.saved_bills import SavedBillsCard
from payer_app.payments.history import HistoryEntry


class HomeScreen(Screen):
    entry_opened = Signal(object)  # a recent payment (payments.history.HistoryEntry) was clicked
    scan_requested = Signal()
    pick_image_requested = Signal()
    paste_requested = Signal()
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
        self.greeting = Greeting()  # its lines kept from the start: greeting a visitor by name moves nothing
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
        self.paste_button = button("", "tile", "HomePasteButton")  # paste without a camera in the way
        self.paste_button.clicked.connect(self.paste_requested)
        self.history_button = button("", "tile", "HistoryButton")
        self.settings_button = button("", "tile", "SettingsButton")
        self.pick_button.clicked.connect(self.pick_image_requested)
        self.history_button.clicked.connect(self.history_requested)
        self.settings_button.clicked.connect(self.settings_requested)
        self._tiles: list[tuple[QPushButton, QLabel, str]] = []
        for tile, symbol, key in ((self.pick_button, "🖼", "home.pick_image"), (self.paste_button, "📋", "home.paste"),
                                  (self.history_button, "🕘", "home.history"),
                                  (self.settings_button, "⚙", "home.settings")):
            self._tiles.append((tile, tile_face(tile, symbol), key))
        for i, b in enumerate((self.pick_button, self.paste_button, self.history_button, self.settings_button)):
            b.setMinimumHeight(74)
            tiles.addWidget(b, 0, i)
        body.addLayout(tiles)
        extras = QVBoxLayout()
        extras.setSpacing(10)
        self.saved_card = SavedBillsCard(ctx)
        self.saved_card.setVisible(not ctx.kiosk)  # a booth keeps no saved bills
        self.display_button = button("", "secondary", "MerchantDisplayButton")
        extras.addWidget(self.saved_card)
        extras.addWidget(self.display_button)
        body.addLayout(extras)

        self.recent_card = Card(spacing=8)
        self.recent_title = plain_label("", "section")
        self.recent_card.body.addWidget(self.recent_title)
        self.recent_rows = QVBoxLayout()
        self.recent_rows.setSpacing(8)
        self.recent_card.body.addLayout(self.recent_rows)
        body.addWidget(self.recent_card)
        # a booth's visitor: the three steps of paying, centred in the column (a phone has none)
        self.steps = HowToPay() if ctx.kiosk else None
        if self.steps is not None:
            body.addStretch(1)
            body.addWidget(self.steps)
        body.addStretch(1)
        outer.addWidget(scrolling(body), 1)  # the hero (and Scan) stays in view, the rest scrolls
        self._entries: list[HistoryEntry] = []
        self.settings_button.setVisible(not ctx.kiosk)
        self.pick_button.setVisible(not ctx.kiosk)  # a booth shows no file dialogs
        self.paste_button.setVisible(not ctx.kiosk)
        self._default_button = self.scan_button
        self.retranslate()

    def on_enter(self) -> None:
        self.scan_button.setFocus()
        self.ctx.flow = PaymentFlow()  # Home: no payment in progress
        self.greet()
        self.refresh_recent()

    def greet(self) -> None:
        """Hello, and the payer's name when payments come from one of the data folder's accounts."""
        account = getattr(self.ctx.service, "account", None)
        self.greeting.setText(self.ctx.t("home.greeting_name", name=account.name) if account is not None
                              else self.ctx.t("home.greeting"))

    def refresh_recent(self) -> None:
        """The last payments (kiosk mode shows no history unless the settings say so)."""
        shown = self.ctx.keeps_history
        self.recent_card.setVisible(shown)
        self.history_button.setVisible(shown)
        if shown:
            self.show_recent(shown_history(self.ctx, 4)[0])

    def retranslate(self) -> None:
        t = self.ctx.t
        self.greet()
        self.subtitle.setText(t("home.subtitle"))
        self.kiosk_banner.setText(t("home.kiosk_banner"))
        self.scan_button.setText("⌗  " + t("home.scan"))
        for tile, caption, key in self._tiles:
            caption.setText(t(key))
            tile.setAccessibleName(t(key))
        self.recent_title.setText(t("home.recent"))
        if self.steps is not None:
            self.steps.retranslate(t)
        self.show_recent(self._entries)

    def show_recent(self, entries: list[HistoryEntry]) -> None:
        self._entries = entries
        clear_layout(self.recent_rows)
        if not entries:
            self.recent_rows.addWidget(plain_label(self.ctx.t("home.no_recent"), "hint"))
            return
        for i, entry in enumerate(entries[:4]):
            if i:
                self.recent_rows.addWidget(divider())
            row = recent_row(entry, self.ctx)
            row.clicked.connect(lambda _=False, e=entry: self.entry_opened.emit(e))
            self.recent_rows.addWidget(row)


class Greeting(PlainLabel):
    """Home's greeting, with room for ``LINES`` lines kept from the start, so the Scan button under it
    stays where it is when the greeting changes (a kiosk greets the next visitor by name once their
    account is open, off the GUI thread, which may be just as they tap Scan). A text longer than
    those lines is drawn shortened with "…"; ``text()`` is still the whole greeting."""

    LINES = 2

    def __init__(self):
        super().__init__("")
        self.setWordWrap(True)
        self.setProperty("role", "hero-title")
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)  # above the subtitle
        self._whole = ""
        self._fit()

    def setText(self, text: object) -> None:  # noqa: N802 - Qt API
        self._whole = shown_plain(text)
        self.setAccessibleName(self._whole)
        self._fit()

    def text(self) -> str:
        return self._whole

    def shown_text(self) -> str:
        """What is drawn (the greeting, shortened when it needs more than ``LINES`` lines)."""
        return super().text()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()  # the stylesheet's font (and its scale in a kiosk) decides the lines' height

    def _fit(self) -> None:
        metrics = self.fontMetrics()
        margins = self.contentsMargins()
        self.setFixedHeight(metrics.lineSpacing() * self.LINES + metrics.descent() + margins.top() + margins.bottom())
        width = self.contentsRect().width()
        text = self._whole
        if width > 0 and self._lines_of(text, width) > self.LINES:
            low, high = 0, len(text)  # the longest start of the text that fits with "…" after it
            while low < high:
                middle = (low + high + 1) // 2
                if self._lines_of(text[:middle].rstrip() + "…", width) <= self.LINES:
                    low = middle
                else:
                    high = middle - 1
            text = text[:low].rstrip() + "…"
        PlainLabel.setText(self, text)

    def _lines_of(self, text: str, width: int) -> int:
        metrics = self.fontMetrics()
        height = metrics.boundingRect(QRect(0, 0, width, 100_000), int(Qt.TextFlag.TextWordWrap), text).height()
        return max(1, round(height / metrics.lineSpacing()))


class HowToPay(Card):
    """How to pay, in three numbered steps (the kiosk's Home, where a visitor starts)."""

    STEPS = ("home.step_scan", "home.step_check", "home.step_pin")

    def __init__(self):
        super().__init__(spacing=14, margins=20)
        self.title = plain_label("", "section")
        self.body.addWidget(self.title)
        self.texts: list[QLabel] = []
        for number in range(1, len(self.STEPS) + 1):
            row = QHBoxLayout()
            row.setSpacing(14)
            badge = plain_label(str(number), "step-number", wrap=False)
            badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
            text = plain_label("", "step-text")
            row.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
            row.addWidget(text, 1)
            self.body.addLayout(row)
            self.texts.append(text)

    def retranslate(self, t) -> None:
        self.title.setText(t("home.steps_title"))
        for text, key in zip(self.texts, self.STEPS, strict=True):
            text.setText(t(key))


def tile_face(tile: QPushButton, symbol: str) -> QLabel:
    """A tile's big symbol above its caption, which it returns: a button cannot size two lines apart."""
    col = QVBoxLayout(tile)
    col.setContentsMargins(4, 8, 4, 8)
    col.setSpacing(2)
    icon = plain_label(symbol, "tile-icon", wrap=False)
    icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
    caption = plain_label("", "tile-text")
    caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
    for label in (icon, caption):
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        col.addWidget(label)
    return caption


def shown_history(ctx: AppContext, limit: int) -> tuple[list[HistoryEntry], str | None]:
    """The payments Home and History list, newest first, with ``read_history``'s (entries, problem).
    A kiosk lists only the visitor's own: of its newest ``limit`` payments, those made since the
    visit began (``AppContext.visit_started``: the kiosk's start, then each idle reset) and signed
    for the account paid from now (each visitor pays from an account of their own, opened for the
    visit), so the next visitor sees nothing of an earlier one's even with *keep history* on, also
    before their own account is open or when it could not be opened. Everything stays in the
    history file for the operator (``payer-app history``)."""
    entries, problem = read_history(ctx.service, limit)
    if not ctx.kiosk or ctx.service is None:
        return entries, problem
    payer = ctx.service.payer
    return [e for e in entries if e.created_at >= ctx.visit_started and paid_from(e, payer)], problem


def paid_from(entry: HistoryEntry, payer: PayerInfo) -> bool:
    """The recorded payment was signed for ``payer``'s account (its bank and account number)."""
    request = read_signed(entry.jws)
    return request is not None and (request.payer.bank_bin, request.payer.account) == (payer.bank_bin, payer.account)


def entry_payee(entry: HistoryEntry) -> PayeeDisplay:
    """The payee of a recorded payment, named as the payment screens named it (from its signed request)."""
    request = read_signed(entry.jws)
    if request is None:
        return payee_display_from_request(Payee(entry.scheme, None, None, None, None, entry.payee_name, None, None))
    return payee_display_from_request(request.payee)


def recent_row(entry: HistoryEntry, ctx: AppContext) -> QPushButton:
    """One payment as a row that opens its detail (a flat button: focusable, Enter and click work)."""
    row = QPushButton()
    row.setObjectName("HistoryRow")
    row.setProperty("kind", "row")
    row.setCursor(Qt.CursorShape.PointingHandCursor)
    line = QHBoxLayout(row)
    line.setContentsMargins(8, 6, 8, 6)
    left = QVBoxLayout()
    left.setSpacing(0)
    left.addWidget(plain_label(entry_payee(entry).name, "value"))
    status = plain_label(f"{list_time(entry.created_at)} · {ctx.t('status.' + entry.status)}", "caption", wrap=False)
    left.addWidget(status)
    line.addLayout(left, 1)
    cost = entry.charge  # from the signed request: the total paid, fee or tip included
    right = QVBoxLayout()
    right.setSpacing(0)
    labels = [plain_label(format_vnd(cost.total), "value", wrap=False)]
    labels[0].setObjectName("HistoryRowTotal")
    if cost.fee:  # the amount and the fee or tip under the total: 100.000 + 50.000
        labels.append(plain_label(f"{group_thousands(entry.amount)} + {group_thousands(cost.fee)}", "caption",
                                  wrap=False))
        labels[1].setObjectName("HistoryRowFee")
    for shown in labels:
        shown.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        right.addWidget(shown)
    line.addLayout(right)
    for label in row.findChildren(QLabel):
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    row.setMinimumHeight(line.sizeHint().height())
    return row
