"""What every screen of the window answers to the navigator (``gui/navigator.py``).

A ``Screen`` says what happens when it becomes the visible screen (``on_enter``) and when it stops
being it (``on_leave``), whether the user may leave it now (``can_leave``: the PIN screen says no
while a payment is on its way), and which button Enter presses when no button has the focus
(``default_button``). The navigator calls these on every move (go, back, cancel, reset), so a
screen's own behaviour is read in its own module, not in the window. ``EnterKey`` presses the
visible screen's default button.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QPlainTextEdit,
    QScrollArea,
    QTextEdit,
    QWidget,
)


class Screen(QWidget):
    """A page of the window's screen stack; subclasses override the hooks they need."""

    _default_button: QAbstractButton | None = None

    def on_enter(self) -> None:
        """Called after the screen became the visible one."""

    def on_leave(self) -> None:
        """Called when another screen takes its place."""

    def can_leave(self) -> bool:
        """False keeps the user here (Back and Cancel do nothing)."""
        return True

    def default_button(self) -> QAbstractButton | None:
        """The button Enter presses when the focus is on no button (None: Enter does nothing)."""
        return self._default_button

    def retranslate(self) -> None:
        """Show every text in the window's language again (overridden by screens)."""

    def scroll_to_top(self) -> None:
        """Every scrolling part of the screen back at its top (the navigator calls it on a move forward)."""
        for area in self.findChildren(QScrollArea):
            area.verticalScrollBar().setValue(0)


class EnterKey(QObject):
    """Enter activates the focused button, else the visible screen's ``default_button()``; in a
    drop-down it only opens the list to pick from.

    Installed on the application for one window and its navigator: a line edit or a button with
    focus gets Enter through here first, so every screen behaves the same (multi-line text keeps its
    own Enter)."""

    def __init__(self, window: QWidget, nav):
        super().__init__(window)
        self.window = window
        self.nav = nav

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        # every event of the application passes here: the class check (no call into Qt) lets all but
        # key events go at once; asking an event its type() makes an enum object, which costs more
        if not isinstance(event, QKeyEvent):
            return False
        if event.type() != QEvent.Type.KeyPress or event.key() not in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return False
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        focus = obj if isinstance(obj, QWidget) else QApplication.focusWidget()
        if focus is None or focus.window() is not self.window:
            return False
        if isinstance(focus, (QPlainTextEdit, QTextEdit)) and not focus.isReadOnly():
            return False
        combo = focus if isinstance(focus, QComboBox) else focus.parentWidget()
        if isinstance(combo, QComboBox):  # a drop-down: Enter picks a value there, never saves or leaves
            if not combo.isEditable():
                combo.showPopup()
                return True
            return False  # a typed value: the drop-down takes it
        if isinstance(focus, QAbstractButton):
            if focus.isEnabled() and focus.isVisible():
                focus.click()
            return True
        default = self.nav.screen.default_button()
        if default is not None and default.isVisible() and default.isEnabled():
            default.click()
            return True
        return False
