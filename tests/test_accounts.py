"""Source accounts (payments/accounts.py, ``payer-app accounts``) and the balances the acquirer keeps
for them (payments/acquirer/balances.py): two payers on one acquirer, each paying from their own
account with their own key, balances moving by exactly the totals, over-balance and daily-limit
payments refused with a named code before anything is signed or recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from payer_app.core.builder import vietqr_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import AmountRefused
from payer_app.core.signing import verify_request
from payer_app.payments.accounts import MAX_CSV_ROWS, AccountsRefused, PayerAccounts
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.decisions import MockAcquirer
from payer_app.payments.service import EMBEDDED_LEDGER_FILE, PaymentService
from tests import cli_in_process
from tests.acquirer_helpers import ledger_rows, new_payer, token_for

STATIC_QR = vietqr_payload("970416", "257678859")  # the payer types the amount
A = ("970436", "0011001234567", "NGUYEN VAN A")
B = ("970415", "1234567890", "TRAN THI B")


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PAYER_APP_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "payer_app", *args], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.fixture
def cli_here(capsys, monkeypatch):
    """``cli`` run in this process (``tests/cli_in_process.py``), for the tests about what the commands
    answer; the walk below (three of its steps) and the FIFO test start real processes."""
    def run(home: Path, *args: str) -> subprocess.CompletedProcess:
        monkeypatch.setenv("PAYER_APP_HOME", str(home))
        code, out, err = cli_in_process.run(capsys, *args)
        return subprocess.CompletedProcess(args, code, out, err)

    return run


def pay(home: Path, amount: int) -> object:
    with PaymentService(home) as service:
        return service.pay(parse_payload(STATIC_QR), PaymentChoice(amount))


def test_two_payers_pay_from_their_own_accounts_and_balances_move_by_exactly_the_totals(tmp_path):
    home = tmp_path / "home"
    accounts = PayerAccounts(home)
    a = accounts.add(*A, balance=1_000_000)
    b = accounts.add(*B, balance=300_000)
    paid = {a.id: [pay(home, 200_000), pay(home, 150_000)]}
    accounts.use(b.id)
    paid[b.id] = [pay(home, 120_000)]
    # each payment names its own account and is signed by that account's own key
    keys = {x.id: accounts.keystore(x) for x in (a, b)}
    assert keys[a.id].current().kid != keys[b.id].current().kid
    for account in (a, b):
        for outcome in paid[account.id]:
            assert outcome.status == "approved", outcome.message
            assert (outcome.request.payer.bank_bin, outcome.request.payer.account) == (account.bank_bin,
                                                                                       account.account)
            assert verify_request(outcome.jws, keys[account.id]).ok
    with PaymentService(home) as service:
        states = {s.scope: s for s in service.embedded_acquirer().ledger.balances.accounts("2026-01-01")}
    assert states[a.scope].balance == 1_000_000 - 350_000
    assert states[b.scope].balance == 300_000 - 120_000
    ledger = home / EMBEDDED_LEDGER_FILE
    totals = dict(ledger_rows(ledger, "SELECT payer_scope, SUM(amount) FROM ledger_payments "
                                      "WHERE status = 'approved' GROUP BY payer_scope"))
    assert totals == {a.scope: 350_000, b.scope: 120_000}


def test_an_over_balance_payment_is_refused_before_it_is_signed_and_nothing_is_recorded(tmp_path):
    home = tmp_path / "home"
    PayerAccounts(home).add(*A, balance=100_000, daily_limit=None)
    assert pay(home, 60_000).status == "approved"
    with PaymentService(home) as service:
        with pytest.raises(AmountRefused) as refused:
            service.pay(parse_payload(STATIC_QR), PaymentChoice(60_000))
        assert refused.value.code == "over-balance"
        assert "40.000 ₫" in refused.value.text("en") and "số dư" in refused.value.text("vi")
        assert len(service.history()) == 1  # nothing signed, nothing pending
    assert len(ledger_rows(home / EMBEDDED_LEDGER_FILE)) == 1


def test_the_daily_limit_refuses_what_would_go_over_it_today(tmp_path):
    home = tmp_path / "home"
    PayerAccounts(home).add(*A, balance=10_000_000, daily_limit=500_000)
    assert pay(home, 300_000).status == "approved"
    with pytest.raises(AmountRefused) as refused:
        pay(home, 250_000)
    assert refused.value.code == "daily-limit"
    assert pay(home, 200_000).status == "approved"  # up to the limit exactly


def test_the_acquirer_itself_refuses_over_balance_with_a_named_code_and_records_nothing(tmp_path):
    """A payer that does not check (another app, a script) meets the same rule at the acquirer."""
    ledger = tmp_path / "ledger.sqlite3"
    acquirer = MockAcquirer(ledger, FailureSettings(), audiences=["embedded"])
    try:
        payer = new_payer(account="555666")
        acquirer.trust([_trusted(payer)])
        acquirer.ledger.balances.open("970436/555666", 100_000)
        first = acquirer.submit(token_for(payer, "embedded", amount=70_000, payload=STATIC_QR))
        assert first.http_status == 201
        second = acquirer.submit(token_for(payer, "embedded", amount=70_000, payload=STATIC_QR))
        assert (second.http_status, second.body["error"]) == (422, "over-balance")
        assert second.body["message_vi"]
        assert ledger_rows(ledger) == [("approved",)]
        assert acquirer.ledger.balances.account("970436/555666", "2026-01-01").balance == 30_000
        assert acquirer.ledger.balances.audit() == []
    finally:
        acquirer.close()


def test_concurrent_payments_of_one_account_never_spend_more_than_its_balance(tmp_path):
    ledger = tmp_path / "ledger.sqlite3"
    acquirer = MockAcquirer(ledger, FailureSettings(), audiences=["embedded"])
    try:
        payer = new_payer(account="777888")
        acquirer.trust([_trusted(payer)])
        acquirer.ledger.balances.open("970436/777888", 500_000)
        tokens = [token_for(payer, "embedded", amount=100_000, payload=STATIC_QR) for _ in range(16)]
        answers: list[int] = []
        lock = threading.Lock()

        def submit(chunk):
            for token in chunk:
                status = acquirer.submit(token).http_status
                with lock:
                    answers.append(status)

        threads = [threading.Thread(target=submit, args=(tokens[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sorted(answers) == [201] * 5 + [422] * 11
        assert acquirer.ledger.balances.account("970436/777888", "2026-01-01").balance == 0
        assert acquirer.ledger.balances.audit() == []
    finally:
        acquirer.close()


def _trusted(payer):
    from payer_app.payments.acquirer.ledger import TrustedKey

    return TrustedKey(dict(payer.key.public_jwk), payer.bank_bin, payer.account)


# --- the command ----------------------------------------------------------------------------------
def test_accounts_add_list_use_remove_and_pay_from_the_chosen_one(tmp_path, cli_here):
    """Real processes for an account added (exit 0), a payment refused (exit 1, nothing on stdout) and
    an unknown account (exit 2, one line on stderr); the walk's other steps in this process."""
    home = tmp_path / "home"
    added = cli(home, "accounts", "add", "--bank", A[0], "--account", A[1], "--name", A[2], "--balance", "1.000.000")
    assert added.returncode == 0, added.stderr
    assert cli_here(home, "accounts", "add", "--bank", B[0], "--account", B[1], "--name", B[2],
                    "--balance", "50000").returncode == 0
    listed = json.loads(cli_here(home, "accounts", "list", "--json").stdout)
    assert [(x["id"], x["current"], x["bank"]["balance"]) for x in listed] == [("p1", True, 1_000_000),
                                                                              ("p2", False, 50_000)]
    assert cli_here(home, "accounts", "use", "p2").returncode == 0
    refused = cli(home, "pay", STATIC_QR, "--amount", "60000")
    assert refused.returncode == 1 and "(over-balance)" in refused.stderr, refused.stderr
    assert refused.stdout == ""
    paid = cli_here(home, "pay", STATIC_QR, "--amount", "20000")
    assert paid.returncode == 0, paid.stderr
    assert verify_request(paid.stdout.strip(), PayerAccounts(home).keystore(PayerAccounts(home).get("p2"))).ok
    listed = json.loads(cli_here(home, "accounts", "list", "--json").stdout)
    assert [x["bank"]["balance"] for x in listed] == [1_000_000, 30_000]
    assert cli_here(home, "accounts", "remove", "p2").returncode == 0
    assert [x["id"] for x in json.loads(cli_here(home, "accounts", "list", "--json").stdout)] == ["p1"]
    unknown = cli(home, "accounts", "use", "p2")
    assert unknown.returncode == 2 and "unknown-account" in unknown.stderr
    assert len(unknown.stderr.splitlines()) == 1 and "Traceback" not in unknown.stderr


