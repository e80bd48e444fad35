"""The one owner of the window's screen stack: where the user is, and how they got there.

``Navigator.go(name)`` moves forward (or back to ``name`` when it is already on the trail),
``back()`` returns one step, ``cancel()`` abandons a payment and returns to the root (Home),
``reset()`` returns to the root even from the root (kiosk idle, new payment). A screen moved to
opens at its top (the refusal title, the result's icon); Back returns to where the user left it. ``changed(previous,
current)`` fires after every move. Every screen is a ``gui.screen.Screen``: on each move the
navigator calls the old screen's ``on_leave()`` and the new one's ``on_enter()``, and asks
``can_leave()`` before Back and Cancel (False while a payment is being sent: they then do nothing).
Nothing else edits the stack.

Each time a screen is entered the logger ``payer_app.gui.navigator`` logs ``screen <name>`` at INFO
(``<name>`` is the screen's key, e.g. ``home``, ``scan``, ``payee``): ``payer-app gui --verbose``
prints these lines, and tests that drive a real window wait on them.
"""

from __future__ import annotations

import functools
import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStackedWidget

from payer_app.gui.screen import Screen

log = logging.getLogger(__name__)


class Navigator(QObject):
    changed = Signal(str, str)  # previous screen, current screen

    def __init__(self, stack: QStackedWidget, screens: dict[str, Screen], root: str = "home"):
        super().__init__(stack)
        self.stack = stack
        self.screens = screens
        self.root = root
        self._trail: list[str] = [root]
        # a screen given here that was never shown has no parent: it goes with the stack
        stack.destroyed.connect(functools.partial(_delete_unshown, tuple(screens.values())))
        self._show(screens[root])
        log.info("screen %s", root)

    @property
    def current(self) -> str:
        return self._trail[-1]

    @property
    def trail(self) -> tuple[str, ...]:
        return tuple(self._trail)

    def go(self, name: str, replace: bool = False, from_root: bool = False) -> None:
        """Show ``name``. ``replace`` swaps it for the current screen (Back then skips the current one);
        ``from_root`` starts a new trail root -> name (Back then returns to the root)."""
        if name not in self.screens:
            raise KeyError(f"no screen {name!r}")
        previous = self.current
        if name == previous:
            return
        if from_root:
            self._trail = [self.root, name] if name != self.root else [self.root]
        elif replace and len(self._trail) > 1:
            self._trail[-1] = name
            if name in self._trail[:-1]:
                del self._trail[self._trail.index(name) + 1:]
        elif name in self._trail:
            del self._trail[self._trail.index(name) + 1:]
        else:
            self._trail.append(name)
        self._switch(previous)

    def back(self) -> bool:
        """One step back; False when there is nowhere to go or the current screen cannot be left."""
        if len(self._trail) <= 1 or not self._may_leave():
            return False
        previous = self._trail.pop()
        self._switch(previous, keep_place=True)
        return True

    def cancel(self) -> bool:
        """Abandon what is in progress and return to the root screen."""
        if self.current == self.root or not self._may_leave():
            return False
        self.reset()
        return True

    def reset(self) -> None:
        """Back to the root screen, whatever the trail (the root is entered again even if shown)."""
        previous = self.current
        self._trail = [self.root]
        self._switch(previous, always=True)

    # internals ---------------------------------------------------------------------------------
    @property
    def screen(self) -> Screen:
        """The visible screen."""
        return self.screens[self.current]

    def _may_leave(self) -> bool:
        return bool(self.screen.can_leave())

    def _switch(self, previous: str, always: bool = False, keep_place: bool = False) -> None:
        """Show the current screen; it opens at its top unless the user came back to it (``keep_place``)."""
        current = self.current
        if previous == current and not always:
            return
        if previous != current:
            self.screens[previous].on_leave()
        self._show(self.screens[current])
        self.screens[current].on_enter()
        if not keep_place:
            self.screens[current].scroll_to_top()
        self.changed.emit(previous, current)
        log.info("screen %s", current)  # after the screen and the window have reacted to the move

    def _show(self, screen: Screen) -> None:
        """Make ``screen`` the visible page. A screen joins the stack the first time it is shown: only then
        does it take the window's style sheet (styling every widget of a screen costs more than making it,
        and most windows never show most screens)."""
        if self.stack.indexOf(screen) < 0:
            self.stack.addWidget(screen)
        self.stack.setCurrentWidget(screen)


def _delete_unshown(screens) -> None:
    """The screens a deleted stack never showed: nothing else owns them."""
    for screen in screens:
        try:
            unshown = screen.parent() is None
        except RuntimeError:  # a screen of the stack: already deleted with it
            continue
        if unshown:
            screen.deleteLater()
