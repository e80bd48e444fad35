"""Home's "Màn hình người bán" (merchant display) button: opens the acquirer's ``/display`` page in
the browser (QDesktopServices), so the payer sees the other side of the counter.

* An HTTP acquirer set in Settings: its own page, ``ACQUIRER_URL/display``.
* The embedded acquirer (no URL): it has no HTTP server, so on the first click the window serves
  that acquirer's display and bill routes on 127.0.0.1 (a free port, loopback only;
  ``payments.acquirer.server.serve_display``), started on a worker thread, stopped when the window
  closes or the payment service is replaced.

Not shown in kiosk mode: at a booth the operator opens the display on the second screen (docs/booth.md).
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from PySide6.QtCore import QEvent, QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices

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
    _served = Signal(object, object)  # the payment service, the started server (or None)
    _not_served = Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ctx = window.ctx
        self.server = None  # the embedded acquirer's display server, once started
        self._server_service = None
        self._starting = False
        self.button = window.home.display_button  # Home builds and places it; this link drives it
        self.button.clicked.connect(self.open_display)
        window.settings_screen.saved.connect(lambda _settings: self.refresh())
        self.ctx.language.changed.connect(lambda _code: self.refresh())
        self._served.connect(self._on_served)
        self._not_served.connect(self._on_not_served)
        window.installEventFilter(self)  # the window's Close stops the server
        self.refresh()

    @property
    def url(self) -> str | None:
        """The page to open now: the HTTP acquirer's, or the embedded one's once it is served."""
        http = display_url(self.ctx.settings.acquirer_url)
        if http is not None:
            return http
        if self.server is not None and self._server_service is self.ctx.service:
            return self.server.url + DISPLAY_PATH
        return None

    def refresh(self) -> None:
        self.button.setText("🖥  " + self.ctx.t("display.open"))
        self.button.setToolTip(self.url or "")
        self.button.setVisible(not self.ctx.kiosk)
        if self.server is not None and self._server_service is not self.ctx.service:
            self.stop()  # the service (and its embedded acquirer) was replaced

    def open_display(self) -> bool:
        url = self.url
        if url is not None:
            return self._open(url)
        service = self.ctx.service
        if service is None or self._starting:
            return False
        self._starting = True
        self.button.setEnabled(False)
        threading.Thread(target=self._serve, args=(service,), daemon=True, name="merchant-display").start()
        return True

    def _serve(self, service) -> None:
        from payer_app.payments.acquirer.server import serve_display

        try:
            server = serve_display(service.embedded_acquirer())
        except Exception as exc:  # noqa: BLE001 - said on screen, never a crash
            try:
                self._not_served.emit(str(exc) or type(exc).__name__)
            except RuntimeError:
                pass
            return
        try:
            self._served.emit(service, server)
        except RuntimeError:  # the window is gone
            server.stop()

    def _on_served(self, service, server) -> None:
        self._starting = False
        self.button.setEnabled(True)
        if service is not self.ctx.service:
            server.stop()
            return
        self.stop()
        self.server, self._server_service = server, service
        self.refresh()
        self._open(server.url + DISPLAY_PATH)

    def _on_not_served(self, reason: str) -> None:
        self._starting = False
        self.button.setEnabled(True)
        self.window.toast.show_message(self.ctx.t("display.cannot_serve", problem=reason))

    def _open(self, url: str) -> bool:
        if not QDesktopServices.openUrl(QUrl(url)):
            self.window.toast.show_message(self.ctx.t("display.cannot_open", url=url))
            return False
        return True

    def stop(self) -> None:
        server, self.server, self._server_service = self.server, None, None
        if server is not None:
            server.stop()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.stop()
        return False
