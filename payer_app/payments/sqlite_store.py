"""The one way payer_app keeps data in SQLite: the payer's history, the saved bills, and the mock
acquirer's ledger file (payments, key bindings and nonces; the biller's payments; the counter's events).

- ``open_database``: an autocommit connection (transactions are explicit), WAL journal, the caller's
  ``synchronous`` level, a 10 s busy timeout, shareable across threads behind the store's lock.
- ``SQLiteStore``: one file, one lock (shared by every store of that file in this process), its
  tables created by a schema script (``CREATE ... IF NOT EXISTS``), its schema version checked: the
  file's ``PRAGMA user_version`` may be 0 (a new file, or one written before versions were kept: it
  opens and is stamped) or at most the version this code knows; a file from a newer payer_app is
  refused (``StoreVersionError``) before anything is written.
- ``SQLiteStore.transaction()``: ``BEGIN IMMEDIATE`` (the write lock up front, so two writers queue
  instead of failing half-way), ``COMMIT`` at the end, ``ROLLBACK`` on any exception.

Several stores may share a file (the ledger file holds three); they then share its version number,
and in one process its lock: their connections take turns at the file under that lock, so one never
meets another's write lock inside SQLite, whose busy handler would sleep 1, 2, 5, 10... ms before
trying again (the acquirer's writer and its listeners write to the ledger file at the same time).
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

IN_MEMORY = ":memory:"
# The acquirer's ledger file (Ledger, Biller, CounterEvents): bump when one of its tables changes.
# 2: used_nonces is kept per payer (payer_scope); Ledger rebuilds a version 1 table when it opens.
# 3: counter_events keeps the fee or tip (fee, fee_kind); CounterStore adds them to an older table.
LEDGER_SCHEMA_VERSION = 3

__all__ = ["AUTO_CHECKPOINT_PAGES", "IN_MEMORY", "LEDGER_SCHEMA_VERSION", "SQLiteStore", "StoreFile",
           "StoreVersionError", "checkpoint", "hold_checkpoints", "open_database", "store_path"]


class _SharedFile:
    """What the stores of one database file share in this process: its lock, and whether SQLite's
    automatic checkpoints are held (``hold_checkpoints``)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.stores: weakref.WeakSet[SQLiteStore] = weakref.WeakSet()
        self.checkpoints_held = 0  # how many callers hold them


_FILES: weakref.WeakValueDictionary[str, _SharedFile] = weakref.WeakValueDictionary()  # by resolved path
_FILES_GUARD = threading.Lock()
AUTO_CHECKPOINT_PAGES = 1000  # SQLite's default wal_autocheckpoint


def _shared_file(path: Path | str) -> _SharedFile:
    """The shared part of one database file in this process (a new one for each in-memory database)."""
    if str(path) == IN_MEMORY:
        return _SharedFile()
    key = str(Path(path).resolve())
    with _FILES_GUARD:
        found = _FILES.get(key)
        if found is None:
            found = _FILES[key] = _SharedFile()
        return found


def hold_checkpoints(path: Path | str, held: bool = True) -> None:
    """While held, no store of this file in this process checkpoints the WAL inside its own commits:
    SQLite's automatic checkpoint runs inside the commit that passes ``AUTO_CHECKPOINT_PAGES`` of WAL,
    so under the file's lock, its ``fsync`` calls included, and every other store of the file waits
    for it. The holder checkpoints instead (``checkpoint``, on a connection of its own, without the
    lock). ``held=False`` gives one hold back; the last one back turns the automatic checkpoints on again."""
    shared = _shared_file(path)
    with shared.lock:
        shared.checkpoints_held = max(0, shared.checkpoints_held + (1 if held else -1))
        for store in list(shared.stores):
            store._set_auto_checkpoint()


def checkpoint(db: sqlite3.Connection) -> tuple[int, int, int]:
    """A passive checkpoint on ``db`` (which should hold no lock of the file's stores): the WAL's
    committed pages copied into the database file and ``fsync``-ed, without waiting for, or holding up,
    a writer. (busy, pages in the WAL, pages checkpointed), as SQLite says them."""
    busy, pages, done = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(busy), int(pages), int(done)


class StoreVersionError(sqlite3.OperationalError):
    """The file was written by a newer payer_app (a schema this version does not know); it is left untouched."""


def open_database(path: Path | str, synchronous: str = "FULL") -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), shareable across threads behind
    the caller's lock, in WAL mode. ``IN_MEMORY`` gives a database that lives as long as the connection."""
    db = _connect(path)
    _tune(db, path, synchronous)
    return db


def _connect(path: Path | str) -> sqlite3.Connection:
    if str(path) != IN_MEMORY:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return sqlite3.connect(str(path), check_same_thread=False, timeout=10, isolation_level=None)


def _tune(db: sqlite3.Connection, path: Path | str, synchronous: str) -> None:
    if str(path) != IN_MEMORY:
        db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")


