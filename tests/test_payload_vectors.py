"""Every public vector from the spec, with exact expected fields."""

from payer_app.core.crc import crc16_ccitt_false, payload_crc
from payer_app.core.payload import parse_payload
from tests.spec_vectors import EVN_BILL, VIETQR_ACB, VIETQR_ACB_BAD_CRC, VNPAY_SUNFLY


def codes(parsed):
    return [(f.severity, f.code, f.path) for f in parsed.findings]


def test_crc_reference_check_value():
    # The catalogued check value of CRC-16/CCITT-FALSE for "123456789".
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_evn_bill_fields():
    p = parse_payload(EVN_BILL)
    assert p.valid
    assert p.scheme == "evn"
    assert p.initiation == "static"
    assert p.amount is None
    assert p.currency == "704" and p.currency_alpha == "VND"
    assert (p.merchant.name, p.merchant.city, p.merchant.mcc, p.merchant.country) == (
        "EVN CONG TY DIEN LUC THANH XUAN", "Ha Noi", "4900", "VN")
    assert (p.account.tag, p.account.guid, p.account.id) == ("26", "00", "0100101114-019")
    assert p.account.bank_bin is None
    b = p.bill
    assert (b.store_label, b.customer_label, b.terminal_label, b.purpose) == (
        "00",
        "PD00000000000",
        "00",
        "TT tien dien",
    )
    assert b.evn_customer_code == "PD00000000000"
    assert b.evn_corporation == "EVNHANOI"
    assert p.crc.found == "DC30" and p.crc.computed == "DC30" and p.crc.ok
    # The 31-character merchant name is the only remark: a warning bank apps live with.
    assert codes(p) == [("warning", "too-long", "59")]
    assert p.findings[0].offset == 61


def test_evn_bill_is_invalid_in_strict_profile():
    p = parse_payload(EVN_BILL, "strict")
    assert not p.valid
    assert codes(p) == [("error", "too-long", "59")]


def test_evn_field_tree_offsets():
    p = parse_payload(EVN_BILL)
    assert [(f.id, f.offset) for f in p.fields] == [
        ("00", 0), ("01", 6), ("26", 12), ("52", 40), ("53", 48), ("58", 55), ("59", 61), ("60", 96),
        ("62", 106), ("63", 155)]
    assert [(c.path, c.offset, c.value) for c in p.field_at("62").children] == [
        ("62.03", 110, "00"), ("62.06", 116, "PD00000000000"), ("62.07", 133, "00"), ("62.08", 139, "TT tien dien")]
    # Offsets point at the id in the original text.
    for f in p.field_at("62").children:
        assert EVN_BILL[f.offset:f.offset + 2] == f.id


def test_vietqr_acb_fields():
    p = parse_payload(VIETQR_ACB)
    assert p.valid and codes(p) == []
    assert p.scheme == "vietqr"
    assert p.initiation == "dynamic"
    assert p.amount == 1000
    assert (p.account.tag, p.account.guid, p.account.bank_bin, p.account.id, p.account.service) == (
        "38", "A000000727", "970416", "257678859", "QRIBFTTA")
    assert p.account.bank_short_name == "ACB"
    assert p.account.bank_name == "Ngân hàng TMCP Á Châu"
    assert p.bill.purpose == "Chuyen tien"
    assert p.merchant.name is None and p.merchant.mcc is None
    assert p.field_at("38.01.00").value == "970416"
    assert p.field_at("38.01.01").name == "Account or card number"


def test_vietqr_strict_only_warns_about_napas_omissions():
    p = parse_payload(VIETQR_ACB, "strict")
    assert p.valid
    assert codes(p) == [("warning", "napas-omits", "52"), ("warning", "napas-omits", "59"),
                        ("warning", "napas-omits", "60")]


def test_wrong_crc_is_rejected_in_both_profiles():
    for profile in ("lenient", "strict"):
        p = parse_payload(VIETQR_ACB_BAD_CRC, profile)
        assert not p.valid
        mismatch = [f for f in p.findings if f.code == "crc-mismatch"]
        assert len(mismatch) == 1
        assert mismatch[0].severity == "error" and mismatch[0].path == "63"
        assert "BBB5" in mismatch[0].message and "BBB8" in mismatch[0].message
        assert "Mã kiểm tra sai" in mismatch[0].message_vi
        assert p.crc.to_dict() == {"found": "BBB5", "computed": "BBB8", "ok": False}
        # The rest of the payload is still read for the inspector.
        assert p.amount == 1000 and p.account.bank_bin == "970416"


def test_vnpay_sunfly_fields():
    p = parse_payload(VNPAY_SUNFLY)
    assert p.valid and codes(p) == []
    assert p.scheme == "vnpay"
    assert p.initiation == "static"
    assert (p.account.tag, p.account.guid, p.account.id) == ("26", "A000000775", "01A8018790")
    assert (p.merchant.name, p.merchant.city, p.merchant.mcc) == ("SUNFLY1", "HaNoi", "5499")
    assert (p.bill.store_label, p.bill.terminal_label) == ("SUNFLY ONLINE", "SUNFLY01")
    assert p.bill.evn_customer_code is None


def test_payload_crc_helper_matches_vectors():
    for v in (EVN_BILL, VIETQR_ACB, VNPAY_SUNFLY):
        assert payload_crc(v[:-4]) == v[-4:]
