"""The payer's bank side of the mock: each source account's balance and daily limit, kept in the
acquirer's ledger file next to its payments.

- ``account_balances``: one row per payer account (``payer_scope`` = ``BIN/ACCOUNT``) that was
  opened with a balance (``acquirer serve --balance``, the embedded acquirer from the payer's
  ``accounts add --balance``, a booth visitor's demo account with ``demo_balance``: ``open_demo``);
  an account without a row has no balance kept and is not checked.
- ``balance_debits``: one row per approved payment of such an account (its total: amount plus fee
  or tip), with the bank's day it counts against. The balance is the opening balance minus the sum
  of these rows; ``Balances.audit`` says whether both agree.

The check and the debit run inside the ledger's recording transaction (``Ledger.insert_if_new``):
an approval and its debit are one commit, so a crash leaves both or neither, and two payments of
one account at once cannot both spend the same money. A payment over the balance (``over-balance``)
or over the day's limit (``daily-limit``) is refused there, before anything is written.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from payer_app.core.amounts import format_vnd
from payer_app.core.auth_policy import AuthPolicy
from payer_app.core.refusals import VerifyRefused
from payer_app.core.timestamps import parse_canonical_timestamp
from payer_app.payments.acquirer.answers import AcquirerAnswer, error_answer, refusal_answer
from payer_app.payments.enrolment import LOOKUP, SignedMessageError, public_key_of, read_message

# The bank's day runs on Vietnam time, the day the authentication policy counts in (core/auth_policy.py).
BANK_DAY_OFFSET = timedelta(hours=AuthPolicy.bundled().day_utc_offset_hours)
MAX_BALANCE = 10**15  # the largest balance or limit (a request's amount has at most 15 digits)
REFUSED_STATUS = 422  # authentic but not payable from this account: nothing recorded, safe to re-send later
BALANCE_REASONS = frozenset({"over-balance", "daily-limit"})
BALANCE_LOOKUP_ID = "balance"  # the request_id a payment_lookup names to ask for its account's balance
# What a booth visitor's demo account opens with unless the operator sets another (``acquirer serve
# --demo-balance``): a demo EVN bill, a 12 million payment (the face check) and the day's third 9 million
DEMO_BALANCE = 50_000_000

BALANCES_SCHEMA = """
CREATE TABLE IF NOT EXISTS account_balances (
    payer_scope TEXT PRIMARY KEY,
    opening_balance INTEGER NOT NULL,
    balance INTEGER NOT NULL,
    daily_limit INTEGER,
    opened_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS balance_debits (
    payer_scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    total INTEGER NOT NULL,
    bank_day TEXT NOT NULL,
    PRIMARY KEY (payer_scope, idempotency_key)
);
"""


@dataclass(frozen=True)
class AccountBalance:
    """One account's state at the bank: what it opened with, what is left, the daily limit and what
    was spent on ``day``."""

    scope: str
    opening_balance: int
    balance: int
    daily_limit: int | None
    spent_today: int

    def to_dict(self) -> dict[str, object]:
        return {"account": self.scope, "opening_balance": self.opening_balance, "balance": self.balance,
                "daily_limit": self.daily_limit, "spent_today": self.spent_today}

    @classmethod
    def from_answer(cls, body: object) -> AccountBalance | None:
        """An acquirer's answer (``to_dict``'s form) read as a stranger's: None unless every field
        is of its kind and within bounds."""
        if not isinstance(body, dict) or not isinstance(body.get("account"), str) or len(body["account"]) > 60:
            return None
        opening, balance, limit, spent = (body.get(name) for name in
                                          ("opening_balance", "balance", "daily_limit", "spent_today"))
        if any(amount_problem(v, "") for v in (opening, balance, limit, spent)) or \
                not (isinstance(opening, int) and isinstance(balance, int) and isinstance(spent, int)):
            return None
        return cls(body["account"], opening, balance, limit, spent)


def bank_day(received_at: str | datetime) -> str:
    """The bank's day (``YYYY-MM-DD``, Vietnam time) of a moment (a stored UTC stamp or a datetime)."""
    moment = parse_canonical_timestamp(received_at) if isinstance(received_at, str) else received_at
    return (moment + BANK_DAY_OFFSET).date().isoformat()


def amount_problem(value: int | None, what: str) -> str | None:
    """Why ``value`` cannot be a balance or a limit (None when it can; None itself is "no value")."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_BALANCE:
        return f"{what} must be a whole number of dong from 0 to {MAX_BALANCE}"
    return None


def funds_refusal(state: AccountBalance, total: int) -> VerifyRefused | None:
    """The rule: a payment of ``total`` is refused when it is over the balance, or when it would take
    the day's spending over the daily limit."""
    if total > state.balance:
        return VerifyRefused("over-balance", amount=total, balance=format_vnd(state.balance))
    if state.daily_limit is not None and state.spent_today + total > state.daily_limit:
        return VerifyRefused("daily-limit", amount=total, limit=format_vnd(state.daily_limit),
                             spent=format_vnd(state.spent_today))
    return None


