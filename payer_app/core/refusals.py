"""Refusals: why something cannot be paid or done, as a stable code plus the values its text needs.

One type and one catalogue. A ``Refusal`` carries ``code`` (GUIs, QA scripts and the CLI's error
lines match on it) and ``values`` (what its text needs: amounts in dong, quoted outside text); its
English and Vietnamese texts come from ``CATALOG`` alone, so the window (``text("vi")``) and the
command line (``text("en")``) read the same sentence, and no module writes its own. Each kind of
refusal is a subclass, so callers catch the kind they can handle:

* ``QrRefused`` - the QR itself cannot be paid (``payability`` decides: not a payment QR, damaged,
  invalid, not in dong);
* ``AmountRefused`` - the amount cannot be paid (missing, locked by a dynamic QR, outside the limits);
* ``InputRefused`` - the rest of the payer's input (note, validity, identifiers, audience).
* ``VerifyRefused`` - a signed request fails verification (the code is the ``Verification``'s reason)
  or the acquirer's own checks.

What is said when nothing is refused (a good verification, an approval) is in ``SAID``, read with
``say(kind, lang, **values)``.

``QrRefused`` and ``AmountRefused`` are ``RequestRefused`` too: what ``build_request`` raises.
Values whose name ends in ``_vi`` are the Vietnamese form of the value without it (a finding's text);
amounts (``amount``, ``min``, ``max``, ``fixed``) are shown as ``1.000 ₫``.
"""

from __future__ import annotations

from typing import Any

from payer_app.core.amounts import format_vnd

