"""The window's saved bills: Home's card, the list screen, "save this bill" on the receipt, and
paying a saved bill without scanning.

Paying a saved bill builds the same ``PaymentFlow`` a scan builds (the payload exactly as saved,
parsed by core) and goes straight to the Amount screen; from there the flow is the usual one, so
the signed request carries the original QR payload as if it had just been scanned.

Kiosk mode keeps no saved bills: no store is opened, nothing is shown (a booth's next visitor must
not see, or pay, the previous visitor's bills), like the history kept in memory only.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from payer_app.core.payability import payability
from payer_app.core.payee_display import payee_display
from payer_app.core.payload import ParsedPayload, parse_payload
from payer_app.gui.components import set_role
from payer_app.gui.context import PaymentFlow
from payer_app.gui.flow_controls import problem_text
from payer_app.gui.scan_adapter import ScanResult
from payer_app.gui.screens.saved_bills import ConfirmDialog, NameDialog, bill_subtitle
from payer_app.payments.saved_bills import (
    SAVED_BILLS_FILE,
    SavedBill,
    SavedBillError,
    SavedBills,
    read_import_file,
    saveability,
)

SAVED_DECODER = "saved"  # ScanResult.decoder of a flow started from a saved bill
EXPORT_NAME = "hoa-don-da-luu.json"


def open_store(kiosk: bool) -> tuple[SavedBills | None, Exception | None]:
    """(the data folder's saved bills, None) or (None, why not); kiosk mode opens none. A damaged
    file is left as it is (nothing is overwritten): the window says so and works without them."""
    if kiosk:
        return None, None
    try:
        return SavedBills(), None
    except (OSError, sqlite3.Error) as exc:
        return None, exc


def suggested_name(ctx, parsed: ParsedPayload) -> str:
    code = parsed.bill.evn_customer_code
    if code:
        return ctx.t("saved.suggest_evn", code=code)
    return payee_display(parsed).name[:40]


class SavedBillsController(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ctx = ctx = window.ctx
        self.store, self.problem = open_store(ctx.kiosk)
        self.enabled = not ctx.kiosk
        self.dialog = None  # the open name / confirm dialog
        self.paying: tuple[PaymentFlow, SavedBill] | None = None

        self.card = window.home.saved_card  # Home builds and places it; its rows are filled here
        self.card.pay_requested.connect(self.pay_bill)
        self.card.manage_requested.connect(lambda: window.go("saved_bills"))

        self.screen = window.saved_bills
        self.screen.pay_requested.connect(self.pay_bill)
        self.screen.rename_requested.connect(self.ask_rename)
        self.screen.delete_requested.connect(self.ask_delete)
        self.screen.export_requested.connect(self.export_clicked)
        self.screen.import_requested.connect(self.import_clicked)

        self.box = window.result.save_box  # the receipt builds and places it; its content is set here
        self.box.button.clicked.connect(self.save_clicked)
        self._box_message: tuple[str, str, dict] | None = None


        window.nav.changed.connect(self._screen_changed)
        window.payment_finished.connect(lambda _outcome: self.refresh_box(new_payment=True))
        ctx.language.changed.connect(self.retranslate)
        self.retranslate()

    # showing -----------------------------------------------------------------------------------
    def bills(self) -> list[SavedBill]:
        if self.store is None:
            return []
        try:
            bills = self.store.list()
        except sqlite3.Error as exc:
            self.problem = exc
            return []
        self.problem = None  # readable again (a locked file, a full disk that has room now)
        return bills

    def refresh(self) -> None:
        if not self.enabled:
            return
        bills = self.bills()
        self.card.show_bills(bills, self._store_problem())
        self.screen.show_bills(bills)

    def _store_problem(self) -> str:
        """Why the saved bills cannot be shown, in the window's language ("" when they can)."""
        if self.problem is None:
            return ""
        if isinstance(self.problem, sqlite3.DatabaseError) and not isinstance(self.problem, sqlite3.OperationalError):
            return self.ctx.t("saved.damaged", file=SAVED_BILLS_FILE)
        return self.ctx.t("saved.unavailable", problem=str(self.problem) or type(self.problem).__name__)

    def retranslate(self, *_):
        self.card.retranslate()
        self.refresh()
        self.refresh_box()
        self._show_paying()

    def _screen_changed(self, previous: str, name: str) -> None:
        if name in ("home", "saved_bills"):
            self.refresh()
        if name == "home":
            self.paying = None
        if name == "result":
            self.refresh_box()
        if name == "amount":
            self._show_paying()

    def _show_paying(self) -> None:
        current = self.paying if self.paying is not None and self.paying[0] is self.ctx.flow else None
        bill = current[1] if current is not None else None
        self.window.amount.show_paying(
            None if bill is None else self.ctx.t("saved.paying", name=bill.name, payee=bill_subtitle(bill)))

    # paying a saved bill -----------------------------------------------------------------------
    def pay_bill(self, bill: SavedBill) -> None:
        """Straight to the amount: the flow a scan of this very payload would have started."""
        parsed = parse_payload(bill.payload)
        problem = payability(parsed, self.ctx.limits)
        if problem is not None:
            self.window.toast.show_message(problem_text(self.ctx, problem))
            return
        self.ctx.flow = PaymentFlow(scan=ScanResult(text=bill.payload, decoder=SAVED_DECODER), parsed=parsed)
        self.paying = (self.ctx.flow, bill)
        self.window.go("amount")

    # saving from the receipt -------------------------------------------------------------------
    def refresh_box(self, new_payment: bool = False) -> None:
        flow = self.ctx.flow
        shown = self.enabled and self.store is not None and flow.outcome is not None and flow.parsed is not None
        self.box.setVisible(shown)
        if new_payment or not shown:
            self._box_message = None
        if not shown:
            return
        saved = self._saved_as(flow.parsed.raw)
        self.box.button.setVisible(saved is None)
        self.box.button.setText("☆ " + self.ctx.t("saved.save_button_receipt"))
        if saved is not None:
            self._set_box_message("saved.saved_as", "ok", name=saved.name)
        elif self._box_message is not None and self._box_message[0] != "saved.saved_as":
            self._set_box_message(self._box_message[0], self._box_message[1], **self._box_message[2])
        else:
            self._set_box_message(None)

    def _saved_as(self, payload: str) -> SavedBill | None:
        if self.store is None:
            return None
        try:
            return self.store.find(payload)
        except sqlite3.Error:
            return None

    def _set_box_message(self, key: str | None, role: str = "caption", **values) -> None:
        self._box_message = (key, role, values) if key else None
        line = self.box.line
        line.setVisible(key is not None)
        if key is None:
            return
        set_role(line, role)
        # a refusal is kept as such, so a language change shows it in the new language
        line.setText(problem_text(self.ctx, values["problem"]) if key == "problem" else self.ctx.t(key, **values))

    def save_clicked(self) -> None:
        parsed = self.ctx.flow.parsed
        if parsed is None or self.store is None:
            return
        problem = saveability(parsed)
        if problem is not None:  # a dynamic QR: said plainly, no dialog
            self._set_box_message("problem", "error", problem=problem)
            return
        payload = parsed.raw

        def saved(bill: SavedBill) -> None:
            self.refresh_box()
            self.window.toast.show_message(self.ctx.t("saved.saved_toast", name=bill.name))

        self._ask_name("saved.save_title", suggested_name(self.ctx, parsed), payee_display(parsed).name,
                       lambda name: self.store.add(name, payload), saved)

    # managing ----------------------------------------------------------------------------------
    def ask_rename(self, bill: SavedBill) -> None:
        store = self.store
        if store is None:  # the managing screen lists bills only from an open store
            return

        def renamed(changed: SavedBill) -> None:
            self.refresh()
            self.screen.set_status("saved.renamed", name=changed.name)

        self._ask_name("saved.rename_title", bill.name, bill_subtitle(bill),
                       lambda name: store.rename(bill.id, name), renamed)

    def _ask_name(self, title_key: str, name: str, subtitle: str, change, done) -> None:
        """A name dialog: ``change(name)`` (a store call) on Save; its refusal is shown in the dialog,
        which stays open; on success the dialog closes and ``done(bill)`` runs."""
        dialog = NameDialog(self.window, self.ctx, self.ctx.t(title_key), name, subtitle=subtitle)

        def submitted(text: str) -> None:
            try:
                bill = change(text)
            except SavedBillError as exc:
                dialog.show_error(self._text(exc.problem))
                return
            except sqlite3.Error as exc:
                dialog.show_error(self.ctx.t("saved.unavailable", problem=str(exc)))
                return
            dialog.accept()
            done(bill)

        dialog.submitted.connect(submitted)
        self._open(dialog)

    def ask_delete(self, bill: SavedBill) -> None:
        store = self.store
        if store is None:
            return
        dialog = ConfirmDialog(self.window, self.ctx, self.ctx.t("saved.delete_confirm", name=bill.name),
                               self.ctx.t("saved.delete"))

        def confirmed() -> None:
            try:
                store.delete(bill.id)
            except SavedBillError as exc:
                self.screen.set_status_text(self._text(exc.problem))
            except sqlite3.Error as exc:
                self.screen.set_status_text(self.ctx.t("saved.unavailable", problem=str(exc)))
            else:
                self.screen.set_status("saved.deleted", name=bill.name)
            self.refresh()

        dialog.accepted.connect(confirmed)
        self._open(dialog)

    def export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, self.ctx.t("saved.export"), EXPORT_NAME,
                                              self.ctx.t("saved.json_filter"))
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> bool:
        if self.store is None:
            return False
        try:
            text = self.store.export_json()
            Path(path).write_text(text, encoding="utf-8")
        except (OSError, sqlite3.Error) as exc:
            self.screen.set_status("saved.export_error", "error", problem=getattr(exc, "strerror", None) or str(exc))
            return False
        self.screen.set_status("saved.exported", count=len(self.store.list()), path=path)
        return True

    def import_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, self.ctx.t("saved.import"), "",
                                              self.ctx.t("saved.json_filter"))
        if path:
            self.import_from(path)

    def import_from(self, path: str) -> bool:
        """Add the bills of an export file; a bad file is refused whole with the reason (nothing changes)."""
        if self.store is None:
            return False
        try:
            result = self.store.import_json(read_import_file(path))
        except SavedBillError as exc:
            self.screen.set_status_text(self.ctx.t("saved.import_refused", problem=self._text(exc.problem)))
            return False
        except (OSError, sqlite3.Error) as exc:
            self.screen.set_status_text(self.ctx.t("saved.import_refused",
                                                   problem=getattr(exc, "strerror", None) or str(exc)))
            return False
        self.refresh()
        self.screen.set_status("saved.imported", added=result.added, skipped=result.already_saved)
        return True

    # helpers -----------------------------------------------------------------------------------
    def _text(self, problem) -> str:
        return problem_text(self.ctx, problem)

    def _open(self, dialog) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.open()
        (dialog.edit if isinstance(dialog, NameDialog) else dialog.no_button).setFocus()
