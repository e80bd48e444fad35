"""The mock biller: outstanding EVN electricity bills by customer code, paid through the acquirer.

The mock acquirer plays the biller for EVN customer codes (``GET /v1/bills/{customer_code}``):

- **Malformed** code (not core's EVN customer code, ``core.evn.is_customer_code``): 400.
- **Unknown** code: a well-formed code whose last four characters are ``9999`` has no account at
  this biller (404). The rule is plain so a booth can show a "no such customer" on purpose
  (``PD13000129999``); every other well-formed code has an account.
- **The bill** of a known code is deterministic: a seed drawn from SHA-256 of the code decides the
  kWh, and the studio's bill model (``studio.bill_spec.issued_evn_bill``, the EVN residential tariff
  and VAT) makes the rest: amount, customer name, and the period the customer holds today (due on
  the 24th, never past). The demo camera prints this very bill; the same amount and name are printed by
  ``payer-app generate bill --customer CODE --kwh KWH --seed SEED`` (``seed`` and ``kwh`` are in
  the answer).
- **Paying it**: each approved payment whose QR is an EVN bill for the code, paid to one of EVN's own
  collection merchant ids (``core.evn_payees``: a scam sticker pays someone else), is recorded here
  (``record_payment``, called by the acquirer after its decision); the amount still due is the bill
  total minus what was paid (never below zero). Status ``unpaid``, ``partially-paid`` or ``paid``;
  paying more than due leaves ``overpaid`` > 0. A replayed request is recorded once.

Payments are kept in the acquirer's ledger file (table ``biller_payments``), so they survive restarts.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from payer_app.core import evn
from payer_app.core.amounts import format_vnd
from payer_app.core.evn_payees import EvnPayees
from payer_app.core.request import PaymentRequest, read_signed
from payer_app.core.timestamps import format_timestamp
from payer_app.payments.sqlite_store import LEDGER_SCHEMA_VERSION, StoreFile

log = logging.getLogger(__name__)

UNKNOWN_SUFFIX = "9999"  # codes ending so have no account at the mock biller (404)
MAX_CODE_CHARS = 64  # anything longer is refused before any other check
BILL_STATUSES = ("unpaid", "partially-paid", "paid")


class MalformedCustomerCode(ValueError):
    """Not an EVN customer code (400)."""


class UnknownCustomer(LookupError):
    """A well-formed code with no account at this biller (404)."""


@dataclass(frozen=True)
class OutstandingBill:
    """One customer's current bill as the biller sees it (the JSON of ``GET /v1/bills/{code}``)."""

    customer_code: str
    customer_name: str
    corporation: str  # e.g. EVNHANOI
    corporation_name_vi: str
    period: str  # MM/YYYY
    period_text: str  # as printed: "Kỳ 1 tháng 03/2026 (từ 15/02/2026 đến 14/03/2026)"
    kwh: int
    amount_total: int  # the bill's total (VAT included)
    amount_paid: int
    amount_due: int  # what is still to pay (0 when paid)
    overpaid: int
    due_date: str  # ISO date
    status: str  # unpaid | partially-paid | paid
    payments: int  # how many payments were counted
    last_paid_at: str | None
    seed: int  # the studio seed that prints this very bill

    @property
    def amount_due_text(self) -> str:
        return format_vnd(self.amount_due)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> OutstandingBill:
        """A bill from an answer (untrusted: every field is checked for its type and range).
        Raises ValueError for anything that does not fit."""
        if not isinstance(data, dict):
            raise ValueError("a bill must be a JSON object")
        values: dict[str, Any] = {}
        for name, kind in cls.__annotations__.items():
            value = data.get(name)
            if "int" in kind and "str" not in kind:
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 10**15:
                    raise ValueError(f"the bill's {name} is not a whole number in range")
            elif kind == "str | None":
                if value is not None and (not isinstance(value, str) or len(value) > 200):
                    raise ValueError(f"the bill's {name} is not text")
            elif not isinstance(value, str) or len(value) > 200:
                raise ValueError(f"the bill's {name} is not text")
            values[name] = value
        if not evn.is_customer_code(values["customer_code"]) or values["status"] not in BILL_STATUSES:
            raise ValueError("the bill's customer code or status is not valid")
        return cls(**values)


