"""The linter and the type checker run with the suite: a new violation fails `make test`. Their rules are in
pyproject.toml (ruff: [tool.ruff]; mypy: [tool.mypy], strict on payer_app.core)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("payer_app", "tests", "bench", "scripts")


def _ruff(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_ruff_passes_on_the_whole_tree():
    done = _ruff("check", "--no-cache", "--output-format", "concise", *CHECKED)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_fails_on_a_new_violation(tmp_path):
    # the same configuration, one file with an unused import and an unsorted import block
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "bad.py").write_text("import sys\nimport os\n\nprint(os.sep)\n", encoding="utf-8")
    done = _ruff("check", "--no-cache", "--output-format", "concise", "bad.py", cwd=tmp_path)
    assert done.returncode == 1
    assert "F401" in done.stdout and "I001" in done.stdout


def _mypy(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull, *argv],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def test_mypy_passes_on_the_product():
    done = _mypy()  # the packages to check are in the configuration
    assert done.returncode == 0, done.stdout + done.stderr


def _config_copy(tmp_path: Path) -> None:
    """The project's configuration over a small package ``payer_app`` of its own in ``tmp_path``."""
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    for package in ("payer_app", "payer_app/core"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("", encoding="utf-8")


def test_mypy_fails_on_a_type_error_anywhere_in_the_product(tmp_path):
    _config_copy(tmp_path)
    # no annotations at all: checked anyway (check_untyped_defs), so the str + int is found
    (tmp_path / "payer_app" / "shown.py").write_text("def label(count):\n    return 'n=' + 1\n", encoding="utf-8")
    done = _mypy(cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "payer_app/shown.py:2: error" in done.stdout and "[operator]" in done.stdout


def test_mypy_is_strict_on_core_only(tmp_path):
    _config_copy(tmp_path)
    untyped = "def total(values):\n    return sum(values)\n"
    (tmp_path / "payer_app" / "core" / "sums.py").write_text(untyped, encoding="utf-8")
    (tmp_path / "payer_app" / "sums.py").write_text(untyped, encoding="utf-8")
    done = _mypy(cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "payer_app/core/sums.py:1: error" in done.stdout and "[no-untyped-def]" in done.stdout
    assert "payer_app/sums.py" not in done.stdout  # outside core an unannotated function is allowed
