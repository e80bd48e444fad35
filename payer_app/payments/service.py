"""Paying a scanned QR: build the request, sign it, record it, send it, record the answer.

The GUI and the CLI both go through ``PaymentService``:

    service = PaymentService()                       # embedded mock acquirer
    service = PaymentService(acquirer_url="http://127.0.0.1:8765")
    service.enrol(code="...")                        # once per key and HTTP acquirer
    outcome = service.pay(parse_payload(text), PaymentChoice(amount=250_000, note="Tien dien"))
    outcome.status  # "approved" | "declined" | "pending" | "rejected"

Nothing is lost: the signed request is written to history (one transaction) before it is sent; a
network error, a 5xx answer or a crash leaves it ``pending`` and ``retry_pending()`` re-sends the same
signed request to the acquirer it was first sent to (its ``aud``), so that acquirer sees the same
token and answers with its first decision.

Refusals that leave nothing pending raise typed errors (``payer_app.payments.errors``):
``RequestRefused`` (bad input), ``KeyNotAccepted`` (the HTTP acquirer does not know or no longer
accepts the current key: checked before anything is signed), ``EnrolmentRefused``,
``RetryTargetRefused``; ``KeyStoreError`` (``payments.keystore``) for unusable key files.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from payer_app.core.auth_policy import AuthNeed, auth_refusal
from payer_app.core.choice import PaymentChoice
from payer_app.core.display_text import visible
from payer_app.core.keys import SigningKey
from payer_app.core.payability import Limits
from payer_app.core.payload import ParsedPayload
from payer_app.core.refusals import AmountRefused, say
from payer_app.core.registered_name import LookupKey, NameCheck, lookup_key
from payer_app.core.request import PayerInfo, PaymentRequest, build_request, read_signed
from payer_app.core.signing import sign_request
from payer_app.payments.accounts import PayerAccount, PayerAccounts
from payer_app.payments.acquirer.activation import new_demo_account_number
from payer_app.payments.acquirer.answers import FailureSettings
from payer_app.payments.acquirer.balances import AccountBalance, bank_day, funds_refusal
from payer_app.payments.acquirer.ledger import TrustedKey, payer_scope
from payer_app.payments.acquirer_client import (
    DEFAULT_TIMEOUT_SECONDS,
    AcquirerError,
    AcquirerReply,
    AcquirerUnavailable,
    EmbeddedAcquirerClient,
    HttpAcquirerClient,
)
from payer_app.payments.auth_need import payer_auth_need
from payer_app.payments.biller import OutstandingBill
from payer_app.payments.enrolment import EMBEDDED_AUDIENCE, enrolment_refusal, normalise_audience
from payer_app.payments.errors import EnrolmentRefused, KeyNotAccepted, PaymentSetupError, RetryTargetRefused
from payer_app.payments.history import HISTORY_FILE, History, HistoryEntry
from payer_app.payments.keystore import KeyStore
from payer_app.payments.name_directory import NameInquiry
from payer_app.payments.sqlite_store import IN_MEMORY

__all__ = [
    "EMBEDDED", "EMBEDDED_LEDGER_FILE", "EnrolmentRefused", "EnrolmentResult", "KeyNotAccepted",
    "PaymentOutcome", "PaymentService", "PaymentSetupError", "RetryTargetRefused", "KEY_REFUSAL_REASONS",
]

EMBEDDED = "embedded"  # the acquirer description of the embedded mock (history's ``acquirer`` column)
EMBEDDED_LEDGER_FILE = "embedded-acquirer.sqlite3"
# Rejections that are about the signing key, not the payment: the window and the CLI say what to do.
KEY_REFUSAL_REASONS = frozenset({"key-not-enrolled", "key-revoked", "key-retired", "account-mismatch"})
ENROL_HINT = "payer-app keys enrol --acquirer {url} --code CODE"


OUTCOME_JSON_FIELDS = ("status", "request_id", "acquirer", "acquirer_reference", "http_status", "duplicate",
                       "reason", "pending_reason", "message", "message_vi", "request", "jws")


@dataclass
class PaymentOutcome:
    request: PaymentRequest | None  # None only for a stored request whose token cannot be read back
    jws: str
    status: str  # approved | declined | pending | rejected
    acquirer_reference: str | None
    http_status: int | None
    message: str
    message_vi: str = ""
    duplicate: bool = False  # the acquirer had already answered this very token (409)
    reason: str | None = None  # the acquirer's error code for rejections
    # Why a pending outcome is pending: "no-answer" (unreachable, timed out), "acquirer-error"
    # (a 5xx or unreadable answer, ``http_status`` says which), "unconfirmed-duplicate" (a 409 that
    # does not name this request), "wrong-acquirer" (re-sent with --force and refused there).
    pending_reason: str | None = None
    acquirer: str = EMBEDDED
    unread_request_id: str = ""  # the history's id of a request that ``request`` could not hold

    @property
    def request_id(self) -> str:
        return self.request.request_id if self.request is not None else self.unread_request_id

    @property
    def key_refused(self) -> bool:
        """The acquirer refused the signing key itself (not enrolled, revoked, retired, other account)."""
        return self.status == "rejected" and self.reason in KEY_REFUSAL_REASONS

    def to_dict(self) -> dict[str, Any]:
        """The outcome as ``pay --json`` prints it (this key order)."""
        fields = {name: getattr(self, name) for name in OUTCOME_JSON_FIELDS}
        fields["request"] = self.request.to_dict() if self.request is not None else {"request_id": self.request_id}
        return fields


@dataclass(frozen=True)
class EnrolmentResult:
    acquirer: str
    kid: str
    created: bool  # False: the key was already enrolled for this account
    status: str  # the key's state at the acquirer: active | retired | revoked
    retired_kid: str | None  # the key this enrolment retired (rotation by endorsement)
    message: str
    message_vi: str


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
        # The source account (payments/accounts.py): the current one, with its own key store; without
        # any account (or with ``payer`` given), the built-in demo account and the data folder's keys.
        self.accounts = PayerAccounts(self.home)
        self.account: PayerAccount | None = self.accounts.current() if payer is None else None
        self.keystore = self.accounts.keystore(self.account) if self.account else KeyStore(self.home)
        self.limits = limits or Limits()
        self.payer = payer or (self.account.payer_info() if self.account else PayerInfo())
        self.acquirer_url = acquirer_url or None
        self._failures = failures
        self._timeout = timeout
        self._history = History(self.home / HISTORY_FILE if keep_history else IN_MEMORY)
        self._clients: dict[str, HttpAcquirerClient | EmbeddedAcquirerClient] = {}
        self._accepted_keys: set[tuple[str, str]] = set()  # (acquirer audience, kid) known to be active
        self._lock = threading.Lock()

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        self._history.close()

    def __enter__(self) -> PaymentService:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def acquirer_description(self) -> str:
        return self.acquirer_url or EMBEDDED

    @property
    def audience(self) -> str:
        """The ``aud`` of requests for this service's acquirer: its normalised URL, or ``embedded``."""
        return audience_of(self.acquirer_description)

    # --- the payment flow ---------------------------------------------------------------------
    def preview(self, parsed: ParsedPayload, choice: PaymentChoice, key: SigningKey | None = None,
                check_funds: bool = True) -> PaymentRequest:
        """The request ``pay`` would send (raises RequestRefused like ``pay``); nothing is signed or stored.
        ``check_funds=False``: without the balance check (Review shows the request and says the
        refusal of ``funds_refusal`` next to it)."""
        key = key or self.keystore.current()
        payer = PayerInfo(self.payer.account, self.payer.bank_bin, key.kid)
        request = build_request(parsed, choice, payer=payer, limits=self.limits, audience=self.audience)
        refused = self.funds_refusal(request, self.balance()) if check_funds else None
        if refused is not None:  # over the balance or the daily limit: said before the PIN, nothing signed
            raise refused
        return request

    @staticmethod
    def funds_refusal(request: PaymentRequest, state: AccountBalance | None) -> AmountRefused | None:
        """``over-balance`` or ``daily-limit`` when the source account's balance (``state``, from
        ``balance()``) cannot pay ``request``'s total (None when it can, or when it is not known)."""
        refused = funds_refusal(state, request.cost.total) if state is not None else None
        return AmountRefused(refused.kind, **refused.values) if refused is not None else None

    def start_visit(self, bank_bin: str, account: str, balance: int | None = None,
                    staged: bool = False) -> PayerAccount:
        """A booth's next visitor pays from a new account with a new key (``PayerAccounts.start_visit``:
        the previous visitor's account and key files are gone; ``staged``: the key made in advance by
        ``staged_visit_keystore``); the embedded acquirer opens it with ``balance``. An HTTP acquirer
        learns the key by its enrolment (``start_demo_visit``)."""
        visitor = self.accounts.start_visit(bank_bin, account, balance=balance, staged=staged)
        self.account, self.keystore, self.payer = visitor, self.accounts.keystore(visitor), visitor.payer_info()
        if not self.acquirer_url and balance is not None:
            self.embedded_acquirer().ledger.balances.open(visitor.scope, balance)
        return visitor

    def use_account(self, account_id: str) -> PayerAccount:
        """Pay from another account of this data folder from now on (it becomes the current one)."""
        account = self.accounts.use(account_id)
        self.account, self.keystore, self.payer = account, self.accounts.keystore(account), account.payer_info()
        return account

    def balance(self) -> AccountBalance | None:
        """The source account at the bank (balance, daily limit, spent today): the embedded acquirer's
        ledger, or the HTTP acquirer's ``GET /v1/balance`` (signed by this account's key). None when
        no balance is kept, or the acquirer does not answer or answers something unreadable (it
        refuses an over-balance payment all the same); never raises for those."""
        if self.acquirer_url:
            try:
                reply = self._client(self.acquirer_url).balance(self.keystore.current())
            except (AcquirerUnavailable, AcquirerError):
                return None
            return AccountBalance.from_answer(reply.body) if reply.http_status == 200 else None
        balances = self.embedded_acquirer().ledger.balances
        return balances.account(payer_scope(self.payer.bank_bin, self.payer.account), bank_day(datetime.now(UTC)))

    def pay(self, parsed: ParsedPayload, choice: PaymentChoice) -> PaymentOutcome:
        """Build, sign, record as pending, send, record the answer.

        Raises RequestRefused for bad input, KeyNotAccepted when the HTTP acquirer does not accept the
        current key (nothing is recorded then), KeyStoreError for unusable key files."""
        key = self.keystore.current()  # one key object for the preview and the signature
        request = self.preview(parsed, choice, key=key)
        refused = auth_refusal(request.auth_method, payer_auth_need(self._history, request))
        if refused is not None:  # above the thresholds: the face check first (core/auth_policy.py)
            raise refused
        self._require_key_accepted(key)
        jws = sign_request(request, key)
        self._history.record_pending(request, jws, self.acquirer_description)
        return self._send(request, jws, self.acquirer_description)

    def auth_need(self, parsed: ParsedPayload, choice: PaymentChoice) -> AuthNeed:
        """What the face-check policy asks of the request ``pay`` would send (raises RequestRefused like
        ``build_request``; the balance is not asked: Review says it)."""
        return payer_auth_need(self._history, self.preview(parsed, choice, check_funds=False))

    def retry_pending(self, acquirer_url: str | None = None, force: bool = False) -> list[PaymentOutcome]:
        """Re-send every pending request (oldest first), same signature and idempotency key, to the
        acquirer it was first sent to. ``acquirer_url`` names the acquirer the caller expects: when
        a pending request was first sent elsewhere, RetryTargetRefused is raised (nothing sent)
        unless ``force``, which sends everything to ``acquirer_url`` (whose ``aud`` check will
        normally refuse it: one payment, one acquirer)."""
        pending = self._history.pending()
        if acquirer_url is not None:
            target = audience_of(acquirer_url)
            elsewhere = [e for e in pending if audience_of(e.acquirer) != target]
            if elsewhere and not force:
                first = elsewhere[0]
                raise RetryTargetRefused(
                    "other-acquirer", count=len(elsewhere), request_id=first.request_id,
                    acquirer=visible(first.acquirer, 100),
                )
        outcomes = []
        for entry in pending:
            destination = acquirer_url if (acquirer_url is not None and force) else entry.acquirer
            outcomes.append(self._send(read_signed(entry.jws), entry.jws, destination, original=entry.acquirer,
                                       request_id=entry.request_id))
        return outcomes

    def history(self, limit: int = 50) -> list[HistoryEntry]:
        return self._history.list(limit)

    def entry(self, request_id: str) -> HistoryEntry | None:
        return self._history.get(request_id)

    # --- keys at the acquirer -----------------------------------------------------------------
    def enrol(self, code: str | None = None, acquirer_url: str | None = None,
              endorsed_by: SigningKey | None = None, endorsement: str | None = None) -> EnrolmentResult:
        """Enrol the current key at the HTTP acquirer (``acquirer_url`` or the service's), bound to
        this payer's account, with the acquirer's enrolment ``code`` or, for a rotation, endorsed by
        the previous key (``endorsed_by``). Raises EnrolmentRefused (the acquirer said no: bad code,
        key bound to another account...), AcquirerUnavailable (no answer), KeyStoreError,
        PaymentSetupError("no-acquirer") when there is no HTTP acquirer to enrol at."""
        url = acquirer_url or self.acquirer_url
        if not url:
            raise PaymentSetupError("no-acquirer")
        key = self.keystore.current()
        client = self._client(url)
        reply = client.enrol(key, self.payer.account, self.payer.bank_bin, code=code, endorsed_by=endorsed_by,
                             endorsement=endorsement)
        body = reply.body
        if reply.http_status not in (200, 201):
            raise enrolment_refusal(reply.http_status, body, url, key.kid, self.payer.bank_bin, self.payer.account)
        status = str(body.get("status") or "active")
        if status != "active":  # known there, but retired or revoked: enrolling again does not revive it
            raise EnrolmentRefused("key-not-active", f"key-{visible(status, 20)}", reply.http_status,
                                   kid=key.kid, status=visible(status, 20), acquirer=visible(url, 100))
        self._accepted_keys.add((audience_of(url), key.kid))
        retired = body.get("retired_kid") if isinstance(body.get("retired_kid"), str) else None
        created = reply.http_status == 201
        said = {"kid": key.kid, "url": visible(url, 100), "account": f"{self.payer.bank_bin}/{self.payer.account}"}
        english, vietnamese = (say("key-enrolled" if created else "key-already-enrolled", lang, **said)
                               for lang in ("en", "vi"))
        return EnrolmentResult(url, key.kid, created, status, retired, english, vietnamese)

    def open_demo_account(self, code: str, acquirer_url: str | None = None) -> EnrolmentResult:
        """A new demo account at the HTTP acquirer, opened with the booth's shared ``code`` and numbered
        there (``POST /v1/demo-accounts``), the current key bound to it; this service pays from it
        from now on (``self.payer``). Raises what ``enrol`` raises."""
        url = acquirer_url or self.acquirer_url
        if not url:
            raise PaymentSetupError("no-acquirer")
        key = self.keystore.current()
        self.payer, created = self._demo_account(url, key, code)
        said = {"kid": key.kid, "url": visible(url, 100), "account": f"{self.payer.bank_bin}/{self.payer.account}"}
        english, vietnamese = (say("key-enrolled" if created else "key-already-enrolled", lang, **said)
                               for lang in ("en", "vi"))
        return EnrolmentResult(url, key.kid, created, "active", None, english, vietnamese)

    def start_demo_visit(self, code: str | None = None, acquirer_url: str | None = None) -> PayerAccount:
        """A booth's next visitor: a new key and a new demo account for it, which ``start_visit`` makes
        the account paid from (the previous visitor's account and key files are deleted). The HTTP
        acquirer opens and numbers the account for the booth's shared ``code``, with its demo balance;
        for the embedded acquirer the number is drawn here and the account opens with the embedded
        ledger's demo balance (``Balances.open_demo``'s rule). Raises what ``enrol`` raises."""
        url = acquirer_url or self.acquirer_url
        if not url:
            demo_balance = self.embedded_acquirer().ledger.balances.demo_balance
            return self.start_visit(self.payer.bank_bin, new_demo_account_number(), balance=demo_balance)
        staged = self.accounts.staged_visit_keystore()  # the key first: the acquirer binds it to the account
        payer, _created = self._demo_account(url, staged.current(), code or "")
        return self.start_visit(payer.bank_bin, payer.account, staged=True)

    def _demo_account(self, url: str, key: SigningKey, code: str) -> tuple[PayerInfo, bool]:
        """``POST /v1/demo-accounts`` for ``key``: the account (and whether it was opened now)."""
        reply = self._client(url).open_demo_account(key, self.payer.bank_bin, code)
        body = reply.body
        account, bank_bin = body.get("account"), body.get("bank_bin")
        if reply.http_status not in (200, 201) or not isinstance(account, str) or not isinstance(bank_bin, str):
            error = str(body.get("error") or f"http-{reply.http_status}")
            message = visible(str(body.get("message") or f"The acquirer answered {reply.http_status}."), 300)
            raise EnrolmentRefused("enrolment-refused", visible(error, 60), reply.http_status,
                                   acquirer=visible(url, 100), kid=key.kid, error=visible(error, 60), message=message)
        self._accepted_keys.add((audience_of(url), key.kid))
        return PayerInfo(visible(account, 34), visible(bank_bin, 6)), reply.http_status == 201

    def outstanding_bill(self, customer_code: str, acquirer_url: str | None = None) -> OutstandingBill | None:
        """The EVN bill the acquirer (as biller) has for ``customer_code`` ("Số tiền cần thanh toán":
        ``amount_due``), or None when there is none to show: unknown or malformed code, or the acquirer
        does not answer or answers something unreadable. Never raises for those (payments/biller.py)."""
        try:
            reply = self._client(acquirer_url or self.acquirer_description).bill(customer_code)
            return OutstandingBill.from_dict(reply.body.get("bill")) if reply.http_status == 200 else None
        except (AcquirerUnavailable, ValueError):
            return None

    def registered_name(self, key: LookupKey, acquirer_url: str | None = None) -> NameInquiry:
        """The name the acquirer has on record for a payee (``POST /v2/lookup``); ``unavailable`` when it
        does not answer or answers something unreadable. Never raises for those."""
        try:
            reply = self._client(acquirer_url or self.acquirer_description).name_lookup(key)
        except AcquirerUnavailable as exc:
            return NameInquiry("unavailable", detail=visible(str(exc), 200))
        return NameInquiry.from_answer(reply.http_status, reply.body)

    def name_check(self, parsed: ParsedPayload) -> NameCheck | None:
        """The name inquiry for ``parsed``'s payee (``registered_name``) judged against the QR's own name, as
        a request records it; None when the QR names no account or merchant id to look up."""
        key = lookup_key(parsed)
        if key is None:
            return None
        inquiry = self.registered_name(key)
        return NameCheck.judge(parsed.merchant.name, inquiry.status, inquiry.name, self.acquirer_description)

    def embedded_acquirer(self):
        """The embedded mock acquirer of this data folder (``MockAcquirer``): the one ``pay`` uses when no
        acquirer URL is set. The window serves its merchant display with ``acquirer.server.serve_display``."""
        return self._client(EMBEDDED).acquirer

    def key_status(self, acquirer_url: str | None = None) -> str:
        """The current key's state at the acquirer: ``active``, ``retired``, ``revoked`` or
        ``not-enrolled``. Raises AcquirerUnavailable when the acquirer does not answer."""
        url = acquirer_url or self.acquirer_description
        reply = self._client(url).key_status(self.keystore.current().kid)
        if reply.http_status == 404:
            return "not-enrolled"
        if reply.http_status != 200:
            raise AcquirerError(f"{visible(url, 100)} answered {reply.http_status} to a key status query",
                                reply.http_status)
        return str(reply.body.get("status") or "unknown")

    def revoke_key(self, kid: str, acquirer_url: str | None = None, code: str | None = None) -> str:
        """Revoke ``kid`` at the HTTP acquirer, signed by the current key (of the same account) or
        with the enrolment ``code``. Returns the key's new state; raises EnrolmentRefused."""
        url = acquirer_url or self.acquirer_url
        if not url:
            raise PaymentSetupError("no-acquirer-to-revoke")
        client = self._client(url)
        reply = client.revoke(kid, signer=None if code else self.keystore.current(), code=code)
        if reply.http_status != 200:
            error = visible(str(reply.body.get("error") or reply.http_status), 60)
            message = visible(str(reply.body.get("message") or ""), 300)
            raise EnrolmentRefused("revoke-refused", error, reply.http_status,
                                   acquirer=visible(url, 100), kid=visible(kid, 60), error=error, message=message)
        self._accepted_keys.discard((audience_of(url), kid))
        return str(reply.body.get("status") or "revoked")

    def new_day(self, code: str | None = None, acquirer_url: str | None = None) -> dict[str, Any]:
        """Start a new day at the acquirer (``payments/new_day.py``): at the HTTP acquirer with its
        operator token as ``code`` (``POST /v1/new-day``), or on the embedded one. Returns what was
        archived. Raises EnrolmentRefused (a wrong token), AcquirerUnavailable (no answer)."""
        url = acquirer_url or self.acquirer_url
        if not url:
            from payer_app.payments.new_day import start_new_day

            return start_new_day(self.embedded_acquirer()).to_dict()
        reply = self._client(url).new_day(code or "")
        if reply.http_status != 200 or not isinstance(reply.body.get("new_day"), dict):
            error = visible(str(reply.body.get("error") or f"http-{reply.http_status}"), 60)
            raise EnrolmentRefused("new-day-refused", error, reply.http_status, acquirer=visible(url, 100), error=error)
        return reply.body["new_day"]

    # --- internals ----------------------------------------------------------------------------
    def _client(self, acquirer: str):
        """The client for an acquirer description (a URL, or ``embedded``), made once."""
        name = audience_of(acquirer)
        with self._lock:
            client = self._clients.get(name)
            if client is None:
                if name == EMBEDDED_AUDIENCE:
                    # The embedded acquirer applies the payer's limits (one setting for the demo) and
                    # trusts only this payer's own keys, bound to this payer's account.
                    client = EmbeddedAcquirerClient(
                        self.home / EMBEDDED_LEDGER_FILE, self._failures, timeout=self._timeout,
                        limits=self.limits, local_keys=self._local_keys,
                    )
                    self._open_local_balances(client.acquirer)
                else:
                    client = HttpAcquirerClient(acquirer, timeout=self._timeout)
                self._clients[name] = client
            return client

    def _open_local_balances(self, acquirer) -> None:
        """The embedded acquirer is the bank of this device's accounts: each account with a balance
        is opened there with it (once; afterwards its payments move it)."""
        for account in self.accounts.list():
            if account.balance is not None:
                acquirer.ledger.balances.open(account.scope, account.balance, account.daily_limit)

    def _local_keys(self) -> list[TrustedKey]:
        return [TrustedKey(jwk, self.payer.bank_bin, self.payer.account, jwk.get("retired_at"))
                for jwk in self.keystore.verification_keys()]

    def _require_key_accepted(self, key: SigningKey) -> None:
        """Before signing for an HTTP acquirer: is the key enrolled and active there? Unknown when the
        acquirer does not answer (the payment then goes ahead and stays pending)."""
        if not self.acquirer_url:
            return
        audience = self.audience
        if (audience, key.kid) in self._accepted_keys:
            return
        try:
            reply = self._client(self.acquirer_url).key_status(key.kid)
        except AcquirerUnavailable:
            return
        state = reply.body.get("status") if reply.http_status == 200 else None
        if state == "active":
            self._accepted_keys.add((audience, key.kid))
            return
        url = visible(self.acquirer_url, 100)
        if reply.http_status == 404:
            raise KeyNotAccepted("key-not-enrolled", self.acquirer_url, kid=key.kid, url=url,
                                 hint=ENROL_HINT.format(url=url))
        if state in ("retired", "revoked"):
            raise KeyNotAccepted("key-revoked" if state == "revoked" else "key-retired", self.acquirer_url,
                                 kid=key.kid, url=url, hint=ENROL_HINT.format(url=url))
        # Any other answer: not a reason to refuse here; the payment itself will say.

    def _send(self, request: PaymentRequest | None, jws: str, acquirer: str, original: str | None = None,
              request_id: str | None = None) -> PaymentOutcome:
        """Send a signed request and record the answer; ``request`` is None only when a stored token
        cannot be read back (it is sent all the same, under the history's ``request_id``)."""
        request_id = request.request_id if request is not None else request_id or ""
        try:
            client = self._client(acquirer)
            reply = client.submit(jws)
        except AcquirerError as exc:
            said = {"http": f" (HTTP {exc.http_status})" if exc.http_status else "", "problem": exc}
            message = say("acquirer-error-pending", "en", **said)
            self._history.record_attempt(request_id, message, http_status=exc.http_status)
            return PaymentOutcome(
                request, jws, "pending", None, exc.http_status, message, say("acquirer-error-pending", "vi", **said),
                pending_reason="acquirer-error", acquirer=acquirer, unread_request_id=request_id,
            )
        except AcquirerUnavailable as exc:
            message = say("no-answer-pending", "en", problem=exc)
            self._history.record_attempt(request_id, message)
            return PaymentOutcome(
                request, jws, "pending", None, None, message, say("no-answer-pending", "vi", problem=exc),
                pending_reason="no-answer", acquirer=acquirer, unread_request_id=request_id,
            )
        except ValueError as exc:  # a local key the embedded acquirer cannot trust
            raise PaymentSetupError("bad-local-key", detail=visible(str(exc), 200)) from None
        outcome = _outcome_from_reply(request, jws, reply, acquirer)
        outcome.unread_request_id = request_id
        if original is not None and audience_of(original) != audience_of(acquirer) and \
                outcome.status == "rejected" and outcome.reason == "wrong-audience":
            # Forced to another acquirer, which (rightly) refused it: the first acquirer's answer is
            # still the one that counts, so the request stays pending for it.
            outcome.status, outcome.pending_reason = "pending", "wrong-acquirer"
            self._history.record_attempt(request_id, f"{visible(acquirer, 100)} refused it: {outcome.message}",
                                         http_status=outcome.http_status)
            return outcome
        if outcome.status == "pending":
            self._history.record_attempt(request_id, outcome.message, http_status=outcome.http_status)
        else:
            self._history.record_outcome(request_id, outcome.status, outcome.http_status,
                                         outcome.acquirer_reference, outcome.message)
        if outcome.reason in ("key-not-enrolled", "key-revoked", "key-retired"):
            kid = request.payer.key_id if request is not None else None
            self._accepted_keys = {k for k in self._accepted_keys if k[1] != kid}
        return outcome


