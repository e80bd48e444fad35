"""``payer-app`` command line: a thin shell over the services in payer_app.

Each subcommand lives in its own module with a ``register(subparsers)`` function that adds its
parser and sets ``func`` (called with the parsed arguments, returns the exit code).
Exit codes: 0 success, 1 the input was checked and found wanting (invalid, nothing found...),
2 usage error or unusable input (argparse also exits 2).
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys

from payer_app import __version__

# Subcommand modules, in the order `payer-app --help` lists them.
COMMAND_MODULES = [
    "payer_app.cli.parse_cmd",
    "payer_app.cli.generate_cmd",
    "payer_app.cli.scan_cmd",
    "payer_app.cli.pay_cmd",
    "payer_app.cli.verify_cmd",
    "payer_app.cli.keys_cmd",
    "payer_app.cli.acquirer_cmd",
    "payer_app.cli.history_cmd",
    "payer_app.cli.bill_cmd",
    "payer_app.cli.saved_bills_cmd",
    "payer_app.cli.gui_cmd",
]


class UsageError(Exception):
    """Raised by a subcommand for unusable input; printed as 'payer-app: error: ...', exit 2."""


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and its subcommand parsers by name."""
    parser = argparse.ArgumentParser(
        prog="payer-app",
        description="Payer simulator for Vietnamese payment QR codes (EMVCo / VietQR / EVN bills).",
    )
    parser.add_argument("--version", action="version", version=f"payer-app {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser, sub.choices


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    parser, commands = build_parser()
    if not args_list:
        # No arguments: open the window, as `make run` does.
        if "gui" not in commands:
            parser.print_help()
            return 2
        args_list = ["gui"]
    args = parser.parse_args(args_list)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        # Messages quote file names and payload text: shown escaped, whatever the command.
        from payer_app.core.display_text import visible

        print(f"payer-app: error: {visible(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


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
