"""What the payer reads: no QA findings or technical words on the payer's screens (they belong in
the Inspector and the exports), and Qt's own texts in the UI language."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QFileSystemModel, QLabel, QPushButton, QTreeView

from payer_app.core.builder import vietqr_payload
from payer_app.scan.demo_camera import demo_bill_payload
from tests.gui_helpers import click, pay, pay_typing_the_pin


def test_demo_bill_payee_card_shows_no_qa_warning(window):
    window.open_payload(demo_bill_payload())
    assert window.current == "payee"
    payee = window.payee
    assert payee.continue_button.isVisibleTo(window)
    # the 30-character name is a standards finding for QA: the Inspector lists it, the payer does not see it
    assert not payee.warning_box.isVisibleTo(window)
    assert "Trường 59" not in payee.warning_text.text()
    codes = [f.code for f in window.ctx.flow.parsed.findings]
    assert "too-long" in codes


def test_payee_card_keeps_a_warning_that_changes_what_is_paid(window):
    window.open_payload(vietqr_payload("970999", "0011001234567"))  # a bank NAPAS does not list
    assert window.current == "payee"
    assert window.payee.warning_box.isVisibleTo(window)
    assert window.payee.warning_text.text().strip()


def visible_texts(window, screen) -> list[str]:
    return [w.text() for w in screen.findChildren(QLabel) + screen.findChildren(QAbstractButton)
            if w.isVisibleTo(window) and w.text()]


def test_result_and_entry_show_a_short_reference_not_technical_words(qtbot, window):
    outcome = pay(qtbot, window, vietqr_payload("970436", "0011001234567"), 75_000)
    assert window.current == "result"
    short = outcome.request_id[:8].upper()
    assert window.result.rows["request_id"].value.text() == short
    texts = " ".join(visible_texts(window, window.result))
    assert outcome.request_id not in texts
    assert "HTTP" not in texts and "JWS" not in texts
    click(qtbot, window.result.new_button)
    rows = [r for r in window.home.recent_card.findChildren(QPushButton, "HistoryRow") if r.isVisibleTo(window)]
    qtbot.waitUntil(lambda: bool(rows) or bool(
        [r for r in window.home.recent_card.findChildren(QPushButton, "HistoryRow") if r.isVisibleTo(window)]))
    row = next(r for r in window.home.recent_card.findChildren(QPushButton, "HistoryRow") if r.isVisibleTo(window))
    click(qtbot, row)
    assert window.current == "entry"
    assert window.entry.rows["request_id"].value.text() == short
    texts = " ".join(visible_texts(window, window.entry))
    assert outcome.request_id not in texts
    assert "HTTP" not in texts and "JWS" not in texts


def test_qt_file_dialog_speaks_the_ui_language_and_wears_the_theme(qtbot, make_window, tmp_path):
    window = make_window(lang="vi")
    window.ctx.settings.theme = "dark"
    window.apply_theme()
    (tmp_path / "bill.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(3000))
    dialog = QFileDialog(window, "", str(tmp_path))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    qtbot.addWidget(dialog)
    dialog.show()
    model = dialog.findChild(QFileSystemModel)
    qtbot.waitUntil(lambda: model.index(str(tmp_path / "bill.png")).isValid()
                    and bool(model.index(str(tmp_path / "bill.png")).siblingAtColumn(2).data()), timeout=10_000)
    index = model.index(str(tmp_path / "bill.png"))
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Kích thước"
    kind = index.siblingAtColumn(2).data()
    assert "image" not in kind.lower() and "PNG" in kind, kind  # the type in Vietnamese ("Ảnh PNG")
    view = dialog.findChild(QTreeView)
    background = view.palette().color(view.backgroundRole()) if not view.styleSheet() else None
    grab = view.viewport().grab().toImage()
    corner = grab.pixelColor(grab.width() - 2, grab.height() - 2)
    assert corner.lightness() < 100, (corner.name(), background)  # dark like the window, not white
    dialog.close()


@pytest.mark.parametrize("screen", [(400, 820), (1600, 900), (1920, 1080), (2560, 1440)])
def test_kiosk_success_icon_is_round_like_the_window(qtbot, kiosk, screen, tmp_path):
    window = kiosk(kiosk_result_seconds=30)
    window.showNormal()
    window.resize(*screen)
    qtbot.waitUntil(lambda: window.booth.height() == screen[1], timeout=3_000)
    pay_typing_the_pin(qtbot, window, vietqr_payload("970436", "0011001234567"), 60_000)
    assert window.current == "result"
    icon = window.result.icon
    top = icon.mapTo(window, QPoint(0, 0))  # the window's pixels: a widget's own grab has no rounded corners
    picture = window.grab().toImage().copy(top.x(), top.y(), icon.width(), icon.height())
    picture.save(str(tmp_path / "kiosk_icon.png"))
    middle = picture.pixelColor(picture.width() // 2, picture.height() // 4)
    corner = picture.pixelColor(1, 1)
    assert abs(icon.width() - icon.height()) <= 1
    assert middle.name() != corner.name(), (middle.name(), corner.name())  # a disc: its corners are background
