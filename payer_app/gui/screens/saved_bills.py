"""Saved bills (Hóa đơn đã lưu): the list screen, Home's card, and the name / delete dialogs.

Widgets only: they show ``payer_app.payments.saved_bills.SavedBill`` objects and say what the payer
asked for by signals; ``payer_app.gui.saved_bills_controller`` does the work (store, paying).
Every name and payee comes from the payer or a QR, so every one is shown with ``plain_label``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from payer_app.core.payee_display import payee_display
from payer_app.gui.components import Card, Page, button, button_row, divider, plain_label, set_role
from payer_app.gui.context import AppContext
from payer_app.payments.saved_bills import MAX_NAME_CHARS, SavedBill

HOME_ROWS = 4


def bill_subtitle(bill: SavedBill) -> str:
    """Who the saved bill pays, as the payment screens name it (plus the EVN customer code)."""
    parsed = bill.parsed
    name = payee_display(parsed).name
    code = parsed.bill.evn_customer_code
    return f"{name} · {code}" if code else name


def bill_row(bill: SavedBill) -> QPushButton:
    """A saved bill as a flat row button (click or Enter pays it)."""
    row = QPushButton()
    row.setObjectName("SavedBillRow")
    row.setProperty("kind", "row")
    row.setCursor(Qt.CursorShape.PointingHandCursor)
    row.setAccessibleName(bill.name)
    col = QVBoxLayout(row)
    col.setContentsMargins(8, 6, 8, 6)
    col.setSpacing(0)
    col.addWidget(plain_label("★ " + bill.name, "value"))
    col.addWidget(plain_label(bill_subtitle(bill), "caption"))
    for label in row.findChildren(QLabel):
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    row.setMinimumHeight(col.sizeHint().height())
    return row


class SavedBillsCard(Card):
    """Home: the first saved bills (a row pays it) and a button to the full list."""

    pay_requested = Signal(object)  # SavedBill
    manage_requested = Signal()

    def __init__(self, ctx: AppContext):
        super().__init__(spacing=8)
        self.ctx = ctx
        head = QHBoxLayout()
        self.title = plain_label("", "section")
        self.manage_button = button("", "link", "ManageSavedBillsButton")
        self.manage_button.clicked.connect(self.manage_requested)
        head.addWidget(self.title, 1)
        head.addWidget(self.manage_button)
        self.body.addLayout(head)
        self.rows = QVBoxLayout()
        self.rows.setSpacing(6)
        self.body.addLayout(self.rows)
        self.bills: list[SavedBill] = []
        self.row_buttons: list[QPushButton] = []
        self.problem = ""

    def show_bills(self, bills: list[SavedBill], problem: str = "") -> None:
        self.bills, self.problem = bills, problem
        clear_layout(self.rows)
        self.row_buttons = []
        if problem:
            self.rows.addWidget(plain_label(problem, "error"))
        elif not bills:
            self.rows.addWidget(plain_label(self.ctx.t("saved.none_home"), "hint"))
        for i, bill in enumerate(bills[:HOME_ROWS]):
            if i:
                self.rows.addWidget(divider())
            row = bill_row(bill)
            row.clicked.connect(lambda _=False, b=bill: self.pay_requested.emit(b))
            self.rows.addWidget(row)
            self.row_buttons.append(row)

    def retranslate(self) -> None:
        self.title.setText(self.ctx.t("saved.title"))
        self.manage_button.setText(self.ctx.t("saved.manage"))
        self.show_bills(self.bills, self.problem)


class SavedBillsScreen(Page):
    """Every saved bill: pay (the row), rename (✎), delete (✕); export and import as JSON."""

    pay_requested = Signal(object)  # SavedBill
    rename_requested = Signal(object)
    delete_requested = Signal(object)
    export_requested = Signal()
    import_requested = Signal()

    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True)
        self.ctx = ctx
        self.card = Card(spacing=8)
        self.list_rows = QVBoxLayout()
        self.list_rows.setSpacing(6)
        self.card.body.addLayout(self.list_rows)
        self.body.addWidget(self.card)
        self.hint = plain_label("", "caption")
        self.body.addWidget(self.hint)
        self.status = plain_label("", "ok")
        self.status.setObjectName("SavedBillsStatus")
        self.body.addWidget(self.status)
        self.body.addStretch(1)
        self.export_button = button("", "secondary", "ExportSavedBillsButton")
        self.import_button = button("", "secondary", "ImportSavedBillsButton")
        self.export_button.clicked.connect(self.export_requested)
        self.import_button.clicked.connect(self.import_requested)
        self.bottom.addLayout(button_row(self.export_button, self.import_button, stretch=0))
        self.bills: list[SavedBill] = []
        self.rows: dict[int, tuple[QPushButton, QPushButton, QPushButton]] = {}  # id -> (pay, rename, delete)
        self._status: tuple[str, str, dict] | None = None
        self.retranslate()

    def on_enter(self) -> None:
        first = next(iter(self.rows.values()), None)
        (first[0] if first else self.import_button).setFocus()

    def on_leave(self) -> None:
        self.set_status(None)

    def show_bills(self, bills: list[SavedBill]) -> None:
        self.bills = bills
        clear_layout(self.list_rows)
        self.rows = {}
        if not bills:
            self.list_rows.addWidget(plain_label(self.ctx.t("saved.none"), "hint"))
        for i, bill in enumerate(bills):
            if i:
                self.list_rows.addWidget(divider())
            line = QHBoxLayout()
            pay = bill_row(bill)
            rename = button("✎", "secondary", "RenameSavedBillButton")
            delete = button("✕", "danger", "DeleteSavedBillButton")
            rename.setToolTip(self.ctx.t("saved.rename"))
            delete.setToolTip(self.ctx.t("saved.delete"))
            rename.setAccessibleName(self.ctx.t("saved.rename"))
            delete.setAccessibleName(self.ctx.t("saved.delete"))
            for b in (rename, delete):
                b.setFixedWidth(40)
            pay.clicked.connect(lambda _=False, b=bill: self.pay_requested.emit(b))
            rename.clicked.connect(lambda _=False, b=bill: self.rename_requested.emit(b))
            delete.clicked.connect(lambda _=False, b=bill: self.delete_requested.emit(b))
            line.addWidget(pay, 1)
            line.addWidget(rename)
            line.addWidget(delete)
            self.list_rows.addLayout(line)
            self.rows[bill.id] = (pay, rename, delete)
        self.export_button.setEnabled(bool(bills))

    def set_status(self, key: str | None, role: str = "ok", **values) -> None:
        """A translated line under the list (what an action did, or why it did not)."""
        self._status = (key, role, values) if key else None
        self._show_status()

    def set_status_text(self, text: str, role: str = "error") -> None:
        """A ready-made (already translated) message, e.g. why an import file was refused."""
        self._status = ("", role, {"text": text})
        self._show_status()

    def _show_status(self) -> None:
        if self._status is None:
            self.status.setText("")
            return
        key, role, values = self._status
        set_role(self.status, role)
        self.status.setText(self.ctx.t(key, **values) if key else values["text"])

    def retranslate(self) -> None:
        t = self.ctx.t
        self.top.set_title(t("saved.title"))
        self.hint.setText(t("saved.hint"))
        self.export_button.setText("⤓ " + t("saved.export"))
        self.import_button.setText("⤒ " + t("saved.import"))
        self.show_bills(self.bills)
        self._show_status()


class NameDialog(QDialog):
    """Ask for a bill's name (save or rename). ``submitted(name)`` on Save; the controller answers
    with ``show_error`` (the dialog stays open) or closes it."""

    submitted = Signal(str)

    def __init__(self, parent: QWidget, ctx: AppContext, title: str, name: str, subtitle: str = ""):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("Screen")
        self.setWindowTitle(title)
        col = QVBoxLayout(self)
        col.addWidget(plain_label(title, "section"))
        if subtitle:
            col.addWidget(plain_label(subtitle, "caption"))
        col.addWidget(plain_label(ctx.t("saved.name_label"), "caption"))
        self.edit = QLineEdit(name)
        self.edit.setObjectName("SavedBillNameEdit")
        self.edit.setMaxLength(MAX_NAME_CHARS)
        self.edit.setPlaceholderText(ctx.t("saved.name_placeholder"))
        self.edit.selectAll()
        col.addWidget(self.edit)
        self.error = plain_label("", "error")
        self.error.setObjectName("SavedBillNameError")
        col.addWidget(self.error)
        buttons = QHBoxLayout()
        self.cancel_button = button(ctx.t("common.cancel"), "secondary", "SavedBillCancelButton")
        self.save_button = button(ctx.t("saved.save_button"), "primary", "SavedBillSaveButton")
        self.save_button.setDefault(True)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button.clicked.connect(lambda: self.submitted.emit(self.edit.text()))
        self.edit.returnPressed.connect(self.save_button.click)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        col.addLayout(buttons)
        self.finished.connect(lambda _=0: parent.window().activateWindow())
        self.resize(340, 0)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.edit.setFocus()


class ConfirmDialog(QDialog):
    """Yes / no before something is removed (the Yes button is not the default: Enter is safe)."""

    def __init__(self, parent: QWidget, ctx: AppContext, text: str, yes_text: str):
        super().__init__(parent)
        self.setObjectName("Screen")
        self.setWindowTitle(ctx.t("saved.title"))
        col = QVBoxLayout(self)
        col.addWidget(plain_label(text, "value"))
        buttons = QHBoxLayout()
        self.no_button = button(ctx.t("common.cancel"), "secondary", "ConfirmNoButton")
        self.yes_button = button(yes_text, "danger", "ConfirmYesButton")
        self.no_button.clicked.connect(self.reject)
        self.yes_button.clicked.connect(self.accept)
        buttons.addWidget(self.no_button)
        buttons.addWidget(self.yes_button)
        col.addLayout(buttons)
        self.finished.connect(lambda _=0: parent.window().activateWindow())
        self.no_button.setFocus()


def clear_layout(layout) -> None:
    """Remove (and delete) everything in a layout, nested layouts included."""
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().deleteLater()
        elif item.layout() is not None:
            clear_layout(item.layout())
