"""``payer-app`` run in the test's own process: its exit code and what it wrote, read through pytest's
``capsys``."""

from __future__ import annotations


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``payer-app ARGV...`` through ``payer_app.cli.main``: (exit code, stdout, stderr)."""
    from payer_app.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
