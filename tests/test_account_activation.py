"""Activation per account, not per booth, over real HTTP on 127.0.0.1 with a real SQLite ledger.

The takeover this file attacks: the booth's enrolment code is one per acquirer and every payer knows
it. With it alone a stranger used to bind a key to the owner's account (201), pay from it (201) and
revoke the owner's key with the new one (200). Now the shared code binds no key to a named account
(it only opens demo accounts the acquirer numbers; tests/test_shared_code_named_account.py attacks an
account never seen here), a per-account code (``payer-app acquirer codes issue``) binds only its
account, once, for minutes, and a key revokes only itself or the keys it endorsed; the operator
revokes any key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QObject, Signal

from payer_app.core.keys import SigningKey
from payer_app.core.refusals import Refusal
from payer_app.core.request import PayerInfo
from payer_app.payments.enrolment import enrolment_token, revocation_token
from tests import cli_in_process
from tests.acquirer_helpers import (
    CODE,
    JOSE,
    AcquirerClock,
    Payer,
    ServedAcquirer,
    enrol,
    http_get,
    http_post,
    post,
    start_server,
    token_for,
)

OWNER_BIN, OWNER_ACCOUNT = "970436", "0011001234567"


@pytest.fixture
def served(tmp_path):
    clock = AcquirerClock()
    ledger = tmp_path / "acquirer.sqlite3"
    server = start_server(ledger, clock=clock)
    server.ledger, server.clock = ledger, clock
    yield server
    server.stop()


@pytest.fixture
def served_now(tmp_path):
    """An acquirer on the system's clock, for the tests that start the window: a process signs with the
    time it has, and under load a few window starts take minutes, past what a clock stopped at the test's
    start would still take as fresh."""
    ledger = tmp_path / "acquirer.sqlite3"
    server = start_server(ledger)
    server.ledger = ledger
    yield server
    server.stop()


def owner_enrolled(url: str) -> Payer:
    """The owner's key, bound to the owner's account with a one-time code the operator issued for it."""
    owner = Payer(SigningKey.generate(), OWNER_BIN, OWNER_ACCOUNT)
    response = enrol(url, owner)  # acquirer_helpers.enrol: a code issued for the account
    assert response.status_code == 201, response.text
    return owner


def revoke(url: str, kid: str, signer: SigningKey | None = None, bearer: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    content = revocation_token(signer, kid, url) if signer else b""
    return http_post(f"{url}/v1/keys/{kid}/revoke", content=content, headers=headers, timeout=10)


def key_state(url: str, kid: str) -> str:
    return http_get(f"{url}/v1/keys/{kid}", timeout=10).json().get("status", "not-enrolled")


# --- the takeover, step by step ---------------------------------------------------------------
def test_the_takeover_with_the_shared_code_fails_at_every_step(served):
    owner = owner_enrolled(served.url)
    assert post(served.url, token_for(owner, served.url)).status_code == 201
    thief = Payer(SigningKey.generate(), OWNER_BIN, OWNER_ACCOUNT)
    # 1. The shared code does not bind a key to an account that exists.
    bound = enrol(served.url, thief, code=CODE)
    assert bound.status_code == 403 and bound.json()["error"] == "shared-code-names-account", bound.text
    # 2. So the thief's key pays nothing from the owner's account.
    paid = post(served.url, token_for(thief, served.url))
    assert paid.status_code == 403 and paid.json()["error"] == "key-not-enrolled"
    # 3. Nor can it revoke the owner's key, nor can the shared code.
    assert revoke(served.url, owner.key.kid, signer=thief.key).status_code == 401
    by_code = revoke(served.url, owner.key.kid, bearer=CODE)
    assert by_code.status_code == 401 and by_code.json()["error"] == "bad-operator-token"
    assert key_state(served.url, owner.key.kid) == "active"
    assert post(served.url, token_for(owner, served.url)).status_code == 201


def test_the_shared_code_opens_a_new_demo_account_the_acquirer_numbers(served):
    from payer_app.payments.enrolment import demo_account_token

    owner_enrolled(served.url)
    visitor_key = SigningKey.generate()
    opened = http_post(f"{served.url}/v1/demo-accounts",
                        content=demo_account_token(visitor_key, OWNER_BIN, served.url),
                        headers={**JOSE, "Authorization": f"Bearer {CODE}"}, timeout=10)
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert body["kid"] == visitor_key.kid and body["bank_bin"] == OWNER_BIN and body["status"] == "active"
    assert body["account"] != OWNER_ACCOUNT and body["account"].isdigit()
    visitor = Payer(visitor_key, body["bank_bin"], body["account"])
    assert post(served.url, token_for(visitor, served.url)).status_code == 201
    # Its key is bound to the new account only: the owner's account stays out of reach.
    stolen = post(served.url, token_for(visitor, served.url,
                                        payer_info=PayerInfo(OWNER_ACCOUNT, OWNER_BIN, visitor_key.kid)))
    assert stolen.status_code == 403 and stolen.json()["error"] == "account-mismatch"
    # A second visitor gets another account; without the code, nothing is opened.
    second = http_post(f"{served.url}/v1/demo-accounts",
                        content=demo_account_token(SigningKey.generate(), OWNER_BIN, served.url),
                        headers={**JOSE, "Authorization": f"Bearer {CODE}"}, timeout=10)
    assert second.status_code == 201 and second.json()["account"] not in (OWNER_ACCOUNT, body["account"])
    refused = http_post(f"{served.url}/v1/demo-accounts",
                         content=demo_account_token(SigningKey.generate(), OWNER_BIN, served.url), headers=JOSE,
                         timeout=10)
    assert refused.status_code == 401


# --- per-account codes ------------------------------------------------------------------------
def test_a_per_account_code_binds_only_its_account_once(served):
    from payer_app.payments.acquirer.activation import issue_code

    owner = owner_enrolled(served.url)
    code, _ = issue_code(served.ledger, OWNER_BIN, OWNER_ACCOUNT, minutes=10)
    # For another account the code is simply wrong.
    elsewhere = Payer(SigningKey.generate(), OWNER_BIN, "5550001112")
    wrong = enrol(served.url, elsewhere, code=code)
    assert wrong.status_code == 401 and wrong.json()["error"] == "bad-enrolment-code"
    device = Payer(SigningKey.generate(), OWNER_BIN, OWNER_ACCOUNT)
    assert enrol(served.url, device, code=code).status_code == 201
    assert post(served.url, token_for(device, served.url)).status_code == 201
    # Single use: the same code binds nothing more.
    again = enrol(served.url, Payer(SigningKey.generate(), OWNER_BIN, OWNER_ACCOUNT), code=code)
    assert again.status_code == 401 and again.json()["error"] == "bad-enrolment-code"
    # The key it added cannot revoke the owner's key; the owner can revoke it.
    refused = revoke(served.url, owner.key.kid, signer=device.key)
    assert refused.status_code == 403 and refused.json()["error"] == "not-allowed"
    assert key_state(served.url, owner.key.kid) == "active"
    assert revoke(served.url, device.key.kid, signer=owner.key).status_code == 403  # not endorsed by the owner
    assert revoke(served.url, device.key.kid, signer=device.key).json()["status"] == "revoked"  # itself: yes


def test_a_per_account_code_expires_and_is_capped_in_wrong_attempts(served):
    from payer_app.payments.acquirer.activation import MAX_CODE_ATTEMPTS, issue_code

    owner_enrolled(served.url)
    code, _ = issue_code(served.ledger, OWNER_BIN, OWNER_ACCOUNT, minutes=5, now=served.clock())
    served.clock.advance(5 * 60 + 61)
    token = enrolment_token(SigningKey.generate(), OWNER_ACCOUNT, OWNER_BIN, served.url, now=served.clock())
    late = http_post(f"{served.url}/v1/keys", content=token, headers={**JOSE, "Authorization": f"Bearer {code}"})
    assert late.status_code == 401 and late.json()["error"] == "bad-enrolment-code"
    fresh, _ = issue_code(served.ledger, OWNER_BIN, OWNER_ACCOUNT, minutes=30, now=served.clock())
    for attempt in range(MAX_CODE_ATTEMPTS):
        served.clock.advance(61)  # slower than the acquirer-wide lock-out counts: only the per-code cap is at work
        guess = enrolment_token(SigningKey.generate(), OWNER_ACCOUNT, OWNER_BIN, served.url, now=served.clock())
        answer = http_post(f"{served.url}/v1/keys", content=guess,
                            headers={**JOSE, "Authorization": f"Bearer GUESS-{attempt:04d}-XXXX-YYYY"})
        assert answer.status_code == 401
    served.clock.advance(61)
    token = enrolment_token(SigningKey.generate(), OWNER_ACCOUNT, OWNER_BIN, served.url, now=served.clock())
    used_up = http_post(f"{served.url}/v1/keys", content=token, headers={**JOSE, "Authorization": f"Bearer {fresh}"})
    assert used_up.status_code == 401 and used_up.json()["error"] == "bad-enrolment-code"


def test_codes_are_kept_hashed_in_the_ledger(served):
    import sqlite3

    from payer_app.payments.acquirer.activation import issue_code

    code, _ = issue_code(served.ledger, OWNER_BIN, OWNER_ACCOUNT, minutes=10)
    with sqlite3.connect(served.ledger) as db:
        dump = "\n".join(db.iterdump())
    assert code not in dump and code.replace("-", "") not in dump


# --- endorsement --------------------------------------------------------------------------------
def test_a_device_endorsed_by_the_owner_is_added_and_cannot_revoke_the_owner(served):
    from payer_app.payments.enrolment import endorsement_token

    owner = owner_enrolled(served.url)
    device_key = SigningKey.generate()
    endorsement = endorsement_token(owner.key, device_key.kid, OWNER_ACCOUNT, OWNER_BIN, served.url, minutes=10,
                                    now=served.clock())
    token = enrolment_token(device_key, OWNER_ACCOUNT, OWNER_BIN, served.url, endorsement=endorsement,
                            now=served.clock())
    added = http_post(f"{served.url}/v1/keys", content=token, headers=JOSE)
    assert added.status_code == 201 and added.json()["retired_kid"] is None
    device = Payer(device_key, OWNER_BIN, OWNER_ACCOUNT)
    assert key_state(served.url, owner.key.kid) == "active"  # adding a device retires nobody
    assert post(served.url, token_for(device, served.url)).status_code == 201
    refused = revoke(served.url, owner.key.kid, signer=device.key)
    assert refused.status_code == 403 and refused.json()["error"] == "not-allowed"
    assert key_state(served.url, owner.key.kid) == "active"
    assert revoke(served.url, device.key.kid, signer=owner.key).json()["status"] == "revoked"


def test_an_endorsement_is_for_one_key_one_account_and_expires(served):
    from payer_app.payments.enrolment import endorsement_token

    owner = owner_enrolled(served.url)
    device_key, other_key = SigningKey.generate(), SigningKey.generate()
    endorsement = endorsement_token(owner.key, device_key.kid, OWNER_ACCOUNT, OWNER_BIN, served.url, minutes=10,
                                    now=served.clock())
    for key, account in ((other_key, OWNER_ACCOUNT), (device_key, "5550001112")):
        token = enrolment_token(key, account, OWNER_BIN, served.url, endorsement=endorsement, now=served.clock())
        answer = http_post(f"{served.url}/v1/keys", content=token, headers=JOSE)
        assert answer.status_code == 403 and answer.json()["error"] == "bad-endorsement"
    served.clock.advance(10 * 60 + 61)
    token = enrolment_token(device_key, OWNER_ACCOUNT, OWNER_BIN, served.url, endorsement=endorsement,
                            now=served.clock())
    expired = http_post(f"{served.url}/v1/keys", content=token, headers=JOSE)
    assert expired.status_code == 403 and expired.json()["error"] == "bad-endorsement"


# --- the operator -------------------------------------------------------------------------------
def test_the_operator_revokes_any_key_with_the_token_kept_in_the_ledger(served):
    from payer_app.payments.acquirer.activation import operator_token

    owner = owner_enrolled(served.url)
    wrong = revoke(served.url, owner.key.kid, bearer="not-the-operator-token-0000")
    assert wrong.status_code == 401 and key_state(served.url, owner.key.kid) == "active"
    done = revoke(served.url, owner.key.kid, bearer=operator_token(served.ledger))
    assert done.status_code == 200 and done.json()["status"] == "revoked"
    assert post(served.url, token_for(owner, served.url)).json()["error"] == "key-revoked"


def run_process(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PAYER_APP_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "payer_app", *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """``payer-app ARGS`` with its data folder in ``home``, run in this process (``tests/cli_in_process.py``)
    where a test is about what the commands answer and write; the test of ``codes issue``, ``keys enrol``
    and ``acquirer revoke`` below starts real processes (``run_process``)."""
    def run(home: Path, *args: str) -> subprocess.CompletedProcess:
        monkeypatch.setenv("PAYER_APP_HOME", str(home))
        code, out, err = cli_in_process.run(capsys, *args)
        return subprocess.CompletedProcess(args, code, out, err)

    return run


def test_the_commands_issue_a_code_enrol_with_it_and_the_operator_revokes(tmp_path, run_cli):
    """``payer-app acquirer codes issue`` on the acquirer's machine while ``acquirer serve`` runs; the
    payer's ``keys enrol --code``; ``acquirer revoke``: real processes (the code on stdout, the account it
    is for on stderr). ``keys rotate``, ``keys export``, the used code's refusal (exit 2, on stderr) and a
    refused account run in process."""
    acquirer = ServedAcquirer(tmp_path)
    try:
        ledger = str(tmp_path / "served.sqlite3")
        payer_home = tmp_path / "payer"
        issued = run_process(tmp_path / "op", "acquirer", "codes", "issue", "--account", f"{OWNER_BIN}/{OWNER_ACCOUNT}",
                         "--minutes", "5", "--ledger", ledger)
        assert issued.returncode == 0, issued.stderr
        code = issued.stdout.split()[0]
        assert f"{OWNER_BIN}/{OWNER_ACCOUNT}" in issued.stderr
        enrolled = run_process(payer_home, "keys", "enrol", "--acquirer", acquirer.url, "--code", code)
        assert enrolled.returncode == 0, enrolled.stderr
        again = run_cli(payer_home, "keys", "rotate")
        assert again.returncode == 0
        reused = run_cli(payer_home, "keys", "enrol", "--acquirer", acquirer.url, "--code", code)
        assert reused.returncode == 2 and "bad-enrolment-code" in reused.stderr
        old_kid = json.loads(run_cli(payer_home, "keys", "export", "--all").stdout)["keys"][1]["kid"]
        revoked = run_process(tmp_path / "op", "acquirer", "revoke", old_kid, "--acquirer", acquirer.url,
                          "--ledger", ledger)
        assert revoked.returncode == 0, revoked.stderr
        assert key_state(acquirer.url, old_kid) == "revoked"
        bad = run_cli(tmp_path / "op", "acquirer", "codes", "issue", "--account", "970436/../x", "--ledger", ledger)
        assert bad.returncode == 2 and bad.stderr.startswith("payer-app: error:")
    finally:
        acquirer.stop()


def test_a_second_device_is_added_with_an_endorsement_made_by_the_first(tmp_path, run_cli):
    """``keys export`` on the new device, ``keys endorse`` on the owner's, ``keys enrol --endorsement``
    on the new one; its ``keys revoke`` of the owner's key is refused, the owner's of it is done. The
    acquirer serves in this process (``acquirer serve`` is a process in the test above)."""
    acquirer = start_server(tmp_path / "served.sqlite3")
    try:
        ledger = str(tmp_path / "served.sqlite3")
        phone, tablet = tmp_path / "phone", tmp_path / "tablet"
        code = run_cli(tmp_path / "op", "acquirer", "codes", "issue", "--account", f"{OWNER_BIN}/{OWNER_ACCOUNT}",
                       "--ledger", ledger).stdout.split()[0]
        assert run_cli(phone, "keys", "enrol", "--acquirer", acquirer.url, "--code", code).returncode == 0
        assert run_cli(tablet, "keys", "export", "-o", str(tmp_path / "tablet.jwk")).returncode == 0
        endorsed = run_cli(phone, "keys", "endorse", str(tmp_path / "tablet.jwk"), "--acquirer", acquirer.url,
                           "--minutes", "5")
        assert endorsed.returncode == 0, endorsed.stderr
        (tmp_path / "tablet.endorsement").write_text(endorsed.stdout)
        enrolled = run_cli(tablet, "keys", "enrol", "--acquirer", acquirer.url, "--endorsement",
                           str(tmp_path / "tablet.endorsement"))
        assert enrolled.returncode == 0, enrolled.stderr
        phone_kid = json.loads(run_cli(phone, "keys", "export").stdout)["kid"]
        tablet_kid = json.loads(run_cli(tablet, "keys", "export").stdout)["kid"]
        refused = run_cli(tablet, "keys", "revoke", "--acquirer", acquirer.url, "--", phone_kid)
        assert refused.returncode == 2 and "not-allowed" in refused.stderr
        assert key_state(acquirer.url, phone_kid) == "active" and key_state(acquirer.url, tablet_kid) == "active"
        done = run_cli(phone, "keys", "revoke", "--acquirer", acquirer.url, "--", tablet_kid)
        assert done.returncode == 0, done.stderr
        assert key_state(acquirer.url, tablet_kid) == "revoked"
        not_a_key = run_cli(phone, "keys", "endorse", ledger, "--acquirer", acquirer.url)
        assert not_a_key.returncode == 2 and not_a_key.stderr.startswith("payer-app: error:")
    finally:
        acquirer.stop()


# --- the kiosk ------------------------------------------------------------------------------------
def kiosk_account(home: Path, url: str, code: str = CODE) -> str:
    """Start ``payer-app gui --kiosk --acquirer URL --enrol-code CODE`` offscreen, read the account it
    pays from off its log, and stop it."""
    import re

    from tests.process_lines import killed_if_left_running, stderr_lines, stop_with_sigterm, wait_for_line

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PAYER_APP_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-m", "payer_app", "gui", "--verbose", "--camera", "demo", "--kiosk",
                             "--acquirer", url, "--enrol-code", code],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    with killed_if_left_running(proc):
        lines = stderr_lines(proc)
        paying = re.compile(r"^payer_app\.gui\.startup_enrolment: paying from account (\d{6}/\w+)$")
        wait_for_line(lines, paying, seen)
        account = next(m.group(1) for m in map(paying.match, seen) if m)
        stop_with_sigterm(proc, lines, seen)
    assert not any("Traceback" in line for line in seen)
    return account


class Outcome(QObject):
    """One signal for either end of a ``PaymentRunner`` call (its ``finished`` or its ``failed``)."""

    said = Signal(object)


def kiosk_account_in_process(qtbot, make_window, url: str, code: str = CODE) -> str:
    """The account a kiosk window pays from once its key is accepted at ``url`` with ``code``: the window
    ``payer-app gui --kiosk --acquirer URL --enrol-code CODE`` builds (``gui/app.py``'s ``run_app``), opened
    in this process over the data folder in ``PAYER_APP_HOME``. ``kiosk_account`` starts the real process."""
    from payer_app.gui.settings import read_settings
    from payer_app.gui.startup_enrolment import StartupEnrolment

    settings, problem = read_settings()
    settings.acquirer_url = url
    window = make_window(camera="demo", kiosk=True, loaded=(settings, problem))
    window.ctx.acquirer_code = code
    enrolment, outcome = StartupEnrolment(window, url, code), Outcome()
    enrolment.runner.finished.connect(outcome.said)
    enrolment.runner.failed.connect(outcome.said)
    with qtbot.waitSignal(outcome.said, timeout=120_000) as answer:
        enrolment.start()
    assert not isinstance(answer.args[0], Refusal), answer.args[0].text("en")
    payer = window.ctx.service.payer
    return f"{payer.bank_bin}/{payer.account}"


def test_the_kiosk_pays_from_a_demo_account_of_its_own_and_keeps_it_when_started_again(
        served_now, payer_home, monkeypatch, qtbot, make_window):
    """The first start is the real process; the start again over the same data folder and another kiosk's
    start are windows in this process (what they check is the data folder and the acquirer's answers)."""
    from payer_app.payments.keystore import KeyStore

    owner = owner_enrolled(served_now.url)
    first = kiosk_account(payer_home, served_now.url)
    bank_bin, account = first.split("/")
    assert bank_bin == OWNER_BIN and account != OWNER_ACCOUNT
    kiosk = Payer(KeyStore(payer_home).current(), bank_bin, account)
    assert post(served_now.url, token_for(kiosk, served_now.url)).status_code == 201
    assert key_state(served_now.url, owner.key.kid) == "active"
    # started again: the same key, the same account
    assert kiosk_account_in_process(qtbot, make_window, served_now.url) == first
    monkeypatch.setenv("PAYER_APP_HOME", str(payer_home.parent / "second-kiosk"))
    other = kiosk_account_in_process(qtbot, make_window, served_now.url)
    assert other not in (first, f"{OWNER_BIN}/{OWNER_ACCOUNT}")


def test_an_account_the_bank_keeps_a_balance_for_exists_though_no_key_was_ever_bound(served):
    """An account the operator opened with a balance (the ledger's ``account_balances``) is not free
    for the first holder of the shared code (no named account is)."""
    import sqlite3

    with sqlite3.connect(served.ledger) as db:
        db.execute("CREATE TABLE IF NOT EXISTS account_balances (payer_scope TEXT PRIMARY KEY, "
                   "opening_balance INTEGER NOT NULL, balance INTEGER NOT NULL, daily_limit INTEGER, "
                   "opened_at TEXT NOT NULL)")
        db.execute("INSERT INTO account_balances VALUES (?, 5000000, 5000000, NULL, '2026-12-05T00:00:00Z')",
                   (f"{OWNER_BIN}/5550001112",))
    squatter = Payer(SigningKey.generate(), OWNER_BIN, "5550001112")
    refused = enrol(served.url, squatter, code=CODE)
    assert refused.status_code == 403 and refused.json()["error"] == "shared-code-names-account"


def test_hostile_bodies_to_the_new_routes_are_refused_with_a_named_code_never_a_500(served):
    from payer_app.payments.enrolment import demo_account_token

    bearer = {**JOSE, "Authorization": f"Bearer {CODE}"}
    url = f"{served.url}/v1/demo-accounts"
    assert http_post(url, content=b"x" * 20_000, headers=bearer).status_code == 413
    assert http_post(url, content=b"a.b.c", headers={"Authorization": f"Bearer {CODE}"}).status_code == 415
    for body in (b"", b"\x00\xff" * 10, b"a.b.c", b"{}" * 100, "é.é.é".encode()):
        answer = http_post(url, content=body, headers=bearer)
        assert 400 <= answer.status_code < 500 and answer.json()["error"], (body, answer.text)
    # An enrolment naming an account is not a demo-account request, and a bank that is not 6 digits is refused.
    named = enrolment_token(SigningKey.generate(), OWNER_ACCOUNT, OWNER_BIN, served.url)
    assert http_post(url, content=named, headers=bearer).json()["error"] == "bad-account"
    odd_bank = demo_account_token(SigningKey.generate(), "97043X", served.url)
    assert http_post(url, content=odd_bank, headers=bearer).json()["error"] == "bad-account"
    wrong = http_post(url, content=demo_account_token(SigningKey.generate(), OWNER_BIN, served.url),
                       headers={**JOSE, "Authorization": "Bearer not-the-booth-code-0000"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "bad-enrolment-code"


def test_the_window_started_with_a_one_time_code_enrols_its_key_for_the_payers_own_account(served_now, qtbot,
                                                                                           make_window):
    from payer_app.payments.acquirer.activation import issue_code

    owner_enrolled(served_now.url)
    code, _ = issue_code(served_now.ledger, OWNER_BIN, OWNER_ACCOUNT, minutes=10)
    assert kiosk_account_in_process(qtbot, make_window, served_now.url, code) == f"{OWNER_BIN}/{OWNER_ACCOUNT}"


def test_open_enrolment_binds_no_key_to_an_account_that_has_one(tmp_path):
    server = start_server(tmp_path / "open.sqlite3", open_enrolment=True)
    try:
        owner = Payer(SigningKey.generate(), OWNER_BIN, OWNER_ACCOUNT)
        assert enrol(server.url, owner, code=None).status_code == 201
        thief = Payer(SigningKey.generate(), OWNER_BIN, OWNER_ACCOUNT)
        bound = enrol(server.url, thief, code=None)
        assert bound.status_code == 403 and bound.json()["error"] == "account-exists"
        assert post(server.url, token_for(thief, server.url)).json()["error"] == "key-not-enrolled"
        assert revoke(server.url, owner.key.kid, signer=thief.key).status_code == 401
        assert key_state(server.url, owner.key.kid) == "active"
    finally:
        server.stop()
