"""Saved bills in the payer window (pytest-qt, real widgets, real SQLite, the real payment service):
saved bills (save after paying, pay again from Home without scanning, rename, delete, export and
import, a hostile import, a dynamic QR refused), the EVN amount-due chip (embedded biller and a real
HTTP acquirer on 127.0.0.1), and the merchant display link."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel

from payer_app.core.builder import evn_bill_payload, vietqr_payload
from payer_app.gui.settings import Settings, save_settings
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.endpoints import create_app
from payer_app.payments.acquirer.server import AcquirerServer
from payer_app.payments.biller import Biller
from payer_app.payments.saved_bills import SAVED_BILLS_FILE, SavedBills
from tests.acquirer_helpers import http_get
from tests.gui_helpers import PAY_TIMEOUT_MS, click, enter_pin, tr, verified_request

EVN_CODE = "PD01000123456"
EVN = evn_bill_payload(EVN_CODE)
DYNAMIC = vietqr_payload("970436", "0011001234567", amount=250_000, purpose="Hoa don 42",
                         merchant_name="CUA HANG AN KHANG", city="Ha Noi")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def settle() -> None:
    """Pending layout requests and deferred deletes are carried out now, as a real screen would have
    by the time anyone looks at it."""
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()


def screenshot(widget, name: str, folder: Path) -> Path:
    """The widget as a PNG in the test's folder; with PAYER_APP_UPDATE_SCREENSHOTS=1 also in docs/screenshots/."""
    path = folder / name
    settle()
    assert widget.grab().save(str(path), "PNG")
    if os.environ.get("PAYER_APP_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, SCREENSHOTS / name)
    return path


def new_window(make_window, **kwargs):
    """A window on the demo camera in Vietnamese unless ``kwargs`` say otherwise."""
    kwargs.setdefault("camera", "demo")
    kwargs.setdefault("lang", "vi")
    return make_window(**kwargs)


def type_amount_and_pay(qtbot, window, digits: str):
    assert window.current == "amount"
    window.amount.edit.setFocus()
    QTest.keyClicks(window.amount.edit, digits)
    QTest.keyClick(window.amount.edit, Qt.Key.Key_Return)  # Enter: the screen's Continue
    assert window.current == "review"
    click(qtbot, window.review.confirm_button)
    assert window.current == "pin"
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        enter_pin(qtbot, window)
    outcome = done.args[0]
    assert outcome is not None, window.result.rows["message"].value.text()
    return outcome


def scan_and_pay(qtbot, window, payload: str, digits: str = "250000"):
    window.open_payload(payload)  # what a scan hands the window
    click(qtbot, window.payee.continue_button)
    if window.amount.fixed_amount is not None:
        click(qtbot, window.amount.continue_button)
        click(qtbot, window.review.confirm_button)
        with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
            enter_pin(qtbot, window)
        return done.args[0]
    return type_amount_and_pay(qtbot, window, digits)


def type_text(widget, text: str) -> None:
    """Type ``text`` key by key (QTest.keyClicks aborts on characters outside Latin-1, such as "ệ")."""
    for ch in text:
        QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier)


def save_from_receipt(qtbot, window, name: str, shots: Path | None = None):
    controller = window.saved_bills_controller
    box = controller.box
    assert window.current == "result" and box.button.isVisibleTo(window)
    click(qtbot, box.button)
    dialog = controller.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=30_000)
    assert dialog.edit.text() == tr("saved.suggest_evn", code=EVN_CODE)  # a suggested name, all selected
    dialog.edit.selectAll()
    type_text(dialog.edit, name)
    if shots is not None:
        screenshot(dialog, "22-save-bill.png", shots)
    QTest.keyClick(dialog.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)


def saved_in_store(home) -> list[tuple[str, str]]:
    store = SavedBills(home / SAVED_BILLS_FILE)
    try:
        return [(b.name, b.payload) for b in store.list()]
    finally:
        store.close()


