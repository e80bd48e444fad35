"""The payer's Ed25519 signing keys, kept in the data folder, with OpenSSH-like care.

The keys themselves (``SigningKey``, thumbprints, the public-key soundness check) are pure values in
``payer_app.core.keys`` (import them from there); this module stores them. File safety (atomic
writes, ``O_NOFOLLOW``/FIFO-safe reads with a size cap) is ``payer_app.files``.

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

import json
import os
import stat
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from payer_app.core.display_text import quoted, visible
from payer_app.core.keys import BadPublicKeyError, KeySourceError, SigningKey, check_ed25519_public_jwk, public_jwk_of
from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted
from payer_app.core.timestamps import format_timestamp
from payer_app.files import UnsafeFileError, file_kind, read_regular_file, write_file_atomically

__all__ = ["KeyStore", "KeyStoreError", "MAX_PRIVATE_KEY_BYTES", "MAX_PUBLIC_LIST_BYTES", "MAX_LISTED_KEYS"]

try:  # POSIX; on other systems creation is simply not locked across processes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]  # the module or None, tested before each use

PRIVATE_FILE = "signing_key.pem"
PUBLIC_FILE = "public_keys.json"
LOCK_FILE = ".lock"
MAX_PRIVATE_KEY_BYTES = 4096  # an Ed25519 PKCS#8 PEM is 119 bytes
MAX_PUBLIC_LIST_BYTES = 256 * 1024
MAX_LISTED_KEYS = 1000


class KeyStoreError(KeySourceError):
    """The key files are unreadable, unsafe or inconsistent (the message says which file, why, and
    how to fix it)."""


def _read_key_file(path: Path, max_bytes: int, what: str, **options: Any) -> bytes:
    """``read_regular_file`` with its problems reported as ``KeyStoreError``."""
    try:
        return read_regular_file(path, max_bytes, what, **options)
    except UnsafeFileError as exc:
        raise KeyStoreError(str(exc)) from None


def _check_private_owner_and_mode(info: os.stat_result, shown: str, what: str) -> None:
    if info.st_uid != os.geteuid():
        raise KeyStoreError(f"{what} {shown} belongs to user id {info.st_uid}, not to you; a private key must "
                            "be your own file. Run `payer-app keys rotate` to make a new key.")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise KeyStoreError(f"{what} {shown} is open to other users (mode {mode:04o}); a private key must be "
                            f"readable by you only. Run `chmod 600 {shown}`, and `payer-app keys rotate` if "
                            "someone may have copied it.")


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
        shown = visible(os.fspath(self.private_path))
        data = _read_key_file(self.private_path, MAX_PRIVATE_KEY_BYTES, "the signing key",
                              check=lambda info: _check_private_owner_and_mode(info, shown, "the signing key"),
                              fix="Move it away and restore the key file, or run `payer-app keys rotate`.")
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
        data = _read_key_file(self.public_path, MAX_PUBLIC_LIST_BYTES, "the public key list")
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
        raise KeyStoreError(f"{what} {shown} is {file_kind(info.st_mode)}, not a folder. Move it away; the folder "
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
    return format_timestamp(datetime.now(UTC))