def funds_answer(refusal: VerifyRefused, request_id: str, idem: str) -> AcquirerAnswer:
    """The acquirer's answer to a payment refused for its account's funds (nothing was recorded)."""
    return refusal_answer(REFUSED_STATUS, refusal, request_id=request_id, idempotency_key=idem)


class Balances:
    """The balance tables of one ledger file, over the ledger's own SQLite store (same lock, same
    transactions). ``demo_balance``: what a booth visitor's demo account opens with (``open_demo``)."""

    def __init__(self, store, demo_balance: int = DEMO_BALANCE):
        self._store = store
        self.demo_balance = demo_balance

    def set_demo_balance(self, balance: int) -> None:
        """The operator's starting balance for demo accounts opened from now on (``acquirer serve
        --demo-balance``); accounts already open keep theirs."""
        problem = amount_problem(balance, "the demo balance")
        if problem:
            raise ValueError(problem)
        self.demo_balance = balance

    def open_demo(self, scope: str, opened_at: str = "") -> bool:
        """The rule for a booth visitor's new demo account: it opens with ``demo_balance`` and no daily
        limit, so the visitor can pay at once and the balance moves with each payment. An account
        that has a balance keeps it. True when it was opened now."""
        return self.open(scope, self.demo_balance, None, opened_at)

    def open(self, scope: str, balance: int, daily_limit: int | None = None, opened_at: str = "",
             replace: bool = False) -> bool:
        """Open ``scope`` with ``balance`` (and a daily limit). An account already open keeps its
        balance unless ``replace`` (the operator sets it again: balance and limit from now on, the
        debits so far kept). True when something changed."""
        for value, what in ((balance, "the balance"), (daily_limit, "the daily limit")):
            problem = amount_problem(value, what)
            if problem:
                raise ValueError(problem)
        with self._store.transaction() as db:
            row = db.execute("SELECT balance, daily_limit FROM account_balances WHERE payer_scope = ?",
                             (scope,)).fetchone()
            if row is not None and not replace:
                return False
            if row is not None and tuple(row) == (balance, daily_limit):
                return False
            spent = db.execute("SELECT COALESCE(SUM(total), 0) FROM balance_debits WHERE payer_scope = ?",
                               (scope,)).fetchone()[0]
            db.execute("INSERT OR REPLACE INTO account_balances VALUES (?, ?, ?, ?, ?)",
                       (scope, balance + spent, balance, daily_limit, opened_at))
        return True

    def account(self, scope: str, day: str) -> AccountBalance | None:
        """``scope``'s state with what it spent on ``day`` (None when no balance is kept for it)."""
        with self._store.lock:
            return _state(self._store.db, scope, day)

    def accounts(self, day: str) -> list[AccountBalance]:
        with self._store.lock:
            scopes = [r[0] for r in self._store.db.execute("SELECT payer_scope FROM account_balances ORDER BY 1")]
            return [state for scope in scopes if (state := _state(self._store.db, scope, day)) is not None]

    def debit(self, db: sqlite3.Connection, scope: str, idem: str, total: int,
              received_at: str) -> VerifyRefused | None:
        """Inside the caller's transaction: refuse (nothing written) or debit ``total``. An account
        without a balance row is not checked."""
        day = bank_day(received_at)
        state = _state(db, scope, day)
        if state is None:
            return None
        refusal = funds_refusal(state, total)
        if refusal is not None:
            return refusal
        db.execute("UPDATE account_balances SET balance = balance - ? WHERE payer_scope = ?", (total, scope))
        db.execute("INSERT INTO balance_debits VALUES (?, ?, ?, ?)", (scope, idem, total, day))
        return None

    def audit(self) -> list[str]:
        """Accounts whose balance is not their opening balance minus their debits, or whose debits do
        not match the approved payments of the ledger one for one (empty when everything agrees)."""
        problems = []
        with self._store.lock:
            db = self._store.db
            for scope, opening, balance in db.execute(
                    "SELECT payer_scope, opening_balance, balance FROM account_balances").fetchall():
                debited = db.execute("SELECT COALESCE(SUM(total), 0) FROM balance_debits WHERE payer_scope = ?",
                                     (scope,)).fetchone()[0]
                if opening - debited != balance:
                    problems.append(f"{scope}: opening {opening} - debits {debited} != balance {balance}")
                unmatched = db.execute(
                    "SELECT COUNT(*) FROM ledger_payments p WHERE p.payer_scope = ? AND p.status = 'approved' "
                    "AND NOT EXISTS (SELECT 1 FROM balance_debits d WHERE d.payer_scope = p.payer_scope "
                    "AND d.idempotency_key = p.idempotency_key)", (scope,)).fetchone()[0]
                if unmatched:
                    problems.append(f"{scope}: {unmatched} approved payments without a debit")
        return problems