def test_save_after_paying_then_pay_it_from_home_without_scanning(qtbot, make_window, payer_home, tmp_path):
    window = new_window(make_window)
    first = scan_and_pay(qtbot, window, EVN, "150000")
    assert first.status == "approved"
    save_from_receipt(qtbot, window, "Điện nhà mẹ", tmp_path)
    box = window.saved_bills_controller.box
    assert not box.button.isVisibleTo(window)
    assert box.line.text() == tr("saved.saved_as", name="Điện nhà mẹ")
    assert saved_in_store(payer_home) == [("Điện nhà mẹ", EVN)]  # the payload exactly, no amount

    click(qtbot, window.result.new_button)
    assert window.current == "home"
    card = window.saved_bills_controller.card
    assert card.isVisibleTo(window) and len(card.row_buttons) == 1
    assert card.row_buttons[0].accessibleName() == "Điện nhà mẹ"
    screenshot(window, "20-home-saved-bills.png", tmp_path)

    # a new window (the bill is on disk), paid from Home: no scan, no payee screen, no camera
    window.close()
    window = new_window(make_window)
    card = window.saved_bills_controller.card
    click(qtbot, card.row_buttons[0])
    assert window.current == "amount" and window.nav.trail == ("home", "amount")
    assert window.amount.edit.text() == ""  # no amount was saved
    paying = window.amount.paying_label
    assert paying.isVisibleTo(window) and "Điện nhà mẹ" in paying.label.text()
    second = type_amount_and_pay(qtbot, window, "98000")
    assert second.status == "approved"
    one, two = verified_request(first.jws, payer_home), verified_request(second.jws, payer_home)
    assert two["qr"] == one["qr"] and two["qr"]["payload"] == EVN  # the original payload and its hash
    assert two["payee"] == one["payee"] and two["bill"]["customer_code"] == EVN_CODE
    assert two["amount"]["value"] == "98000" and two["request_id"] != one["request_id"]
    # already saved: the receipt says so instead of offering to save it again
    assert window.saved_bills_controller.box.line.text() == tr("saved.saved_as", name="Điện nhà mẹ")


def test_back_and_cancel_from_a_saved_bill_return_where_it_was_opened(qtbot, make_window, payer_home):
    store = SavedBills(payer_home / SAVED_BILLS_FILE)
    store.add("Điện", EVN)
    store.close()
    window = new_window(make_window)
    click(qtbot, window.saved_bills_controller.card.manage_button)
    assert window.current == "saved_bills"
    pay_row = next(iter(window.saved_bills.rows.values()))[0]
    click(qtbot, pay_row)
    assert window.current == "amount"
    QTest.keyClick(window, Qt.Key.Key_Escape)
    assert window.current == "saved_bills"
    click(qtbot, pay_row)
    click(qtbot, window.amount.cancel_button)
    assert window.current == "home" and window.ctx.flow.parsed is None


