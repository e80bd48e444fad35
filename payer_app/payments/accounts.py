"""The payer's source accounts (*Tài khoản nguồn*): several payers on one device, each with its own key.

Kept in ``<home>/accounts.json`` (written atomically, mode 0600; read as the key files are: a
regular file of this user's, not a link, at most ``MAX_FILE_BYTES``, strict JSON, every entry
checked). Each account signs with its own key store, ``<home>/accounts/<id>/keys``
(``payments/keystore.py``); without any account the payer is the built-in demo account
(``core.request.PayerInfo``'s default) with the key store of the data folder itself, as before.

``accounts.json``::

    {"version": 1, "current": "p2", "next_id": 3,
     "accounts": [{"id": "p1", "bank_bin": "970436", "account": "0011001234567", "name": "NGUYEN VAN A",
                   "balance": 5000000, "daily_limit": null, "visitor": false}, ...]}

``balance`` and ``daily_limit`` are what the account opens with at the bank: the embedded acquirer
opens it so (``PaymentService``); an HTTP acquirer's operator opens accounts with ``acquirer serve
--balance``. Ids are never reused, so a removed account's key folder is never taken by another.

A CSV to import (``import_csv_text``) has the header ``bank_bin,account,name`` and optionally
``balance`` and ``daily_limit``; it is capped (``MAX_CSV_BYTES``, ``MAX_CSV_ROWS``) and refused as
a whole with one error naming the line of the first problem.
"""

from __future__ import annotations

import builtins
import csv
import io
import json
import os
import shutil
import stat
import unicodedata
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from payer_app.core.amounts import parse_user_amount
from payer_app.core.display_text import is_unsafe_char, quoted, visible
from payer_app.core.payee_display import mask_account
from payer_app.core.request import PayerInfo
from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted
from payer_app.files import UnsafeFileError, read_regular_file, write_file_atomically
from payer_app.payments.acquirer.balances import amount_problem
from payer_app.payments.errors import PaymentSetupError
from payer_app.payments.keystore import KeyStore

try:  # POSIX; elsewhere changes are simply not locked across processes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]  # the module or None, tested before each use

ACCOUNTS_FILE = "accounts.json"
ACCOUNTS_FOLDER = "accounts"
FILE_VERSION = 1
MAX_FILE_BYTES = 256 * 1024
MAX_ACCOUNTS = 200
MAX_CSV_BYTES = 64 * 1024
MAX_CSV_ROWS = MAX_ACCOUNTS
MAX_NAME_CHARS = 50
MAX_MARKS_PER_LETTER = 2  # Vietnamese decomposed (NFD) puts at most two on a letter: Ệ is E, dot below, circumflex
CSV_COLUMNS = ("bank_bin", "account", "name")
CSV_OPTIONAL = ("balance", "daily_limit")


# One account to add: bank BIN, account number, name, balance, daily limit.
AccountRow = tuple[str, str, str, int | None, int | None]


ENTRY_KEYS = {"id", "bank_bin", "account", "name", "balance", "daily_limit", "visitor"}
VISITOR_NAME = "KHACH THAM QUAN"  # a booth visitor, as banks print holders' names (no diacritics)
STAGED_VISIT = "next-visit"  # the folder of the next visitor's key, before its account is numbered


class AccountsRefused(PaymentSetupError, ValueError):
    """The accounts file, an account's fields, a CSV line or an id cannot be used (the code says which)."""


@dataclass(frozen=True)
class PayerAccount:
    """One source account: the bank's BIN, the account number, the holder's name as banks print it,
    and what it opens with at the bank (balance and daily limit in dong, None: not kept)."""

    id: str
    bank_bin: str
    account: str
    name: str
    balance: int | None = None
    daily_limit: int | None = None
    visitor: bool = False  # a booth visitor's account: replaced, keys and all, by the next visitor's

    @property
    def scope(self) -> str:
        """``BIN/ACCOUNT``: how the acquirer names this account."""
        return f"{self.bank_bin}/{self.account}"

    @property
    def masked(self) -> str:
        return mask_account(self.account) or ""

    def payer_info(self, kid: str | None = None) -> PayerInfo:
        return PayerInfo(self.account, self.bank_bin, kid)

    def key_home(self, home: Path) -> Path:
        """The folder whose ``keys/`` holds this account's key (``KeyStore(key_home)``)."""
        return Path(home) / ACCOUNTS_FOLDER / self.id

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def account_problem(bank_bin: Any, account: Any, name: Any) -> str | None:
    """Why these cannot name a source account (None when they can): a 6-digit BIN, an account number
    of 1 to 19 ASCII letters or digits, a name of 1 to 50 visible characters."""
    if not isinstance(bank_bin, str) or len(bank_bin) != 6 or not (bank_bin.isascii() and bank_bin.isdigit()):
        return f"the bank BIN {quoted(bank_bin, 20)} is not 6 digits"
    if not isinstance(account, str) or not 0 < len(account) <= 19 or not (account.isascii() and account.isalnum()):
        return f"the account number {quoted(account, 40)} is not 1 to 19 letters or digits"
    if not isinstance(name, str) or not name.strip():
        return "the name is empty"
    if len(name) > MAX_NAME_CHARS:
        return f"the name is longer than {MAX_NAME_CHARS} characters"
    if any(is_unsafe_char(ch) or not ch.isprintable() for ch in name):
        return f"the name {quoted(name, 60)} contains control or invisible characters"
    if _most_marks_on_a_letter(name) > MAX_MARKS_PER_LETTER:
        return f"the name has more than {MAX_MARKS_PER_LETTER} marks on one letter"
    return None


