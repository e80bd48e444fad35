"""Saved bills (Hóa đơn đã lưu): payment QRs the payer keeps to pay again without scanning.

A saved bill is a name the payer chose ("Điện nhà mẹ") and the QR payload exactly as it was
scanned, so paying it later signs the very same ``qr.payload`` a scan would have. Kept in SQLite in
the data folder (``saved-bills.sqlite3``), renamed, deleted, exported and imported as JSON.

Rules (one home, asked by the window and by tests):

* ``saveability(parsed)`` - only a payment QR that could be paid (core's ``payability``) and that is
  **static** can be saved. A dynamic QR (field 01 = 12) carries a one-off amount for one purchase:
  saving it would replay that purchase, so it is refused with a clear message.
* A saved bill never stores an amount: the record has no amount column; the amount is typed (or
  picked from the chips) each time. A static QR's own suggested amount, if it has one, is part of
  its payload and is suggested again, exactly as when it was scanned.
* ``check_name(name)`` - 1 to ``MAX_NAME_CHARS`` characters, no control or invisible characters.
* A name must not look like another saved bill's name (``core.confusables``: the same skeleton, e.g.
  a Cyrillic "е" for the Latin one, capitals, a full-width letter) nor mix Latin with Cyrillic or
  Greek letters: refused on save, rename and import (``CONFUSABLE_NAME``), naming the bill it
  imitates, so two bills that look the same on screen never pay different payees.
* Import is hostile input: ``safe_json.loads_untrusted`` with a byte cap, at most
  ``MAX_SAVED_BILLS`` entries, every field's type and length checked, every payload re-parsed and
  asked ``saveability``. The first bad entry refuses the whole file with its position and reason;
  a good file is added in one transaction, so a bad import never changes what was saved.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from payer_app.core.confusables import imitated, mixed_scripts
from payer_app.core.display_text import visible
from payer_app.core.payability import payability
from payer_app.core.payload import MAX_INPUT_CHARS, ParsedPayload, parse_payload
from payer_app.core.refusals import SCRIPT_NAMES, QrRefused, Refusal
from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted
from payer_app.core.timestamps import format_timestamp
from payer_app.files import UnsafeFileError, read_regular_file
from payer_app.payments.sqlite_store import StoreFile, inserted_id

SAVED_BILLS_FILE = "saved-bills.sqlite3"
EXPORT_FORMAT = "payer-app-saved-bills"
EXPORT_VERSION = 1
MAX_SAVED_BILLS = 200
MAX_NAME_CHARS = 60
MAX_PAYLOAD_CHARS = MAX_INPUT_CHARS
MAX_IMPORT_BYTES = 2 * 1024 * 1024

# Refusal codes (stable).
DYNAMIC_NOT_SAVEABLE = "dynamic-not-saveable"
ALREADY_SAVED = "already-saved"
BAD_NAME = "bad-bill-name"
TOO_MANY = "too-many-saved-bills"
NOT_FOUND = "saved-bill-not-found"
BAD_IMPORT = "bad-import"
CONFUSABLE_NAME = "confusable-bill-name"


class SavedBillError(Refusal):
    """Saved bills refused to do it (a refusal of the catalogue, ``core.refusals``); nothing was changed."""

    @property
    def problem(self) -> Refusal:
        """What the window shows (kept whole, so a language change shows it in the new language)."""
        return self


@dataclass(frozen=True)
class SavedBill:
    id: int
    name: str
    payload: str  # the QR text exactly as scanned
    created_at: str
    updated_at: str

    @property
    def parsed(self) -> ParsedPayload:
        return parse_payload(self.payload)


@dataclass(frozen=True)
class ImportResult:
    added: int
    already_saved: int  # entries whose payload was saved already (skipped, the saved name kept)


def saveability(parsed: ParsedPayload) -> Refusal | None:
    """None when this QR can be kept as a saved bill; else why not (a core ``Refusal``)."""
    # Field 01 = 12 (EMVCo Book 1 §4.7.1, dynamic): the amount belongs to one purchase only.
    if parsed.is_payment and parsed.initiation == "dynamic":
        return QrRefused(DYNAMIC_NOT_SAVEABLE)
    # Anything that could not be paid now could not be paid later either (core's answer).
    return payability(parsed)


def check_name(name: Any) -> str:
    """The name, trimmed; raises SavedBillError(BAD_NAME) for an empty, long or unprintable one."""
    if not isinstance(name, str):
        raise SavedBillError("bill-name-not-text")
    name = name.strip()
    if not name:
        raise SavedBillError("bill-name-empty")
    if len(name) > MAX_NAME_CHARS:
        raise SavedBillError("bill-name-too-long", limit=MAX_NAME_CHARS)
    if visible(name) != name:  # control, bidi or zero-width characters: refused, not silently kept
        raise SavedBillError(BAD_NAME)
    return name


def check_look(name: str, others: Iterable[str]) -> None:
    """Raise SavedBillError(CONFUSABLE_NAME) when ``name`` looks like one of ``others`` (the other
    bills' names) or mixes Latin, Cyrillic and Greek letters; the message names the imitated bill."""
    mixed = mixed_scripts(name)
    how: dict[str, str] = {}
    if mixed is not None:
        first, second, letter = mixed
        how = {"first": SCRIPT_NAMES[first][0], "first_vi": SCRIPT_NAMES[first][1],
               "second": SCRIPT_NAMES[second][0], "second_vi": SCRIPT_NAMES[second][1],
               "letter": f"“{visible(letter)}” U+{ord(letter):04X}"}
    other = imitated(name, others)
    shown = visible(name)
    if other is not None:
        raise SavedBillError("confusable-mixed-bill-name" if how else CONFUSABLE_NAME, name=shown,
                             other=visible(other), **how)
    if mixed is not None:
        raise SavedBillError("mixed-script-name", name=shown, **how)


def check_payload(payload: Any) -> ParsedPayload:
    """The parsed payload of a bill that may be saved; raises SavedBillError otherwise."""
    if not isinstance(payload, str) or not payload:
        raise SavedBillError("bill-payload-empty")
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise SavedBillError("bill-payload-too-long", limit=MAX_PAYLOAD_CHARS)
    parsed = parse_payload(payload)
    problem = saveability(parsed)
    if problem is not None:
        raise SavedBillError(problem.kind, **problem.values)  # core's refusal, as saved bills' error
    return parsed


def _now() -> str:
    return format_timestamp(datetime.now(UTC))


_SCHEMA = """
CREATE TABLE IF NOT EXISTS saved_bills (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    payload TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""
_BILL_COLUMNS = "id, name, payload, created_at, updated_at"


class SavedBills(StoreFile):
    """The saved bills of one data folder. Thread-safe behind one lock."""

    SCHEMA = _SCHEMA
    SCHEMA_VERSION = 1  # PRAGMA user_version of the saved bills file
    DEFAULT_FILE = SAVED_BILLS_FILE

    # reading -----------------------------------------------------------------------------------
    def get(self, bill_id: int) -> SavedBill | None:
        row = self._store.one(f"SELECT {_BILL_COLUMNS} FROM saved_bills WHERE id = ?", (bill_id,))
        return SavedBill(*row) if row else None

    def find(self, payload: str) -> SavedBill | None:
        """The saved bill holding exactly this QR payload, if any."""
        row = self._store.one(f"SELECT {_BILL_COLUMNS} FROM saved_bills WHERE payload = ?", (payload,))
        return SavedBill(*row) if row else None

    def count(self) -> int:
        return self._store.one("SELECT count(*) FROM saved_bills")[0]

    def _names(self, but: int | None = None) -> list[str]:
        """The names of the saved bills (but bill ``but``), oldest first."""
        return [name for bill_id, name in self._store.all("SELECT id, name FROM saved_bills ORDER BY id")
                if bill_id != but]

    # changing ----------------------------------------------------------------------------------
    def add(self, name: str, payload: str) -> SavedBill:
        """Save ``payload`` (the scanned text) as ``name``. Raises SavedBillError: a dynamic or
        unpayable QR, a bad name, a payload saved already, or the store is full."""
        name = check_name(name)
        check_payload(payload)
        with self._store.transaction() as db:
            existing = self.find(payload)
            if existing is not None:
                raise SavedBillError(ALREADY_SAVED, name=visible(existing.name))
            check_look(name, self._names())
            if self.count() >= MAX_SAVED_BILLS:
                raise _too_many()
            now = _now()
            cursor = db.execute("INSERT INTO saved_bills (name, payload, created_at, updated_at) VALUES (?, ?, ?, ?)",
                                (name, payload, now, now))
            return SavedBill(inserted_id(cursor), name, payload, now, now)

    def rename(self, bill_id: int, name: str) -> SavedBill:
        name = check_name(name)
        with self._store.transaction() as db:
            check_look(name, self._names(but=bill_id))
            cursor = db.execute("UPDATE saved_bills SET name = ?, updated_at = ? WHERE id = ?", (name, _now(), bill_id))
            bill = self.get(bill_id) if cursor.rowcount == 1 else None
            if bill is None:
                raise _not_found()
            return bill

    def delete(self, bill_id: int) -> None:
        if self._store.write("DELETE FROM saved_bills WHERE id = ?", (bill_id,)).rowcount != 1:
            raise _not_found()

    # export / import ---------------------------------------------------------------------------
    def export_json(self) -> str:
        """Every saved bill as JSON (UTF-8 text): name, payload, created_at; no amount, no ids."""
        bills = [{"name": b.name, "payload": b.payload, "created_at": b.created_at} for b in self.list()]
        return json.dumps({"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "bills": bills},
                          ensure_ascii=False, indent=2) + "\n"

    def import_json(self, data: bytes | str) -> ImportResult:
        """Add the bills of an exported file. All or nothing: the first bad entry refuses the file
        (SavedBillError(BAD_IMPORT...) naming the entry and the reason) and nothing is changed."""
        entries = parse_import(data)
        with self._store.transaction() as db:
            fresh = self._not_saved_yet(entries)
            self._check_import_names(entries, fresh)
            if self.count() + len(fresh) > MAX_SAVED_BILLS:
                raise _too_many()
            now = _now()
            db.executemany("INSERT INTO saved_bills (name, payload, created_at, updated_at) VALUES (?, ?, ?, ?)",
                           [(name, payload, now, now) for name, payload in fresh])
        return ImportResult(len(fresh), len(entries) - len(fresh))

    def _check_import_names(self, entries: list[tuple[str, str]], fresh: list[tuple[str, str]]) -> None:
        """Each new bill of the file against the saved bills and the new bills before it (its
        position in the file is named); SavedBillError(BAD_IMPORT) for the first look-alike."""
        names = self._names()
        for name, payload in fresh:
            try:
                check_look(name, names)
            except SavedBillError as exc:
                number = entries.index((name, payload)) + 1
                raise _bad_entry(number, exc) from None
            names.append(name)

    def _not_saved_yet(self, entries: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The entries whose payload is neither saved nor listed earlier in the same file."""
        fresh, seen = [], set()
        for name, payload in entries:
            if payload in seen or self.find(payload) is not None:
                continue
            seen.add(payload)
            fresh.append((name, payload))
        return fresh

    # last in the class: an annotation below it would read `list` as this method
    def list(self) -> list[SavedBill]:
        """Every saved bill, by name (case-insensitive), then oldest first."""
        rows = self._store.all(f"SELECT {_BILL_COLUMNS} FROM saved_bills ORDER BY lower(name), id")
        return [SavedBill(*row) for row in rows]


def read_import_file(path: str | Path) -> bytes:
    """The bytes of a file to import, refused before reading when it is not a regular file (a named
    pipe is not waited on) or is larger than the import cap (SavedBillError); OSError when it cannot
    be opened."""
    try:
        return read_regular_file(Path(path), MAX_IMPORT_BYTES, "the file", follow_symlinks=True)
    except UnsafeFileError as exc:
        if exc.reason == "cannot-open":
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        if exc.reason == "too-large":
            raise SavedBillError("import-too-large", limit_kb=MAX_IMPORT_BYTES // 1024) from None
        raise SavedBillError("import-not-regular") from None


def parse_import(data: bytes | str) -> list[tuple[str, str]]:
    """The (name, payload) pairs of an export file, every one checked; raises SavedBillError."""
    try:
        document = loads_untrusted(data, max_bytes=MAX_IMPORT_BYTES, max_depth=4, what="saved bills file")
    except UntrustedJSONError as exc:
        text = visible(str(exc), 200)
        raise SavedBillError("import-not-json", detail=text) from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise SavedBillError("import-no-format", format=EXPORT_FORMAT)
    if document.get("version") != EXPORT_VERSION:
        raise SavedBillError("import-bad-version", version=EXPORT_VERSION)
    bills = document.get("bills")
    if not isinstance(bills, list):
        raise SavedBillError("import-no-bills")
    if len(bills) > MAX_SAVED_BILLS:
        raise SavedBillError("import-too-many", count=len(bills), limit=MAX_SAVED_BILLS)
    entries = []
    for number, bill in enumerate(bills, start=1):
        try:
            if not isinstance(bill, dict):
                raise SavedBillError("import-entry-not-object")
            name = check_name(bill.get("name"))
            payload = check_payload(bill.get("payload")).raw
        except SavedBillError as exc:
            raise _bad_entry(number, exc) from None
        entries.append((name, payload))
    return entries


def _bad_entry(number: int, exc: SavedBillError) -> SavedBillError:
    """The refusal of one bill of an import file, naming its place in the file."""
    return SavedBillError("import-bad-entry", number=number, inner=exc.text("en"), inner_vi=exc.text("vi"))


def _too_many() -> SavedBillError:
    return SavedBillError(TOO_MANY, limit=MAX_SAVED_BILLS)


def _not_found() -> SavedBillError:
    return SavedBillError(NOT_FOUND)
