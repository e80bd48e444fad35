"""Paying a scanned QR: build the request, sign it, record it, send it, record the answer.

The GUI and the CLI both go through ``PaymentService``:

    service = PaymentService()                       # embedded mock acquirer
    service = PaymentService(acquirer_url="http://127.0.0.1:8765")
    outcome = service.pay(parse_payload(text), amount=250_000, note="Tien dien")
    outcome.status  # "approved" | "declined" | "pending" | "rejected"

Nothing is lost: the signed request is written to history (one transaction) before it is sent; a
network error or a crash leaves it ``pending`` and ``retry_pending()`` re-sends the same signed
request, so the acquirer sees the same idempotency key and answers with its first decision.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from payer_app.core.keystore import KeyStore
from payer_app.core.payload import ParsedPayload
from payer_app.core.request import Limits, PayerInfo, PaymentRequest, build_request
from payer_app.core.signing import decode_unverified, sign_request
from payer_app.payments.acquirer import FailureSettings
from payer_app.payments.acquirer_client import (
    DEFAULT_TIMEOUT_SECONDS,
    AcquirerReply,
    AcquirerUnavailable,
    EmbeddedAcquirerClient,
    HttpAcquirerClient,
)
from payer_app.payments.history import HISTORY_FILE, History, HistoryEntry
from payer_app.payments.sqlite_store import IN_MEMORY

EMBEDDED_LEDGER_FILE = "embedded-acquirer.sqlite3"
OUTCOME_STATUSES = ("approved", "declined", "pending", "rejected")


@dataclass
class PaymentOutcome:
    request: dict[str, Any]
    jws: str
    status: str  # approved | declined | pending | rejected
    acquirer_reference: str | None
    http_status: int | None
    message: str
    message_vi: str = ""
    duplicate: bool = False  # the acquirer had already seen this idempotency key (409)
    reason: str | None = None  # the acquirer's error code for rejections

    @property
    def request_id(self) -> str:
        return self.request["request_id"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "request_id": self.request_id,
            "acquirer_reference": self.acquirer_reference,
            "http_status": self.http_status,
            "duplicate": self.duplicate,
            "reason": self.reason,
            "message": self.message,
            "message_vi": self.message_vi,
            "request": self.request,
            "jws": self.jws,
        }


class PaymentService:
    def __init__(
        self,
        home: Path | None = None,
        acquirer_url: str | None = None,
        limits: Limits | None = None,
        failures: FailureSettings | None = None,
        payer: PayerInfo | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        keep_history: bool = True,
    ):
        """``keep_history=False`` (kiosk mode) keeps the payer's history in memory only: requests are
        still recorded before they are sent, but nothing about the payer stays on disk afterwards."""
        if home is None:
            from payer_app.paths import data_home

            home = data_home()
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.keystore = KeyStore(self.home)
        self.limits = limits or Limits()
        self.payer = payer or PayerInfo()
        self.acquirer_url = acquirer_url
        self._failures = failures
        self._timeout = timeout
        self._history = History(self.home / HISTORY_FILE if keep_history else IN_MEMORY)
        self._client: HttpAcquirerClient | EmbeddedAcquirerClient | None = None
        self._enrolled: set[str] = set()
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._history.close()

    def __enter__(self) -> "PaymentService":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the payment flow ---------------------------------------------------------------------
    def preview(self, parsed: ParsedPayload, amount: int | None, note: str = "") -> PaymentRequest:
        """The request ``pay`` would send (raises RequestError like ``pay``); nothing is signed or stored."""
        key_id = self.keystore.current().kid
        payer = PayerInfo(self.payer.account, self.payer.bank_bin, key_id)
        return build_request(parsed, amount, note, payer=payer, limits=self.limits)

    def pay(self, parsed: ParsedPayload, amount: int | None, note: str = "") -> PaymentOutcome:
        """Build, sign, record as pending, send, record the answer. Raises RequestError for bad input."""
        request = self.preview(parsed, amount, note)
        jws = sign_request(request, self.keystore)
        body = request.to_dict()
        self._history.record_pending(body, jws, self.acquirer_description)
        return self._send(body, jws)

    def retry_pending(self) -> list[PaymentOutcome]:
        """Re-send every pending request (oldest first) with its original signature and idempotency key."""
        outcomes = []
        for entry in self._history.pending():
            request = decode_unverified(entry.jws) or {"request_id": entry.request_id}
            outcomes.append(self._send(request, entry.jws))
        return outcomes

    def history(self, limit: int = 50) -> list[HistoryEntry]:
        return self._history.list(limit)

    def entry(self, request_id: str) -> HistoryEntry | None:
        return self._history.get(request_id)

    @property
    def acquirer_description(self) -> str:
        return self.acquirer_url or "embedded"

    # --- internals ----------------------------------------------------------------------------
    def _acquirer(self):
        with self._lock:
            if self._client is None:
                if self.acquirer_url:
                    self._client = HttpAcquirerClient(self.acquirer_url, timeout=self._timeout)
                else:
                    # The embedded acquirer applies the payer's limits: one setting for the demo.
                    self._client = EmbeddedAcquirerClient(
                        self.home / EMBEDDED_LEDGER_FILE, self._failures, timeout=self._timeout, limits=self.limits
                    )
            return self._client

    def _enrol_keys(self, client) -> None:
        """Register this payer's public keys with the acquirer (the mock's device binding)."""
        for jwk in self.keystore.verification_keys():
            if jwk["kid"] in self._enrolled:
                continue
            reply = client.enrol(jwk)
            if reply.http_status not in (200, 201):
                raise AcquirerUnavailable(f"the acquirer refused the payer key: {reply.body.get('message')}")
            self._enrolled.add(jwk["kid"])

    def _send(self, request: dict[str, Any], jws: str) -> PaymentOutcome:
        request_id = request["request_id"]
        try:
            client = self._acquirer()
            self._enrol_keys(client)
            reply = client.submit(jws)
        except AcquirerUnavailable as exc:
            message = f"No answer from the acquirer ({exc}); the request is kept and will be re-sent."
            self._history.record_attempt(request_id, message)
            return PaymentOutcome(
                request, jws, "pending", None, None, message,
                f"Chưa có phản hồi từ ngân hàng thanh toán ({exc}); yêu cầu được lưu và sẽ gửi lại.",
            )
        outcome = _outcome_from_reply(request, jws, reply)
        self._history.record_outcome(request_id, outcome.status, outcome.http_status,
                                     outcome.acquirer_reference, outcome.message)
        return outcome


def _outcome_from_reply(request: dict[str, Any], jws: str, reply: AcquirerReply) -> PaymentOutcome:
    body = reply.body
    message = str(body.get("message") or "")
    message_vi = str(body.get("message_vi") or "")
    reference = body.get("acquirer_reference")
    if reply.http_status == 201:
        return PaymentOutcome(request, jws, "approved", reference, 201, message, message_vi)
    if reply.http_status == 402:
        return PaymentOutcome(request, jws, "declined", reference, 402, message, message_vi,
                              reason=body.get("reason"))
    if reply.http_status == 409 and body.get("status") in ("approved", "declined"):
        return PaymentOutcome(
            request, jws, body["status"], reference, 409,
            f"Already processed: {message}".strip(), f"Đã xử lý trước đó: {message_vi}".strip(),
            duplicate=True, reason=body.get("reason"),
        )
    return PaymentOutcome(
        request, jws, "rejected", reference, reply.http_status,
        message or f"The acquirer answered {reply.http_status}.", message_vi, reason=body.get("error"),
    )
