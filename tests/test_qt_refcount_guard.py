"""Guard against a PySide6 that drops references to None, True or False (the 6.12.0-on-3.11 crash).

PySide6-Essentials 6.12.0 on Python < 3.12 lost one reference to ``None`` on every call that
returns nothing (and references to True/False on some that return a bool); the scan overlay makes
~29 such calls per painted frame, so the count reached zero and the process aborted with
``Fatal Python error: none_dealloc`` within minutes (pyproject.toml excludes that combination).
Python 3.12+ makes these objects immortal, but we still measure there: a leak would just be
invisible, never a false alarm.

Each case calls one Qt method the window uses per painted frame or per screen change 1,000 times
and compares ``sys.getrefcount`` of None, True and False before and after. A leaking binding loses
~1,000; a sound one loses none (a few references come and go with interpreter caches: the
tolerance is 20).
"""

from __future__ import annotations

import gc
import sys

import pytest
from PySide6 import __version__ as PYSIDE_VERSION
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from payer_app.gui.app import ensure_application

CALLS = 1000
TOLERANCE = 20  # references; a per-call leak shows as ~CALLS


SINGLETONS = {"None": None, "True": True, "False": False}


def refs_lost(call, n: int = CALLS) -> dict[str, int]:
    """How many references to None, True and False disappeared across ``n`` calls of ``call``
    (after a warm-up). PySide6 6.12.0 drops them for None (void calls) and for booleans alike.

    What a leaking binding took is paid back (``Py_IncRef``), so one bad case fails as a test
    instead of letting a count reach zero and abort the whole run (``none_dealloc`` /
    ``bool_dealloc``).
    """
    # The cyclic collector stays off while counting: a collection in the middle frees objects left
    # by earlier tests, and the references they held to None/True/False would look like a leak. No
    # collection before either: with the collector off nothing is freed by it in the middle, and a full
    # collection costs ~0.1 s of CPU in a test process that holds a million objects, once per case.
    gc.disable()
    try:
        start = {k: sys.getrefcount(v) for k, v in SINGLETONS.items()}
        for _ in range(10):
            call()
        before = {k: sys.getrefcount(v) for k, v in SINGLETONS.items()}
        for _ in range(n):
            call()
        after = {k: sys.getrefcount(v) for k, v in SINGLETONS.items()}
    finally:
        gc.enable()
    for k, v in SINGLETONS.items():
        _repay(v, start[k] - sys.getrefcount(v))
    return {k: before[k] - after[k] for k in SINGLETONS}


def none_refs_lost(call, n: int = CALLS) -> int:
    return refs_lost(call, n)["None"]


def _repay(obj, count: int) -> None:
    import ctypes

    incref = ctypes.pythonapi.Py_IncRef
    incref.argtypes = [ctypes.py_object]
    for _ in range(max(0, count)):
        incref(obj)


