"""Saved bills store (payer_app.payments.saved_bills): the rules, a real SQLite file, export and a
hostile import that never loses what was saved."""

from __future__ import annotations

import json
import os
import queue
import threading

import pytest

from payer_app.core.builder import evn_bill_payload, vietqr_payload
from payer_app.core.payload import parse_payload
from payer_app.payments.saved_bills import (
    ALREADY_SAVED,
    BAD_IMPORT,
    BAD_NAME,
    DYNAMIC_NOT_SAVEABLE,
    MAX_IMPORT_BYTES,
    MAX_NAME_CHARS,
    MAX_SAVED_BILLS,
    SAVED_BILLS_FILE,
    SavedBillError,
    SavedBills,
    read_import_file,
    saveability,
)

EVN = evn_bill_payload("PD01000123456")
EVN2 = evn_bill_payload("PD13000123457")
TRANSFER = vietqr_payload("970436", "0011001234567", merchant_name="NGUYEN VAN AN", city="Ha Noi")
DYNAMIC = vietqr_payload("970436", "0011001234567", amount=250_000, purpose="Hoa don 42")


@pytest.fixture
def store(payer_home):
    bills = SavedBills(payer_home / SAVED_BILLS_FILE)
    yield bills
    bills.close()


def snapshot(store: SavedBills):
    return [(b.name, b.payload) for b in store.list()]


def test_rule_static_bills_can_be_saved_dynamic_and_broken_ones_cannot():
    assert saveability(parse_payload(EVN)) is None
    assert saveability(parse_payload(TRANSFER)) is None
    problem = saveability(parse_payload(DYNAMIC))
    assert problem.code == DYNAMIC_NOT_SAVEABLE and "một lần" in problem.message_vi
    broken = EVN[:-4] + ("0000" if EVN[-4:] != "0000" else "1111")
    assert saveability(parse_payload(broken)).code == "bad-crc"
    assert saveability(parse_payload("https://example.com")).code == "not-payment"


def test_add_list_rename_delete_in_a_real_sqlite_file(store, payer_home):
    bill = store.add("  Điện nhà mẹ ", EVN)
    assert bill.name == "Điện nhà mẹ" and bill.payload == EVN
    store.add("Chuyển cho An", TRANSFER)
    assert [b.name for b in store.list()] == ["Chuyển cho An", "Điện nhà mẹ"]
    # kept on disk: a second store on the same file sees them
    again = SavedBills(payer_home / SAVED_BILLS_FILE)
    assert snapshot(again) == snapshot(store)
    again.close()
    # no amount is stored anywhere in the record
    columns = [row[1] for row in store._store.db.execute("PRAGMA table_info(saved_bills)")]
    assert not any("amount" in c for c in columns)
    renamed = store.rename(bill.id, "Điện nhà bà")
    assert renamed.name == "Điện nhà bà" and renamed.payload == EVN
    store.delete(bill.id)
    assert [b.name for b in store.list()] == ["Chuyển cho An"]
    with pytest.raises(SavedBillError):
        store.delete(bill.id)


def test_refusals_change_nothing(store):
    store.add("Điện", EVN)
    before = snapshot(store)
    for name, payload, code in (("Động", DYNAMIC, DYNAMIC_NOT_SAVEABLE), ("Lại", EVN, ALREADY_SAVED),
                                ("", EVN2, BAD_NAME), ("x" * (MAX_NAME_CHARS + 1), EVN2, BAD_NAME),
                                ("a\u202eb", EVN2, BAD_NAME), ("nul\x00", EVN2, BAD_NAME)):
        with pytest.raises(SavedBillError) as err:
            store.add(name, payload)
        assert err.value.code == code
    with pytest.raises(SavedBillError) as err:
        store.rename(store.list()[0].id, "\u200b")
    assert err.value.code == BAD_NAME
    assert snapshot(store) == before


