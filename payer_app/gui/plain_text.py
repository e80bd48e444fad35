"""Untrusted text shown in the window as literal text: never rich text, never a control character.

QR text, file names and finding messages come from strangers. Qt guesses the format of a label or a
tooltip (``Qt.AutoText``): ``<h1><font color=red>PAID OK</font></h1>`` would show as a red headline
and ``<img src="/path/file.png">`` would load a local file. Item views draw plain text, but their
tooltips are guessed too. So every outside text goes through this module:

- ``shown(text)``: ``payer_app.core.display_text.visible`` line by line (controls, bidi overrides,
  zero-width characters escaped; the line breaks our own texts use are kept), cut to a length.
- ``PlainLabel``: a QLabel fixed to ``Qt.PlainText`` whose ``setText`` passes through ``shown``.
  ``components.plain_label`` builds these; every label with outside text is one.
- ``tooltip(text)``: a tooltip that Qt renders as the literal text: the escaped text inside one
  fixed paragraph of markup (a bare string would be format-guessed), or "" for no tooltip.
- ``tree_item``: the same for item-view rows.

The display rule itself (which characters are unsafe) has one home: ``core.display_text``.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QWidget

from payer_app.core.display_text import visible

# Longest text a label or item shows; QR text is at most 7,089 characters (payload.MAX_INPUT_CHARS).
MAX_SHOWN_CHARS = 8000
# Tooltips are a glance, not a document.
MAX_TOOLTIP_CHARS = 1000
# The only markup a tooltip ever holds; the text inside is escaped, so it has no '<' or '>'.
TOOLTIP_OPEN = '<p style="white-space:pre-wrap">'
TOOLTIP_CLOSE = "</p>"
TOOLTIP_PATTERN = re.compile(re.escape(TOOLTIP_OPEN) + r"[^<>]*" + re.escape(TOOLTIP_CLOSE))


def shown(text: object, max_chars: int | None = MAX_SHOWN_CHARS) -> str:
    """``text`` ready for a widget: every line through ``visible``, the whole cut to ``max_chars``."""
    text = "" if text is None else str(text)
    cut = max_chars is not None and len(text) > max_chars
    if cut:
        text = text[:max_chars]
    lines = "\n".join(visible(line) for line in text.split("\n"))
    return lines + "…" if cut else lines


def tooltip(text: object, max_chars: int = MAX_TOOLTIP_CHARS) -> str:
    """A tooltip string that shows ``text`` literally ("" stays "": no tooltip)."""
    if text is None or str(text) == "":
        return ""
    return TOOLTIP_OPEN + html.escape(shown(text, max_chars), quote=False) + TOOLTIP_CLOSE


def tree_item(parent: QTreeWidget | QTreeWidgetItem, texts: list[object],
              tooltip_columns: tuple[int, ...] = ()) -> QTreeWidgetItem:
    """A tree row created with its parent, cells escaped and cut, the given columns' full text as
    tooltips. Texts go through the constructor and tooltips through ``setData``: with PySide6 6.11,
    ``setText`` / ``setToolTip`` on a fresh item add a reference to None that outlives the item."""
    item = QTreeWidgetItem(parent, [shown(text) for text in texts])
    for column in tooltip_columns:
        tip = tooltip(texts[column])
        if tip:
            item.setData(column, Qt.ItemDataRole.ToolTipRole, tip)
    return item


class PlainLabel(QLabel):
    """A label that shows its text literally: plain-text format, controls escaped, no links."""

    def __init__(self, text: object = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setOpenExternalLinks(False)
        self.setText(text)

    def setText(self, text: object) -> None:  # noqa: N802 - Qt API
        super().setText(shown(text))

    def setToolTip(self, text: object) -> None:  # noqa: N802 - Qt API
        super().setToolTip(tooltip(text))
