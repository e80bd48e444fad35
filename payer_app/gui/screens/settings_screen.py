"""Settings: camera, resolution, mirror, sound, language, theme, acquirer URL and key enrolment there,
limits, kiosk options (the receipt printer among them) and the kiosk operator PIN (typed twice; kept
as a salted hash, see ``core.operator_pin``; left empty, the PIN stays as it is).

Saving changes only what the user changed: the camera given with ``--camera`` stays unless another
camera is picked here; a wheel turned over a field that has no focus scrolls the page and changes
nothing; a bad value is named next to its field, in the window's language.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QLocale, QObject, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from payer_app.core.display_text import visible
from payer_app.core.operator_pin import PIN_LENGTH, hash_pin, is_stored_pin, pin_problem
from payer_app.core.refusals import Refusal
from payer_app.gui.camera_urls import (
    camera_choices,
    camera_url_problem,
    camera_url_reason,
    remembered,
    without_credentials,
)
from payer_app.gui.components import Card, Page, button, column, plain_label, set_role
from payer_app.gui.context import AppContext
from payer_app.gui.payment_runner import PaymentRunner
from payer_app.gui.receipt_actions import PDF_FILE_PRINTER, printer_names
from payer_app.gui.settings import Settings
from payer_app.scan.network_source import is_network_url

RESOLUTIONS = ("640x480", "1280x720", "1920x1080")


class _WheelNeedsFocus(QObject):
    """A wheel over a spin box or combo box without keyboard focus goes to the page (it scrolls)."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Wheel and not obj.hasFocus():
            event.ignore()
            return True
        return False


