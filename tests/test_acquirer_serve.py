"""``payer-app acquirer serve`` as the operator runs it, over real HTTP on 127.0.0.1: what it writes
to its log (standard error) when a client hangs up mid-body, and the lock-out of enrolment codes."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from payer_app.core.keys import SigningKey
from tests.acquirer_helpers import Payer, ServedAcquirer, enrol, http_get


@pytest.fixture
def served(tmp_path):
    acquirer = ServedAcquirer(tmp_path)
    yield acquirer
    if acquirer.proc.poll() is None:
        acquirer.stop()


def hang_up_mid_body(port: int, path: str, declared: int = 5_000, sent: int = 100) -> None:
    """A real HTTP request that declares ``declared`` bytes of body, sends ``sent`` and closes."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/jose\r\n"
            f"Content-Length: {declared}\r\n\r\n").encode("ascii")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(head + b"a" * sent)


def test_a_client_hanging_up_mid_body_is_one_log_line_without_a_traceback(served):
    """The attack: uploads dropped half-way, each once wrote a full ClientDisconnect traceback to the
    log. Now each is one line naming the route, and the acquirer goes on serving."""
    hang_up_mid_body(served.port, "/v1/payments")
    first = served.next_line()
    hang_up_mid_body(served.port, "/v1/keys")
    served.next_line()
    assert http_get(f"{served.url}/v1/health", timeout=10).json()["ok"] is True
    said = served.stop()
    assert not any("Traceback" in line for line in said), "".join(said)
    assert len(said) == 2, "".join(said)
    assert "POST /v1/payments" in first and "before sending the whole body" in first
    assert "POST /v1/keys" in said[1] and "before sending the whole body" in said[1]


def test_five_wrong_codes_lock_enrolment_with_429_and_the_log_says_so(served):
    """The attack: guessing the enrolment code as fast as the acquirer answers. After 5 wrong codes
    within a minute every code, the right one too, is answered 429 with Retry-After for the rest of
    that minute, and the log says so once (each wrong code is a line as well)."""
    payer = Payer(SigningKey.generate())
    for attempt in range(5):
        response = enrol(served.url, payer, code=f"guess-{attempt:04d}-xxxxxxxx")
        assert response.status_code == 401 and response.json()["error"] == "bad-enrolment-code"
    for code in ("guess-0005-xxxxxxxx", served.code):
        response = enrol(served.url, payer, code=code)
        assert response.status_code == 429, response.text
        assert response.json()["error"] == "too-many-attempts"
        assert 1 <= int(response.headers["Retry-After"]) <= 60
    # Nothing was enrolled.
    assert http_get(f"{served.url}/v1/keys/{payer.key.kid}", timeout=10).status_code == 404
    said = served.stop()
    assert sum("wrong enrolment code" in line for line in said) == 5, "".join(said)
    assert sum("locked" in line for line in said) == 1, "".join(said)
    assert not any("Traceback" in line for line in said)


def test_a_guessable_enrol_code_is_refused_in_one_line(tmp_path):
    """``--enrol-code BOOTH-2026`` (a code a stranger can guess) is refused before serving: exit 2,
    one line; the random code ``acquirer serve`` makes by itself is 16 characters."""
    done = subprocess.run(
        [sys.executable, "-m", "payer_app", "acquirer", "serve", "--port", "0", "--ledger",
         str(tmp_path / "weak.sqlite3"), "--enrol-code", "BOOTH-2026"],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("payer-app: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "at least 16 characters" in done.stderr and "Traceback" not in done.stderr
