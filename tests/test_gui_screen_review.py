"""What a review of the screenshots found, each held by a test on the real window (offscreen):

- Result on a 1280x720 screen (100 % and 150 %): the outcome (icon, title, amount) and the primary
  action are in view without scrolling; the technical actions wait behind "Thêm" (more).
- The kiosk's Result offers a visitor only the receipt and "Xong": no signed request, JSON or clipboard.
- Every glyph on a button or a label of the screens is one a font here can draw (no empty boxes).
- Settings' enrolment block is not squashed and no line runs off the right edge; the key id is not
  shown as a sentence.
- The kiosk's Home on a 1920x1080 screen fills its column (the three steps of paying), and still
  fits 1280x720 at 150 %.
- The toast on Home leaves the recent payments readable; the fee line on Amount has no empty gap above it.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QWidget

from payer_app.core.builder import evn_bill_payload
from tests.gui_helpers import pay, tr

TITLE_BAR = 32  # as in tests/test_gui_fits.py
DIRECT = Qt.FindChildOption.FindDirectChildrenOnly
BILL = "PD01000123456"
TECHNICAL = ("SaveButton", "CopyButton", "ShowQrButton", "JsonButton", "SaveImageButton", "ShareImageButton")


def settle() -> None:
    for _ in range(3):
        QApplication.processEvents()


def in_view(window: QWidget, widget: QWidget) -> str:
    """'' when ``widget`` is shown whole inside the window, else why not."""
    settle()
    name = widget.objectName() or type(widget).__name__
    if not widget.isVisible():
        return f"{name} is hidden"
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    if rect.bottom() >= window.height() or rect.top() < 0 or rect.right() >= window.width():
        return f"{name} at {rect.getRect()} is outside {window.width()}x{window.height()}"
    if widget.visibleRegion().boundingRect().size() != widget.size():
        return f"{name} is cut: {widget.visibleRegion().boundingRect().getRect()} of {widget.size().toTuple()}"
    return ""


def sized(window, kiosk: bool, scale: float) -> None:
    """The window as a 1280x720 screen at ``scale`` would hold it (logical pixels)."""
    if kiosk:
        window.showNormal()
        window.setFixedSize(int(1280 / scale), int(720 / scale))
    else:
        window.resize(400, int(720 / scale) - TITLE_BAR)
    settle()


@pytest.mark.parametrize("kiosk", [False, True], ids=["window", "kiosk"])
@pytest.mark.parametrize("scale", [1.0, 1.5], ids=["100", "150"])
def test_result_shows_the_outcome_and_the_primary_action_without_scrolling(qtbot, make_window, kiosk, scale):
    window = make_window(camera="demo", kiosk=kiosk, lang="vi")
    sized(window, kiosk, scale)
    outcome = pay(qtbot, window, evn_bill_payload(BILL), amount=120_000)
    assert outcome is not None and window.current == "result"
    result = window.result
    assert result.title.text() == tr("result.approved")
    problems = [in_view(window, w) for w in (result.icon, result.title, result.amount, result.new_button)]
    assert [p for p in problems if p] == []


def visible_buttons(screen: QWidget) -> set[str]:
    settle()
    return {b.objectName() for b in screen.findChildren(QAbstractButton) if b.isVisible() and b.objectName()}


def test_the_kiosk_result_offers_a_visitor_the_receipt_and_done_only(qtbot, kiosk):
    window = kiosk(kiosk_result_seconds=60)
    pay(qtbot, window, evn_bill_payload(BILL), amount=120_000)
    shown = visible_buttons(window.result)
    assert shown == {"ReceiptPdfButton", "NewPaymentButton"}, shown
    assert window.result.new_button.text() == tr("result.done")


def test_the_window_keeps_the_technical_actions_behind_more(qtbot, window):
    pay(qtbot, window, evn_bill_payload(BILL), amount=120_000)
    result = window.result
    shown = visible_buttons(result)
    assert not shown & set(TECHNICAL), shown
    assert {"ReceiptPdfButton", "MoreActionsButton", "NewPaymentButton"} <= shown
    row = (result.pdf_button.geometry(), result.more_button.geometry())
    assert row[0].top() == row[1].top() and row[0].height() == row[1].height(), row  # one line, same height
    result.more_button.click()
    settle()
    assert result.more_panel.isVisible()
    small = [(b.objectName(), b.size().toTuple()) for b in result.findChildren(QAbstractButton)
             if b.isVisible() and (b.height() < 44 or b.width() < 44)]
    assert small == [], f"touch targets under 44 px: {small}"
    assert set(TECHNICAL) <= visible_buttons(result.more_panel)
    result.json_button.click()  # a click in the panel does it and closes the panel
    settle()
    assert not result.more_panel.isVisible() and result.dialog is not None and result.dialog.isVisible()
    result.dialog.close()


def tofu(widget: QWidget) -> list[str]:
    """The characters of the widget's text that no font here can draw."""
    text = widget.text() if isinstance(widget, (QLabel, QAbstractButton, QLineEdit)) else ""
    metrics = QFontMetrics(widget.font())
    return [f"{widget.objectName() or type(widget).__name__}: {ch!r} (U+{ord(ch):04X})"
            for ch in text if not ch.isspace() and not metrics.inFontUcs4(ord(ch))]


def glyph_problems(window) -> list[str]:
    settle()
    screen = window.screens[window.current]
    found = []
    for widget in screen.findChildren(QWidget):
        if widget.isVisible():
            found += tofu(widget)
    return found