def test_rename_and_delete_from_the_list(qtbot, make_window, payer_home):
    store = SavedBills(payer_home / SAVED_BILLS_FILE)
    store.add("Điện nhà mẹ", EVN)
    store.add("Điện văn phòng", evn_bill_payload("PD13000123457"))
    store.close()
    window = new_window(make_window)
    controller, screen = window.saved_bills_controller, window.saved_bills
    click(qtbot, controller.card.manage_button)
    assert [b.name for b in screen.bills] == ["Điện nhà mẹ", "Điện văn phòng"]

    bill = screen.bills[0]
    click(qtbot, screen.rows[bill.id][1])  # ✎
    dialog = controller.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=30_000)
    assert dialog.edit.text() == "Điện nhà mẹ"
    dialog.edit.selectAll()
    QTest.keyClick(dialog.edit, Qt.Key.Key_Delete)
    QTest.keyClick(dialog.edit, Qt.Key.Key_Return)  # an empty name: said in the dialog, which stays
    assert dialog.isVisible() and dialog.error.text() == "Vui lòng đặt tên cho hóa đơn."
    type_text(dialog.edit, "Điện nhà bà")
    QTest.keyClick(dialog.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
    assert screen.status.text() == tr("saved.renamed", name="Điện nhà bà")
    assert [name for name, _ in saved_in_store(payer_home)] == ["Điện nhà bà", "Điện văn phòng"]

    office = next(b for b in screen.bills if b.name == "Điện văn phòng")
    click(qtbot, screen.rows[office.id][2])  # ✕ asks first; Cancel keeps it
    confirm = controller.dialog
    qtbot.waitUntil(confirm.isVisible, timeout=30_000)
    click(qtbot, confirm.no_button)
    assert len(saved_in_store(payer_home)) == 2
    click(qtbot, screen.rows[office.id][2])
    confirm = controller.dialog
    qtbot.waitUntil(confirm.isVisible, timeout=30_000)
    click(qtbot, confirm.yes_button)
    assert screen.status.text() == tr("saved.deleted", name="Điện văn phòng")
    assert saved_in_store(payer_home) == [("Điện nhà bà", EVN)]
    assert [b.name for b in screen.bills] == ["Điện nhà bà"]
    QTest.keyClick(window, Qt.Key.Key_Escape)
    assert window.current == "home"
    assert [r.accessibleName() for r in controller.card.row_buttons] == ["Điện nhà bà"]


def test_export_and_import_and_a_hostile_import(qtbot, make_window, payer_home, tmp_path, monkeypatch):
    store = SavedBills(payer_home / SAVED_BILLS_FILE)
    store.add("Điện nhà mẹ", EVN)
    store.close()
    window = new_window(make_window)
    controller, screen = window.saved_bills_controller, window.saved_bills
    click(qtbot, controller.card.manage_button)

    exported = tmp_path / "bills.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(exported), "")))
    click(qtbot, screen.export_button)
    assert json.loads(exported.read_text(encoding="utf-8"))["bills"][0]["payload"] == EVN
    assert screen.status.text() == tr("saved.exported", count=1, path=exported)

    # another file with one new bill and one already saved
    other = tmp_path / "other.json"
    document = json.loads(exported.read_text(encoding="utf-8"))
    document["bills"].append({"name": "Chuyển cho An", "payload": vietqr_payload("970436", "0011009999999")})
    other.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    picked = {"path": str(other)}
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (picked["path"], "")))
    click(qtbot, screen.import_button)
    assert screen.status.text() == tr("saved.imported", added=1, skipped=1)
    assert [b.name for b in screen.bills] == ["Chuyển cho An", "Điện nhà mẹ"]
    before = saved_in_store(payer_home)
    screenshot(window, "23-saved-bills-list.png", tmp_path)

    hostile = tmp_path / "hostile.json"
    document["bills"] = [{"name": "ok", "payload": evn_bill_payload("PD13000123458")},
                         {"name": "động", "payload": DYNAMIC}]
    hostile.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    picked["path"] = str(hostile)
    click(qtbot, screen.import_button)
    text = screen.status.text()
    assert text.startswith(tr("saved.import_refused", problem="Hóa đơn thứ 2 trong tệp"))  # payments' words after ours
    assert "mã QR động" in text
    assert saved_in_store(payer_home) == before and len(screen.bills) == 2

    for data in (b"\x00\xff not json", b"[" * 10_000, json.dumps({"format": "x"}).encode(),
                 b'{"format": "payer-app-saved-bills", "version": 1, "bills": [{"name": "\\u202e", "payload": "x"}]}'):
        hostile.write_bytes(data)
        click(qtbot, screen.import_button)
        assert screen.status.text().startswith(tr("saved.import_refused", problem=""))
        assert saved_in_store(payer_home) == before
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (3 * 1024 * 1024))
    picked["path"] = str(big)
    click(qtbot, screen.import_button)
    assert "lớn hơn" in screen.status.text() and saved_in_store(payer_home) == before


def test_a_dynamic_qr_cannot_be_saved_and_says_why(qtbot, make_window, payer_home):
    window = new_window(make_window)
    outcome = scan_and_pay(qtbot, window, DYNAMIC)
    assert outcome.status == "approved"
    box = window.saved_bills_controller.box
    assert box.button.isVisibleTo(window)
    click(qtbot, box.button)
    assert window.saved_bills_controller.dialog is None  # no name is asked for
    assert box.line.text().startswith("Không thể lưu mã QR động: số tiền của mã chỉ dùng cho một lần thanh toán.")
    assert box.line.isVisibleTo(window)
    assert saved_in_store(payer_home) == []
    window.set_language("en")
    assert box.line.text().startswith("A dynamic QR cannot be saved")


def test_kiosk_keeps_no_saved_bills(qtbot, make_window, payer_home):
    window = new_window(make_window, kiosk=True)
    controller = window.saved_bills_controller
    assert controller.store is None and not controller.card.isVisibleTo(window)
    assert not window.merchant_display.button.isVisibleTo(window)
    outcome = scan_and_pay(qtbot, window, EVN)
    assert outcome.status == "approved"
    assert not controller.box.isVisibleTo(window)
    assert not (payer_home / SAVED_BILLS_FILE).exists()


def chip_shown(window) -> bool:
    return window.amount.due_box.isVisibleTo(window) and window.amount.due_box.chip.isVisibleTo(window)


