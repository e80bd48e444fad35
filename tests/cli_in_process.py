"""``payer-app`` run in the test's own process: its exit code and what it wrote, read through pytest's
``capsys`` (or ``capfd``, which also catches what a library writes to the file descriptors)."""

from __future__ import annotations


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``payer-app ARGV...`` through ``payer_app.cli.main``: (exit code, stdout, stderr). An exit the
    argument parser makes itself (``SystemExit``) gives its code, as the process would end with it."""
    from payer_app.cli import main

    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    out, err = capsys.readouterr()
    return code, out, err
