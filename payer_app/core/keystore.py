"""The payer's Ed25519 signing keys, kept in the data folder.

Layout under ``<home>/keys/``:

- ``signing_key.pem``: the current private key (PKCS#8 PEM, file mode 0600). Never printed or logged.
- ``public_keys.json``: every public key this payer has used, as JWKs (current first), so requests
  signed before a rotation still verify.

The key id (``kid``) is the RFC 7638 JWK thumbprint of the public key. Files are written atomically
(temporary file in the same folder, fsync, rename) and creation/rotation hold a lock file, so two
processes starting at once end up with one key.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc.jwk import OKPKey

try:  # POSIX; on other systems creation is simply not locked across processes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

PRIVATE_FILE = "signing_key.pem"
PUBLIC_FILE = "public_keys.json"
LOCK_FILE = ".lock"


class KeyStoreError(Exception):
    """The key files are unreadable or inconsistent (the message says which file and why)."""


def write_file_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new content, never a mix."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - directories cannot be opened on some systems
        return
    try:
        os.fsync(dir_fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dir_fd)


def public_jwk_of(private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The public JWK (RFC 8037) of a private key, with its thumbprint as ``kid``."""
    raw = private_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    key = OKPKey.import_key(raw)
    jwk = key.as_dict(private=False)
    public = {"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"]}
    public["kid"] = thumbprint(public)
    public["alg"] = "EdDSA"
    public["use"] = "sig"
    return public


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint (base64url) of a public OKP JWK."""
    return OKPKey.import_key({"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"]}).thumbprint()


@dataclass(frozen=True)
class SigningKey:
    """The current key pair. ``private_key`` is excluded from repr so it never lands in logs."""

    kid: str
    public_jwk: dict[str, Any]
    private_key: Ed25519PrivateKey = field(repr=False)

    def jose_key(self) -> OKPKey:
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return OKPKey.import_key(pem, {"kid": self.kid})


class KeyStore:
    """The payer's keys in ``<home>/keys`` (home defaults to the data folder, ``PAYER_APP_HOME``)."""

    def __init__(self, home: Path | None = None):
        if home is None:
            from payer_app.paths import data_home

            home = data_home()
        self.home = Path(home)
        self.folder = self.home / "keys"

    def __repr__(self) -> str:
        return f"KeyStore({str(self.folder)!r})"

    # --- reading ------------------------------------------------------------------------------
    @property
    def private_path(self) -> Path:
        return self.folder / PRIVATE_FILE

    @property
    def public_path(self) -> Path:
        return self.folder / PUBLIC_FILE

    def exists(self) -> bool:
        return self.private_path.exists()

    def current(self) -> SigningKey:
        """The current signing key, created on first use."""
        if not self.private_path.exists():
            with self._locked():
                if not self.private_path.exists():
                    self._install(Ed25519PrivateKey.generate(), retire=None)
        key = self._load_private()
        if not self.public_path.exists():  # deleted by hand: list the current key again
            with self._locked():
                if not self.public_path.exists():
                    self._list_public(key.public_jwk, retire=None)
        return key

    def public_jwk(self) -> dict[str, Any]:
        """The current public key as a JWK (creates the key pair on first use)."""
        return dict(self.current().public_jwk)

    def verification_keys(self) -> list[dict[str, Any]]:
        """Every public key this payer has signed with (current first); empty before the first key."""
        if not self.public_path.exists():
            return []
        return [_public_only(k) for k in self._read_public()["keys"]]

    def jwk_set(self) -> dict[str, Any]:
        """``{"keys": [...]}``: a JWK Set of all verification keys."""
        return {"keys": self.verification_keys()}

    # --- changing -----------------------------------------------------------------------------
    def rotate(self) -> SigningKey:
        """Replace the signing key with a new one; the old public key stays for verification."""
        with self._locked():
            old = self._load_private() if self.private_path.exists() else None
            self._install(Ed25519PrivateKey.generate(), retire=old.kid if old else None)
        return self._load_private()

    # --- internals ----------------------------------------------------------------------------
    def _install(self, private_key: Ed25519PrivateKey, retire: str | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # Public list first: a crash in between leaves an extra public key, never a private key
        # whose public half is unknown.
        self._list_public(public_jwk_of(private_key), retire)
        write_file_atomically(self.private_path, pem, 0o600)

    def _list_public(self, public: dict[str, Any], retire: str | None) -> None:
        public = {**public, "created_at": _now_text()}
        record = self._read_public() if self.public_path.exists() else {"current": None, "keys": []}
        for entry in record["keys"]:
            if entry.get("kid") == retire and "retired_at" not in entry:
                entry["retired_at"] = _now_text()
        record["keys"] = [public] + [k for k in record["keys"] if k.get("kid") != public["kid"]]
        record["current"] = public["kid"]
        write_file_atomically(self.public_path, (json.dumps(record, indent=1) + "\n").encode(), 0o644)

    def _load_private(self) -> SigningKey:
        try:
            data = self.private_path.read_bytes()
        except OSError as exc:
            raise KeyStoreError(f"cannot read the signing key {self.private_path}: {exc.strerror}") from None
        try:
            private_key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            raise KeyStoreError(f"{self.private_path} does not hold a readable private key") from None
        if not isinstance(private_key, Ed25519PrivateKey):
            raise KeyStoreError(f"{self.private_path} holds a key that is not Ed25519")
        public = public_jwk_of(private_key)
        return SigningKey(public["kid"], public, private_key)

    def _read_public(self) -> dict[str, Any]:
        try:
            record = json.loads(self.public_path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise KeyStoreError(f"cannot read {self.public_path}: {exc.strerror}") from None
        except ValueError:
            raise KeyStoreError(f"{self.public_path} is not valid JSON") from None
        if not isinstance(record, dict) or not isinstance(record.get("keys"), list):
            raise KeyStoreError(f"{self.public_path} has no 'keys' list")
        return record

    @contextmanager
    def _locked(self):
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if fcntl is None:  # pragma: no cover
            yield
            return
        with open(self.folder / LOCK_FILE, "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _public_only(entry: dict[str, Any]) -> dict[str, Any]:
    keep = ("kty", "crv", "x", "kid", "alg", "use")
    return {k: entry[k] for k in keep if k in entry}


def _now_text() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
