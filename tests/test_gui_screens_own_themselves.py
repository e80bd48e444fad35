"""Each screen owns itself: what it does when entered and left, whether it may be left, its default
button, and every widget placed in its layout; the window only wires screens and the objects that
own the service, the settings and the kiosk clocks (docs/architecture.md, "The window").

The navigator is driven with recording screens (real QWidgets in a real QStackedWidget); the screens
that show content filled by other objects are built alone, with no window, and must already hold
those widgets; the layout rule is checked on the source of every module in payer_app/gui.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from PySide6.QtWidgets import QPushButton, QStackedWidget, QWidget

from payer_app.gui.app import ensure_application
from payer_app.gui.context import AppContext
from payer_app.gui.i18n import Language
from payer_app.gui.navigator import Navigator
from payer_app.gui.screen import Screen
from payer_app.gui.settings import Settings

GUI = Path(__file__).resolve().parents[1] / "payer_app" / "gui"
LAYOUT_EDITS = {"addWidget", "insertWidget", "addLayout", "insertLayout", "removeWidget", "addStretch",
                "insertStretch", "addSpacing", "insertSpacing", "addItem", "insertItem", "takeAt"}
MAX_WINDOW_LINES = 250


class Recording(Screen):
    def __init__(self, name: str, log: list[str]):
        super().__init__()
        self.name, self.log = name, log
        self.leave_allowed = True
        self._default_button = QPushButton(name)

    def on_enter(self) -> None:
        self.log.append(f"enter {self.name}")

    def on_leave(self) -> None:
        self.log.append(f"leave {self.name}")

    def can_leave(self) -> bool:
        self.log.append(f"may leave {self.name}?")
        return self.leave_allowed


@pytest.fixture
def screens():
    ensure_application()
    log: list[str] = []
    stack = QStackedWidget()
    named = {name: Recording(name, log) for name in ("home", "payee", "pin")}
    for screen in named.values():
        stack.addWidget(screen)
    nav = Navigator(stack, named)
    yield nav, named, log
    stack.deleteLater()


def test_the_navigator_calls_each_screens_hooks_on_every_move(screens):
    nav, named, log = screens
    nav.go("payee")
    nav.go("pin")
    assert log == ["leave home", "enter payee", "leave payee", "enter pin"]
    log.clear()
    named["pin"].leave_allowed = False  # a payment on its way
    assert nav.back() is False and nav.cancel() is False and nav.current == "pin"
    assert log == ["may leave pin?", "may leave pin?"]  # asked, and nothing left or entered
    log.clear()
    named["pin"].leave_allowed = True
    assert nav.back() is True
    assert log == ["may leave pin?", "leave pin", "enter payee"]
    log.clear()
    nav.reset()
    assert log == ["leave payee", "enter home"]
    log.clear()
    nav.reset()  # from the root: Home is entered again, nothing is left
    assert log == ["enter home"]
    assert nav.screen is named["home"] and nav.screen.default_button() is named["home"]._default_button


def screen_alone(cls):
    ensure_application()
    return cls(AppContext(Language("vi"), Settings()))


@pytest.mark.parametrize("module, cls, children", [
    ("amount", "AmountScreen", ("AmountDueBox", "SavedBillPaying")),
    ("result", "ResultScreen", ("SaveBillBox",)),
    ("home", "HomeScreen", ("MerchantDisplayButton", "ManageSavedBillsButton")),
])
def test_a_screen_built_alone_holds_every_widget_shown_in_it(module, cls, children):
    screen_class = getattr(__import__(f"payer_app.gui.screens.{module}", fromlist=[cls]), cls)
    screen = screen_alone(screen_class)
    try:
        assert isinstance(screen, Screen)
        missing = [name for name in children if screen.findChild(QWidget, name) is None]
        assert missing == [], f"{cls} does not build {missing}: another object puts them in its layout"
    finally:
        screen.deleteLater()


def receiver_names(node: ast.AST) -> list[str]:
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
    return names[::-1]


def test_no_module_edits_the_layout_of_a_screen_it_reaches_through_the_window():
    edits = []
    for path in sorted(GUI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LAYOUT_EDITS:
                if "window" in receiver_names(node.func.value):
                    edits.append(f"{path.relative_to(GUI)}:{node.lineno} {ast.unparse(node.func)}")
    assert edits == []


def test_the_main_window_keeps_only_wiring():
    lines = len((GUI / "main_window.py").read_text(encoding="utf-8").splitlines())
    assert lines < MAX_WINDOW_LINES, f"gui/main_window.py has {lines} lines"
