"""All user-visible text of the window, in Vietnamese (default) and English, switchable at run time.

The catalogue lives in ``resources/i18n/strings.json`` (``{"key": {"vi": ..., "en": ...}}``) so
translators edit data, not code. ``Language.text(key, **values)`` formats a string in the current
language; widgets re-read their texts when ``Language.changed`` fires.

Qt's own texts (file dialogs, the Cut/Copy/Paste menu of text fields, standard buttons) follow the
same language: ``QtTexts`` loads Qt's ``qtbase_<lang>`` catalogue from PySide6's translations folder
when it has one, and our ``resources/i18n/qt_<lang>.json`` for the strings it lacks (PySide6 ships
no ``qtbase_vi``).
"""

from __future__ import annotations

import json
from importlib import resources

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QObject, QTranslator, Signal

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


class _CatalogueTranslator(QTranslator):
    """Qt's own strings from ``{"Context": {"source": "translation"}}`` (resources/i18n/qt_<lang>.json)."""

    def __init__(self, texts: dict[str, dict[str, str]]):
        super().__init__()
        self.texts = texts

    def translate(self, context, source, disambiguation=None, n=-1):  # noqa: N802 - Qt API
        return self.texts.get(context or "", {}).get(source or "")

    def isEmpty(self) -> bool:  # noqa: N802 - Qt API
        return not self.texts


class QtTexts:
    """The translators that put Qt's own dialogs and menus in the window's language.

    One per application (``QtTexts.shared()``): translators are installed on the application, so a
    second set would outlive a language change."""

    _shared: QtTexts | None = None

    @classmethod
    def shared(cls) -> QtTexts:
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def __init__(self):
        self.installed: list[QTranslator] = []

    def apply(self, code: str) -> None:
        app = QCoreApplication.instance()
        if app is None:
            return
        for translator in self.installed:
            app.removeTranslator(translator)
        self.installed = []
        # Qt's file dialog names file types (from the MIME database), sizes and dates in the default locale
        QLocale.setDefault(QLocale(QLocale.Language.Vietnamese if code == "vi" else QLocale.Language.English))
        if code == "en":
            return  # Qt's source texts are English
        ours = _own_qt_texts(code)
        if ours:
            translator = _CatalogueTranslator(ours)
            app.installTranslator(translator)  # installed first: consulted last
            self.installed.append(translator)
        qtbase = QTranslator()
        if qtbase.load(f"qtbase_{code}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(qtbase)
            self.installed.append(qtbase)


def _own_qt_texts(code: str) -> dict[str, dict[str, str]]:
    try:
        data = resources.files("payer_app.resources").joinpath(f"i18n/qt_{code}.json").read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    return json.loads(data)