def test_export_then_import_into_another_data_folder(store, tmp_path):
    store.add("Điện nhà mẹ", EVN)
    store.add("Chuyển cho An", TRANSFER)
    text = store.export_json()
    document = json.loads(text)
    assert document["format"] == "payer-app-saved-bills" and len(document["bills"]) == 2
    assert all(set(b) == {"name", "payload", "created_at"} for b in document["bills"])
    other = SavedBills(tmp_path / "other" / SAVED_BILLS_FILE)
    other.add("Điện mới", EVN2)
    result = other.import_json(text.encode("utf-8"))
    assert (result.added, result.already_saved) == (2, 0)
    assert sorted(snapshot(other)) == sorted(snapshot(store) + [("Điện mới", EVN2)])
    # importing the same file again adds nothing and keeps the names
    result = other.import_json(text)
    assert (result.added, result.already_saved) == (0, 2)
    other.close()


def _file(bills) -> bytes:
    return json.dumps({"format": "payer-app-saved-bills", "version": 1, "bills": bills}).encode()


HOSTILE_FILES = {
    "not json": b"\xff\xfe garbage",
    "deep": b"[" * 5000 + b"]" * 5000,
    "duplicate keys": b'{"format": "payer-app-saved-bills", "format": "x", "version": 1, "bills": []}',
    "other format": json.dumps({"bills": []}).encode(),
    "too big": b'{"format": "payer-app-saved-bills", "version": 1, "bills": ["' + b"A" * (3 * 1024 * 1024) + b'"]}',
    "too many": _file([{"name": f"b{i}", "payload": EVN} for i in range(MAX_SAVED_BILLS + 1)]),
    "dynamic inside": _file([{"name": "ok", "payload": EVN2}, {"name": "động", "payload": DYNAMIC}]),
    "bad crc": _file([{"name": "hỏng", "payload": EVN[:-4] + "0000"}]),
    "payload not text": _file([{"name": "số", "payload": 12345}]),
    "long payload": _file([{"name": "dài", "payload": "0" * 8000}]),
    "control name": _file([{"name": "a\x1b[31m", "payload": EVN2}]),
    "nan": b'{"format": "payer-app-saved-bills", "version": 1, "bills": [NaN]}',
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_FILES))
def test_hostile_import_is_refused_with_a_reason_and_loses_nothing(store, kind):
    store.add("Điện nhà mẹ", EVN)
    before = snapshot(store)
    with pytest.raises(SavedBillError) as err:
        store.import_json(HOSTILE_FILES[kind])
    assert err.value.code == BAD_IMPORT
    assert err.value.message and err.value.message_vi
    assert snapshot(store) == before


def test_a_bad_entry_is_named_by_its_position(store):
    with pytest.raises(SavedBillError) as err:
        store.import_json(HOSTILE_FILES["dynamic inside"])
    assert "Bill 2" in err.value.message and "dynamic" in err.value.message
    assert "Hóa đơn thứ 2" in err.value.message_vi
    assert store.list() == []


def test_import_beyond_the_store_cap_is_refused_whole(store):
    for i in range(3):
        store.add(f"b{i}", evn_bill_payload(f"PD0100012{i:04d}"))
    many = _file([{"name": f"n{i}", "payload": evn_bill_payload(f"PD0200012{i:04d}")}
                  for i in range(MAX_SAVED_BILLS - 2)])
    before = snapshot(store)
    with pytest.raises(SavedBillError):
        store.import_json(many)
    assert snapshot(store) == before


def test_the_import_file_is_read_safely_a_fifo_is_not_waited_on(tmp_path):
    """read_import_file (payer_app.files underneath): a named pipe, a folder or an oversize file is
    refused before reading; a missing file is an OSError the window and the CLI already report."""
    fifo = tmp_path / "bills.json"
    os.mkfifo(fifo)
    answers: queue.Queue = queue.Queue()

    def read_fifo():
        try:
            read_import_file(fifo)
        except SavedBillError as exc:
            answers.put(exc)

    threading.Thread(target=read_fifo, daemon=True).start()
    refused = answers.get(timeout=30)  # a generous bound that only fails a hung read
    assert refused.code == BAD_IMPORT and refused.message == "Not a regular file."
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (MAX_IMPORT_BYTES + 1))
    with pytest.raises(SavedBillError, match="larger than"):
        read_import_file(big)
    with pytest.raises(SavedBillError, match="Not a regular file"):
        read_import_file(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_import_file(tmp_path / "missing.json")
    good = tmp_path / "good.json"
    good.write_bytes(b"{}")
    assert read_import_file(good) == b"{}"
