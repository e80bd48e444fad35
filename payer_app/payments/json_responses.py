"""JSON answers over HTTP that can always be written, for the acquirer's endpoints and the merchant
display's routes alike."""

from __future__ import annotations

import json
from typing import Any

from payer_app.core.display_text import visible


def json_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None):
    """A JSON answer that can always be written: strings a stranger sent (ids, kids) that hold lone
    surrogates or controls are escaped rather than crashing the encoder."""
    from starlette.responses import Response

    return Response(json_bytes(body), status_code=status, headers=headers or None, media_type="application/json")


def json_bytes(body: dict[str, Any]) -> bytes:
    """``json_response``'s body: UTF-8 JSON, what cannot be encoded escaped."""
    try:
        return json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, TypeError):
        return json.dumps(_escaped(body), ensure_ascii=False, allow_nan=False, default=str).encode("utf-8")


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {visible(str(k)): _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value


__all__ = ["json_bytes", "json_response"]
