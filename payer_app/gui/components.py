"""Small building blocks shared by the screens: top bar, cards, labelled rows, toasts, and ``Page``
(a ``gui.screen.Screen`` with a top bar, a scrollable body and a bottom bar).

Every label is created by ``plain_label``: a ``plain_text.PlainLabel`` (Qt.PlainText, controls
escaped), so a merchant name such as ``<img src=x>`` is displayed literally and never interpreted as
rich text or a link. Toasts go through ``plain_text.shown`` the same way.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from payer_app.gui.plain_text import PlainLabel, shown
from payer_app.gui.screen import Screen

TOAST_MARGIN = 16  # between a toast and the bottom bar, or the window's bottom edge


def plain_label(text: str = "", role: str | None = None, wrap: bool = True, selectable: bool = False) -> PlainLabel:
    label = PlainLabel(text)
    label.setWordWrap(wrap)
    if role:
        label.setProperty("role", role)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def set_role(widget: QWidget, role: str) -> None:
    """Change a styling role and make the stylesheet notice."""
    if widget.property("role") != role:
        widget.setProperty("role", role)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


def button(text: str = "", kind: str | None = None, name: str | None = None) -> QPushButton:
    b = QPushButton(text)
    if kind:
        b.setProperty("kind", kind)
    if name:
        b.setObjectName(name)
    b.setCursor(Qt.CursorShape.PointingHandCursor)
    return b


class SingleClicksOnly(QObject):
    """Drops a double click's second click on the buttons it watches (``single_clicks_only``): after
    a click that moves to the next screen, the second one lands on whatever button took its place
    there, and a confirmation must not be given without being seen."""

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        return event.type() == QEvent.Type.MouseButtonDblClick


def single_clicks_only(owner: QObject, *buttons: QPushButton) -> None:
    """These buttons take single clicks only (``SingleClicksOnly``, kept alive by ``owner``)."""
    watcher = SingleClicksOnly(owner)
    for b in buttons:
        b.installEventFilter(watcher)


def receipt_icon(color: str, side: int = 20) -> QIcon:
    """A receipt (a slip with a torn bottom edge and three lines) drawn in ``color``: no font has to
    hold a receipt symbol for it to show."""
    ratio = 3  # drawn large, so it stays sharp when the kiosk or the screen scales it
    pixmap = QPixmap(side * ratio, side * ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(ratio, ratio)
    pen = QPen(QColor(color), 1.6)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    left, right, top, bottom = side * 0.2, side * 0.8, side * 0.1, side * 0.88
    slip = QPainterPath(QPointF(left, bottom))
    slip.lineTo(left, top)
    slip.lineTo(right, top)
    slip.lineTo(right, bottom)
    teeth = 4
    step = (right - left) / teeth
    for i in range(teeth):  # the torn edge: a zigzag from right to left
        x = right - step * i
        slip.lineTo(x - step / 2, bottom - side * 0.08)
        slip.lineTo(x - step, bottom)
    painter.drawPath(slip)
    for i, length in enumerate((0.4, 0.4, 0.25)):
        y = top + side * (0.2 + 0.17 * i)
        painter.drawLine(QPointF(left + side * 0.1, y), QPointF(left + side * (0.1 + length), y))
    painter.end()
    return QIcon(pixmap)


class TopBar(QFrame):
    """Title with a back button on the left and an optional action on the right."""

    back_clicked = Signal()
    action_clicked = Signal()

    def __init__(self, show_back: bool = True, action_text: str | None = None):
        super().__init__()
        self.setObjectName("TopBar")
        self.setFixedHeight(56)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 6, 0)
        self.back = QToolButton()
        self.back.setObjectName("TopBarButton")
        self.back.setText("‹")
        self.back.setCursor(Qt.CursorShape.PointingHandCursor)
        self.back.clicked.connect(self.back_clicked)
        self.back.setVisible(show_back)
        self.title = plain_label("", wrap=False)
        self.title.setObjectName("TopBarTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.action = QToolButton()
        self.action.setObjectName("TopBarButton")
        self.action.setText(action_text or "")
        self.action.setVisible(bool(action_text))
        self.action.clicked.connect(self.action_clicked)
        for b in (self.back, self.action):
            b.setFixedWidth(44)
        row.addWidget(self.back)
        row.addWidget(self.title, 1)
        row.addWidget(self.action)
        if not show_back:
            spacer = QWidget()
            spacer.setFixedWidth(44)
            row.insertWidget(0, spacer)
        if not action_text:
            spacer = QWidget()
            spacer.setFixedWidth(44)
            row.addWidget(spacer)

    def set_title(self, text: str) -> None:
        self.title.setText(text)


class Card(QFrame):
    def __init__(self, spacing: int = 10, margins: int = 16):
        super().__init__()
        self.setObjectName("Card")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(margins, margins, margins, margins)
        self.body.setSpacing(spacing)


def column(widget: QWidget, spacing: int = 4, top: int = 0) -> QVBoxLayout:
    """A vertical layout filling ``widget`` edge to edge (``top`` pixels above), rows ``spacing`` apart."""
    col = QVBoxLayout(widget)
    col.setContentsMargins(0, top, 0, 0)
    col.setSpacing(spacing)
    return col


def button_row(*buttons: QPushButton, stretch: int = 1) -> QHBoxLayout:
    """Buttons side by side; with ``stretch`` 1 they share the width equally."""
    row = QHBoxLayout()
    for b in buttons:
        row.addWidget(b, stretch)
    return row


def clear_layout(layout: QLayout) -> None:
    """Take every item out of ``layout``; its widgets are deleted once control returns to the event loop."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.deleteLater()