# code -> (English template, Vietnamese template)
CATALOG: dict[str, tuple[str, str]] = {
    # The QR (payability).
    "not-payment": ("This QR is not a payment QR.", "Đây không phải mã QR thanh toán."),
    "bad-crc": ("The checksum is wrong: the code may be damaged or tampered with.",
                "Mã kiểm tra sai: mã QR có thể bị hỏng hoặc bị sửa đổi."),
    "invalid-qr": ("The payment QR is not valid.", "Mã QR thanh toán không hợp lệ."),
    "not-vnd": ("This QR code asks for currency {currency}; only VND can be paid.",
                "Mã QR này dùng tiền tệ {currency}; chỉ thanh toán được VND."),
    # A QR kept as a saved bill (``payments.saved_bills``).
    "dynamic-not-saveable": ("A dynamic QR cannot be saved: its amount is for this one payment only. "
                             "Only a bill's static QR (you type the amount) can be saved.",
                             "Không thể lưu mã QR động: số tiền của mã chỉ dùng cho một lần thanh toán. "
                             "Chỉ lưu được mã QR tĩnh của hóa đơn (bạn tự nhập số tiền)."),
    "bill-name-not-text": ("The name must be text.", "Tên phải là chữ."),
    "bill-name-empty": ("Please give the bill a name.", "Vui lòng đặt tên cho hóa đơn."),
    "bill-name-too-long": ("The name is longer than {limit} characters.", "Tên dài quá {limit} ký tự."),
    "bad-bill-name": ("The name contains control or invisible characters.", "Tên có ký tự điều khiển hoặc ký tự ẩn."),
    "confusable-bill-name": ("The name “{name}” looks the same as the saved bill “{other}”, which is another "
                             "bill. Choose a name that looks different.",
                             "Tên “{name}” trông giống hệt hóa đơn đã lưu “{other}” (một hóa đơn khác). Hãy "
                             "chọn một tên trông khác hẳn."),
    # {first}/{second}: the scripts a name mixes (``SCRIPT_NAMES``), {letter}: the letter of the second.
    "confusable-mixed-bill-name": ("The name “{name}” looks the same as the saved bill “{other}”, which is another "
                                   "bill. It mixes {first} and {second} letters ({letter} is {second}). Choose a name "
                                   "that looks different.",
                                   "Tên “{name}” trông giống hệt hóa đơn đã lưu “{other}” (một hóa đơn khác). Tên trộn "
                                   "chữ {first} với chữ {second} ({letter} là chữ {second}). Hãy chọn một tên trông "
                                   "khác hẳn."),
    "mixed-script-name": ("The name “{name}” could pass for another name. It mixes {first} and {second} letters "
                          "({letter} is {second}). Write it in one alphabet.",
                          "Tên “{name}” có thể bị nhầm với một tên khác. Tên trộn chữ {first} với chữ {second} "
                          "({letter} là chữ {second}). Hãy viết bằng một bảng chữ cái."),
    "bill-payload-empty": ("The QR payload must be non-empty text.", "Nội dung mã QR phải là chữ."),
    "bill-payload-too-long": ("The QR payload is longer than {limit} characters.",
                              "Nội dung mã QR dài quá {limit} ký tự."),
    "already-saved": ("This bill is already saved as “{name}”.", "Hóa đơn này đã được lưu với tên “{name}”."),
    "too-many-saved-bills": ("At most {limit} bills can be saved; delete some first.",
                             "Chỉ lưu được tối đa {limit} hóa đơn; hãy xóa bớt trước."),
    "saved-bill-not-found": ("That saved bill no longer exists.", "Hóa đơn đã lưu này không còn nữa."),
    "import-too-large": ("The file is larger than {limit_kb} kB.", "Tệp lớn hơn {limit_kb} kB."),
    "import-not-regular": ("Not a regular file.", "Không phải một tệp thông thường."),
    "import-not-json": ("Not a saved bills file: {detail}", "Không phải tệp hóa đơn đã lưu: {detail}"),
    "import-no-format": ("Not a saved bills file (no \"format\": \"{format}\").",
                         "Không phải tệp hóa đơn đã lưu (thiếu \"format\": \"{format}\")."),
    "import-bad-version": ("Unsupported saved bills file version (expected {version}).",
                           "Phiên bản tệp không được hỗ trợ (cần {version})."),
    "import-no-bills": ("The file has no \"bills\" list.", "Tệp không có danh sách \"bills\"."),
    "import-too-many": ("The file holds {count} bills; at most {limit} can be saved.",
                        "Tệp có {count} hóa đơn; chỉ lưu được tối đa {limit}."),
    "import-entry-not-object": ("not an object", "không phải một đối tượng"),
    "import-bad-entry": ("Bill {number} in the file: {inner} Nothing was imported.",
                         "Hóa đơn thứ {number} trong tệp: {inner} Chưa nhập hóa đơn nào."),
    # The amount.
    "amount-required": ("This QR code has no amount: enter the amount to pay.",
                        "Mã QR này không có số tiền: hãy nhập số tiền cần thanh toán."),
    "amount-locked": ("This QR code fixes the amount at {fixed}; it cannot be changed to {amount}.",
                      "Mã QR này cố định số tiền {fixed}; không thể đổi thành {amount}."),
    "below-minimum": ("The amount {amount} is below the minimum of {min}.",
                      "Số tiền {amount} thấp hơn mức tối thiểu {min}."),
    "above-maximum": ("The amount {amount} is above the per-transaction maximum of {max}.",
                      "Số tiền {amount} vượt hạn mức mỗi giao dịch {max}."),
    "bad-amount": ("The amount must be a whole number of dong, not {found}.",
                   "Số tiền phải là số đồng nguyên, không phải {found}."),
    "bad-tip": ("This QR does not ask for a tip, or the tip is negative: the tip cannot be paid.",
                "Mã QR này không mời tip, hoặc số tiền tip âm: không thể trả tiền tip này."),
    # The registered account name (``core.registered_name.name_check_refusal``).
    "no-such-account": ("The bank ({acquirer}) says the account this QR pays does not exist: the QR may be fake or "
                        "damaged. Nothing was paid.",
                        "Ngân hàng ({acquirer}) cho biết tài khoản của mã QR này không tồn tại: mã QR có thể là "
                        "giả hoặc bị hỏng. Chưa thanh toán."),
    # The rest of the payer's input.
    "note-too-long": ("The note is {length} characters long; {limit} at most.",
                      "Ghi chú dài {length} ký tự; tối đa {limit}."),
    "note-not-text": ("The note must be text.", "Ghi chú phải là văn bản."),
    "bad-note": ("The note contains a control or text-direction character ({char}): line breaks, tabs, "
                 "bidi overrides and invisible characters are not allowed.",
                 "Ghi chú chứa ký tự điều khiển hoặc đổi hướng chữ ({char}): không được dùng xuống dòng, "
                 "tab, ký tự đảo chiều hay ký tự ẩn."),
    "bad-ttl": ("The validity must be 1 to {limit} seconds, not {found}.",
                "Thời hạn hiệu lực phải từ 1 đến {limit} giây, không phải {found}."),
    "bad-id": ("The {name} {found} is not a UUID in canonical form (use str(uuid.uuid4())).",
               "Mã {name} {found} không phải UUID dạng chuẩn."),
    "bad-nonce": ("The nonce must be 16 to 64 base64url characters.", "Nonce phải gồm 16 đến 64 ký tự base64url."),
    "bad-audience": ("The audience (aud) is not valid: {detail}.", "Đích nhận (aud) không hợp lệ: {detail}."),
    # Reading signed JSON back (``PaymentRequest.from_dict``).
    "bad-content": ("The signed request is not well formed: {detail}.", "Yêu cầu đã ký sai cấu trúc: {detail}."),
    # Verifying a signed request (``core.signing.verify_request``, ``core.request_schema``): the code is
    # the verification's reason (docs/payments.md); outside text arrives already quoted.
    "bad-verification-key": ("The verification key is unusable: {problem}.",
                             "Khóa kiểm tra không dùng được: {problem}."),
    "token-too-many-bytes": ("The token is {length} bytes long ({limit} at most).",
                             "Mã ký dài {length} byte (tối đa {limit})."),
    "token-not-ascii": ("The token contains non-ASCII bytes.", "Mã ký chứa byte không phải ASCII."),
    "token-not-text": ("The token is not text.", "Mã ký không phải văn bản."),
    "token-too-long": ("The token is {length} characters long ({limit} at most).",
                       "Mã ký dài {length} ký tự (tối đa {limit})."),
    "token-file-too-large": ("The token file holds {size} bytes; a token is at most {limit} characters.",
                             "Tệp mã ký chứa {size} byte; mã ký dài tối đa {limit} ký tự."),
    "not-compact-jws": ("This is not a JWS in compact form (three base64url parts separated by dots).",
                        "Đây không phải JWS dạng rút gọn (ba phần base64url cách nhau bởi dấu chấm)."),
    "unsupported-algorithm": ("The algorithm is {alg}; only EdDSA (Ed25519) is accepted.",
                              "Thuật toán là {alg}; chỉ chấp nhận EdDSA (Ed25519)."),
    "header-unknown-parameters": ("The JWS header has parameters that are not accepted: {names}.",
                                  "Phần đầu JWS có tham số không được chấp nhận: {names}."),
    "header-bad-typ": ("The JWS header's typ is {typ}, not {expected}.",
                       "Tham số typ của phần đầu JWS là {typ}, không phải {expected}."),
    "header-bad-kid": ("The JWS header's key id {kid} is not a key thumbprint.",
                       "Mã khóa {kid} trong phần đầu JWS không phải dấu vân tay khóa."),
    "header-not-acceptable": ("The JWS header is not acceptable: {problem}.", "Phần đầu JWS không hợp lệ: {problem}."),
    "header-not-object": ("The JWS header is not a JSON object.", "Phần đầu JWS không phải đối tượng JSON."),
    "part-not-base64url": ("A JWS part is not canonical base64url.", "Một phần JWS không phải base64url chuẩn."),
    "signature-length": ("The signature is {length} bytes long; Ed25519 signatures are 64.",
                         "Chữ ký dài {length} byte; chữ ký Ed25519 dài 64 byte."),
    "signature-not-canonical": ("The signature is not canonical (S is not below the group order).",
                                "Chữ ký không ở dạng chuẩn (S không nhỏ hơn bậc nhóm)."),
    "wrong-key": ("The request was signed with key {kid}, which is not among the verification keys.",
                  "Yêu cầu được ký bằng khóa {kid}, không thuộc các khóa kiểm tra."),
    "signature-mismatch": ("The signature does not match: the request was altered or signed with another key.",
                           "Chữ ký không khớp: yêu cầu đã bị sửa đổi hoặc được ký bằng khóa khác."),
    "content-not-json": ("The signed content is not acceptable JSON: {problem}.",
                         "Nội dung đã ký không phải JSON hợp lệ: {problem}."),
    "key-mismatch": ("The request names payer key {named} but was signed with {kid}.",
                     "Yêu cầu ghi khóa {named} nhưng được ký bằng khóa {kid}."),
    "qr-mismatch": ("qr.sha256 is not the SHA-256 of qr.payload.", "qr.sha256 không phải SHA-256 của qr.payload."),
    "wrong-audience": ("The request is addressed to {audience}, not to {expected}.",
                       "Yêu cầu gửi cho {audience}, không phải {expected}."),
    "dated-after-retirement": ("Key {kid} was retired at {when}; the request is dated {dated}, after that.",
                               "Khóa {kid} đã ngừng dùng lúc {when}; yêu cầu ghi ngày {dated}, sau thời điểm đó."),
    "not-yet-valid": ("The request is dated {created}, in the future (now {now}).",
                      "Yêu cầu ghi ngày {created}, ở tương lai (bây giờ {now})."),
    "expired": ("The request expired at {expires} (now {now}).", "Yêu cầu đã hết hạn lúc {expires} (bây giờ {now})."),
    "request-not-vnd": ("The QR in the request asks for currency {currency} (field 53); only VND (704) is paid.",
                        "Mã QR trong yêu cầu dùng tiền tệ {currency} (trường 53); chỉ thanh toán VND (704)."),
    "request-invalid-qr": ("The QR payload in the request is not valid: {detail}",
                           "Mã QR trong yêu cầu không hợp lệ: {detail}"),
    "amount-mismatch": ("The request pays {amount} but the dynamic QR fixes {fixed}.",
                        "Yêu cầu trả {amount} nhưng mã QR động cố định {fixed}."),
    "payee-mismatch": ("The payee in the request is not the one in its QR payload.",
                       "Người nhận trong yêu cầu khác với người nhận trong mã QR."),
    "bill-mismatch": ("The bill details in the request are not the ones in its QR payload.",
                      "Thông tin hóa đơn trong yêu cầu khác với trong mã QR."),
    # R17 (``core.fees.fee_problem``): the fee and the total against the signed QR's own fee rule.
    "fee-kind-mismatch": ("The request states {stated}, the QR asks for {expected}.",
                          "Yêu cầu ghi {stated}, mã QR yêu cầu {expected}."),
    "fee-value-mismatch": ("The request states a fee of {fee}, the QR asks for {expected} on {amount}.",
                           "Yêu cầu ghi phí {fee}, mã QR yêu cầu {expected} trên {amount}."),
    "fee-negative-tip": ("The request states a tip of {fee}; a tip is 0 ₫ or more.",
                         "Yêu cầu ghi tiền tip {fee}; tiền tip phải từ 0 ₫ trở lên."),
    "total-mismatch": ("The request's total {total} is not its amount plus its fee ({amount} + {fee_paid} = {sum}).",
                       "Tổng tiền {total} trong yêu cầu không bằng số tiền cộng phí ({amount} + {fee_paid} = {sum})."),
    # The acquirer's own decisions (``payments.acquirer.decisions``).
    "arrived-after-retirement": ("Key {kid} was retired at {when}; this request arrived at {at}, more than {skew} s "
                                 "later. Sign it again with the current key.",
                                 "Khóa {kid} đã ngừng dùng lúc {when}; yêu cầu này đến lúc {at}, sau hơn {skew} giây. "
                                 "Hãy ký lại bằng khóa hiện tại."),
    # Authentication by amount (``core.auth_policy``): the face check the payment needs.
    "biometric-required": ("This payment of {total} is above {limit} in one payment: it needs the face check "
                           "(on the command line: --biometric pass).",
                           "Giao dịch {total} vượt mức {limit} cho một lần giao dịch: cần xác thực khuôn mặt "
                           "(dòng lệnh: --biometric pass)."),
    "biometric-required-day": ("With this payment the account pays {day_total} today, above {limit} a day: it needs "
                               "the face check (on the command line: --biometric pass).",
                               "Tính cả giao dịch này, hôm nay tài khoản đã chi {day_total}, vượt mức {limit} một "
                               "ngày: cần xác thực khuôn mặt (dòng lệnh: --biometric pass)."),
    "biometric-failed": ("The face check failed: nothing was paid.",
                         "Xác thực khuôn mặt không thành công: chưa thanh toán."),
    "insufficient-funds": ("Declined: insufficient funds (injected failure).",
                           "Bị từ chối: không đủ số dư (lỗi giả lập)."),
    # The payer's source account at the bank (``payments.acquirer.balances``, ``payments.accounts``).
    "over-balance": ("The total {amount} is more than the source account's balance ({balance}).",
                     "Tổng tiền {amount} lớn hơn số dư tài khoản nguồn ({balance})."),
    "daily-limit": ("The total {amount} would take today's payments over the account's daily limit of {limit} "
                    "({spent} already paid today).",
                    "Tổng tiền {amount} vượt hạn mức giao dịch trong ngày {limit} của tài khoản (hôm nay đã "
                    "thanh toán {spent})."),
    "bad-accounts-file": ("The accounts file cannot be used: {problem}", "Không dùng được tệp tài khoản: {problem}"),
    "bad-account-entry": ("{where}: {problem}", "{where}: lỗi dữ liệu tài khoản ({problem})"),
    "unknown-account": ("No source account has the id {id}; `payer-app accounts list` shows them.",
                        "Không có tài khoản nguồn nào mã {id}; xem bằng `payer-app accounts list`."),
    "account-exists": ("The account {account} is already in the list (id {id}).",
                       "Tài khoản {account} đã có trong danh sách (mã {id})."),
    # Setting up payments (``payments.errors``): nothing was paid, nothing is pending.
    "no-acquirer": ("The embedded acquirer needs no enrolment; give an acquirer URL.",
                    "Ngân hàng nhúng không cần đăng ký khóa; hãy nhập địa chỉ ngân hàng."),
    "no-acquirer-to-revoke": ("Revoking a key needs an acquirer URL.", "Thu hồi khóa cần địa chỉ ngân hàng."),
    "key-not-enrolled": ("Your signing key {kid} is not enrolled at {url}. Enrol it first: {hint} (a one-time "
                         "code the acquirer's operator issues for your account: `payer-app acquirer codes issue "
                         "--account BIN/ACCOUNT`).",
                         "Khóa ký {kid} chưa được đăng ký tại {url}. Hãy đăng ký trước: {hint} (mã dùng một lần "
                         "người vận hành ngân hàng cấp cho tài khoản của bạn: `payer-app acquirer codes issue "
                         "--account BIN/ACCOUNT`)."),
    "key-revoked": ("Your signing key {kid} is revoked at {url}. Make a new key with `payer-app keys rotate`, "
                    "then enrol it: {hint}.",
                    "Khóa ký {kid} đã bị thu hồi tại {url}. Hãy tạo khóa mới (`payer-app keys rotate`) rồi đăng ký: "
                    "{hint}."),
    "key-retired": ("Your signing key {kid} is retired at {url}. Make a new key with `payer-app keys rotate`, "
                    "then enrol it: {hint}.",
                    "Khóa ký {kid} đã ngừng dùng tại {url}. Hãy tạo khóa mới (`payer-app keys rotate`) rồi đăng ký: "
                    "{hint}."),
    "enrolment-refused": ("{acquirer} refused to enrol key {kid} ({error}): {message}",
                          "{acquirer} từ chối đăng ký khóa {kid} ({error}): {message}"),
    "key-not-active": ("Key {kid} is {status} at {acquirer}; make a new key with `payer-app keys rotate` and enrol "
                       "that one.",
                       "Khóa {kid} đã bị {status} tại {acquirer}; hãy tạo khóa mới (`payer-app keys rotate`) rồi "
                       "đăng ký khóa đó."),
    # The booth's shared code names an account on ``POST /v1/keys`` (``payments.acquirer.activation``).
    "shared-code-names-account": ("The booth's code opens only a new demo account, numbered by the acquirer (POST "
                                  "/v1/demo-accounts, as `payer-app gui --acquirer URL --enrol-code CODE` does); it "
                                  "binds no key to an account you name ({account}). For that account, enrol with a "
                                  "one-time code the operator issues for it (`payer-app acquirer codes issue --account "
                                  "{account}`, then `payer-app keys enrol --acquirer URL --code CODE`) or with an "
                                  "endorsement by its key (`payer-app keys endorse`).",
                                  "Mã dùng chung của gian hàng chỉ mở một tài khoản thử nghiệm mới do ngân hàng cấp "
                                  "số (POST /v1/demo-accounts, như `payer-app gui --acquirer URL --enrol-code CODE`); "
                                  "mã này không gắn khóa vào tài khoản bạn chỉ định ({account}). Với tài khoản đó, hãy "
                                  "đăng ký bằng mã dùng một lần người vận hành cấp cho tài khoản (`payer-app acquirer "
                                  "codes issue --account {account}`, rồi `payer-app keys enrol --acquirer URL --code "
                                  "CODE`) hoặc bằng xác nhận của khóa đang dùng cho tài khoản (`payer-app keys "
                                  "endorse`)."),
    "revoke-refused": ("{acquirer} refused to revoke {kid} ({error}): {message}",
                       "{acquirer} từ chối thu hồi khóa {kid} ({error}): {message}"),
    "new-day-refused": ("{acquirer} refused the new day ({error}).",
                        "{acquirer} từ chối bắt đầu ngày mới ({error})."),
    "other-acquirer": ("{count} pending request(s) were first sent to another acquirer (e.g. {request_id} to "
                       "{acquirer}); re-send them there (no --acquirer), or add --force to send them to this one "
                       "anyway.",
                       "{count} yêu cầu đang chờ đã được gửi tới ngân hàng khác (ví dụ {request_id} tới {acquirer}); "
                       "hãy gửi lại tới đó, hoặc thêm --force."),
    "bad-local-key": ("The local key set is unusable: {detail}", "Bộ khóa trên máy không dùng được: {detail}"),
    # A payment call that failed without a refusal of its own (``gui.payment_runner``): the error's text.
    "acquirer-unavailable": ("The acquirer does not answer: {problem}", "Không kết nối được ngân hàng: {problem}"),
    "service-unavailable": ("The payment service could not be opened: {problem}",
                            "Không mở được dịch vụ thanh toán: {problem}"),
    "payment-error": ("The payment request could not be sent: {problem}",
                      "Không gửi được yêu cầu thanh toán: {problem}"),
}

