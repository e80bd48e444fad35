"""A saved bill's name that looks like another bill's name (a Cyrillic or Greek letter swapped in, a
full-width letter, a zero-width character) is refused on save, rename and import, naming the bill it
imitates; a name mixing Latin with Cyrillic or Greek letters is refused on its own. Vietnamese names
with their diacritics stay as they are, and two names that really differ never collide.

The rule is ``payer_app/core/confusables.py``; the store (a real SQLite file) and the command line
(a real process) ask it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from payer_app.core.builder import evn_bill_payload, vietqr_payload
from payer_app.core.confusables import mixed_scripts, skeleton
from payer_app.payments.saved_bills import (
    CONFUSABLE_NAME,
    EXPORT_FORMAT,
    SAVED_BILLS_FILE,
    SavedBillError,
    SavedBills,
)

MOM = "Điện nhà mẹ"
MOM_CYRILLIC = "Điện nhà m\u0435" + "\u0323"  # Cyrillic е (U+0435) with the dot below: looks the same
EVN = evn_bill_payload("PD01000123456")
OTHER_MERCHANT = vietqr_payload("970436", "0011009999999", merchant_name="NGUOI KHAC", city="Ha Noi")
WATER = evn_bill_payload("PD13000123457")


@pytest.fixture
def store(payer_home):
    bills = SavedBills(payer_home / SAVED_BILLS_FILE)
    yield bills
    bills.close()


def refused(call, imitated: str) -> SavedBillError:
    with pytest.raises(SavedBillError) as caught:
        call()
    error = caught.value
    assert error.code in (CONFUSABLE_NAME, "bad-import"), error.code
    assert imitated in error.message and imitated in error.message_vi
    return error


def test_the_look_alike_is_really_another_string():
    import unicodedata

    assert unicodedata.normalize("NFC", MOM_CYRILLIC) != unicodedata.normalize("NFC", MOM)
    assert skeleton(MOM_CYRILLIC) == skeleton(MOM)


def test_save_refuses_a_look_alike_of_a_saved_bill_that_pays_someone_else(store):
    store.add(MOM, EVN)
    error = refused(lambda: store.add(MOM_CYRILLIC, OTHER_MERCHANT), MOM)
    assert "U+0435" in error.message  # the odd letter is named, escaped
    assert [b.name for b in store.list()] == [MOM]


def test_rename_refuses_a_look_alike_of_another_bill(store):
    store.add(MOM, EVN)
    other = store.add("Nước", WATER)
    refused(lambda: store.rename(other.id, MOM_CYRILLIC), MOM)
    refused(lambda: store.rename(other.id, "ĐIỆN NHÀ MẸ"), MOM)  # the same name in capitals looks the same too
    assert store.get(other.id).name == "Nước"
    assert store.rename(other.id, "Nước nhà mẹ").name == "Nước nhà mẹ"


def test_import_refuses_a_look_alike_and_imports_nothing(store):
    store.add(MOM, EVN)
    document = {"format": EXPORT_FORMAT, "version": 1,
                "bills": [{"name": "Nước", "payload": WATER}, {"name": MOM_CYRILLIC, "payload": OTHER_MERCHANT}]}
    error = refused(lambda: store.import_json(json.dumps(document)), MOM)
    assert "Bill 2 in the file" in error.message
    assert [b.name for b in store.list()] == [MOM]


def test_import_refuses_two_look_alikes_in_the_same_file(store):
    document = {"format": EXPORT_FORMAT, "version": 1,
                "bills": [{"name": MOM, "payload": EVN}, {"name": MOM_CYRILLIC, "payload": OTHER_MERCHANT}]}
    refused(lambda: store.import_json(json.dumps(document)), MOM)
    assert store.list() == []


@pytest.mark.parametrize("name, imitates", [
    ("Đi\u200bện nhà mẹ", MOM),  # a zero-width space (refused as invisible before it gets here)
    ("Ｄiện nhà mẹ", "Diện nhà mẹ"),  # a full-width D
    ("Ηoá đơn", "Hoá đơn"),  # Greek capital eta
    ("Nha 1O", "Nha lo"),  # digit one and capital O against l and o
])
def test_other_look_alikes(store, name, imitates):
    store.add(imitates, EVN)
    with pytest.raises(SavedBillError) as caught:
        store.add(name, OTHER_MERCHANT)
    assert caught.value.code in (CONFUSABLE_NAME, "bad-bill-name")


def test_a_name_mixing_latin_with_cyrillic_or_greek_is_refused_alone(store):
    assert mixed_scripts("Ti\u0435n nha") is not None
    with pytest.raises(SavedBillError) as caught:
        store.add("Ti\u0435n nha", EVN)  # no saved bill to imitate yet
    assert caught.value.code == CONFUSABLE_NAME and "Cyrillic" in caught.value.message
    assert store.list() == []


VIETNAMESE = ["Điện nhà Hà Nội", "Điện nhà Hà Nội 2", "Điện nhà Hà Nôi", "Dien nha Ha Noi", "Nước", "Nuoc",
              "Nhà mẹ", "Nhà me", "Học phí", "Hoc phi con", "Internet", "Ilya", "Tiền điện tháng 5", "Мама",
              "Παππούς", "家", "Phòng 101", "Phòng 102"]


def test_vietnamese_names_are_accepted_and_different_names_never_collide(store):
    assert len({skeleton(name) for name in VIETNAMESE}) == len(VIETNAMESE)
    for number, name in enumerate(VIETNAMESE):
        assert store.add(name, evn_bill_payload(f"PD0100012{number:04d}")).name == name
    assert all(mixed_scripts(name) is None for name in VIETNAMESE)


def test_the_command_line_import_says_which_bill_is_imitated(payer_home, tmp_path):
    env = dict(os.environ, PAYER_APP_HOME=str(payer_home))

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "payer_app", "saved-bills", *args], capture_output=True,
                              text=True, env=env, timeout=120)

    assert cli("add", MOM, EVN).returncode == 0
    bad = tmp_path / "bills.json"
    bad.write_text(json.dumps({"format": EXPORT_FORMAT, "version": 1,
                               "bills": [{"name": MOM_CYRILLIC, "payload": OTHER_MERCHANT}]}), encoding="utf-8")
    done = cli("import", str(bad))
    assert done.returncode == 1 and MOM in done.stderr and "U+0435" in done.stderr and done.stdout == ""
    assert cli("add", MOM_CYRILLIC, OTHER_MERCHANT).returncode == 1
    assert [b["name"] for b in json.loads(cli("list", "--json").stdout)] == [MOM]
