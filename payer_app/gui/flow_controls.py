"""What every step of a payment shows the same way: the Cancel (Hủy) button in the top bar and the
translated text of a core ``Problem`` (why a QR or an amount cannot be paid)."""

from __future__ import annotations

from PySide6.QtWidgets import QToolButton

from payer_app.core.amounts import format_vnd
from payer_app.core.payability import Problem
from payer_app.gui.context import AppContext

CANCEL_WIDTH = 72


def add_cancel(screen) -> QToolButton:
    """Turn the screen's top-bar action into Cancel (Hủy); the window connects it to ``cancel``.

    The screen must be built with ``action_text`` set (a blank keeps the slot); the text is set by the
    screen's ``retranslate``."""
    action = screen.top.action
    action.setProperty("kind", "cancel")
    action.setFixedWidth(CANCEL_WIDTH)
    screen.top.back.setFixedWidth(CANCEL_WIDTH)  # keep the title centred
    action.setVisible(True)
    return action


def problem_text(ctx: AppContext, problem: Problem) -> str:
    """The problem in the window's language (``problem.<code>`` in the catalogue, amounts as ``1.000 ₫``)."""
    key = f"problem.{problem.code}"
    if key in ctx.language.catalogue:
        return ctx.t(key, **{name: format_vnd(value) for name, value in problem.values.items()})
    return ctx.language.pick(problem.message_vi, problem.message) or problem.code