@pytest.mark.parametrize(("content", "says"), [
    ("bank_bin,account,name\n970436,1,A\n9704X6,2,B\n", "accounts.csv line 3: the bank BIN"),
    ("bank_bin,account,name,balance\n970436,1,A,12\n970436,2,B,lots\n", "accounts.csv line 3: the balance"),
    ("bank_bin,account,name\n970436,1,A\n970436,1,A again\n", "accounts.csv line 3: the account 970436/1 is already"),
    ("bank_bin,account,name\n970436,1,\"A\x07B\"\n", "accounts.csv line 2: the name"),
    ("bank_bin,account\n970436,1\n", "accounts.csv line 1: the header"),
    ("bank_bin,account,name\n970436,1,A,extra\n", "accounts.csv line 2: 4 fields"),
    ("bank_bin,account,name\n" + "970436,1,A\n" * (MAX_CSV_ROWS + 1), f"more than {MAX_CSV_ROWS} accounts"),
])
def test_a_hostile_csv_is_refused_whole_with_one_line_naming_the_line(tmp_path, cli_here, content, says):
    home = tmp_path / "home"
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text(content)
    done = cli_here(home, "accounts", "import", str(csv_file))
    assert done.returncode == 2 and done.stdout == ""
    assert says in done.stderr and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert PayerAccounts(home).list() == []  # nothing added


