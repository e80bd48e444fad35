"""payer_app/core/safe_json.py: its two shortcuts (no depth walk when the text has too few brackets,
no string walk when no escape could spell a surrogate) refuse exactly what the full checks refuse."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted

MAX_DEPTH = 4


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def _expected_refused(text: str) -> bool:
    """The full checks, written plainly: too deep, or a string no encoder can write."""
    value = json.loads(text)
    return _depth(value) > MAX_DEPTH or _has_lone_surrogate(value)


_texts = st.text(alphabet=st.sampled_from(['[', '{', '"', "\\", "u", "d", "8", "0", "x", "é"]), max_size=6)
_leaves = st.one_of(st.integers(), _texts, st.sampled_from(["\ud800", "\udfff", "a\\ud800", "[{"]))
_values = st.recursive(_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_texts, inner, max_size=3)), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_values, st.booleans())
def test_the_shortcuts_refuse_what_the_full_checks_refuse(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    if not ascii_only and _has_lone_surrogate(value):
        with pytest.raises(UntrustedJSONError):  # raw lone surrogates cannot even be UTF-8
            loads_untrusted(text, max_depth=MAX_DEPTH)
        return
    try:
        loads_untrusted(text, max_depth=MAX_DEPTH)
        refused = False
    except UntrustedJSONError:
        refused = True
    assert refused == _expected_refused(text)


@pytest.mark.parametrize(("text", "refused"), [
    ('[[[[["deep"]]]]]', True),                   # five levels, five brackets
    ('[[[["[[[[[["]]]]', False),                  # quoted brackets count for the shortcut, not the depth
    ('{"a": "\\ud800"}', True),                   # a lone surrogate spelled by an escape
    ('{"a": "\\\\ud800"}', False),               # an escaped backslash, then letters
    ('{"\\udfff": 1}', True),                     # in a key too
    ('{"a": "\\ud83d\\ude00"}', False),           # a pair is a character
])
def test_known_answers(text, refused):
    if refused:
        with pytest.raises(UntrustedJSONError):
            loads_untrusted(text, max_depth=MAX_DEPTH)
    else:
        loads_untrusted(text, max_depth=MAX_DEPTH)
