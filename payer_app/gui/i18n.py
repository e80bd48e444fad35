"""All user-visible text of the window, in Vietnamese (default) and English, switchable at run time.

The catalogue lives in ``resources/i18n/strings.json`` (``{"key": {"vi": ..., "en": ...}}``) so
translators edit data, not code. ``Language.text(key, **values)`` formats a string in the current
language; widgets re-read their texts when ``Language.changed`` fires.
"""

from __future__ import annotations

import json
from importlib import resources

from PySide6.QtCore import QObject, Signal

LANGUAGES = ("vi", "en")


def load_catalogue() -> dict[str, dict[str, str]]:
    data = resources.files("payer_app.resources").joinpath("i18n/strings.json").read_text(encoding="utf-8")
    return json.loads(data)


class Language(QObject):
    """The current language and the text catalogue."""

    changed = Signal(str)

    def __init__(self, code: str = "vi", catalogue: dict[str, dict[str, str]] | None = None):
        super().__init__()
        if code not in LANGUAGES:
            raise ValueError(f"unknown language {code!r}; choose one of {', '.join(LANGUAGES)}")
        self.code = code
        self.catalogue = catalogue if catalogue is not None else load_catalogue()

    def set(self, code: str) -> None:
        if code not in LANGUAGES:
            raise ValueError(f"unknown language {code!r}; choose one of {', '.join(LANGUAGES)}")
        if code != self.code:
            self.code = code
            self.changed.emit(code)

    def text(self, key: str, **values) -> str:
        entry = self.catalogue.get(key)
        if entry is None:
            return key  # a missing key shows itself, so it is noticed, rather than crashing
        template = entry.get(self.code) or entry.get("vi") or key
        return template.format(**values) if values else template

    def pick(self, vi: str | None, en: str | None) -> str | None:
        """Choose between a Vietnamese and an English text that come from data (findings, banks...)."""
        return (vi or en) if self.code == "vi" else (en or vi)
