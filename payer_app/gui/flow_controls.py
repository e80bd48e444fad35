"""What every step of a payment shows the same way: the Cancel (Hủy) button in the top bar, the
text of a ``Refusal`` (why a QR or an amount cannot be paid) in the window's language, the card of
caption/value rows (Review, Result, a history entry) with one divider between shown rows, and the
colour of a payment's status (``status_role``)."""

from __future__ import annotations

from PySide6.QtWidgets import QToolButton

from payer_app.core.amounts import format_vnd
from payer_app.core.charge import Charge
from payer_app.core.fees import FIXED_FEE, PERCENT_FEE, TIP_PROMPT, FeeRule
from payer_app.core.refusals import Refusal
from payer_app.gui.components import Card, InfoRow, divider
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


def problem_text(ctx: AppContext, problem) -> str:
    """Why something cannot be paid, in the window's language: the window's own words for its code
    when it has them (``problem.<code>``: what to do in this window), else a core ``Refusal`` reads
    the refusal catalogue (``payer_app.core.refusals``); any other refusal (``code``, ``message``,
    ``message_vi``) is shown by ``reason_text``."""
    if isinstance(problem, Refusal) and f"problem.{problem.code}" not in ctx.language.catalogue:
        return problem.text(ctx.language.code)
    return reason_text(ctx, problem.code, problem.message, problem.message_vi)


def reason_text(ctx: AppContext, code: str, message: str, message_vi: str) -> str:
    """A refusal that reached the window as texts: the window's own words for ``code`` when it has
    them (``problem.<code>``: what to do in this window), else the texts it came with."""
    key = f"problem.{code}"
    if key in ctx.language.catalogue:
        return ctx.t(key)
    return ctx.language.pick(message_vi, message) or code


class DetailCard(Card):
    """Rows ``keys`` (InfoRow each, hidden while empty); ``tidy()`` after filling them shows one
    divider between two shown rows, never two in a row nor one at the top."""

    def __init__(self, keys: tuple[str, ...], spacing: int = 8):
        super().__init__(spacing=spacing)
        self.rows = {key: InfoRow() for key in keys}
        self.dividers = {}
        for i, (key, row) in enumerate(self.rows.items()):
            if i:
                self.dividers[key] = divider()
                self.body.addWidget(self.dividers[key])
            self.body.addWidget(row)

    def clear(self) -> None:
        for row in self.rows.values():
            row.set("", None)

    def tidy(self) -> None:
        shown = [key for key, row in self.rows.items() if not row.isHidden()]
        for key, line in self.dividers.items():
            line.setVisible(key in shown and key != shown[0])


def fee_row(t, cost: Charge, rule: FeeRule | None) -> tuple[str, str]:
    """The (label, value) of the fee row on Review and Result: the tip, the fixed or percentage fee
    the request carries, or "free" when there is none."""
    if cost.kind == TIP_PROMPT:
        return t("review.tip"), format_vnd(cost.fee)
    if cost.kind == FIXED_FEE:
        return t("review.fee"), t("review.fee_fixed", fee=format_vnd(cost.fee))
    if cost.kind == PERCENT_FEE and rule is not None and rule.percent_text is not None:
        return t("review.fee"), t("review.fee_percent", fee=format_vnd(cost.fee),
                                  percent=rule.percent_text.replace(".", ","))
    return t("review.fee"), format_vnd(cost.fee) if cost.fee else t("review.free")


def status_role(role: str, status: str) -> str:
    """The styling role of ``role`` (``big-amount``, ``result-icon``) for a payment's status: green
    when approved, amber (``-pending``) while no answer came, red (``-bad``) otherwise."""
    if status == "approved":
        return role
    return f"{role}-pending" if status == "pending" else f"{role}-bad"
