"""The headless commands never import Qt: a scan-only install (``pip install .``, no PySide6) runs
``scan``, ``parse``, ``verify`` and ``generate``, and ``gui`` says in one line which extra it needs.

Each command runs in a subprocess whose import system refuses PySide6 and shiboken6 as if they were
not installed, and notes every attempt on standard error: a command that tried, even one that caught
the ImportError and went on, fails here. tests/test_ci_snippets.py runs the same commands for real in
a clean virtualenv made by the CI snippets' install line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ATTEMPT = "qt-import-attempted:"

WITHOUT_QT = f"""
import sys

class NoQt:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6"):
            print("{ATTEMPT}" + name, file=sys.stderr, flush=True)
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, NoQt())
from payer_app.cli import main
sys.exit(main(sys.argv[1:]))
"""


def payer_app_without_qt(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", WITHOUT_QT, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def no_qt_attempt(done: subprocess.CompletedProcess) -> None:
    assert ATTEMPT not in done.stderr, f"the command imported Qt:\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-2000:]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    where = tmp_path_factory.mktemp("headless")
    done = payer_app_without_qt("generate", "corpus", "c", "--count", "6", "--seed", "0", cwd=where)
    no_qt_attempt(done)
    assert done.returncode == 0, done.stderr
    return where


def test_generate_corpus_and_scan_it_with_reports(corpus):
    done = payer_app_without_qt("scan", "c", "--expect", "c/manifest.json", "--junit", "j.xml", "--html", "r.html",
                                cwd=corpus)
    no_qt_attempt(done)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "6 pass" in done.stdout
    assert (corpus / "j.xml").stat().st_size and (corpus / "r.html").stat().st_size


def test_parse_and_verify(corpus):
    payload = json.loads((corpus / "c" / "manifest.json").read_text(encoding="utf-8"))["entries"][0]["payload"]
    done = payer_app_without_qt("parse", payload, "--json", cwd=corpus)
    no_qt_attempt(done)
    assert done.returncode in (0, 1) and json.loads(done.stdout)
    done = payer_app_without_qt("verify", "not.a.token", cwd=corpus)
    no_qt_attempt(done)
    assert done.returncode in (1, 2) and done.stderr.startswith("payer-app")


def test_generate_a_video_and_scan_it(corpus):
    done = payer_app_without_qt("generate", "video", "demo", "-o", "v.mp4", "--seconds", "1", "--seed", "1",
                                cwd=corpus)
    no_qt_attempt(done)
    assert done.returncode == 0, done.stderr
    done = payer_app_without_qt("scan", "v.mp4", "--json", cwd=corpus)
    no_qt_attempt(done)
    assert done.returncode == 0 and json.loads(done.stdout.splitlines()[0])["payload"], done.stderr


def test_the_window_names_the_extra_it_needs(corpus):
    done = payer_app_without_qt("gui", cwd=corpus)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("payer-app: error: the window cannot start: ")
    assert "pip install '.[gui]'" in lines[-1]
