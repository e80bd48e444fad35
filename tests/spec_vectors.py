"""The one home of the payload vectors the tests share.

The first block are public example payloads: a real EVN Hanoi electricity bill (static, template 26),
a dynamic VietQR transfer to an ACB account (template 38, GUID A000000727) and the same with a wrong CRC,
and a VNPAY-QR merchant (template 26, GUID A000000775); each CRC is CRC-16/CCITT-FALSE as the EMVCo MPM
Book defines it, checked in tests/test_payload_vectors.py. The second block are payloads built with
the product's builder for the scan tests: Vietnamese text in UTF-8 byte mode, one that libzbar
misreads as Shift-JIS, and a plain bank transfer."""

from payer_app.core.builder import evn_bill_payload, vietqr_payload

EVN_BILL = (
    "000201010211262400020001140100101114-0195204490053037045802VN5931EVN CONG TY DIEN LUC THANH XUAN"
    "6006Ha Noi62450302000613PD000000000000702000812TT tien dien6304DC30"
)
VIETQR_ACB = (
    "00020101021238530010A0000007270123000697041601092576788590208QRIBFTTA5303704540410005802VN"
    "62150811Chuyen tien6304BBB8"
)
VIETQR_ACB_BAD_CRC = VIETQR_ACB[:-4] + "BBB5"
VNPAY_SUNFLY = (
    "00020101021126280010A000000775011001A80187905204549953037045802VN5907SUNFLY16005HaNoi"
    "62290313SUNFLY ONLINE0708SUNFLY016304AE6F"
)
ALL_VALID = [EVN_BILL, VIETQR_ACB, VNPAY_SUNFLY]

# Built with payer_app.core.builder (the scan tests draw these as QR codes).
VIETNAMESE_PAYLOAD = evn_bill_payload("PE12345678901", purpose="Thanh toán tiền điện")
GARBLED_PURPOSE = "Đóng tiền nước"  # its UTF-8 bytes are valid Shift-JIS: libzbar misreads them unless asked for bytes
GARBLING_PAYLOAD = evn_bill_payload("PB98765432109", purpose=GARBLED_PURPOSE)
VIETQR_TRANSFER = vietqr_payload(bank_bin="970416", account="257678859", amount=150000, purpose="Chuyen tien")
# A scam sticker dressed as an EVN bill (MCC 4900, GUID 00, a real customer code) that pays the
# attacker's own merchant id: not an EVN bill.
SCAM_STICKER = (
    "00020101021126250002000115ATTACKER-SHOP-15204490053037045802VN5911MY OWN SHOP6006Ha Noi"
    "62170613PD130001239996304AEB9"
)
SCAM_CUSTOMER = "PD13000123999"
