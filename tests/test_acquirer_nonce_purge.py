"""The ledger forgets the nonces of expired requests every ``NONCE_PURGE_EVERY`` payments it records
(a count: the writer no longer reads the system's random source twice per payment to decide it), so
the purge comes exactly then, neither before nor never."""

from __future__ import annotations

from payer_app.core.keys import SigningKey
from payer_app.payments.acquirer.decisions import MockAcquirer
from payer_app.payments.acquirer.ledger import NONCE_PURGE_EVERY, TrustedKey
from tests.acquirer_helpers import Payer, ledger_rows, token_for

URL = "http://127.0.0.1:1"
DEAD = ("970436/0000000000000", "an-expired-nonce-0001", 1)  # expired at the epoch's first second


def test_expired_nonces_are_forgotten_at_the_purge_count(tmp_path):
    payers = [Payer(SigningKey.generate(), account=f"00110012345{i:02d}") for i in range(4)]
    path = tmp_path / "acquirer.sqlite3"
    acquirer = MockAcquirer(path, trusted=[TrustedKey(p.key.public_jwk, p.bank_bin, p.account) for p in payers],
                            audiences=[URL])
    try:
        acquirer.ledger._store.write("INSERT INTO used_nonces VALUES (?, ?, ?)", DEAD)
        tokens = [token_for(payers[i % 4], URL, amount=1_000 + i) for i in range(NONCE_PURGE_EVERY)]
        for token in tokens[:-1]:
            assert acquirer.decide(token).http_status == 201
        dead = "SELECT COUNT(*) FROM used_nonces WHERE nonce = 'an-expired-nonce-0001'"
        assert ledger_rows(path, dead) == [(1,)]  # not before
        assert acquirer.decide(tokens[-1]).http_status == 201
        assert ledger_rows(path, dead) == [(0,)]  # at the count
        assert ledger_rows(path, "SELECT COUNT(*) FROM used_nonces") == [(NONCE_PURGE_EVERY,)]  # live ones kept
    finally:
        acquirer.close()
