"""settings.json is a file from outside too: it is read under the key-file rules of
``payer_app/files.py`` (no symbolic link followed, a FIFO or a device refused at once, the size
capped, refused when other users can change it or when it is another user's). Each refusal is one
line naming the file and the reason; the window still opens, on the default settings, and says so.

The files that could hang the start or fill its memory (a FIFO, a link to /dev/zero) run ``payer-app
gui --verbose`` as a real process (offscreen) and wait for its ``window shown`` line; a hung start
fails on the line timeout, a memory hog on the memory cap. The file others can write cannot do either:
the window built in this process shows its refusal (``test_the_window_says_it_runs_on_defaults``).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from payer_app.gui.settings import MAX_SETTINGS_BYTES, Settings, read_settings, save_settings, settings_path
from tests.gui_helpers import tr
from tests.process_lines import SHOWN, killed_if_left_running, stderr_lines, stop_with_sigterm, wait_for_line

ROOT = Path(__file__).resolve().parents[1]
MEMORY_CAP = 2 * 1024 ** 3  # the window needs about 0.5 GB of address space; /dev/zero would need all
FOREIGN_URL = "http://203.0.113.7:8765"  # someone else's acquirer (documentation address)


def fifo(path: Path) -> None:
    os.mkfifo(path)


def link_to_dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def world_writable(path: Path) -> None:
    path.write_text(json.dumps({"acquirer_url": FOREIGN_URL}), encoding="utf-8")
    path.chmod(0o666)


HOSTILE = {"fifo": (fifo, "FIFO", "not-regular"), "dev-zero-link": (link_to_dev_zero, "symbolic link", "symlink"),
           "world-writable": (world_writable, "other users", "open-to-others")}


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


@pytest.mark.parametrize("kind", ["dev-zero-link", "fifo"])
def test_the_window_opens_on_defaults_and_says_why(payer_home, kind):
    make, reason, _ = HOSTILE[kind]
    payer_home.mkdir(mode=0o700, parents=True, exist_ok=True)
    make(payer_home / "settings.json")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PAYER_APP_HOME=str(payer_home))
    proc = subprocess.Popen([sys.executable, "-m", "payer_app", "gui", "--verbose", "--camera", "demo"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_cap_memory)
    seen: list[str] = []
    with killed_if_left_running(proc):
        lines = stderr_lines(proc)
        wait_for_line(lines, SHOWN, seen)
        stop_with_sigterm(proc, lines, seen)
    warnings = [line for line in seen if line.startswith("payer-app: warning:")]
    assert len(warnings) == 1, seen
    assert "settings.json" in warnings[0] and reason in warnings[0] and "default settings" in warnings[0]
    assert not any("Traceback" in line for line in seen)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_each_hostile_file_is_one_line_and_the_defaults(payer_home, kind):
    make, says, reason = HOSTILE[kind]
    payer_home.mkdir(mode=0o700, parents=True, exist_ok=True)
    make(settings_path())
    settings, problem = read_settings()
    assert settings == Settings()
    assert problem is not None and problem.reason == reason and "\n" not in problem.line
    assert "settings.json" in problem.line and says in problem.line


def test_a_file_of_another_user_is_refused(payer_home):
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    save_settings(Settings(acquirer_url=FOREIGN_URL))
    os.chown(settings_path(), 65534, 65534)
    settings, problem = read_settings()
    assert settings.acquirer_url == "" and "belongs to user id 65534" in problem.line and problem.reason == "not-yours"


def test_an_oversized_file_is_refused_before_reading(payer_home):
    payer_home.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings_path().write_text(json.dumps({"acquirer_url": FOREIGN_URL, "pad": "x" * MAX_SETTINGS_BYTES}))
    settings, problem = read_settings()
    assert settings == Settings() and "at most" in problem.line and problem.reason == "too-large"


def test_a_file_that_is_not_json_is_said_and_a_missing_one_is_not(payer_home):
    assert read_settings() == (Settings(), None)  # first start: nothing to say
    payer_home.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings_path().write_text("{not json", encoding="utf-8")
    settings, problem = read_settings()
    assert settings == Settings() and "settings.json" in problem.line and "JSON" in problem.line
    assert problem.reason == "not-json"


def test_a_good_file_written_by_the_app_is_read_back(payer_home):
    save_settings(Settings(acquirer_url="http://127.0.0.1:8765", sound=False))
    assert read_settings() == (Settings(acquirer_url="http://127.0.0.1:8765", sound=False), None)


def test_the_window_says_it_runs_on_defaults(make_window, payer_home):
    payer_home.mkdir(mode=0o700, parents=True, exist_ok=True)
    world_writable(settings_path())
    window = make_window(camera="demo", lang="en")
    assert window.ctx.settings.acquirer_url == ""  # the foreign acquirer is not used
    assert window.toast.isVisible()
    assert window.toast.text() == tr("settings.file_refused", "en", file=str(settings_path()),
                                     problem=tr("settings.refusal.open-to-others", "en"))
    # Said while the window was still being built, the notice follows it to its shown size: whole
    # and centred near the bottom, not clipped at the left edge where the unbuilt window ended.
    for size in ((1280, 720), (900, 1000)):
        window.resize(*size)
        toast = window.toast.geometry()
        assert window.rect().contains(toast), (size, toast)
        assert abs(toast.center().x() - window.width() // 2) <= 1, (size, toast)
