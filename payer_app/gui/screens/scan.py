"""Scan: live preview with a scan-window overlay, the detected code outlined, camera picker, mirror,
upload / paste / drag-and-drop of an image, a hint line and a flash (and beep) on acceptance."""

from __future__ import annotations

import math
import time
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QApplication, QComboBox, QHBoxLayout, QSizePolicy, QWidget

from payer_app.core.payload import MAX_INPUT_CHARS
from payer_app.gui.camera_urls import CameraUrlDialog, camera_choices, remembered
from payer_app.gui.components import Page, button, button_row, plain_label
from payer_app.gui.context import AppContext
from payer_app.gui.flow_controls import add_cancel
from payer_app.gui.paste_parser import PasteParser
from payer_app.gui.scan_adapter import ScanAdapter, ScanResult, qimage_to_bgr
from payer_app.gui.settings import save_settings
from payer_app.scan.network_source import is_network_url

ADD_CAMERA_URL = "add-camera-url:"  # the picker's "Add camera URL…" item (never a camera spec)



def camera_painter(widget: QWidget) -> QPainter:
    """A painter on a camera view (Scan's preview, the face check's): antialiased, clipped to the
    view's rounded corners, the background dark where no frame covers it."""
    p = QPainter(widget)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    clip = QPainterPath()
    clip.addRoundedRect(QRectF(0, 0, widget.width(), widget.height()), 18, 18)
    p.setClipPath(clip)
    p.fillRect(widget.rect(), QColor("#101418"))
    return p

class PreviewView(QWidget):
    """Paints the newest frame (cover-fit, optionally mirrored), the scan window and the outlines."""

    def __init__(self):
        super().__init__()
        self.setMinimumSize(200, 160)  # grows with the window; small enough for a 1280x720 screen at 150 %
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.image: QImage | None = None
        self.polygons: list[tuple] = []
        self.mirror = False
        self.message = ""
        self.on_resized = None  # called with the view's size in device pixels when it changes
        self._flash = 0.0
        self._flash_timer = QTimer(self)
        self._flash_timer.setInterval(30)
        self._flash_timer.timeout.connect(self._fade)

    def set_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self.on_resized is not None:
            ratio = self.devicePixelRatioF()
            self.on_resized((math.ceil(self.width() * ratio), math.ceil(self.height() * ratio)))

    def set_polygons(self, polygons: list[tuple]) -> None:
        self.polygons = polygons
        self.update()

    def flash(self) -> None:
        self._flash = 1.0
        self._flash_timer.start()
        self.update()

    def _fade(self) -> None:
        self._flash = max(0.0, self._flash - 0.08)
        if self._flash == 0.0:
            self._flash_timer.stop()
        self.update()

    def _frame_transform(self, image: QImage) -> tuple[float, float, float]:
        """(scale, dx, dy) mapping the pixels of ``image`` to widget pixels for a cover fit (a preview
        made smaller than its frame keeps the frame's size as its logical size)."""
        w, h = self.width(), self.height()
        size = image.deviceIndependentSize()
        iw, ih = size.width(), size.height()
        scale = max(w / iw, h / ih)
        return scale, (w - iw * scale) / 2, (h - ih * scale) / 2

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = camera_painter(self)
        w, h = self.width(), self.height()
        if self.image is not None and not self.image.isNull():
            scale, dx, dy = self._frame_transform(self.image)
            p.save()
            if self.mirror:
                p.translate(w, 0)
                p.scale(-1, 1)
            p.translate(dx, dy)
            p.scale(scale, scale)
            p.drawImage(0, 0, self.image)
            pen = QPen(QColor("#2EE59D"))
            pen.setWidthF(4 / scale)
            p.setPen(pen)
            p.setBrush(QColor(46, 229, 157, 50))
            for poly in self.polygons:
                if len(poly) >= 3:
                    p.drawPolygon(QPolygonF([QPointF(x, y) for x, y in poly]))
            p.restore()
        # scan window: darken outside a centred square, bright corner brackets
        side = min(w, h) * 0.68
        window = QRectF((w - side) / 2, (h - side) / 2, side, side)
        shade = QPainterPath()
        shade.addRect(QRectF(0, 0, w, h))
        hole = QPainterPath()
        hole.addRoundedRect(window, 16, 16)
        p.fillPath(shade.subtracted(hole), QColor(0, 0, 0, 110))
        pen = QPen(QColor("white"))
        pen.setWidth(4)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        arm = side * 0.14
        for cx, cy, sx, sy in ((window.left(), window.top(), 1, 1), (window.right(), window.top(), -1, 1),
                               (window.left(), window.bottom(), 1, -1), (window.right(), window.bottom(), -1, -1)):
            p.drawLine(QPointF(cx, cy), QPointF(cx + sx * arm, cy))
            p.drawLine(QPointF(cx, cy), QPointF(cx, cy + sy * arm))
        if self.message:
            p.setPen(QColor("#cfd8dc"))
            p.drawText(QRectF(16, h - 48, w - 32, 40), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.message)
        if self._flash > 0:
            p.fillRect(self.rect(), QColor(255, 255, 255, int(200 * self._flash)))
        p.end()


