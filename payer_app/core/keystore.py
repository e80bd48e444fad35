"""The payer's Ed25519 signing keys, kept in the data folder, with OpenSSH-like care.

Layout under ``<home>/keys/``:

- ``signing_key.pem``: the current private key (PKCS#8 PEM, file mode 0600). Never printed or logged.
- ``public_keys.json``: every public key this payer has used, as JWKs (current first) with the time
  each was created and, once rotated away, retired (``retired_at``), so requests signed before a
  rotation still verify and requests dated after it do not.

The key id (``kid``) is the RFC 7638 JWK thumbprint of the public key. Files are written atomically
(temporary file in the same folder, fsync, rename) and creation/rotation hold a lock file, so two
processes starting at once end up with one key.

Key-file rules (what OpenSSH does for ``~/.ssh``), each refused with one ``KeyStoreError`` that says
how to fix it, never a traceback:

1. ``signing_key.pem`` is opened without following a symbolic link (``O_NOFOLLOW``) and without
   waiting on a FIFO (``O_NONBLOCK``); it must be a regular file (``fstat``), owned by this user,
   with no group/other access (0600), at most ``MAX_PRIVATE_KEY_BYTES``, an unencrypted Ed25519
   PKCS#8 PEM key.
2. ``public_keys.json`` likewise: a regular file owned by this user (or root), not writable by
   group/other, at most ``MAX_PUBLIC_LIST_BYTES``, strict JSON (``safe_json``) whose every entry is a
   sound Ed25519 public key (``check_ed25519_public_jwk``) listed under its own thumbprint.
3. The private key must be the one ``public_keys.json`` names as current.
4. Folders: ``keys/`` must be a real folder (not a link) owned by this user or root; the data folder
   must be owned by this user or root. A folder of this user's that others can write to is *fixed*
   (``keys/`` to 0700, the data folder loses group/other write); a shared sticky folder such as
   ``/tmp`` or a writable folder of another user is refused.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import json
import os
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from payer_app.core.display_text import quoted, visible
from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted

try:  # POSIX; on other systems creation is simply not locked across processes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

PRIVATE_FILE = "signing_key.pem"
PUBLIC_FILE = "public_keys.json"
LOCK_FILE = ".lock"
MAX_PRIVATE_KEY_BYTES = 4096  # an Ed25519 PKCS#8 PEM is 119 bytes
MAX_PUBLIC_LIST_BYTES = 256 * 1024
MAX_LISTED_KEYS = 1000
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class KeyStoreError(Exception):
    """The key files are unreadable, unsafe or inconsistent (the message says which file, why, and
    how to fix it)."""


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
_JWK_EXTRA = {"kid", "alg", "use", "created_at", "retired_at", "key_ops"}


def check_ed25519_public_jwk(jwk: Any, where: str = "the key") -> str:
    """Check that ``jwk`` is a sound Ed25519 public JWK and return its RFC 7638 thumbprint (kid).

    Raises ``BadPublicKeyError`` for: not an object; a private key (``d``); wrong ``kty``/``crv``;
    an ``x`` that is not canonical base64url of 32 bytes; a non-canonical point (y >= p); a point of
    small order (the all-zero key, the identity and the other six); a point not on the curve;
    ``alg`` other than EdDSA, ``use`` other than sig, or malformed ``created_at``/``retired_at``.
    Used by ``verify --key``, the local key set and the acquirer's enrolment alike."""
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
    if not text.isascii() or "=" in text:
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") == text else None


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint (base64url) of a public OKP JWK."""
    canonical = json.dumps({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode("utf-8")).digest()).rstrip(b"=").decode()


def parse_key_time(text: Any, where: str = "time") -> datetime:
    """A key's ``created_at``/``retired_at``: exactly ``2026-01-31T08:00:00Z``; BadPublicKeyError otherwise."""
    try:
        if not isinstance(text, str) or len(text) != 20:
            raise ValueError
        moment = datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise BadPublicKeyError(f"{where} is not a UTC timestamp like 2026-01-31T08:00:00Z") from None
    if moment.strftime(TIMESTAMP_FORMAT) != text:
        raise BadPublicKeyError(f"{where} is not a UTC timestamp like 2026-01-31T08:00:00Z")
    return moment


