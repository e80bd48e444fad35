"""The acquirer's verifier processes (``payments/acquirer/pipeline.py``): they verify the payments, not
the acquirer's own process; a key enrolled after they started reaches them; a verifier process that
dies leaves its payments to the acquirer, which still answers each exactly; closing the acquirer ends
them. Real HTTP on loopback, a real ledger file; every wait ends on an answer or a process's end."""

from __future__ import annotations

import os
import signal

from payer_app.payments.acquirer import decisions
from tests.acquirer_helpers import ledger_server_fixture, new_payer, post, start_server, token_for

CEILING = 60  # seconds: only ends a hung test


server = ledger_server_fixture()


def _verified_here(monkeypatch) -> list[str]:
    """Tokens the acquirer's own process verified (``decisions._verify``), recorded as they come."""
    calls: list[str] = []
    real = decisions._verify

    def counted(token, keys, now, limits):
        calls.append("here")
        return real(token, keys, now, limits)

    monkeypatch.setattr(decisions, "_verify", counted)
    return calls


def test_good_payments_are_verified_in_the_verifier_processes_with_keys_enrolled_after_they_started(
        server, monkeypatch):
    first = new_payer(server.url, account="0011000000001")
    assert post(server.url, token_for(first, server.url), timeout=CEILING).status_code == 201  # verifiers started
    pipeline = server.server.config.app.state.pipeline
    assert [v.process.is_alive() for v in pipeline._verifiers] == [True] * pipeline.workers
    acquirer = server.server.config.app.state.acquirer
    for verifier in pipeline._verifiers:  # each has been sent the keys of now
        verifier.verify(acquirer.key_jwks(), acquirer.limits, [(token_for(first, server.url), acquirer.clock())])
    later = new_payer(server.url, account="0011000000002")  # a key the verifiers have not seen yet
    for verifier in pipeline._verifiers:
        token = token_for(later, server.url)
        found = verifier.verify(acquirer.key_jwks(), acquirer.limits, [(token, acquirer.clock())])
        assert found[0].ok, found[0].reason
    here = _verified_here(monkeypatch)
    for payer in (later, first, later):
        answer = post(server.url, token_for(payer, server.url), timeout=CEILING)
        assert answer.status_code == 201, answer.text
    assert here == []  # none needed the acquirer's own process


def test_refusals_are_verified_again_by_the_acquirer_and_break_no_verifier(server, monkeypatch):
    """A refusal's reasons carry the stranger's text; the verifier process leaves them to the
    acquirer's own verification (whose answer is the one given in process) and stays in use."""
    payer = new_payer(server.url)
    assert post(server.url, token_for(payer, server.url), timeout=CEILING).status_code == 201
    here = _verified_here(monkeypatch)
    head, body, signature = token_for(payer, server.url).split(".")
    hostile = {f"{head}.{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}": "bad-signature",
               "not.a.token": "malformed", f"{head}.{body}": "malformed", f"{head}x.{body}.{signature}": "malformed"}
    for token, code in hostile.items():
        answer = post(server.url, token, timeout=CEILING)
        assert (answer.status_code, answer.json()["error"]) == (400, code), token
    assert len(here) == len(hostile)  # each verified again here
    assert not any(v.broken for v in server.server.config.app.state.pipeline._verifiers)
    assert post(server.url, token_for(payer, server.url), timeout=CEILING).status_code == 201
    assert len(here) == len(hostile)  # good ones still verified in the verifier processes


def test_a_verifier_process_that_dies_leaves_its_payments_to_the_acquirer(server, monkeypatch):
    payer = new_payer(server.url)
    assert post(server.url, token_for(payer, server.url), timeout=CEILING).status_code == 201
    pipeline = server.server.config.app.state.pipeline
    for verifier in pipeline._verifiers:
        os.kill(verifier.process.pid, signal.SIGKILL)
        verifier.process.join(CEILING)
    here = _verified_here(monkeypatch)
    answers = [post(server.url, token_for(payer, server.url, amount=10_000 + i), timeout=CEILING).status_code
               for i in range(6)]
    assert answers == [201] * 6
    assert len(here) == 6  # each verified in the acquirer's own process
    assert all(v.broken for v in pipeline._verifiers)


def test_stopping_the_acquirer_ends_its_verifier_processes(tmp_path):
    served = start_server(tmp_path / "acquirer.sqlite3")
    try:
        payer = new_payer(served.url)
        assert post(served.url, token_for(payer, served.url), timeout=CEILING).status_code == 201
        processes = [v.process for v in served.server.config.app.state.pipeline._verifiers]
        assert processes and all(p.is_alive() for p in processes)
    finally:
        served.stop()
    for process in processes:
        process.join(CEILING)
        assert process.exitcode == 0