def test_an_oversized_or_special_csv_file_is_refused_before_it_is_read(tmp_path):
    home = tmp_path / "home"
    big = tmp_path / "big.csv"
    big.write_bytes(b"bank_bin,account,name\n" + b"970436,1,A" * 10_000)
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    for path, says in ((big, "at most"), (fifo, "not a regular file")):
        done = cli(home, "accounts", "import", str(path))
        assert done.returncode == 2 and says in done.stderr, done.stderr


def test_a_good_csv_adds_every_account_each_with_its_own_key(tmp_path, cli_here):
    home = tmp_path / "home"
    csv_file = tmp_path / "team.csv"
    csv_file.write_text("bank_bin,account,name,balance,daily_limit\n970436,111,LE VAN C,2000000,500000\n"
                        "970415,222,PHAM THI D,,\n")
    done = cli_here(home, "accounts", "import", str(csv_file))
    assert done.returncode == 0, done.stderr
    accounts = PayerAccounts(home)
    listed = accounts.list()
    assert [(x.account, x.balance, x.daily_limit) for x in listed] == [("111", 2_000_000, 500_000),
                                                                       ("222", None, None)]
    assert len({accounts.keystore(x).current_kid() for x in listed}) == 2


def test_a_damaged_or_unsafe_accounts_file_is_one_clear_error_and_left_as_it_is(tmp_path, cli_here):
    home = tmp_path / "home"
    PayerAccounts(home).add(*A)
    path = home / "accounts.json"
    for damage in ('{"version": 1, "accounts": [}', json.dumps({"version": 1, "current": "p1", "next_id": 2,
                   "accounts": [{"id": "p1", "bank_bin": "97", "account": "1", "name": "X", "balance": None,
                                 "daily_limit": None}]})):
        path.write_text(damage)
        with pytest.raises(AccountsRefused) as refused:
            PayerAccounts(home).current()
        assert refused.value.code == "bad-accounts-file"
        done = cli_here(home, "accounts", "list")
        assert done.returncode == 2 and "bad-accounts-file" in done.stderr and "Traceback" not in done.stderr
        assert path.read_text() == damage
    path.unlink()
    path.symlink_to(tmp_path / "elsewhere.json")
    (tmp_path / "elsewhere.json").write_text("{}")
    with pytest.raises(AccountsRefused):
        PayerAccounts(home).list()
    os.chmod(tmp_path / "elsewhere.json", 0o600)


