"""Home's "Màn hình người bán" (merchant display) button: opens the HTTP acquirer's ``/display``
page in the browser (QDesktopServices), so a payer can watch the other side of the counter.

Shown only when an HTTP acquirer is set in Settings (the embedded acquirer serves no page) and not
in kiosk mode: at a booth the operator opens the display on the second screen (README).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices

from payer_app.gui.components import button

DISPLAY_PATH = "/display"


def display_url(acquirer_url: str | None) -> str | None:
    """The merchant display of an HTTP(S) acquirer URL; None for the embedded acquirer or anything else."""
    if not acquirer_url:
        return None
    parts = urlsplit(acquirer_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}{DISPLAY_PATH}"


class MerchantDisplayLink(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ctx = window.ctx
        self.button = button("", "secondary", "MerchantDisplayButton")
        self.button.clicked.connect(self.open_display)
        window.home.saved_slot.addWidget(self.button)
        window.settings_screen.saved.connect(lambda _settings: self.refresh())
        self.ctx.language.changed.connect(lambda _code: self.refresh())
        self.refresh()

    @property
    def url(self) -> str | None:
        return display_url(self.ctx.settings.acquirer_url)

    def refresh(self) -> None:
        self.button.setText("🖥  " + self.ctx.t("display.open"))
        self.button.setToolTip(self.url or "")
        self.button.setVisible(not self.ctx.kiosk and self.url is not None)

    def open_display(self) -> bool:
        url = self.url
        if url is None:
            return False
        if not QDesktopServices.openUrl(QUrl(url)):
            self.window.toast.show_message(self.ctx.t("display.cannot_open", url=url))
            return False
        return True