def test_evn_amount_due_chip_from_the_embedded_biller_follows_partial_payments(
    qtbot, make_window, payer_home, tmp_path
):
    total = Biller(tmp_path / "reference-ledger.sqlite3").bill(EVN_CODE).amount_total  # deterministic per code
    window = new_window(make_window)
    window.open_payload(EVN)
    click(qtbot, window.payee.continue_button)
    qtbot.waitUntil(lambda: chip_shown(window), timeout=30_000)
    box = window.amount.due_box
    assert box.caption.text() == tr("due.label")
    assert box.chip.text() == f"{total:,}".replace(",", ".") + " ₫"
    assert window.amount.edit.text() == ""  # a suggestion, never typed for the payer
    screenshot(window, "21-amount-due.png", tmp_path)
    click(qtbot, box.chip)
    assert window.amount.edit.value() == total
    window.amount.edit.clear()
    outcome = type_amount_and_pay(qtbot, window, "100000")  # any amount can still be typed
    assert outcome.status == "approved"
    click(qtbot, window.result.new_button)

    window.open_payload(EVN)  # scanned again: what is left
    click(qtbot, window.payee.continue_button)
    qtbot.waitUntil(lambda: chip_shown(window) and box.chip.text() == f"{total - 100_000:,}".replace(",", ".") + " ₫",
                    timeout=10_000)


def test_amount_due_chip_after_scanning_the_demo_bill_with_the_camera(qtbot, make_window, payer_home, tmp_path):
    window = new_window(make_window)
    click(qtbot, window.home.scan_button)  # the demo camera shows an EVN bill
    qtbot.waitUntil(lambda: window.current == "payee", timeout=15_000)
    code = window.ctx.flow.parsed.bill.evn_customer_code
    assert code
    due = Biller(tmp_path / "reference.sqlite3").bill(code).amount_due_text
    QTest.keyClick(window.payee.continue_button, Qt.Key.Key_Return)
    assert window.current == "amount"
    qtbot.waitUntil(lambda: chip_shown(window), timeout=30_000)
    assert window.amount.due_box.chip.text() == due
    click(qtbot, window.amount.due_box.chip)
    QTest.keyClick(window.amount.edit, Qt.Key.Key_Return)
    assert window.current == "review" and window.review.amount.text() == due


def test_no_chip_for_an_unknown_customer_a_non_evn_qr_or_no_answer(qtbot, make_window, payer_home):
    save_settings(Settings(acquirer_url="http://127.0.0.1:9"))  # nothing listens: no answer
    window = new_window(make_window)
    with qtbot.waitSignal(window.amount_due.answered, timeout=15_000) as answer:
        window.open_payload(EVN)
        click(qtbot, window.payee.continue_button)
    assert answer.args[1] is None  # no answer: no bill
    assert not window.amount.due_box.isVisibleTo(window)
    assert window.amount.message.text() == ""  # no error either
    assert window.amount.edit.isEnabled() and not window.amount.edit.isReadOnly()


@pytest.fixture
def http_acquirer(tmp_path):
    server = AcquirerServer(
        create_app(tmp_path / "acquirer.sqlite3", FailureSettings(), enrol_code="SAVED-BILLS-CODE-1")
    ).start()
    yield server
    server.stop()


def test_evn_amount_due_chip_from_a_real_http_acquirer(qtbot, make_window, payer_home, http_acquirer):
    url = http_acquirer.url
    expected = http_get(f"{url}/v1/bills/{EVN_CODE}", timeout=10).json()["bill"]
    save_settings(Settings(acquirer_url=url))
    window = new_window(make_window)
    window.open_payload(EVN)
    click(qtbot, window.payee.continue_button)
    qtbot.waitUntil(lambda: chip_shown(window), timeout=30_000)
    assert window.amount.due_box.chip.text() == f"{expected['amount_due']:,}".replace(",", ".") + " ₫"
    assert expected["period"] in window.amount.due_box.detail.text()
    click(qtbot, window.amount.cancel_button)

    unknown = evn_bill_payload("PD13000129999")  # the biller has no such customer (404)
    with qtbot.waitSignal(window.amount_due.answered, timeout=15_000) as answer:
        window.open_payload(unknown)
        click(qtbot, window.payee.continue_button)
    assert answer.args[1] is None
    assert not window.amount.due_box.isVisibleTo(window) and window.amount.message.text() == ""


class _UrlCatcher(QObject):
    def __init__(self):
        super().__init__()
        self.urls = []

    @Slot("QUrl")
    def open(self, url) -> None:
        self.urls.append(url.toString())


def test_merchant_display_button_opens_the_acquirer_display(qtbot, make_window, payer_home):
    save_settings(Settings(acquirer_url="http://127.0.0.1:8765/"))
    window = new_window(make_window)
    link = window.merchant_display.button
    assert link.isVisibleTo(window) and link.text().endswith(tr("display.open"))
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("http", catcher, "open")
    try:
        click(qtbot, link)
    finally:
        QDesktopServices.unsetUrlHandler("http")
    assert catcher.urls == ["http://127.0.0.1:8765/display"]


