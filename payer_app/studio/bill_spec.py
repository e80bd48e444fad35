"""What a generated bill says: the bill data model and its QR payload, with no drawing in it.

``BillSpec`` holds what the caller asked for (every field optional except the kind); ``resolve()``
fills the rest from a seeded random generator, so the same spec always gives the same bill. Three
kinds: an EVN electricity bill (static QR in EVN's layout), a VietQR transfer slip (an apartment
service-fee notice paid to a bank account) and a VNPAY-QR shop receipt.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from dataclasses import dataclass, replace
from datetime import date

from payer_app.core import evn
from payer_app.core.amounts import group_thousands
from payer_app.core.bank_directory import BankDirectory
from payer_app.core.builder import BuildError, evn_bill_payload, vietqr_payload, vnpay_payload
from payer_app.core.evn_payees import EvnPayee, EvnPayees
from payer_app.core.fees import FeeRule
from payer_app.studio.fee_qr import fee_totals, with_fee

KINDS = ("evn", "vietqr", "vnpay")
VAT_RATE_PERCENT = 8  # reduced VAT rate applied to electricity in 2025-2026

# EVN residential tariff (đ/kWh before VAT), six tiers: (upper bound of the tier in kWh, price).
EVN_RESIDENTIAL_TIERS: tuple[tuple[int | None, int], ...] = (
    (50, 1984),
    (100, 2050),
    (200, 2380),
    (300, 2998),
    (400, 3350),
    (None, 3460),
)


class BillSpecError(ValueError):
    """A bill option that cannot be honoured (bad customer code, BIN, kind...)."""


@dataclass(frozen=True)
class PowerBranch:
    """A district power company (Công ty Điện lực) that issues bills, as EVN's payee registry lists it
    (``resources/evn_payees.csv``): a bill's QR pays its merchant id, so every studio bill is an EVN bill."""

    prefix: str  # the corporation prefix of its customers' codes
    name_vi: str  # e.g. "Thanh Xuân"
    city_vi: str
    city_ascii: str
    merchant_id: str
    hotline: str


# Customer-care numbers of the five power corporations, printed at the foot of their bills.
HOTLINES = {"PA": "1900 6769", "PB": "1900 1006", "PC": "1900 1909", "PD": "1900 1288", "PE": "1900 545454"}
COMPANY_PREFIX = "Công ty Điện lực "


def _branch(payee: EvnPayee) -> PowerBranch:
    return PowerBranch(payee.corporation, payee.name.removeprefix(COMPANY_PREFIX), payee.city_vi, payee.city,
                       payee.merchant_id, HOTLINES[payee.corporation])


POWER_BRANCHES: tuple[PowerBranch, ...] = tuple(_branch(p) for p in EvnPayees.bundled().payees)

FAMILY_NAMES = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
)
MIDDLE_NAMES = ("Văn", "Thị", "Minh", "Thu", "Đức", "Ngọc", "Quang", "Thanh", "Hữu", "Bảo")
GIVEN_NAMES = (
    "Hương", "Hùng", "Lan", "Tuấn", "Dũng", "Hạnh", "Phương", "Anh", "Trang", "Long",
    "Nam", "Hà", "Thảo", "Khoa", "Việt", "Yến", "Sơn", "Nhung", "Đạt", "Quỳnh",
)
STREETS = (
    "Nguyễn Trãi", "Lê Văn Lương", "Khuất Duy Tiến", "Trần Duy Hưng", "Hoàng Quốc Việt",
    "Lý Thường Kiệt", "Điện Biên Phủ", "Võ Văn Tần", "Phạm Văn Đồng", "Nguyễn Văn Cừ",
)
WARDS = ("Thượng Đình", "Nhân Chính", "Khương Trung", "Trung Hòa", "Yên Hòa", "Phúc Đồng", "Bến Nghé", "Tân Định")
SHOPS = (
    ("Cửa hàng tiện lợi Minh Châu", "MINH CHAU MART"),
    ("Tạp hóa Bà Sáu", "TAP HOA BA SAU"),
    ("Nhà thuốc An Khang", "NHA THUOC AN KHANG"),
    ("Cà phê Góc Phố", "CA PHE GOC PHO"),
    ("Phở Thìn Lò Đúc", "PHO THIN LO DUC"),
)
SHOP_ITEMS = (
    ("Sữa tươi Vinamilk 1L", 36000), ("Bánh mì sandwich", 22000), ("Nước khoáng 500ml", 6000),
    ("Mì Hảo Hảo (thùng)", 118000), ("Cà phê sữa đá", 29000), ("Trứng gà (10 quả)", 32000),
    ("Dầu ăn Neptune 1L", 52000), ("Gạo ST25 (5 kg)", 185000), ("Khẩu trang y tế", 45000),
)
BUILDINGS = (
    ("Ban quản lý tòa nhà Sunrise", "BQL TOA NHA SUNRISE"),
    ("Ban quản lý chung cư Hoàng Anh", "BQL CC HOANG ANH"),
    ("Ban quản lý khu đô thị Linh Đàm", "BQL KDT LINH DAM"),
)
# Banks used for made-up transfer slips (all listed in the bundled NAPAS directory).
SLIP_BANK_BINS = ("970436", "970415", "970418", "970407", "970422", "970416", "970432", "970423")