def audience_of(acquirer: str) -> str:
    """The ``aud`` for an acquirer description: ``embedded`` or the normalised URL."""
    return EMBEDDED_AUDIENCE if acquirer in (EMBEDDED, EMBEDDED_AUDIENCE, "", None) else normalise_audience(acquirer)


def _names_this_request(body: dict[str, Any], request: PaymentRequest | None) -> bool:
    """A 409 counts as this request's outcome only when it names this request id and amount (the
    acquirer's answer ``body`` repeats the request's ``amount`` object)."""
    amount = body.get("amount")
    return (request is not None and body.get("request_id") == request.request_id and isinstance(amount, dict)
            and amount.get("value") == str(request.amount) and amount.get("currency") == request.currency)


def _outcome_from_reply(request: PaymentRequest | None, jws: str, reply: AcquirerReply,
                        acquirer: str) -> PaymentOutcome:
    body = reply.body
    message = visible(str(body.get("message") or ""), 500)
    message_vi = visible(str(body.get("message_vi") or ""), 500)
    reference = body.get("acquirer_reference")
    reference = visible(reference, 60) if isinstance(reference, str) else None
    if reply.http_status == 201:
        return PaymentOutcome(request, jws, "approved", reference, 201, message, message_vi, acquirer=acquirer)
    if reply.http_status == 402:
        return PaymentOutcome(request, jws, "declined", reference, 402, message, message_vi,
                              reason=_text_or_none(body.get("reason")), acquirer=acquirer)
    if reply.http_status == 409:
        if body.get("status") in ("approved", "declined") and _names_this_request(body, request):
            return PaymentOutcome(
                request, jws, body["status"], reference, 409,
                say("already-processed", "en", message=message).strip(),
                say("already-processed", "vi", message=message, message_vi=message_vi).strip(),
                duplicate=True, reason=_text_or_none(body.get("reason")), acquirer=acquirer,
            )
        return PaymentOutcome(
            request, jws, "pending", None, 409,
            say("unconfirmed-duplicate", "en"), say("unconfirmed-duplicate", "vi"),
            pending_reason="unconfirmed-duplicate", acquirer=acquirer,
        )
    reason = _text_or_none(body.get("error"))
    if reason in ("key-not-enrolled",):
        url = visible(acquirer, 100)
        message = f"{message} Enrol the key: {ENROL_HINT.format(url=url)}".strip()
    return PaymentOutcome(
        request, jws, "rejected", reference, reply.http_status,
        message or f"The acquirer answered {reply.http_status}.", message_vi, reason=reason, acquirer=acquirer,
    )


def _text_or_none(value: Any) -> str | None:
    return visible(value, 80) if isinstance(value, str) else None