# What is said when nothing is refused: the same catalogue form, read with ``say``.
SAID: dict[str, tuple[str, str]] = {
    "request-verified": ("Signature and content are good: {amount} to {payee}, request {request_id}.",
                         "Chữ ký và nội dung hợp lệ: {amount} cho {payee}, yêu cầu {request_id}."),
    "approved": ("Approved.", "Đã duyệt."),
    # The payment service (``payments.service``): an enrolment, an answer that leaves a payment pending.
    "key-enrolled": ("Key {kid} is now enrolled at {url} for account {account}.",
                     "Khóa {kid} đã được đăng ký tại {url} cho tài khoản {account}."),
    "key-already-enrolled": ("Key {kid} is already enrolled at {url} for account {account}.",
                             "Khóa {kid} đã đăng ký tại {url} cho tài khoản {account}."),
    "already-processed": ("Already processed: {message}", "Đã xử lý trước đó: {message}"),
    "unconfirmed-duplicate": ("The acquirer answered 409 (already processed) but not with this request's id and "
                              "amount; it is not counted as paid and stays pending.",
                              "Ngân hàng trả lời 409 (đã xử lý) nhưng không đúng mã yêu cầu và số tiền này; chưa "
                              "tính là đã trả."),
    "acquirer-error-pending": ("Acquirer error{http}: {problem}; the outcome is unknown, the request is kept and "
                               "will be re-sent.",
                               "Lỗi từ ngân hàng thanh toán{http}: {problem}; chưa rõ kết quả, yêu cầu được lưu và "
                               "sẽ gửi lại."),
    "no-answer-pending": ("No answer from the acquirer ({problem}); the request is kept and will be re-sent.",
                          "Chưa có phản hồi từ ngân hàng thanh toán ({problem}); yêu cầu được lưu và sẽ gửi lại."),
}

