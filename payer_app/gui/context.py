"""What the screens share: language, settings, the flow in progress, the PIN lockout."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from payer_app.core.choice import PaymentChoice
from payer_app.core.operator_pin import pin_matches
from payer_app.core.payability import Limits
from payer_app.core.payload import ParsedPayload
from payer_app.core.refusals import Refusal
from payer_app.core.registered_name import NameCheck
from payer_app.gui.i18n import Language
from payer_app.gui.scan_adapter import ScanResult
from payer_app.gui.settings import Settings

if TYPE_CHECKING:
    from payer_app.payments.service import PaymentOutcome, PaymentService


@dataclass
class PaymentFlow:
    """One payment from scan to receipt."""

    scan: ScanResult | None = None
    parsed: ParsedPayload | None = None
    choice: PaymentChoice | None = None  # what the payer chose on the Amount screen (None: not yet)
    name_check: NameCheck | None = None  # what the Payee screen's name inquiry showed when the payer went on
    outcome: PaymentOutcome | None = None
    error: Refusal | None = None  # why paying failed (its text is shown in the window's language)


class PinGuard:
    """The mock PIN check: ``attempts`` wrong PINs in a row lock it for ``lock_seconds``. ``pin`` is
    the PIN, or a function that tells whether an entered PIN is right, or None (no PIN opens it)."""

    def __init__(self, pin: str | Callable[[str], bool] | None = "123456", attempts: int = 3,
                 lock_seconds: float = 30.0, clock=time.monotonic):
        self.pin = pin
        self.attempts = attempts
        self.lock_seconds = lock_seconds
        self.clock = clock
        self.failures = 0
        self.locked_until = 0.0

    def seconds_locked(self) -> int:
        left = self.locked_until - self.clock()
        return int(left + 0.999) if left > 0 else 0

    def check(self, entered: str) -> str:
        """'ok', 'wrong' (attempts left: ``attempts_left``) or 'locked'."""
        if self.seconds_locked():
            return "locked"
        right = self.pin(entered) if callable(self.pin) else self.pin is not None and entered == self.pin
        if right:
            self.failures = 0
            return "ok"
        self.failures += 1
        if self.failures >= self.attempts:
            self.failures = 0
            self.locked_until = self.clock() + self.lock_seconds
            return "locked"
        return "wrong"

    @property
    def attempts_left(self) -> int:
        return self.attempts - self.failures


def operator_guard(settings: Settings) -> PinGuard:
    """The kiosk operator's PIN check over the stored hash (``core.operator_pin``): without a valid
    hash no PIN opens Settings (there is no default PIN)."""
    stored = settings.operator_pin_hash
    return PinGuard(lambda entered: pin_matches(stored, entered), settings.pin_attempts,
                    max(60, settings.pin_lock_seconds))


@dataclass
class AppContext:
    language: Language
    settings: Settings
    kiosk: bool = False
    camera_spec: str = "demo"
    flow: PaymentFlow = field(default_factory=PaymentFlow)
    pin_guard: PinGuard = field(default_factory=PinGuard)
    operator_guard: PinGuard = field(default_factory=lambda: PinGuard(None, 3, 60.0))  # kiosk Settings: none set
    service: PaymentService | None = None  # the window's one payment service
    service_error: str = ""  # why it could not be opened (gui/service_lifetime.py), when it could not
    acquirer_code: str = ""  # the acquirer's enrolment code given at start (gui --enrol-code, the booth)
    operator_token: str = ""  # the acquirer's operator token (the booth, which serves it): its new day
    visit_started: str = ""  # a kiosk: when this visitor's visit began (UTC stamp); Home and History list nothing older

    @property
    def limits(self) -> Limits:
        """The per-transaction limits the settings ask for (core's Limits: one rule for every screen)."""
        return Limits(self.settings.min_amount, self.settings.max_amount)

    def t(self, key: str, **values) -> str:
        return self.language.text(key, **values)

    @property
    def lang(self) -> str:
        return self.language.code

    @property
    def keeps_history(self) -> bool:
        """Payments are kept in the history (and a pending one can be re-sent from History): always,
        but in kiosk mode only when the operator turned on Kiosk: keep history."""
        return not self.kiosk or self.settings.kiosk_keep_history
