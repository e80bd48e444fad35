"""The directory of registered account names behind the mock NAPAS name inquiry (``POST /v2/lookup``).

A directory is a CSV file (header ``bin,account,name``) or a JSON list of ``{"bin", "account",
"name"}`` objects. ``bin`` is a 6-digit NAPAS BIN for a bank account, or empty (``null`` in JSON) for
a merchant id (a QR whose template 26/38 carries a merchant id instead of a bank and account). The
bundled default, ``resources/registered_names.csv``, covers the demo bills and the studio's payees;
an operator gives another with ``payer-app acquirer serve --directory FILE``.

Everything in the file is checked before it is used: at most ``MAX_DIRECTORY_BYTES`` and
``MAX_ENTRIES`` rows, a BIN of 6 digits, an account of 1-40 ASCII letters, digits or dashes, a name
of 1-140 characters without control or format characters, no (bin, account) twice. A file that fails
is a ``DirectoryError`` naming the file, the row and the problem.

The answers have the shape of the VietQR lookup API: ``{"code": "00", "desc": ..., "data":
{"accountName": ...}}``; ``"42"`` the account does not exist, ``"41"`` a bank this directory does not
serve. A request body that is not what the API takes is a 4xx with a named ``code``.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeGuard

from payer_app.core.display_text import visible
from payer_app.core.registered_name import MAX_ACCOUNT_CHARS, MAX_NAME_CHARS, LookupKey
from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted
from payer_app.files import UnsafeFileError, read_regular_file

MAX_DIRECTORY_BYTES = 1_000_000
MAX_ENTRIES = 20_000
MAX_LOOKUP_BODY_BYTES = 1_024  # a lookup body is two short fields
BUNDLED_FILE = "registered_names.csv"

FOUND, BANK_NOT_SERVED, NO_SUCH_ACCOUNT = "00", "41", "42"
DESCRIPTIONS = {
    FOUND: "Success - Thành công",
    BANK_NOT_SERVED: "Bank not served - Ngân hàng không được hỗ trợ tra cứu",
    NO_SUCH_ACCOUNT: "Account not found - Không tìm thấy tài khoản",
}
ACCOUNT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")


class DirectoryError(ValueError):
    """A directory file that cannot be used; the message names the file, the row and the problem."""


@dataclass(frozen=True)
class LookupAnswer:
    """An answer of ``POST /v2/lookup``: the HTTP status and the JSON body."""

    http_status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class NameDirectory:
    names: dict[tuple[str | None, str], str]
    source: str = "<directory>"
    banks: frozenset[str] = field(default=frozenset())

    # --- reading a directory --------------------------------------------------------------------
    @classmethod
    def from_bytes(cls, data: bytes, source: str = "<directory>") -> NameDirectory:
        """The directory in ``data`` (JSON when it starts with ``[`` or ``{``, else CSV)."""
        shown = visible(source, 200)
        if len(data) > MAX_DIRECTORY_BYTES:
            raise DirectoryError(f"{shown} is larger than {MAX_DIRECTORY_BYTES} bytes")
        if data.lstrip()[:1] in (b"[", b"{"):
            rows = _json_rows(data, shown)
        else:
            rows = _csv_rows(data, shown)
        names: dict[tuple[str | None, str], str] = {}
        for where, raw in rows:
            key, name = _checked_entry(raw, f"{shown}: {where}")
            if key in names:
                raise DirectoryError(f"{shown}: {where}: {key[0] or 'merchant id'} {key[1]} is listed twice")
            names[key] = name
        return cls(names, source, frozenset(k[0] for k in names if k[0] is not None))

    @classmethod
    def load(cls, path: Path) -> NameDirectory:
        """The directory file at ``path`` (read safely, size capped before reading)."""
        try:
            data = read_regular_file(Path(path), MAX_DIRECTORY_BYTES, "the name directory", follow_symlinks=True)
        except UnsafeFileError as exc:
            raise DirectoryError(str(exc)) from None
        return cls.from_bytes(data, str(path))

    @classmethod
    def bundled(cls) -> NameDirectory:
        return _bundled()

    # --- answering -------------------------------------------------------------------------------
    def answer(self, key: LookupKey) -> LookupAnswer:
        """The VietQR-shaped answer for a checked key: 00 with the name, 41 or 42."""
        if key.bank_bin is not None and key.bank_bin not in self.banks:
            return _coded(BANK_NOT_SERVED)
        name = self.names.get((key.bank_bin, key.account))
        if name is None:
            return _coded(NO_SUCH_ACCOUNT)
        return LookupAnswer(200, {"code": FOUND, "desc": DESCRIPTIONS[FOUND], "data": {"accountName": name}})

    def answer_body(self, body: bytes) -> LookupAnswer:
        """The answer to a raw request body (checked by ``read_lookup_body`` first)."""
        key = read_lookup_body(body)
        return key if isinstance(key, LookupAnswer) else self.answer(key)


@lru_cache(maxsize=1)
def _bundled() -> NameDirectory:
    data = resources.files("payer_app.resources").joinpath(BUNDLED_FILE).read_bytes()
    return NameDirectory.from_bytes(data, f"bundled {BUNDLED_FILE}")


def _coded(code: str) -> LookupAnswer:
    return LookupAnswer(200, {"code": code, "desc": DESCRIPTIONS[code], "data": None})


def refusal(http_status: int, code: str, desc: str) -> LookupAnswer:
    """A request the lookup does not take: ``code`` names why (bad-json, bad-field, too-large...)."""
    return LookupAnswer(http_status, {"code": code, "desc": desc, "data": None})


# --- the request body ------------------------------------------------------------------------------
def read_lookup_body(body: bytes) -> LookupKey | LookupAnswer:
    """``{"bin": 970436, "accountNumber": "..."}`` (``bin`` a 6-digit number or string; left out or
    null for a merchant id) as a ``LookupKey``, or the 400/413 refusal naming what is wrong."""
    if len(body) > MAX_LOOKUP_BODY_BYTES:
        return refusal(413, "too-large", f"The body is larger than {MAX_LOOKUP_BODY_BYTES} bytes.")
    try:
        value = loads_untrusted(body, max_bytes=MAX_LOOKUP_BODY_BYTES, max_depth=2, what="the body")
    except UntrustedJSONError as exc:
        return refusal(400, "bad-json", visible(str(exc), 200))
    if not isinstance(value, dict):
        return refusal(400, "bad-json", "The body must be a JSON object with bin and accountNumber.")
    unknown = sorted(set(value) - {"bin", "accountNumber"})
    if unknown:
        return refusal(400, "bad-field", f"Unknown field {visible(unknown[0], 40)!r}: send bin and accountNumber.")
    bank_bin = _body_bin(value.get("bin"))
    account = value.get("accountNumber")
    if bank_bin is False:
        return refusal(400, "bad-field", "bin must be a 6-digit NAPAS BIN (number or string), or null for a "
                                         "merchant id.")
    if not _is_account(account):
        return refusal(400, "bad-field", f"accountNumber must be 1 to {MAX_ACCOUNT_CHARS} ASCII letters, digits "
                                         "or dashes.")
    return LookupKey(bank_bin, account)


def _body_bin(value: Any) -> str | None | Literal[False]:
    """The BIN as 6 digits, None for none, False for anything else."""
    if value is None:
        return None
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return str(value) if 100_000 <= value <= 999_999 else False
    if isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit():
        return value
    return False


def _is_account(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= MAX_ACCOUNT_CHARS and set(value) <= ACCOUNT_CHARS


# --- the directory file -----------------------------------------------------------------------------
def _json_rows(data: bytes, shown: str) -> list[tuple[str, Any]]:
    try:
        value = loads_untrusted(data, max_bytes=MAX_DIRECTORY_BYTES, max_depth=4, what=shown)
    except UntrustedJSONError as exc:
        raise DirectoryError(str(exc)) from None
    if isinstance(value, dict) and isinstance(value.get("entries"), list):
        value = value["entries"]
    if not isinstance(value, list):
        raise DirectoryError(f"{shown} must be a JSON list of {{bin, account, name}} objects")
    if len(value) > MAX_ENTRIES:
        raise DirectoryError(f"{shown} has more than {MAX_ENTRIES} entries")
    return [(f"entry {i}", row) for i, row in enumerate(value, start=1)]


def _csv_rows(data: bytes, shown: str) -> list[tuple[str, Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DirectoryError(f"{shown} is not UTF-8 text (byte {exc.start})") from None
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or []]
    if columns != ["bin", "account", "name"]:
        raise DirectoryError(f"{shown}: the first line must be the header bin,account,name "
                             f"(got {visible(','.join(columns), 80) or 'nothing'})")
    rows = []
    for row in reader:
        if reader.line_num - 1 > MAX_ENTRIES:
            raise DirectoryError(f"{shown} has more than {MAX_ENTRIES} entries")
        if None in row or any(v is None for v in row.values()):
            raise DirectoryError(f"{shown}: line {reader.line_num}: expected 3 columns")
        rows.append((f"line {reader.line_num}", {k.strip(): v for k, v in row.items()}))
    return rows


def _checked_entry(raw: Any, where: str) -> tuple[tuple[str | None, str], str]:
    """((bin or None, account), name) of one entry, or DirectoryError saying what is wrong."""
    if not isinstance(raw, dict) or set(raw) != {"bin", "account", "name"}:
        raise DirectoryError(f"{where}: an entry has exactly bin, account and name")
    bank_bin = _body_bin((raw["bin"].strip() if isinstance(raw["bin"], str) else raw["bin"]) or None)
    if bank_bin is False:
        raise DirectoryError(f"{where}: bin {visible(raw['bin'], 20)!r} is not 6 digits (leave it empty for a "
                             "merchant id)")
    account = raw["account"].strip() if isinstance(raw["account"], str) else raw["account"]
    if not _is_account(account):
        raise DirectoryError(f"{where}: account {visible(account, 50)!r} is not 1 to {MAX_ACCOUNT_CHARS} "
                             "ASCII letters, digits or dashes")
    name = raw["name"].strip() if isinstance(raw["name"], str) else None
    if not name or len(name) > MAX_NAME_CHARS:
        raise DirectoryError(f"{where}: the name must be 1 to {MAX_NAME_CHARS} characters")
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        raise DirectoryError(f"{where}: the name {visible(name, 60)!r} holds a control or format character")
    return (bank_bin, account), name



# --- what the payer's side makes of an answer ---------------------------------------------------------
# found: the name on record; no-such-account: paying is blocked; bank-not-served and unavailable: the
# name could not be checked (the payer may go on, warned).
INQUIRY_STATUSES = ("found", "no-such-account", "bank-not-served", "unavailable")


@dataclass(frozen=True)
class NameInquiry:
    status: str  # one of INQUIRY_STATUSES
    name: str | None = None  # the registered name (escaped), when found
    detail: str = ""  # why it is unavailable (escaped)

    @classmethod
    def from_answer(cls, http_status: int, body: Any) -> NameInquiry:
        """The inquiry's outcome from a ``POST /v2/lookup`` answer (a stranger's JSON: checked)."""
        if not isinstance(body, dict):
            return cls("unavailable", detail=f"HTTP {http_status}, not a JSON object")
        code = body.get("code")
        data = body.get("data")
        if http_status == 200 and code == FOUND and isinstance(data, dict):
            name = data.get("accountName")
            if isinstance(name, str) and name.strip():
                return cls("found", visible(name.strip(), MAX_NAME_CHARS))
        if http_status == 200 and code == NO_SUCH_ACCOUNT:
            return cls("no-such-account")
        if http_status == 200 and code == BANK_NOT_SERVED:
            return cls("bank-not-served")
        return cls("unavailable", detail=f"HTTP {http_status}, code {visible(str(code), 30)}: "
                                         f"{visible(str(body.get('desc') or ''), 200)}")

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "name": self.name, "detail": self.detail}


__all__ = [
    "BANK_NOT_SERVED", "DirectoryError", "FOUND", "INQUIRY_STATUSES", "LookupAnswer", "MAX_DIRECTORY_BYTES",
    "MAX_LOOKUP_BODY_BYTES", "NO_SUCH_ACCOUNT", "NameDirectory", "NameInquiry", "read_lookup_body", "refusal",
]