def parse_balance_option(text: str) -> tuple[str, int, int | None]:
    """``BANK_BIN/ACCOUNT=VND[:DAILY_LIMIT]`` (``acquirer serve --balance``) as (scope, balance, limit);
    ValueError saying the form."""
    account, _, money = text.partition("=")
    bank_bin, _, number = account.partition("/")
    balance, colon, limit = money.partition(":")
    ok = (len(bank_bin) == 6 and bank_bin.isascii() and bank_bin.isdigit() and 0 < len(number) <= 34
          and number.isascii() and number.isalnum() and balance.isascii() and balance.isdigit()
          and (not colon or (limit.isascii() and limit.isdigit())))
    opening, daily = (int(balance), int(limit) if limit else None) if ok else (0, None)
    if not ok or amount_problem(opening, "the balance") or amount_problem(daily, "the daily limit"):
        raise ValueError("--balance must be BANK_BIN/ACCOUNT=VND or BANK_BIN/ACCOUNT=VND:DAILY_LIMIT (whole dong, "
                         f"at most {MAX_BALANCE}), e.g. 970436/0011001234567=5000000:20000000")
    return f"{bank_bin}/{number}", opening, daily


def parse_demo_balance(text: str) -> int:
    """``acquirer serve --demo-balance VND`` (whole dong) as an int; ValueError saying the form."""
    value = int(text) if text.isascii() and text.isdigit() and len(text) <= 16 else -1
    if amount_problem(value, "") is not None:
        raise ValueError(f"the demo balance must be a whole number of dong from 0 to {MAX_BALANCE}, not "
                         f"{text[:20]!r} (default {DEMO_BALANCE})")
    return value


def balance_answer(acquirer, authorization: str | None, now: datetime) -> AcquirerAnswer:
    """``GET /v1/balance``: the state of the signer's own account, for a ``payment_lookup`` of
    ``BALANCE_LOOKUP_ID`` signed by an active key bound to it (``Authorization: JWS <token>``);
    ``acquirer`` is the ``MockAcquirer`` (its ledger's key bindings and balances, its audiences)."""
    scheme, _, token = (authorization or "").partition(" ")

    def active_key(kid: str, payload: dict):
        binding = acquirer.ledger.binding(kid)
        return public_key_of(binding.jwk) if binding is not None and binding.state == "active" else None

    try:
        if scheme.upper() != "JWS" or not token:
            raise SignedMessageError("signature-required", "no JWS")
        message = read_message(token.strip(), LOOKUP, active_key, acquirer.audiences, now)
    except SignedMessageError as exc:
        return error_answer(401, "signature-required", "Asking for a balance needs Authorization: JWS <payment_lookup "
                            f"of \"{BALANCE_LOOKUP_ID}\" signed by an active key of the account> ({exc.code}).")
    binding = acquirer.ledger.binding(message.kid)
    if message.payload.get("request_id") != BALANCE_LOOKUP_ID or binding is None:
        return error_answer(401, "signature-required", "The signature does not ask for a balance.")
    state = acquirer.ledger.balances.account(binding.scope, bank_day(now))
    if state is None:
        return error_answer(404, "not-found", "No balance is kept for this account.")
    return AcquirerAnswer(200, state.to_dict())


def _state(db: sqlite3.Connection, scope: str, day: str) -> AccountBalance | None:
    row = db.execute("SELECT opening_balance, balance, daily_limit FROM account_balances WHERE payer_scope = ?",
                     (scope,)).fetchone()
    if row is None:
        return None
    spent = db.execute("SELECT COALESCE(SUM(total), 0) FROM balance_debits WHERE payer_scope = ? AND bank_day = ?",
                       (scope, day)).fetchone()[0]
    return AccountBalance(scope, row[0], row[1], row[2], spent)


__all__ = ["BALANCES_SCHEMA", "BALANCE_LOOKUP_ID", "BALANCE_REASONS", "DEMO_BALANCE", "AccountBalance", "Balances",
           "amount_problem", "balance_answer", "bank_day", "funds_answer", "funds_refusal", "parse_balance_option",
           "parse_demo_balance"]