@pytest.fixture(scope="module")
def qt():
    app = ensure_application()
    image = QImage(200, 200, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    frame = QImage(64, 48, QImage.Format.Format_BGR888)
    frame.fill(QColor("gray"))
    path = QPainterPath()
    path.addRoundedRect(QRectF(0, 0, 100, 100), 10, 10)
    hole = QPainterPath()
    hole.addRect(QRectF(20, 20, 40, 40))
    widgets = {
        "label": QLabel(), "tree": QTreeWidget(), "combo": QComboBox(), "edit": QLineEdit(),
        "plain": QPlainTextEdit(), "button": QPushButton(), "stack": QStackedWidget(), "tabs": QTabWidget(),
    }
    widgets["tree"].setColumnCount(4)
    pages = [QWidget(), QWidget()]
    for page in pages:
        widgets["stack"].addWidget(page)
    widgets["tabs"].addTab(QWidget(), "a")
    ns = {"app": app, "painter": painter, "frame": frame, "path": path, "hole": hole, "pages": pages,
          "pen": QPen(QColor("white")), "pixmap": QPixmap.fromImage(frame), "timer": QTimer(),
          "emitter": _Emitter(), **widgets}
    ns["emitter"].text_changed.connect(widgets["label"].setText)
    yield ns
    painter.end()


def _flip(ns):
    ns["flip"] = not ns.get("flip", False)
    return ns["flip"]


# Everything PreviewView.paintEvent does per frame (gui/screens/scan.py), one call each.
PAINT_CALLS = {
    "QPainter.setRenderHint": lambda q: q["painter"].setRenderHint(QPainter.RenderHint.Antialiasing),
    "QPainter.setClipPath": lambda q: q["painter"].setClipPath(q["path"]),
    "QPainter.fillRect": lambda q: q["painter"].fillRect(QRectF(0, 0, 10, 10), QColor("#101418")),
    "QPainter.save/restore": lambda q: (q["painter"].save(), q["painter"].restore()),
    "QPainter.translate": lambda q: q["painter"].translate(0.0, 0.0),
    "QPainter.scale": lambda q: q["painter"].scale(1.0, 1.0),
    "QPainter.drawImage": lambda q: q["painter"].drawImage(0, 0, q["frame"]),
    "QPen.setWidthF": lambda q: q["pen"].setWidthF(2.0),
    "QPen.setWidth": lambda q: q["pen"].setWidth(4),
    "QPen.setCapStyle": lambda q: q["pen"].setCapStyle(Qt.PenCapStyle.RoundCap),
    "QPainter.setPen": lambda q: q["painter"].setPen(q["pen"]),
    "QPainter.setBrush": lambda q: q["painter"].setBrush(QColor(46, 229, 157, 50)),
    "QPainter.drawPolygon": lambda q: q["painter"].drawPolygon(
        QPolygonF([QPointF(1, 1), QPointF(20, 1), QPointF(20, 20)])),
    "QPainterPath.addRect": lambda q: QPainterPath().addRect(QRectF(0, 0, 5, 5)),
    "QPainterPath.addRoundedRect": lambda q: QPainterPath().addRoundedRect(QRectF(0, 0, 5, 5), 2, 2),
    "QPainter.fillPath": lambda q: q["painter"].fillPath(q["path"].subtracted(q["hole"]), QColor(0, 0, 0, 110)),
    "QPainter.drawLine": lambda q: q["painter"].drawLine(QPointF(0, 0), QPointF(10, 10)),
    "QPainter.drawText": lambda q: q["painter"].drawText(QRectF(0, 0, 100, 20), Qt.AlignmentFlag.AlignCenter, "x"),
}

# What a screen change does (labels, item views, the Inspector, pictures, stacks, hints, toasts).
SCREEN_CALLS = {
    "QLabel.setText": lambda q: q["label"].setText("Công ty Điện lực"),
    "QLabel.setTextFormat": lambda q: q["label"].setTextFormat(Qt.TextFormat.PlainText),
    "QLabel.setPixmap": lambda q: q["label"].setPixmap(q["pixmap"]),
    "QLabel.clear": lambda q: q["label"].clear(),
    "QWidget.setToolTip": lambda q: q["label"].setToolTip("tip"),
    "QWidget.setVisible": lambda q: q["label"].setVisible(_flip(q)),
    "QWidget.setProperty": lambda q: q["label"].setProperty("role", "hint"),
    "QWidget.update": lambda q: q["label"].update(),
    "QWidget.setWindowTitle": lambda q: q["label"].setWindowTitle("Payer App"),
    "QStyle.unpolish/polish": lambda q: (
        q["label"].style().unpolish(q["label"]),
        q["label"].style().polish(q["label"]),
    ),
    "QStackedWidget.setCurrentWidget": lambda q: q["stack"].setCurrentWidget(q["pages"][_flip(q)]),
    "QTabWidget.setTabText": lambda q: q["tabs"].setTabText(0, "Fields"),
    "QTreeWidget.clear": lambda q: q["tree"].clear(),
    "QTreeWidget.addTopLevelItem": lambda q: q["tree"].addTopLevelItem(QTreeWidgetItem(["00", "0", "a", "b"])),
    "QTreeWidgetItem(parent)": lambda q: QTreeWidgetItem(q["tree"]),
    "QTreeWidgetItem.setText/setToolTip": lambda q: _item_texts(q["tree"]),
    "QTreeWidget.setHeaderLabels": lambda q: q["tree"].setHeaderLabels(["id", "offset", "name", "value"]),
    "QTreeWidget.expandAll": lambda q: q["tree"].expandAll(),
    "QTreeWidget.resizeColumnToContents": lambda q: q["tree"].resizeColumnToContents(0),
    "QTreeWidget.setColumnWidth": lambda q: q["tree"].setColumnWidth(2, 120),
    "QPlainTextEdit.setPlainText": lambda q: q["plain"].setPlainText("000201010211"),
    "QComboBox.clear/addItem": lambda q: (q["combo"].clear(), q["combo"].addItem("Demo", "demo")),
    "QComboBox.setCurrentIndex": lambda q: q["combo"].setCurrentIndex(0),
    "QLineEdit.setText": lambda q: q["edit"].setText("15000"),
    "QLineEdit.setPlaceholderText": lambda q: q["edit"].setPlaceholderText("0 ₫"),
    "QPushButton.setText": lambda q: q["button"].setText("Tiếp tục"),
    "QAbstractButton.setChecked": lambda q: q["button"].setChecked(False),
    "QWidget.setEnabled": lambda q: q["button"].setEnabled(True),
    "QWidget.move/adjustSize/raise_": lambda q: (q["label"].move(1, 1), q["label"].adjustSize(), q["label"].raise_()),
    "QWidget.setFixedWidth": lambda q: q["label"].setFixedWidth(300),
    "QImage.fill": lambda q: q["frame"].fill(QColor("gray")),
    "QTreeWidgetItem.setData/setFirstColumnSpanned": lambda q: _item_data(q["tree"]),
    "QTimer.start/stop": lambda q: (q["timer"].start(1000), q["timer"].stop()),
    "QWidget.show/hide": lambda q: (q["label"].show(), q["label"].hide()),
    "QWidget.setFocus": lambda q: q["edit"].setFocus(),
    "Signal.emit": lambda q: q["emitter"].text_changed.emit("Đã nhận mã QR"),
}


class _Emitter(QObject):
    text_changed = Signal(str)


def _item_data(tree: QTreeWidget) -> None:
    item = tree.topLevelItem(0) or QTreeWidgetItem(tree)
    item.setData(3, Qt.ItemDataRole.ToolTipRole, "value")
    item.setFirstColumnSpanned(False)


def _item_texts(tree: QTreeWidget) -> None:
    item = tree.topLevelItem(0) or QTreeWidgetItem(tree)
    item.setText(3, "value")
    item.setToolTip(3, "value")
    item.setFirstColumnSpanned(False)


@pytest.mark.parametrize("name", sorted(PAINT_CALLS) + sorted(SCREEN_CALLS))
def test_qt_call_keeps_references_to_none(qt, name):
    call = PAINT_CALLS.get(name) or SCREEN_CALLS[name]
    lost = refs_lost(lambda: call(qt))
    leaking = {k: v for k, v in lost.items() if v > TOLERANCE}
    assert not leaking, (
        f"{name} lost references in {CALLS} calls: {leaking} (PySide6 {PYSIDE_VERSION}, Python "
        f"{sys.version.split()[0]}): this binding leaks; on Python < 3.12 the window will abort with "
        f"'none_dealloc' or 'bool_dealloc'. Exclude this PySide6 version in pyproject.toml.")


def test_a_whole_scan_frame_keeps_references_to_none(qt):
    """The real overlay: PreviewView painting a frame with an outline and a message, 300 times."""
    from payer_app.gui.screens.scan import PreviewView

    view = PreviewView()
    view.resize(360, 480)
    view.set_image(qt["frame"])
    view.set_polygons([((5, 5), (40, 5), (40, 40), (5, 40))])
    view.message = "Đang mở camera…"
    target = QImage(360, 480, QImage.Format.Format_ARGB32)
    lost = refs_lost(lambda: view.render(target), n=300)
    assert max(lost.values()) <= TOLERANCE, f"painting a scan frame lost references in 300 frames: {lost}"


def test_the_measurement_sees_a_leak():
    """The guard measures what it claims: a call that drops one reference to None shows as CALLS."""
    import ctypes

    if sys.version_info >= (3, 12):
        pytest.skip("None is immortal on Python 3.12+: its reference count does not move")
    decref = ctypes.pythonapi.Py_DecRef
    decref.argtypes = [ctypes.py_object]
    assert none_refs_lost(lambda: decref(None)) == CALLS  # and paid back, so None stays alive
