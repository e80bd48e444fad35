"""The NAPAS bank directory: bank BIN (acquirer id) -> bank names.

The data ships as ``resources/napas_banks.csv`` (columns: bin, short_name, name, swift_code, vietqr,
deprecated). A newer CSV with the same columns can be passed in to update it without a release.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

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
    def from_csv_text(cls, text: str, source: str = "<csv>") -> "BankDirectory":
        reader = csv.DictReader(io.StringIO(text))
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
    def from_path(cls, path: str | Path) -> "BankDirectory":
        path = Path(path)
        return cls.from_csv_text(path.read_text(encoding="utf-8"), str(path))

    @classmethod
    def bundled(cls) -> "BankDirectory":
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


@lru_cache(maxsize=1)
def _bundled_directory() -> BankDirectory:
    text = resources.files("payer_app.resources").joinpath("napas_banks.csv").read_text(encoding="utf-8")
    return BankDirectory.from_csv_text(text, "napas_banks.csv")
