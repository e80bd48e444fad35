"""Ed25519 keys as pure values: the payer's key pair (``SigningKey``), its public JWK (RFC 8037), the
RFC 7638 thumbprint used as ``kid``, and the soundness check every verifier applies to a public key.

No files here: storing keys on disk is ``payer_app.payments.keystore``; this module may import only
``cryptography`` and other pure ``core`` modules (``tests/test_architecture.py``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from payer_app.core import base64url
from payer_app.core.display_text import quoted
from payer_app.core.timestamps import TIMESTAMP_FORMAT, parse_canonical_timestamp

__all__ = [
    "BadPublicKeyError", "KeySourceError", "SigningKey", "SMALL_ORDER_Y", "TIMESTAMP_FORMAT",
    "check_ed25519_public_jwk", "parse_key_time", "public_jwk_of", "thumbprint",
]
# A JWK this long is checked each time instead of being remembered (the cache holds short texts only).
_MAX_CACHED_JWK_CHARS = 1024


class KeySourceError(Exception):
    """A source of keys (such as the payer's key store) could not give its keys; the message says why
    and how to fix it."""


class BadPublicKeyError(ValueError):
    """A JWK is not a sound Ed25519 public key (the message says why)."""


# --- Ed25519 public keys ------------------------------------------------------------------------
# RFC 8032 5.1: the curve over GF(p), p = 2^255 - 19, with d = -121665/121666. A public key is the
# 255-bit y coordinate plus the sign of x. OpenSSL (and so `cryptography`) accepts any 32 bytes,
# including points of small order, under which a signature that needs no private key verifies
# (measured: the identity point with R = identity, S = 0 verifies for every message). Those keys,
# non-canonical encodings (y >= p) and points not on the curve are refused here.
_P = 2**255 - 19
_D = (-121665 * pow(121666, -1, _P)) % _P
_ORDER8_Y = 0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826
# y of the eight points of order 1, 2, 4 and 8 (identity, (0,-1), (+-sqrt(-1),0), four of order 8).
SMALL_ORDER_Y = frozenset({1, _P - 1, 0, _ORDER8_Y, _P - _ORDER8_Y})


def check_ed25519_public_jwk(jwk: Any, where: str = "the key") -> str:
    """Check that ``jwk`` is a sound Ed25519 public JWK and return its RFC 7638 thumbprint (kid).

    Raises ``BadPublicKeyError`` for: not an object; a private key (``d``); wrong ``kty``/``crv``;
    an ``x`` that is not canonical base64url of 32 bytes; a non-canonical point (y >= p); a point of
    small order (the all-zero key, the identity and the other six); a point not on the curve;
    ``alg`` other than EdDSA, ``use`` other than sig, or malformed ``created_at``/``retired_at``.
    Used by ``verify --key``, the local key set and the acquirer's enrolment alike. A sound key is
    remembered by its canonical JSON text, so checking the same key again costs a dictionary lookup."""
    canonical = _canonical_json(jwk)
    if canonical is None or len(canonical) > _MAX_CACHED_JWK_CHARS:
        return _check_public_jwk(jwk, where)
    return _checked_kid(canonical, where)


@lru_cache(maxsize=256)
def _checked_kid(canonical: str, where: str) -> str:
    # Only sound keys are cached: lru_cache does not keep a call that raised.
    return _check_public_jwk(json.loads(canonical), where)


def _canonical_json(jwk: Any) -> str | None:
    if not isinstance(jwk, dict) or not all(type(name) is str for name in jwk):
        return None
    try:
        return json.dumps(jwk, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return None


def _check_public_jwk(jwk: Any, where: str) -> str:
    """The checks of ``check_ed25519_public_jwk``, in order; returns the thumbprint."""
    if not isinstance(jwk, dict):
        raise BadPublicKeyError(f"{where} is not a JSON object")
    if "d" in jwk:
        raise BadPublicKeyError(f"{where} contains a private key ('d'); give the public key only")
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise BadPublicKeyError(f"{where} is not an Ed25519 public JWK (needs kty OKP, crv Ed25519, x)")
    if jwk.get("alg", "EdDSA") not in ("EdDSA", "Ed25519") or jwk.get("use", "sig") != "sig":
        raise BadPublicKeyError(f"{where} is not meant for EdDSA signatures (alg {quoted(jwk.get('alg'), 20)}, "
                                f"use {quoted(jwk.get('use'), 20)})")
    raw = _canonical_b64url(jwk["x"])
    if raw is None or len(raw) != 32:
        raise BadPublicKeyError(f"{where} has an 'x' that is not 32 bytes of canonical base64url")
    _check_point(raw, where)
    for name in ("created_at", "retired_at"):
        if name in jwk:
            parse_key_time(jwk[name], f"{where}: {name}")
    return thumbprint(jwk)


def _check_point(raw: bytes, where: str) -> None:
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    if y >= _P:
        raise BadPublicKeyError(f"{where} is a non-canonical Ed25519 encoding (y >= p)")
    if y in SMALL_ORDER_Y:
        raise BadPublicKeyError(f"{where} is a small-order Ed25519 point: signatures under it can be forged "
                                "without any private key")
    x2 = (y * y - 1) * pow(_D * y * y + 1, -1, _P) % _P
    if x2 != 0 and pow(x2, (_P - 1) // 2, _P) != 1:  # Euler's criterion: x^2 must be a square
        raise BadPublicKeyError(f"{where} is not a point on the Ed25519 curve")


def _canonical_b64url(text: str) -> bytes | None:
    try:
        return base64url.decode(text)
    except ValueError:
        return None


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint (base64url) of a public OKP JWK."""
    canonical = json.dumps({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":"))
    return base64url.encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def parse_key_time(text: Any, where: str = "time") -> datetime:
    """A key's ``created_at``/``retired_at``: exactly ``2026-01-31T08:00:00Z``; BadPublicKeyError otherwise."""
    try:
        return parse_canonical_timestamp(text)
    except ValueError:
        raise BadPublicKeyError(f"{where} is not a UTC timestamp like 2026-01-31T08:00:00Z") from None


def public_jwk_of(private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The public JWK (RFC 8037) of a private key, with its thumbprint as ``kid``."""
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    public = {"kty": "OKP", "crv": "Ed25519", "x": base64url.encode(raw)}
    public["kid"] = thumbprint(public)
    public["alg"] = "EdDSA"
    public["use"] = "sig"
    return public


@dataclass(frozen=True)
class SigningKey:
    """One key pair. ``private_key`` is excluded from repr so it never lands in logs."""

    kid: str
    public_jwk: dict[str, Any]
    private_key: Ed25519PrivateKey = field(repr=False)

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh key pair that lives only in memory (tests, demos)."""
        return cls.from_private_key(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key(cls, private_key: Ed25519PrivateKey) -> SigningKey:
        public = public_jwk_of(private_key)
        return cls(public["kid"], public, private_key)
