"""Structural rules, strict/lenient grading, derived values and the builder round trip."""

import pytest

from payer_app.core.builder import BuildError, build_payload, evn_bill_payload, vietqr_payload, vnpay_payload
from payer_app.core.crc import payload_crc
from payer_app.core.payload import parse_payload
from tests.spec_vectors import ALL_VALID, EVN_BILL, VIETQR_ACB


def with_crc(body: str) -> str:
    """Append a correct CRC to a hand-written body (which must not contain 63)."""
    return body + "6304" + payload_crc(body + "6304")


def finding(parsed, code):
    found = [f for f in parsed.findings if f.code == code]
    assert found, f"expected {code}, got {[f.code for f in parsed.findings]}"
    return found[0]


VIETQR_BODY = "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704540410005802VN"


@pytest.mark.parametrize(
    "payload, code, path",
    [
        # 00 missing, not first, not "01"
        (with_crc(VIETQR_BODY[6:]), "missing-mandatory", "00"),
        (with_crc("010212" + "000201" + VIETQR_BODY[12:]), "format-not-first", "00"),
        (with_crc("000202" + VIETQR_BODY[6:]), "bad-format-indicator", "00"),
        # 01 neither 11 nor 12
        (with_crc(VIETQR_BODY.replace("010212", "010213")), "bad-initiation", "01"),
        # CRC absent, not last, wrong length
        (VIETQR_BODY, "crc-missing", "63"),
        (VIETQR_BODY + "6304" + payload_crc(VIETQR_BODY + "6304") + "0703ABC", "crc-not-last", "63"),
        (VIETQR_BODY + "63031AB", "crc-bad-length", "63"),
        # no merchant account, no 53, no 58
        (with_crc("000201010212530370454041000" + "5802VN"), "no-merchant-account", "02-51"),
        (with_crc(VIETQR_BODY.replace("5303704", "")), "missing-mandatory", "53"),
        (with_crc(VIETQR_BODY.replace("5802VN", "")), "missing-mandatory", "58"),
        # lengths: non-digit, past the end, past the container
        ("000201010212385X", "bad-length", "38"),
        ("00020101021238990010A000000727", "truncated", "38"),
        (with_crc("00020101021238200010A0000007270199970416" + "5303704" + "5802VN"), "length-overrun", "38.01"),
        # duplicate id at the same level
        (with_crc(VIETQR_BODY + "5802VN"), "duplicate-id", "58"),
        (with_crc(VIETQR_BODY + "62140804abcd0802ef"), "duplicate-id", "62.08"),
        # amounts
        (with_crc(VIETQR_BODY.replace("54041000", "54051,000")), "bad-amount", "54"),
        (with_crc(VIETQR_BODY.replace("54041000", "5402-5")), "bad-amount", "54"),
        (with_crc(VIETQR_BODY.replace("54041000", "54031e3")), "bad-amount", "54"),
        (with_crc(VIETQR_BODY.replace("54041000", "54141234567890123")), "bad-amount", "54"),
        (with_crc(VIETQR_BODY.replace("54041000", "54061000.5")), "bad-amount", "54"),
        (with_crc(VIETQR_BODY.replace("5303704", "53037A4")), "bad-currency", "53"),
        (with_crc(VIETQR_BODY.replace("5802VN", "5802vn")), "bad-country", "58"),
        (with_crc(VIETQR_BODY + "550202"), "bad-tip", "55"),
        (with_crc(VIETQR_BODY + "62060002ab"), "undefined-id", "62.00"),
    ],
)
def test_structural_errors(payload, code, path):
    for profile in ("lenient", "strict"):
        p = parse_payload(payload, profile)
        f = finding(p, code)
        assert f.path == path
        if code != "undefined-id":
            assert f.severity == "error"
            assert not p.valid
        assert f.message and f.message_vi


@pytest.mark.parametrize(
    "payload, code, path",
    [
        (EVN_BILL, "too-long", "59"),
        (with_crc(VIETQR_BODY + "62060002ab"), "undefined-id", "62.00"),
        (with_crc(VIETQR_BODY.replace("54041000", "54071000.00")), "amount-decimals", "54"),
        (with_crc(VIETQR_BODY + "62090805Lê Tú"), "non-ascii", "62.08"),
        (with_crc(VIETQR_BODY + "62300826" + "y" * 26), "too-long", "62.08"),
        (with_crc(VIETQR_BODY + "6016" + "Thanh pho Ha Noi"), "too-long", "60"),
    ],
)
def test_lenient_warnings_become_strict_errors(payload, code, path):
    lenient, strict = parse_payload(payload, "lenient"), parse_payload(payload, "strict")
    f_l, f_s = finding(lenient, code), finding(strict, code)
    assert f_l.severity == "warning" and f_s.severity == "error"
    assert f_l.path == f_s.path == path
    assert lenient.valid and not strict.valid


def test_lowercase_crc_is_a_lenient_warning():
    body = VIETQR_BODY + "62100806abcdef"
    crc = payload_crc(body + "6304")
    assert crc.upper() != crc.lower(), "pick a body whose CRC has a letter"
    payload = body + "6304" + crc.lower()
    lenient, strict = parse_payload(payload), parse_payload(payload, "strict")
    assert lenient.valid and lenient.crc.ok
    assert finding(lenient, "crc-lowercase").severity == "warning"
    assert finding(strict, "crc-lowercase").severity == "error" and not strict.valid


def test_vietnamese_text_lengths_count_characters_not_bytes():
    # "Lê Anh Tú" is 9 characters (11 UTF-8 bytes): length 09.
    payload = with_crc(VIETQR_BODY + "62130809Lê Anh Tú")
    p = parse_payload(payload)
    assert p.bill.purpose == "Lê Anh Tú"
    assert p.crc.ok
    assert [f.code for f in p.findings] == ["non-ascii"]


