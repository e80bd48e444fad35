"""Untrusted text made safe to show: the one place that does it, for the terminal and the window.

QR text, file names, token headers and notes come from strangers. Shown raw, a control character can
move the terminal cursor or recolour a line (ESC ``[32m``...), a bidi override (U+202E) can reverse
what the reader sees, and an undecodable file name (``os.fsdecode`` keeps its bytes as lone
surrogates) makes output that is not valid UTF-8. ``visible`` writes every such character as an
escape that the reader can see, and leaves everything else, Vietnamese included, as it is.

Used by every CLI command that prints outside text and by every GUI widget that shows it (the GUI
also shows it as *plain* text, never rich text: that half lives in ``payer_app.gui``).
"""

from __future__ import annotations

import re

# Explicit bidi embeddings, overrides and isolates, plus the implicit marks (Unicode TR9, 2.1-2.6).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# C0 controls and DEL, C1 controls, lone surrogates, bidi controls, the line and paragraph
# separators, zero-width characters that hide text, and the byte-order mark.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u200b-\u200d\u2060\ufeff"
    + "".join(sorted(BIDI_CONTROLS)) + "]"
)

# The same set, for json_output.dumps, which escapes exactly what ``visible`` would.
UNSAFE_CHARACTER = _UNSAFE

ELLIPSIS = "…"


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that os.fsdecode could not decode (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def is_unsafe_char(ch: str) -> bool:
    """True for a character that ``visible`` escapes."""
    return _UNSAFE.fullmatch(ch) is not None


def visible(text: object, max_chars: int | None = None) -> str:
    """``text`` with every control, bidi and undecodable character written as a visible escape.

    The result is always valid UTF-8 and holds no character that changes how the rest is shown.
    With ``max_chars`` the text is cut first (to at most that many characters, plus an ellipsis),
    so a 10 MB input costs no more than its first ``max_chars`` characters.
    """
    text = "" if text is None else str(text)
    cut = max_chars is not None and len(text) > max_chars
    if cut:
        text = text[:max_chars]
    text = _UNSAFE.sub(_escape, text)
    return text + ELLIPSIS if cut else text


def quoted(text: object, max_chars: int | None = None) -> str:
    """``visible(text)`` in single quotes, for messages that name a value ("bad kid 'x'")."""
    return "'" + visible(text, max_chars) + "'"
