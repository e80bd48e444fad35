"""The data folder follows PAYER_APP_HOME, like qutebrowser's standarddir tests use a temporary home."""

import os
import stat

from payer_app import paths


def test_override_is_used_and_created(tmp_path, monkeypatch):
    target = tmp_path / "nested" / "home"
    monkeypatch.setenv("PAYER_APP_HOME", str(target))
    assert paths.data_home() == target
    assert target.is_dir()
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert paths.data_file("history.sqlite3") == target / "history.sqlite3"


def test_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PAYER_APP_HOME", "~/payer")
    assert paths.data_home() == tmp_path / "payer"


def test_default_is_per_user_platform_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("PAYER_APP_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert paths.data_home() == tmp_path / "xdg" / "payer_app"


def test_tests_never_touch_the_real_home(payer_home):
    assert os.environ["PAYER_APP_HOME"] == str(payer_home)
    assert paths.data_home() == payer_home
