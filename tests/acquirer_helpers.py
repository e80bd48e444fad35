"""Shared pieces of the acquirer tests: a real server on a free loopback port with a real SQLite
ledger, payers with enrolled keys, and tokens addressed to that server."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import httpx

from payer_app.core.keys import SigningKey
from payer_app.core.payload import parse_payload
from payer_app.core.request import PayerInfo, build_request
from payer_app.core.signing import sign_request
from payer_app.payments.acquirer import AcquirerServer, FailureSettings, create_app
from payer_app.payments.enrolment import enrolment_token, normalise_audience
from tests.spec_vectors import EVN_BILL

JOSE = {"Content-Type": "application/jose"}
CODE = "test-enrol-code-0001"
DEMO_BIN = "970436"
DEMO_ACCOUNT = "0011001234567"


@dataclass
class Payer:
    key: SigningKey
    bank_bin: str = DEMO_BIN
    account: str = DEMO_ACCOUNT

    @property
    def info(self) -> PayerInfo:
        return PayerInfo(self.account, self.bank_bin, self.key.kid)


def start_server(ledger: Path, failures: FailureSettings | None = None, **kwargs) -> AcquirerServer:
    kwargs.setdefault("enrol_code", CODE)
    return AcquirerServer(create_app(ledger, failures or FailureSettings(), **kwargs)).start()


def enrol(url: str, payer: Payer, code: str | None = CODE, endorsed_by: SigningKey | None = None,
          audience: str | None = None) -> httpx.Response:
    token = enrolment_token(payer.key, payer.account, payer.bank_bin, audience or url, endorsed_by=endorsed_by)
    headers = dict(JOSE)
    if code is not None:
        headers["Authorization"] = f"Bearer {code}"
    return httpx.post(f"{url}/v1/keys", content=token, headers=headers, timeout=10)


def new_payer(url: str | None = None, account: str = DEMO_ACCOUNT, bank_bin: str = DEMO_BIN) -> Payer:
    """A payer with a fresh key, enrolled at ``url`` when given."""
    payer = Payer(SigningKey.generate(), bank_bin, account)
    if url is not None:
        response = enrol(url, payer)
        assert response.status_code == 201, response.text
    return payer


def token_for(payer: Payer, url: str, amount: int = 250_000, payload: str = EVN_BILL, payer_info=None,
              **kwargs) -> str:
    kwargs.setdefault("audience", normalise_audience(url))
    request = build_request(parse_payload(payload), amount, payer=payer_info or payer.info, **kwargs)
    return sign_request(request, payer.key)


def post(url: str, token: str | bytes, headers=JOSE, timeout: float = 10.0) -> httpx.Response:
    return httpx.post(f"{url}/v1/payments", content=token, headers=headers, timeout=timeout)


def ledger_rows(path: Path, sql: str = "SELECT status FROM ledger_payments", args=()) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql, args).fetchall()
