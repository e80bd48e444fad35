"""Shared pieces of the acquirer tests: a real server on a free loopback port with a real SQLite
ledger, payers with enrolled keys, and tokens addressed to that server.

Enrolling a payer for a named account takes what a real payer needs: a one-time code the operator
issues for that account into the acquirer's ledger (``issue_code``, what ``payer-app acquirer codes
issue --account`` runs). The booth's shared code (``CODE``) binds no key to a named account; it only
opens demo accounts the acquirer numbers. So every acquirer a test enrols at is known here by its URL
(``start_server``, ``LedgerServer``, ``ServedAcquirer``), and ``account_code(url)`` issues a code into its
ledger on the acquirer's own clock."""

from __future__ import annotations

import os
import queue
import re
import signal
import sqlite3
import ssl
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import httpx
import pytest

from payer_app.core.choice import PaymentChoice
from payer_app.core.keys import SigningKey
from payer_app.core.payload import parse_payload
from payer_app.core.request import PayerInfo, build_request
from payer_app.core.signing import sign_request
from payer_app.payments.acquirer.activation import MAX_CODE_MINUTES, issue_code
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.endpoints import create_app
from payer_app.payments.acquirer.server import AcquirerServer
from payer_app.payments.acquirer_client import read_until_serving
from payer_app.payments.enrolment import enrolment_token, normalise_audience
from tests.spec_vectors import EVN_BILL

JOSE = {"Content-Type": "application/jose"}
CODE = "test-enrol-code-0001"  # the booth's shared code: opens demo accounts, binds no named account
DEMO_BIN = "970436"
DEMO_ACCOUNT = "0011001234567"
# ``enrol``'s default: a one-time code issued for the payer's account at that acquirer (not a code itself).
ISSUED = "<a code issued for the account>"


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every request the tests make: ``httpx.post`` and ``httpx.get`` otherwise
    build one per call (loading the CA bundle, tens of ms of CPU), though these URLs are plain http."""
    return ssl.create_default_context()


def http_get(url: str, **kwargs) -> httpx.Response:
    """``httpx.get`` without building a TLS context for each call."""
    return httpx.get(url, verify=_tls(), **kwargs)


def http_post(url: str, **kwargs) -> httpx.Response:
    """``httpx.post`` without building a TLS context for each call."""
    return httpx.post(url, verify=_tls(), **kwargs)


@dataclass
class Payer:
    key: SigningKey
    bank_bin: str = DEMO_BIN
    account: str = DEMO_ACCOUNT

    @property
    def info(self) -> PayerInfo:
        return PayerInfo(self.account, self.bank_bin, self.key.kid)


class AcquirerClock:
    """The acquirer's clock in a test (``create_app(clock=...)``): UTC, starting now, moving only when
    told (``advance(seconds)``), so "received a minute later" needs no waiting."""

    def __init__(self, start: datetime | None = None):
        self.now = (start or datetime.now(UTC)).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# The acquirers a test can issue codes at: URL -> (its ledger file, its clock), while it serves.
_LEDGERS: dict[str, tuple[Path, object]] = {}


def register_ledger(url: str, ledger: Path, clock=None) -> None:
    """The acquirer serving ``url`` keeps its ledger in ``ledger`` (``clock``: its clock, None for the
    system's): ``account_code(url)`` issues codes there."""
    _LEDGERS[url.rstrip("/")] = (ledger, clock)


def forget_ledger(url: str) -> None:
    _LEDGERS.pop(url.rstrip("/"), None)


class LedgerServer(AcquirerServer):
    """``AcquirerServer`` over a ``create_app`` app, known by its URL while it serves, so ``enrol`` and
    ``account_code`` can issue per-account codes into its ledger."""

    def start(self, timeout: float = 10.0) -> LedgerServer:
        super().start(timeout)
        acquirer = self.server.config.app.state.acquirer
        register_ledger(self.url, acquirer.ledger.path, acquirer.clock)
        return self

    def stop(self) -> None:
        forget_ledger(self.url)
        super().stop()


def start_server(ledger: Path, failures: FailureSettings | None = None, **kwargs) -> AcquirerServer:
    kwargs.setdefault("enrol_code", CODE)
    return LedgerServer(create_app(ledger, failures or FailureSettings(), **kwargs)).start()


def ledger_server_fixture():
    """A ``server`` fixture for a test module: ``start_server`` on a ledger in the test's ``tmp_path``,
    stopped after the test (``server = ledger_server_fixture()`` at the module's top level)."""

    @pytest.fixture
    def server(tmp_path):
        served = start_server(tmp_path / "acquirer.sqlite3")
        yield served
        served.stop()

    return server


def account_code(url: str, bank_bin: str = DEMO_BIN, account: str = DEMO_ACCOUNT) -> str:
    """A new one-time activation code for ``bank_bin``/``account`` at the acquirer serving ``url``,
    written into its ledger as ``payer-app acquirer codes issue --account`` writes it, dated by the
    acquirer's clock and valid for a day (a test may move that clock)."""
    known = _LEDGERS.get(url.rstrip("/"))
    assert known is not None, f"{url} was not started by start_server, LedgerServer or ServedAcquirer"
    ledger, clock = known
    code, _ = issue_code(ledger, bank_bin, account, minutes=MAX_CODE_MINUTES, now=clock() if clock else None)
    return code


def code_for(service, url: str | None = None) -> str:
    """A one-time code for a ``PaymentService``'s payer account at its acquirer (or ``url``)."""
    return account_code(url or service.acquirer_url, service.payer.bank_bin, service.payer.account)


def enrol(url: str, payer: Payer, code: str | None = ISSUED, endorsed_by: SigningKey | None = None,
          audience: str | None = None) -> httpx.Response:
    """``POST /v1/keys`` for ``payer``'s key and account: by default with a code issued for that account
    (``account_code``); ``code=CODE`` is the booth's shared code, None no code (an endorsement, open
    enrolment)."""
    if code == ISSUED:
        code = account_code(url, payer.bank_bin, payer.account)
    token = enrolment_token(payer.key, payer.account, payer.bank_bin, audience or url, endorsed_by=endorsed_by)
    headers = dict(JOSE)
    if code is not None:
        headers["Authorization"] = f"Bearer {code}"
    return http_post(f"{url}/v1/keys", content=token, headers=headers, timeout=10)


def new_payer(url: str | None = None, account: str = DEMO_ACCOUNT, bank_bin: str = DEMO_BIN) -> Payer:
    """A payer with a fresh key, enrolled at ``url`` when given (with a code issued for its account)."""
    payer = Payer(SigningKey.generate(), bank_bin, account)
    if url is not None:
        response = enrol(url, payer)
        assert response.status_code == 201, response.text
    return payer


def token_for(payer: Payer, url: str, amount: int = 250_000, payload: str = EVN_BILL, payer_info=None,
              **kwargs) -> str:
    kwargs.setdefault("audience", normalise_audience(url))
    choice = PaymentChoice(amount, kwargs.pop("note", ""))
    request = build_request(parse_payload(payload), choice, payer=payer_info or payer.info, **kwargs)
    return sign_request(request, payer.key)


def post(url: str, token: str | bytes, headers=JOSE, timeout: float = 10.0) -> httpx.Response:
    return http_post(f"{url}/v1/payments", content=token, headers=headers, timeout=timeout)


def ledger_rows(path: Path, sql: str = "SELECT status FROM ledger_payments", args=()) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql, args).fetchall()


