"""The enrolment code cannot be guessed: after 5 wrong codes within a minute, every code is
refused with 429 and Retry-After until that minute is over (per acquirer), on the acquirer's own
clock (``create_app(clock=...)``), over real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
import re

import pytest

from payer_app.core.keys import SigningKey
from payer_app.payments.acquirer.endpoints import create_app
from payer_app.payments.acquirer.ledger import Ledger, enrolment_code_problem, random_enrolment_code
from tests.acquirer_helpers import CODE, AcquirerClock, Payer, enrol, http_post, new_payer, start_server

RANDOM_CODE = re.compile(r"[A-HJ-NP-Z2-9]{4}(-[A-HJ-NP-Z2-9]{4}){3}")


@pytest.fixture
def clock():
    return AcquirerClock()


@pytest.fixture
def server(tmp_path, clock):
    srv = start_server(tmp_path / "acquirer.sqlite3", clock=clock)
    yield srv
    srv.stop()


def guess(url: str, n: int, payer: Payer | None = None) -> None:
    payer = payer or Payer(SigningKey.generate())
    for attempt in range(n):
        response = enrol(url, payer, code=f"wrong-guess-{attempt:06d}")
        assert response.status_code == 401 and response.json()["error"] == "bad-enrolment-code", response.text


def test_the_lock_out_holds_the_right_code_too_and_ends_a_minute_later(server, clock, caplog):
    caplog.set_level(logging.WARNING, logger="payer_app.payments.acquirer")
    payer = Payer(SigningKey.generate())
    guess(server.url, 5)
    locked = enrol(server.url, payer)  # the right code
    assert locked.status_code == 429 and locked.json()["error"] == "too-many-attempts"
    assert locked.headers["Retry-After"] == "60" and "60 s" in locked.json()["message"]
    clock.advance(59)
    assert enrol(server.url, payer).headers["Retry-After"] == "1"
    # Revoking with the code is locked as well.
    revoke = http_post(f"{server.url}/v1/keys/{payer.key.kid}/revoke", headers={"Authorization": f"Bearer {CODE}"})
    assert revoke.status_code == 429 and revoke.headers["Retry-After"] == "1"
    clock.advance(1)
    assert enrol(server.url, payer).status_code == 201
    lines = [r.getMessage() for r in caplog.records]
    assert sum("wrong enrolment code" in line for line in lines) == 5
    assert sum("locked" in line for line in lines) == 1, lines


def test_wrong_codes_spread_over_more_than_a_minute_do_not_lock(server, clock):
    guess(server.url, 4)
    clock.advance(60)
    guess(server.url, 4)
    assert enrol(server.url, Payer(SigningKey.generate())).status_code == 201
    guess(server.url, 1)  # the fifth within the last minute
    assert enrol(server.url, Payer(SigningKey.generate())).status_code == 429


def test_a_rotation_needs_no_code_and_is_not_locked_out(server):
    old = new_payer(server.url)
    guess(server.url, 5)
    new = Payer(SigningKey.generate(), old.bank_bin, old.account)
    response = enrol(server.url, new, code=None, endorsed_by=old.key)
    assert response.status_code == 201 and response.json()["retired_kid"] == old.key.kid


@pytest.mark.parametrize("code", ["BOOTH-2026", "short-code-15ch", "with space in it 1234", "é" * 20])
def test_a_weak_or_unprintable_fixed_code_is_refused(tmp_path, code):
    with pytest.raises(ValueError, match="16 to 128"):
        create_app(tmp_path / "weak.sqlite3", enrol_code=code)


def test_a_random_code_is_four_groups_of_unmistakable_characters_and_never_looks_like_an_option():
    codes = {random_enrolment_code() for _ in range(2_000)}
    assert len(codes) == 2_000 and all(RANDOM_CODE.fullmatch(code) for code in codes)
    assert enrolment_code_problem(next(iter(codes))) is None


def test_a_fixed_code_that_looks_like_an_option_is_refused(tmp_path):
    with pytest.raises(ValueError, match="must not start with '-'"):
        create_app(tmp_path / "dash.sqlite3", enrol_code="-" + "x" * 20)


def test_a_short_code_kept_by_an_earlier_version_is_replaced_by_a_random_one(tmp_path):
    path = tmp_path / "kept.sqlite3"
    ledger = Ledger(path)
    ledger.set_setting("enrol_code", "BOOTH-2026")  # --enrol-code once took 8 characters
    ledger.close()
    app = create_app(path)
    code = app.state.acquirer.enrol_code
    app.state.acquirer.close()
    assert code != "BOOTH-2026" and RANDOM_CODE.fullmatch(code)
    again = create_app(path)  # kept from then on
    assert again.state.acquirer.enrol_code == code
    again.state.acquirer.close()
