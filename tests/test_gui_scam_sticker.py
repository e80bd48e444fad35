"""The scam sticker in the window (real widgets, offscreen): Payee shows a red warning above the
payee card, before any amount is asked, in kiosk mode too; the Inspector carries the same note; a
real EVN bill shows neither. With PAYER_APP_UPDATE_SCREENSHOTS=1 the Payee picture (1280x720) is
copied to docs/screenshots/payee_scam_sticker.png."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from payer_app.core.builder import evn_bill_payload
from tests.gui_helpers import click, screenshot_at_scale, tr
from tests.spec_vectors import SCAM_STICKER


def settle() -> None:
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()


def shows_scam(window) -> bool:
    return window.payee.scam_warning.isVisibleTo(window)


def test_payee_warns_in_red_above_the_payee_and_the_amount(qtbot, make_window, tmp_path):
    window = make_window(camera="demo", kiosk=False, lang="vi")
    window.resize(1280, 720)
    with qtbot.waitSignal(window.payee.registered.answered, timeout=60_000):  # the picture after the name inquiry
        window.open_payload(SCAM_STICKER)
    assert window.current == "payee" and shows_scam(window)
    box = window.payee.scam_warning
    assert box.title.text() == tr("scam.title")
    assert "ATTACKER-SHOP-1" in box.text.text() and "không phải tài khoản thu tiền của EVN" in box.text.text()
    settle()
    card = window.payee.card
    assert box.mapTo(window, box.rect().bottomLeft()).y() < card.mapTo(window, card.rect().topLeft()).y()
    assert "ATTACKER-SHOP-1" not in window.payee.warning_text.text()  # said once, in red
    assert window.payee.scheme_badge.text() != tr("scheme.evn")
    assert not window.payee.rows["corporation"].isVisibleTo(window)
    screenshot_at_scale(window, tmp_path, "payee_scam_sticker")
    click(qtbot, window.payee.inspector_button)
    assert window.current == "inspector"
    note = window.inspector.scam_note
    assert note.isVisibleTo(window) and "ATTACKER-SHOP-1" in note.text.text()


def test_a_real_evn_bill_shows_no_scam_warning(make_window):
    window = make_window(camera="demo", kiosk=False, lang="en")
    window.open_payload(evn_bill_payload("PD13000123999"))
    assert window.current == "payee" and not shows_scam(window)
    assert window.payee.scheme_badge.text() == tr("scheme.evn", lang="en")
    window.go("inspector")
    assert not window.inspector.scam_note.isVisibleTo(window)


def test_the_kiosk_shows_the_scam_warning_too(kiosk):
    window = kiosk()
    window.open_payload(SCAM_STICKER)
    assert window.current == "payee" and shows_scam(window)
    assert not window.payee.warning_box.isVisibleTo(window)  # the standards warnings stay QA-only