def _most_marks_on_a_letter(text: str) -> int:
    """The longest run of combining marks (accents piled on one letter grow over the lines above)."""
    most = run = 0
    for ch in text:
        run = run + 1 if unicodedata.combining(ch) else 0
        most = max(most, run)
    return most


def _checked(entry: Any, where: str) -> PayerAccount:
    """An account read from the file (``where`` names it in the error)."""
    if not isinstance(entry, dict) or set(entry) != ENTRY_KEYS or not isinstance(entry["visitor"], bool):
        raise AccountsRefused("bad-accounts-file", problem=f"{where} is not an account entry")
    problem = account_problem(entry["bank_bin"], entry["account"], entry["name"])
    problem = problem or amount_problem(entry["balance"], "the balance")
    problem = problem or amount_problem(entry["daily_limit"], "the daily limit")
    if problem or not isinstance(entry["id"], str) or not _is_id(entry["id"]):
        raise AccountsRefused("bad-accounts-file", problem=f"{where}: {problem or 'bad id'}")
    return PayerAccount(**entry)


def _is_id(text: str) -> bool:
    return len(text) <= 12 and text[:1] == "p" and text[1:].isascii() and text[1:].isdigit()


class PayerAccounts:
    """The source accounts of a data folder (``home``)."""

    def __init__(self, home: Path | None = None):
        if home is None:
            from payer_app.paths import data_home

            home = data_home()
        self.home = Path(home)
        self.path = self.home / ACCOUNTS_FILE

    # --- reading ------------------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        if not os.path.lexists(self.path):
            return {"version": FILE_VERSION, "current": None, "next_id": 1, "accounts": []}
        try:
            data = loads_untrusted(read_regular_file(self.path, MAX_FILE_BYTES, "the accounts file", own=True))
        except (UnsafeFileError, UntrustedJSONError, UnicodeDecodeError) as exc:
            raise AccountsRefused("bad-accounts-file", problem=visible(str(exc), 300)) from None
        if not isinstance(data, dict) or data.get("version") != FILE_VERSION or \
                not isinstance(data.get("accounts"), list) or len(data["accounts"]) > MAX_ACCOUNTS:
            raise AccountsRefused("bad-accounts-file", problem=f"{self.path} is not a version {FILE_VERSION} "
                                  f"accounts file of at most {MAX_ACCOUNTS} accounts")
        accounts = [_checked(e, f"account {n}") for n, e in enumerate(data["accounts"], start=1)]
        next_id = data.get("next_id")
        current = data.get("current")
        ids = [a.id for a in accounts]
        if not isinstance(next_id, int) or isinstance(next_id, bool) or len(set(ids)) != len(ids) or \
                any(int(i[1:]) >= next_id for i in ids) or (current is not None and current not in ids):
            raise AccountsRefused("bad-accounts-file", problem="its ids, next_id or current do not agree")
        return {"version": FILE_VERSION, "current": current, "next_id": next_id, "accounts": accounts}

    def list(self) -> list[PayerAccount]:
        return self._read()["accounts"]

    def current(self) -> PayerAccount | None:
        """The account payments are made from (None: the built-in demo account)."""
        data = self._read()
        return next((a for a in data["accounts"] if a.id == data["current"]), None)

    def get(self, account_id: str) -> PayerAccount:
        found = next((a for a in self.list() if a.id == account_id), None)
        if found is None:
            raise AccountsRefused("unknown-account", id=quoted(account_id, 20))
        return found

    def keystore(self, account: PayerAccount) -> KeyStore:
        """The account's own key store (its folder made on first use, mode 0700)."""
        folder = account.key_home(self.home)
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        for made in (folder.parent, folder):
            made.mkdir(exist_ok=True, mode=0o700)
        return KeyStore(folder)

    # --- changing -----------------------------------------------------------------------------
    def add(self, bank_bin: str, account: str, name: str, balance: int | None = None,
            daily_limit: int | None = None) -> PayerAccount:
        """Add an account (it becomes the current one when there was none)."""
        return self.add_many([(bank_bin, account, name, balance, daily_limit)])[0]

    def add_many(self, rows: Sequence[AccountRow], where: Sequence[str] | None = None) -> Sequence[PayerAccount]:
        """Add every row or none (``where`` names each row in an error, e.g. ``file.csv line 3``)."""
        with self._changing() as data:
            added: builtins.list[PayerAccount] = []
            known = {(a.bank_bin, a.account): a for a in data["accounts"]}
            for n, (bank_bin, account, name, balance, daily_limit) in enumerate(rows):
                label = where[n] if where else None
                problem = account_problem(bank_bin, account, name) or amount_problem(balance, "the balance") \
                    or amount_problem(daily_limit, "the daily limit")
                if problem:
                    raise _entry_refusal(label, problem)
                if (bank_bin, account) in known:
                    if label:
                        raise _entry_refusal(label, f"the account {bank_bin}/{account} is already in the list")
                    raise AccountsRefused("account-exists", account=f"{bank_bin}/{account}",
                                          id=known[(bank_bin, account)].id)
                entry = PayerAccount(f"p{data['next_id']}", bank_bin, account, name.strip(), balance, daily_limit)
                data["next_id"] += 1
                known[(bank_bin, account)] = entry
                added.append(entry)
            if len(data["accounts"]) + len(added) > MAX_ACCOUNTS:
                raise AccountsRefused("bad-account-entry", where="accounts", problem=f"at most {MAX_ACCOUNTS} accounts")
            data["accounts"] = [*data["accounts"], *added]
            if data["current"] is None and added:
                data["current"] = added[0].id
        return added

    def use(self, account_id: str) -> PayerAccount:
        with self._changing() as data:
            found = next((a for a in data["accounts"] if a.id == account_id), None)
            if found is None:
                raise AccountsRefused("unknown-account", id=quoted(account_id, 20))
            data["current"] = found.id
        return found

    def remove(self, account_id: str) -> PayerAccount:
        """Take an account off the list (its key folder stays, unused: ids are never reused). When it
        was the current one, the first remaining account becomes current."""
        with self._changing() as data:
            found = next((a for a in data["accounts"] if a.id == account_id), None)
            if found is None:
                raise AccountsRefused("unknown-account", id=quoted(account_id, 20))
            data["accounts"] = [a for a in data["accounts"] if a.id != account_id]
            if data["current"] == account_id:
                data["current"] = data["accounts"][0].id if data["accounts"] else None
        return found

    def staged_visit_keystore(self) -> KeyStore:
        """Where the next visitor's key is made before its account is known (the acquirer numbers the
        account for that key); ``start_visit(..., staged=True)`` moves it to the account's folder."""
        folder = self.home / ACCOUNTS_FOLDER / STAGED_VISIT
        for made in (self.home, folder.parent, folder):
            made.mkdir(exist_ok=True, mode=0o700)
        return KeyStore(folder)

    def start_visit(self, bank_bin: str, account: str, name: str = VISITOR_NAME, balance: int | None = None,
                    daily_limit: int | None = None, staged: bool = False) -> PayerAccount:
        """A booth's next visitor: the previous visitors' accounts leave the list and their key files
        are deleted; this account (flagged ``visitor``) is added and becomes the current one, with the
        key of ``staged_visit_keystore`` when ``staged``. Other accounts are kept as they are."""
        with self._changing() as data:
            gone = [a for a in data["accounts"] if a.visitor]
            data["accounts"] = [a for a in data["accounts"] if not a.visitor]
            problem = account_problem(bank_bin, account, name) or amount_problem(balance, "the balance") \
                or amount_problem(daily_limit, "the daily limit")
            if problem:
                raise _entry_refusal("the visitor's account", problem)
            if any((a.bank_bin, a.account) == (bank_bin, account) for a in data["accounts"]):
                raise _entry_refusal("the visitor's account", f"the account {bank_bin}/{account} is already listed")
            visitor = PayerAccount(f"p{data['next_id']}", bank_bin, account, name, balance, daily_limit, visitor=True)
            data["next_id"] += 1
            data["accounts"] = [*data["accounts"], visitor]
            data["current"] = visitor.id
            if staged:  # before the list names it: a crash leaves the key unused, never an account without it
                _delete_key_folder(visitor.key_home(self.home))  # left by such a crash (the id was not kept)
                os.rename(self.home / ACCOUNTS_FOLDER / STAGED_VISIT, visitor.key_home(self.home))
        for account_gone in gone:  # after the list no longer names them
            _delete_key_folder(account_gone.key_home(self.home))
        return visitor

    def import_csv_text(self, text: str, source: str = "the CSV") -> Sequence[PayerAccount]:
        """Add the accounts of a CSV text, all or none (see the module's docstring)."""
        rows, where = read_accounts_csv(text, source)
        return self.add_many(rows, where)

    @contextmanager
    def _changing(self):
        """Read, let the caller change, write atomically; under an exclusive lock across processes."""
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.home / f".{ACCOUNTS_FILE}.lock",
                     os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            data = self._read()
            yield data
            stored = {**data, "accounts": [a.to_dict() for a in data["accounts"]]}
            write_file_atomically(self.path, (json.dumps(stored, ensure_ascii=False, indent=1) + "\n").encode(),
                                  mode=stat.S_IRUSR | stat.S_IWUSR)
        finally:
            os.close(fd)