# A code just accepted is not accepted again on returning to Scan until it has left the view, however
# long it stays there (Back from the payee must not bounce straight back to the payee).
LEFT_VIEW_S = 0.6  # no code seen for this long: the code has left the view (one missed frame is not)


class ScanScreen(Page):
    """Emits ``scanned(ScanResult)`` once per accepted code.

    The camera runs while the screen is shown (``entered`` / ``left``), except when the screen was
    opened to decode a picked image (``still_only``). ``clock`` (seconds, monotonic) times the
    hold-off of a code just accepted; tests give it a clock they move by hand."""

    scanned = Signal(object)
    pick_image_requested = Signal()
    hint_changed = Signal(str)
    camera_ready = Signal()  # the camera's first frame came: it is looking now

    def __init__(self, ctx: AppContext, adapter: ScanAdapter):
        super().__init__(show_back=True, action_text=" ", scroll=False)
        self.ctx = ctx
        self.adapter = adapter
        self.cancel_button = add_cancel(self)
        self.still_only = False
        self._last_text: str | None = None
        self.clock = time.monotonic
        self._hold_until = 0.0
        self._empty_since: float | None = None
        self.paste_parser = PasteParser(self)  # pasted text: length cap first, parsed off the GUI thread
        self.paste_parser.parsed.connect(self._on_paste_parsed)
        self.setAcceptDrops(True)
        self.preview = PreviewView()
        self.preview.setObjectName("Preview")
        self.preview.mirror = ctx.settings.mirror
        self.preview.on_resized = lambda pixels: setattr(adapter, "preview_pixels", pixels)  # frames no larger
        self.body.addWidget(self.preview, 1)
        self.hint = plain_label("", "hint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.hint)

        controls = QHBoxLayout()
        self.camera_box = QComboBox()
        self.camera_box.setObjectName("CameraPicker")
        self.camera_box.activated.connect(self._camera_chosen)
        self.mirror_button = button("", "chip", "MirrorButton")
        self.mirror_button.setCheckable(True)
        self.mirror_button.setChecked(ctx.settings.mirror)
        self.mirror_button.toggled.connect(self._mirror_toggled)
        controls.addWidget(self.camera_box, 1)
        controls.addWidget(self.mirror_button)
        self.body.addLayout(controls)

        self.upload_button = button("", "secondary", "UploadButton")
        self.paste_button = button("", "secondary", "PasteButton")
        self.upload_button.clicked.connect(self.pick_image_requested)
        self.paste_button.clicked.connect(self.paste_from_clipboard)
        self.upload_button.setVisible(not ctx.kiosk)  # a booth shows no file dialogs
        self.body.addLayout(button_row(self.upload_button, self.paste_button))
        self.drop_hint = plain_label("", "caption")
        self.drop_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.drop_hint)

        adapter.frame.connect(self.preview.set_image)
        adapter.detections.connect(self._on_detections)
        adapter.accepted.connect(self._on_accepted)
        adapter.failed.connect(self._on_failed)
        adapter.camera_stopped.connect(self._on_camera_stopped)
        adapter.finished.connect(self._on_finished)
        adapter.image_decoded.connect(self._on_image_decoded)
        adapter.image_failed.connect(self._on_image_failed)
        self._cameras: list[tuple[str, str]] = []
        self.url_dialog: CameraUrlDialog | None = None
        self._active = False
        self.waiting_for_camera = False  # started, no frame yet (a camera can take seconds to open)
        self._hint_key = "scan.hint"
        self._hint_values: dict = {}
        self.retranslate()

    # language ----------------------------------------------------------------------------------
    def retranslate(self) -> None:
        t = self.ctx.t
        self.top.set_title(t("scan.title"))
        self.cancel_button.setText(t("common.cancel"))
        self.mirror_button.setText("⇋ " + t("scan.mirror"))
        self.upload_button.setText(t("scan.upload"))
        self.paste_button.setText(t("scan.paste"))
        self.drop_hint.setText(t("scan.drop_hint"))
        self._fill_cameras()
        self._show_hint()

    def _set_hint(self, key: str, role: str = "hint", **values) -> None:
        self._hint_key, self._hint_values = key, values
        from payer_app.gui.components import set_role

        set_role(self.hint, role)
        self._show_hint()

    def _show_hint(self) -> None:
        text = self.ctx.t(self._hint_key, **self._hint_values)
        if text != self.hint.text():
            self.hint.setText(text)
            self.hint_changed.emit(text)

    def set_cameras(self, cameras: list[tuple[str, str]]) -> None:
        self._cameras = cameras
        self._fill_cameras()

    def _fill_cameras(self) -> None:
        self.camera_box.blockSignals(True)
        self.camera_box.clear()
        spec = self.ctx.camera_spec
        short = spec if is_network_url(spec) else Path(spec).name if "/" in spec else spec  # a file: its name
        for choice, label in camera_choices(self.ctx.t("scan.demo_camera"), self._cameras,
                                            self.ctx.settings.recent_camera_urls, spec, short):
            self.camera_box.addItem(label, choice)
        if not self.ctx.kiosk:  # a booth changes cameras in Settings, behind the operator PIN
            self.camera_box.addItem(self.ctx.t("camera_url.add"), ADD_CAMERA_URL)
        self.camera_box.setCurrentIndex(max(0, self.camera_box.findData(self.ctx.camera_spec)))
        self.camera_box.blockSignals(False)

    # session -----------------------------------------------------------------------------------
    def on_enter(self) -> None:
        if self.still_only:
            self._set_hint("scan.hint")
            self.preview.message = ""
            return
        # back from the payee of the code just accepted: that code waits (a new payment does not)
        returning = self.ctx.flow.scan is not None and self.ctx.flow.scan.text == self._last_text
        self._hold_until = math.inf if returning else 0.0  # until the code has left the view
        self._empty_since = None
        self.start()

    def on_leave(self) -> None:
        self.still_only = False
        self.stop()
        self.preview.image = None  # the last frame (2.6 MB at 720p) is not kept behind other screens
        self.preview.polygons = []

    def start(self) -> None:
        self._active = True
        self.preview.image = None
        self.preview.polygons = []
        self.preview.message = self.ctx.t("scan.starting")
        self._set_hint("scan.hint")
        self.waiting_for_camera = True
        self.adapter.start(self.ctx.camera_spec, frame_size=self.ctx.settings.frame_size)

    def stop(self) -> None:
        self._active = False
        self.waiting_for_camera = False
        self.paste_parser.cancel()
        self.adapter.stop()

    def _camera_chosen(self, index: int) -> None:
        spec = self.camera_box.itemData(index)
        if spec == ADD_CAMERA_URL:
            was_active = self._active
            if was_active:
                self.stop()  # no code is accepted behind the dialog
            if self.ask_camera_url() is None:
                self._fill_cameras()  # back to the camera in use
            if was_active:
                self.start()
            return
        if spec and spec != self.ctx.camera_spec:
            self.ctx.camera_spec = spec
            if self._active:
                self.start()

    def ask_camera_url(self) -> str | None:
        """The URL typed in the network camera dialog (checked), remembered without credentials."""
        dialog = CameraUrlDialog(self.ctx.t, self)
        self.url_dialog = dialog  # reachable while open (a modal dialog runs its own loop)
        try:
            if dialog.exec() != CameraUrlDialog.DialogCode.Accepted:
                return None
        finally:
            self.url_dialog = None
        url = dialog.url
        self.ctx.settings.recent_camera_urls = remembered(self.ctx.settings.recent_camera_urls, url)
        try:
            save_settings(self.ctx.settings)
        except OSError:
            pass  # not remembered; the camera is still used now
        self.ctx.camera_spec = url  # with its credentials, for this session only
        self._fill_cameras()
        return url

    def _mirror_toggled(self, on: bool) -> None:
        self.preview.mirror = on
        self.preview.update()

    # engine signals ----------------------------------------------------------------------------
    def _on_detections(self, polygons: list, decode_ms: float) -> None:
        if not self._active:  # sent before the camera stopped, delivered after Scan was left: not shown
            return
        if self.waiting_for_camera:
            self.waiting_for_camera = False
            self.camera_ready.emit()
        self.preview.message = ""
        if self._hint_key == "scan.camera_stopped":
            self._set_hint("scan.hint")  # frames again: the camera is back
        now = self.clock()
        if polygons:
            self._empty_since = None
        elif self._empty_since is None:
            self._empty_since = now
        elif now - self._empty_since >= LEFT_VIEW_S:
            self._hold_until = 0.0  # the last code has left the view: it may be accepted again
        self.preview.set_polygons(polygons)
        if len(polygons) > 1:
            self._set_hint("scan.hint_many", "error", count=len(polygons))
        elif self._hint_key == "scan.hint_many":
            self._set_hint("scan.hint")

    def _on_accepted(self, result: ScanResult) -> None:
        if not self._active:
            return
        if result.others > 1:
            self._set_hint("scan.hint_many", "error", count=result.others)
            return  # never pick one of several payment QRs silently
        if result.text == self._last_text and self.clock() < self._hold_until:
            return  # the code just accepted, still in view: not again
        self._accept(result)

    def _accept(self, result: ScanResult) -> None:
        self._last_text = result.text
        self._set_hint("scan.hint_found", "ok")
        self.preview.flash()
        if self.ctx.settings.sound:
            QApplication.beep()
        self.stop()
        self.scanned.emit(result)

    def _on_failed(self, message: str) -> None:
        if not self._active:
            return
        if self.ctx.camera_spec != "demo" and self.adapter.source_spec.startswith(("camera:", "/dev/video")):
            self._set_hint("scan.no_camera", "error", problem=message)
            self.ctx.camera_spec = "demo"
            self._fill_cameras()
            self.waiting_for_camera = True
            self.adapter.start("demo", frame_size=self.ctx.settings.frame_size)
            return
        self.waiting_for_camera = False  # no frame is coming
        self._set_hint("scan.camera_error", "error", problem=message)

    def _on_camera_stopped(self, message: str) -> None:
        """A live camera stopped delivering usable frames (hung, closed, sent what is refused); the
        scan session reopens it, and the screen says so until frames come again."""
        if self.adapter.source_spec.startswith(("camera:", "/dev/video")):
            self._on_failed(message)  # a webcam gone: the demo camera takes over, as when it cannot open
        elif self._active:
            self.waiting_for_camera = False
            self._set_hint("scan.camera_stopped", "error", problem=message)

    def _on_finished(self) -> None:
        self.waiting_for_camera = False
        if self._active and self._hint_key not in ("scan.camera_error", "scan.no_camera", "scan.camera_stopped"):
            self._set_hint("scan.source_ended", "error")

    # still images ------------------------------------------------------------------------------
    def decode_file(self, path: str) -> None:
        self._set_hint("scan.hint")
        self.adapter.decode_image(path=path)

    def paste_from_clipboard(self) -> None:
        clip = QGuiApplication.clipboard()
        mime = clip.mimeData()
        image = clip.image()
        if not image.isNull():
            self.adapter.decode_image(image=qimage_to_bgr(image), name="clipboard")
            return
        if mime is not None and mime.hasUrls():
            local = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
            if local:
                self.decode_file(local[0])
                return
        text = clip.text().strip()
        if text:
            result = ScanResult(text=text, decoder="clipboard", source="clipboard")
            if not self.paste_parser.parse(text, result):
                self._set_hint("scan.paste_too_long", "error", count=len(text), limit=MAX_INPUT_CHARS)
            return
        self._set_hint("scan.clipboard_empty", "error")

    def _on_paste_parsed(self, result: ScanResult, parsed) -> None:
        result.parsed = parsed
        self._accept(result)

    def _on_image_decoded(self, results: list, name: str) -> None:
        if not self.isVisible() and not self._active:
            return
        if not results:
            self._set_hint("scan.image_no_qr", "error", name=name)
            return
        if len({r.text for r in results}) > 1:
            self.preview.set_image(results[0].frame)
            self.preview.set_polygons([r.polygon for r in results])
            self._set_hint("scan.hint_many", "error", count=len(results))
            return
        self.preview.set_image(results[0].frame)
        self.preview.set_polygons([results[0].polygon])
        self._accept(results[0])

    def _on_image_failed(self, message: str) -> None:
        self._set_hint("scan.image_error", "error", problem=message)

    # drag and drop -----------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        mime = event.mimeData()
        local = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
        if local:
            self.decode_file(local[0])
        elif mime.hasImage():
            self.adapter.decode_image(image=qimage_to_bgr(QImage(mime.imageData())), name="drop")
        event.acceptProposedAction()
