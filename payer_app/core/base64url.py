"""Base64url without padding (RFC 7515 2, RFC 4648 5), the encoding of JWS parts and JWK members.

``decode`` is strict: the text must be the canonical encoding of its bytes (no padding, no stray
bits, ASCII only), so one value has exactly one spelling and a token cannot be altered unseen."""

from __future__ import annotations

import base64
import binascii


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode(text: str) -> bytes:
    """The bytes ``text`` encodes; ValueError unless it is canonical unpadded base64url."""
    if not isinstance(text, str) or not text.isascii() or "=" in text:
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
    if encode(data) != text:
        raise ValueError("not canonical base64url")
    return data
