"""``payer-app settings operator-pin`` as a user runs it (a real process, the PIN on standard input):
the PIN is stored as a salted hash only, the other settings are kept, a bad PIN or a refused settings
file is one line and exit 2 with nothing written."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from payer_app.core.operator_pin import hash_pin, is_stored_pin, pin_matches
from payer_app.gui.settings import Settings, load_settings, save_settings, settings_path

ROOT = Path(__file__).resolve().parents[1]


def operator_pin(home: Path, stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "payer_app", "settings", "operator-pin"], input=stdin,
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=dict(os.environ, PAYER_APP_HOME=str(home)))


def test_the_pin_is_kept_as_a_salted_hash_and_the_other_settings_stay(payer_home):
    save_settings(Settings(acquirer_url="http://127.0.0.1:8765", language="en"))
    done = operator_pin(payer_home, "135790\n")
    assert done.returncode == 0, done.stderr
    assert "Operator PIN set" in done.stdout and done.stderr == ""
    text = settings_path().read_text(encoding="utf-8")
    assert "135790" not in text
    settings = load_settings()
    assert (settings.acquirer_url, settings.language) == ("http://127.0.0.1:8765", "en")
    assert pin_matches(settings.operator_pin_hash, "135790") and not pin_matches(settings.operator_pin_hash, "246810")
    assert stat.S_IMODE(settings_path().stat().st_mode) == 0o600
    first = settings.operator_pin_hash
    assert operator_pin(payer_home, "135790\n").returncode == 0
    assert load_settings().operator_pin_hash != first  # a fresh salt each time


@pytest.mark.parametrize("stdin, says", [("12345\n", "exactly 6 digits"), ("12ab56\n", "exactly 6 digits"),
                                         ("1234567\n", "exactly 6 digits"), ("", "no operator PIN")])
def test_a_bad_pin_is_one_line_exit_2_and_nothing_is_written(payer_home, stdin, says):
    done = operator_pin(payer_home, stdin)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("payer-app: error:") and says in done.stderr and done.stderr.count("\n") == 1
    assert not settings_path().exists()


def test_a_refused_settings_file_is_not_replaced(payer_home):
    payer_home.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings_path().write_text(json.dumps({"acquirer_url": "http://203.0.113.7:8765"}), encoding="utf-8")
    settings_path().chmod(0o666)
    before = settings_path().read_bytes()
    done = operator_pin(payer_home, "135790\n")
    assert done.returncode == 2 and "other users" in done.stderr and "not set" in done.stderr
    assert settings_path().read_bytes() == before


def test_the_stored_form_is_checked_before_scrypt_runs():
    stored = hash_pin("135790", salt=bytes(16))
    assert is_stored_pin(stored) and pin_matches(stored, "135790")
    scheme, log2_n, r, p, salt, digest = stored.split("$")
    assert not is_stored_pin("$".join((scheme, "30", r, p, salt, digest)))  # 16 GiB of memory: refused
    assert not is_stored_pin(stored + "x") and not is_stored_pin("135790") and not is_stored_pin(None)
    with pytest.raises(ValueError):
        hash_pin("12345")


def test_settings_without_an_action_is_a_usage_error(payer_home):
    done = subprocess.run([sys.executable, "-m", "payer_app", "settings"], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=dict(os.environ, PAYER_APP_HOME=str(payer_home)))
    assert done.returncode == 2 and done.stdout == ""
    assert "settings needs an action: operator-pin" in done.stderr and "Traceback" not in done.stderr