# Catalogue entries that share a code: a kind's text differs, the stable code (what callers and
# scripts match on) does not.
CODE_OF: dict[str, str] = {
    "biometric-required-day": "biometric-required",
    "fee-kind-mismatch": "fee-mismatch", "fee-value-mismatch": "fee-mismatch", "fee-negative-tip": "fee-mismatch",
    "note-not-text": "bad-note", "bad-nonce": "bad-id", "no-acquirer-to-revoke": "no-acquirer",
    "bill-name-not-text": "bad-bill-name", "bill-name-empty": "bad-bill-name", "bill-name-too-long": "bad-bill-name",
    "mixed-script-name": "confusable-bill-name", "confusable-mixed-bill-name": "confusable-bill-name",
    "bad-verification-key": "bad-key", "signature-not-canonical": "bad-signature",
    "signature-mismatch": "bad-signature", "content-not-json": "bad-content", "dated-after-retirement": "key-retired",
    "arrived-after-retirement": "key-retired", "request-not-vnd": "not-vnd", "request-invalid-qr": "invalid-qr",
    **{kind: "malformed" for kind in ("token-too-many-bytes", "token-not-ascii", "token-not-text", "token-too-long",
                                      "token-file-too-large", "not-compact-jws", "header-unknown-parameters",
                                      "header-bad-typ", "header-bad-kid", "header-not-acceptable",
                                      "header-not-object", "part-not-base64url", "signature-length")},
    **{kind: "bad-import" for kind in ("bill-payload-empty", "bill-payload-too-long", "import-too-large",
                                       "import-not-regular", "import-not-json", "import-no-format",
                                       "import-bad-version", "import-no-bills", "import-too-many",
                                       "import-entry-not-object", "import-bad-entry")},
}

