"""Names that look alike: a saved bill called "Điện nhà mẹ" with a Cyrillic "е" in it looks the same
as the real one on screen but can pay someone else.

Two checks, in the spirit of Unicode TR39 (its data is not in Python's standard library, so the
look-alike table below is a small one of our own, covering the letters that stand in for Latin and
Vietnamese letters):

- ``skeleton(name)``: what a name looks like. NFKC (full-width and styled letters become plain
  ones), default-ignorable characters removed, case-folded, NFD (so Vietnamese marks are kept, as
  marks), look-alike letters of other scripts and of Latin itself mapped to the Latin letter they
  imitate, "rn" read as "m", spaces collapsed. ``looks_alike`` also compares the names mapped before
  case folding (a capital Cyrillic "В" looks like "B", a capital "I" like "l"). Names that differ by
  a diacritic ("Nội" / "Nôi") or a real letter keep different skeletons.
- ``mixed_scripts(name)``: a name whose letters come from Latin and from Cyrillic or Greek (or from
  Cyrillic and Greek) is refused by itself: a real name is written in one of them.

``imitated(name, others)`` returns the first of ``others`` that ``name`` looks like.

Pure: standard library only (``unicodedata``); tests/test_saved_bills_confusables.py attacks it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

__all__ = ["skeleton", "looks_alike", "mixed_scripts", "imitated"]

# Letters of other scripts (and Latin ones) that look like a Latin letter, each to the letter it
# looks like. Upper case and lower case separately: capital Cyrillic В looks like B, small в does not.
_LOOK_ALIKE = {
    # Cyrillic capitals
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "У": "Y", "І": "l", "Ј": "J", "Ѕ": "S", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Ү": "Y", "Ӏ": "l",
    # Cyrillic small letters
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i", "ј": "j", "ԁ": "d",
    "ѕ": "s", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y", "ѵ": "v", "ɡ": "g",
    # Greek capitals
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "l", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Greek small letters
    "ο": "o", "α": "a", "ν": "v", "ρ": "p", "ι": "i", "κ": "k", "υ": "u", "τ": "t", "ϲ": "c", "ϳ": "j",
    # Latin letters and signs that stand for other Latin letters
    "I": "l", "1": "l", "|": "l", "ı": "i", "0": "o", "ɑ": "a", "ð": "đ", "Ð": "Đ", "ǀ": "l",
}
# Characters that show nothing (TR44 Default_Ignorable_Code_Point, the ones a name could carry).
_IGNORABLE_RANGES = ((0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
                     (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
                     (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
                     (0xFFA0, 0xFFA0), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))
# The scripts that must not be mixed in one name: their letters imitate each other.
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def _ignorable(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _IGNORABLE_RANGES)


def _view(name: str, fold_first: bool) -> str:
    text = unicodedata.normalize("NFKC", name)
    text = "".join(c for c in text if not _ignorable(c))
    text = unicodedata.normalize("NFD", text.casefold() if fold_first else text)
    text = "".join(_LOOK_ALIKE.get(c, c) for c in text)
    text = unicodedata.normalize("NFD", text.casefold())
    text = text.replace("rn", "m")
    return " ".join(text.split())


def skeleton(name: str) -> str:
    """What ``name`` looks like, case aside: equal skeletons, names a reader cannot tell apart
    ("ĐIỆN" and "Điện", a Cyrillic "е" and a Latin "e", "1" and "l")."""
    return _view(name, fold_first=True)


def looks_alike(one: str, other: str) -> bool:
    """The same skeleton, or the same look letter by letter before case folding (capital look-alikes
    such as Cyrillic "В" for "B", or "I" for "l", which folding would hide)."""
    return skeleton(one) == skeleton(other) or _view(one, False) == _view(other, False)


def _script(char: str) -> str | None:
    """LATIN, CYRILLIC or GREEK for a letter of one of them (by its Unicode name), else None."""
    if not unicodedata.category(char).startswith("L"):
        return None
    first = unicodedata.name(char, "").split(" ")[0]
    return first if first in _SCRIPTS else None


def mixed_scripts(name: str) -> tuple[str, str, str] | None:
    """None when the letters of ``name`` come from at most one of Latin, Cyrillic and Greek; else
    (the first script, the second script, the first letter of the second one), scripts as "Latin",
    "Cyrillic", "Greek"."""
    seen: dict[str, str] = {}
    for char in unicodedata.normalize("NFC", name):
        script = _script(char)
        if script is not None and script not in seen:
            seen[script] = char
    if len(seen) < 2:
        return None
    (first, _), (second, letter) = list(seen.items())[:2]
    return first.title(), second.title(), letter


def imitated(name: str, others: Iterable[str]) -> str | None:
    """The first of ``others`` that looks the same as ``name`` (equal skeletons), else None."""
    return next((other for other in others if looks_alike(name, other)), None)
