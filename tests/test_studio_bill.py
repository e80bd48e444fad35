"""Generated bills: they decode with the project's scan engine and parse back to exactly what was
asked; the same seed gives the same bytes in PNG, SVG and PDF; SVG and PDF keep the QR as vectors."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime

import numpy as np
import pytest
import segno
from PIL import Image, ImageFont

from payer_app.core.payload import parse_payload
from payer_app.qr_symbol import make_payment_qr
from payer_app.scan.engine import decode_frame, decode_image_file
from payer_app.studio import fonts
from payer_app.studio.bill import bill_png_bytes, render_bill_image, save_bill
from payer_app.studio.bill_layout import QR_CAPTION, TextItem, layout_bill
from payer_app.studio.bill_spec import (
    EVN_RESIDENTIAL_TIERS,
    BillSpec,
    BillSpecError,
    current_bill_period,
    evn_tier_breakdown,
)


def decoded_texts(image: Image.Image) -> list[str]:
    """Every QR text the scan engine reads in a rendered picture."""
    return [d.text for d in decode_frame(np.asarray(image.convert("L")))]


def assert_parses_to_spec(payload: str, spec: BillSpec) -> None:
    """The parsed payload carries exactly the fields the spec asked for."""
    parsed = parse_payload(payload)
    assert parsed.valid, [f.to_dict() for f in parsed.errors]
    assert parsed.scheme == spec.kind
    assert parsed.amount == spec.amount
    assert parsed.initiation == ("static" if spec.amount is None else "dynamic")
    assert parsed.currency == "704" and parsed.merchant.country == "VN"
    if spec.purpose is not None:
        assert parsed.bill.purpose == spec.purpose
    if spec.merchant_name is not None:
        assert parsed.merchant.name == spec.merchant_name
    if spec.city is not None:
        assert parsed.merchant.city == spec.city
    if spec.kind == "evn":
        assert parsed.merchant.mcc == "4900"
        assert parsed.bill.store_label == "00" and parsed.bill.terminal_label == "00"
        assert parsed.bill.evn_customer_code is not None
        if spec.customer is not None:
            assert parsed.bill.evn_customer_code == spec.customer
    elif spec.kind == "vietqr":
        assert parsed.account.guid == "A000000727"
        assert parsed.account.bank_bin == spec.bank
        assert parsed.account.id == spec.account
        assert parsed.account.service == "QRIBFTTA"
    else:
        assert parsed.account.guid == "A000000775"
        if spec.merchant_id is not None:
            assert parsed.account.id == spec.merchant_id


ASKED = [
    BillSpec(),
    BillSpec(kind="evn", customer="PD13000123456", seed=4),
    BillSpec(kind="evn", customer="PE07123456789", amount=734_560, purpose="TT tien dien T10", seed=5),
    BillSpec(kind="vietqr", bank="970436", account="0011001234567", seed=1),
    BillSpec(kind="vietqr", bank="970416", account="257678859", amount=1000, purpose="Chuyen tien",
             merchant_name="NGUYEN VAN AN", city="Ha Noi", seed=2),
    BillSpec(kind="vnpay", merchant_id="01A8018790", merchant_name="SUNFLY1", city="HaNoi", seed=3),
    BillSpec(kind="vnpay", amount=250_000, purpose="HD123456", seed=6),
]


@pytest.mark.parametrize("spec", ASKED, ids=lambda s: f"{s.kind}-{s.seed}")
def test_each_kind_decodes_and_parses_back_to_the_asked_fields(spec):
    image = render_bill_image(spec)
    texts = decoded_texts(image)
    assert texts == [spec.payload()]
    assert_parses_to_spec(texts[0], spec)


def test_default_bill_is_a_static_evn_bill_with_caption_and_amount_due():
    bill = BillSpec().resolve()
    parsed = parse_payload(bill.payload)
    assert parsed.scheme == "evn" and parsed.initiation == "static" and parsed.amount is None
    assert "54" not in [f.id for f in parsed.fields]
    layout = layout_bill(bill)
    texts = [item.text for item in layout.items if isinstance(item, TextItem)]
    assert QR_CAPTION == "Quét mã QR để thanh toán" and QR_CAPTION in texts
    assert "HÓA ĐƠN TIỀN ĐIỆN" in texts
    assert bill.customer_code in texts
    assert f"{bill.amount_due:,} đ".replace(",", ".") in texts
    # The amount due is the sum of the tiered tariff plus 8% VAT.
    kwh = int(dict(bill.rows)["Điện năng tiêu thụ"].split()[0])
    subtotal = sum(cost for *_, cost in evn_tier_breakdown(kwh))
    assert bill.amount_due == subtotal + round(subtotal * 0.08)
    image = render_bill_image()
    assert image.size == (874, 1240)  # A5 at 150 dpi


RANDOM_SEEDS = range(200)


def test_200_seeded_random_bills_carry_payloads_that_parse_back_to_what_was_asked():
    """What the QR of each random bill holds (the payload the studio builds for its spec) parses back
    to exactly the spec's fields; that the picture holds that very payload is the next test's part."""
    kinds = set()
    for seed in RANDOM_SEEDS:
        spec = BillSpec.random(seed)
        kinds.add(spec.kind)
        assert_parses_to_spec(spec.payload(), spec)
    assert kinds == {"evn", "vietqr", "vnpay"}


def _qr_version(payload: str) -> int:
    """The QR version segno picks for ``payload`` (as payer_app/qr_symbol.py asks; no mask search)."""
    return segno.make_qr(payload, error="m", encoding=None if payload.isascii() else "utf-8", mask=0).version


def test_random_bills_of_every_kind_and_qr_version_decode_to_their_payload():
    """The drawn bill's QR decodes to its spec's payload, for every (kind, QR version) the 200 seeds
    above draw: of each, the seed with the shortest and the one with the longest payload. Drawing a
    bill costs far more than checking its payload, so the pictures are drawn for the bills that differ
    in what the QR's decode depends on: the layout (one per kind) and the symbol's size in modules,
    from which its module size in pixels follows (payer_app/studio/bill.py)."""
    groups: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for seed in RANDOM_SEEDS:
        spec = BillSpec.random(seed)
        payload = spec.payload()
        groups.setdefault((spec.kind, _qr_version(payload)), []).append((len(payload), seed))
    assert {kind for kind, _ in groups} == {"evn", "vietqr", "vnpay"} and len(groups) >= 6
    picked = {seed: version for (_, version), members in groups.items() for _, seed in (min(members), max(members))}
    for seed, version in sorted(picked.items()):
        spec = BillSpec.random(seed)
        assert make_payment_qr(spec.payload()).version == version  # the grouping is the product's symbol
        texts = decoded_texts(render_bill_image(spec, dpi=100))
        assert texts == [spec.payload()], f"seed {seed}"


def test_same_seed_same_bytes_different_seed_different_bill(tmp_path):
    assert bill_png_bytes(BillSpec(seed=11)) == bill_png_bytes(BillSpec(seed=11))
    assert bill_png_bytes(BillSpec(seed=11)) != bill_png_bytes(BillSpec(seed=12))
    for suffix in (".svg", ".pdf"):
        first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
        save_bill(BillSpec(kind="vietqr", seed=9), first)
        save_bill(BillSpec(kind="vietqr", seed=9), second)
        assert first.read_bytes() == second.read_bytes(), suffix


def test_svg_and_pdf_keep_the_qr_vector_and_decode_after_rendering(tmp_path):
    if not (shutil.which("rsvg-convert") and shutil.which("pdftoppm")):
        pytest.fail("rsvg-convert and pdftoppm are needed (scripts/ensure_system_packages.sh installs them)")
    spec = BillSpec(kind="evn", customer="PC05000000042", seed=21)
    svg, pdf = tmp_path / "bill.svg", tmp_path / "bill.pdf"
    save_bill(spec, svg)
    save_bill(spec, pdf)
    svg_text = svg.read_text(encoding="utf-8")
    assert "<image" not in svg_text and 'class="segno"' not in svg_text.split("<g transform")[0]
    assert "<path" in svg_text and QR_CAPTION in svg_text
    assert b"/Subtype /Image" not in pdf.read_bytes()
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["rsvg-convert", "-d", "150", "-p", "150", str(svg), "-o", str(tmp_path / "svg.png")], check=True)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "pdf")], check=True)
    for picture in ("svg.png", "pdf.png"):
        texts = [d.text for d in decode_image_file(tmp_path / picture)]
        assert texts == [spec.payload()], picture
        with Image.open(tmp_path / picture) as rendered:
            assert abs(rendered.width / rendered.height - 148 / 210) < 0.01


def test_vietnamese_text_is_drawn_with_a_font_that_has_the_diacritics():
    font = ImageFont.truetype(str(fonts.font_path(bold=True)), 40)
    plain, marked = font.getbbox("e"), font.getbbox("ệ")
    assert marked[1] < plain[1] and marked[3] > plain[3]  # a circumflex above and a dot below
    assert font.getmask("ư").getbbox() != font.getmask("u").getbbox()


def test_missing_font_gives_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "FONT_DIRS", (str(tmp_path),))
    monkeypatch.delenv("PAYER_APP_FONT_DIR", raising=False)
    fonts.font_path.cache_clear()
    try:
        with pytest.raises(fonts.FontNotFoundError, match="fonts-noto-core"):
            fonts.font_path(False)
    finally:
        fonts.font_path.cache_clear()


@pytest.mark.parametrize(
    "spec, message",
    [
        (BillSpec(kind="gas"), "unknown bill kind"),
        (BillSpec(customer="PZ00000000000"), "not an EVN customer code"),
        (BillSpec(kind="vietqr", bank="97043", account="1"), "6-digit bank BIN"),
        (BillSpec(kind="vietqr", bank="970436", account="12 34"), "letters or digits"),
        (BillSpec(amount=0), "positive"),
        (BillSpec(purpose="x" * 120), "99 at most"),
    ],
)
def test_bad_options_are_refused_with_a_message(spec, message):
    with pytest.raises(BillSpecError, match=message):
        spec.resolve()


def test_tier_breakdown_covers_the_consumption_exactly():
    for kwh in (0, 1, 50, 51, 99, 100, 101, 399, 400, 401, 1234):
        rows = evn_tier_breakdown(kwh)
        assert sum(q for _, q, _, _ in rows) == kwh
        assert all(cost == q * price for _, q, price, cost in rows)
        assert len(rows) <= len(EVN_RESIDENTIAL_TIERS)


def test_a_bill_period_can_be_given_and_leaves_the_rest_of_the_bill_alone():
    made_up = BillSpec(customer="PD13000123456", seed=4).resolve()
    given = BillSpec(customer="PD13000123456", seed=4, period=(2, 2027)).resolve()
    assert given.due_date == "24/02/2027" and given.payload == made_up.payload
    with pytest.raises(BillSpecError):
        BillSpec(period=(13, 2026)).resolve()


@pytest.mark.parametrize("today, period", [
    (date(2026, 11, 26), (12, 2026)),  # past the 24th: next month's bill
    (date(2026, 11, 24), (11, 2026)),  # due today
    (date(2026, 12, 31), (1, 2027)),
])
def test_the_demo_camera_shows_a_bill_that_is_not_overdue(today, period):
    assert current_bill_period(today) == period
    due = BillSpec(customer="PD00000000000", period=period).resolve().due_date
    assert datetime.strptime(due, "%d/%m/%Y").date() >= today