def ascii_fold(text: str) -> str:
    """Vietnamese text without diacritics ("Đống Đa" -> "Dong Da"), as bank QR codes carry it."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def evn_tier_breakdown(kwh: int) -> list[tuple[int, int, int, int]]:
    """(tier number, kWh in the tier, price, cost) for each tier the consumption reaches."""
    rows = []
    lower = 0
    for number, (upper, price) in enumerate(EVN_RESIDENTIAL_TIERS, start=1):
        if kwh <= lower:
            break
        in_tier = (kwh if upper is None else min(kwh, upper)) - lower
        rows.append((number, in_tier, price, in_tier * price))
        if upper is None:
            break
        lower = upper
    return rows


@dataclass(frozen=True)
class ResolvedBill:
    """Everything printed on one bill, fully decided. ``payload`` is the QR text."""

    kind: str
    payload: str
    issuer_lines: tuple[str, ...]  # header, top to bottom (first is the parent organisation)
    title: str
    subtitle: str
    rows: tuple[tuple[str, str], ...]  # (label, value) lines of the customer block
    table_header: tuple[str, ...]
    table: tuple[tuple[str, ...], ...]
    totals: tuple[tuple[str, str], ...]
    amount_due: int
    amount_in_qr: int | None
    due_date: str
    hotline: str
    brand: str  # short mark printed in the header badge ("EVN", "VietQR", "VNPAY")
    customer_code: str | None = None
    customer_name: str | None = None


@dataclass(frozen=True)
class BillSpec:
    """A bill to generate. Unset fields are made up from ``seed``; set fields are used as given.

    ``amount`` goes into the QR (field 54, a dynamic QR); without it the QR is static and the bill
    prints the amount due for the payer to type, as real EVN bills do.
    """

    kind: str = "evn"
    customer: str | None = None  # EVN customer code (kind evn)
    customer_name: str | None = None
    address: str | None = None
    bank: str | None = None  # bank BIN (kind vietqr)
    account: str | None = None  # account number (kind vietqr)
    amount: int | None = None
    purpose: str | None = None
    merchant_name: str | None = None
    city: str | None = None
    merchant_id: str | None = None  # EVN branch or VNPAY merchant id
    kwh: int | None = None
    period: tuple[int, int] | None = None  # (month, year) of the bill; made up from the seed when unset
    seed: int = 0
    fee: FeeRule | None = None  # a fee or tip the QR asks for (fields 55-57), printed under the totals

    def validate(self) -> None:
        """Raise BillSpecError naming the first option that cannot be used."""
        if self.kind not in KINDS:
            raise BillSpecError(f"unknown bill kind {self.kind!r}; choose one of {', '.join(KINDS)}")
        if self.customer is not None and not evn.is_customer_code(self.customer):
            raise BillSpecError(
                f"--customer {self.customer!r} is not an EVN customer code: 13 characters, PA..PE then 11 "
                "capital letters or digits (e.g. PD13000123456)"
            )
        if self.bank is not None and not (len(self.bank) == 6 and self.bank.isdigit()):
            raise BillSpecError(f"--bank {self.bank!r} is not a 6-digit bank BIN (e.g. 970436 for Vietcombank)")
        if self.account is not None and not (
            self.account.isascii() and self.account.isalnum() and len(self.account) <= 19
        ):
            raise BillSpecError(f"--account {self.account!r} must be 1 to 19 letters or digits")
        if self.amount is not None and not (0 < self.amount < 10**13):
            raise BillSpecError(f"--amount {self.amount} must be a positive whole number of dong below 10^13")
        if self.period is not None and not (1 <= self.period[0] <= 12 and 2000 <= self.period[1] <= 2100):
            raise BillSpecError(f"bill period {self.period!r} must be (month 1-12, year 2000-2100)")
        if self.fee is not None and self.fee.fixed is not None and not (0 < self.fee.fixed < 10**13):
            raise BillSpecError(f"--fee-fixed {self.fee.fixed} must be a positive whole number of dong below 10^13")
        if self.kwh is not None and not (0 <= self.kwh <= 100000):
            raise BillSpecError(f"kWh {self.kwh} is out of range (0 to 100000)")
        for name in ("purpose", "merchant_name", "city", "merchant_id"):
            value = getattr(self, name)
            if value is not None and len(value) > 99:
                raise BillSpecError(
                    f"--{name.replace('_', '-')} is {len(value)} characters; a QR field holds 99 at most"
                )

    def resolve(self) -> ResolvedBill:
        """The complete bill: deterministic for a given spec (the seed decides what was not given)."""
        self.validate()
        rng = random.Random(f"payer-app bill {self.seed}")
        person = _random_person(rng)
        if self.period is not None:
            person = replace(person, period_month=self.period[0], period_year=self.period[1])
        try:
            if self.kind == "evn":
                return _resolve_evn(self, rng, person)
            if self.kind == "vietqr":
                return _resolve_vietqr(self, rng, person)
            return _resolve_vnpay(self, rng, person)
        except BuildError as exc:
            raise BillSpecError(str(exc)) from exc

    def payload(self) -> str:
        """The QR payload this bill carries."""
        return self.resolve().payload

    @classmethod
    def random(cls, seed: int) -> BillSpec:
        """A varied spec for tests and corpora: any kind, sometimes with an amount, purpose or names set."""
        rng = random.Random(f"payer-app random spec {seed}")
        kind = rng.choice(KINDS)
        amount = rng.choice((None, rng.randint(1, 50_000_000), rng.randrange(10_000, 5_000_000, 1000)))
        purpose = rng.choice((None, "Thanh toan hoa don", f"HD{rng.randint(10000, 99999)}", "Chuyen tien"))
        city = rng.choice((None, "Ha Noi", "Da Nang", "Can Tho"))
        if kind == "evn":
            branch = rng.choice(POWER_BRANCHES)
            code = branch.prefix + "".join(rng.choice("0123456789ABCDEFGHJK") for _ in range(11))
            return cls(
                kind="evn", customer=rng.choice((None, code)), amount=amount, purpose=purpose, city=city, seed=seed
            )
        if kind == "vietqr":
            return cls(
                kind="vietqr",
                bank=rng.choice(SLIP_BANK_BINS),
                account=str(rng.randint(10**8, 10**14)),
                amount=amount,
                purpose=purpose,
                merchant_name=rng.choice((None, "NGUYEN VAN AN", "CONG TY TNHH ABC")),
                city=city,
                seed=seed,
            )
        return cls(
            kind="vnpay",
            merchant_id=rng.choice((None, f"0{rng.randint(100000000, 999999999)}")),
            merchant_name=rng.choice((None, "SIEU THI MINI 24H", "QUAN COM BINH DAN")),
            amount=amount,
            purpose=purpose,
            city=city,
            seed=seed,
        )


@dataclass(frozen=True)
class _Person:
    name: str
    address_line: str  # without the city
    period_month: int
    period_year: int


def customer_bill_seed(code: str) -> tuple[int, int]:
    """(studio seed, kWh) of an EVN customer's bill: drawn from SHA-256 of the code, so every run agrees."""
    digest = hashlib.sha256(f"payer-app biller {code}".encode("ascii")).digest()
    seed = int.from_bytes(digest[:4], "big")
    kwh = 60 + int.from_bytes(digest[4:6], "big") % 591  # 60..650 kWh, as the studio's bills
    return seed, kwh


