"""Talking to an acquirer: over HTTP (httpx) or in-process (the embedded mock).

Both clients have the same methods; network trouble of any kind (refused, reset, timeout, a 5xx)
raises ``AcquirerUnavailable`` so the caller can keep the payment pending and retry later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from payer_app.core.request import Limits
from payer_app.payments.acquirer import JOSE_MEDIA_TYPE, FailureSettings, MockAcquirer

DEFAULT_TIMEOUT_SECONDS = 10.0


class AcquirerUnavailable(Exception):
    """The acquirer could not be reached or did not answer in time; the outcome is unknown."""


@dataclass(frozen=True)
class AcquirerReply:
    http_status: int
    body: dict[str, Any]


class HttpAcquirerClient:
    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def __repr__(self) -> str:
        return f"HttpAcquirerClient({self.base_url!r})"

    @property
    def description(self) -> str:
        return self.base_url

    def close(self) -> None:
        self._http.close()

    def submit(self, jws: str) -> AcquirerReply:
        return self._call("POST", "/v1/payments", content=jws.encode("ascii"),
                          headers={"Content-Type": JOSE_MEDIA_TYPE})

    def lookup(self, request_id: str) -> AcquirerReply:
        return self._call("GET", f"/v1/payments/{request_id}")

    def enrol(self, jwk: dict[str, Any]) -> AcquirerReply:
        return self._call("POST", "/v1/keys", json=jwk)

    def _call(self, method: str, path: str, **kwargs) -> AcquirerReply:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise AcquirerUnavailable(f"{self.base_url} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise AcquirerUnavailable(f"cannot reach {self.base_url}: {exc}") from None
        if response.status_code >= 500:
            raise AcquirerUnavailable(f"{self.base_url} answered {response.status_code}: {_short(response.text)}")
        try:
            body = response.json()
        except ValueError:
            raise AcquirerUnavailable(
                f"{self.base_url} answered {response.status_code} with something that is not JSON"
            ) from None
        if not isinstance(body, dict):
            raise AcquirerUnavailable(f"{self.base_url} answered {response.status_code} with an unexpected body")
        return AcquirerReply(response.status_code, body)


class EmbeddedAcquirerClient:
    """The mock acquirer running inside this process (same logic and ledger code as the HTTP one).

    Injected latency is slept; an injected timeout raises AcquirerUnavailable after the payment was
    recorded, exactly like a lost HTTP answer."""

    def __init__(self, ledger_path: Path, failures: FailureSettings | None = None,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS, limits: Limits | None = None):
        self.acquirer = MockAcquirer(ledger_path, failures, limits=limits)
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"EmbeddedAcquirerClient({str(self.acquirer.ledger.path)!r})"

    @property
    def description(self) -> str:
        return "embedded"

    def close(self) -> None:
        self.acquirer.close()

    def submit(self, jws: str) -> AcquirerReply:
        answer = self.acquirer.submit(jws)
        if answer.lost:
            time.sleep(min(answer.delay_seconds, self.timeout, 0.05))
            raise AcquirerUnavailable("the embedded acquirer did not answer in time (injected timeout)")
        if answer.delay_seconds:
            time.sleep(min(answer.delay_seconds, self.timeout))
        if answer.http_status >= 500:
            raise AcquirerUnavailable(f"the embedded acquirer answered {answer.http_status}: "
                                      f"{answer.body.get('message')}")
        return AcquirerReply(answer.http_status, answer.body)

    def lookup(self, request_id: str) -> AcquirerReply:
        answer = self.acquirer.lookup(request_id)
        return AcquirerReply(answer.http_status, answer.body)

    def enrol(self, jwk: dict[str, Any]) -> AcquirerReply:
        answer = self.acquirer.enrol(jwk)
        return AcquirerReply(answer.http_status, answer.body)


def wait_until_serving(url: str, process=None, timeout: float = 30.0) -> None:
    """Wait until the acquirer at ``url`` answers ``GET /v1/health``. Raises AcquirerUnavailable when it
    does not within ``timeout`` seconds, or when ``process`` (a subprocess.Popen serving it) has exited."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process is not None and process.poll() is not None:
            raise AcquirerUnavailable(f"the acquirer process exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise AcquirerUnavailable(f"the acquirer at {url} did not answer within {timeout:.0f} s")
        time.sleep(0.1)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
