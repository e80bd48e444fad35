"""Amount: VND grouping as the user types (``1.234.567 ₫``), the amount in words, quick chips,
limits with a message, a locked amount for dynamic QRs, and a note.

Two lines above the quick chips are filled from outside, through this screen's methods only: which
saved bill is being paid (``show_paying``, from ``gui/saved_bills_controller.py``) and an EVN
bill's amount due with a chip that fills the field (``show_amount_due``, from
``gui/amount_due.py``)."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLineEdit, QWidget

from payer_app.core.amount_words import amount_in_words
from payer_app.core.amounts import MAX_AMOUNT_CHARS, format_vnd, group_thousands
from payer_app.core.choice import PaymentChoice
from payer_app.core.fees import FIXED_FEE, TIP_CHIPS_PERCENT, TIP_PROMPT, fee_for, percent_of
from payer_app.core.payability import AMOUNT_REQUIRED, amount_problem, locked_amount
from payer_app.core.refusals import Refusal
from payer_app.core.request import MAX_NOTE_CHARS, note_problem
from payer_app.gui.components import Card, Page, button, column, plain_label
from payer_app.gui.context import AppContext, PaymentFlow
from payer_app.gui.flow_controls import add_cancel, problem_text

QUICK_AMOUNTS = (50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000)


class AmountEdit(QLineEdit):
    """A line edit that keeps only digits and shows them grouped with a ₫ sign."""

    amount_changed = Signal(object)  # int or None

    def __init__(self):
        super().__init__()
        self.setObjectName("AmountEdit")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        self.max_digits = MAX_AMOUNT_CHARS
        self.textEdited.connect(self._reformat)

    def value(self) -> int | None:
        digits = re.sub(r"\D", "", self.text())
        return int(digits) if digits else None

    def set_value(self, value: int | None) -> None:
        self.setText(format_vnd(value) if value is not None else "")
        self.setCursorPosition(max(0, len(self.text()) - 2))
        self.amount_changed.emit(value)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        # Backspace just after a separator removes the digit before it.
        if event.key() == Qt.Key.Key_Backspace and not self.hasSelectedText():
            pos = self.cursorPosition()
            text = self.text()
            while pos > 0 and not text[pos - 1].isdigit():
                pos -= 1
            self.setCursorPosition(pos)
        super().keyPressEvent(event)

    def _reformat(self, text: str) -> None:
        digits_before = len(re.sub(r"\D", "", text[: self.cursorPosition()]))
        digits = re.sub(r"\D", "", text).lstrip("0")[:self.max_digits]
        if not digits:
            self.setText("")
            self.amount_changed.emit(None)
            return
        shown = f"{group_thousands(int(digits))} ₫"
        self.setText(shown)
        seen = 0
        cursor = 0
        for i, ch in enumerate(shown):
            if seen >= min(digits_before, len(digits)):
                break
            if ch.isdigit():
                seen += 1
            cursor = i + 1
        self.setCursorPosition(cursor)
        self.amount_changed.emit(int(digits))


class AmountDueBox(QWidget):
    """An EVN bill's amount due: the caption, the chip (or "already paid") and the bill's period."""

    def __init__(self):
        super().__init__()
        self.setObjectName("AmountDueBox")
        col = column(self, top=4)
        self.caption = plain_label("", "caption")
        self.caption.setObjectName("AmountDueCaption")
        row = QHBoxLayout()
        self.chip = button("", "chip", "AmountDueChip")
        row.addWidget(self.chip)
        row.addStretch(1)
        self.detail = plain_label("", "caption")
        self.detail.setObjectName("AmountDueDetail")
        col.addWidget(self.caption)
        col.addLayout(row)
        col.addWidget(self.detail)
        self.hide()


class SavedBillContext(QWidget):
    """Which saved bill is being paid (name and payee)."""

    def __init__(self):
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.label = plain_label("", "caption")
        self.label.setObjectName("SavedBillPaying")
        row.addWidget(self.label)
        self.hide()


class TipBox(QWidget):
    """The tip a QR asks for (field 55 = 01): chips of 0 / 5 / 10 / 15 % of the amount and a field
    for another value. A chip's tip follows the amount; a typed tip stays as typed."""

    changed = Signal()

    def __init__(self):
        super().__init__()
        self.setObjectName("TipBox")
        col = column(self, top=4)
        self.caption = plain_label("", "caption")
        self.caption.setObjectName("TipCaption")
        row = QHBoxLayout()
        self.chips = []
        for percent in TIP_CHIPS_PERCENT:
            chip = button(f"{percent}%", "chip", f"TipChip{percent}")
            chip.clicked.connect(lambda _=False, p=percent: self.choose_percent(p))
            self.chips.append(chip)
            row.addWidget(chip)
        self.edit = AmountEdit()
        self.edit.setObjectName("TipEdit")
        self.edit.textEdited.connect(self._typed)
        row.addWidget(self.edit, 1)
        self.total = plain_label("", "value")
        self.total.setObjectName("TipTotal")
        col.addWidget(self.caption)
        col.addLayout(row)
        col.addWidget(self.total)
        self.percent: int | None = 0
        self.amount = 0
        self.hide()

    def reset(self) -> None:
        self.percent = 0
        self.edit.setText("")

    def set_amount(self, amount: int | None) -> None:
        self.amount = amount or 0
        if self.percent is not None:
            tip = percent_of(self.amount, self.percent * 100)
            self.edit.setText(f"{group_thousands(tip)} ₫" if tip else "")
        self.changed.emit()

    def choose_percent(self, percent: int) -> None:
        self.percent = percent
        self.set_amount(self.amount)

    def _typed(self, _text: str) -> None:
        self.percent = None
        self.changed.emit()

    def tip(self) -> int:
        return 0 if self.isHidden() else (self.edit.value() or 0)