def _delete_key_folder(folder: Path) -> None:
    """A visitor's key folder (``accounts/pN``, named by a checked id), removed without following links."""
    if folder.is_symlink() or not folder.is_dir():
        return
    shutil.rmtree(folder)


def current_keystore(home: Path | None = None) -> KeyStore:
    """The key store payments are signed with: the current account's, or the data folder's own when
    there is no account (``keys export``, ``keys rotate``)."""
    accounts = PayerAccounts(home)
    account = accounts.current()
    return accounts.keystore(account) if account is not None else KeyStore(accounts.home)


def local_verification_keys(home: Path | None = None) -> list[dict[str, Any]]:
    """Every public key of this data folder: its own key store's and each account's (``verify``
    without ``--key`` checks a request signed by any of them)."""
    accounts = PayerAccounts(home)
    stores = [KeyStore(accounts.home), *(accounts.keystore(a) for a in accounts.list())]
    return [jwk for store in stores for jwk in store.verification_keys()]


def _entry_refusal(where: str | None, problem: str) -> AccountsRefused:
    return AccountsRefused("bad-account-entry", where=where or "the account", problem=problem)


def read_accounts_csv(text: str, source: str) -> tuple[list[AccountRow], list[str]]:
    """The rows of an accounts CSV and the name of each (``SOURCE line N``); AccountsRefused naming the
    first bad line. ``text`` is capped by the caller (``MAX_CSV_BYTES``); rows are capped here."""
    if len(text) > MAX_CSV_BYTES:
        raise _entry_refusal(source, f"longer than {MAX_CSV_BYTES} characters")
    # a quoted cell may hold a line break: the reader sees it (and the name is refused), and each row
    # is named by the line it starts on; only \n, \r and \r\n end a line (not U+2028 and the like)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _csv_rows(reader, source)
    except csv.Error as exc:  # a form the reader cannot take (a NUL byte in older Pythons...)
        raise _entry_refusal(f"{source} line {reader.line_num}", visible(str(exc), 100)) from None