def check_customer_code(code: Any) -> str:
    """The code when it is a well-formed EVN customer code (core's rule), else MalformedCustomerCode."""
    if not isinstance(code, str) or len(code) > MAX_CODE_CHARS or not evn.is_customer_code(code):
        raise MalformedCustomerCode(
            "An EVN customer code is 13 characters: PA..PE then 11 capital letters or digits (e.g. PD13000123456)."
        )
    return code


def has_account(code: str) -> bool:
    """Whether a well-formed code has an account at the mock biller (see the module's rule)."""
    return not code.endswith(UNKNOWN_SUFFIX)


def customer_code_of(request: PaymentRequest) -> str | None:
    """The EVN customer code a verified payment request pays, else None: its QR is an EVN bill and its
    payee one of EVN's own collection merchant ids (``core.evn_payees``), so a sticker paying anyone
    else never counts against the bill it covers."""
    if request.payee.scheme != "evn":
        return None
    merchant_id = request.payee.merchant_id
    if merchant_id is None or EvnPayees.bundled().by_merchant_id(merchant_id) is None:
        return None
    code = request.bill.customer_code
    return code if code is not None and evn.is_customer_code(code) else None


# The columns of a bill payment, one definition a line; the day's archive (payments/new_day.py) copies them.
PAYMENT_FIELDS = """
    payer_scope TEXT NOT NULL,
    request_id TEXT NOT NULL,
    customer_code TEXT NOT NULL,
    period TEXT NOT NULL,
    amount INTEGER NOT NULL,
    acquirer_reference TEXT NOT NULL,
    paid_at TEXT NOT NULL"""