def test_unknown_ids_are_kept():
    payload = with_crc(VIETQR_BODY + "8514" + "0002ZZ0104abcd" + "7003abc")
    p = parse_payload(payload)
    ids = [f.id for f in p.fields]
    assert "85" in ids and "70" in ids
    assert p.field_at("85.00").value == "ZZ" and p.field_at("85.01").value == "abcd"
    assert finding(p, "reserved-id").path == "70"


def test_missing_merchant_name_is_error_only_in_strict_for_non_vietqr():
    payload = with_crc("00020101021126280010A000000775011001A8018790" + "52045499" + "5303704" + "5802VN")
    lenient, strict = parse_payload(payload), parse_payload(payload, "strict")
    assert lenient.valid and {f.code for f in lenient.findings} == {"missing-optional"}
    assert not strict.valid
    assert sorted(f.path for f in strict.findings if f.code == "missing-optional") == ["59", "60"]


def test_unknown_bank_and_service_are_warnings():
    p = parse_payload(vietqr_payload("970999", "123", 5000))
    assert p.valid
    assert finding(p, "unknown-bank").path == "38.01.00"
    assert p.account.bank_name is None
    payload = with_crc(VIETQR_BODY.replace("0208QRIBFTTA", "0208QRXXXXXX"))
    assert finding(parse_payload(payload), "unknown-service").severity == "warning"


@pytest.mark.parametrize("bad", ["", "https://evn.com.vn/thanh-toan", "Hello world", "\x00\x01\x02garbage\xff"])
def test_non_payment_input(bad):
    p = parse_payload(bad)
    assert not p.valid and not p.is_payment
    assert p.fields == []
    assert p.findings[0].code in ("empty", "not-emvco")


def test_huge_and_nested_garbage_terminates_with_bounded_findings():
    p = parse_payload("0" * 7089)  # the QR capacity, all "0": one empty field 00 after another
    assert not p.valid
    assert len(p.findings) <= 101
    assert p.findings[-1].code == "too-many-findings"
    p = parse_payload("99" * 50_000)  # 100 kB: more than any QR code holds, refused unread
    assert not p.valid and not p.is_payment and p.fields == []
    assert [f.code for f in p.findings] == ["input-too-long"]
    p = parse_payload("0002010102123899" + "0199" * 30)
    assert not p.valid


def test_evn_customer_code_recognition():
    for prefix, corp in [("PA", "EVNNPC"), ("PB", "EVNSPC"), ("PC", "EVNCPC"), ("PD", "EVNHANOI"), ("PE", "EVNHCMC")]:
        p = parse_payload(evn_bill_payload(prefix + "12345678901"))
        assert p.scheme == "evn" and p.valid
        assert p.bill.evn_customer_code == prefix + "12345678901"
        assert p.bill.evn_corporation == corp
    with pytest.raises(BuildError):
        evn_bill_payload("PZ12345678901")
    # An EVN-shaped bill whose customer label is not a customer code: a warning, code not claimed.
    items = [(f.id, f.value if not f.children else [(c.id, c.value) for c in f.children])
             for f in parse_payload(EVN_BILL).fields]
    items = [(i, v if i != "62" else [("06", "XX123")]) for i, v in items]
    p = parse_payload(build_payload(items))
    assert p.bill.evn_customer_code is None
    assert finding(p, "bad-evn-customer-code").path == "62.06"


def test_round_trip_for_every_valid_vector():
    for v in ALL_VALID:
        assert build_payload(parse_payload(v).fields) == v


def test_builders_reproduce_the_spec_vectors():
    assert evn_bill_payload("PD00000000000") == EVN_BILL
    assert vietqr_payload("970416", "257678859", 1000, "Chuyen tien") == VIETQR_ACB
    assert vnpay_payload("01A8018790", "SUNFLY1", "HaNoi", store_label="SUNFLY ONLINE",
                         terminal_label="SUNFLY01").endswith("6304AE6F")


def test_builder_rejects_what_it_cannot_encode():
    with pytest.raises(BuildError):
        build_payload([("0A", "x")])
    with pytest.raises(BuildError):
        build_payload([("59", "x" * 100)])
    with pytest.raises(BuildError):
        vietqr_payload("97041", "1")


def test_to_dict_has_every_contract_key_and_nulls():
    d = parse_payload(VIETQR_ACB).to_dict()
    for key in ("valid", "profile", "crc", "scheme", "initiation", "amount", "currency", "merchant", "account",
                "bill", "fields", "findings"):
        assert key in d
    assert set(d["crc"]) == {"found", "computed", "ok"}
    assert {"name", "city", "mcc", "country"} <= set(d["merchant"])
    assert {"tag", "guid", "bank_bin", "bank_name", "id", "service"} <= set(d["account"])
    assert {"bill_number", "mobile", "store_label", "loyalty", "reference_label", "customer_label",
            "terminal_label", "purpose", "evn_customer_code", "evn_corporation"} <= set(d["bill"])
    assert d["amount"] == "1000" and d["merchant"]["name"] is None and d["bill"]["evn_customer_code"] is None
    field = d["fields"][2]
    assert {"id", "name", "value", "offset", "children"} <= set(field)
    assert field["children"][1]["children"][0]["value"] == "970416"


def test_a_non_payment_text_is_described_in_one_language_per_message():
    """The Vietnamese message quotes the text in Vietnamese words too (no English inside it)."""
    finding = parse_payload("hello world").findings[0]
    assert finding.code == "not-emvco"
    assert "starts with 'hello world'" in finding.message
    assert "bắt đầu bằng 'hello world'" in finding.message_vi and "starts with" not in finding.message_vi
