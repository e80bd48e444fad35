"""The window's settings, kept as JSON in the data folder (``settings.json``).

The file is outside input: ``read_settings`` reads it through ``payer_app.files.read_regular_file``
under the key-file rules (no symbolic link followed, a FIFO or a device refused without being
opened, at most ``MAX_SETTINGS_BYTES``, refused when it is another user's or others can change it),
then strict JSON (``core.safe_json``). A refused or unreadable file gives the default settings and
one line naming the file and the reason (the window shows it, ``payer-app gui`` prints it). Unknown
keys are ignored and bad values fall back to their defaults one group at a time.

The kiosk operator PIN is kept only as a salted scrypt hash (``operator_pin_hash``,
``core.operator_pin``); there is no default PIN: without a valid hash a kiosk's Settings stay locked.
The file is written with ``payer_app.files.write_file_atomically``, mode 0600.
"""

from __future__ import annotations

import errno
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from payer_app.core.display_text import visible
from payer_app.core.operator_pin import is_stored_pin
from payer_app.core.payability import DEFAULT_MAX_AMOUNT, DEFAULT_MIN_AMOUNT
from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted
from payer_app.files import UnsafeFileError, read_regular_file, write_file_atomically
from payer_app.paths import data_file

SETTINGS_FILE = "settings.json"
MAX_SETTINGS_BYTES = 64 * 1024  # a saved settings file is under 1 kB


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
    # kiosk: the operator PIN that opens Settings, as core.operator_pin.hash_pin made it ("": none set,
    # Settings locked); set with `payer-app settings operator-pin`
    operator_pin_hash: str = ""
    # network camera URLs used lately, newest first, never with their user:pass@ (gui.camera_urls)
    recent_camera_urls: list = field(default_factory=list)
    # kiosk: the printer the receipt goes to (a QPrinter name, no dialog shown); "": none, the kiosk shows
    # the receipt QR for the visitor's phone instead (gui.receipt_actions)
    receipt_printer: str = ""

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
        if self.operator_pin_hash and not is_stored_pin(self.operator_pin_hash):
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
    """The settings (the defaults when the file is missing or refused); ``read_settings`` also says why."""
    return read_settings(path)[0]


@dataclass(frozen=True)
class SettingsRefusal:
    """Why ``settings.json`` was not used: ``line`` (one English line naming the file, escaped, and
    the reason; ``str()`` gives it), ``reason`` (``payer_app.files.UnsafeFileError.reason``, or
    ``not-json``: the window says it in its language) and ``file`` (the file name, escaped)."""

    line: str
    reason: str
    file: str

    def __str__(self) -> str:
        return self.line


def read_settings(path: Path | None = None) -> tuple[Settings, SettingsRefusal | None]:
    """(the settings, None), or (the default settings, why the file was not used). A missing file
    is a first start: the defaults and no refusal."""
    path = path or settings_path()
    defaults = Settings()
    shown = visible(str(path))
    try:
        data = read_regular_file(path, MAX_SETTINGS_BYTES, "the settings file", own=True,
                                 fix="Remove it; it is written again when you save the settings.")
        raw = loads_untrusted(data, max_bytes=MAX_SETTINGS_BYTES, max_depth=4, what="it")
    except UnsafeFileError as exc:
        if exc.errno == errno.ENOENT:
            return defaults, None
        line = str(exc) if str(exc).endswith(".") else f"{exc}."
        return defaults, SettingsRefusal(line, exc.reason, shown)
    except UntrustedJSONError as exc:
        return defaults, SettingsRefusal(f"the settings file {shown} cannot be used: {exc}.", "not-json", shown)
    if not isinstance(raw, dict):
        return defaults, SettingsRefusal(f"the settings file {shown} does not hold a JSON object.", "not-json", shown)
    values = {}
    for f in fields(Settings):
        if f.name in raw and isinstance(raw[f.name], type(getattr(defaults, f.name))):
            values[f.name] = raw[f.name]
    loaded = Settings(**values)
    from payer_app.gui.camera_urls import clean_recent

    loaded.recent_camera_urls = clean_recent(loaded.recent_camera_urls)
    return (loaded if not loaded.validate() else _keep_valid(loaded, defaults)), None


# each problem ``Settings.validate`` names, and the fields that go back to their defaults for it
FIELDS_OF_PROBLEM = {
    "language": ("language",),
    "theme": ("theme",),
    "limits": ("min_amount", "max_amount"),
    "pin": ("pin",),
    "operator pin": ("operator_pin_hash",),
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
    write_file_atomically(path, text.encode("utf-8"), 0o600)  # 0600: the operator PIN's hash is in it
    return path
