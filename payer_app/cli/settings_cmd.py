"""``payer-app settings``: window settings that are set from the command line.

    payer-app settings operator-pin    # the kiosk operator PIN: asked twice on a terminal,
                                       # else one line read from standard input

The operator PIN opens a kiosk's Settings (long press on the greeting, or Ctrl+Alt+S). There is no
default PIN: until one is set, a kiosk's Settings stay locked. It is kept in ``settings.json`` (mode
0600) as a salted scrypt hash (``core.operator_pin``), never as the PIN itself; the other settings
in the file are kept as they are.

Exit codes: 0 set; 2 a PIN that is not six digits, two entries that differ, no PIN given, or a
settings file that is refused (the one line says which and why: fix or remove it first).
"""

from __future__ import annotations

import sys

from payer_app.cli.exits import EXIT_OK, UsageError
from payer_app.cli.options import add_command, add_command_group
from payer_app.core.display_text import visible

MAX_LINE_CHARS = 64  # a PIN line from standard input: six digits and a newline, never a whole file


def register(sub) -> None:
    actions = add_command_group(sub, "settings", "set the window's settings that are not set in the window",
                                "Settings of the window kept in the data folder (settings.json).")
    add_command(actions, "operator-pin", "set the kiosk operator PIN (asked twice; or one line on standard input)",
                "Set the PIN that opens Settings in kiosk mode (six digits). It is stored as a salted scrypt "
                "hash, never in clear. There is no default: without one a kiosk's Settings stay locked.",
                func=run_operator_pin)


def run_operator_pin(args) -> int:
    from dataclasses import replace

    from payer_app.core.operator_pin import hash_pin, pin_problem
    from payer_app.gui.settings import read_settings, save_settings

    settings, problem = read_settings()
    if problem:
        raise UsageError(f"{problem} The operator PIN was not set.")
    pin = _read_pin()
    if pin_problem(pin):
        raise UsageError(pin_problem(pin))
    path = save_settings(replace(settings, operator_pin_hash=hash_pin(pin)))
    print(f"Operator PIN set; a kiosk's Settings open with it (kept as a salted hash in {visible(str(path))}).")
    return EXIT_OK


def _read_pin() -> str:
    """The PIN: asked twice without echo on a terminal, else the first line of standard input."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline(MAX_LINE_CHARS)
        if not line:
            raise UsageError("no operator PIN given on standard input")
        return line.rstrip("\r\n")
    import getpass

    try:
        first = getpass.getpass("New operator PIN (6 digits): ")
        if not first:
            raise UsageError("no operator PIN given")
        second = getpass.getpass("The same PIN again: ")
    except EOFError:
        raise UsageError("no operator PIN given") from None
    if first != second:
        raise UsageError("the two PINs differ; the operator PIN was not set")
    return first
