"""The booth's shared code binds no key to an account the payer names, over real HTTP on 127.0.0.1
with a real SQLite ledger, through ``payer-app keys enrol`` and through the window's Settings.

The takeover this file attacks: the owner has not enrolled at this acquirer yet, so the acquirer
has never heard of the account; a thief who knows the booth's code names the owner's real account
number first. The shared code only opens a new demo account that the acquirer numbers
(``POST /v1/demo-accounts``); a named account needs a one-time code for it (``payer-app acquirer
codes issue --account``) or an endorsement by its key."""

from __future__ import annotations

import pytest
from PySide6.QtTest import QTest

from payer_app.core.keys import SigningKey
from payer_app.core.refusals import Refusal
from payer_app.payments.acquirer.activation import issue_code
from payer_app.payments.keystore import KeyStore
from tests.acquirer_helpers import CODE, AcquirerClock, Payer, enrol, http_get, post, start_server, token_for
from tests.cli_in_process import run

OWNER_BIN, OWNER_ACCOUNT = "970436", "0011001234567"
REFUSED = "shared-code-names-account"


@pytest.fixture
def served(tmp_path):
    clock = AcquirerClock()
    ledger = tmp_path / "acquirer.sqlite3"
    server = start_server(ledger, clock=clock)
    server.ledger, server.clock = ledger, clock
    yield server
    server.stop()


def key_state(url: str, kid: str) -> tuple[int, str]:
    """(HTTP status, the key's state): (404, "not-found") for a key the acquirer has no binding of."""
    answer = http_get(f"{url}/v1/keys/{kid}", timeout=10)
    body = answer.json()
    return answer.status_code, body["status"] if answer.status_code == 200 else body["error"]


def test_the_shared_code_naming_an_account_never_seen_here_binds_no_key(served):
    squatter = Payer(SigningKey.generate(), OWNER_BIN, "5550001112")  # no key, code or balance for it here
    refused = enrol(served.url, squatter, code=CODE)
    assert refused.status_code == 403, refused.text
    body = refused.json()
    assert body["error"] == REFUSED
    assert "/v1/demo-accounts" in body["message"] and "codes issue --account" in body["message"]
    assert body["message_vi"] and body["message_vi"] != body["message"]
    assert key_state(served.url, squatter.key.kid) == (404, "not-found")
    paid = post(served.url, token_for(squatter, served.url))
    assert paid.status_code == 403 and paid.json()["error"] == "key-not-enrolled"


def test_a_thief_who_names_the_owners_account_first_gets_nothing_and_the_owner_enrols_later(served):
    thief = Payer(SigningKey.generate(), OWNER_BIN, OWNER_ACCOUNT)
    first = enrol(served.url, thief, code=CODE)
    assert first.status_code == 403 and first.json()["error"] == REFUSED, first.text
    # The owner comes later, with a code the operator issued for the account.
    code, _ = issue_code(served.ledger, OWNER_BIN, OWNER_ACCOUNT, minutes=10, now=served.clock())
    owner = Payer(SigningKey.generate(), OWNER_BIN, OWNER_ACCOUNT)
    enrolled = enrol(served.url, owner, code=code)
    assert enrolled.status_code == 201, enrolled.text
    assert post(served.url, token_for(owner, served.url)).status_code == 201
    # The thief's key has nothing: not enrolled, pays nothing, and asking again changes nothing.
    assert key_state(served.url, thief.key.kid) == (404, "not-found")
    assert post(served.url, token_for(thief, served.url)).json()["error"] == "key-not-enrolled"
    again = enrol(served.url, thief, code=CODE)
    assert again.status_code == 403 and again.json()["error"] == REFUSED
    assert key_state(served.url, owner.key.kid) == (200, "active")


def test_the_shared_code_enrols_no_key_already_bound_again_either(served):
    """A key bound with a per-account code, sent again with the booth's code: refused the same way
    (the booth's code binds nothing on ``POST /v1/keys``), the binding itself untouched."""
    code, _ = issue_code(served.ledger, OWNER_BIN, OWNER_ACCOUNT, minutes=10, now=served.clock())
    owner = Payer(SigningKey.generate(), OWNER_BIN, OWNER_ACCOUNT)
    assert enrol(served.url, owner, code=code).status_code == 201
    again = enrol(served.url, owner, code=CODE)
    assert again.status_code == 403 and again.json()["error"] == REFUSED
    assert key_state(served.url, owner.key.kid) == (200, "active")


def test_keys_enrol_with_only_the_shared_code_says_the_refusal_and_what_to_do_in_one_line(served, capsys, payer_home):
    status, out, err = run(capsys, "keys", "enrol", "--acquirer", served.url, "--code", CODE)
    assert status == 2, (out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("payer-app: error: "), err
    assert REFUSED in lines[0] and "Traceback" not in err
    assert "payer-app acquirer codes issue --account 970436/0011001234567" in lines[0]
    assert "demo" in lines[0]
    kid = KeyStore(payer_home).current().kid
    assert key_state(served.url, kid) == (404, "not-found")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_settings_enrolment_block_shows_the_refusal(qtbot, make_window, served, lang):
    from payer_app.gui.settings import Settings, save_settings
    from tests.gui_helpers import click

    save_settings(Settings(acquirer_url=served.url, language=lang))
    window = make_window(camera="demo", lang=lang)
    click(qtbot, window.home.settings_button)
    screen = window.settings_screen
    QTest.keyClicks(screen.enrol_code, CODE)
    click(qtbot, screen.enrol_button)
    qtbot.waitUntil(lambda: screen.enrol_button.isEnabled(), timeout=15_000)
    expected = Refusal(REFUSED, account=f"{OWNER_BIN}/{OWNER_ACCOUNT}").text(lang)
    assert screen.enrol_status.isVisible() and screen.enrol_status.text() == expected
    assert screen.enrol_status.property("role") == "error"
