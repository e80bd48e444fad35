"""What saving the Settings screen changes in a running window (``gui/main_window.py``).

The settings are written to the settings file (``gui/settings.py``), then only what changed is
renewed: the PIN checks, the payment service (a new acquirer, limits or kiosk history; in a kiosk, a
new acquirer opens a new visitor account there, ``startup_enrolment.KioskVisits``), the camera
the user picked, the mirror, the theme and the language. The window then says "saved" and goes back.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from payer_app.gui.context import PinGuard, operator_guard
from payer_app.gui.settings import Settings, save_settings


def pin_guard(settings: Settings) -> PinGuard:
    return PinGuard(settings.pin, settings.pin_attempts, settings.pin_lock_seconds)


class SettingsController(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ctx = window.ctx
        self.ctx.pin_guard = pin_guard(self.ctx.settings)
        self.ctx.operator_guard = operator_guard(self.ctx.settings)

    def apply(self, settings: Settings) -> None:
        ctx, window = self.ctx, self.window
        old = ctx.settings
        ctx.settings = settings
        save_settings(settings)
        if (settings.pin, settings.pin_attempts, settings.pin_lock_seconds) != (old.pin, old.pin_attempts,
                                                                                  old.pin_lock_seconds):
            ctx.pin_guard = pin_guard(settings)
        if settings.operator_pin_hash != old.operator_pin_hash:
            ctx.operator_guard = operator_guard(settings)
        picked = window.settings_screen.picked_camera
        if picked is not None:
            ctx.camera_spec = picked  # only a camera the user picked replaces --camera
        if (settings.acquirer_url, settings.min_amount, settings.max_amount, settings.kiosk_keep_history) != (
                old.acquirer_url, old.min_amount, old.max_amount, old.kiosk_keep_history):
            window.services.replace()
            if ctx.kiosk and settings.acquirer_url != old.acquirer_url:
                window.kiosk.visits.start()  # the account paid from is the old acquirer's: a new one there
        window.scan.preview.mirror = settings.mirror
        window.scan.mirror_button.setChecked(settings.mirror)
        if settings.theme != old.theme:
            window.apply_theme()
        if settings.language != ctx.language.code:
            ctx.language.set(settings.language)  # retranslates everything
        else:
            window.retranslate()
        window.toast.show_message(ctx.t("settings.saved"))
        window.back()
