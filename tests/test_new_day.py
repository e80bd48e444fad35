"""A new day: `payer-app acquirer new-day` (a real process, on the ledger file and at a running
acquirer), `POST /v1/new-day`, the kiosk Settings' operator action and `serve --new-day-at`. The
day's payments are archived (the archive tables hold them, the acquirer's own ledger keeps every
payment), the display's totals are zero (its open stream gets the new state) and the demo bill is
unpaid again."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from payer_app.core.builder import evn_bill_payload
from payer_app.payments.biller import Biller
from payer_app.payments.merchant_display import CounterStore
from payer_app.payments.new_day import DayArchive, next_time, parse_hour
from payer_app.payments.service import PaymentService
from tests import cli_in_process
from tests.acquirer_helpers import CODE as ENROL_CODE
from tests.acquirer_helpers import http_get, http_post, ledger_rows, new_payer, post, start_server, token_for
from tests.e2e.acquirer import payer_cli

BILL = "PD13000123456"
CEILING_S = 60.0


@pytest.fixture
def run_cli(capsys, monkeypatch, tmp_path):
    """``payer-app ARGS`` in this process (tests/cli_in_process.py), its data folder in the test's
    folder: (exit code, stdout, stderr). The first new day on a ledger file, the refusal of a missing
    ledger and the new day at a running acquirer are real processes (``payer_cli``)."""
    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("PAYER_APP_HOME", str(tmp_path / "home"))
        return cli_in_process.run(capsys, *args)

    return run


def pay_the_bill_in_full(url: str, tokens: list | None = None) -> int:
    payer = new_payer(url)
    total = http_get(f"{url}/v1/bills/{BILL}", timeout=10).json()["bill"]["amount_total"]
    token = token_for(payer, url, amount=total, payload=evn_bill_payload(BILL))
    assert post(url, token).status_code == 201
    assert http_get(f"{url}/v1/bills/{BILL}", timeout=10).json()["bill"]["status"] == "paid"
    if tokens is not None:
        tokens.append(token)
    return total


def day_state(ledger) -> tuple[str, int, int]:
    """(the bill's status, the display's total today, approved payments it lists)."""
    biller, counter = Biller(ledger), CounterStore(ledger)
    try:
        snap = counter.snapshot(None, "2000-01-01T00:00:00Z", False)
        return biller.bill(BILL).status, snap["total"], len(snap["recent"])
    finally:
        biller.close()
        counter.close()


def test_new_day_command_archives_the_day_zeroes_the_display_and_unpays_the_bill(tmp_path, run_cli):
    ledger = tmp_path / "ledger.sqlite3"
    server = start_server(ledger)
    try:
        total = pay_the_bill_in_full(server.url)
    finally:
        server.stop()
    assert day_state(ledger) == ("paid", total, 1)

    done = payer_cli(tmp_path / "home", "acquirer", "new-day", "--ledger", str(ledger), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["approved"], summary["approved_total"], summary["bill_payments"]) == (1, total, 1)

    assert day_state(ledger) == ("unpaid", 0, 0)
    # nothing deleted: the acquirer's ledger keeps the payment, the archive tables hold the day
    assert ledger_rows(ledger) == [("approved",)]
    assert ledger_rows(ledger, "SELECT kind, amount FROM archived_counter_events") == [("approved", total)]
    assert ledger_rows(ledger, "SELECT customer_code, amount FROM archived_biller_payments") == [(BILL, total)]
    # a second new day archives nothing more and loses nothing
    code, out, err = run_cli("acquirer", "new-day", "--ledger", str(ledger))
    assert code == 0 and "0 approved payment(s)" in out, err
    assert len(ledger_rows(ledger, "SELECT * FROM archived_counter_events")) == 1


def test_a_new_day_keeps_each_payments_fee_in_the_archive(tmp_path, run_cli):
    ledger = tmp_path / "ledger.sqlite3"
    counter = CounterStore(ledger)
    try:
        counter.add("approved", 150_000, "Shop", "M1", "", "REF1", "2026-12-04T10:00:00Z", fee=50_000, fee_kind="fixed")
    finally:
        counter.close()
    code, _, err = run_cli("acquirer", "new-day", "--ledger", str(ledger))
    assert code == 0, err
    assert ledger_rows(ledger, "SELECT amount, fee, fee_kind FROM archived_counter_events") == [
        (150_000, 50_000, "fixed")]


def test_the_archive_has_every_column_of_the_day_s_tables_and_when_the_day_closed(tmp_path):
    """The archive tables' columns are the day's tables', after day_closed_at, in the same order and
    types: a column added to the display's record or to a bill payment is archived too."""
    ledger = tmp_path / "ledger.sqlite3"
    DayArchive(ledger).close()

    def columns(table: str) -> list[tuple]:
        return [row[1:4] for row in ledger_rows(ledger, f"PRAGMA table_info({table})")]

    closed = ("day_closed_at", "TEXT", 1)
    assert columns("archived_counter_events") == [closed, ("id", "INTEGER", 1)] + columns("counter_events")[1:]
    assert columns("archived_biller_payments") == [closed] + columns("biller_payments")