SERVES_ON = re.compile(r"Mock acquirer on http://127\.0\.0\.1:(\d+) ")


def served_port(start_lines: list[str]) -> int:
    """The port a ``payer-app acquirer serve --port 0`` process listens on, from its start lines: the
    system picked it when the socket was bound, so no other test or worker can hold it."""
    for line in start_lines:
        if found := SERVES_ON.match(line):
            return int(found.group(1))
    raise AssertionError(f"no 'Mock acquirer on' line in {''.join(start_lines)!r}")


class ServedAcquirer:
    """``payer-app acquirer serve`` as its own process on a loopback port the system picked (``--port
    0``), ready once it has printed its start lines; what it writes on standard error afterwards is
    read line by line by a thread into a queue (``next_line``), and ``stop`` returns every such line."""

    def __init__(self, folder: Path, *extra: str, preexec_fn=None):
        env = dict(os.environ, PAYER_APP_HOME=str(folder / "acquirer_home"))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "payer_app", "acquirer", "serve", "--port", "0",
             "--ledger", str(folder / "served.sqlite3"), *extra],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=preexec_fn)
        start = self.start_lines = read_until_serving(self.proc)
        self.port = served_port(start)
        self.url = f"http://127.0.0.1:{self.port}"
        self.code = next(line.split()[2] for line in start if line.startswith("Enrolment code: "))
        self.ledger = folder / "served.sqlite3"
        register_ledger(self.url, self.ledger)  # its own process's clock: the system's
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._said: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.next_line()  # the last start line (the merchant display), printed after the serving line

    def _read(self) -> None:
        for line in self.proc.stderr:
            self._lines.put(line)
        self._lines.put(None)

    def next_line(self, timeout: float = 60.0) -> str | None:
        """The next line on standard error (None once the process has closed it)."""
        line = self._lines.get(timeout=timeout)
        if line is not None:
            self._said.append(line)
        return line

    def stop(self) -> list[str]:
        """Ctrl+C, then every line said after the start lines."""
        forget_ledger(self.url)
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        while self.next_line() is not None:
            pass
        return self._said[1:]
