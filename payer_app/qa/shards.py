"""Which files a CI shard scans (``payer-app scan FOLDER --shard K/N``), and the files of a folder.

A file belongs to shard ``hash(key) mod N + 1``, where ``key`` is its path relative to the scanned
folder (``/`` between folders) and ``hash`` the first 8 bytes of its SHA-256: the choice depends on
that one file's key alone, so adding or removing other files never moves a file to another shard,
and every machine, Python and file system agrees. An expectations entry that no file matched is
reported missing by the shard its own key falls in, so that the shards together report it once.

``list_images`` lists a folder (with ``recursive``: its subfolders too) in key order, never through
the same folder twice (a symbolic link back up the tree is not followed), and stops at ``MAX_FILES``.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from payer_app.core.display_text import visible

MAX_SHARDS = 1000
MAX_FILES = 100_000  # the most files one scan lists (a folder, recursive or not)


class ShardError(ValueError):
    """A bad ``--shard`` value or a folder that cannot be listed; the message says which."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` as (K, N), 1 <= K <= N <= MAX_SHARDS; raises ShardError."""
    match = re.fullmatch(r"\s*(\d{1,6})\s*/\s*(\d{1,6})\s*", text or "")
    if not match:
        raise ShardError(f"--shard takes K/N (this job's number K of N jobs, e.g. 1/4), not {visible(text, 40)!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= count <= MAX_SHARDS:
        raise ShardError(f"--shard {index}/{count}: N must be 1 to {MAX_SHARDS}")
    if not 1 <= index <= count:
        raise ShardError(f"--shard {index}/{count}: K must be 1 to N ({count})")
    return index, count


def file_key(path: str | os.PathLike, base: str | os.PathLike | None) -> str:
    """The path relative to ``base`` with ``/`` between folders; the path as given (normalised) when
    there is no base or it is not inside it."""
    text = os.path.normpath(os.fspath(path))
    if base is not None:
        relative = os.path.relpath(text, os.path.normpath(os.fspath(base)))
        if relative != os.pardir and not relative.startswith(os.pardir + os.sep):
            text = relative
    return text.replace(os.sep, "/")


def missing_key(name: str, expect_base: str | os.PathLike | None, base: str | os.PathLike | None) -> str:
    """The key of an expectations entry that no file matched: where it would be, relative to the
    scanned folder (names in an expectations file are relative to its own folder)."""
    if expect_base is None:
        return file_key(name, base)
    return file_key(os.path.join(os.fspath(expect_base), name), base)


def shard_of(key: str, count: int) -> int:
    """The shard (1 to ``count``) a file key belongs to."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def in_shard(key: str, shard: tuple[int, int] | None) -> bool:
    return shard is None or shard_of(key, shard[1]) == shard[0]


def list_images(folder: Path, suffixes: set[str], recursive: bool, max_files: int | None = None) -> list[Path]:
    """The image files (by suffix) in ``folder``, in key order; raises ShardError."""
    max_files = MAX_FILES if max_files is None else max_files
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            info = current.stat()
            if (info.st_dev, info.st_ino) in seen:
                continue  # a link back to a folder already listed: a loop, or the same files twice
            seen.add((info.st_dev, info.st_ino))
            with os.scandir(current) as entries:
                for entry in entries:
                    path = current / entry.name
                    if recursive and entry.is_dir():
                        pending.append(path)
                    elif Path(entry.name).suffix.lower() in suffixes and entry.is_file():
                        found.append(path)
                        if len(found) > max_files:
                            raise ShardError(f"{visible(str(folder), 200)}: more than {max_files} image files; "
                                             "scan a smaller folder")
        except OSError as exc:
            raise ShardError(f"{visible(str(current), 200)}: cannot list the folder: "
                             f"{visible(exc.strerror or exc)}") from None
    return sorted(found, key=lambda p: file_key(p, folder))


def keep_shard(source, shard: tuple[int, int], base: str | None, qa) -> None:
    """Leave in ``source.paths`` (a file-by-file source) only this shard's files; with expectations,
    the entries the other shards' files match are not missing here, and of the entries no file
    matches, only this shard's are reported."""
    mine = [p for p in source.paths if in_shard(file_key(p, base), shard)]
    if qa is not None:
        qa.shard = {"index": shard[0], "count": shard[1]}
        expectations = qa.expectations
        if expectations is not None:
            kept = set(mine)
            expectations.scanned_elsewhere([p for p in source.paths if p not in kept])
            expect_base = expectations.base
            expectations.keep_missing_only(lambda name: in_shard(missing_key(name, expect_base, base), shard))
    source.paths = mine