def divider() -> QFrame:
    line = QFrame()
    line.setObjectName("Divider")
    return line


class InfoRow(QWidget):
    """A caption above a value (the value is plain text and selectable)."""

    def __init__(self, caption: str = "", value: str = ""):
        super().__init__()
        col = column(self, spacing=2)
        self.caption = plain_label(caption, "caption")
        self.value = plain_label(value, "value", selectable=True)
        col.addWidget(self.caption)
        col.addWidget(self.value)

    def set(self, caption: str, value: str | None) -> None:
        self.caption.setText(caption)
        self.value.setText(value or "")
        self.setVisible(bool(value))


def short_reference(request_id: str | None) -> str | None:
    """What the payer reads for a request id: its first 8 characters, in capitals (the full id is in the
    request's JSON, the saved files and the history export)."""
    return request_id[:8].upper() if request_id else None


def scrolling(layout: QVBoxLayout) -> QScrollArea:
    """A vertical scroll area around ``layout`` (its widget, or a new ``ScreenBody`` holding it)."""
    inner = layout.parentWidget()
    if inner is None:
        inner = QWidget()
        inner.setObjectName("ScreenBody")
        inner.setLayout(layout)
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # Tab reaches it (arrows scroll); a click on empty space
    # leaves the focus where the user types (the amount)
    area.setWidget(inner)
    return area


class Page(Screen):
    """A full window page: top bar + scrollable body + optional bottom bar."""

    def __init__(self, show_back: bool = True, action_text: str | None = None, scroll: bool = True):
        super().__init__()
        self.setObjectName("Screen")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.top = TopBar(show_back, action_text)
        outer.addWidget(self.top)
        inner = QWidget()
        inner.setObjectName("ScreenBody")
        self.body = QVBoxLayout(inner)
        self.body.setContentsMargins(16, 16, 16, 16)
        self.body.setSpacing(12)
        self.scroll_area: QScrollArea | None = None
        if scroll:
            self.scroll_area = scrolling(self.body)
            outer.addWidget(self.scroll_area, 1)
        else:
            outer.addWidget(inner, 1)
        self.bottom = QVBoxLayout()
        self.bottom.setContentsMargins(16, 8, 16, 16)
        self.bottom.setSpacing(8)
        outer.addLayout(self.bottom)


class Toast(QLabel):
    """A short message floating at the bottom of the window, above the screen's bottom bar (its
    buttons), or at the very bottom on a screen without one (Home), where it covers the least."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("Toast")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        parent.installEventFilter(self)
        self._stack = parent.findChild(QStackedWidget)  # the screens: a new one moves the toast
        if self._stack is not None:
            self._stack.currentChanged.connect(lambda _index: self._place() if not self.isHidden() else None)

    def show_message(self, text: str, ms: int = 2500) -> None:
        self.setText(shown(text, 500))
        self._place()
        self.raise_()
        self.show()
        self._timer.start(ms)

    def _free_bottom(self, parent: QWidget) -> int:
        """Where the screen shown now has its bottom bar (its top edge), in ``parent``'s pixels."""
        screen = self._stack.currentWidget() if self._stack is not None else None
        if screen is None:
            return parent.height() - TOAST_MARGIN
        bar = screen.bottom if isinstance(screen, Page) else None
        items = [bar.itemAt(i) for i in range(bar.count())] if bar is not None else []
        if bar is None or all(item is None or item.isEmpty() for item in items):
            return screen.mapTo(parent, QPoint(0, screen.height())).y() - TOAST_MARGIN
        return screen.mapTo(parent, QPoint(0, bar.geometry().top())).y()

    def _place(self) -> None:
        """Centred above the screen's bottom bar, as the screen is now (a message shown while the window
        is still being built moves with it when it is resized and shown)."""
        parent = self.parentWidget()
        if parent is None:
            return
        width = max(120, min(340, parent.width() - 32))
        self.setFixedWidth(width)
        self.setFixedHeight(self.heightForWidth(width) if self.hasHeightForWidth() else self.sizeHint().height())
        self.move((parent.width() - width) // 2, max(0, self._free_bottom(parent) - self.height()))

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize and not self.isHidden():
            self._place()
        return False


def mask_account(account: str | None) -> str | None:
    """Show only the last 4 characters of an account number: ``•••• 8859``."""
    if not account:
        return account
    if len(account) <= 4:
        return account
    return "•••• " + account[-4:]
