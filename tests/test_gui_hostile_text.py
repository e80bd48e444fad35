"""Hostile QR text in the real window: shown literally everywhere, never as markup, controls escaped.

Payloads are loaded the way a user loads them (clipboard + the Paste button, or the camera seeing a
QR image), then the test walks through every screen the flow reaches (payee, Inspector, amount,
review, PIN, receipt and its dialogs, home, history) and checks EVERY widget of the window and of
any dialog it opened:

- every QLabel with text is ``Qt.PlainText`` (a label left on AutoText would render ``<h1>``);
- every tooltip (widgets, tree items, combo items, tabs) is empty, plain, or exactly the one
  escaped-paragraph form ``plain_text.tooltip`` makes (Qt guesses the format of a bare tooltip);
- no text anywhere (labels, buttons, items, line edits, text views, window titles) holds a control,
  bidi or zero-width character (only the line breaks of our own multi-line texts);
- no rich-text editor exists.

Widgets are found by objectName and clicked, as a user would; helper "gui-flow" owns navigation.
"""

from __future__ import annotations

import html
import shutil
import string
import tempfile
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtGui import Qt as QtGuiNamespace  # Qt.mightBeRichText lives in QtGui's Qt namespace
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QTreeWidget,
    QWidget,
)

from payer_app.core.builder import build_payload, vietqr_payload, vnpay_payload
from payer_app.core.display_text import is_unsafe_char, visible
from payer_app.core.payload import MAX_INPUT_CHARS
from payer_app.gui.plain_text import TOOLTIP_CLOSE, TOOLTIP_OPEN, TOOLTIP_PATTERN, shown, tooltip
from tests.gui_helpers import tr
from tests.media import write_qr_png

PAY_TIMEOUT_MS = 30_000
RICH_NAME = "<h1><font color=red>PAID OK</font></h1>"
ESC_NAME = "\x1b[32mVALID\x1b[0m SHOP"
BIDI_NAME = "\u202eKO DIAP\u202c SHOP\u200b"


def img_purpose(path) -> str:
    return f'<img src="{path}">'


def hostile_payloads(picture) -> dict[str, str]:
    """name -> payload text (each a valid EMVCo payload carrying the attack in its fields)."""
    return {
        "rich-name-img-purpose": vietqr_payload(
            "970422", "0987654321", amount=15_000, merchant_name=RICH_NAME, city="<b>Ha Noi</b>",
            purpose=img_purpose(picture)),
        "escape-sequences": vnpay_payload(
            "0100109106", ESC_NAME, "Ha Noi\x1b[2K\r", amount=20_000, purpose="\x1b]0;owned\x07",
            store_label="\x9b31m"),
        "bidi-and-zero-width": vnpay_payload(
            "0100109106", BIDI_NAME, "\u2066Ha Noi\u2069", amount=30_000, purpose="\ufeffTT\u200d"),
        "long-markup-templates": build_payload(
            [("00", "01"), ("01", "12"),
             ("38", [("00", "A000000727"), ("01", [("00", "970422"), ("01", "0987654321")]), ("02", "QRIBFTTA")]),
             ("53", "704"), ("54", "40000"), ("58", "VN"), ("59", RICH_NAME[:25]), ("60", "<i>HN</i>")]
            + [(str(fid), [("00", "<a href=x>" + "\x1b" * 20 + "</a>"), ("01", "<u>" * 15)]) for fid in range(80, 100)]
            + [("62", [("08", img_purpose(picture))])]),
    }


@pytest.fixture
def picture():
    """A real local picture: what ``<img src=...>`` would load if a widget interpreted markup. Its path
    is short and of one length (a folder of its own under the system's temporary folder): the tag must
    fit a 99-character field whatever pytest's tmp_path is called on this run and worker."""
    folder = Path(tempfile.mkdtemp(prefix="img"))
    path = folder / "secret.png"
    cv2.imwrite(str(path), np.full((40, 40, 3), (0, 0, 255), np.uint8))
    yield path
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def blank_camera(tmp_path):
    """A camera that sees nothing (a blank picture), so only the pasted text gets scanned."""
    path = tmp_path / "blank.png"
    cv2.imwrite(str(path), np.full((240, 320, 3), 255, np.uint8))
    return str(path)