class AmountScreen(Page):
    continue_requested = Signal()

    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True, action_text=" ")
        self.ctx = ctx
        self.cancel_button = add_cancel(self)
        card = Card(spacing=8)
        self.label = plain_label("", "caption")
        self.edit = AmountEdit()
        self.edit.amount_changed.connect(self._changed)
        self.words = plain_label("", "words")
        self.words.setObjectName("AmountWords")
        self.words.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.locked = plain_label("", "hint")
        self.locked.setObjectName("LockedHint")
        self.locked.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = plain_label("", "error")
        self.message.setObjectName("AmountMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for w in (self.label, self.edit, self.words, self.locked, self.message):
            card.body.addWidget(w)
        self.chips_grid = QGridLayout()
        self.chips_grid.setSpacing(8)
        self.chips = []
        for i, value in enumerate(QUICK_AMOUNTS):
            chip = button(group_thousands(value), "chip")
            chip.setObjectName(f"Chip{value}")
            chip.clicked.connect(lambda _=False, v=value: self.edit.set_value(v))
            self.chips.append(chip)
            self.chips_grid.addWidget(chip, i // 3, i % 3)
        self.paying_label = SavedBillContext()
        self.due_box = AmountDueBox()
        self.due_box.chip.clicked.connect(self._due_chip_clicked)
        self._due_amount = 0
        card.body.addWidget(self.paying_label)
        card.body.addWidget(self.due_box)
        card.body.addLayout(self.chips_grid)
        self.fee_line = plain_label("", "value")  # a fixed or percentage fee the QR adds, and the total
        self.fee_line.setObjectName("FeeLine")
        self.fee_line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        card.body.addWidget(self.fee_line)
        self.tip_box = TipBox()
        self.tip_box.changed.connect(self._show_cost)
        card.body.addWidget(self.tip_box)
        self.limits = plain_label("", "caption")
        self.limits.setAlignment(Qt.AlignmentFlag.AlignCenter)
        card.body.addWidget(self.limits)
        self.body.addWidget(card)

        note_card = Card(spacing=6)
        self.note_label = plain_label("", "caption")
        self.note = QLineEdit()
        self.note.setObjectName("NoteEdit")
        self.note.setMaxLength(MAX_NOTE_CHARS)
        self.note_message = plain_label("", "error")  # core's note rule, shown as the payer types
        self.note_message.setObjectName("NoteMessage")
        self.note.textChanged.connect(self._show_note_problem)
        note_card.body.addWidget(self.note_label)
        note_card.body.addWidget(self.note)
        note_card.body.addWidget(self.note_message)
        self.body.addWidget(note_card)
        self.body.addStretch(1)
        self.continue_button = button("", "primary", "ContinueButton")
        self.continue_button.clicked.connect(self._submit)
        self.bottom.addWidget(self.continue_button)
        self._default_button = self.continue_button
        self.setTabOrder(self.edit, self.note)
        self.setTabOrder(self.note, self.continue_button)
        self._problem: Refusal | None = None
        self._prepared_for: PaymentFlow | None = None
        self.retranslate()

    # state -------------------------------------------------------------------------------------
    @property
    def fixed_amount(self) -> int | None:
        parsed = self.ctx.flow.parsed
        return locked_amount(parsed) if parsed is not None else None

    def on_enter(self) -> None:
        """A new QR arrives here from the payee screen; Back from Review keeps what was typed."""
        if self._prepared_for is not self.ctx.flow:
            self.prepare()
        (self.edit if self.fixed_amount is None else self.continue_button).setFocus()

    def prepare(self) -> None:
        parsed = self.ctx.flow.parsed
        self._prepared_for = self.ctx.flow
        fixed = self.fixed_amount
        # a sensible field: one digit more than the maximum has, so "too large" shows while typing
        self.edit.max_digits = min(MAX_AMOUNT_CHARS, len(str(self.ctx.settings.max_amount)) + 1)
        self.edit.setMaxLength(len(format_vnd(10 ** self.edit.max_digits - 1)))
        self.edit.setReadOnly(fixed is not None)
        self.edit.style().unpolish(self.edit)
        self.edit.style().polish(self.edit)
        for chip in self.chips:
            chip.setVisible(fixed is None)
        self.locked.setVisible(fixed is not None)
        suggested = fixed if fixed is not None else (parsed.amount if parsed is not None else None)
        self.tip_box.reset()
        self.tip_box.setVisible(parsed is not None and parsed.fee is not None and parsed.fee.kind == TIP_PROMPT)
        self.edit.set_value(suggested)
        self.note.setText(self.ctx.flow.choice.note if self.ctx.flow.choice is not None else "")
        self._show_note_problem()
        self._problem = None
        self._show_message()

    def show_paying(self, text: str | None) -> None:
        """The saved bill being paid, or None (a scanned QR)."""
        self.paying_label.setVisible(text is not None)
        if text is not None:
            self.paying_label.label.setText(text)

    def show_amount_due(self, amount: int | None, chip: str = "", caption: str = "", detail: str = "") -> None:
        """An EVN bill's amount due: ``caption``, a chip ``chip`` that fills the field with ``amount``
        (no chip when the bill is paid: ``amount`` 0) and ``detail`` under it; None hides it all."""
        box = self.due_box
        box.setVisible(amount is not None)
        self._due_amount = amount or 0
        if amount is None:
            return
        box.caption.setText(caption)
        box.chip.setVisible(amount > 0)
        box.chip.setText(chip)
        box.chip.setAccessibleName(f"{caption} {chip}")
        box.detail.setText(detail)

    def _due_chip_clicked(self) -> None:
        if self.due_box.isVisible() and self._due_amount > 0:
            self.edit.set_value(self._due_amount)
            self.edit.setFocus()

    def retranslate(self) -> None:
        t = self.ctx.t
        s = self.ctx.settings
        self.top.set_title(t("amount.title"))
        self.cancel_button.setText(t("common.cancel"))
        self.label.setText(t("amount.label"))
        self.edit.setPlaceholderText(t("amount.placeholder"))
        self.locked.setText("🔒 " + t("amount.locked"))
        self.limits.setText(t("amount.limits", min=format_vnd(s.min_amount), max=format_vnd(s.max_amount)))
        self.note_label.setText(t("amount.note"))
        self.note.setPlaceholderText(t("amount.note_placeholder"))
        self._show_note_problem()
        self.continue_button.setText(t("common.continue"))
        self.tip_box.caption.setText(t("amount.tip"))
        self.tip_box.edit.setPlaceholderText(t("amount.tip_other"))
        self._changed(self.edit.value(), clear=False)
        self._show_message()

    def _changed(self, value, clear: bool = True) -> None:
        self.words.setText(amount_in_words(value, self.ctx.lang) if value else "")
        self.tip_box.set_amount(value if self.fixed_amount is None else self.fixed_amount)
        if clear:
            # limit problems show as the payer types; "enter an amount" only when they try to go on
            problem = self.problem()
            self._problem = problem if problem is not None and problem.code != AMOUNT_REQUIRED else None
            self._show_message()

    def _show_note_problem(self) -> bool:
        """Show why the note cannot be signed (control or bidi characters...); True when it can."""
        problem = note_problem(self.note.text().strip())
        self.note_message.setText(problem.text(self.ctx.language.code) if problem else "")
        return problem is None

    def _show_cost(self) -> None:
        """The fee the QR adds (fixed or a percentage of the amount) or the tip chosen, and the total."""
        parsed, t = self.ctx.flow.parsed, self.ctx.t
        rule = parsed.fee if parsed is not None else None
        amount = self.fixed_amount if self.fixed_amount is not None else self.edit.value()
        text = ""
        if rule is not None and rule.kind != TIP_PROMPT:
            fee = fee_for(rule, amount or 0)
            values = {"fee": format_vnd(fee), "total": format_vnd((amount or 0) + fee),
                      "percent": (rule.percent_text or "").replace(".", ",")}
            text = t("amount.fee_fixed" if rule.kind == FIXED_FEE else "amount.fee_percent", **values)
        self.fee_line.setText(text)
        self.fee_line.setVisible(bool(text))
        tip = self.tip_box.tip()
        self.tip_box.total.setText(t("amount.tip_total", total=format_vnd((amount or 0) + tip)) if amount else "")

    def _show_message(self) -> None:
        self.message.setText(problem_text(self.ctx, self._problem) if self._problem is not None else "")
        self.message.setVisible(bool(self.message.text()))  # no empty line (and its spacing) above the fee

    def problem(self) -> Refusal | None:
        """Core's answer for what is in the field (the locked amount of a dynamic QR included)."""
        parsed = self.ctx.flow.parsed
        if parsed is None:
            return None
        value = None if self.fixed_amount is not None else self.edit.value()
        return amount_problem(parsed, value, self.ctx.limits, tip=self.tip_box.tip())

    def _submit(self) -> None:
        self._problem = self.problem()
        self._show_message()
        if self._problem is not None:
            if not self.edit.isReadOnly():
                self.edit.setFocus()  # the next digits go into the field, not nowhere
            return
        if not self._show_note_problem():
            self.note.setFocus()
            return
        self.ctx.flow.choice = PaymentChoice(
            amount=self.fixed_amount if self.fixed_amount is not None else self.edit.value(),
            note=self.note.text().strip(),
            tip=self.tip_box.tip(),
            name_check=self.ctx.flow.name_check,
        )
        self.continue_requested.emit()