def current_bill_period(today: date) -> tuple[int, int]:
    """(month, year) of the EVN bill a customer holds today: its due date (the 24th of the period's
    month) is today or later, so a booth never shows an overdue bill."""
    if today.day <= 24:
        return today.month, today.year
    return (1, today.year + 1) if today.month == 12 else (today.month + 1, today.year)


def issued_evn_bill(code: str, today: date) -> BillSpec:
    """The one EVN bill a customer holds on ``today``: the mock biller answers with it (the amount-due
    chip) and the demo camera prints it, so the printed amount and the chip are the same number."""
    seed, kwh = customer_bill_seed(code)
    return BillSpec(kind="evn", customer=code, kwh=kwh, seed=seed, period=current_bill_period(today))


def _random_person(rng: random.Random) -> _Person:
    name = f"{rng.choice(FAMILY_NAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"
    house = rng.randint(1, 199)
    lane = rng.choice((None, rng.randint(2, 250)))
    street = rng.choice(STREETS)
    ward = rng.choice(WARDS)
    addr = f"Số {house}" + (f" ngõ {lane}" if lane else "") + f" {street}, P. {ward}"
    return _Person(name, addr, rng.randint(1, 12), rng.choice((2025, 2026)))


def _period_text(month: int, year: int) -> tuple[str, str]:
    prev_month, prev_year = (12, year - 1) if month == 1 else (month - 1, year)
    return (
        f"Kỳ 1 tháng {month:02d}/{year} (từ 15/{prev_month:02d}/{prev_year} đến 14/{month:02d}/{year})",
        f"24/{month:02d}/{year}",
    )