AMOUNT_VALUES = frozenset({"amount", "min", "max", "fixed"})

# The alphabets ``core.confusables.mixed_scripts`` names, in English and Vietnamese (values ``first``
# and ``second`` of the mixed-script entries).
# How a fee kind is named in R17's texts (English, Vietnamese); a kind from outside is never echoed.
FEE_KIND_NAMES: dict[str | None, tuple[str, str]] = {
    None: ("no fee", "không có phí"), "tip": ("a tip", "tiền tip"), "fixed": ("a fixed fee", "phí cố định"),
    "percent": ("a percentage fee", "phí theo phần trăm"),
}
UNKNOWN_FEE_KIND = ("an unknown kind of fee", "loại phí không xác định")

SCRIPT_NAMES: dict[str, tuple[str, str]] = {
    "Latin": ("Latin", "Latinh"), "Cyrillic": ("Cyrillic", "Kirin"), "Greek": ("Greek", "Hy Lạp"),
}


class Refusal(Exception):
    """Something cannot be paid or done: ``code`` (stable) and ``values`` (what the text needs).

    ``kind`` names the catalogue entry; it is the code unless two texts share a code (``CODE_OF``)."""

    def __init__(self, kind: str, **values: Any):
        if kind not in CATALOG:
            raise KeyError(f"no catalogue entry {kind!r}")
        self.kind = kind
        self.code = CODE_OF.get(kind, kind)
        self.values = values
        super().__init__(self.text("en"))

    def text(self, lang: str = "en") -> str:
        """The catalogue's sentence in ``lang`` (``"en"`` or ``"vi"``), filled with the values."""
        english, vietnamese = CATALOG[self.kind]
        return (vietnamese if lang == "vi" else english).format(**self._shown(lang))

    def to_dict(self) -> dict[str, str]:
        """``code``, ``message`` and ``message_vi``: the three fields every JSON answer carries."""
        return {"code": self.code, "message": self.text("en"), "message_vi": self.text("vi")}

    def detail(self, lang: str = "en") -> str | None:
        """The finding behind the refusal (a QR's first error), in ``lang``; None when there is none."""
        shown = self._shown(lang)
        return shown.get("detail") if "detail" not in _fields(CATALOG[self.kind][0]) else None

    def line(self, lang: str = "en") -> str:
        """The sentence and its detail, for one line of text (the CLI's error line)."""
        detail = self.detail(lang)
        return f"{self.text(lang)} {detail}" if detail else self.text(lang)

    @property
    def message(self) -> str:
        return self.text("en")

    @property
    def message_vi(self) -> str:
        return self.text("vi")

    def _shown(self, lang: str) -> dict[str, str]:
        return _shown(self.values, lang)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Refusal) and type(other) is type(self) and other.kind == self.kind
                and other.values == self.values)

    def __hash__(self) -> int:
        return hash((type(self), self.kind))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind!r}, **{self.values!r})"