def _csv_rows(reader, source: str) -> tuple[list[AccountRow], list[str]]:
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS + CSV_OPTIONAL]
    if missing or unknown or len(set(header)) != len(header):
        raise _entry_refusal(f"{source} line 1", "the header must be bank_bin,account,name (and optionally "
                             "balance, daily_limit), each once")
    rows: list[AccountRow] = []
    where: list[str] = []
    line_no = reader.line_num + 1
    for cells in reader:
        starts, line_no = line_no, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(rows) == MAX_CSV_ROWS:
            raise _entry_refusal(source, f"more than {MAX_CSV_ROWS} accounts")
        label = f"{source} line {starts}"
        if len(cells) != len(header):
            raise _entry_refusal(label, f"{len(cells)} fields where the header has {len(header)}")
        row = dict(zip(header, (c.strip() for c in cells), strict=True))
        balance, limit = (_csv_amount(row.get(name), name, label) for name in CSV_OPTIONAL)
        rows.append((row["bank_bin"], row["account"], row["name"], balance, limit))
        where.append(label)
    if not rows:
        raise _entry_refusal(source, "no accounts")
    return rows, where


def _csv_amount(text: str | None, column: str, where: str) -> int | None:
    if not text:
        return None
    try:
        return parse_user_amount(text)
    except ValueError:
        raise _entry_refusal(where, f"the {column} {quoted(text, 30)} is not an amount in dong") from None



__all__ = ["ACCOUNTS_FILE", "AccountsRefused", "MAX_CSV_BYTES", "MAX_CSV_ROWS", "PayerAccount", "PayerAccounts",
           "account_problem", "current_keystore", "local_verification_keys", "read_accounts_csv"]