@dataclass(frozen=True)
class _Form:
    """What every bill of a kind prints the same: its title, table columns and header badge, and
    the label of the amount paid when the QR's amount differs from the bill's total."""

    kind: str
    title: str
    table_header: tuple[str, ...]
    brand: str
    paid_label: str


EVN_FORM = _Form("evn", "HÓA ĐƠN TIỀN ĐIỆN", ("Bậc", "Sản lượng (kWh)", "Đơn giá (đ/kWh)", "Thành tiền (đ)"), "EVN",
                 "Số tiền thanh toán kỳ này")
SLIP_FORM = _Form("vietqr", "THÔNG BÁO PHÍ DỊCH VỤ", ("Khoản thu", "Số lượng", "Đơn giá (đ)", "Thành tiền (đ)"),
                  "VietQR", "Số tiền thanh toán kỳ này")
RECEIPT_FORM = _Form("vnpay", "HÓA ĐƠN BÁN LẺ", ("Mặt hàng", "SL", "Đơn giá (đ)", "Thành tiền (đ)"), "VNPAY",
                     "Số tiền thanh toán")


def _bill(form: _Form, spec: BillSpec, payload: str, total: int, totals: tuple[tuple[str, str], ...],
          **printed) -> ResolvedBill:
    """The amount rule every kind shares: an amount given for the QR is the amount due, and when it
    differs from the bill's total it gets a totals line of its own; else the total is due. A fee or tip
    the QR asks for goes into the QR and gets its lines under the totals (the amount due stays the bill's)."""
    if spec.amount is not None and spec.amount != total:
        totals += ((form.paid_label, group_thousands(spec.amount)),)
    totals += fee_totals(spec.fee, spec.amount)
    payload = with_fee(payload, spec.fee)
    return ResolvedBill(kind=form.kind, payload=payload, title=form.title, table_header=form.table_header,
                        brand=form.brand, totals=totals, amount_due=total if spec.amount is None else spec.amount,
                        amount_in_qr=spec.amount, **printed)