class VerifyRefused(Refusal):
    """A signed request fails verification (``core.signing.verify_request``, ``core.request_schema``) or
    the acquirer's own checks: ``code`` is the stable reason of the ``Verification`` and of the answer.
    ``reason`` gives another entry's text under the verifier's code (a note the request schema refuses
    is ``bad-content`` with the note's own sentence)."""

    def __init__(self, kind: str, reason: str | None = None, **values: Any):
        super().__init__(kind, **values)
        if reason is not None:
            self.code = reason


def say(kind: str, lang: str = "en", **values: Any) -> str:
    """A sentence that is not a refusal (``SAID``: a good verification, an approval), in ``lang``."""
    english, vietnamese = SAID[kind]
    return (vietnamese if lang == "vi" else english).format(**_shown(values, lang))


def _shown(values: dict[str, Any], lang: str) -> dict[str, str]:
    """The values as text: amounts as ``1.000 ₫``; in Vietnamese, ``name_vi`` stands for ``name``."""
    shown = {name: format_vnd(value) if name in AMOUNT_VALUES and isinstance(value, int) else str(value)
             for name, value in values.items() if not name.endswith("_vi")}
    if lang == "vi":
        shown.update({name[:-3]: str(value) for name, value in values.items() if name.endswith("_vi")})
    return shown


class RequestRefused(Refusal, ValueError):
    """The payer's input cannot become a payment request (what ``build_request`` raises)."""


class QrRefused(RequestRefused):
    """The QR cannot be paid: ``not-payment``, ``bad-crc``, ``invalid-qr``, ``not-vnd``."""


class AmountRefused(RequestRefused):
    """The amount cannot be paid: ``amount-required``, ``amount-locked``, ``below-minimum``,
    ``above-maximum``, ``bad-amount``, ``bad-tip`` (a tip the QR does not ask for, or a negative one)."""


class InputRefused(RequestRefused):
    """The note, the validity, an identifier or the audience cannot go into a request."""


def _fields(template: str) -> set[str]:
    from string import Formatter

    return {name for _, name, _, _ in Formatter().parse(template) if name}
