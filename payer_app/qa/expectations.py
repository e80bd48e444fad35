"""What a batch scan is expected to find, file by file (``payer-app scan FOLDER --expect FILE``).

FILE is JSON, read with limits (``safe_json.loads_untrusted``). Three shapes are understood:

1. a ``payer-app generate corpus`` manifest: ``{"entries": [{"file", "payload", "expected": {"valid",
   "finding_codes", "scheme", "amount"}, "decodable_expected"}, ...]}``;
2. a list of entries, ``{"entries": [{"file": NAME, ...}]}`` or a bare ``[{"file": NAME, ...}]``;
3. a mapping, ``{"files": {NAME: ...}}`` or a bare ``{NAME: ...}``.

An entry's value is either the expected payload (a string) or an object with any of: ``payload``,
``scheme``, ``customer_code`` (EVN customer code, 62.06), ``amount`` (integer dong, ``null`` = no
amount in the QR), ``valid`` (bool), ``finding_codes`` (the parser's finding codes, as a set) and
``found`` (``true``: at least one QR must be read, the default; ``false``: the file must hold no
readable QR, and reading one fails it). Only the keys given are checked. A manifest entry marked
beyond any decoder (``decodable_expected: false``) may be read or not; when read, it must give its
payload.

NAME is matched against the scanned file's path relative to FILE's folder, then its path as given
on the command line, then its bare file name.

Each scanned file gets one outcome: ``pass``, ``wrong-payload``, ``wrong-fields``, ``not-found``
(no QR read), ``unexpected-qr`` (a QR read where ``found`` is false), ``unreadable`` (the file is
not an image that can be read), ``no-expectation`` (the file is not in FILE); each entry of FILE
that no scanned file matched is ``missing``. Only ``pass`` passes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from payer_app.core.display_text import visible
from payer_app.core.payload import MAX_INPUT_CHARS, ParsedPayload, parse_payload
from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted

MAX_EXPECT_BYTES = 64 * 1024 * 1024  # a 100,000-picture corpus manifest is about 60 MB
MAX_ENTRIES = 100_000
MAX_NAME_CHARS = 4096
MAX_FINDING_CODES = 256
FIELD_KEYS = ("scheme", "customer_code", "amount", "valid", "finding_codes")
ENTRY_KEYS = {"payload", "found", *FIELD_KEYS}

PASS = "pass"
WRONG_PAYLOAD = "wrong-payload"
WRONG_FIELDS = "wrong-fields"
NOT_FOUND = "not-found"
UNEXPECTED_QR = "unexpected-qr"
UNREADABLE = "unreadable"
NO_EXPECTATION = "no-expectation"
MISSING = "missing"
STATUSES = (PASS, WRONG_PAYLOAD, WRONG_FIELDS, NOT_FOUND, UNEXPECTED_QR, UNREADABLE, NO_EXPECTATION, MISSING)


class ExpectationError(ValueError):
    """The expectations file cannot be used; the message says where and what is wrong."""


@dataclass(frozen=True)
class Expectation:
    name: str  # the file name as FILE writes it
    payload: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # only the keys to check
    # True: a QR must be read; False: none may be read; None: either (a corpus picture beyond any
    # decoder: not read is as expected, read must still be its payload)
    found: bool | None = True

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"found": self.found}
        if self.payload is not None:
            out["payload"] = self.payload
        out.update(self.fields)
        return out


@dataclass
class Outcome:
    file: str
    status: str
    problems: list[str] = field(default_factory=list)  # what differed, already made printable
    expected: Expectation | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "status": self.status,
            "problems": list(self.problems),
            "notes": list(self.notes),
            "expected": None if self.expected is None else self.expected.to_dict(),
        }


# ---------------------------------------------------------------------------------------------
# loading


def read_capped(path: str | os.PathLike, max_bytes: int, label: str) -> bytes:
    """At most ``max_bytes + 1`` bytes of FILE (one more, so the parser can say it is too long); raises
    ExpectationError naming ``label`` when it cannot be read."""
    try:
        with open(path, "rb") as fh:
            return fh.read(max_bytes + 1)
    except OSError as exc:
        raise ExpectationError(f"{label}: cannot read: {exc.strerror or exc}") from None


def load_expectations(path: str | os.PathLike) -> ExpectationSet:
    """Read FILE; raises ExpectationError naming the file and the entry at fault."""
    p = Path(path)
    label = visible(str(p), 200)
    data = read_capped(p, MAX_EXPECT_BYTES, label)
    try:
        document = loads_untrusted(data, max_bytes=MAX_EXPECT_BYTES, max_depth=16, what=label)
    except UntrustedJSONError as exc:
        raise ExpectationError(_duplicate_key_named(data, label) or str(exc)) from None
    entries = _entries_of(document, label)
    if len(entries) > MAX_ENTRIES:
        raise ExpectationError(f"{label}: {len(entries)} entries; at most {MAX_ENTRIES} are accepted")
    expectations: list[Expectation] = []
    seen: set[str] = set()
    for position, (name, value) in enumerate(entries, start=1):
        where = f"{label}: entry {position}"
        name = _check_name(name, where)
        where = f"{label}: entry {position} ({visible(name, 80)})"
        if name in seen:
            raise ExpectationError(f"{where}: the same file is listed twice")
        seen.add(name)
        expectations.append(_expectation(name, value, where))
    return ExpectationSet(expectations, base=p.parent)


def _duplicate_key_named(data: bytes, label: str) -> str | None:
    """``FILE: the key "K" appears twice in one object`` when that is what is wrong with ``data`` (already
    checked for size, depth and UTF-8 by ``loads_untrusted``), else None."""
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                duplicates.append(key)
            seen.add(key)
        return dict(items)

    try:
        json.loads(data.decode("utf-8"), object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return None
    if not duplicates:
        return None
    return f'{label}: the key "{visible(duplicates[0], 200)}" appears twice in one object (a duplicate key)'


def _entries_of(document: Any, label: str) -> list[tuple[Any, Any]]:
    if isinstance(document, dict) and "entries" in document:
        document = document["entries"]
    elif isinstance(document, dict) and isinstance(document.get("files"), dict):
        document = document["files"]
    if isinstance(document, dict):
        return list(document.items())
    if isinstance(document, list):
        out = []
        for position, item in enumerate(document, start=1):
            if not isinstance(item, dict) or "file" not in item:
                raise ExpectationError(f"{label}: entry {position} must be an object with a \"file\" name")
            out.append((item["file"], item))
        return out
    raise ExpectationError(f"{label}: expected a JSON object (file name -> expected payload or fields), "
                           "a list of entries, or a corpus manifest")


def _check_name(name: Any, where: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ExpectationError(f"{where}: the file name must be a non-empty string")
    if len(name) > MAX_NAME_CHARS:
        raise ExpectationError(f"{where}: the file name is longer than {MAX_NAME_CHARS} characters")
    if "\0" in name:
        raise ExpectationError(f"{where}: the file name holds a NUL character")
    return name


def _expectation(name: str, value: Any, where: str) -> Expectation:
    if isinstance(value, str):
        return Expectation(name, payload=_check_payload(value, where))
    if not isinstance(value, dict):
        raise ExpectationError(f"{where}: expected a payload string or an object of expected fields")
    if "expected" in value and isinstance(value.get("expected"), dict):
        return _from_manifest_entry(name, value, where)
    unknown = sorted(set(value) - ENTRY_KEYS - {"file", "note"})
    if unknown:
        raise ExpectationError(
            f"{where}: unknown key {visible(unknown[0], 40)!s}; known keys: {', '.join(sorted(ENTRY_KEYS))}")
    found = value.get("found", True)
    if not isinstance(found, bool):
        raise ExpectationError(f"{where}: \"found\" must be true or false")
    payload = value.get("payload")
    if payload is not None:
        payload = _check_payload(payload, where)
    fields = _check_fields({k: value[k] for k in FIELD_KEYS if k in value}, where)
    if not found and (payload is not None or fields):
        raise ExpectationError(f"{where}: \"found\": false cannot go with an expected payload or fields")
    return Expectation(name, payload=payload, fields=fields, found=found)


def entry_expectation(name: str, value: Any, where: str) -> Expectation:
    """One entry of FILE (a payload string or an object of expected fields), checked as
    ``load_expectations`` checks each; ``where`` names it in the error. A stream's expectation
    (``qa/stream_expectations.py``) is one such entry with keys of its own."""
    return _expectation(name, value, where)


def _from_manifest_entry(name: str, entry: dict, where: str) -> Expectation:
    """A ``generate corpus`` manifest entry: payload, the lenient parse result, decodable or not.
    Keys a manifest entry carries besides these (fault, condition, transformation...) are ignored,
    so a newer corpus generator's manifest still works."""
    expected = entry["expected"]
    fields = _check_fields({k: expected[k] for k in ("scheme", "amount", "valid", "finding_codes") if k in expected},
                           where)
    payload = entry.get("payload")
    payload = None if payload is None else _check_payload(payload, where)
    decodable = entry.get("decodable_expected", True)
    if not isinstance(decodable, bool):
        raise ExpectationError(f"{where}: \"decodable_expected\" must be true or false")
    if not decodable:
        # Beyond any decoder: not read is as expected; read anyway, it must still be the right payload.
        return Expectation(name, payload=payload, fields={}, found=None)
    return Expectation(name, payload=payload, fields=fields)


