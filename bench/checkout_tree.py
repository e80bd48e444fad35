"""Which checkout's ``payer_app`` a benchmark measures: ``--tree DIR`` on its command line (another
checkout of this repository, to compare two versions side by side), else the one the benchmark lies in.
A benchmark calls ``use_tree()`` before it imports ``payer_app``."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def use_tree(argv: list[str] | None = None) -> Path:
    """The measured checkout first on ``sys.path`` (this one after it, for the helpers of bench/ and
    tests/ that the benchmark uses); returns the measured checkout."""
    argv = sys.argv if argv is None else argv
    tree = Path(argv[argv.index("--tree") + 1]).resolve() if "--tree" in argv[:-1] else ROOT
    sys.path.insert(0, str(tree))
    if tree != ROOT:
        sys.path.insert(1, str(ROOT))
    return tree