def _evn_branch_and_code(spec: BillSpec, rng: random.Random, random_branch: PowerBranch,
                         digits: str) -> tuple[PowerBranch, str]:
    """A given customer code keeps a branch of its own corporation (its first two letters); else the
    random branch, and a code in EVN's layout: prefix, branch number, nine digits."""
    if spec.customer:
        same_corp = [b for b in POWER_BRANCHES if b.prefix == spec.customer[:2]]
        return same_corp[rng.randrange(len(same_corp))], spec.customer
    return random_branch, f"{random_branch.prefix}{POWER_BRANCHES.index(random_branch) + 11:02d}{digits}"


def _resolve_evn(spec: BillSpec, rng: random.Random, person: _Person) -> ResolvedBill:
    random_branch = rng.choice(POWER_BRANCHES)
    digits = "".join(rng.choice("0123456789") for _ in range(9))
    kwh = rng.randint(60, 650) if spec.kwh is None else spec.kwh
    old_index = rng.randint(1000, 60000)
    meter = f"{rng.randint(10, 99)}{rng.randint(10**7, 10**8 - 1)}"
    branch, code = _evn_branch_and_code(spec, rng, random_branch, digits)
    payload = evn_bill_payload(
        code,
        merchant_id=spec.merchant_id or branch.merchant_id,
        merchant_name=spec.merchant_name or "EVN CONG TY DIEN LUC " + ascii_fold(branch.name_vi).upper(),
        city=spec.city or branch.city_ascii,
        purpose=spec.purpose or "TT tien dien",
        amount=spec.amount,
    )
    table, totals, total = _evn_charges(kwh)
    period, due = _period_text(person.period_month, person.period_year)
    name = spec.customer_name or person.name
    rows = (
        ("Tên khách hàng", name),
        ("Địa chỉ", spec.address or f"{person.address_line}, {branch.city_vi}"),
        ("Mã khách hàng", code),
        ("Số công tơ", meter),
        ("Mục đích sử dụng", "Sinh hoạt"),
        ("Chỉ số cũ / mới", f"{old_index:,} / {old_index + kwh:,}".replace(",", ".")),
        ("Điện năng tiêu thụ", f"{kwh} kWh"),
    )
    corp = evn.corporation_for(code)
    issuer = (
        corp.name_vi.upper() if corp else "TẬP ĐOÀN ĐIỆN LỰC VIỆT NAM",
        f"CÔNG TY ĐIỆN LỰC {branch.name_vi.upper()}",
    )
    return _bill(EVN_FORM, spec, payload, total, totals, issuer_lines=issuer, subtitle=period, rows=rows, table=table,
                 due_date=due, hotline=f"Tổng đài chăm sóc khách hàng: {branch.hotline}", customer_code=code,
                 customer_name=name)


def _evn_charges(kwh: int) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, str], ...], int]:
    """(table rows, totals lines, total): the household tiers the consumption reaches, then VAT."""
    lines = evn_tier_breakdown(kwh)
    subtotal = sum(cost for *_, cost in lines)
    vat = round(subtotal * VAT_RATE_PERCENT / 100)
    table = tuple(
        (f"Bậc {n}", f"{q}", group_thousands(price), group_thousands(cost)) for n, q, price, cost in lines
    )
    totals = (
        ("Cộng tiền điện", group_thousands(subtotal)),
        (f"Thuế GTGT {VAT_RATE_PERCENT}%", group_thousands(vat)),
        ("Tổng cộng tiền thanh toán", group_thousands(subtotal + vat)),
    )
    return table, totals, subtotal + vat


