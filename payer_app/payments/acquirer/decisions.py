"""The mock acquirer's decisions, independent of HTTP: ``MockAcquirer`` (payments, lookups, key
enrolment and revocation) and the steps of a payment's decision, in the order docs/security.md lists
them ("What the acquirer checks")."""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from payer_app.core.display_text import visible
from payer_app.core.payability import Limits
from payer_app.core.refusals import Refusal, VerifyRefused, say
from payer_app.core.request import PaymentRequest
from payer_app.core.signing import Verification, VerificationKeys, verify_request
from payer_app.core.timestamps import format_timestamp
from payer_app.payments.acquirer.answers import (
    KEY_STATE_REASONS,
    STRUCTURAL_REASONS,
    UNPROCESSABLE_REASONS,
    AcquirerAnswer,
    FailureSettings,
    error_answer,
    refusal_answer,
)
from payer_app.payments.acquirer.auth_check import strong_auth_refusal
from payer_app.payments.acquirer.balances import funds_answer
from payer_app.payments.acquirer.ledger import KeyBinding, Ledger, TrustedKey
from payer_app.payments.enrolment import (
    CLOCK_SKEW,
    LOOKUP,
    WRONG_CODE_WINDOW,
    WRONG_CODES_ALLOWED,
    SignedMessageError,
    WrongCodeLockout,
    jwk_thumbprint,
    normalise_audience,
    public_key_problem,
    read_message,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Admitted:
    """A payment request that passed steps 1-4 (``MockAcquirer.admit``): what steps 5-9 need."""

    binding: KeyBinding
    result: Verification
    request: PaymentRequest
    token_sha: str
    received: datetime


class MockAcquirer:
    """The acquirer's decisions, independent of HTTP (the embedded mode calls ``submit`` directly).

    ``audiences``: the ``aud`` values addressed to this acquirer (normalised URLs or the embedded id).
    ``enrol_code``: the code ``POST /v1/keys`` needs (None: enrolment only through ``trust``, as in
    the embedded acquirer); ``open_enrolment`` waives it (demos only). ``clock`` gives the acquirer's
    time (timezone-aware UTC): when a request is received, when a key is enrolled or retired, the
    lock-out of wrong enrolment codes."""

    def __init__(self, ledger_path: Path, failures: FailureSettings | None = None,
                 trusted: list[TrustedKey] | None = None, limits: Limits | None = None,
                 audiences: list[str] | None = None, enrol_code: str | None = None,
                 open_enrolment: bool = False, clock: Callable[[], datetime] | None = None):
        self.clock = clock or _utc_now
        self.code_lockout = WrongCodeLockout(self.clock)
        self.ledger = Ledger(ledger_path)
        self.failures = failures or FailureSettings()
        self.limits = limits or Limits()
        self.audiences: set[str] = {normalise_audience(a) for a in audiences or []}
        self.enrol_code = enrol_code
        self.open_enrolment = open_enrolment
        self._keys_lock = threading.RLock()
        self._bindings: dict[str, KeyBinding] = {}
        self._keys = VerificationKeys()
        self._key_jwks: dict[str, dict[str, Any]] = {}
        self._reload_keys()
        self.trust(trusted or [])
        self._attempts: dict[str, int] = {}
        self._attempts_lock = threading.Lock()
        # Steps 5-9 (``settle``) one payment at a time: the day's total read in step 7 must count every
        # payment recorded before this one's step 9 (the pipeline's one writer; two threads of the embedded one).
        self._settle_lock = threading.Lock()
        # Called as listener(token, answer) after each decision: the merchant display and the biller
        # (payments/merchant_display.py, payments/biller.py); they never raise into the acquirer.
        self.listeners: list = []
        # listeners_caught_up(timeout): True once the listeners have heard of every decision answered so
        # far (False if the timeout ran out first). Here they hear of it inside ``submit``; the HTTP
        # acquirer's pipeline tells them on a thread of its own after the answer and puts its own wait here
        # (payments/acquirer/pipeline.py), so a read of the biller can follow the payments already answered.
        self.listeners_caught_up = _always_caught_up

    def close(self) -> None:
        self.ledger.close()

    def add_audience(self, audience: str) -> None:
        self.audiences.add(normalise_audience(audience))

    # --- keys ---------------------------------------------------------------------------------
    def trust(self, keys: list[TrustedKey]) -> None:
        """Bind keys given by the operator (no proof needed). Raises ValueError for an unusable key
        or a key already bound to another account."""
        changed = False
        for entry in keys:
            known = self._bindings.get(entry.jwk.get("kid", "")) if isinstance(entry.jwk, dict) else None
            if known is not None and (known.bank_bin, known.account, known.retired_at) == \
                    (entry.bank_bin, entry.account, entry.retired_at):
                continue  # already trusted as it is (the embedded acquirer refreshes before each payment)
            changed = True
            problem = weak_key_problem(entry.jwk)
            if problem:
                raise ValueError(problem)
            public = {k: entry.jwk[k] for k in ("kty", "crv", "x")}
            kid = jwk_thumbprint(public)
            binding = KeyBinding(kid, public, entry.bank_bin, entry.account, format_timestamp(self.clock()),
                                 entry.retired_at)
            result = self.ledger.bind(binding)
            if result == "conflict":
                raise ValueError(f"key {kid} is already bound to another payer account")
            if result == "known" and entry.retired_at is not None:
                current = self.ledger.binding(kid)
                if current is not None and current.retired_at != entry.retired_at:
                    self.ledger.set_retired(kid, entry.retired_at)
        if changed:
            self._reload_keys()

    def _reload_keys(self) -> None:
        with self._keys_lock:
            bindings = {b.kid: b for b in self.ledger.bindings()}
            keys, jwks = VerificationKeys(), {}
            for b in bindings.values():
                jwk = dict(b.jwk, kid=b.kid)
                if b.retired_at:
                    jwk["retired_at"] = b.retired_at
                try:
                    keys.add(jwk)
                except ValueError:
                    log.warning("ignoring an unusable key binding %s", visible(b.kid, 60))
                    continue
                jwks[b.kid] = jwk
            self._bindings, self._keys, self._key_jwks = bindings, keys, jwks

    def key_jwks(self) -> dict[str, dict[str, Any]]:
        """The verification keys by kid (JWKs, with ``retired_at`` when retired): what a verifier in
        another process needs (``acquirer/pipeline.py``). A new mapping each time the keys change,
        never changed in place, so ``is`` tells whether it changed."""
        return self._key_jwks

    def key_status(self, kid: str) -> AcquirerAnswer:
        binding = self._bindings.get(kid)
        if binding is None:
            return error_answer(404, "not-found", "No key with this id is enrolled here.")
        return AcquirerAnswer(200, {"kid": kid, "status": binding.state, "retired_at": binding.retired_at,
                                    "revoked_at": binding.revoked_at})

    def _code_refusal(self, authorization: str | None) -> AcquirerAnswer | None:
        """None when no code was sent (``authorization`` None) or the right one; 429 with
        ``Retry-After`` during a lock-out, whatever the code; else 401, the wrong code counted and logged."""
        if authorization is None:
            return None
        attempt = self.code_lockout.attempt(lambda: self._code_matches(authorization))
        if attempt.outcome == "right":
            return None
        if attempt.outcome == "locked":
            return AcquirerAnswer(429, {"status": "rejected", "error": "too-many-attempts",
                                        "message": f"Too many wrong enrolment codes; try again in "
                                                   f"{attempt.retry_after} s."},
                                  headers={"Retry-After": str(attempt.retry_after)})
        window = int(WRONG_CODE_WINDOW.total_seconds())
        if attempt.locked_until is None:
            log.warning("wrong enrolment code (%d within %d s; at %d every code is refused for %d s)",
                        attempt.wrong_in_window, window, WRONG_CODES_ALLOWED, window)
        else:
            log.warning("wrong enrolment code (%d within %d s): every code is locked out (429) until %s",
                        attempt.wrong_in_window, window, format_timestamp(attempt.locked_until))
        return error_answer(401, "bad-enrolment-code", "The enrolment code is wrong.")

    def _code_matches(self, authorization: str | None) -> bool:
        if not authorization or not self.enrol_code:
            return False
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(value.strip().encode("utf-8", "surrogatepass"),
                                   self.enrol_code.encode("utf-8", "surrogatepass"))

    # --- lookups ------------------------------------------------------------------------------
    def lookup(self, request_id: str, authorization: str | None, now: datetime | None = None) -> AcquirerAnswer:
        """``GET /v1/payments/{request_id}``: only for the payer who made it (a ``payment_lookup``
        signed by one of the payer's keys, in ``Authorization: JWS <token>``)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.upper() != "JWS" or not token:
            return error_answer(401, "signature-required",
                          "Looking up a payment needs Authorization: JWS <payment_lookup signed by the payer>.")

        def key_of(kid: str, payload: dict[str, Any]):
            b = self._bindings.get(kid)
            return None if b is None or b.state == "revoked" else self._keys.by_kid.get(kid)

        try:
            message = read_message(token.strip(), LOOKUP, key_of, self.audiences, now or self.clock())
        except SignedMessageError as exc:
            return error_answer(401, "signature-required", f"The lookup signature is not acceptable ({exc.code}).")
        if message.payload.get("request_id") != request_id:
            return error_answer(401, "signature-required", "The lookup signature names another request.")
        found = self.ledger.get(self._bindings[message.kid].scope, request_id)
        if found is None:
            return error_answer(404, "not-found", "No payment of yours has this request id.")
        status, body = found
        return AcquirerAnswer(200, {**body, "http_status": status})

    # --- payments -----------------------------------------------------------------------------
    def submit(self, token: str | bytes, now: datetime | None = None) -> AcquirerAnswer:
        """Decide (``decide``), then tell the listeners (the embedded acquirer; over HTTP the
        ``DecisionPipeline`` of ``acquirer/pipeline.py`` answers first and tells them after)."""
        answer = self.decide(token, now)
        self.notify(token, answer)
        return answer

    def decide(self, token: str | bytes, now: datetime | None = None) -> AcquirerAnswer:
        """The answer to one payment request, recorded first when it is recorded at all."""
        received = now or self.clock()
        admitted = self.admit(token, received)
        return self.with_latency(admitted if isinstance(admitted, AcquirerAnswer) else self.settle(admitted))

    def notify(self, token: str | bytes, answer: AcquirerAnswer) -> None:
        """Each listener (display, biller, console) told of a decision; they never raise."""
        for listener in self.listeners:
            listener(token, answer)

    def with_latency(self, answer: AcquirerAnswer) -> AcquirerAnswer:
        """The injected latency (``FailureSettings``) added to an answer's hold."""
        settings = self.failures
        key = str(answer.body.get("idempotency_key") or "")
        if settings.latency_ms or settings.latency_jitter_ms:
            jitter = settings.latency_jitter_ms * settings.draw("latency", key + str(answer.http_status))
            answer.delay_seconds += (settings.latency_ms + jitter) / 1000.0
        return answer

    def admit(self, token: str | bytes, received: datetime,
              verified: Verification | None = None) -> AcquirerAnswer | Admitted:
        """Steps 1-4 of the checks in the order docs/security.md lists them ("What the acquirer
        checks"): the signature, the key, the schema, the account and the audience; no ledger read,
        so any thread may run it. The first refusal is the answer; a request that passes is
        ``Admitted`` for ``settle``. ``verified``: ``verify_request``'s good verification of this
        token at ``received``, made elsewhere with this acquirer's key for its kid (the pipeline's
        verifier processes); without it the token is verified here."""
        result: Any = verified if verified is not None and verified.ok else _verify(token, self._keys, received,
                                                                                      self.limits)
        binding = self._bindings.get(result.kid or "") if result.signature_ok else None
        refusal = (_unsigned_refusal(result)                          # 1. signed by an enrolled key
                   or _key_state_refusal(binding))                    # 2. the key is not revoked
        if refusal is not None or binding is None:
            return refusal or _key_not_enrolled()
        refusal = (_structure_refusal(result)                         # 2. the signed content's schema
                   or _account_refusal(binding, result.request)       # 3. the payer account is the key's
                   or self._audience_refusal(result.request))         # 4. addressed to this acquirer
        if refusal is not None:
            return refusal
        token_sha = hashlib.sha256(_token_bytes(token)).hexdigest()
        return Admitted(binding, result, result.request, token_sha, received)

    def settle(self, admitted: Admitted) -> AcquirerAnswer:
        """Steps 5-9 on the ledger, the record last (one transaction of its own, or a savepoint of
        the pipeline's group commit, ``Ledger.batch``): only a request that passes them all is recorded."""
        binding, result, request, received = admitted.binding, admitted.result, admitted.request, admitted.received
        idem, request_id = request.idempotency_key, request.request_id
        with self._settle_lock, self.ledger.batch():  # steps 5-9 in one transaction: nothing lands in between
            refusal = (self._injected_unavailability(binding, idem)                          # 5. failure injection
                       or self._idempotency_answer(binding, idem, request_id, admitted.token_sha)  # 6. per payer
                       or self._retirement_refusal(binding, received, request_id, idem)      # 7. key retired
                       or _content_refusal(result, request_id, idem)                         # 7. content and time
                       or strong_auth_refusal(self.ledger, binding.scope, request, received)  # 7. face check
                       or self._nonce_refusal(binding, request.nonce, received, request_id, idem))  # 8. nonce
            answer = refusal or self._record(binding, request, admitted.token_sha, received)  # 9. record, answer
        answer.request = request
        return answer

    def _audience_refusal(self, request: PaymentRequest) -> AcquirerAnswer | None:
        """Step 4: ``aud`` must be one of this acquirer's names (its URLs or the embedded id)."""
        aud = request.audience
        if normalise_audience(aud) not in self.audiences:
            return error_answer(421, "wrong-audience",
                          f"The request is addressed to {visible(str(aud), 80)}, not to this acquirer.")
        return None

    def _injected_unavailability(self, binding: KeyBinding, idem: str) -> AcquirerAnswer | None:
        """Step 5: ``--unavailable-rate`` answers 503 here (per attempt), before anything is recorded."""
        settings = self.failures
        attempt = self._next_attempt(binding.scope + "/" + idem)
        if settings.unavailable_rate and settings.draw(f"unavailable:{attempt}", idem) < settings.unavailable_rate:
            return error_answer(503, "unavailable", "The acquirer is temporarily unavailable (injected failure).")
        return None

    def _idempotency_answer(self, binding: KeyBinding, idem: str, request_id: str,
                            token_sha: str) -> AcquirerAnswer | None:
        """Step 6, scoped to the payer: the same token gets the first answer (409); another token under
        the same idempotency key or request id gets 422 and learns nothing of the first."""
        existing = self.ledger.find(binding.scope, idem, request_id)
        return None if existing is None else _replay_or_conflict(existing, token_sha, idem)

    def _retirement_refusal(self, binding: KeyBinding, received: datetime, request_id: str,
                            idem: str) -> AcquirerAnswer | None:
        """Step 7: a key retired at T pays nothing received after T plus the clock skew, whatever its
        ``created_at`` claims (core's rule R10 judges that claim; this judges the acquirer's own clock)."""
        retired = self._keys.retired_at.get(binding.kid)
        if retired is None or received <= retired + CLOCK_SKEW:
            return None
        when, at = format_timestamp(retired), format_timestamp(received)
        skew = int(CLOCK_SKEW.total_seconds())
        late = VerifyRefused("arrived-after-retirement", kid=binding.kid, when=when, at=at, skew=skew)
        return refusal_answer(403, late, request_id=request_id, idempotency_key=idem)

    def _nonce_refusal(self, binding: KeyBinding, nonce: str, received: datetime, request_id: str,
                       idem: str) -> AcquirerAnswer | None:
        """Step 8: this payer has not used the nonce in an accepted request still alive (checked again
        inside the recording transaction). Nonces belong to one payer, like idempotency keys."""
        if self.ledger.nonce_used(binding.scope, nonce, int(received.timestamp())):
            return _nonce_reused(request_id, idem)
        return None

    def _record(self, binding: KeyBinding, request: PaymentRequest, token_sha: str,
                received: datetime) -> AcquirerAnswer:
        """Step 9: records the payment and its nonce, inside ``settle``'s transaction (steps 6 and 8
        checked there, so no twin can be recorded in between). Injected declines and lost answers apply here."""
        idem, request_id = request.idempotency_key, request.request_id
        status, body = self._decision(binding, request, received)
        nonce_expires = int(request.expires_at.timestamp() + CLOCK_SKEW.total_seconds())
        outcome, existing = self.ledger.insert_if_new(binding.scope, request, binding.kid, token_sha, status, body,
                                                      nonce_expires, int(received.timestamp()), checked=True)
        if outcome == "funds":  # over the account's balance or daily limit: nothing recorded
            return funds_answer(existing, request_id, idem)
        answer = AcquirerAnswer(status, body)
        settings = self.failures
        if settings.timeout_rate and settings.draw("timeout", idem) < settings.timeout_rate:
            answer.lost = True
            answer.delay_seconds = settings.timeout_seconds
        return answer

    def _decision(self, binding: KeyBinding, request: PaymentRequest,
                  received: datetime) -> tuple[int, dict[str, Any]]:
        """(201 approved | 402 declined by ``--decline-rate``, the answer's body) of a request that passed."""
        settings, idem = self.failures, request.idempotency_key
        reference = "ACQ-" + hashlib.sha256(f"{settings.seed}:{binding.scope}:{idem}".encode()).hexdigest()[:12].upper()
        body = {
            "request_id": request.request_id,
            "idempotency_key": idem,
            "acquirer_reference": reference,
            "amount": {"value": str(request.amount), "currency": request.currency},
            "fee": request.cost.fee_dict(),
            "total": request.cost.total_dict(request.currency),
            "payee": request.payee.short_name,
            "received_at": format_timestamp(received),
        }
        if settings.decline_rate and settings.draw("decline", idem) < settings.decline_rate:
            declined = Refusal("insufficient-funds")
            body.update(status="declined", reason=declined.code, message=declined.text("en"),
                        message_vi=declined.text("vi"))
            return 402, body
        body.update(status="approved", message=say("approved", "en"), message_vi=say("approved", "vi"))
        return 201, body

    def _next_attempt(self, key: str) -> int:
        with self._attempts_lock:
            n = self._attempts.get(key, 0) + 1
            self._attempts[key] = n
            if len(self._attempts) > 100_000:  # bounded memory on long runs
                self._attempts.clear()
            return n


# --- checks -------------------------------------------------------------------------------------
def weak_key_problem(jwk: Any) -> str | None:
    """Why a public JWK may not be trusted (None when it may): core's rule (not an Ed25519 public
    key, a small-order or non-canonical point...)."""
    return public_key_problem(jwk)


def _unsigned_refusal(result) -> AcquirerAnswer | None:
    """Step 1: signed (verify_request: syntax, alg, kid, signature) under an enrolled key."""
    if result.signature_ok:
        return None
    if result.reason == "wrong-key":
        return error_answer(403, "key-not-enrolled",
                      f"The signing key {visible(result.kid or '', 60)} is not enrolled at this acquirer; "
                      "enrol it with `payer-app keys enrol --acquirer URL --code CODE`.")
    return refusal_answer(400, result.refusal)


def _key_state_refusal(binding: KeyBinding | None) -> AcquirerAnswer | None:
    """Step 2: the key is still bound (one removed after verifying counts as unknown) and a revoked
    key signs nothing."""
    if binding is None:
        return _key_not_enrolled()
    if binding.revoked_at:
        return error_answer(403, "key-revoked", "The signing key was revoked; nothing it signs is accepted.")
    return None


def _key_not_enrolled() -> AcquirerAnswer:
    return error_answer(403, "key-not-enrolled", "The signing key is not enrolled at this acquirer.")


def _structure_refusal(result) -> AcquirerAnswer | None:
    """Step 2: schema failures of the signed content answer 400 before any lookup."""
    if result.request is None or result.reason in STRUCTURAL_REASONS:
        return refusal_answer(400, result.refusal)
    return None


def _account_refusal(binding: KeyBinding, request: PaymentRequest) -> AcquirerAnswer | None:
    """Step 3: the payer account in the request is the one the key was enrolled for."""
    if (request.payer.bank_bin, request.payer.account) != (binding.bank_bin, binding.account):
        return error_answer(403, "account-mismatch",
                      "The payer account in the request is not the account bound to its signing key.")
    return None


def _content_refusal(result, request_id: str, idem: str) -> AcquirerAnswer | None:
    """Step 7: verify_request's remaining reasons (lifetime, QR agreement, VND, limits, the key's
    retirement): 403 for the key's state, 422 for an unprocessable request, else 400."""
    if result.ok:
        return None
    status = 403 if result.reason in KEY_STATE_REASONS else 422 if result.reason in UNPROCESSABLE_REASONS else 400
    return refusal_answer(status, result.refusal, request_id=request_id, idempotency_key=idem)


def _nonce_reused(request_id: str, idem: str) -> AcquirerAnswer:
    return error_answer(422, "nonce-reused", "This nonce was already used by another request.",
                  request_id=request_id, idempotency_key=idem)


def _verify(token: str | bytes, keys: VerificationKeys, now: datetime, limits: Limits):
    """verify_request without an audience: this acquirer answers to several names (its URLs) and
    checks ``aud`` itself, after the key binding (step 4 of ``_decide``)."""
    return verify_request(token, keys, now=now, limits=limits)


def _token_bytes(token: str | bytes) -> bytes:
    if isinstance(token, str):
        return token.encode("utf-8", "surrogatepass")
    return bytes(token)


def _replay_or_conflict(existing, token_sha: str, idem: str) -> AcquirerAnswer:
    first_status, first_body, first_sha, first_idem, _ = existing
    if hmac.compare_digest(first_sha, token_sha):
        body = {**first_body, "duplicate": True, "first_http_status": first_status}
        return AcquirerAnswer(409, body, headers={"Idempotent-Replayed": "true"})
    if first_idem == idem:
        return error_answer(422, "idempotency-key-reused",
                      "This idempotency key was already used for a different request; use a new key.")
    return error_answer(422, "request-id-reused", "This request id was already used for a different request.")


def _utc_now() -> datetime:
    return datetime.now(UTC)


__all__ = ["Admitted", "MockAcquirer", "weak_key_problem"]


def _always_caught_up(timeout: float | None = None) -> bool:
    return True
