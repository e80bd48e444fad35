"""JSON for the terminal and for files: always valid UTF-8, never a raw control character.

``json.dumps(..., ensure_ascii=False)`` keeps Vietnamese readable but lets through what JSON does
not escape itself: C1 controls (U+009B is a one-character terminal escape), DEL, bidi overrides,
line separators, and the lone surrogates that ``os.fsdecode`` makes of a file name's undecodable
bytes (which cannot be written as UTF-8 at all). ``dumps`` writes the first kind as ``\\uXXXX``
escapes, so a JSON reader gets the same value back; an undecodable byte becomes the text ``\\xNN``,
as ``display_text.visible`` shows it (a lone surrogate is not a value any JSON reader accepts).
"""

from __future__ import annotations

import json
import re

from payer_app.core.display_text import UNSAFE_CHARACTER, visible

# What ``visible`` escapes, but the raw newlines that only indent writes (JSON escapes every other C0
# control itself): one pass that stops only at those characters, not at each Vietnamese letter.
_UNSAFE_IN_JSON = re.compile("(?!\n)" + UNSAFE_CHARACTER.pattern)


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if 0xD800 <= ord(ch) <= 0xDFFF:
        return json.dumps(visible(ch))[1:-1]  # "\\xff": the byte, shown as text
    return f"\\u{ord(ch):04x}"


def dumps(obj: object, indent: int | None = None) -> str:
    """``obj`` as JSON text that is valid UTF-8 and safe to print (see the module docstring)."""
    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    return _UNSAFE_IN_JSON.sub(_escape, text)