def _resolve_vietqr(spec: BillSpec, rng: random.Random, person: _Person) -> ResolvedBill:
    building_vi, building_ascii = rng.choice(BUILDINGS)
    bank_bin = rng.choice(SLIP_BANK_BINS)
    account = str(rng.randint(10**9, 10**13))
    apartment = f"{rng.choice('ABC')}{rng.randint(2, 30)}{rng.randint(1, 20):02d}"
    area = rng.randint(45, 130)
    fee_per_m2 = rng.choice((8000, 12000, 16500))
    parking = rng.choice((0, 120000, 1_200_000))
    water = rng.randint(80_000, 450_000)
    bank_bin = spec.bank or bank_bin
    account = spec.account or account
    purpose = spec.purpose or f"PDV T{person.period_month:02d} {apartment}"
    payload = vietqr_payload(bank_bin, account, amount=spec.amount, purpose=purpose,
                             merchant_name=spec.merchant_name, city=spec.city)
    bank = BankDirectory.bundled().lookup(bank_bin)
    service = area * fee_per_m2
    _, due = _period_text(person.period_month, person.period_year)
    name = spec.customer_name or person.name
    rows = (
        ("Chủ hộ", name),
        ("Căn hộ", f"{apartment} ({area} m²)"),
        ("Người nhận", spec.merchant_name or building_ascii),
        ("Ngân hàng", f"{bank.short_name} ({bank_bin})" if bank else f"BIN {bank_bin}"),
        ("Số tài khoản", account),
        ("Nội dung chuyển khoản", purpose),
    )
    table = (
        ("Phí dịch vụ", f"{area} m²", group_thousands(fee_per_m2), group_thousands(service)),
        ("Gửi xe", "1 tháng", group_thousands(parking), group_thousands(parking)),
        ("Tiền nước", "1 tháng", group_thousands(water), group_thousands(water)),
    )
    total = service + parking + water
    return _bill(SLIP_FORM, spec, payload, total, (("Tổng cộng", group_thousands(total)),),
                 issuer_lines=(building_vi.upper(), spec.address or person.address_line),
                 subtitle=f"Tháng {person.period_month:02d}/{person.period_year}", rows=rows, table=table,
                 due_date=due, hotline="Chuyển khoản 24/7 qua mã VietQR của NAPAS", customer_name=name)


def _resolve_vnpay(spec: BillSpec, rng: random.Random, person: _Person) -> ResolvedBill:
    shop_vi, shop_ascii = rng.choice(SHOPS)
    merchant_id = f"0{rng.randint(100000000, 999999999)}"
    items = rng.sample(SHOP_ITEMS, rng.randint(2, 5))
    quantities = [rng.randint(1, 3) for _ in items]
    terminal = f"POS{rng.randint(1, 9):02d}"
    receipt_no = f"HD{rng.randint(100000, 999999)}"
    merchant_id = spec.merchant_id or merchant_id
    payload = vnpay_payload(merchant_id, spec.merchant_name or shop_ascii, spec.city or "Ha Noi", amount=spec.amount,
                            mcc="5411", store_label=None, terminal_label=terminal, purpose=spec.purpose)
    total = sum(price * q for (_, price), q in zip(items, quantities, strict=True))
    rows = (
        ("Cửa hàng", shop_vi if not spec.merchant_name else spec.merchant_name),
        ("Địa chỉ", spec.address or person.address_line),
        ("Mã điểm bán (VNPAY)", merchant_id),
        ("Số hóa đơn", receipt_no),
        ("Thu ngân / quầy", terminal),
    )
    table = tuple(
        (item, str(q), group_thousands(price), group_thousands(price * q))
        for (item, price), q in zip(items, quantities, strict=True)
    )
    return _bill(RECEIPT_FORM, spec, payload, total, (("Tổng tiền hàng", group_thousands(total)),),
                 issuer_lines=(shop_vi.upper(), f"{person.address_line}"),
                 subtitle=f"Ngày {rng.randint(1, 28):02d}/{person.period_month:02d}/{person.period_year}",
                 rows=rows, table=table, due_date="",
                 hotline="Thanh toán bằng ứng dụng ngân hàng hoặc ví có VNPAY-QR", customer_name=spec.customer_name)
