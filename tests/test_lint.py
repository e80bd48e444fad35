"""The linter runs with the suite: a new violation fails `make test`. Its rule set is in pyproject.toml."""

from __future__ import annotations

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
