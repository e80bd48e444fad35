"""Opening the SQLite files of payer_app (payer history, mock acquirer ledger) the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path

IN_MEMORY = ":memory:"


def open_database(path: Path | str, synchronous: str = "FULL") -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), shareable across threads behind
    the caller's lock, in WAL mode. ``IN_MEMORY`` gives a database that lives as long as the connection."""
    if str(path) != IN_MEMORY:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, timeout=10, isolation_level=None)
    if str(path) != IN_MEMORY:
        db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    return db
