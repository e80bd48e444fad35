"""The window's settings, kept as JSON in the data folder (``settings.json``).

Unknown keys are ignored and bad values fall back to the defaults, so a hand-edited or older file
never stops the app from starting. The file is written with ``payer_app.files.write_file_atomically``
(mode 0600: it holds the operator PIN).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from payer_app.files import write_file_atomically
from payer_app.paths import data_file

SETTINGS_FILE = "settings.json"
DEFAULT_MIN_AMOUNT = 1_000
DEFAULT_MAX_AMOUNT = 499_999_999  # NAPAS 24/7 per-transaction cap


@dataclass
class Settings:
    language: str = "vi"
    theme: str = "light"
    camera: str = "demo"
    resolution: str = "1280x720"
    mirror: bool = False
    sound: bool = True
    acquirer_url: str = ""
    min_amount: int = DEFAULT_MIN_AMOUNT
    max_amount: int = DEFAULT_MAX_AMOUNT
    pin: str = "123456"  # the mock PIN; a simulator, not a bank
    pin_attempts: int = 3
    pin_lock_seconds: int = 30
    kiosk_idle_seconds: int = 60
    kiosk_result_seconds: int = 15
    kiosk_keep_history: bool = False
    kiosk_warning_seconds: int = 10  # the idle warning counts down this long before the reset
    operator_pin: str = "246810"  # kiosk: opens Settings; change it in settings.json for a real booth
    # network camera URLs used lately, newest first, never with their user:pass@ (gui.camera_urls)
    recent_camera_urls: list = field(default_factory=list)

    def validate(self) -> list[str]:
        """Problems with the values, as short English phrases (empty when all is well)."""
        problems = []
        if self.language not in ("vi", "en"):
            problems.append("language")
        if self.theme not in ("light", "dark"):
            problems.append("theme")
        if not (0 < self.min_amount <= self.max_amount):
            problems.append("limits")
        if not (len(self.pin) == 6 and self.pin.isdigit()):
            problems.append("pin")
        if not (len(self.operator_pin) == 6 and self.operator_pin.isdigit()):
            problems.append("operator pin")
        if self.kiosk_idle_seconds < 5 or self.kiosk_result_seconds < 1 or self.kiosk_warning_seconds < 1:
            problems.append("kiosk timers")
        if "x" not in self.resolution:
            problems.append("resolution")
        if self.acquirer_url and not self.acquirer_url.startswith(("http://", "https://")):
            problems.append("acquirer_url")
        return problems

    @property
    def frame_size(self) -> tuple[int, int]:
        try:
            w, h = self.resolution.lower().split("x")
            return int(w), int(h)
        except ValueError:
            return 1280, 720


def settings_path() -> Path:
    return data_file(SETTINGS_FILE)


def load_settings(path: Path | None = None) -> Settings:
    path = path or settings_path()
    defaults = Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return defaults
    if not isinstance(raw, dict):
        return defaults
    values = {}
    for f in fields(Settings):
        if f.name in raw and isinstance(raw[f.name], type(getattr(defaults, f.name))):
            values[f.name] = raw[f.name]
    loaded = Settings(**values)
    from payer_app.gui.camera_urls import clean_recent

    loaded.recent_camera_urls = clean_recent(loaded.recent_camera_urls)
    return loaded if not loaded.validate() else _keep_valid(loaded, defaults)


# each problem ``Settings.validate`` names, and the fields that go back to their defaults for it
FIELDS_OF_PROBLEM = {
    "language": ("language",),
    "theme": ("theme",),
    "limits": ("min_amount", "max_amount"),
    "pin": ("pin",),
    "operator pin": ("operator_pin",),
    "kiosk timers": ("kiosk_idle_seconds", "kiosk_result_seconds", "kiosk_warning_seconds"),
    "resolution": ("resolution",),
    "acquirer_url": ("acquirer_url",),
}


def _keep_valid(loaded: Settings, defaults: Settings) -> Settings:
    """Reset only the groups of values that are wrong."""
    for problem in loaded.validate():
        for name in FIELDS_OF_PROBLEM[problem]:
            setattr(loaded, name, getattr(defaults, name))
    return loaded


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(asdict(settings), ensure_ascii=False, indent=1)
    write_file_atomically(path, text.encode("utf-8"), 0o600)  # 0600: it holds the operator PIN
    return path
