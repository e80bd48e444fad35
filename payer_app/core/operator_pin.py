"""The kiosk operator's PIN: its form, and how it is kept (a salted scrypt hash, never the PIN).

There is no default operator PIN. Until one is set (``payer-app settings operator-pin``) a kiosk's
Settings stay locked; a stored value that is missing or not a hash this module made (edited by hand,
damaged, or the plain ``operator_pin`` of older versions) counts as no PIN at all.

Stored form: ``scrypt$<log2 n>$<r>$<p>$<salt, base64url>$<hash, base64url>``. The cost parameters are
read back from the text, so they are capped (``MAX_LOG2_N`` ...) before scrypt runs: a hand-made value
cannot make the window spend gigabytes on one PIN check.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from payer_app.core.base64url import decode as b64url_decode
from payer_app.core.base64url import encode as b64url_encode

PIN_LENGTH = 6  # the kiosk's PIN pad takes six digits
SCHEME = "scrypt"
LOG2_N, R, P = 14, 8, 1  # scrypt's interactive cost: 16 MiB and a few tens of ms a check
MAX_LOG2_N, MAX_R, MAX_P = 16, 8, 2
SALT_BYTES = 16
HASH_BYTES = 32
MAX_STORED_CHARS = 200

__all__ = ["PIN_LENGTH", "pin_problem", "hash_pin", "is_stored_pin", "pin_matches"]


def pin_problem(pin: str) -> str | None:
    """None for a usable operator PIN; else why not, in English (exactly six digits 0-9)."""
    if len(pin) != PIN_LENGTH or not all(c in "0123456789" for c in pin):
        return f"the operator PIN must be exactly {PIN_LENGTH} digits (0-9)"
    return None


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """The stored form of ``pin`` (a fresh random salt unless one is given). ValueError for a PIN
    ``pin_problem`` refuses."""
    problem = pin_problem(pin)
    if problem:
        raise ValueError(problem)
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = _scrypt(pin, salt, LOG2_N, R, P)
    return "$".join((SCHEME, str(LOG2_N), str(R), str(P), b64url_encode(salt), b64url_encode(digest)))


def _parsed(stored: object) -> tuple[bytes, int, int, int, bytes] | None:
    """(salt, log2 n, r, p, hash) of a stored value this module could have made, else None."""
    if not isinstance(stored, str) or not 0 < len(stored) <= MAX_STORED_CHARS:
        return None
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME or not all(p.isdigit() and p.isascii() for p in parts[1:4]):
        return None
    log2_n, r, p = (int(x) for x in parts[1:4])
    if not (10 <= log2_n <= MAX_LOG2_N and 1 <= r <= MAX_R and 1 <= p <= MAX_P):
        return None
    try:
        salt, digest = b64url_decode(parts[4]), b64url_decode(parts[5])
    except ValueError:
        return None
    if len(salt) < 8 or len(digest) != HASH_BYTES:
        return None
    return salt, log2_n, r, p, digest


def is_stored_pin(stored: object) -> bool:
    """True when ``stored`` is a well-formed operator PIN hash (so a PIN is set)."""
    return _parsed(stored) is not None


def pin_matches(stored: object, entered: str) -> bool:
    """True when ``entered`` is the PIN ``stored`` was made from; False for any other PIN and for a
    missing or malformed stored value (no PIN set: nothing opens)."""
    parsed = _parsed(stored)
    if parsed is None or pin_problem(entered):
        return False
    salt, log2_n, r, p, digest = parsed
    return hmac.compare_digest(_scrypt(entered, salt, log2_n, r, p), digest)


def _scrypt(pin: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(pin.encode("ascii"), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n + (1 << 20),
                          dklen=HASH_BYTES)