PAYMENT_COLUMNS = ", ".join(line.split()[0] for line in PAYMENT_FIELDS.strip().splitlines())
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS biller_payments ({PAYMENT_FIELDS},
    PRIMARY KEY (payer_scope, request_id)
);
CREATE INDEX IF NOT EXISTS biller_payments_code ON biller_payments (customer_code, period);
"""


class Biller(StoreFile):
    """Bills by customer code and the payments made to them (in the acquirer's ledger file)."""

    SCHEMA = _SCHEMA
    SCHEMA_VERSION = LEDGER_SCHEMA_VERSION  # one version for the ledger file's three stores
    SYNCHRONOUS = "NORMAL"

    def bill(self, code: Any) -> OutstandingBill:
        """The outstanding bill of ``code``. Raises MalformedCustomerCode (400) or UnknownCustomer (404)."""
        code = check_customer_code(code)
        if not has_account(code):
            raise UnknownCustomer(f"No customer with the code {code} at this biller.")
        issued = self._issued(code)
        paid, count, last = self._store.one(
            "SELECT COALESCE(SUM(amount), 0), COUNT(*), MAX(paid_at) FROM biller_payments "
            "WHERE customer_code = ? AND period = ?", (code, issued["period"]))
        total = issued["amount_total"]
        status = "paid" if paid >= total else "partially-paid" if paid else "unpaid"
        return OutstandingBill(**issued, amount_paid=paid, amount_due=max(0, total - paid),
                               overpaid=max(0, paid - total), status=status, payments=count, last_paid_at=last)

    def record_payment(self, request: PaymentRequest, scope: str, acquirer_reference: str,
                       paid_at: datetime | None = None) -> OutstandingBill | None:
        """Count an approved payment against the bill its QR names; None when it pays no known bill.
        The same request (payer scope + request id) is counted once."""
        code = self.count_payment(request, scope, acquirer_reference, paid_at)
        return None if code is None else self.bill(code)

    def count_payment(self, request: PaymentRequest, scope: str, acquirer_reference: str,
                      paid_at: datetime | None = None) -> str | None:
        """``record_payment`` without reading the bill back (the acquirer's listener): the customer
        code counted, or None when the payment pays no known bill."""
        code = customer_code_of(request)
        if code is None or not has_account(code):
            return None
        when = format_timestamp(paid_at or datetime.now(UTC))
        self._store.write("INSERT OR IGNORE INTO biller_payments VALUES (?, ?, ?, ?, ?, ?, ?)",
                          (scope, request.request_id, code, bill_period(date.today()), request.amount,
                           acquirer_reference, when))
        return code

    @staticmethod
    def _issued(code: str) -> dict[str, Any]:
        return dict(_issued_bill(code, date.today()))


def bill_period(today: date) -> str:
    """``MM/YYYY`` of the bill every customer holds on ``today`` (the studio's ``current_bill_period``:
    the period of ``_issued_bill``'s due date), without drawing the whole bill."""
    from payer_app.studio.bill_spec import current_bill_period

    month, year = current_bill_period(today)
    return f"{month:02d}/{year}"


@functools.lru_cache(maxsize=4096)
def _issued_bill(code: str, today: date) -> dict[str, Any]:
    """The bill as issued (nothing paid yet) on ``today``: the studio's ``issued_evn_bill``, the one
    the demo camera prints (deterministic, so kept for the last 4,096 codes asked about)."""
    from payer_app.studio.bill_spec import customer_bill_seed, issued_evn_bill

    seed, kwh = customer_bill_seed(code)
    printed = issued_evn_bill(code, today).resolve()
    day, month, year = (int(part) for part in printed.due_date.split("/"))
    corporation = evn.corporation_for(code)
    return {
        "customer_code": code,
        "customer_name": printed.customer_name or "",
        "corporation": corporation.short_name if corporation else "",
        "corporation_name_vi": corporation.name_vi if corporation else "",
        "period": f"{month:02d}/{year}",
        "period_text": printed.subtitle,
        "kwh": kwh,
        "amount_total": printed.amount_due,
        "due_date": date(year, month, day).isoformat(),
        "seed": seed,
    }


def bill_answer(biller: Biller, code: Any) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of ``GET /v1/bills/{code}``: 200 with the bill, 400 malformed code,
    404 unknown customer (the same for the HTTP acquirer and the embedded one)."""
    try:
        found = biller.bill(code)
    except MalformedCustomerCode as exc:
        return 400, {"status": "rejected", "error": "malformed-customer-code", "message": str(exc)}
    except UnknownCustomer:
        return 404, {"status": "rejected", "error": "unknown-customer",
                     "message": "No customer with this code at this biller."}
    return 200, {"status": "ok", "bill": found.to_dict()}


def approved_request(token: str | bytes, answer: Any) -> PaymentRequest | None:
    """The request inside a token the acquirer has just approved (201: verified in full), else None."""
    if getattr(answer, "http_status", None) != 201:
        return None
    return getattr(answer, "request", None) or read_signed(token)  # the acquirer's own reading, when it kept it


def attach_biller(acquirer: Any) -> Biller:
    """The biller of an acquirer (``acquirer.biller``): on the acquirer's ledger file, counting each
    payment the acquirer approves from now on (a listener of ``MockAcquirer.submit``); made once per
    acquirer. Never raises into the acquirer: failures are logged."""
    existing = getattr(acquirer, "biller", None)
    if isinstance(existing, Biller):
        return existing
    biller = Biller(acquirer.ledger.path)
    acquirer.biller = biller

    def mark_paid(token: str | bytes, answer: Any) -> None:
        try:
            request = approved_request(token, answer)
            if request is None:
                return
            scope = f"{request.payer.bank_bin}/{request.payer.account}"
            biller.count_payment(request, scope, str(answer.body.get("acquirer_reference") or ""))
        except Exception:  # noqa: BLE001 - the payment stands; the bill is only the biller's view
            log.exception("could not count a payment against its bill")

    acquirer.listeners.append(mark_paid)
    return biller


__all__ = [
    "BILL_STATUSES",
    "PAYMENT_COLUMNS",
    "PAYMENT_FIELDS",
    "Biller",
    "approved_request",
    "attach_biller",
    "bill_answer",
    "MalformedCustomerCode",
    "OutstandingBill",
    "UNKNOWN_SUFFIX",
    "UnknownCustomer",
    "check_customer_code",
    "customer_code_of",
    "has_account",
]
