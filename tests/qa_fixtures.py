"""Shared set-up for the QA kit tests (tests/test_qa_*.py): one small generated corpus per session."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.media import write_qr_png

CORPUS_COUNT = 16  # every payload fault on a clean picture, then the first image conditions


@pytest.fixture(scope="session")
def qa_corpus_master(tmp_path_factory) -> Path:
    from payer_app.studio.corpus import generate_corpus

    directory = tmp_path_factory.mktemp("qa-corpus") / "corpus"
    generate_corpus(directory, CORPUS_COUNT, seed=3)
    return directory


@pytest.fixture
def qa_corpus(qa_corpus_master, tmp_path) -> Path:
    """A private copy of the corpus, free to tamper with."""
    target = tmp_path / "corpus"
    shutil.copytree(qa_corpus_master, target)
    return target


def read_manifest(directory: Path) -> dict:
    return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


HOSTILE_TEXT = '<script>document.title="pwned"</script><img src=x onerror="document.title=1"> \x1b[31m red & "q"'


@pytest.fixture
def qa_mixed_folder(qa_corpus_master, tmp_path) -> Path:
    """A folder with a good bill QR, a QR holding markup and a terminal escape, a blank picture and
    a file that is not a picture; plus expect.json expecting the bill QR and the hostile text."""
    import cv2
    import numpy as np

    folder = tmp_path / "mixed"
    folder.mkdir()
    entry = next(e for e in read_manifest(qa_corpus_master)["entries"] if e["expected"]["valid"])
    shutil.copy(qa_corpus_master / entry["file"], folder / "a-bill.png")
    write_qr_png(folder / "b-hostile.png", HOSTILE_TEXT)
    cv2.imwrite(str(folder / "c-blank.png"), np.full((240, 320, 3), 250, np.uint8))
    (folder / "d-broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    (tmp_path / "expect.json").write_text(json.dumps({
        "a-bill.png": entry["payload"],
        "b-hostile.png": HOSTILE_TEXT,
        "c-blank.png": {"payload": entry["payload"]},
        "d-broken.png": {"found": False},
    }), encoding="utf-8")
    return folder
