"""Talking to an acquirer: over HTTP (httpx) or in-process (the embedded mock).

Both clients have the same methods. No answer at all (refused, reset, timeout) raises
``AcquirerUnavailable``; an answer that is a server error (5xx) or unreadable raises its subclass
``AcquirerError`` carrying the HTTP status, so the payer records "acquirer error (HTTP 503)" rather
than "no answer". Either way the outcome is unknown and the request stays pending.
Answers are read with a size cap and ``loads_untrusted``: the acquirer is a stranger too.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from payer_app.core.display_text import visible
from payer_app.core.keys import SigningKey
from payer_app.core.payability import Limits
from payer_app.core.registered_name import LookupKey
from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.balances import BALANCE_LOOKUP_ID
from payer_app.payments.acquirer.decisions import MockAcquirer
from payer_app.payments.acquirer.ledger import TrustedKey
from payer_app.payments.biller import attach_biller, bill_answer
from payer_app.payments.enrolment import (
    EMBEDDED_AUDIENCE,
    demo_account_token,
    enrolment_token,
    lookup_token,
    normalise_audience,
    revocation_token,
)
from payer_app.payments.name_directory import NameDirectory

if TYPE_CHECKING:
    import ssl

DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_ANSWER_BYTES = 256 * 1024


class AcquirerUnavailable(Exception):
    """The acquirer could not be reached or did not answer in time; the outcome is unknown."""


class AcquirerError(AcquirerUnavailable):
    """The acquirer answered, but with a server error (5xx) or something unreadable."""

    def __init__(self, message: str, http_status: int | None):
        super().__init__(message)
        self.http_status = http_status


@dataclass(frozen=True)
class AcquirerReply:
    http_status: int
    body: dict[str, Any]


def tls_context(base_url: str) -> ssl.SSLContext:
    """What a client of ``base_url`` checks certificates with. An https acquirer's certificate is checked
    as httpx checks it by default (its CA bundle, SSL_CERT_FILE / SSL_CERT_DIR), with the bundle loaded
    once per process: httpx loads it again for every client it makes (about 40 ms of CPU each,
    bench/acquirer_client_bench.py). A plain http acquirer's client makes no TLS connection (redirects are
    not followed), so it gets a context that trusts no certificate at all: should it ever meet TLS, the
    connection fails; it is never made unchecked."""
    import ssl  # here, not at import: the window starts without it (tests/test_window_start_imports.py)

    if base_url.lower().startswith("https://"):
        return _ca_bundle_context()
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, with no certificate to trust


@functools.cache
def _ca_bundle_context() -> ssl.SSLContext:
    import httpx

    return httpx.create_ssl_context()


class HttpAcquirerClient:
    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT_SECONDS):
        import httpx  # here, not at import: the window (embedded acquirer) never needs it (7 MiB resident)

        # the HTTP acquirer's module brings asyncio and its process pool (5 MiB), which the window's
        # embedded acquirer never needs either
        from payer_app.payments.acquirer.endpoints import JOSE_MEDIA_TYPE

        self._jose = JOSE_MEDIA_TYPE
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, verify=tls_context(self.base_url))

    def __repr__(self) -> str:
        return f"HttpAcquirerClient({self.base_url!r})"

    @property
    def description(self) -> str:
        return self.base_url

    @property
    def audience(self) -> str:
        return normalise_audience(self.base_url)

    def close(self) -> None:
        self._http.close()

    def submit(self, jws: str) -> AcquirerReply:
        return self._call("POST", "/v1/payments", content=jws.encode("ascii"),
                          headers={"Content-Type": self._jose})

    def balance(self, key: SigningKey) -> AcquirerReply:
        """``GET /v1/balance``: the state of ``key``'s own account (payments/acquirer/balances.py)."""
        token = lookup_token(key, BALANCE_LOOKUP_ID, self.audience)
        return self._call("GET", "/v1/balance", headers={"Authorization": f"JWS {token}"})

    def lookup(self, request_id: str, key: SigningKey) -> AcquirerReply:
        token = lookup_token(key, request_id, self.audience)
        return self._call("GET", f"/v1/payments/{request_id}", headers={"Authorization": f"JWS {token}"})

    def key_status(self, kid: str) -> AcquirerReply:
        return self._call("GET", f"/v1/keys/{kid}")

    def bill(self, customer_code: str) -> AcquirerReply:
        """``GET /v1/bills/{customer_code}``: the outstanding EVN bill (payments/biller.py)."""
        return self._call("GET", f"/v1/bills/{quote(customer_code, safe='')}")

    def name_lookup(self, key: LookupKey) -> AcquirerReply:
        """``POST /v2/lookup``: the registered name of a bank account or merchant id (name_directory.py)."""
        body = {"accountNumber": key.account} if key.bank_bin is None else {"bin": int(key.bank_bin),
                                                                            "accountNumber": key.account}
        return self._call("POST", "/v2/lookup", json=body)

    def enrol(self, key: SigningKey, account: str, bank_bin: str, code: str | None = None,
              endorsed_by: SigningKey | None = None, endorsement: str | None = None) -> AcquirerReply:
        token = enrolment_token(key, account, bank_bin, self.audience, endorsed_by=endorsed_by,
                                endorsement=endorsement)
        headers = {"Content-Type": self._jose}
        if code is not None:
            headers["Authorization"] = f"Bearer {code}"
        return self._call("POST", "/v1/keys", content=token.encode("ascii"), headers=headers)

    def open_demo_account(self, key: SigningKey, bank_bin: str, code: str) -> AcquirerReply:
        """``POST /v1/demo-accounts`` with the booth's shared code: a new account numbered by the
        acquirer, ``key`` bound to it (payments/acquirer/activation.py)."""
        token = demo_account_token(key, bank_bin, self.audience)
        return self._call("POST", "/v1/demo-accounts", content=token.encode("ascii"),
                          headers={"Content-Type": self._jose, "Authorization": f"Bearer {code}"})

    def revoke(self, kid: str, signer: SigningKey | None = None, code: str | None = None) -> AcquirerReply:
        headers = {"Content-Type": self._jose}
        content = b""
        if code is not None:
            headers["Authorization"] = f"Bearer {code}"
        elif signer is not None:
            content = revocation_token(signer, kid, self.audience).encode("ascii")
        return self._call("POST", f"/v1/keys/{kid}/revoke", content=content, headers=headers)

    def new_day(self, code: str) -> AcquirerReply:
        """``POST /v1/new-day`` with the acquirer's enrolment code (payments/new_day.py)."""
        return self._call("POST", "/v1/new-day", headers={"Authorization": f"Bearer {code}"})

    def _call(self, method: str, path: str, **kwargs) -> AcquirerReply:
        import httpx

        try:
            with self._http.stream(method, path, **kwargs) as response:
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > MAX_ANSWER_BYTES:
                        raise AcquirerError(f"{self.base_url} answered {response.status_code} with more than "
                                            f"{MAX_ANSWER_BYTES} bytes", response.status_code)
                status = response.status_code
        except httpx.TimeoutException:
            raise AcquirerUnavailable(f"{self.base_url} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise AcquirerUnavailable(unreachable_words(self.base_url, exc)) from None
        try:
            body = loads_untrusted(bytes(data), max_bytes=MAX_ANSWER_BYTES, what="the answer")
        except UntrustedJSONError:
            body = None
        if status >= 500:
            detail = body.get("message") if isinstance(body, dict) else _short(bytes(data))
            raise AcquirerError(f"{self.base_url} answered {status}: {visible(str(detail or ''), 200)}", status)
        if not isinstance(body, dict):
            raise AcquirerError(f"{self.base_url} answered {status} with something that is not a JSON object", status)
        return AcquirerReply(status, body)


class EmbeddedAcquirerClient:
    """The mock acquirer running inside this process (same logic and ledger code as the HTTP one).

    It trusts only the local payer's own keys, bound to the local payer account: ``local_keys()``
    gives them (with their retirement times) and is asked again before each payment, so a key
    rotated in another process is known at once. There is no enrolment.
    Injected latency is slept; an injected timeout raises AcquirerUnavailable after the payment was
    recorded, exactly like a lost HTTP answer."""

    def __init__(self, ledger_path: Path, failures: FailureSettings | None = None,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS, limits: Limits | None = None,
                 local_keys: Callable[[], list[TrustedKey]] | None = None,
                 directory: NameDirectory | None = None):
        self.directory = directory or NameDirectory.bundled()  # the names ``name_lookup`` answers from
        self.acquirer = MockAcquirer(ledger_path, failures, limits=limits, audiences=[EMBEDDED_AUDIENCE])
        self.timeout = timeout
        self._local_keys = local_keys
        self.biller = attach_biller(self.acquirer)  # EVN bills paid here are marked paid (payments/biller.py)

    def __repr__(self) -> str:
        return f"EmbeddedAcquirerClient({str(self.acquirer.ledger.path)!r})"

    @property
    def description(self) -> str:
        return "embedded"

    @property
    def audience(self) -> str:
        return EMBEDDED_AUDIENCE

    def close(self) -> None:
        self.acquirer.close()
        self.biller.close()

    def refresh_keys(self) -> None:
        """Trust the local payer's keys as they are now (raises ValueError for an unusable one)."""
        if self._local_keys is not None:
            self.acquirer.trust(self._local_keys())

    def submit(self, jws: str) -> AcquirerReply:
        self.refresh_keys()
        answer = self.acquirer.submit(jws)
        if answer.lost:
            time.sleep(min(answer.delay_seconds, self.timeout, 0.05))
            raise AcquirerUnavailable("the embedded acquirer did not answer in time (injected timeout)")
        if answer.delay_seconds:
            time.sleep(min(answer.delay_seconds, self.timeout))
        if answer.http_status >= 500:
            raise AcquirerError(f"the embedded acquirer answered {answer.http_status}: "
                                f"{answer.body.get('message')}", answer.http_status)
        return AcquirerReply(answer.http_status, answer.body)

    def lookup(self, request_id: str, key: SigningKey) -> AcquirerReply:
        answer = self.acquirer.lookup(request_id, f"JWS {lookup_token(key, request_id, EMBEDDED_AUDIENCE)}")
        return AcquirerReply(answer.http_status, answer.body)

    def key_status(self, kid: str) -> AcquirerReply:
        self.refresh_keys()
        answer = self.acquirer.key_status(kid)
        return AcquirerReply(answer.http_status, answer.body)

    def bill(self, customer_code: str) -> AcquirerReply:
        return AcquirerReply(*bill_answer(self.biller, customer_code))

    def name_lookup(self, key: LookupKey) -> AcquirerReply:
        answer = self.directory.answer(key)
        return AcquirerReply(answer.http_status, answer.body)


# ``payer-app acquirer serve`` prints this start line (standard error) once its socket listens.
SERVING_LINE = "Requests must be addressed (aud) to one of: "


def read_until_serving(process) -> list[str]:
    """The start lines of a ``payer-app acquirer serve`` process (a subprocess.Popen whose standard error
    is a text pipe), read up to the one that means it serves. Its socket listens, and Ctrl+C or SIGTERM stop
    it, before they are printed, so a script waits on the process's own words instead of polling, and may
    stop it as soon as they are read. Raises AcquirerUnavailable, with what the process said, when it ends
    first."""
    said = []
    for line in process.stderr:
        said.append(line)
        if line.startswith(SERVING_LINE):
            return said
    raise AcquirerUnavailable(f"the acquirer process ended (exit {process.wait()}) before it served: "
                              f"{visible(''.join(said)[-2000:])}")


def unreachable_words(url: str, exc: BaseException) -> str:
    """Why an acquirer could not be reached, in words with what to do (never a bare ``[Errno 111]``)."""
    text = str(exc)
    errno_of = getattr(getattr(exc, "__context__", None), "errno", None)
    shown = visible(url, 100)
    if errno_of == 111 or "Errno 111" in text or "Connection refused" in text:
        return (f"cannot reach the acquirer at {shown}: nothing answers there (connection refused). Is it "
                "running? Start it with `payer-app acquirer serve` (or `payer-app booth`), or check the address "
                "and port")
    if "Name or service not known" in text or "Errno -2" in text or "Errno -3" in text or \
            "Temporary failure in name resolution" in text:
        return f"cannot reach the acquirer at {shown}: its host name is not known here. Check the address"
    if "Errno 113" in text or "Errno 101" in text or "unreachable" in text.lower():
        return f"cannot reach the acquirer at {shown}: no network route to it. Check the network and the address"
    import httpx  # loaded already: the exception came from it

    if isinstance(exc, httpx.RemoteProtocolError):
        return (f"the acquirer at {shown} closed the connection without an answer (it may be stopping); "
                "try again in a moment")
    detail = visible(text.split("] ", 1)[-1], 200)
    return f"cannot reach the acquirer at {shown}: {detail or type(exc).__name__}. Check the address and that it runs"


def _short(data: bytes, limit: int = 200) -> str:
    text = " ".join(data.decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[:limit] + "…"
