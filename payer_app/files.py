"""File safety helpers: the one home for writing a file atomically and reading an outside file safely.

- ``write_file_atomically``: temporary file in the same folder, fsync, ``os.replace``, fsync of the
  folder, so a reader (or a crash) sees the old content or the new, never a mix.
- ``read_regular_file``: looks before it opens (``lstat``: a link, a FIFO or a device is refused without
  being opened), opens without following a final symbolic link (``O_NOFOLLOW``) and without waiting
  on a FIFO (``O_NONBLOCK``), requires a regular file (``fstat``), caps the size before reading and
  never reads more than the cap plus one byte. With ``own=True`` it also applies the owner rules of
  ``check_owner_and_mode`` (the key files' rules, used for ``settings.json`` too).

Imports only the standard library and ``core.display_text`` (for escaped file names in messages).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from payer_app.core.display_text import visible

__all__ = ["UnsafeFileError", "check_owner_and_mode", "file_kind", "read_regular_file", "write_file_atomically"]


class UnsafeFileError(Exception):
    """A file cannot be read safely; the message says which file, why, and how to fix it. ``reason``:
    ``cannot-open`` (``errno``/``strerror`` say why), ``symlink``, ``not-regular`` (a FIFO, a device,
    a folder...), ``too-large``, ``not-yours`` (another user's file) or ``open-to-others`` (others
    can change it)."""

    def __init__(self, message: str, reason: str, errno: int | None = None, strerror: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.errno = errno
        self.strerror = strerror


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
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX: the directory entry lives in the folder)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - directories cannot be opened on some systems
        return
    try:
        os.fsync(dir_fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dir_fd)


def file_kind(mode: int) -> str:
    """What a non-regular file is, for messages ("a named pipe (FIFO)", "a folder"...)."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def read_regular_file(path: Path, max_bytes: int, what: str = "the file", *, follow_symlinks: bool = False,
                      check: Callable[[os.stat_result], None] | None = None,
                      fix: str = "Remove it and put the file itself there.", own: bool = False) -> bytes:
    """The bytes of ``path``, read safely; ``UnsafeFileError`` (saying how to fix it) when it is not a
    regular file or is larger than ``max_bytes``. Never follows a final symbolic link unless
    ``follow_symlinks``, never opens a FIFO or a device (``lstat`` first; ``fstat`` again after the
    open, for a file swapped in between), never reads more than ``max_bytes + 1`` bytes. ``own``:
    ``check_owner_and_mode`` too. ``check``, when given, is called with the opened file's ``fstat``
    before reading (owner/mode rules of the caller; it raises the caller's own error)."""
    shown = visible(os.fspath(path))
    _look_before_opening(path, what, shown, follow_symlinks, fix)
    fd = _open_without_waiting(path, what, shown, follow_symlinks)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(f"{what} {shown} is {file_kind(info.st_mode)}, not a regular file. {fix}",
                                  "not-regular")
        if own:
            check_owner_and_mode(info, what, shown)
        if check is not None:
            check(info)
        if info.st_size > max_bytes:
            raise UnsafeFileError(f"{what} {shown} is {info.st_size} bytes long; at most {max_bytes} are "
                                  "accepted. This is not the right file.", "too-large")
        data = _read_at_most(fd, max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # grew after fstat
        raise UnsafeFileError(f"{what} {shown} is larger than {max_bytes} bytes; this is not the right file.",
                              "too-large")
    return data


def check_owner_and_mode(info: os.stat_result, what: str, shown: str) -> None:
    """The owner rules of a file this user keeps for itself (settings, like OpenSSH's ``~/.ssh``
    files): it must be this user's own file, and neither its group nor others may write to it.
    Raises ``UnsafeFileError`` (``not-yours`` / ``open-to-others``) saying how to fix it."""
    if info.st_uid != os.geteuid():
        raise UnsafeFileError(f"{what} {shown} belongs to user id {info.st_uid}, not to you; it is not used. "
                              "Remove it (it is written again when you save).", "not-yours")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o022:
        raise UnsafeFileError(f"{what} {shown} can be changed by other users (mode {mode:04o}); it is not used. "
                              f"Check its content, then run `chmod 600 {shown}`.", "open-to-others")


def _look_before_opening(path: Path, what: str, shown: str, follow_symlinks: bool, fix: str) -> None:
    """Refuse a link (unless followed), a FIFO, a device, a socket or a folder without opening it:
    opening a device can do things (a tape rewinds), and a FIFO is never waited on."""
    try:
        info = os.stat(path) if follow_symlinks else os.lstat(path)
    except OSError as exc:
        raise UnsafeFileError(f"cannot open {what} {shown}: {exc.strerror}", "cannot-open", exc.errno,
                              exc.strerror) from None
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFileError(f"{what} {shown} is a symbolic link; it is not followed. Replace the link "
                              "with the file itself.", "symlink")
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeFileError(f"{what} {shown} is {file_kind(info.st_mode)}, not a regular file. {fix}",
                              "not-regular")


def _open_without_waiting(path: Path, what: str, shown: str, follow_symlinks: bool) -> int:
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFileError(f"{what} {shown} is a symbolic link; it is not followed. Replace the link "
                                  "with the file itself.", "symlink") from None
        raise UnsafeFileError(f"cannot open {what} {shown}: {exc.strerror}", "cannot-open", exc.errno,
                              exc.strerror) from None


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
