"""Result: the receipt and what can be done with the signed request."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from payer_app.core.amounts import format_vnd
from payer_app.core.charge import cost_line
from payer_app.core.payee_display import payee_display_from_request
from payer_app.core.timestamps import format_timestamp
from payer_app.gui.components import (
    Card,
    Page,
    button,
    column,
    plain_label,
    receipt_icon,
    set_role,
    short_reference,
)
from payer_app.gui.context import AppContext
from payer_app.gui.flow_controls import DetailCard, fee_row, problem_text, status_role
from payer_app.gui.moments import receipt_time
from payer_app.gui.plain_text import shown
from payer_app.gui.receipt_actions import export_folder, marked_image, take_receipt
from payer_app.gui.theme import PALETTES

GOOD = ("approved", "pending")
TOUCH_PX = 44  # the smallest button a finger hits surely


def qr_qimage(text: str, scale: int = 4) -> QImage:
    """The text as a QR code image (``payer_app.qr_symbol``: error correction L, never Micro QR)."""
    from payer_app.qr_symbol import qr_pixels

    pixels = qr_pixels(text, module_px=scale, error="l")
    height, width = pixels.shape
    return QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


class SaveBillBox(QWidget):
    """Under the receipt's actions: "Lưu hóa đơn" (or the name it is saved under, or why it cannot be saved)."""

    def __init__(self):
        super().__init__()
        self.setObjectName("SaveBillBox")
        col = column(self)
        self.line = plain_label("", "caption")
        self.line.setObjectName("SaveBillMessage")
        self.button = button("", "secondary", "SaveBillButton")
        col.addWidget(self.line)
        col.addWidget(self.button)
        self.hide()


