"""The commit policy of docs/security.md ("What survives a crash"): a real ``payer-app acquirer
serve`` paid by eight clients at once is killed with SIGKILL in the middle of the load; started
again on the same ledger file, it holds every payment a client was told was approved, and nothing
that no client sent."""

from __future__ import annotations

import base64
import json
import sqlite3
import threading

import httpx

from payer_app.core.keys import SigningKey
from tests.acquirer_helpers import JOSE, Payer, ServedAcquirer, enrol, http_get, token_for

CLIENTS = 8
PER_CLIENT = 60
KILL_AFTER_DECISIONS = 120


def _pay(url: str, tokens: list[str], told: list, stop: threading.Event) -> None:
    """Send each token in turn; keep (request_id, status) of every answer heard, until the acquirer is gone."""
    with httpx.Client(timeout=60, verify=False) as http:  # plain http on loopback: no CA bundle to load
        for token in tokens:
            if stop.is_set():
                return
            try:
                answer = http.post(f"{url}/v1/payments", content=token, headers=JOSE)
            except httpx.HTTPError:  # killed: this one's answer never came
                return
            told.append((json.loads(answer.content).get("request_id"), answer.status_code))


def test_every_approval_a_client_heard_survives_a_kill_9(tmp_path):
    served = ServedAcquirer(tmp_path)
    payers = [Payer(SigningKey.generate(), "970436", f"77000{i:05d}") for i in range(CLIENTS)]
    for payer in payers:
        assert enrol(served.url, payer).status_code == 201  # a one-time code issued for its account
    tokens = [[token_for(payer, served.url, amount=1_000 + n) for n in range(PER_CLIENT)] for payer in payers]
    told: list[list] = [[] for _ in payers]
    stop = threading.Event()
    threads = [threading.Thread(target=_pay, args=(served.url, tokens[i], told[i], stop)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    decisions = 0
    while decisions < KILL_AFTER_DECISIONS:  # the console says one line per decision
        line = served.next_line()
        assert line is not None, "the acquirer ended before the load"
        decisions += "(201)" in line
    served.proc.kill()  # SIGKILL: no shutdown; answers in flight are lost
    served.proc.wait(timeout=60)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    again = ServedAcquirer(tmp_path)  # the same ledger file, opened after the crash
    health = http_get(f"{again.url}/v1/health", timeout=60).json()
    again.stop()
    with sqlite3.connect(tmp_path / "served.sqlite3") as db:
        recorded = dict(db.execute("SELECT request_id, status FROM ledger_payments").fetchall())
    heard_approved = {request_id for each in told for request_id, status in each if status == 201}
    assert len(heard_approved) >= KILL_AFTER_DECISIONS - CLIENTS  # the kill came in the middle of the load
    assert all(status == 201 for each in told for _, status in each)
    assert heard_approved <= set(recorded), "an approval a client heard is missing after the crash"
    sent = {json.loads(_payload(token))["request_id"] for each in tokens for token in each}
    assert set(recorded) <= sent and set(recorded.values()) == {"approved"}
    assert health["counts"] == {"approved": len(recorded)}


def _payload(token: str) -> bytes:
    part = token.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
