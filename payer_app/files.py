"""File safety helpers: the one home for writing a file atomically and reading an outside file safely.

- ``write_file_atomically``: temporary file in the same folder, fsync, ``os.replace``, fsync of the
  folder, so a reader (or a crash) sees the old content or the new, never a mix.
- ``read_regular_file``: opens without following a final symbolic link (``O_NOFOLLOW``) and without
  waiting on a FIFO (``O_NONBLOCK``), requires a regular file (``fstat``), caps the size before
  reading and never reads more than the cap plus one byte.

Imports only the standard library and ``core.display_text`` (for escaped file names in messages).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable

from payer_app.core.display_text import visible

__all__ = ["UnsafeFileError", "file_kind", "read_regular_file", "write_file_atomically"]


class UnsafeFileError(Exception):
    """A file cannot be read safely; the message says which file, why, and how to fix it. ``reason``:
    ``cannot-open`` (``errno``/``strerror`` say why), ``symlink``, ``not-regular`` (a FIFO, a device,
    a folder...) or ``too-large``."""

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
                      fix: str = "Remove it and put the file itself there.") -> bytes:
    """The bytes of ``path``, read safely; ``UnsafeFileError`` (saying how to fix it) when it is not a
    regular file or is larger than ``max_bytes``. Never follows a final symbolic link unless
    ``follow_symlinks``, never blocks on a FIFO, never reads more than ``max_bytes + 1`` bytes.
    ``check``, when given, is called with the opened file's ``fstat`` before reading (owner/mode
    rules of the caller; it raises the caller's own error)."""
    shown = visible(os.fspath(path))
    fd = _open_without_waiting(path, what, shown, follow_symlinks)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(f"{what} {shown} is {file_kind(info.st_mode)}, not a regular file. {fix}",
                                  "not-regular")
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
