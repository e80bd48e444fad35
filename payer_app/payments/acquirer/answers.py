"""What the mock acquirer answers: ``AcquirerAnswer``, the reasons behind each refusal's status, the
error table (``ERROR_TABLE``, printed in docs/payments.md, "HTTP answers of the mock acquirer") and the
failures it can be told to inject (``FailureSettings``).

Failure injection is drawn from a hash of the seed and the idempotency key, so a run is reproducible
whatever the order in which concurrent requests arrive.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from payer_app.core.display_text import visible
from payer_app.core.refusals import Refusal

# Verification reasons answered with 422 (the request is authentic but cannot be accepted); 403
# for the key's own state; every other failure is a 400.
UNPROCESSABLE_REASONS = frozenset(
    {"expired", "not-yet-valid", "below-minimum", "above-maximum", "amount-mismatch",
     "payee-mismatch", "bill-mismatch", "invalid-qr", "not-vnd", "stale", "too-old"}
)
KEY_STATE_REASONS = frozenset({"key-retired", "key-revoked"})
# Reasons that mean the signed content is not a well-formed request at all: refused before anything
# else is looked at (no idempotency lookup).
STRUCTURAL_REASONS = frozenset({"bad-content", "key-mismatch", "qr-mismatch", "malformed"})

# (status, code, meaning): the error table of docs/payments.md ("HTTP answers of the mock acquirer") is this list.
ERROR_TABLE: list[tuple[int, str, str]] = [
    (200, "-", "lookup of your own payment; key status; enrolment of a key already bound to this account"),
    (201, "approved", "payment recorded and approved (body: acquirer_reference); key enrolled"),
    (402, "declined", "payment recorded and declined (injected insufficient funds)"),
    (409, "duplicate", "this exact token was already answered; the body is that first answer"),
    (400, "malformed", "not a compact EdDSA JWS: syntax, base64url, header JSON, typ, unknown header parameters"),
    (400, "unsupported-algorithm", "alg is not EdDSA (none, HS256...)"),
    (400, "bad-signature", "the signature does not match the content and key (or is not canonical)"),
    (400, "bad-content / key-mismatch / qr-mismatch", "the signed content breaks the request schema"),
    (400, "fee-mismatch / total-mismatch", "the fee is not the one the signed QR asks for (recomputed from it), or "
     "the total is not amount + fee"),
    (400, "bad-proof", "an enrolment not signed by the key it enrols (no proof of possession)"),
    (400, "weak-key", "a small-order, non-canonical or off-curve Ed25519 key (forgeable signatures)"),
    (400, "bad-key / bad-account", "the enrolment's jwk or payer account is not well formed"),
    (400, "bad-request", "anything else the acquirer could not read (never a 500)"),
    (401, "enrolment-code-required", "POST /v1/keys without the enrolment code (and no endorsement)"),
    (401, "bad-enrolment-code", "the Bearer code is wrong, or a one-time code for another account, used, "
     "expired or void"),
    (401, "bad-operator-token", "a revocation with a Bearer token that is not the operator token (the shared code "
     "revokes nothing)"),
    (401, "signature-required", "a lookup, a balance query or a revocation without a valid signature of the payer"),
    (403, "key-not-enrolled", "the signing key is not enrolled at this acquirer"),
    (403, "key-revoked", "the signing key was revoked: nothing it signs is accepted"),
    (403, "account-mismatch", "payer.account/bank_bin is not the account bound to the signing key"),
    (403, "key-retired", "the request was received, or dated, more than 60 s (clock skew) after its key was retired"),
    (403, "biometric-required", "above the authentication thresholds (core/auth_policy.py), the request claims "
     "only a PIN (`auth`)"),
    (403, "bad-endorsement", "an endorsement not signed by an active key of that account, for another key "
     "or account, or expired"),
    (403, "shared-code-names-account", "the booth's shared code naming an account on POST /v1/keys, known here or "
     "not: it only opens demo accounts the acquirer numbers (POST /v1/demo-accounts)"),
    (403, "account-exists", "--open-enrolment naming an account a key was bound to or that was opened here"),
    (403, "not-allowed", "a revocation signed by a key that is not the key itself, its endorser or its successor"),
    (404, "not-found", "no such payment of yours / no such key / no balance kept for your account / no such route"),
    (405, "method-not-allowed", "wrong HTTP method for the route"),
    (409, "key-already-bound", "the key is already bound to another payer account"),
    (413, "too-large", "body larger than the cap (64,000 bytes for payments, 16,000 for keys)"),
    (415, "unsupported-media-type", "POST bodies must be Content-Type: application/jose"),
    (421, "wrong-audience", "the request (or enrolment) is addressed to another acquirer (aud)"),
    (422, "idempotency-key-reused", "another request of this payer already used this idempotency key"),
    (422, "request-id-reused", "another request of this payer already used this request id"),
    (422, "nonce-reused", "this payer already used the nonce in an accepted request still within its lifetime"),
    (422, "expired / not-yet-valid", "outside the request's lifetime (TTL plus clock skew)"),
    (422, "stale", "an enrolment/endorsement/lookup older than 5 minutes (plus skew) or from the future"),
    (422, "below-minimum / above-maximum", "outside the acquirer's amount limits"),
    (422, "not-vnd / invalid-qr / amount-mismatch / payee-mismatch / bill-mismatch",
     "the signed request disagrees with its own QR payload, or the QR is not payable in VND"),
    (422, "over-balance / daily-limit", "the total is over the source account's balance, or would take the day's "
     "payments over its daily limit; nothing recorded (payments/acquirer/balances.py)"),
    (429, "too-many-attempts", "5 wrong enrolment codes within a minute: every code is refused until that minute "
     "is over (`Retry-After`)"),
    (503, "unavailable", "injected outage, or the ledger cannot be written; nothing recorded, safe to re-send"),
]


@dataclass(frozen=True)
class FailureSettings:
    """Failures to inject for demos and QA. Rates are probabilities in [0, 1]."""

    decline_rate: float = 0.0  # approved requests turned into 402 declines (recorded)
    latency_ms: int = 0  # added to every answer
    latency_jitter_ms: int = 0  # plus a reproducible random 0..jitter
    timeout_rate: float = 0.0  # payment recorded, then the answer is held for timeout_seconds
    timeout_seconds: float = 30.0
    unavailable_rate: float = 0.0  # 503 before anything is recorded
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("decline_rate", "timeout_rate", "unavailable_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {rate}")
        if self.latency_ms < 0 or self.latency_jitter_ms < 0 or self.timeout_seconds < 0:
            raise ValueError("latencies and timeouts cannot be negative")

    def draw(self, kind: str, key: str) -> float:
        """A reproducible number in [0, 1) for one decision about one request."""
        digest = hashlib.sha256(f"{self.seed}:{kind}:{key}".encode("utf-8", "surrogatepass")).digest()
        return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class AcquirerAnswer:
    http_status: int
    body: dict[str, Any]
    delay_seconds: float = 0.0  # how long to hold the answer (latency injection)
    lost: bool = False  # injected timeout: the payment is recorded but the answer never arrives in time
    headers: dict[str, str] = field(default_factory=dict)


def refusal_answer(status: int, refusal: Refusal | None, **extra: str) -> AcquirerAnswer:
    """A rejection whose ``error`` is the refusal's code and whose texts are the catalogue's."""
    body = {"status": "rejected", "error": refusal.code if refusal else "bad-request",
            "message": visible(refusal.text("en"), 500) if refusal else "",
            "message_vi": visible(refusal.text("vi"), 500) if refusal else ""}
    body.update({k: visible(v, 100) for k, v in extra.items()})
    return AcquirerAnswer(status, body)


def error_answer(status: int, code: str, message: str, **extra: str) -> AcquirerAnswer:
    body = {"status": "rejected", "error": code, "message": message}
    body.update({k: visible(v, 100) for k, v in extra.items()})
    return AcquirerAnswer(status, body)


__all__ = ["AcquirerAnswer", "ERROR_TABLE", "FailureSettings", "KEY_STATE_REASONS", "STRUCTURAL_REASONS",
           "UNPROCESSABLE_REASONS", "error_answer", "refusal_answer"]