@pytest.mark.parametrize("kiosk", [False, True], ids=["window", "kiosk"])
def test_every_glyph_on_the_screens_can_be_drawn(qtbot, make_window, kiosk):
    window = make_window(camera="demo", kiosk=kiosk, lang="vi")
    problems = glyph_problems(window)
    window.open_payload(evn_bill_payload(BILL))
    problems += glyph_problems(window)  # payee
    window.payee.continue_button.click()
    problems += glyph_problems(window)  # amount
    window.go("home")
    pay(qtbot, window, evn_bill_payload(BILL), amount=120_000)
    problems += glyph_problems(window)
    for action in ("save_button", "copy_button", "qr_button", "json_button", "image_button", "share_button"):
        problems += tofu(getattr(window.result, action))  # behind "Thêm" in a window
    for name in ("home", "history", "settings") if not kiosk else ("home",):
        window.go(name)
        problems += glyph_problems(window)
    assert problems == []


def test_the_enrolment_block_is_whole_and_shows_no_key_id_as_a_sentence(qtbot, window):
    window.resize(400, 688)
    window.go("settings")
    screen = window.settings_screen
    screen._enrolled(enrolment_result())
    settle()
    for widget in (screen.enrol_code, screen.enrol_button):
        assert widget.height() >= widget.sizeHint().height(), (widget.objectName(), widget.size())
        assert widget.height() >= 44, (widget.objectName(), widget.height())
    status = screen.enrol_status
    assert status.isVisible() and KID not in status.text(), status.text()
    assert status.sizeHint().width() <= status.width() or status.wordWrap()
    key = screen.enrol_key
    assert key.isVisible() and key.text() == KID and key.isReadOnly()  # selectable, clipped to its field
    for widget in (status, key):
        right = widget.mapTo(window, QPoint(widget.width(), 0)).x()
        assert right <= window.width(), (widget.objectName(), right)


KID = "e8lYftxc3OWUDFACzTpbRRROB1mniX1W3QujOUV9kq8"


def enrolment_result():
    from payer_app.payments.service import EnrolmentResult

    return EnrolmentResult("http://127.0.0.1:1", KID, True, "active", None,
                           f"Key {KID} is now enrolled", f"Khóa {KID} đã được đăng ký")


def test_the_kiosk_home_fills_a_1920x1080_screen_and_fits_1280x720_at_150(qtbot, kiosk):
    window = kiosk()
    window.showNormal()
    window.setFixedSize(1920, 1080)
    settle()
    home = window.home
    assert home.steps.isVisible(), "the three steps of paying are not shown"
    bottom = home.steps.mapTo(home, QPoint(0, home.steps.height())).y()
    assert bottom >= home.height() * 0.6, f"the content ends at {bottom} of {home.height()}"
    window.setFixedSize(int(1280 / 1.5), int(720 / 1.5))
    settle()
    assert in_view(window, home.scan_button) == ""


def covered(window, toast, widgets) -> list[str]:
    area = QRect(toast.mapTo(window, QPoint(0, 0)), toast.size())
    return [w.text() for w in widgets
            if w.isVisible() and area.intersects(QRect(w.mapTo(window, QPoint(0, 0)), w.size()))]


def test_a_toast_leaves_home_s_recent_payments_and_a_screen_s_buttons_readable(qtbot, window):
    window.resize(400, 760)  # as docs/screenshots/20-home-saved-bills.png: a saved bill, one payment
    pay(qtbot, window, evn_bill_payload(BILL), amount=150_000)
    window.saved_bills_controller.store.add("Điện nhà mẹ", evn_bill_payload(BILL))
    window.toast.show_message(tr("saved.saved_toast", name="Điện nhà mẹ"))  # said on Result...
    settle()
    assert covered(window, window.toast, [window.result.new_button]) == []
    window.result.new_button.click()  # ...and still there on Home
    assert window.current == "home"
    settle()
    assert covered(window, window.toast, window.home.recent_card.findChildren(QLabel)) == []
    window.open_payload(evn_bill_payload(BILL))
    window.toast.show_message(tr("saved.saved_toast", name="Điện nhà mẹ"))
    settle()
    assert covered(window, window.toast, [window.payee.continue_button]) == []


def test_no_empty_line_above_the_fee_or_the_tip_on_amount(qtbot, window):
    from payer_app.core.builder import vietqr_payload
    from payer_app.core.fees import FIXED_FEE, TIP_PROMPT, FeeRule
    from payer_app.studio.fee_qr import with_fee

    for rule in (FeeRule(FIXED_FEE, fixed=50_000), FeeRule(TIP_PROMPT)):
        window.go("home")
        window.open_payload(with_fee(vietqr_payload("970416", "257678859", amount=100_000), rule))
        window.payee.continue_button.click()
        assert window.current == "amount"
        settle()
        card = window.amount.fee_line.parentWidget()
        empty = [w.objectName() or w.property("role") for w in card.findChildren(QLabel, options=DIRECT)
                 if w.isVisible() and not w.text() and w.height() > 0]
        assert empty == [], f"{rule.kind}: empty lines {empty}"


def test_qt_s_file_dialog_side_panel_is_wide_enough_to_read(qtbot, window):
    from PySide6.QtWidgets import QFileDialog, QListView

    dialog = QFileDialog(window, tr("scan.pick_title"))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # Qt's own, as under Xvfb and openbox
    dialog.resize(630, 464)  # as docs/screenshots/14-file-dialog-vi.png
    dialog.show()
    qtbot.waitExposed(dialog)
    settle()
    sidebar = dialog.findChild(QListView, "sidebar")
    assert sidebar is not None and sidebar.isVisible()
    assert sidebar.width() >= 120, sidebar.width()
    dialog.close()
