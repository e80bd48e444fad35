"""The text catalogue: every key the window uses exists, in Vietnamese and in English."""

from __future__ import annotations

import json
import re
from pathlib import Path

from payer_app.gui.i18n import LANGUAGES, Language, load_catalogue

GUI = Path(__file__).resolve().parents[1] / "payer_app" / "gui"
RESOURCES = Path(__file__).resolve().parents[1] / "resources"
# keys built at run time from a value: the families and the values they take
DYNAMIC = {
    "result.": ("approved", "pending", "declined", "failed", "rejected"),
    "problem.": ("key-not-enrolled", "key-revoked", "key-retired", "acquirer-unavailable", "payment-error",
                 "service-unavailable"),
    "settings.invalid.": ("limits", "acquirer_url", "kiosk_timers", "resolution", "language", "theme"),
    "scheme.": ("vietqr", "vnpay", "evn", "emvco"),
    "status.": ("approved", "declined", "pending", "rejected"),
}


def used_keys() -> set[str]:
    pattern = re.compile(r"""(?:\bt|\.text|_set_hint|_set_status|show_message)\(\s*["']([a-z_]+\.[a-z_]+)["']""")
    keys = set()
    for path in GUI.rglob("*.py"):
        keys.update(pattern.findall(path.read_text(encoding="utf-8")))
    keys.update(re.findall(r"""["']((?:payee|amount|settings|inspector)\.[a-z_]+)["']""",
                           "".join(p.read_text(encoding="utf-8") for p in GUI.rglob("*.py"))))
    for prefix, values in DYNAMIC.items():
        keys.update(prefix + v for v in values)
    return keys


def test_every_used_key_exists_in_both_languages():
    catalogue = load_catalogue()
    keys = used_keys()
    assert len(keys) > 80
    missing = sorted(k for k in keys if k not in catalogue)
    missing = [k for k in missing if k != "settings.json"]  # the settings file name, not a text
    assert not missing, missing
    for key, entry in catalogue.items():
        for lang in LANGUAGES:
            assert entry.get(lang), f"{key} has no {lang} text"


def test_placeholders_match_between_languages():
    field = re.compile(r"\{(\w+)\}")
    for key, entry in load_catalogue().items():
        assert set(field.findall(entry["vi"])) == set(field.findall(entry["en"])), key


def test_language_switch_and_missing_key():
    lang = Language("vi", catalogue={"pin.wrong": {"vi": "Còn {left} lần", "en": "{left} left"},
                                     "only.vi": {"vi": "chỉ tiếng Việt", "en": ""}})
    seen = []
    lang.changed.connect(seen.append)
    assert lang.text("pin.wrong", left=2) == "Còn 2 lần"
    lang.set("en")
    assert lang.text("pin.wrong", left=2) == "2 left"
    assert seen == ["en"]
    assert lang.text("only.vi") == "chỉ tiếng Việt"  # no English yet: the Vietnamese text
    assert lang.text("no.such_key") == "no.such_key"
    assert lang.pick("tiếng Việt", "English") == "English"


def test_qt_own_dialogs_and_menus_follow_the_window_language(make_window):
    """Qt's file dialog and the Cut/Copy/Paste menu of a text field are in Vietnamese in the
    Vietnamese window (PySide6 has no qtbase_vi: our qt_vi.json fills in), English in English."""
    from PySide6.QtWidgets import QFileDialog, QLineEdit

    window = make_window(camera="demo", lang="en")
    ours = json.loads((RESOURCES / "i18n" / "qt_vi.json").read_text(encoding="utf-8"))
    vietnamese = {source: text for context in ours.values() for source, text in context.items()}

    def dialog_texts():
        dialog = QFileDialog(window)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        texts = (dialog.labelText(QFileDialog.DialogLabel.LookIn), dialog.labelText(QFileDialog.DialogLabel.FileName),
                 dialog.labelText(QFileDialog.DialogLabel.Accept), dialog.labelText(QFileDialog.DialogLabel.Reject))
        dialog.deleteLater()
        return texts

    def menu_texts():
        edit = QLineEdit("x")
        menu = edit.createStandardContextMenu()
        texts = [a.text().split("\t")[0] for a in menu.actions() if a.text()]
        menu.deleteLater()
        return texts

    english_dialog, english_menu = dialog_texts(), menu_texts()
    assert english_dialog == ("&Look in:", "File &name:", "&Save", "Cancel")  # Qt's own source texts
    assert "&Copy" in english_menu
    window.set_language("vi")
    assert dialog_texts() == tuple(vietnamese[text] for text in english_dialog)
    assert menu_texts() == [vietnamese[text] for text in english_menu]
    window.set_language("en")
    assert menu_texts() == english_menu
