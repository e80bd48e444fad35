"""The NAPAS bank directory: bank BIN (acquirer id) -> bank names.

The data ships as ``resources/napas_banks.csv`` (columns: bin, short_name, name, swift_code, vietqr,
deprecated); ``BankDirectory.bundled()`` reads it once through ``importlib.resources`` (package data,
read-only: the one read core allows, see tests/test_architecture.py). A newer CSV with the same columns
updates it without a release: read the file where files are read and pass its text to
``BankDirectory.from_csv_text``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

REQUIRED_COLUMNS = ("bin", "short_name", "name")


@dataclass(frozen=True)
class Bank:
    bin: str
    short_name: str
    name: str
    swift_code: str = ""
    vietqr: str = ""
    deprecated: bool = False


class BankDirectoryError(ValueError):
    pass


class BankDirectory:
    def __init__(self, banks: list[Bank]):
        self._by_bin: dict[str, list[Bank]] = {}
        for bank in banks:
            if bank.bin:
                self._by_bin.setdefault(bank.bin, []).append(bank)
        self.banks = banks

    @classmethod
    def from_csv_text(cls, text: str, source: str = "<csv>") -> BankDirectory:
        """The directory in ``text``; ``BankDirectoryError`` names ``source``, the line and the problem."""
        reader = csv.DictReader(_lines(text))
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise BankDirectoryError(f"{source}: missing column(s) {', '.join(missing)}")
        banks = []
        for line_no, row in enumerate(reader, start=2):
            bin_ = (row.get("bin") or "").strip()
            if bin_ and not (len(bin_) == 6 and bin_.isdigit()):
                raise BankDirectoryError(f"{source}:{line_no}: bin {bin_!r} is not 6 digits")
            banks.append(
                Bank(
                    bin=bin_,
                    short_name=(row.get("short_name") or "").strip(),
                    name=(row.get("name") or "").strip(),
                    swift_code=(row.get("swift_code") or "").strip(),
                    vietqr=(row.get("vietqr") or "").strip(),
                    deprecated=(row.get("deprecated") or "").strip().lower() == "yes",
                )
            )
        return cls(banks)

    @classmethod
    def bundled(cls) -> BankDirectory:
        return _bundled_directory()

    def candidates(self, bin_: str) -> list[Bank]:
        """Every bank listed under this BIN (a BIN can be shared after a merger or rename)."""
        return list(self._by_bin.get(bin_, []))

    def lookup(self, bin_: str) -> Bank | None:
        """The current bank for a BIN: not deprecated first, then one that can send VietQR transfers."""
        found = self._by_bin.get(bin_)
        if not found:
            return None
        return sorted(found, key=lambda b: (b.deprecated, b.vietqr != "transfer_supported"))[0]

    def __len__(self) -> int:
        return len(self.banks)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` split at "\\n" only, each with its end (what ``csv`` reads from a file)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


@lru_cache(maxsize=1)
def _bundled_directory() -> BankDirectory:
    text = resources.files("payer_app.resources").joinpath("napas_banks.csv").read_text(encoding="utf-8")
    return BankDirectory.from_csv_text(text, "napas_banks.csv")