def test_new_day_command_refuses_what_it_cannot_do(tmp_path, run_cli):
    missing = payer_cli(tmp_path / "home", "acquirer", "new-day", "--ledger", str(tmp_path / "none.sqlite3"))
    assert missing.returncode == 2 and "no ledger" in missing.stderr and missing.stdout == ""
    code, _, err = run_cli("acquirer", "new-day", "--acquirer", "http://127.0.0.1:9")
    assert code == 2 and "no ledger" in err  # the operator token lives there
    code, _, err = run_cli("acquirer", "serve", "--port", "0", "--new-day-at", "25:00")
    assert code == 2 and "HH:MM" in err


class Snapshots(threading.Thread):
    """The snapshots an open display stream receives (JSON), in a queue-like list with an event."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.seen, self.arrived = url, [], threading.Condition()

    def run(self) -> None:
        try:
            with httpx.stream("GET", f"{self.url}/display/events", timeout=CEILING_S) as response:
                event = ""
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "snapshot":
                        with self.arrived:
                            self.seen.append(json.loads(line[6:]))
                            self.arrived.notify_all()
        except httpx.HTTPError:
            pass

    def wait_for(self, count: int) -> dict:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.seen) >= count, CEILING_S), self.seen
            return self.seen[count - 1]


def test_new_day_at_a_running_acquirer_tells_its_open_display(tmp_path):
    ledger = tmp_path / "ledger.sqlite3"
    server = start_server(ledger)
    tokens: list[str] = []
    try:
        total = pay_the_bill_in_full(server.url, tokens)
        stream = Snapshots(server.url)
        stream.start()
        assert stream.wait_for(1)["total"] == total
        assert http_post(f"{server.url}/v1/new-day", timeout=10).status_code == 401
        refused = http_post(f"{server.url}/v1/new-day", headers={"Authorization": "Bearer wrong-code"}, timeout=10)
        assert refused.status_code == 401 and day_state(ledger)[0] == "paid"

        done = payer_cli(tmp_path / "home", "acquirer", "new-day", "--acquirer", server.url, "--ledger", str(ledger))
        assert done.returncode == 0, done.stderr
        fresh = stream.wait_for(2)  # the open display got the new day without reconnecting
        assert (fresh["total"], fresh["count"], fresh["recent"]) == (0, 0, [])
        assert http_get(f"{server.url}/v1/bills/{BILL}", timeout=10).json()["bill"]["status"] == "unpaid"
        # yesterday's request sent again is still a duplicate, and counts on no bill
        assert post(server.url, tokens[0]).status_code == 409
        assert http_get(f"{server.url}/v1/bills/{BILL}", timeout=10).json()["bill"]["status"] == "unpaid"
    finally:
        server.stop()


def test_kiosk_settings_start_a_new_day_at_the_acquirer(tmp_path, qtbot, kiosk):
    from PySide6.QtCore import Qt

    ledger = tmp_path / "ledger.sqlite3"
    server = start_server(ledger)
    try:
        pay_the_bill_in_full(server.url)
        window = kiosk(acquirer_url=server.url)
        window.ctx.acquirer_code = ENROL_CODE  # as `payer-app booth` (gui --enrol-code) gives it
        window.ctx.operator_token = server.server.config.app.state.activation.operator_token  # as the booth does
        window.go("settings")
        screen = window.settings_screen
        assert screen.new_day_button.isVisible()
        with qtbot.waitSignal(screen.new_day_runner.finished, timeout=CEILING_S * 1000):
            qtbot.mouseClick(screen.new_day_button, Qt.MouseButton.LeftButton)
        assert "1" in screen.new_day_status.text()
        assert day_state(ledger) == ("unpaid", 0, 0)
    finally:
        server.stop()


def test_the_embedded_acquirer_has_a_new_day_too(tmp_path):
    with PaymentService(tmp_path / "home") as service:
        assert service.new_day()["approved"] == 0


def test_the_hour_of_a_new_day():
    assert parse_hour("06:30") == (6, 30) and parse_hour("0:00") == (0, 0)
    for bad in ("24:00", "6:3", "ab:cd", "", "06-30", "06:60"):
        with pytest.raises(ValueError):
            parse_hour(bad)
    zone = datetime.now(UTC).astimezone().tzinfo
    now = datetime(2026, 12, 4, 21, 0, tzinfo=zone)
    assert next_time(6, 0, now) == datetime(2026, 12, 5, 6, 0, tzinfo=zone)
    assert next_time(22, 15, now) == datetime(2026, 12, 4, 22, 15, tzinfo=zone)
    assert next_time(21, 0, now) == now + timedelta(days=1)


def test_the_booths_shared_code_cannot_start_a_new_day_the_operator_token_can(tmp_path):
    """Every visitor's kiosk knows the shared enrolment code: over real HTTP it is refused (401, the
    day left as it is), and so is the kiosk's Settings button given only that code; the operator
    token kept in the ledger starts the day."""
    ledger = tmp_path / "ledger.sqlite3"
    server = start_server(ledger)
    try:
        pay_the_bill_in_full(server.url)
        shared = http_post(f"{server.url}/v1/new-day", headers={"Authorization": f"Bearer {ENROL_CODE}"},
                            timeout=10)
        assert shared.status_code == 401 and shared.json()["error"] == "bad-operator-token"
        assert day_state(ledger)[0] == "paid"
        operator = server.server.config.app.state.activation.operator_token
        done = http_post(f"{server.url}/v1/new-day", headers={"Authorization": f"Bearer {operator}"}, timeout=10)
        assert done.status_code == 200 and done.json()["new_day"]["approved"] == 1
        assert day_state(ledger)[0] == "unpaid"
    finally:
        server.stop()


def test_guessing_the_code_through_new_day_is_locked_out_like_enrolment(tmp_path):
    from payer_app.payments.enrolment import WRONG_CODES_ALLOWED

    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        answers = [http_post(f"{server.url}/v1/new-day", headers={"Authorization": f"Bearer guess-{n}"},
                              timeout=10).status_code for n in range(WRONG_CODES_ALLOWED)]
        assert answers == [401] * WRONG_CODES_ALLOWED
        operator = server.server.config.app.state.activation.operator_token
        right = http_post(f"{server.url}/v1/new-day", headers={"Authorization": f"Bearer {operator}"}, timeout=10)
        assert right.status_code == 429 and right.headers["Retry-After"]  # even the right code, during the lock-out
    finally:
        server.stop()


def test_the_scheduled_new_day_archives_and_sets_the_next_one(tmp_path):
    from payer_app.payments.new_day import NewDaySchedule

    ledger = tmp_path / "ledger.sqlite3"
    server = start_server(ledger)
    said: list[str] = []
    schedule = NewDaySchedule(server.server.config.app.state.acquirer, 6, 0, say=said.append)
    try:
        pay_the_bill_in_full(server.url)
        schedule.start()
        first = schedule._timer
        schedule._fire()  # what the timer does at 06:00
        assert said and "1 approved payment(s)" in said[0], said
        assert day_state(ledger) == ("unpaid", 0, 0)
        assert schedule._timer is not first and schedule._timer.is_alive()  # tomorrow's is set
    finally:
        schedule.stop()
        server.stop()
    assert not schedule._timer.is_alive() or schedule._timer.finished.is_set()



def test_a_refused_new_day_at_an_acquirer_is_a_refusal_the_window_can_show(tmp_path):
    """The kiosk Settings' "new day" through the service: a wrong operator code is an EnrolmentRefused
    with the acquirer's error code, as enrolment's refusals are (shown on one line), never a TypeError."""
    from payer_app.payments.errors import EnrolmentRefused

    server = start_server(tmp_path / "ledger.sqlite3")
    try:
        with PaymentService(tmp_path / "home") as service, pytest.raises(EnrolmentRefused) as refused:
            service.new_day("wrong-code", server.url)
    finally:
        server.stop()
    assert refused.value.http_status == 401 and refused.value.code
    assert server.url in str(refused.value) and "new day" in str(refused.value)
