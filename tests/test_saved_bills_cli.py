"""``payer-app saved-bills`` (headless twin of the window's saved bills): mostly run in this process
(``tests/cli_in_process.py``: the tests are about what each command answers and keeps); one command of
each test runs as a real process, for its exit code and what it writes on which stream."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from payer_app.core.builder import evn_bill_payload, vietqr_payload
from payer_app.core.signing import verify_request
from payer_app.payments.keystore import KeyStore
from tests import cli_in_process

EVN = evn_bill_payload("PD01000123456")
DYNAMIC = vietqr_payload("970436", "0011001234567", amount=250_000)


def process(home, *args):
    env = dict(os.environ, PAYER_APP_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "payer_app", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.fixture
def cli(capsys, monkeypatch):
    def run(home, *args):
        monkeypatch.setenv("PAYER_APP_HOME", str(home))
        code, out, err = cli_in_process.run(capsys, *args)
        return subprocess.CompletedProcess(args, code, out, err)

    return run


def test_add_list_rename_pay_export_import_delete(payer_home, tmp_path, cli):
    added = process(payer_home, "saved-bills", "add", "Điện nhà mẹ", EVN)
    assert added.returncode == 0 and added.stderr == "", added.stderr
    listing = json.loads(cli(payer_home, "saved-bills", "list", "--json").stdout)
    assert [(b["name"], b["payload"]) for b in listing] == [("Điện nhà mẹ", EVN)]
    bill_id = str(listing[0]["id"])
    assert cli(payer_home, "saved-bills", "rename", bill_id, "Điện nhà bà").returncode == 0
    assert "Điện nhà bà" in cli(payer_home, "saved-bills", "list").stdout

    # pay it: the saved payload, signed as if scanned
    payload = cli(payer_home, "saved-bills", "payload", bill_id).stdout.strip()
    assert payload == EVN
    paid = cli(payer_home, "pay", payload, "--amount", "120000")
    assert paid.returncode == 0, paid.stderr
    result = verify_request(paid.stdout.strip(), KeyStore(payer_home))
    assert result.ok and result.request.qr_payload == EVN

    exported = tmp_path / "bills.json"
    assert cli(payer_home, "saved-bills", "export", "-o", str(exported)).returncode == 0
    assert cli(payer_home, "saved-bills", "delete", bill_id).returncode == 0
    assert json.loads(cli(payer_home, "saved-bills", "list", "--json").stdout) == []
    done = cli(payer_home, "saved-bills", "import", str(exported))
    assert done.returncode == 0 and "Imported 1" in done.stdout
    assert [b["name"] for b in json.loads(cli(payer_home, "saved-bills", "list", "--json").stdout)] == ["Điện nhà bà"]


def test_refusals_exit_1_with_the_reason_and_change_nothing(payer_home, tmp_path, cli):
    cli(payer_home, "saved-bills", "add", "Điện", EVN)
    refused = cli(payer_home, "saved-bills", "--lang", "vi", "add", "Động", DYNAMIC)
    assert refused.returncode == 1 and "Không thể lưu mã QR động" in refused.stderr
    assert "Traceback" not in refused.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "payer-app-saved-bills", "version": 1,
                               "bills": [{"name": "x", "payload": evn_bill_payload("PD13000123457")},
                                         {"name": "y", "payload": EVN[:-4] + "0000"}]}), encoding="utf-8")
    refused = cli(payer_home, "saved-bills", "import", str(bad))
    assert (
        refused.returncode == 1 and "Bill 2 in the file" in refused.stderr and "Nothing was imported" in refused.stderr
    )
    bad.write_bytes(b"[" * 100_000)
    refused = cli(payer_home, "saved-bills", "import", str(bad))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert [b["name"] for b in json.loads(cli(payer_home, "saved-bills", "list", "--json").stdout)] == ["Điện"]
    missing = process(payer_home, "saved-bills", "delete", "99")
    assert missing.returncode == 2 and "no saved bill with id 99" in missing.stderr and missing.stdout == ""
