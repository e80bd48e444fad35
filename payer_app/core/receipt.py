"""A receipt to take away: what was paid, to whom, when and with what answer, always marked as a
simulation. Built from the typed request (``core.request.PaymentRequest``) and the acquirer's answer
(``payments.receipt`` takes them from a ``PaymentOutcome`` or a history row); the PDF writer
(``studio.receipt_pdf``), the receipt QR and the window all read this one model. Every outside text
(payee name, note, bill numbers, reference) goes through ``core.display_text.visible`` and a length cap
here, so no writer sees a control character or a bidi override.
"""

from __future__ import annotations

from dataclasses import dataclass

from payer_app.core.amounts import format_vnd
from payer_app.core.charge import Charge
from payer_app.core.display_text import visible
from payer_app.core.payee_display import payee_display_from_request
from payer_app.core.request import PaymentRequest
from payer_app.core.timestamps import format_timestamp

SIMULATION_MARK = "MÔ PHỎNG - KHÔNG CÓ GIÁ TRỊ THANH TOÁN"
SIMULATION_MARK_EN = "SIMULATION - NOT A REAL PAYMENT"
MAX_FIELD_CHARS = 120  # a receipt line; longer outside text is cut with an ellipsis
MAX_NOTE_CHARS = 200
STATUS_VI = {"approved": "Thành công", "declined": "Bị từ chối", "pending": "Đang chờ", "rejected": "Bị từ chối"}


def _clean(text: object, limit: int = MAX_FIELD_CHARS) -> str:
    return visible(text, limit) if text else ""


@dataclass(frozen=True)
class Receipt:
    request_id: str
    status: str  # approved | declined | pending | rejected
    amount: int
    fee: int
    fee_is_tip: bool
    total: int
    payee_name: str
    bank: str
    account: str
    customer_code: str
    bill_number: str
    note: str
    time: str
    reference: str

    @property
    def total_text(self) -> str:
        return format_vnd(self.total)

    @property
    def status_text(self) -> str:
        return STATUS_VI.get(self.status, _clean(self.status, 20))

    def lines(self) -> list[tuple[str, str]]:
        """The receipt's labelled lines, in the order every writer prints them (empty ones left out)."""
        rows = [
            ("Trạng thái", self.status_text),
            ("Người nhận", self.payee_name),
            ("Ngân hàng", self.bank),
            ("Tài khoản", self.account),
            ("Mã khách hàng", self.customer_code),
            ("Số hóa đơn", self.bill_number),
            ("Số tiền", format_vnd(self.amount)),
            ("Tiền tip" if self.fee_is_tip else "Phí", format_vnd(self.fee) if self.fee else ""),
            ("Tổng cộng", format_vnd(self.total)),
            ("Nội dung", self.note),
            ("Thời gian", self.time),
            ("Mã yêu cầu", self.request_id),
            ("Mã tham chiếu", self.reference),
        ]
        return [(label, value) for label, value in rows if value]

    def qr_text(self) -> str:
        """The short text the receipt QR holds, for a phone's camera app: the mark first, then what was paid."""
        parts = [SIMULATION_MARK, f"{self.status_text}: {format_vnd(self.total)}",
                 f"Người nhận: {self.payee_name or '-'}", f"Tham chiếu: {self.reference or '-'}",
                 f"Mã yêu cầu: {self.request_id}"]
        return "\n".join(parts)


def receipt_of(request: PaymentRequest, status: str, reference: str | None) -> Receipt:
    """The receipt for ``request`` with the acquirer's answer (``status``, ``reference``)."""
    payee = payee_display_from_request(request.payee)
    cost: Charge = request.cost
    return Receipt(
        request_id=_clean(request.request_id, 64),
        status=status,
        amount=request.amount,
        fee=cost.fee,
        fee_is_tip=cost.is_tip,
        total=cost.total,
        payee_name=_clean(payee.name),
        bank=_clean(payee.bank),
        account=_clean(payee.account),
        customer_code=_clean(request.bill.customer_code, 40),
        bill_number=_clean(request.bill.bill_number, 40),
        note=_clean(request.note, MAX_NOTE_CHARS),
        time=format_timestamp(request.created_at),
        reference=_clean(reference, 64),
    )