class MorePanel(QFrame):
    """The window's technical receipt actions (save, copy, QR, JSON, picture), opened over the screen
    from "Thêm" and closed by any click; one action a row, each a full touch target, or two a row
    when a short window (1280x720 at 150 %) has no room for the column above "Thêm"."""

    def __init__(self, parent: QWidget, buttons: tuple[QPushButton, ...]):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("MorePanel")
        self.buttons = buttons
        self.grid = QGridLayout(self)
        self.grid.setSpacing(6)
        self.grid.setContentsMargins(8, 8, 8, 8)
        for b in buttons:
            b.setProperty("kind", "menu")
            b.clicked.connect(self.hide)
        self._arrange(1)
        self.hide()

    def _arrange(self, columns: int) -> None:
        for b in self.buttons:
            self.grid.removeWidget(b)
        for n, b in enumerate(self.buttons):
            self.grid.addWidget(b, n // columns, n % columns)

    def open_over(self, anchor: QWidget) -> None:
        """Opens right-aligned with ``anchor``, above it, kept inside the window and never over it."""
        page = anchor.window()
        top_right = anchor.mapToGlobal(QPoint(anchor.width(), 0))
        page_top = page.mapToGlobal(QPoint(0, 8)).y()
        for columns, width in ((1, min(max(anchor.width(), 260), page.width() - 16)), (2, page.width() - 16)):
            self._arrange(columns)
            self.setFixedWidth(width)
            self.adjustSize()
            if top_right.y() - self.height() - 6 >= page_top:
                break
        top = max(page_top, top_right.y() - self.height() - 6)
        left = max(page.mapToGlobal(QPoint(8, 0)).x(), top_right.x() - self.width())
        self.move(left, top)
        self.show()


class ResultScreen(Page):
    new_payment_requested = Signal()

    def __init__(self, ctx: AppContext):
        super().__init__(show_back=False)
        self.ctx = ctx
        head = Card(spacing=6)
        self.icon = plain_label("✓", "result-icon", wrap=False)
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = plain_label("", "result-title")
        self.title.setObjectName("ResultTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.amount = plain_label("", "big-amount")
        self.amount.setObjectName("ResultAmount")
        self.amount.setAlignment(Qt.AlignmentFlag.AlignCenter)
        head.body.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignHCenter)
        head.body.addWidget(self.title)
        head.body.addWidget(self.amount)
        self.receipt = QWidget()  # what "save as image" photographs: the status and the details
        self.receipt.setObjectName("Receipt")
        receipt_col = QVBoxLayout(self.receipt)
        receipt_col.setContentsMargins(0, 0, 0, 0)
        receipt_col.setSpacing(12)
        receipt_col.addWidget(head)
        self.body.addWidget(self.receipt)
        details = DetailCard(("to", "bank", "account", "fee", "note", "time", "request_id", "acquirer",
                                            "reference", "message"), spacing=8)
        self.rows, self.details = details.rows, details
        receipt_col.addWidget(details)
        self.status_line = plain_label("", "ok")
        self.status_line.setObjectName("ResultStatusLine")
        self.status_line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.status_line)
        self.kiosk_line = plain_label("", "caption")
        self.kiosk_line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.kiosk_line)
        self.body.addStretch(1)
        self.save_button = button("", "secondary", "SaveButton")
        self.copy_button = button("", "secondary", "CopyButton")
        self.qr_button = button("", "secondary", "ShowQrButton")
        self.json_button = button("", "secondary", "JsonButton")
        self.image_button = button("", "secondary", "SaveImageButton")
        self.share_button = button("", "secondary", "ShareImageButton")  # the receipt picture to paste anywhere
        self.pdf_button = button("", "secondary", "ReceiptPdfButton")  # gui/receipt_actions.py: PDF, print or QR
        self.more_button = button("", "secondary", "MoreActionsButton")
        # what a payer does with the signed request sits behind "Thêm" (more), so the outcome and the
        # primary action keep the screen; a kiosk offers a visitor only the receipt and "Xong"
        self.more_panel = MorePanel(self, (self.save_button, self.image_button, self.copy_button,
                                           self.share_button, self.qr_button, self.json_button))
        self.more_button.clicked.connect(lambda: self.more_panel.open_over(self.more_button))
        self.more_button.setVisible(not ctx.kiosk)
        self.actions_row = QHBoxLayout()
        self.actions_row.setSpacing(8)
        for b in (self.pdf_button, self.more_button):
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # never wider than the window
            self.actions_row.addWidget(b, 1)
        self.bottom.addLayout(self.actions_row)
        self.save_box = SaveBillBox()  # "save this bill" (gui/saved_bills_controller.py fills it)
        self.bottom.addWidget(self.save_box)
        for b in (self.pdf_button, self.more_button, self.save_box.button):
            b.setMinimumHeight(TOUCH_PX)
        self.new_button = button("", "primary", "NewPaymentButton")
        self.bottom.addWidget(self.new_button)
        self.save_button.clicked.connect(self._save_clicked)
        self.copy_button.clicked.connect(self.copy_request)
        self.qr_button.clicked.connect(self.show_qr)
        self.json_button.clicked.connect(self.show_json)
        self.image_button.clicked.connect(self._save_image_clicked)
        self.share_button.clicked.connect(self.share_image)
        self.pdf_button.clicked.connect(lambda: take_receipt(self))
        self.new_button.clicked.connect(self.new_payment_requested)
        self._default_button = self.new_button
        self.dialog: QDialog | None = None
        self.kiosk_seconds = 0
        self._status: tuple[str, dict] | None = None
        self.retranslate()

    @property
    def jws(self) -> str:
        outcome = self.ctx.flow.outcome
        return outcome.jws if outcome is not None else ""

    def on_enter(self) -> None:
        self.new_button.setFocus()

    def _icon_colour(self) -> str:
        """The secondary buttons' text colour in the theme in use (``gui/theme.py``)."""
        return PALETTES.get(self.ctx.settings.theme, PALETTES["light"])["brand"]

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == QEvent.Type.StyleChange:  # a new theme: the receipt icon in its text colour
            self.pdf_button.setIcon(receipt_icon(self._icon_colour()))

    def retranslate(self) -> None:
        t = self.ctx.t
        self.top.set_title(t("result.title"))
        self.save_button.setText("⤓ " + t("result.save"))
        self.copy_button.setText("⧉ " + t("result.copy"))
        self.qr_button.setText("▦ " + t("result.show_qr"))
        self.json_button.setText("{ } " + t("result.view_json"))
        self.image_button.setText("🖼 " + t("result.save_image"))
        self.share_button.setText("⇪ " + t("result.share_image"))
        self.pdf_button.setText(t("result.take_receipt" if self.ctx.kiosk else "result.save_pdf"))
        self.pdf_button.setIcon(receipt_icon(self._icon_colour()))
        self.more_button.setText("⋯ " + t("result.more"))
        self.new_button.setText(t("result.done" if self.ctx.kiosk else "result.new"))
        self.refresh()

    def refresh(self) -> None:
        t = self.ctx.t
        flow = self.ctx.flow
        has_request = bool(self.jws)
        self.pdf_button.setVisible(has_request)  # only buttons that work are shown
        self.more_button.setVisible(has_request and not self.ctx.kiosk)
        if flow.outcome is None and flow.error is None:
            return
        self.details.clear()
        if flow.outcome is not None:
            outcome = flow.outcome
            request = outcome.request
            key = outcome.status
            if request is not None:  # None only for a stored request whose token cannot be read back
                payee = payee_display_from_request(request.payee)
                cost = request.cost
                self.amount.setText(format_vnd(cost.total))
                # the receipt names the fee or tip: amount + fee = total
                self.rows["fee"].set(fee_row(t, cost, None)[0], cost_line(request.amount, cost) if cost.fee else None)
                self.rows["to"].set(t("review.to"), payee.name)
                self.rows["bank"].set(t("payee.bank"), payee.bank)
                vietqr = request.payee.scheme == "vietqr"
                self.rows["account"].set(t("payee.account") if vietqr else t("payee.merchant_id"), payee.account)
                self.rows["note"].set(t("amount.note"), request.note or None)
                self.rows["time"].set(t("result.time"), receipt_time(format_timestamp(request.created_at)))
            self.rows["request_id"].set(t("result.request_id"), short_reference(outcome.request_id))
            self.rows["acquirer"].set(t("result.acquirer"), t(f"status.{key}"))
            self.rows["reference"].set(t("result.reference"), outcome.acquirer_reference)
            if key != "approved":
                self.rows["message"].set(t("result.reason"), self._reason(outcome))
        elif flow.error is not None:
            key = "failed"
            amount = flow.choice.amount if flow.choice is not None else None
            self.amount.setText(format_vnd(amount) if amount else "")
            self.rows["message"].set(t("result.reason"), problem_text(self.ctx, flow.error))
        self.details.tidy()
        self.title.setText(t(f"result.{key}"))
        self.icon.setText("✓" if key == "approved" else "…" if key == "pending" else "✕")
        set_role(self.icon, status_role("result-icon", key))
        set_role(self.amount, status_role("big-amount", key))
        self._show_status()
        self.show_kiosk_countdown(self.kiosk_seconds)

    def _reason(self, outcome) -> str:
        """The acquirer's answer in the window's language (a known reason code is translated)."""
        if outcome.reason and f"reason.{outcome.reason}" in self.ctx.language.catalogue:
            return self.ctx.t(f"reason.{outcome.reason}")
        if outcome.status == "pending":
            # the window: it can be sent again from History; a kiosk sends it again by itself
            # (gui/payment_runner.PendingResender) and shows the answer here
            kiosk = self.ctx.kiosk
            if outcome.pending_reason == "acquirer-error" and outcome.http_status:
                key = "result.pending_acquirer_error_kiosk" if kiosk else "result.pending_acquirer_error"
                return self.ctx.t(key, http=outcome.http_status)
            return self.ctx.t("result.pending_reason_kiosk" if kiosk else "result.pending_reason")
        return self.ctx.language.pick(outcome.message_vi or None, outcome.message) or ""

    def show_kiosk_countdown(self, seconds: int) -> None:
        self.kiosk_seconds = seconds
        self.kiosk_line.setVisible(seconds > 0)
        if seconds > 0:
            self.kiosk_line.setText(self.ctx.t("result.kiosk_return", seconds=seconds))

    def _set_status(self, key: str, role: str = "ok", **values) -> None:
        self._status = (key, values)
        set_role(self.status_line, role)
        self._show_status()

    def _show_status(self) -> None:
        if self._status is None:
            self.status_line.setText("")
        else:
            self.status_line.setText(self.ctx.t(self._status[0], **self._status[1]))

    def show_resending(self, seconds: int) -> None:
        """Kiosk: the pending payment on screen is sent again by itself every ``seconds``."""
        self._set_status("result.resending", "caption", seconds=seconds)

    def show_answer(self, outcome) -> None:
        """Kiosk: the pending payment on screen was sent again and got ``outcome``, its answer."""
        self.ctx.flow.outcome = outcome
        self._set_status("result.resent_answer", "caption")
        self.refresh()

    def clear_status(self) -> None:
        self._status = None
        self._show_status()

    # actions -----------------------------------------------------------------------------------
    def _save_clicked(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        outcome = self.ctx.flow.outcome
        if outcome is None:
            return
        name = f"{outcome.request_id}.jws"
        if self.ctx.kiosk:
            # a booth never browses the file system: one export folder inside the data folder
            if self.save_request(str(export_folder() / name)):
                self._set_status("result.saved_kiosk", name=name)
            return
        path, _ = QFileDialog.getSaveFileName(self, self.ctx.t("result.save"), name, self.ctx.t("result.jws_filter"))
        if path:
            self.save_request(path)

    def _save_image_clicked(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        outcome = self.ctx.flow.outcome
        if outcome is None:
            return
        name = f"receipt-{outcome.request_id}.png"
        if self.ctx.kiosk:
            if self.save_image(str(export_folder() / name)):
                self._set_status("result.saved_kiosk", name=name)
            return
        path, _ = QFileDialog.getSaveFileName(self, self.ctx.t("result.save_image"), name,
                                              self.ctx.t("result.png_filter"))
        if path:
            self.save_image(path)

    def share_image(self) -> None:
        """The receipt picture on the clipboard, to paste into a chat or an e-mail."""
        QGuiApplication.clipboard().setImage(marked_image(self.receipt))
        self._set_status("result.image_copied")

    def save_image(self, path: str) -> bool:
        """The receipt (status, amount, payee, bank, account, note, time, ids) as a PNG picture."""
        if not QPixmap.fromImage(marked_image(self.receipt)).save(path, "PNG"):
            self._set_status("result.save_error", "error", problem=path)
            return False
        self._set_status("result.saved", path=path)
        return True

    def save_request(self, path: str) -> bool:
        if not self.jws:  # nothing signed (or the payment was already forgotten): never an empty file
            self._set_status("result.nothing_to_save", "error")
            return False
        try:
            Path(path).write_text(self.jws + "\n", encoding="ascii")
        except OSError as exc:
            self._set_status("result.save_error", "error", problem=exc.strerror or str(exc))
            return False
        self._set_status("result.saved", path=path)
        return True

    def copy_request(self) -> None:
        QGuiApplication.clipboard().setText(self.jws)
        self._set_status("result.copied")

    def _dialog(self, title: str) -> tuple[QDialog, QVBoxLayout]:
        if self.dialog is not None:
            self.dialog.close()
        dialog = QDialog(self.window())
        dialog.setWindowTitle(title)
        dialog.setObjectName("Screen")
        col = QVBoxLayout(dialog)
        col.addWidget(plain_label(title, "section"))
        dialog.finished.connect(self.window().activateWindow)  # keys go back to the window
        self.dialog = dialog
        return dialog, col

    def show_qr(self) -> None:
        dialog, col = self._dialog(self.ctx.t("result.qr_title"))
        label = QLabel()
        label.setObjectName("RequestQr")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        image = qr_qimage(self.jws, scale=2)
        label.setPixmap(QPixmap.fromImage(image).scaled(
            340, 340, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation))
        col.addWidget(label)
        close = button(self.ctx.t("common.close"), "primary")
        close.clicked.connect(dialog.accept)
        col.addWidget(close)
        dialog.resize(380, 460)
        dialog.show()

    def show_json(self) -> None:
        outcome = self.ctx.flow.outcome
        if outcome is None:  # the button shows only on a payment's result
            return
        dialog, col = self._dialog(self.ctx.t("result.json_title"))
        text = QPlainTextEdit()
        text.setObjectName("RequestJson")
        text.setReadOnly(True)
        text.setPlainText(shown(json.dumps(outcome.to_dict()["request"], ensure_ascii=False, indent=2), None))
        col.addWidget(text)
        close = button(self.ctx.t("common.close"), "primary")
        close.clicked.connect(dialog.accept)
        col.addWidget(close)
        dialog.resize(380, 620)
        dialog.show()