def store_path(path: Path | str | None, default_file: str) -> Path | str:
    """``path`` as given (``IN_MEMORY`` kept as it is), or ``default_file`` in the data folder."""
    if path is None:
        from payer_app.paths import data_file

        return data_file(default_file)
    return IN_MEMORY if str(path) == IN_MEMORY else Path(path)


class SQLiteStore:
    """One SQLite file behind one lock, its schema created and its version checked on opening.
    ``lock`` is the file's (``_shared_file``): every store of the same file in this process holds it
    for each statement and transaction."""

    def __init__(self, path: Path | str, schema: str, *, version: int, synchronous: str = "FULL"):
        self.path = IN_MEMORY if str(path) == IN_MEMORY else Path(path)
        self._shared = _shared_file(self.path)
        self.lock = self._shared.lock
        self._depth = 0  # open transaction blocks of the thread holding the lock (1: the outermost)
        self.db = _connect(self.path)
        try:
            with self.lock:
                self._prepare(schema, version, synchronous)
                self._shared.stores.add(self)
                self._set_auto_checkpoint()
        except StoreVersionError:
            self.db.close()
            raise
        except sqlite3.DatabaseError as exc:  # damaged, not SQLite, locked, read-only...: name the file
            self.db.close()
            raise type(exc)(f"{self.path}: {exc}") from None
        except BaseException:
            self.db.close()
            raise

    def _prepare(self, schema: str, version: int, synchronous: str) -> None:
        """Version first (a newer file is refused before the journal mode or a table is touched),
        then the connection settings, then the tables."""
        found = self.db.execute("PRAGMA user_version").fetchone()[0]
        if found > version:
            raise StoreVersionError(
                f"{self.path} was written by a newer payer_app (schema version {found}; this version "
                f"reads up to {version}). It was left untouched: update payer_app to open it.")
        _tune(self.db, self.path, synchronous)
        self.db.executescript(schema)
        if found < version:
            self.db.execute(f"PRAGMA user_version = {int(version)}")

    def _set_auto_checkpoint(self) -> None:
        """SQLite's automatic checkpoints on this connection unless the file's are held (``hold_checkpoints``)."""
        pages = 0 if self._shared.checkpoints_held else AUTO_CHECKPOINT_PAGES
        with self.lock:
            with suppress(sqlite3.ProgrammingError):  # closed meanwhile
                self.db.execute(f"PRAGMA wal_autocheckpoint = {pages}")

    def close(self) -> None:
        with self.lock:
            self._shared.stores.discard(self)
            self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` under the store's lock; ``ROLLBACK`` on any exception
        (a ``return`` inside the block commits). Inside another transaction of this store (the same
        thread, which holds the lock) it is a ``SAVEPOINT``: its exception undoes only its own writes,
        and nothing is committed before the outermost block ends (the acquirer's group commit,
        ``Ledger.batch``)."""
        with self.lock:
            if self._depth:
                yield from self._savepoint()
                return
            self.db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        name = f"inner{self._depth}"
        self.db.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield self.db
        except BaseException:
            if self.db.in_transaction:  # an error may have ended the whole transaction already
                self.db.execute(f"ROLLBACK TO {name}")
                self.db.execute(f"RELEASE {name}")
            raise
        finally:
            self._depth -= 1
        self.db.execute(f"RELEASE {name}")

    def write(self, sql: str, params: tuple | list = ()) -> sqlite3.Cursor:
        """One statement on its own (autocommit), under the store's lock."""
        with self.lock:
            return self.db.execute(sql, params)

    def one(self, sql: str, params: tuple | list = ()) -> Any:
        """The first row of a query, or None."""
        with self.lock:
            return self.db.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple | list = ()) -> list[Any]:
        """Every row of a query."""
        with self.lock:
            return self.db.execute(sql, params).fetchall()


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The rowid an INSERT just made (sqlite3 types ``lastrowid`` as optional: None before any INSERT)."""
    if cursor.lastrowid is None:
        raise sqlite3.InterfaceError("the statement inserted no row")
    return cursor.lastrowid


class StoreFile:
    """Base of a store kept in one SQLite file: a subclass names its ``SCHEMA`` (CREATE ... IF NOT
    EXISTS), ``SCHEMA_VERSION``, ``SYNCHRONOUS`` level and, when it has one, its ``DEFAULT_FILE`` in
    the data folder (used when no path is given). ``self._store`` is its ``SQLiteStore``."""

    SCHEMA: str = ""
    SCHEMA_VERSION: int = 1
    SYNCHRONOUS: str = "FULL"
    DEFAULT_FILE: str | None = None

    def __init__(self, path: Path | str | None = None):
        if path is None and self.DEFAULT_FILE is None:
            raise TypeError(f"{type(self).__name__} needs the path of its file")
        self._store = SQLiteStore(store_path(path, self.DEFAULT_FILE or ""), self.SCHEMA,
                                  version=self.SCHEMA_VERSION, synchronous=self.SYNCHRONOUS)
        self.path = self._store.path

    def close(self) -> None:
        self._store.close()
