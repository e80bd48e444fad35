"""One payment from the history: the request (payee, total with its fee or tip, note), the acquirer's answer and the
signed request itself (JSON view, copy), opened from a History or Home row."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QPlainTextEdit, QVBoxLayout

from payer_app.core.amounts import format_vnd
from payer_app.core.charge import cost_line, no_charge
from payer_app.core.request import read_signed
from payer_app.core.timestamps import format_timestamp
from payer_app.gui.components import Card, Page, button, button_row, plain_label, set_role, short_reference
from payer_app.gui.context import AppContext
from payer_app.gui.flow_controls import DetailCard, fee_row, status_role
from payer_app.gui.moments import receipt_time
from payer_app.gui.screens.home import entry_payee
from payer_app.payments.history import HistoryEntry

GOOD = ("approved", "pending")


class EntryScreen(Page):
    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True)
        self.ctx = ctx
        head = Card(spacing=4)
        self.status = plain_label("", "result-title")
        self.status.setObjectName("EntryStatus")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.amount = plain_label("", "big-amount")
        self.amount.setObjectName("EntryAmount")
        self.amount.setAlignment(Qt.AlignmentFlag.AlignCenter)
        head.body.addWidget(self.status)
        head.body.addWidget(self.amount)
        self.body.addWidget(head)
        details = DetailCard(("to", "bank", "account", "customer_code", "fee", "note", "time", "request_id",
                              "name_check", "acquirer", "answer", "reference", "attempts", "message"), spacing=8)
        self.rows, self.details = details.rows, details
        self.body.addWidget(details)
        self.status_line = plain_label("", "ok")
        self.body.addWidget(self.status_line)
        self.body.addStretch(1)
        self.json_button = button("", "secondary", "EntryJsonButton")
        self.copy_button = button("", "secondary", "EntryCopyButton")
        self.json_button.clicked.connect(self.show_json)
        self.copy_button.clicked.connect(self.copy_request)
        self.bottom.addLayout(button_row(self.json_button, self.copy_button))
        self.entry: HistoryEntry | None = None
        self.dialog: QDialog | None = None
        self._default_button = self.json_button
        self.retranslate()

    def show_entry(self, entry: HistoryEntry) -> None:
        self.entry = entry
        self.status_line.setText("")
        self.refresh()

    def on_enter(self) -> None:
        self.json_button.setFocus()

    def on_leave(self) -> None:
        if self.dialog is not None:
            self.dialog.close()

    def retranslate(self) -> None:
        t = self.ctx.t
        self.top.set_title(t("entry.title"))
        self.json_button.setText("{ } " + t("result.view_json"))
        self.copy_button.setText("⧉ " + t("result.copy"))
        self.refresh()

    def refresh(self) -> None:
        e = self.entry
        if e is None:
            return
        t = self.ctx.t
        request = read_signed(e.jws)
        payee = entry_payee(e)
        vietqr = e.scheme == "vietqr"
        self.status.setText(t(f"result.{e.status}"))
        cost = request.cost if request is not None else no_charge(e.amount)
        self.amount.setText(format_vnd(cost.total))  # what was paid, fee or tip included
        self.rows["fee"].set(fee_row(t, cost, None)[0], cost_line(e.amount, cost) if cost.fee else None)
        set_role(self.amount, status_role("big-amount", e.status))
        self.rows["to"].set(t("review.to"), payee.name)
        self.rows["bank"].set(t("payee.bank"), payee.bank)
        self.rows["account"].set(t("payee.account") if vietqr else t("payee.merchant_id"), payee.account)
        self.rows["customer_code"].set(t("payee.customer_code"), e.customer_code)
        self.rows["note"].set(t("amount.note"), e.note or None)
        created = format_timestamp(request.created_at) if request is not None else e.created_at
        self.rows["time"].set(t("result.time"), receipt_time(created))
        self.rows["request_id"].set(t("result.request_id"), short_reference(e.request_id))
        check = request.name_check if request is not None else None  # the payer app's own claim, as signed
        self.rows["name_check"].set(t("registered.title"), None if check is None else " — ".join(
            part for part in (check.registered_name, t(f"registered.outcome.{check.outcome}")) if part))
        self.rows["acquirer"].set(t("entry.acquirer"), t("entry.embedded") if e.acquirer == "embedded" else e.acquirer)
        self.rows["answer"].set(t("result.acquirer"), t(f"status.{e.status}"))
        self.rows["reference"].set(t("result.reference"), e.acquirer_reference)
        self.rows["attempts"].set(t("entry.attempts"), str(e.attempts))
        self.rows["message"].set(t("result.reason"), None if e.status == "approved" else
                                 (t("result.pending_reason") if e.status == "pending" else e.message))
        self.details.tidy()

    def copy_request(self) -> None:
        if self.entry is not None:
            QGuiApplication.clipboard().setText(self.entry.jws)
            self.status_line.setText(self.ctx.t("result.copied"))

    def show_json(self) -> None:
        if self.entry is None:
            return
        if self.dialog is not None:
            self.dialog.close()
        dialog = QDialog(self.window())
        dialog.setWindowTitle(self.ctx.t("result.json_title"))
        dialog.setObjectName("Screen")
        col = QVBoxLayout(dialog)
        text = QPlainTextEdit()
        text.setObjectName("RequestJson")
        text.setReadOnly(True)
        request = read_signed(self.entry.jws)
        text.setPlainText(json.dumps(request.to_dict() if request is not None else {}, ensure_ascii=False, indent=2))
        col.addWidget(text)
        close = button(self.ctx.t("common.close"), "primary")
        close.clicked.connect(dialog.accept)
        col.addWidget(close)
        dialog.resize(380, 620)
        dialog.finished.connect(self.window().activateWindow)  # keys go back to the window
        self.dialog = dialog
        dialog.show()
