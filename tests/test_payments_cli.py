"""The payments commands: pay, verify, keys, history, acquirer serve (a real server process)."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from payer_app.cli import main
from payer_app.core.choice import PaymentChoice
from payer_app.core.payload import parse_payload
from payer_app.core.request import build_request
from payer_app.core.signing import sign_request
from payer_app.payments.acquirer_client import read_until_serving
from payer_app.payments.keystore import KeyStore
from tests.acquirer_helpers import http_get
from tests.media import write_qr_png
from tests.spec_vectors import EVN_BILL

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv, stdin: bytes | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_pay_writes_a_jws_that_verify_accepts(capsys, tmp_path):
    target = tmp_path / "request.jws"
    code, out, err = run(capsys, "pay", EVN_BILL, "--amount", "1.250.000", "--note", "Tien dien", "-o", str(target))
    assert code == 0, err
    assert out == "" and err.startswith("APPROVED: 1.250.000 ₫ to EVN CONG TY DIEN LUC THANH XUAN, reference ACQ-")
    token = target.read_text().strip()
    assert token.count(".") == 2
    code, out, _ = run(capsys, "verify", str(target))
    assert code == 0
    assert out.startswith("VALID:") and "1.250.000 ₫" in out and "PD00000000000" in out and "Tien dien" in out
    code, out, _ = run(capsys, "history", "--json")
    [entry] = json.loads(out)
    assert entry["status"] == "approved" and entry["jws"] == token and entry["amount"] == 1_250_000
    code, out, _ = run(capsys, "history")
    assert code == 0 and "approved" in out and "1.250.000 ₫" in out


def test_pay_from_standard_input_prints_the_jws(capsys, monkeypatch):
    code, out, err = run(capsys, "pay", "-", "--amount", "50000", stdin=(EVN_BILL + "\n").encode(),
                         monkeypatch=monkeypatch)
    assert code == 0, err
    assert json.loads(base64.urlsafe_b64decode(out.split(".")[1] + "==="))["qr"]["payload"] == EVN_BILL


def test_pay_refusals_and_usage_errors(capsys):
    code, out, err = run(capsys, "pay", EVN_BILL)
    assert code == 1 and out == "" and "amount-required" in err
    code, _, err = run(capsys, "pay", EVN_BILL, "--amount", "500")
    assert code == 1 and "below-minimum" in err
    code, _, err = run(capsys, "pay", "hello world", "--amount", "5000")
    assert code == 1 and "(not-payment)" in err  # payability's code, as on the payee screen
    code, _, err = run(capsys, "pay", EVN_BILL, "--amount", "12,5")
    assert code == 2 and "--amount" in err
    code, _, err = run(capsys, "pay", "missing-bill.png", "--amount", "5000")
    assert code == 2 and "no such image file: missing-bill.png" in err
    code, out, _ = run(capsys, "history")
    assert "No payment requests yet." in out


def test_pay_from_an_image_file(capsys, tmp_path):
    image = write_qr_png(tmp_path / "bill.png", EVN_BILL)
    code, out, err = run(capsys, "pay", str(image), "--amount", "75000")
    assert code == 0, err
    assert "75.000 ₫" in err
    payload = json.loads(base64.urlsafe_b64decode(out.strip().split(".")[1] + "==="))
    assert payload["qr"]["payload"] == EVN_BILL
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("RGB", (200, 200), "white").save(blank)
    code, _, err = run(capsys, "pay", str(blank), "--amount", "75000")
    assert code == 2 and "no QR code found" in err


def test_keys_export_rotate_and_verify_with_an_exported_key(capsys, tmp_path, payer_home):
    code, out, _ = run(capsys, "pay", EVN_BILL, "--amount", "99000")
    token_file = tmp_path / "old.jws"
    token_file.write_text(out)
    key_file = tmp_path / "payer.jwk"
    code, _, err = run(capsys, "keys", "export", "-o", str(key_file))
    assert code == 0
    jwk = json.loads(key_file.read_text())
    assert set(jwk) == {"kty", "crv", "x", "kid", "alg", "use"}
    assert (payer_home / "keys" / "signing_key.pem").read_text() not in key_file.read_text()

    code, out, _ = run(capsys, "keys", "rotate")
    assert code == 0 and jwk["kid"] in out
    code, out, _ = run(capsys, "keys", "export")
    new_jwk = json.loads(out)
    assert new_jwk["kid"] != jwk["kid"]
    code, out, _ = run(capsys, "keys", "export", "--all")
    assert [k["kid"] for k in json.loads(out)["keys"]] == [new_jwk["kid"], jwk["kid"]]

    assert run(capsys, "verify", str(token_file), "--key", str(key_file))[0] == 0
    assert run(capsys, "verify", str(token_file))[0] == 0  # the local keys still include the old one
    code, out, _ = run(capsys, "verify", str(token_file), "--key", json.dumps(new_jwk))
    assert code == 1 and out.startswith("REJECTED (wrong-key)")


def test_verify_reports_tampering_expiry_and_malformed_input(capsys, tmp_path, payer_home, monkeypatch):
    store = KeyStore(payer_home)
    good = sign_request(build_request(parse_payload(EVN_BILL), PaymentChoice(30_000)), store)
    tampered = tmp_path / "tampered.jws"
    header, payload, signature = good.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "==="))
    body["amount"]["value"] = "3000"
    new_payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    tampered.write_text(f"{header}.{new_payload}.{signature}\n")
    code, out, _ = run(capsys, "verify", str(tampered))
    assert code == 1 and out.startswith("REJECTED (bad-signature)")

    expired = tmp_path / "expired.jws"
    past = datetime.now(UTC) - timedelta(hours=1)
    expired.write_text(sign_request(build_request(parse_payload(EVN_BILL), PaymentChoice(30_000), now=past), store))
    code, out, _ = run(capsys, "verify", str(expired), "--json")
    result = json.loads(out)
    assert code == 1 and result["reason"] == "expired" and result["signature_ok"] is True

    code, out, _ = run(capsys, "verify", "-", stdin=b"garbage", monkeypatch=monkeypatch)
    assert code == 1 and "malformed" in out
    code, _, err = run(capsys, "verify", str(tmp_path / "nope.jws"))
    assert code == 2 and "cannot read" in err
    code, _, err = run(capsys, "verify", str(expired), "--key", "{not json")
    assert code == 2 and "--key" in err
    code, out, _ = run(capsys, "verify", "-", "--lang", "vi", stdin=(good + "\n").encode(), monkeypatch=monkeypatch)
    assert code == 0 and "Chữ ký và nội dung hợp lệ" in out


def test_verify_without_local_keys_asks_for_one(capsys, tmp_path):
    token_file = tmp_path / "t.jws"
    token_file.write_text("a.b.c")
    code, _, err = run(capsys, "verify", str(token_file))
    assert code == 2 and "--key" in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_acquirer(tmp_path, *extra, ledger=None):
    """``payer-app acquirer serve`` as its own process; returns (process, url, enrolment code, stderr
    lines read up to the code)."""
    port = _free_port()
    ledger = ledger or tmp_path / "served-ledger.sqlite3"
    env = dict(os.environ, PAYER_APP_HOME=str(tmp_path / "acquirer_home"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "payer_app", "acquirer", "serve", "--port", str(port), "--ledger", str(ledger),
         *extra],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    lines = read_until_serving(proc)
    code = next((line.split()[2] for line in lines if line.startswith("Enrolment code: ")), None)
    if "--open-enrolment" in extra:  # the warning comes a few lines after the code
        for _ in range(10):
            lines.append(proc.stderr.readline())
            if lines[-1].startswith("WARNING:") or not lines[-1]:
                break
    return proc, url, code, lines


def stop_acquirer(proc):
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def acquirer_process(tmp_path, payer_home):
    proc, url, code, _ = start_acquirer(tmp_path, "--max-amount", "1000000")
    yield url, tmp_path / "served-ledger.sqlite3", code
    stop_acquirer(proc)


def issued_code(capsys, ledger) -> str:
    """A one-time code for the demo payer's account, as the operator issues it on the acquirer's machine."""
    status, out, err = run(capsys, "acquirer", "codes", "issue", "--account", "970436/0011001234567", "--ledger",
                           str(ledger))
    assert status == 0, err
    return out.strip()


def test_pay_against_the_served_acquirer_after_enrolling(capsys, acquirer_process):
    url, ledger, _ = acquirer_process
    code, out, err = run(capsys, "pay", EVN_BILL, "--amount", "200000", "--acquirer", url)
    assert code == 2 and out == ""
    assert "not enrolled" in err and f"payer-app keys enrol --acquirer {url} --code CODE" in err
    code, out, err = run(capsys, "history")
    assert "No payment requests yet." in out  # the refusal recorded nothing
    code, _, err = run(capsys, "keys", "enrol", "--acquirer", url, "--code", "wrong-code-0000")
    assert code == 2 and "bad-enrolment-code" in err
    code, out, err = run(capsys, "keys", "enrol", "--acquirer", url, "--code", issued_code(capsys, ledger))
    assert code == 0 and "now enrolled" in out
    code, out, _ = run(capsys, "keys", "status", "--acquirer", url)
    assert code == 0 and out.rstrip().endswith(": active")
    code, out, err = run(capsys, "pay", EVN_BILL, "--amount", "200000", "--acquirer", url)
    assert code == 0, err
    request_id = json.loads(base64.urlsafe_b64decode(out.split(".")[1] + "==="))["request_id"]
    assert http_get(f"{url}/v1/payments/{request_id}").status_code == 401  # not for strangers
    code, out, err = run(capsys, "pay", EVN_BILL, "--amount", "2000000", "--acquirer", url, "--json")
    assert code == 1
    assert json.loads(err)["reason"] == "above-maximum" and json.loads(err)["http_status"] == 422
    assert ledger.exists()


def test_rotate_with_acquirer_enrols_the_new_key_endorsed_by_the_old(capsys, acquirer_process):
    url, ledger, _ = acquirer_process
    assert run(capsys, "keys", "enrol", "--acquirer", url, "--code", issued_code(capsys, ledger))[0] == 0
    old_kid = json.loads(run(capsys, "keys", "export")[1])["kid"]
    code, out, err = run(capsys, "keys", "rotate", "--acquirer", url)
    assert code == 0, err
    assert "now enrolled" in out and f"Key {old_kid} is retired there." in out
    assert http_get(f"{url}/v1/keys/{old_kid}").json()["status"] == "retired"
    assert run(capsys, "pay", EVN_BILL, "--amount", "20000", "--acquirer", url)[0] == 0
    code, out, _ = run(capsys, "keys", "revoke", "--acquirer", url, "--", old_kid)  # a kid may start with "-"
    assert code == 0 and out.rstrip().endswith(": revoked")


@pytest.mark.slow
def test_the_served_acquirer_keeps_its_code_and_warns_about_open_enrolment(tmp_path, payer_home):
    proc, _, first_code, lines = start_acquirer(tmp_path)
    stop_acquirer(proc)
    assert first_code and len(first_code) >= 16
    proc, _, again, _ = start_acquirer(tmp_path)  # same ledger: same code
    stop_acquirer(proc)
    assert again == first_code
    proc, _, fixed, _ = start_acquirer(tmp_path, "--enrol-code", "my-fixed-code-42")
    stop_acquirer(proc)
    assert fixed == "my-fixed-code-42"
    proc, url, _, lines = start_acquirer(tmp_path, "--open-enrolment", ledger=tmp_path / "open.sqlite3")
    try:
        assert any(line.startswith("WARNING: OPEN ENROLMENT") for line in lines), lines
        assert http_get(f"{url}/v1/health").json()["open_enrolment"] is True
    finally:
        stop_acquirer(proc)


def test_pay_while_the_acquirer_is_down_is_pending_and_retry_goes_to_that_acquirer(capsys):
    url = f"http://127.0.0.1:{_free_port()}"
    code, out, err = run(capsys, "pay", EVN_BILL, "--amount", "15000", "--acquirer", url)
    assert code == 3 and err.startswith("PENDING") and "No answer" in err
    code, out, _ = run(capsys, "history", "--retry")  # to the acquirer it was first sent to, still down
    assert code == 3 and "re-sent" in out and url in out and "pending" in out  # still pending: exit 3
    other = f"http://127.0.0.1:{_free_port()}"
    code, _, err = run(capsys, "history", "--retry", "--acquirer", other)
    assert code == 2 and "first sent to another acquirer" in err and "--force" in err
    code, out, _ = run(capsys, "history", "--retry", "--acquirer", other, "--force")
    assert code == 3 and other in out  # sent there (down as well): still pending
    code, _, err = run(capsys, "history", "--force")
    assert code == 2


def test_unusable_key_files_are_one_clear_error(capsys, payer_home):
    assert run(capsys, "keys", "export")[0] == 0
    (payer_home / "keys" / "signing_key.pem").write_text("not a key")
    for argv in (("pay", EVN_BILL, "--amount", "15000"), ("keys", "export"), ("keys", "enrol", "--acquirer",
                 "http://127.0.0.1:9", "--code", "x")):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == "", argv
        assert err.startswith("payer-app: error: key store:") and err.count("\n") == 1, err
        assert "Traceback" not in err


def test_acquirer_serve_usage_errors(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = run(capsys, "acquirer", "serve", "--port", str(port))
    assert code == 2 and "cannot listen" in err
    code, _, err = run(capsys, "acquirer", "serve", "--decline-rate", "1.5")
    assert code == 2 and "decline_rate" in err
