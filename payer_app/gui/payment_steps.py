"""The steps of a payment between the window's screens: where a scanned, pasted or picked code goes,
paying with the window's payment service, the receipt, and a new payment.

``PaymentSteps`` answers the screens' requests (``gui/main_window.py`` wires them): a payload opens
the payee screen with a new ``PaymentFlow``; Review's Confirm goes to the PIN, or first to the face
check when the payment is above the authentication thresholds (``PaymentService.auth_need``), or when
the acquirer refused a PIN payment of the same account today with ``biometric-required``; a
picture is decoded on the scan screen with no camera running; the PIN accepted pays on a worker
thread (``PaymentRunner``) and the answer, or the refusal, shows the receipt (``payment_finished``
of the window fires then); a new payment stops the receipt countdown, closes the receipt's dialog and
returns to Home.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from payer_app.core.auth_policy import BIOMETRIC, PIN, AuthPolicy
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import Refusal, RequestRefused
from payer_app.gui.context import PaymentFlow
from payer_app.gui.scan_adapter import ScanResult
from payer_app.payments.auth_need import acquirer_asked


class PaymentSteps(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ctx = window.ctx
        window.services.payments.finished.connect(self._payment_done)
        window.services.payments.failed.connect(self._payment_failed)
        window.face_check.passed.connect(self.face_check_passed)
        # source account (BIN, number) -> start of the day its acquirer refused a PIN payment of it
        # with biometric-required (it counted payments from other devices this app never saw)
        self.face_day_by_account: dict[tuple[str | None, str | None], datetime] = {}

    def open_payload(self, text: str, scan: ScanResult | None = None, replace: bool = False) -> None:
        """Show the payee screen for a scanned (or typed) payload."""
        scan = scan or ScanResult(text=text)
        parsed = scan.parsed if scan.parsed is not None else parse_payload(text)  # pasted: parsed off-thread
        self.ctx.flow = PaymentFlow(scan=scan, parsed=parsed)
        self.window.payee.show_parsed(parsed)
        self.window.go("payee", replace=replace)

    def open_scan(self, result: ScanResult) -> None:
        # A picked image (not the camera) was decoded on the scan screen: Back from the payee
        # returns to where the image was picked, not to a camera that accepts whatever it sees.
        self.open_payload(result.text, result, replace=self.window.scan.still_only)

    def rescan(self) -> None:
        self.window.nav.go("scan", from_root=True)

    def pick_image(self) -> None:
        if self.ctx.kiosk:
            return  # a booth shows no file dialogs
        path, _ = QFileDialog.getOpenFileName(self.window, self.ctx.t("scan.pick_title"), "",
                                              self.ctx.t("scan.image_filter"))
        if path:
            self.open_image(path)

    def paste_from_home(self) -> None:
        """Dán on Home: the clipboard is read on the scan screen with no camera running, so a camera
        that sees a code at once cannot take the place of what was pasted."""
        self.window.scan.still_only = True
        self.window.go("scan")
        self.window.scan.paste_from_clipboard()

    def open_image(self, path: str) -> None:
        """Decode an image file (worker thread) on the scan screen; the camera is not started."""
        if self.window.current != "scan":
            self.window.scan.still_only = True
            self.window.go("scan")
        self.window.scan.decode_file(path)

    def open_entry(self, entry) -> None:
        """A history row: the payment's detail (Back returns to the list it was opened from)."""
        self.window.entry.show_entry(entry)
        self.window.go("entry")

    def confirm_review(self) -> None:
        """Review confirmed: the face check first when the policy asks it of this payment, else the PIN."""
        flow, service = self.ctx.flow, self.ctx.service
        if flow.choice is None or flow.parsed is None or service is None:
            self.window.go("pin")  # paying then says why it cannot
            return
        flow.choice = replace(flow.choice, auth=PIN)  # a face check passed earlier was for what Review showed then
        try:
            need = service.auth_need(flow.parsed, flow.choice)
        except RequestRefused:  # Review let no such choice through; the PIN's payment says it
            need = None
        source = (service.payer.bank_bin, service.payer.account)
        if need is not None and self.face_day_by_account.get(source) == _today_start():
            need = acquirer_asked(need)
        if need is not None and need.biometric:
            self.window.face_check.ask(need)
            self.window.go("face_check")
        else:
            self.window.go("pin")

    def face_check_passed(self) -> None:
        flow = self.ctx.flow
        if flow.choice is not None:
            flow.choice = replace(flow.choice, auth=BIOMETRIC)
        self.window.go("pin")

    def pay(self) -> None:
        flow, services = self.ctx.flow, self.window.services
        if services.service is None:
            self._payment_failed(Refusal("service-unavailable", problem=services.error or ""))
            return
        services.payments.pay(services.service, flow.parsed, flow.choice)

    def _payment_done(self, outcome) -> None:
        if outcome.status == "rejected" and outcome.reason == "biometric-required" and outcome.request is not None:
            payer = outcome.request.payer  # the next payment of this account today asks the face check first
            self.face_day_by_account[(payer.bank_bin, payer.account)] = _today_start()
        self.ctx.flow.outcome = outcome
        self.ctx.flow.error = None
        self._show_result()
        self.window.payment_finished.emit(outcome)

    def _payment_failed(self, refusal: Refusal) -> None:
        self.ctx.flow.outcome = None
        self.ctx.flow.error = refusal
        self._show_result()
        self.window.payment_finished.emit(None)

    def _show_result(self) -> None:
        window = self.window
        window.pin.payment_done()
        window.result.clear_status()
        window.result.refresh()
        window.nav.go("result", from_root=True)
        window.kiosk.start_receipt_countdown()

    def new_payment(self) -> None:
        window = self.window
        window.kiosk.stop_receipt_countdown()
        if window.result.dialog is not None:
            window.result.dialog.close()
        self.ctx.flow = PaymentFlow()
        window.nav.reset()


def _today_start() -> datetime:
    return AuthPolicy.bundled().day_start(datetime.now(UTC))