def test_without_accounts_the_payer_is_the_demo_account_with_the_data_folders_key(tmp_path):
    home = tmp_path / "home"
    outcome = pay(home, 10_000)
    assert outcome.status == "approved"
    assert (outcome.request.payer.bank_bin, outcome.request.payer.account) == ("970436", "0011001234567")
    assert (home / "keys" / "signing_key.pem").exists()


def test_keys_export_is_the_current_accounts_key_and_verify_knows_every_accounts_key(tmp_path, cli_here):
    home = tmp_path / "home"
    accounts = PayerAccounts(home)
    a = accounts.add(*A)
    b = accounts.add(*B)
    paid_by_a = cli_here(home, "pay", STATIC_QR, "--amount", "10000")
    assert paid_by_a.returncode == 0, paid_by_a.stderr
    accounts.use(b.id)
    exported = json.loads(cli_here(home, "keys", "export").stdout)
    assert exported["kid"] == accounts.keystore(b).current_kid() != accounts.keystore(a).current_kid()
    token = tmp_path / "a.jws"
    token.write_text(paid_by_a.stdout)
    checked = cli_here(home, "verify", str(token))  # signed by a, verified while b is current
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_acquirer_serve_balance_option_is_read_strictly(tmp_path, cli_here):
    from payer_app.payments.acquirer.balances import parse_balance_option

    assert parse_balance_option("970436/0011001234567=5000000:2000000") == ("970436/0011001234567", 5_000_000,
                                                                            2_000_000)
    assert parse_balance_option("970415/A1=0") == ("970415/A1", 0, None)
    for bad in ("970436/1", "970436/1=-5", "97043/1=5", "970436/=5", "970436/1=5:x", "970436/1=1" + "0" * 16,
                "970436/1=5:", "970436/1=٥"):
        with pytest.raises(ValueError):
            parse_balance_option(bad)
    done = cli_here(tmp_path / "home", "acquirer", "serve", "--port", "0", "--balance", "970436/1=lots")
    assert done.returncode == 2 and "--balance" in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr


def test_a_booth_visitor_account_is_replaced_keys_and_all_by_the_next_visitors(tmp_path):
    home = tmp_path / "home"
    owner = PayerAccounts(home).add(*A)
    with PaymentService(home) as service:
        first = service.start_visit("970436", "9000000000001", balance=200_000)
        first_keys = first.key_home(home)
        paid = service.pay(parse_payload(STATIC_QR), PaymentChoice(150_000))
        assert paid.status == "approved" and paid.request.payer.account == "9000000000001"
        assert first_keys.is_dir()
        with pytest.raises(AmountRefused):  # the visitor's own balance, 50.000 ₫ left
            service.pay(parse_payload(STATIC_QR), PaymentChoice(60_000))
        second = service.start_visit("970436", "9000000000002", balance=200_000)
        assert service.pay(parse_payload(STATIC_QR), PaymentChoice(150_000)).status == "approved"
    accounts = PayerAccounts(home)
    assert [(a.id, a.visitor) for a in accounts.list()] == [(owner.id, False), (second.id, True)]
    assert accounts.current().id == second.id
    assert not first_keys.exists()  # nothing of the first visitor's key stays
    with pytest.raises(AccountsRefused):
        accounts.start_visit("970436", A[1])  # never over an account that is listed
    assert accounts.current().id == second.id
