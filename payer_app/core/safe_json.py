"""JSON from strangers, read with limits: size and nesting are checked before the parser runs.

``json.loads`` alone accepts a 30,000-deep array (and then dies with ``RecursionError``), duplicate
keys (the last one silently wins), ``NaN`` and ``Infinity``, and ``\\ud800`` escapes that make
strings no encoder can write. ``loads_untrusted`` refuses all of these with ``UntrustedJSONError``,
whose message says what was wrong; it never raises anything else.
"""

from __future__ import annotations

import json
import re
from typing import Any

DEFAULT_MAX_BYTES = 64 * 1024
DEFAULT_MAX_DEPTH = 32

# What the depth probe looks at: quotes, backslashes and brackets (RFC 8259, 2 and 7).
_STRUCTURE = re.compile(r'["\\\[\]{}]')


class UntrustedJSONError(ValueError):
    """The bytes are not JSON this program accepts; the message says why."""


def loads_untrusted(data: bytes | bytearray | str, *, max_bytes: int = DEFAULT_MAX_BYTES,
                    max_depth: int = DEFAULT_MAX_DEPTH, what: str = "JSON") -> Any:
    """Parse ``data`` as strict JSON (UTF-8 text, no duplicate keys, no NaN, no lone surrogates)."""
    text = _as_text(data, max_bytes, what)
    _check_depth(text, max_depth, what)
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except UntrustedJSONError:
        raise
    except (ValueError, RecursionError) as exc:
        raise UntrustedJSONError(f"{what} is not valid JSON ({_short(exc)})") from None
    if "\\u" in text:  # valid UTF-8 text holds a lone surrogate only when an escape spelled it
        _check_strings(value, what)
    return value


def _as_text(data: bytes | bytearray | str, max_bytes: int, what: str) -> str:
    if isinstance(data, str):
        if len(data) > max_bytes:  # each character is at least one byte
            raise UntrustedJSONError(f"{what} is larger than {max_bytes} bytes")
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError:
            raise UntrustedJSONError(f"{what} holds a lone surrogate (not valid Unicode)") from None
    if len(data) > max_bytes:
        raise UntrustedJSONError(f"{what} is larger than {max_bytes} bytes")
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UntrustedJSONError(f"{what} is not valid UTF-8 (byte {exc.start})") from None


def _check_depth(text: str, max_depth: int, what: str) -> None:
    if text.count("[") + text.count("{") <= max_depth:
        return  # the depth never exceeds the number of opening brackets, quoted ones included
    depth = 0
    in_string = False
    escaped_at = -1  # the index a backslash inside a string escapes
    for match in _STRUCTURE.finditer(text):
        token, at = match.group(), match.start()
        if in_string:
            if at == escaped_at:
                continue
            if token == "\\":
                escaped_at = at + 1
            elif token == '"':
                in_string = False
        elif token == '"':
            in_string = True
        elif token in "[{":
            depth += 1
            if depth > max_depth:
                raise UntrustedJSONError(f"{what} is nested deeper than {max_depth} levels")
        elif token in "]}":
            depth -= 1


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise UntrustedJSONError("JSON object has a duplicate key")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise UntrustedJSONError(f"JSON holds {name}, which is not a number")


def _check_strings(value: Any, what: str) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _check_text(item, what)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, what)
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)


def _check_text(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UntrustedJSONError(f"{what} holds a lone surrogate escape (not valid Unicode)") from None


def _short(exc: Exception) -> str:
    return str(exc)[:120]