def public_jwk_of(private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The public JWK (RFC 8037) of a private key, with its thumbprint as ``kid``."""
    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    public = {"kty": "OKP", "crv": "Ed25519", "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")}
    public["kid"] = thumbprint(public)
    public["alg"] = "EdDSA"
    public["use"] = "sig"
    return public


# --- files ---------------------------------------------------------------------------------------
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


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def read_regular_file(path: Path, max_bytes: int, what: str, *, follow_symlinks: bool = False,
                      private: bool = False, fix: str = "Remove it and put the file itself there.") -> bytes:
    """The bytes of ``path``, read safely; ``KeyStoreError`` (saying how to fix it) when it is not
    a regular file, is larger than ``max_bytes`` or, with ``private``, is not owned by this user or
    is open to group/other. Never follows a final symbolic link unless ``follow_symlinks``, never
    blocks on a FIFO, never reads more than ``max_bytes + 1`` bytes."""
    shown = visible(os.fspath(path))
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise KeyStoreError(f"{what} {shown} is a symbolic link; it is not followed. Replace the link "
                                "with the file itself.") from None
        raise KeyStoreError(f"cannot open {what} {shown}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyStoreError(f"{what} {shown} is {_kind(info.st_mode)}, not a regular file. {fix}")
        if private:
            _check_private_owner_and_mode(info, shown, what)
        if info.st_size > max_bytes:
            raise KeyStoreError(f"{what} {shown} is {info.st_size} bytes long; at most {max_bytes} are "
                                "accepted. This is not the right file.")
        data = _read_at_most(fd, max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # grew after fstat
        raise KeyStoreError(f"{what} {shown} is larger than {max_bytes} bytes; this is not the right file.")
    return data


def _check_private_owner_and_mode(info: os.stat_result, shown: str, what: str) -> None:
    if info.st_uid != os.geteuid():
        raise KeyStoreError(f"{what} {shown} belongs to user id {info.st_uid}, not to you; a private key must "
                            "be your own file. Run `payer-app keys rotate` to make a new key.")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise KeyStoreError(f"{what} {shown} is open to other users (mode {mode:04o}); a private key must be "
                            f"readable by you only. Run `chmod 600 {shown}`, and `payer-app keys rotate` if "
                            "someone may have copied it.")


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit:
        try:
            chunk = os.read(fd, min(65536, limit - size))
        except BlockingIOError:  # pragma: no cover - regular files never block
            break
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


# --- the key store -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SigningKey:
    """One key pair. ``private_key`` is excluded from repr so it never lands in logs."""

    kid: str
    public_jwk: dict[str, Any]
    private_key: Ed25519PrivateKey = field(repr=False)

    def jose_key(self):
        """The key as a joserfc ``OKPKey`` (imported on use: verification never needs joserfc)."""
        from joserfc.jwk import OKPKey

        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return OKPKey.import_key(pem, {"kid": self.kid})

    @classmethod
    def generate(cls) -> "SigningKey":
        """A fresh key pair that lives only in memory (tests, demos)."""
        return cls.from_private_key(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key(cls, private_key: Ed25519PrivateKey) -> "SigningKey":
        public = public_jwk_of(private_key)
        return cls(public["kid"], public, private_key)


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
        return os.path.lexists(self.private_path)

    def current(self) -> SigningKey:
        """The current signing key, created on first use. KeyStoreError when the files are unsafe,
        damaged or do not belong together."""
        self._check_folders()
        if not (os.path.lexists(self.private_path) and os.path.lexists(self.public_path)):
            with self._locked():
                if not os.path.lexists(self.private_path):
                    self._install(Ed25519PrivateKey.generate())
                elif not os.path.lexists(self.public_path):  # deleted by hand: list the key again
                    self._list_public(self._load_private().public_jwk)
        # Both files under one shared lock: a rotation (exclusive lock) replaces them as a pair, so a
        # reader never sees the new private key with the old public list.
        with self._locked(shared=True):
            key = self._load_private()
            self._check_matches_public_list(key)
        return key

    def current_kid(self) -> str | None:
        """The kid ``public_keys.json`` names as current (None before the first key), without
        touching the private key."""
        if not os.path.lexists(self.public_path):
            return None
        self._check_folders()
        return self._read_public()["current"]

    def public_jwk(self) -> dict[str, Any]:
        """The current public key as a JWK (creates the key pair on first use)."""
        return dict(self.current().public_jwk)

    def verification_keys(self) -> list[dict[str, Any]]:
        """Every public key this payer has signed with (current first), each with ``created_at`` and,
        once rotated away, ``retired_at``; empty before the first key."""
        if not os.path.lexists(self.public_path):
            return []
        self._check_folders()
        return [_exported(k) for k in self._read_public()["keys"]]

    def jwk_set(self) -> dict[str, Any]:
        """``{"keys": [...]}``: a JWK Set of all verification keys, with their retirement times."""
        return {"keys": self.verification_keys()}

    # --- changing -----------------------------------------------------------------------------
    def rotate(self) -> SigningKey:
        """Replace the signing key with a new one; the old public key stays for verification and is
        marked retired now. Works even when the old private key file is refused (that is often why
        one rotates)."""
        self._check_folders()
        with self._locked():
            self._install(Ed25519PrivateKey.generate())
        return self.current()

    # --- internals ----------------------------------------------------------------------------
    def _install(self, private_key: Ed25519PrivateKey) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # Public list first: a crash in between leaves an extra public key, never a private key
        # whose public half is unknown.
        self._list_public(public_jwk_of(private_key))
        write_file_atomically(self.private_path, pem, 0o600)

    def _list_public(self, public: dict[str, Any]) -> None:
        """List ``public`` as the current key; the previous current key is retired now."""
        now = _now_text()
        public = {**public, "created_at": now}
        record = self._read_public() if os.path.lexists(self.public_path) else {"current": None, "keys": []}
        previous = record["current"]
        for entry in record["keys"]:
            if entry["kid"] == previous and entry["kid"] != public["kid"] and "retired_at" not in entry:
                entry["retired_at"] = now
        record["keys"] = [public] + [k for k in record["keys"] if k["kid"] != public["kid"]]
        record["current"] = public["kid"]
        write_file_atomically(self.public_path, (json.dumps(record, indent=1) + "\n").encode(), 0o644)

    def _load_private(self) -> SigningKey:
        data = read_regular_file(self.private_path, MAX_PRIVATE_KEY_BYTES, "the signing key", private=True,
                                 fix="Move it away and restore the key file, or run `payer-app keys rotate`.")
        shown = visible(os.fspath(self.private_path))
        fix = "Restore it from a backup, or run `payer-app keys rotate` to make a new key."
        if not data.strip():
            raise KeyStoreError(f"the signing key {shown} is empty. {fix}")
        try:
            private_key = serialization.load_pem_private_key(data, password=None)
        except TypeError:
            raise KeyStoreError(f"the signing key {shown} is encrypted with a password; payer_app needs an "
                                f"unencrypted key. {fix}") from None
        except Exception:  # noqa: BLE001 - ValueError, UnsupportedAlgorithm...: one problem for the user
            raise KeyStoreError(f"the signing key {shown} does not hold a readable PEM private key. {fix}") from None
        if not isinstance(private_key, Ed25519PrivateKey):
            kind = type(private_key).__name__.replace("PrivateKey", "").strip("_") or "other"
            raise KeyStoreError(f"the signing key {shown} holds a key of type {kind}; payer_app signs with "
                                f"Ed25519 only. {fix}")
        return SigningKey.from_private_key(private_key)

    def _check_matches_public_list(self, key: SigningKey) -> None:
        record = self._read_public()
        if record["current"] == key.kid:
            return
        shown_private = visible(os.fspath(self.private_path))
        shown_public = visible(os.fspath(self.public_path))
        listed = {entry["kid"] for entry in record["keys"]}
        if key.kid in listed:
            raise KeyStoreError(
                f"the signing key {shown_private} is {key.kid}, which {shown_public} lists as retired "
                f"(the current key is {record['current']}); the files do not belong together. Restore the "
                "matching signing_key.pem, or run `payer-app keys rotate` to make a new key.")
        raise KeyStoreError(
            f"the signing key {shown_private} ({key.kid}) does not match the public key list {shown_public} "
            f"(current key {record['current']}): someone replaced one of the two files. Restore the matching "
            "pair from a backup, or run `payer-app keys rotate` to make a new key.")

    def _read_public(self) -> dict[str, Any]:
        data = read_regular_file(self.public_path, MAX_PUBLIC_LIST_BYTES, "the public key list")
        self._check_public_owner(os.stat(self.public_path, follow_symlinks=False))
        shown = visible(os.fspath(self.public_path))
        try:
            record = loads_untrusted(data, max_bytes=MAX_PUBLIC_LIST_BYTES, max_depth=8, what="it")
            return _checked_record(record)
        except (UntrustedJSONError, BadPublicKeyError) as exc:
            raise KeyStoreError(
                f"the public key list {shown} is damaged: {exc}. Restore it from a backup; deleting it lists "
                "only the current key again (requests signed with older keys then no longer verify here)."
            ) from None

    def _check_public_owner(self, info: os.stat_result) -> None:
        shown = visible(os.fspath(self.public_path))
        if info.st_uid not in (os.geteuid(), 0):
            raise KeyStoreError(f"the public key list {shown} belongs to user id {info.st_uid}, not to you. "
                                "Remove it; it is rebuilt from your signing key.")
        if stat.S_IMODE(info.st_mode) & 0o022:
            raise KeyStoreError(f"the public key list {shown} can be changed by other users (mode "
                                f"{stat.S_IMODE(info.st_mode):04o}). Check its content, then run "
                                f"`chmod 644 {shown}`.")

    def _check_folders(self) -> None:
        """Rule 4 of the module docstring: fix this user's folders that others can write to; refuse
        shared or foreign ones."""
        if os.path.lexists(self.home):
            _check_folder(self.home, "the data folder", fixed_mode=None, allow_link=True)
        if os.path.lexists(self.folder):
            _check_folder(self.folder, "the key folder", fixed_mode=0o700, allow_link=False)

    @contextmanager
    def _locked(self, shared: bool = False):
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if fcntl is None:  # pragma: no cover
            yield
            return
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.folder / LOCK_FILE, flags, 0o600)
        except OSError as exc:
            raise KeyStoreError(f"cannot open the lock file in {visible(os.fspath(self.folder))}: "
                                f"{exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _check_folder(path: Path, what: str, fixed_mode: int | None, allow_link: bool) -> None:
    shown = visible(os.fspath(path))
    try:
        info = os.stat(path) if allow_link else os.lstat(path)
    except OSError as exc:
        raise KeyStoreError(f"cannot look at {what} {shown}: {exc.strerror}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise KeyStoreError(f"{what} {shown} is {_kind(info.st_mode)}, not a folder. Move it away; the folder "
                            "is created again.")
    me = os.geteuid()
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid not in (me, 0):
        raise KeyStoreError(f"{what} {shown} belongs to user id {info.st_uid}; keys must be kept in your own "
                            "folder (set PAYER_APP_HOME to a folder of yours).")
    if not mode & 0o022:
        return
    if info.st_uid != me or mode & stat.S_ISVTX:
        raise KeyStoreError(f"{what} {shown} is shared with other users (mode {mode:04o}); keys cannot be kept "
                            "there. Set PAYER_APP_HOME to a folder of yours.")
    try:
        os.chmod(path, fixed_mode if fixed_mode is not None else mode & ~0o022)
    except OSError as exc:
        raise KeyStoreError(f"{what} {shown} can be changed by other users (mode {mode:04o}) and could not be "
                            f"fixed ({exc.strerror}); run `chmod go-w {shown}`.") from None


def _checked_record(record: Any) -> dict[str, Any]:
    """``public_keys.json`` as {"current": kid, "keys": [...]}: raises UntrustedJSONError/BadPublicKeyError."""
    if not isinstance(record, dict) or not isinstance(record.get("keys"), list):
        raise UntrustedJSONError("it has no 'keys' list")
    current = record.get("current")
    if len(record["keys"]) > MAX_LISTED_KEYS:
        raise UntrustedJSONError(f"it lists more than {MAX_LISTED_KEYS} keys")
    kids = []
    for index, entry in enumerate(record["keys"]):
        where = f"key #{index + 1}"
        kid = check_ed25519_public_jwk(entry, where)
        if entry.get("kid") != kid:
            raise BadPublicKeyError(f"{where} is listed under kid {quoted(entry.get('kid'), 60)}, not its "
                                    f"thumbprint {kid}")
        kids.append(kid)
    if len(set(kids)) != len(kids):
        raise BadPublicKeyError("a key is listed twice")
    if current is not None and current not in kids:
        raise BadPublicKeyError(f"the current key {quoted(current, 60)} is not in the list")
    if current is None and kids:
        raise BadPublicKeyError("it names no current key")
    return {"current": current, "keys": record["keys"]}


def _exported(entry: dict[str, Any]) -> dict[str, Any]:
    keep = ("kty", "crv", "x", "kid", "alg", "use", "created_at", "retired_at")
    return {k: entry[k] for k in keep if k in entry}


def _now_text() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).strftime(TIMESTAMP_FORMAT)