def test_the_embedded_acquirer_display_is_served_on_loopback_and_shows_the_payment(qtbot, make_window, payer_home):
    window = new_window(make_window)  # no acquirer URL: the embedded acquirer
    link = window.merchant_display.button
    assert link.isVisibleTo(window)
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("http", catcher, "open")
    try:
        click(qtbot, link)
        qtbot.waitUntil(lambda: len(catcher.urls) == 1, timeout=15_000)
    finally:
        QDesktopServices.unsetUrlHandler("http")
    url = catcher.urls[0]
    assert url.startswith("http://127.0.0.1:") and url.endswith("/display")
    page = http_get(url, timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    base = url[: -len("/display")]
    outcome = scan_and_pay(qtbot, window, EVN, "64000")  # paid through the same embedded acquirer
    assert outcome.status == "approved"
    bill = http_get(f"{base}/v1/bills/{EVN_CODE}", timeout=10).json()["bill"]
    assert bill["amount_paid"] == 64_000
    window.close()  # the window's server stops with it
    with pytest.raises(httpx.HTTPError):
        http_get(url, timeout=2)


def test_a_saved_name_with_markup_is_shown_as_typed(qtbot, make_window, payer_home):
    name = "<b>Điện</b> <img src=x onerror=alert(1)>"
    store = SavedBills(payer_home / SAVED_BILLS_FILE)
    store.add(name, EVN)
    store.close()
    window = new_window(make_window)
    for where in (window.saved_bills_controller.card, window.saved_bills):
        if where is window.saved_bills:
            click(qtbot, window.saved_bills_controller.card.manage_button)
        labels = [w for w in where.findChildren(QLabel) if w.text() == "★ " + name]
        assert labels and all(w.textFormat() == Qt.TextFormat.PlainText for w in labels)
    click(qtbot, next(iter(window.saved_bills.rows.values()))[0])
    assert window.amount.paying_label.label.text().startswith("★ " + name)


def test_a_damaged_saved_bills_file_is_said_and_kept(qtbot, make_window, payer_home):
    payer_home.mkdir(parents=True, exist_ok=True)
    damaged = payer_home / SAVED_BILLS_FILE
    damaged.write_bytes(b"not a database " * 200)
    window = new_window(make_window)
    card = window.saved_bills_controller.card
    assert tr("saved.damaged", file=SAVED_BILLS_FILE) in [label.text() for label in card.findChildren(QLabel)]
    outcome = scan_and_pay(qtbot, window, EVN)  # the window still pays
    assert outcome.status == "approved"
    assert not window.saved_bills_controller.box.isVisibleTo(window)
    assert damaged.read_bytes() == b"not a database " * 200


def test_a_look_alike_name_is_refused_in_the_window_naming_the_bill_it_imitates(qtbot, make_window, payer_home,
                                                                                 tmp_path, monkeypatch):
    """Rename and import in the window: a name with a Cyrillic "е" for the "e" of a saved bill is
    refused, the message names that bill, nothing changes."""
    look_alike = "Điện nhà m\u0435\u0323"  # Cyrillic е with the dot below: looks like "mẹ"
    store = SavedBills(payer_home / SAVED_BILLS_FILE)
    store.add("Điện nhà mẹ", EVN)
    store.add("Nước", evn_bill_payload("PD13000123457"))
    store.close()
    window = new_window(make_window)
    controller, screen = window.saved_bills_controller, window.saved_bills
    click(qtbot, controller.card.manage_button)
    water = next(b for b in screen.bills if b.name == "Nước")
    click(qtbot, screen.rows[water.id][1])  # ✎
    dialog = controller.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=30_000)
    dialog.edit.selectAll()
    QTest.keyClick(dialog.edit, Qt.Key.Key_Delete)
    type_text(dialog.edit, look_alike)
    QTest.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert dialog.isVisible() and "“Điện nhà mẹ”" in dialog.error.text() and "U+0435" in dialog.error.text()
    dialog.close()
    before = saved_in_store(payer_home)
    assert sorted(name for name, _ in before) == ["Nước", "Điện nhà mẹ"]

    hostile = tmp_path / "look-alike.json"
    hostile.write_text(json.dumps({"format": "payer-app-saved-bills", "version": 1, "bills": [
        {"name": look_alike, "payload": vietqr_payload("970436", "0011009999999", merchant_name="NGUOI KHAC")}]},
        ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(hostile), "")))
    click(qtbot, screen.import_button)
    text = screen.status.text()
    assert text.startswith(tr("saved.import_refused", problem="Hóa đơn thứ 1 trong tệp"))
    assert "“Điện nhà mẹ”" in text
    assert saved_in_store(payer_home) == before