class SettingsScreen(Page):
    """Edits a copy of the settings; ``saved(Settings)`` when the user saves valid values.

    ``picked_camera`` is the camera the user chose here (None when the camera was left alone)."""

    saved = Signal(object)

    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True)
        self.ctx = ctx
        card = Card(spacing=10)
        # one column: each caption spans the card above its field, every row spaced the same
        self.form = QVBoxLayout()
        self.form.setSpacing(12)
        self.form.setContentsMargins(0, 0, 0, 0)
        card.body.addLayout(self.form)
        self.body.addWidget(card)
        self.body.addStretch(1)

        self.language = QComboBox()
        self.language.setObjectName("LanguageBox")
        self.language.addItem("Tiếng Việt", "vi")
        self.language.addItem("English", "en")
        self.theme = QComboBox()
        self.theme.setObjectName("ThemeBox")
        self.camera = QComboBox()
        self.camera.setObjectName("CameraBox")
        self.camera.setEditable(True)
        self.resolution = QComboBox()
        self.resolution.setObjectName("ResolutionBox")
        self.resolution.addItems(RESOLUTIONS)
        self.mirror = QCheckBox()
        self.mirror.setObjectName("MirrorBox")
        self.sound = QCheckBox()
        self.sound.setObjectName("SoundBox")
        self.acquirer = QLineEdit()
        self.acquirer.setObjectName("AcquirerEdit")
        self.acquirer.setPlaceholderText("http://127.0.0.1:8765")
        self._build_enrolment()
        self.min_amount = QSpinBox()
        self.min_amount.setObjectName("MinAmountBox")
        self.max_amount = QSpinBox()
        self.max_amount.setObjectName("MaxAmountBox")
        for box in (self.min_amount, self.max_amount):
            box.setRange(1, 2_000_000_000)
            box.setGroupSeparatorShown(True)
            box.setLocale(QLocale(QLocale.Language.Vietnamese, QLocale.Country.Vietnam))
            box.setSingleStep(1000)
        self.kiosk_idle = QSpinBox()
        self.kiosk_idle.setObjectName("KioskIdleBox")
        self.kiosk_idle.setRange(5, 3600)
        self.kiosk_result = QSpinBox()
        self.kiosk_result.setObjectName("KioskResultBox")
        self.kiosk_result.setRange(1, 600)
        self.kiosk_history = QCheckBox()
        self.kiosk_history.setObjectName("KioskHistoryBox")
        self.printer = QComboBox()  # the kiosk's receipt printer: none, a PDF file, or a printer Qt lists
        self.printer.setObjectName("ReceiptPrinterBox")
        self.operator_pin = self._pin_edit("OperatorPinEdit")
        self.operator_pin_again = self._pin_edit("OperatorPinAgainEdit")
        self._guard_from_the_wheel(self.language, self.theme, self.camera, self.resolution, self.min_amount,
                                   self.max_amount, self.kiosk_idle, self.kiosk_result, self.printer)
        self.labels: dict[str, QLabel | QCheckBox] = {}
        self.field_errors: dict[str, QLabel] = {}
        self.fields: dict[str, QWidget] = {}
        for key, widget in (
            ("settings.language", self.language), ("settings.theme", self.theme),
            ("settings.camera", self.camera), ("settings.resolution", self.resolution),
            ("settings.mirror", self.mirror), ("settings.sound", self.sound),
            ("settings.acquirer_url", self.acquirer), ("settings.enrol_code", self.enrol_code),
            ("settings.limit_min", self.min_amount),
            ("settings.limit_max", self.max_amount), ("settings.kiosk_idle", self.kiosk_idle),
            ("settings.kiosk_result", self.kiosk_result), ("settings.kiosk_history", self.kiosk_history),
            ("settings.receipt_printer", self.printer),
            ("settings.operator_pin", self.operator_pin), ("settings.operator_pin_again", self.operator_pin_again),
        ):
            self._add_row(key, widget)
        self._build_new_day(card)
        self.message = plain_label("", "error")
        self.body.insertWidget(1, self.message)
        self.save_button = button("", "primary", "SaveSettingsButton")
        self.save_button.clicked.connect(self.save)
        self.bottom.addWidget(self.save_button)
        self._default_button = self.save_button
        self._cameras: list[tuple[str, str]] = []
        self._shown_camera: str | None = None
        self._problems: dict[str, tuple[str, dict]] = {}
        self.retranslate()

    def _build_enrolment(self) -> None:
        """Enrolment of the payer's key at the HTTP acquirer (its operator gives the code), run by a
        ``PaymentRunner`` off the GUI thread."""
        self.enrol_code = QLineEdit()
        self.enrol_code.setObjectName("EnrolCodeEdit")
        self.enrol_button = button("", "secondary", "EnrolButton")
        self.enrol_button.clicked.connect(self.enrol)
        for touch in (self.enrol_code, self.enrol_button):
            touch.setMinimumHeight(44)  # a finger's size, and never squashed below its text
        self.enrol_status = plain_label("", "hint")
        self.enrol_status.setObjectName("EnrolStatus")
        # the enrolled key's id is technical: in a read-only field of its own (selectable, clipped to
        # the field's width), never inside the sentence
        self.enrol_key_caption = plain_label("", "caption")
        self.enrol_key = QLineEdit()
        self.enrol_key.setObjectName("EnrolKeyId")
        self.enrol_key.setReadOnly(True)
        self.enrol_key.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        for widget in (self.enrol_key_caption, self.enrol_key):
            widget.hide()
        self.enrolment = PaymentRunner(self)
        self.enrolment.finished.connect(self._enrolled)
        self.enrolment.failed.connect(self._enrol_failed)
        self._enrol_message: tuple[str, str, str] | None = None  # (role, vi, en)

    def _build_new_day(self, card: Card) -> None:
        """The operator's "new day" (kiosk only: these Settings are behind the operator PIN), at the
        acquirer in use with its enrolment code (the code field above, else the one given at start)."""
        self.new_day_button = button("", "secondary", "NewDayButton")
        self.new_day_button.clicked.connect(self.new_day)
        self.new_day_status = plain_label("", "hint")
        self.new_day_status.setObjectName("NewDayStatus")
        self.new_day_runner = PaymentRunner(self)
        self.new_day_runner.finished.connect(lambda done: self._new_day_said(
            "ok", self.ctx.t("settings.new_day_done", count=done.get("approved", 0))))
        self.new_day_runner.failed.connect(lambda refusal: self._new_day_said(
            "error", refusal.text(self.ctx.language.code)))
        for widget in (self.new_day_button, self.new_day_status):
            widget.setVisible(self.ctx.kiosk)
            card.body.addWidget(widget)

    def new_day(self) -> None:
        service = self.ctx.service
        if service is None or self.new_day_runner.busy:
            return
        code = self.ctx.operator_token  # the operator's, never the booth's shared code
        url = self.ctx.settings.acquirer_url or None
        self.new_day_runner.start(lambda: service.new_day(code, url))
        self._new_day_said("hint", self.ctx.t("settings.new_day_running"))

    def _new_day_said(self, role: str, text: str) -> None:
        self.new_day_button.setEnabled(not self.new_day_runner.busy)
        set_role(self.new_day_status, role)
        self.new_day_status.setText(text)

    def _pin_edit(self, name: str) -> QLineEdit:
        """A field for the operator PIN: digits only, never shown."""
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setMaxLength(PIN_LENGTH)
        edit.setValidator(QRegularExpressionValidator(QRegularExpression(f"[0-9]{{0,{PIN_LENGTH}}}"), edit))
        return edit

    def _guard_from_the_wheel(self, *fields: QWidget) -> None:
        """A wheel over one of ``fields`` changes it only when it has the focus (and gives no focus)."""
        self._wheel_guard = _WheelNeedsFocus(self)
        for field in fields:
            field.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            field.installEventFilter(self._wheel_guard)

    def _add_row(self, key: str, widget: QWidget) -> None:
        """One row of the form: the caption above the field and its error below it (a check box
        carries its own text); the enrolment field has its button and status under it."""
        if isinstance(widget, QCheckBox):
            self.labels[key] = widget
            self.form.addWidget(widget)
            return
        label = plain_label("", "caption")
        self.labels[key] = label
        field = QWidget()
        col = column(field)
        col.addWidget(label)
        col.addWidget(widget)
        error = plain_label("", "error")
        error.setObjectName("FieldError")
        error.hide()
        col.addWidget(error)
        self.field_errors[key] = error
        self.fields[key] = widget
        if widget is self.enrol_code:
            col.addWidget(self.enrol_button)
            col.addWidget(self.enrol_status)
            col.addWidget(self.enrol_key_caption)
            col.addWidget(self.enrol_key)
        self.form.addWidget(field)

    def retranslate(self) -> None:
        t = self.ctx.t
        self.top.set_title(t("settings.title"))
        for key, label in self.labels.items():
            label.setText(t(key))
        current_theme = self.theme.currentData() or self.ctx.settings.theme
        self.theme.clear()
        self.theme.addItem(t("settings.theme_light"), "light")
        self.theme.addItem(t("settings.theme_dark"), "dark")
        self.theme.setCurrentIndex(max(0, self.theme.findData(current_theme)))
        self.save_button.setText(t("settings.save"))
        self.camera.setToolTip(t("camera_url.no_password_saved"))  # a typed URL is kept without user:pass@
        self.enrol_button.setText(t("settings.enrol"))
        self.enrol_key_caption.setText(t("settings.enrolled_key"))
        self.new_day_button.setText(t("settings.new_day"))
        self.new_day_button.setToolTip(t("settings.new_day_hint"))
        self.enrol_code.setPlaceholderText(t("settings.enrol_code_hint"))
        pin_set = is_stored_pin(self.ctx.settings.operator_pin_hash)
        self.operator_pin.setPlaceholderText(
            t("settings.operator_pin_set" if pin_set else "settings.operator_pin_none")
        )
        self._show_enrol_message()
        self._show_problems()

    def _fill_printers(self, selected: str) -> None:
        """The receipt printer box: none, a PDF file in the export folder, then every printer Qt lists
        now; a saved printer that is not there is kept, marked as missing."""
        t = self.ctx.t
        self.printer.clear()
        self.printer.addItem(t("settings.printer_none"), "")
        self.printer.addItem(t("settings.printer_pdf_file"), PDF_FILE_PRINTER)
        for name in printer_names():
            self.printer.addItem(visible(name, 80), name)
        if self.printer.findData(selected) < 0:
            self.printer.addItem(t("settings.printer_missing", printer=visible(selected, 80)), selected)
        self.printer.setCurrentIndex(self.printer.findData(selected))

    def set_cameras(self, cameras: list[tuple[str, str]]) -> None:
        self._cameras = cameras

    def on_enter(self) -> None:
        self.load()
        self.language.setFocus()

    def load(self) -> None:
        s = self.ctx.settings
        self.language.setCurrentIndex(max(0, self.language.findData(s.language)))
        self.theme.setCurrentIndex(max(0, self.theme.findData(s.theme)))
        # the camera in use (``--camera`` or the saved one) is what the box shows
        in_use = self.ctx.camera_spec
        self.camera.clear()
        demo = self.ctx.t("scan.demo_camera")
        for spec, label in camera_choices(demo, self._cameras, s.recent_camera_urls, in_use):
            self.camera.addItem(label, spec)
        self.camera.setCurrentIndex(self.camera.findData(in_use))
        self._shown_camera = in_use
        self.resolution.setCurrentText(s.resolution)
        self.mirror.setChecked(s.mirror)
        self.sound.setChecked(s.sound)
        self.acquirer.setText(s.acquirer_url)
        self.min_amount.setValue(s.min_amount)
        self.max_amount.setValue(s.max_amount)
        self.kiosk_idle.setValue(s.kiosk_idle_seconds)
        self.kiosk_result.setValue(s.kiosk_result_seconds)
        self.kiosk_history.setChecked(s.kiosk_keep_history)
        self._fill_printers(s.receipt_printer)
        self.operator_pin.clear()
        self.operator_pin_again.clear()
        self.operator_pin.setPlaceholderText(self.ctx.t(
            "settings.operator_pin_set" if is_stored_pin(s.operator_pin_hash) else "settings.operator_pin_none"))
        self.enrol_code.clear()
        self._enrol_message = None
        self._show_enrol_message()
        for widget in (self.enrol_key_caption, self.enrol_key):
            widget.hide()
        self.message.setText("")
        self._problems = {}
        self._show_problems()

    @property
    def picked_camera(self) -> str | None:
        """The camera chosen here, or None when the one in use was left as it was."""
        camera = self.camera.currentData()
        if camera is None or self.camera.currentText() != self.camera.itemText(self.camera.currentIndex()):
            camera = self.camera.currentText().strip() or "demo"  # typed by hand
        return None if camera == self._shown_camera else camera

    def edited(self) -> Settings:
        picked = self.picked_camera
        recent = self.ctx.settings.recent_camera_urls
        if picked is not None and is_network_url(picked):
            # settings.json is a plain file: a URL is kept without its user:pass@ (gui.camera_urls)
            recent = remembered(recent, picked)
            picked = without_credentials(picked)
        return replace(
            self.ctx.settings,
            language=self.language.currentData(),
            theme=self.theme.currentData(),
            camera=picked if picked is not None else self.ctx.settings.camera,
            recent_camera_urls=recent,
            resolution=self.resolution.currentText(),
            mirror=self.mirror.isChecked(),
            sound=self.sound.isChecked(),
            acquirer_url=self.acquirer.text().strip(),
            min_amount=self.min_amount.value(),
            max_amount=self.max_amount.value(),
            kiosk_idle_seconds=self.kiosk_idle.value(),
            kiosk_result_seconds=self.kiosk_result.value(),
            kiosk_keep_history=self.kiosk_history.isChecked(),
            receipt_printer=self.printer.currentData() if self.printer.count() else self.ctx.settings.receipt_printer,
            operator_pin_hash=self._new_operator_pin_hash(),
        )

    def _new_operator_pin_hash(self) -> str:
        """The hash of the operator PIN typed here (twice, checked by ``save``); the PIN kept as it
        was when both fields are empty or do not agree."""
        pin, again = self.operator_pin.text(), self.operator_pin_again.text()
        if not pin or pin != again or pin_problem(pin):
            return self.ctx.settings.operator_pin_hash
        return hash_pin(pin)

    def _operator_pin_problem(self) -> tuple[str, str] | None:
        """(field, catalogue key) when the operator PIN fields are filled in wrongly, else None."""
        pin, again = self.operator_pin.text(), self.operator_pin_again.text()
        if not pin and not again:
            return None
        if pin_problem(pin):
            return "settings.operator_pin", "settings.invalid.operator_pin"
        if pin != again:
            return "settings.operator_pin_again", "settings.invalid.operator_pin_again"
        return None

    # validation: each problem next to its field ------------------------------------------------
    _FIELD_OF = {"limits": "settings.limit_max", "acquirer_url": "settings.acquirer_url",
                 "kiosk timers": "settings.kiosk_idle", "resolution": "settings.resolution",
                 "language": "settings.language", "theme": "settings.theme"}

    def _show_problems(self) -> None:
        for key, error in self.field_errors.items():
            problem = self._problems.get(key)
            error.setText(self.ctx.t(problem[0], **problem[1]) if problem else "")
            error.setVisible(problem is not None)
        self.message.setText(self.ctx.t("settings.fix_fields") if self._problems else "")

    def save(self) -> bool:
        self._problems = {}
        settings = self.edited()
        for problem in settings.validate():
            field = self._FIELD_OF.get(problem)
            if field is not None:
                self._problems[field] = (f"settings.invalid.{problem.replace(' ', '_')}", {})
        pin_problem_here = self._operator_pin_problem()
        if pin_problem_here is not None:
            self._problems[pin_problem_here[0]] = (pin_problem_here[1], {})
        picked = self.picked_camera
        if picked is not None and is_network_url(picked) and camera_url_problem(picked) is not None:
            why = camera_url_reason(self.ctx.t, picked)
            self._problems["settings.camera"] = ("camera_url.invalid", {"problem": why})
        self._show_problems()
        if self._problems:
            first = next(iter(self._problems))
            self.fields[first].setFocus()
            return False
        self.saved.emit(settings)
        return True

    # enrolment at the HTTP acquirer --------------------------------------------------------------
    def enrol(self) -> None:
        """Enrol the payer's current key at the acquirer typed above, with the operator's code."""
        url = self.acquirer.text().strip()
        service = self.ctx.service
        if not url.startswith(("http://", "https://")):
            self._enrol_message = ("error", self.ctx.t("settings.enrol_needs_url"), "")
        elif service is None or self.enrolment.busy:
            return
        else:
            self._enrol_message = ("hint", self.ctx.t("settings.enrolling"), "")
            self.enrol_button.setEnabled(False)
            self.enrolment.enrol(service, self.enrol_code.text().strip(), url)
        self._show_enrol_message()

    def _enrolled(self, result) -> None:
        """Said in the payer's words; the key id goes to its own field (``payer-app keys`` shows it too)."""
        self.enrol_button.setEnabled(True)
        self._enrol_message = ("ok", self.ctx.t("settings.enrolled" if result.created else "settings.enrolled_before"),
                               "")
        self._show_enrol_message()
        self.enrol_key.setText(result.kid)
        self.enrol_key.setCursorPosition(0)
        self.enrol_key.setToolTip(result.kid)
        for widget in (self.enrol_key_caption, self.enrol_key):
            widget.show()

    def _enrol_failed(self, refusal: Refusal) -> None:
        self.enrol_button.setEnabled(True)
        key = f"settings.enrol_error.{refusal.code}"
        if key in self.ctx.language.catalogue:
            self._enrol_message = ("error", self.ctx.t(key), "")
        else:
            self._enrol_message = ("error", refusal.text("vi"), refusal.text("en"))
        self._show_enrol_message()

    def _show_enrol_message(self) -> None:
        if self._enrol_message is None:
            self.enrol_status.setText("")
            self.enrol_status.hide()
            return
        role, vi, en = self._enrol_message
        set_role(self.enrol_status, role)
        self.enrol_status.setText(self.ctx.language.pick(vi, en or vi) or "")
        self.enrol_status.show()
