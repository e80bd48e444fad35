"""``payer-app`` command line: a thin shell over the services of core, scan, studio, qa and payments.

Each subcommand lives in its own module with a ``register(subparsers)`` function that adds its
parser (``options.add_command``) and sets ``func`` (called with the parsed arguments, returns the
exit code). The exit codes are the same for every command (docs/cli.md, ``exits.py``): ``EXIT_OK`` 0 done,
``EXIT_NO`` 1 the answer is no, ``EXIT_USAGE`` 2 usage or input error (argparse exits 2 too),
``EXIT_PENDING`` 3 no answer yet, ``EXIT_UNREADABLE`` 4 an input could not be read (a file-by-file
scan). The answer goes to standard output; every error, warning and
progress line to standard error, never a traceback.

May import every payer_app package but ``gui`` (only ``gui_cmd`` starts the window, lazily).
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sqlite3
import sys
from collections.abc import Mapping

from payer_app import __version__
from payer_app.cli.exits import EXIT_INTERRUPTED, EXIT_OK, EXIT_PENDING, EXIT_USAGE, NoAnswerError, UsageError
from payer_app.paths import DataFolderError

# Each command and the module that registers it, in the order `payer-app --help` lists them. A command
# run by name imports its own module only (`payer-app parse` loads no HTTP client, no OpenCV, no Qt):
# every process a user or a script starts pays only for what its command does.
COMMAND_MODULES = {
    "parse": "payer_app.cli.parse_cmd",
    "generate": "payer_app.cli.generate_cmd",
    "scan": "payer_app.cli.scan_cmd",
    "qa": "payer_app.cli.qa_cmd",
    "pay": "payer_app.cli.pay_cmd",
    "verify": "payer_app.cli.verify_cmd",
    "keys": "payer_app.cli.keys_cmd",
    "accounts": "payer_app.cli.accounts_cmd",
    "acquirer": "payer_app.cli.acquirer_cmd",
    "history": "payer_app.cli.history_cmd",
    "receipt": "payer_app.cli.receipt_cmd",
    "bill": "payer_app.cli.bill_cmd",
    "lookup": "payer_app.cli.lookup_cmd",
    "saved-bills": "payer_app.cli.saved_bills_cmd",
    "settings": "payer_app.cli.settings_cmd",
    "gui": "payer_app.cli.gui_cmd",
    "booth": "payer_app.cli.booth_cmd",
}


def build_parser(only: str | None = None) -> tuple[argparse.ArgumentParser, Mapping[str, argparse.ArgumentParser]]:
    """The top-level parser and its subcommand parsers by name; with ``only``, the parser of that one
    command alone (what ``main`` needs to run a command named on the command line)."""
    from payer_app.cli.options import CommandParser, finish_commands

    parser = CommandParser(
        prog="payer-app",
        description="Payer simulator for Vietnamese payment QR codes (EMVCo / VietQR / EVN bills). "
                    "Without a command: the window (payer-app gui).",
        epilog="Exit codes, the same for every command: 0 done, 1 the answer is no, 2 usage or input "
               "error, 3 no answer yet (pending), 4 an input could not be read (scan, qa merge: every check "
               "passed, some file could not be read). Answers on standard output, errors on standard error.",
    )
    parser.add_argument("--version", action="version", version=f"payer-app {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command, module in COMMAND_MODULES.items():
        if only is None or command == only:
            importlib.import_module(module).register(sub)
    finish_commands(parser)
    return parser, sub.choices


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    if not args_list:
        args_list = ["gui"]  # no arguments: open the window, as `make run` does
    # A command named first needs only its own parser; anything else (--help, --version, a mistyped
    # command) gets the whole parser, which lists every command.
    parser, _ = build_parser(only=args_list[0] if args_list[0] in COMMAND_MODULES else None)
    args = parser.parse_args(args_list)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or EXIT_OK)
    except UsageError as exc:
        return print_error(str(exc))
    except NoAnswerError as exc:
        from payer_app.core.display_text import visible

        print(f"payer-app: no answer: {visible(str(exc))}", file=sys.stderr)
        return EXIT_PENDING
    except DataFolderError as exc:  # PAYER_APP_HOME is a file, or a folder that cannot be made
        return print_error(exc.strerror or str(exc))
    except sqlite3.Error as exc:  # a damaged history, saved-bills or ledger file: left as it is
        return print_error(f"a data file cannot be used: {exc} (in {_data_folder_name()}; a damaged file is "
                           "left as it is)")
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


def _data_folder_name() -> str:
    from payer_app.paths import data_home

    try:
        return str(data_home())
    except OSError:
        return "the data folder"


def print_error(message: str) -> int:
    """One line ``payer-app: error: MESSAGE`` on standard error; returns EXIT_USAGE. Messages quote
    file names and payload text: shown escaped, whatever the command."""
    from payer_app.core.display_text import visible

    print(f"payer-app: error: {visible(message)}", file=sys.stderr)
    return EXIT_USAGE


def read_text_argument(value: str) -> str:
    """A payload given on the command line, or '-' for standard input (bytes decoded as UTF-8;
    undecodable bytes become U+FFFD so the parser reports them instead of crashing).

    At most ``MAX_INPUT_CHARS`` + 2 characters are read from standard input: longer text cannot
    come from a QR code, and ``parse_payload`` refuses it from its length alone."""
    from payer_app.core.payload import MAX_INPUT_CHARS

    if value != "-":
        # argv keeps undecodable bytes as lone surrogates; treat them as standard input does.
        return os.fsencode(value).decode("utf-8", errors="replace")
    reader = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace", newline="")
    try:
        text = reader.read(MAX_INPUT_CHARS + 2)
    finally:
        reader.detach()  # leave sys.stdin usable
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    return text
