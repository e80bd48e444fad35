"""Settings: camera, resolution, mirror, sound, language, theme, acquirer URL, limits, kiosk options."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QLocale, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLineEdit, QSpinBox

from payer_app.gui.components import Card, Screen, button, plain_label
from payer_app.gui.context import AppContext
from payer_app.gui.plain_text import shown
from payer_app.gui.settings import Settings

RESOLUTIONS = ("640x480", "1280x720", "1920x1080")


class SettingsScreen(Screen):
    """Edits a copy of the settings; ``saved(Settings)`` when the user saves valid values."""

    saved = Signal(object)

    def __init__(self, ctx: AppContext):
        super().__init__(show_back=True)
        self.ctx = ctx
        card = Card(spacing=10)
        self.form = QFormLayout()
        self.form.setSpacing(10)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
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
        self.resolution.addItems(RESOLUTIONS)
        self.mirror = QCheckBox()
        self.sound = QCheckBox()
        self.acquirer = QLineEdit()
        self.acquirer.setObjectName("AcquirerEdit")
        self.acquirer.setPlaceholderText("http://127.0.0.1:8765")
        self.min_amount = QSpinBox()
        self.max_amount = QSpinBox()
        for box in (self.min_amount, self.max_amount):
            box.setRange(1, 2_000_000_000)
            box.setGroupSeparatorShown(True)
            box.setLocale(QLocale(QLocale.Language.Vietnamese, QLocale.Country.Vietnam))
            box.setSingleStep(1000)
        self.kiosk_idle = QSpinBox()
        self.kiosk_idle.setRange(5, 3600)
        self.kiosk_result = QSpinBox()
        self.kiosk_result.setRange(1, 600)
        self.kiosk_history = QCheckBox()
        self.labels = {}
        for key, widget in (
            ("settings.language", self.language), ("settings.theme", self.theme),
            ("settings.camera", self.camera), ("settings.resolution", self.resolution),
            ("settings.mirror", self.mirror), ("settings.sound", self.sound),
            ("settings.acquirer_url", self.acquirer), ("settings.limit_min", self.min_amount),
            ("settings.limit_max", self.max_amount), ("settings.kiosk_idle", self.kiosk_idle),
            ("settings.kiosk_result", self.kiosk_result), ("settings.kiosk_history", self.kiosk_history),
        ):
            if isinstance(widget, QCheckBox):
                self.labels[key] = widget  # a check box carries its own text
                self.form.addRow(widget)
                continue
            label = plain_label("", "caption")
            self.labels[key] = label
            self.form.addRow(label, widget)
        self.message = plain_label("", "error")
        self.body.insertWidget(1, self.message)
        self.save_button = button("", "primary", "SaveSettingsButton")
        self.save_button.clicked.connect(self.save)
        self.bottom.addWidget(self.save_button)
        self._cameras: list[tuple[str, str]] = []
        self.retranslate()

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

    def set_cameras(self, cameras: list[tuple[str, str]]) -> None:
        self._cameras = cameras

    def entered(self) -> None:
        self.load()

    def load(self) -> None:
        s = self.ctx.settings
        self.language.setCurrentIndex(max(0, self.language.findData(s.language)))
        self.theme.setCurrentIndex(max(0, self.theme.findData(s.theme)))
        self.camera.clear()
        self.camera.addItem(self.ctx.t("scan.demo_camera"), "demo")
        for spec, label in self._cameras:
            self.camera.addItem(shown(label), spec)
        index = self.camera.findData(s.camera)
        if index < 0:
            self.camera.addItem(shown(s.camera), s.camera)
            index = self.camera.count() - 1
        self.camera.setCurrentIndex(index)
        self.resolution.setCurrentText(s.resolution)
        self.mirror.setChecked(s.mirror)
        self.sound.setChecked(s.sound)
        self.acquirer.setText(s.acquirer_url)
        self.min_amount.setValue(s.min_amount)
        self.max_amount.setValue(s.max_amount)
        self.kiosk_idle.setValue(s.kiosk_idle_seconds)
        self.kiosk_result.setValue(s.kiosk_result_seconds)
        self.kiosk_history.setChecked(s.kiosk_keep_history)
        self.message.setText("")

    def edited(self) -> Settings:
        camera = self.camera.currentData()
        if camera is None or self.camera.currentText() != self.camera.itemText(self.camera.currentIndex()):
            camera = self.camera.currentText().strip() or "demo"
        return replace(
            self.ctx.settings,
            language=self.language.currentData(),
            theme=self.theme.currentData(),
            camera=camera,
            resolution=self.resolution.currentText(),
            mirror=self.mirror.isChecked(),
            sound=self.sound.isChecked(),
            acquirer_url=self.acquirer.text().strip(),
            min_amount=self.min_amount.value(),
            max_amount=self.max_amount.value(),
            kiosk_idle_seconds=self.kiosk_idle.value(),
            kiosk_result_seconds=self.kiosk_result.value(),
            kiosk_keep_history=self.kiosk_history.isChecked(),
        )

    def save(self) -> bool:
        settings = self.edited()
        problems = settings.validate()
        url = settings.acquirer_url
        if url and not url.startswith(("http://", "https://")):
            problems.append("acquirer URL")
        if problems:
            self.message.setText(self.ctx.t("settings.bad_value", what=", ".join(problems)))
            return False
        self.message.setText("")
        self.saved.emit(settings)
        return True