def _check_payload(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ExpectationError(f"{where}: the payload must be a string")
    if len(value) > MAX_INPUT_CHARS:
        raise ExpectationError(f"{where}: the payload is longer than a QR code can hold ({MAX_INPUT_CHARS} characters)")
    return value


def _check_fields(fields: dict[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ("scheme", "customer_code"):
            if value is not None and (not isinstance(value, str) or len(value) > 200):
                raise ExpectationError(f"{where}: \"{key}\" must be a string (or null)")
            out[key] = value
        elif key == "amount":
            out[key] = _check_amount(value, where)
        elif key == "valid":
            if not isinstance(value, bool):
                raise ExpectationError(f"{where}: \"valid\" must be true or false")
            out[key] = value
        elif key == "finding_codes":
            if (not isinstance(value, list) or len(value) > MAX_FINDING_CODES
                    or not all(isinstance(c, str) and 0 < len(c) <= 100 for c in value)):
                raise ExpectationError(f"{where}: \"finding_codes\" must be a list of finding codes (strings)")
            out[key] = sorted(set(value))
    return out


def _check_amount(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ExpectationError(f"{where}: \"amount\" must be a whole number of dong (or null)")
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 13:
        return int(value)
    if isinstance(value, int) and 0 <= value < 10**13:
        return value
    raise ExpectationError(f"{where}: \"amount\" must be a whole number of dong (or null)")


# ---------------------------------------------------------------------------------------------
# checking


def actual_fields(parsed: ParsedPayload) -> dict[str, Any]:
    """The checked fields as the parser sees them."""
    return {
        "scheme": parsed.scheme,
        "customer_code": parsed.bill.evn_customer_code,
        "amount": parsed.amount,
        "valid": parsed.valid,
        "finding_codes": sorted({f.code for f in parsed.findings}),
    }


class ExpectationSet:
    def __init__(self, expectations: list[Expectation], base: Path | None = None):
        self.expectations = list(expectations)
        self.base = base
        self._by_name = {e.name: e for e in self.expectations}
        self._by_resolved: dict[str, Expectation] = {}
        if base is not None:
            for e in self.expectations:
                self._by_resolved.setdefault(_resolved(base / e.name), e)
        by_base: dict[str, list[Expectation]] = {}
        for e in self.expectations:
            by_base.setdefault(Path(e.name).name, []).append(e)
        self._by_basename = {k: v[0] for k, v in by_base.items() if len(v) == 1}
        self._used: set[str] = set()
        self._keep_missing: Callable[[str], bool] | None = None

    def __len__(self) -> int:
        return len(self.expectations)

    def find(self, path: str | os.PathLike) -> Expectation | None:
        p = Path(path)
        found = self._by_resolved.get(_resolved(p))
        if found is None:
            found = self._by_name.get(str(path)) or self._by_basename.get(p.name)
        return found

    def check(self, path: str | os.PathLike, texts: list[str], error: str | None = None) -> Outcome:
        """The outcome for one scanned file: ``texts`` are the payloads read from it (in the
        scanner's order), ``error`` says why the file could not be read at all."""
        shown = str(path)
        expectation = self.find(path)
        if expectation is not None:
            self._used.add(expectation.name)
        if error is not None:
            return Outcome(shown, UNREADABLE, [f"cannot read the file: {visible(error, 300)}"], expectation)
        if expectation is None:
            return Outcome(shown, NO_EXPECTATION, ["the expectations file does not list this file"])
        return check_texts(shown, expectation, texts)

    def missing(self) -> list[Outcome]:
        """Entries no scanned file matched (call after every file was checked); with a shard, only
        those ``keep_missing_only`` keeps."""
        keep = self._keep_missing
        return [Outcome(e.name, MISSING, ["listed in the expectations file but not scanned (no such file?)"], e)
                for e in self.expectations if e.name not in self._used and (keep is None or keep(e.name))]

    def scanned_elsewhere(self, paths: list) -> None:
        """Files that another shard scans: the entries they match are not missing here."""
        for path in paths:
            expectation = self.find(path)
            if expectation is not None:
                self._used.add(expectation.name)

    def keep_missing_only(self, keep: Callable[[str], bool]) -> None:
        """Report as missing only the entries (by name) that ``keep`` keeps: those of this shard."""
        self._keep_missing = keep


def _resolved(p: Path) -> str:
    try:
        return str(p.resolve())
    except (OSError, RuntimeError):
        return str(p.absolute())


def check_texts(shown: str, expectation: Expectation, texts: list[str]) -> Outcome:
    """Compare the payloads read from one file with what is expected of it."""
    if not texts:
        if expectation.found is True:
            return Outcome(shown, NOT_FOUND, ["no QR code was read from the file"], expectation)
        return Outcome(shown, PASS, [], expectation, ["no QR read, as expected"])
    if expectation.found is False:
        return Outcome(shown, UNEXPECTED_QR, [
            "expected no readable QR code",
            f"read payload     {visible(_leading(texts), 200)}",
        ], expectation)
    if expectation.payload is not None:
        if expectation.payload not in texts:
            got = _leading(texts)
            return Outcome(shown, WRONG_PAYLOAD, [
                f"expected payload {visible(expectation.payload, 200)}",
                f"read payload     {visible(got, 200)}",
            ], expectation)
        text = expectation.payload
    else:
        text = _leading(texts)
    notes = [] if expectation.found else ["read although the manifest marks it beyond any decoder"]
    actual = actual_fields(parse_payload(text))
    problems = []
    for key, want in expectation.fields.items():
        got = actual[key]
        if got != want:
            problems.append(f"{key}: expected {_show(want)}, read {_show(got)}")
    if problems:
        return Outcome(shown, WRONG_FIELDS, problems, expectation, notes)
    return Outcome(shown, PASS, [], expectation, notes)


def _leading(texts: list[str]) -> str:
    """The payload a file's outcome is about: its first payment QR, else its first QR."""
    return next((t for t in texts if parse_payload(t).is_payment), texts[0])


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(visible(v, 60) for v in value) + "]"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return visible(value, 200)