@pytest.fixture
def window(make_window, blank_camera):
    """The English window whose camera sees nothing: only what the test pastes gets scanned."""
    w = make_window(camera=blank_camera, kiosk=False, lang="en")
    yield w
    close_dialogs(w)


# --- finding and clicking, as a user would ------------------------------------------------------

def all_windows(window) -> list[QWidget]:
    return [window] + [w for w in QApplication.topLevelWidgets() if w is not window and w.isVisible()]


def visible_named(window, name: str, kind=QWidget) -> QWidget:
    found = [w for top in all_windows(window) for w in [top, *top.findChildren(kind)]
             if isinstance(w, kind) and w.objectName() == name and w.isVisible()]
    assert found, f"no visible {kind.__name__} named {name!r}"
    return found[-1]


def click(qtbot, window, name: str) -> None:
    button = visible_named(window, name, QAbstractButton)
    assert button.isEnabled(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def click_back(qtbot, window) -> None:
    backs = [b for b in window.findChildren(QAbstractButton, "TopBarButton") if b.isVisible() and b.text() == "‹"]
    assert backs, "no visible back button"
    qtbot.mouseClick(backs[0], Qt.MouseButton.LeftButton)


def close_dialogs(window) -> None:
    for w in QApplication.topLevelWidgets():
        if w is not window and w.isVisible() and w.isWindow():
            w.close()


def paste(qtbot, window, text: str) -> None:
    QGuiApplication.clipboard().setText(text)
    click(qtbot, window, "PasteButton")


def paste_to_payee(qtbot, window, text: str) -> None:
    if not window.findChild(QAbstractButton, "PasteButton").isVisible():
        click(qtbot, window, "ScanButton")
    paste(qtbot, window, text)
    qtbot.waitUntil(lambda: window.payee.isVisible(), timeout=30_000)


# --- the walk ----------------------------------------------------------------------------------

def tooltip_text(tip: str) -> str | None:
    """The literal text of a tooltip made by ``plain_text.tooltip``; None for any other string."""
    if not TOOLTIP_PATTERN.fullmatch(tip):
        return None
    return html.unescape(tip[len(TOOLTIP_OPEN):-len(TOOLTIP_CLOSE)])


def unsafe(text: str) -> list[str]:
    lines = text.replace("\n", "")
    if visible(lines) == lines:  # one regex pass: ``visible`` escapes exactly what ``is_unsafe_char`` names
        return []
    return sorted({f"U+{ord(c):04X}" for c in lines if is_unsafe_char(c)})


def tooltip_problem(tip: str) -> str | None:
    if not tip:
        return None
    if QtGuiNamespace.mightBeRichText(tip):  # how Qt decides to render a tooltip as rich text
        if not TOOLTIP_PATTERN.fullmatch(tip):
            return f"tooltip would render as rich text: {tip[:80]!r}"
        tip = tooltip_text(tip)
    bad = unsafe(tip)
    return f"tooltip holds controls {bad}" if bad else None


CHECKED_KINDS = (QLabel, QAbstractButton, QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QTabBar, QTreeWidget,
                 QMessageBox)
_KINDS_OF_CLASS: dict[type, frozenset] = {}


def kinds_of(w: QWidget) -> frozenset:
    """Which of CHECKED_KINDS ``w`` is, found once per class (the walk meets about a thousand widgets
    of a few dozen classes, and each isinstance on a Qt class costs a call into shiboken)."""
    kinds = _KINDS_OF_CLASS.get(type(w))
    if kinds is None:
        kinds = _KINDS_OF_CLASS[type(w)] = frozenset(k for k in CHECKED_KINDS if isinstance(w, k))
    return kinds


def widget_problems(w: QWidget) -> list[str]:
    out = []
    kinds = kinds_of(w)

    def where() -> str:  # named only in a problem: most widgets have none
        return f"{type(w).__name__}({w.objectName() or '-'})"

    def text_check(what: str, text: str) -> None:
        bad = unsafe(text)
        if bad:
            out.append(f"{where()} {what} holds controls {bad}: {text[:60]!r}")

    problem = tooltip_problem(w.toolTip())
    if problem:
        out.append(f"{where()} {problem}")
    if w.isWindow():
        text_check("window title", w.windowTitle())
    if QLabel in kinds and w.text():
        if w.textFormat() != Qt.TextFormat.PlainText:
            out.append(f"{where()} label is {w.textFormat().name}, not PlainText: {w.text()[:60]!r}")
        text_check("label", w.text())
    if QAbstractButton in kinds:
        text_check("button", w.text())
    if QLineEdit in kinds:
        text_check("line edit", w.text())
        text_check("placeholder", w.placeholderText())
    if QPlainTextEdit in kinds:
        text_check("text view", w.toPlainText())
    elif QTextEdit in kinds:
        out.append(f"{where()}: a rich-text editor (QTextEdit) exists")
    def entry_check(what: str, text: str, tip: str) -> None:
        text_check(what, text)
        problem = tooltip_problem(tip or "")
        if problem:
            out.append(f"{where()} {what} {problem}")

    if QComboBox in kinds:
        for i in range(w.count()):
            entry_check(f"combo item {i}", w.itemText(i), w.itemData(i, Qt.ItemDataRole.ToolTipRole))
    if QTabBar in kinds:
        for i in range(w.count()):
            entry_check(f"tab {i}", w.tabText(i), w.tabToolTip(i))
    if QTreeWidget in kinds:
        for item, path in tree_items(w):
            for c in range(w.columnCount()):
                entry_check(f"item {path} column {c}", item.text(c), item.toolTip(c))
    if QMessageBox in kinds:
        if w.textFormat() != Qt.TextFormat.PlainText:
            out.append(f"{where()} message box text is {w.textFormat().name}")
    return out


def tree_items(tree: QTreeWidget):
    stack = [(tree.topLevelItem(i), str(i)) for i in range(tree.topLevelItemCount())]
    while stack:
        item, path = stack.pop()
        yield item, path
        stack.extend((item.child(i), f"{path}.{i}") for i in range(item.childCount()))


def assert_all_plain(window) -> None:
    problems = []
    for top in all_windows(window):
        for w in [top, *top.findChildren(QWidget)]:
            problems += widget_problems(w)
    assert not problems, "\n".join(problems[:40])


def label_texts(window) -> list[str]:
    return [w.text() for top in all_windows(window) for w in top.findChildren(QLabel) if w.isVisible()]


def tree_tooltips(tree: QTreeWidget) -> list[str]:
    return [tooltip_text(item.toolTip(c)) for item, _ in tree_items(tree) for c in range(tree.columnCount())
            if item.toolTip(c)]


# --- the flows ---------------------------------------------------------------------------------

def pay_through(qtbot, window, note: str) -> None:
    """Payee -> amount -> review -> PIN -> receipt (+ its dialogs) -> home -> history, walking each."""
    click(qtbot, window, "ContinueButton")
    qtbot.waitUntil(lambda: window.amount.isVisible())
    amount = visible_named(window, "AmountEdit", QLineEdit)
    if not amount.isReadOnly():
        QTest.keyClicks(amount, "50000")
    note_edit = visible_named(window, "NoteEdit", QLineEdit)
    QGuiApplication.clipboard().setText(note)  # pasted into the note (Ctrl+V)
    QTest.keyClick(note_edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert_all_plain(window)
    click(qtbot, window, "ContinueButton")
    qtbot.waitUntil(lambda: window.review.isVisible())
    assert_all_plain(window)
    click(qtbot, window, "ConfirmButton")
    qtbot.waitUntil(lambda: window.pin.isVisible())
    assert_all_plain(window)
    with qtbot.waitSignal(window.payment_finished, timeout=PAY_TIMEOUT_MS) as done:
        QTest.keyClicks(window.pin, window.ctx.settings.pin)
    assert done.args[0] is not None and done.args[0].status == "approved"
    qtbot.waitUntil(lambda: window.result.isVisible())
    assert_all_plain(window)
    for dialog_button in ("ShowQrButton", "JsonButton"):
        click(qtbot, window, "MoreActionsButton")  # the signed request's actions are behind "Thêm"
        click(qtbot, window, dialog_button)
        assert_all_plain(window)
        close_dialogs(window)
    click(qtbot, window, "MoreActionsButton")
    click(qtbot, window, "CopyButton")
    assert_all_plain(window)
    click(qtbot, window, "NewPaymentButton")
    qtbot.waitUntil(lambda: window.home.isVisible())
    assert_all_plain(window)
    click(qtbot, window, "HistoryButton")  # the payee's name is in the history now
    qtbot.waitUntil(lambda: window.history.isVisible())
    assert_all_plain(window)
    click_back(qtbot, window)
    qtbot.waitUntil(lambda: window.home.isVisible())
    click(qtbot, window, "SettingsButton")  # saving the settings shows a toast
    click(qtbot, window, "SaveSettingsButton")
    qtbot.waitUntil(lambda: visible_named(window, "Toast", QLabel) is not None)
    assert_all_plain(window)


@pytest.mark.parametrize("name", ["rich-name-img-purpose", "escape-sequences", "bidi-and-zero-width",
                                  "long-markup-templates"])
def test_hostile_payload_is_plain_on_every_screen(qtbot, window, picture, name):
    payload = hostile_payloads(picture)[name]
    paste_to_payee(qtbot, window, payload)
    assert_all_plain(window)
    labels = label_texts(window)
    if name == "rich-name-img-purpose":
        assert RICH_NAME in labels  # shown literally, tags and all
        assert "<b>Ha Noi</b>" in labels
    if name == "escape-sequences":
        assert shown(ESC_NAME) in labels and "\\x1b[32mVALID\\x1b[0m SHOP" in labels
    if name == "bidi-and-zero-width":
        assert "\\u202eKO DIAP\\u202c SHOP\\u200b" in labels

    click(qtbot, window, "InspectorButton")
    qtbot.waitUntil(lambda: window.inspector.isVisible())
    tabs = visible_named(window, "InspectorTabs")
    for i in range(tabs.count()):  # show every tab, so every page is laid out and walked
        tabs.setCurrentIndex(i)
        assert_all_plain(window)
    tips = tree_tooltips(window.findChild(QTreeWidget, "FieldTree"))
    if name in ("rich-name-img-purpose", "long-markup-templates"):
        assert img_purpose(picture) in tips  # the tooltip shows the tag as text, it does not load the file
    if name == "rich-name-img-purpose":
        assert RICH_NAME in tips
    raw = window.findChild(QPlainTextEdit, "RawPayload").toPlainText()
    assert raw == shown(payload)

    click_back(qtbot, window)
    qtbot.waitUntil(lambda: window.payee.isVisible())
    if name in ("escape-sequences", "long-markup-templates"):
        # control characters inside fields make the QR invalid (core rule): stopped, said plainly
        assert visible_named(window, "ErrorBox").isVisible()
        assert not window.findChild(QAbstractButton, "ContinueButton").isVisibleTo(window)
        assert_all_plain(window)
    else:
        pay_through(qtbot, window, note="<b>note</b> <img src=x>")


def test_hostile_payload_seen_by_the_camera(qtbot, make_window, tmp_path, picture):
    """The camera path: a QR image of the rich-text payload as the scan source."""
    payload = hostile_payloads(picture)["rich-name-img-purpose"]
    path = write_qr_png(tmp_path / "hostile_qr.png", payload)
    window = make_window(camera=str(path), kiosk=False, lang="en")
    click(qtbot, window, "ScanButton")
    qtbot.waitUntil(lambda: window.payee.isVisible(), timeout=20_000)
    assert window.ctx.flow.parsed.raw == payload
    assert RICH_NAME in label_texts(window)
    assert_all_plain(window)
    click(qtbot, window, "InspectorButton")
    qtbot.waitUntil(lambda: window.inspector.isVisible())
    assert_all_plain(window)


def test_text_longer_than_a_qr_is_refused_before_parsing(qtbot, window):
    click(qtbot, window, "ScanButton")
    text = "<h1>PAID</h1>\x1b[2J" * 12_000  # 204,000 characters
    with qtbot.assertNotEmitted(window.scan.paste_parser.parsed):
        paste(qtbot, window, text)
    hint = window.scan.hint.text()  # refused at once, on screen, nothing parsed
    assert hint == tr("scan.paste_too_long", "en", count=len(text), limit=MAX_INPUT_CHARS)
    assert window.ctx.flow.parsed is None
    assert window.scan.isVisible() and not window.payee.isVisible()
    # and nothing arrives later either: no parse was started
    assert not [t for t in threading.enumerate() if t.name == "paste-parse"]
    assert_all_plain(window)


def test_long_paste_under_the_cap_is_parsed_off_the_gui_thread(qtbot, window):
    click(qtbot, window, "ScanButton")
    text = ("<b>" + "0" * 96 + "\x1b")[:100] * (MAX_INPUT_CHARS // 100)
    QGuiApplication.clipboard().setText(text)
    button = visible_named(window, "PasteButton", QAbstractButton)
    button.click()  # returns before the parse is done: the result comes back by a signal
    assert not window.payee.isVisible()
    qtbot.waitUntil(lambda: window.payee.isVisible(), timeout=30_000)
    assert window.ctx.flow.parsed.raw == text
    assert_all_plain(window)


def test_a_tooltip_shows_its_text_literally():
    assert tooltip("") == "" and tooltip_text(tooltip(RICH_NAME)) == RICH_NAME


# --- random input through the paste path ---------------------------------------------------------

TLV_ALPHABET = string.ascii_letters + string.digits + " <>/=\"'&;#\x1b\x07\x9b\u202e\u200b"
# The builder encodes a payload as UTF-8, which has no lone surrogate: such a field made the test's own
# example-building fail (st.characters may draw one; st.text's default alphabet, used below, never does).
field_text = st.text(alphabet=st.sampled_from(list(TLV_ALPHABET)) | st.characters(blacklist_categories=("Cs",)),
                     min_size=1, max_size=25)
emvco_shaped = st.builds(
    lambda name, city, purpose: vnpay_payload("0100109106", name, city, amount=1000, purpose=purpose),
    field_text, field_text, field_text)
tlv_soup = st.lists(st.tuples(st.integers(0, 99), st.text(max_size=30)), min_size=1, max_size=12).map(
    lambda items: "".join(f"{i:02d}{len(v):02d}{v}" for i, v in items))
random_bytes = st.binary(max_size=400).map(lambda b: b.decode("utf-8", "replace"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(text=st.one_of(emvco_shaped, tlv_soup, random_bytes, st.text(max_size=300)))
def test_random_pasted_text_never_breaks_the_window(qtbot, window, text):
    if not window.findChild(QAbstractButton, "PasteButton").isVisible():
        click(qtbot, window, "ScanButton")
    empty = window.ctx.t("scan.clipboard_empty")
    paste(qtbot, window, text)
    qtbot.waitUntil(lambda: window.payee.isVisible() or window.scan.hint.text() == empty, timeout=30_000)
    assert_all_plain(window)
    if window.payee.isVisible():
        click(qtbot, window, "InspectorButton")
        qtbot.waitUntil(lambda: window.inspector.isVisible())
        assert_all_plain(window)
        click_back(qtbot, window)
        qtbot.waitUntil(lambda: window.payee.isVisible())
        click(qtbot, window, "RescanButton")
        qtbot.waitUntil(lambda: window.scan.isVisible())
