"""How a ``payer-app`` command is declared, and the options that mean the same in every command.

``add_command`` adds a subcommand with its one-line help and its description; ``add_command_group``
(or ``add_actions`` on a command) gives a command made of actions (``keys``, ``acquirer``,
``generate``, ``saved-bills``) its actions, and one clear usage error when none is given. An input
where ``-`` means standard input, ``--json``, ``--lang``, ``--acquirer URL`` and ``--amount N`` are
declared and read here, so that they are spelled, explained and checked alike everywhere.

Every parser is a ``CommandParser`` (a usage error is one line of ours), and ``finish_commands``
gives every command and action that does not declare ``--lang`` itself the common one, once all
are registered.
"""

from __future__ import annotations

import argparse
import sys

from payer_app.cli.exits import UsageError

LANGUAGES = ("en", "vi")
ENGLISH_ONLY = "language of the messages: en or vi (this command's messages are in English only)"


class CommandParser(argparse.ArgumentParser):
    """The parser of ``payer-app`` and, as argparse makes subparsers of their parent's class, of
    every command and action. A usage error is one line on standard error, exit 2:
    ``payer-app: error: MESSAGE (see payer-app COMMAND --help)``, naming the command whose
    arguments were wrong (argparse's own error prints the usage block first, and an unknown option
    after a command's arguments is said by the top-level parser, without the command)."""

    def parse_known_args(self, args=None, namespace=None):
        self._given = list(sys.argv[1:] if args is None else args)
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:  # said by the innermost command that was handed them
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras

    def error(self, message: str):
        from payer_app.cli.exits import EXIT_USAGE
        from payer_app.core.display_text import visible

        hint = self._dash_hint()
        self.exit(EXIT_USAGE, f"payer-app: error: {visible(message, 2000)}{visible(hint, 200)} "
                              f"(see {visible(self.prog, 200)} --help)\n")

    def _dash_hint(self) -> str:
        """A value that starts with ``-`` (a key id is base64url: one in 64 does) is taken for an
        option; when one was given and no ``--`` ends the options, the error says how to pass it."""
        given = getattr(self, "_given", [])
        if "--" in given:
            return ""
        for arg in given:
            value_like = not arg.startswith("--") or (len(arg) >= 32 and "=" not in arg)  # an id, not an option name
            if len(arg) > 2 and arg.startswith("-") and value_like and arg not in self._option_string_actions:
                return f"; a value that starts with '-' ({arg[:12]}...) goes after '--', e.g. -- {arg[:12]}..."
        return ""


def every_command(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(names, parser) of every command and action under ``parser``, nested ones too, in order."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield (*path, name), child
                yield from every_command(child, (*path, name))


def finish_commands(parser: argparse.ArgumentParser) -> None:
    """``--lang en|vi`` wherever the other options are, for every command: each command and action
    without a ``--lang`` of its own gets one. A command's default is en; an action's is left
    unset, so ``payer-app saved-bills --lang vi add ...`` keeps the vi its group was given."""
    for path, command in every_command(parser):
        if "--lang" in command._option_string_actions:
            continue
        default = "en" if len(path) == 1 else argparse.SUPPRESS
        command.add_argument("--lang", choices=LANGUAGES, default=default, help=ENGLISH_ONLY)


def add_command(sub, name: str, summary: str, description: str | None = None, func=None) -> argparse.ArgumentParser:
    """Add the subcommand NAME (``summary`` in ``payer-app --help``, ``description`` in its own
    help, default the summary); ``func(args) -> exit code`` runs it."""
    parser = sub.add_parser(name, help=summary, description=description or summary)
    if func is not None:
        parser.set_defaults(func=func)
    return parser


def add_actions(parser: argparse.ArgumentParser, command: str, dest: str):
    """The actions of a command group. Without one, the command fails with
    ``COMMAND needs an action: a, b or c`` (exit 2); the names come from the actions added."""
    actions = parser.add_subparsers(dest=dest, metavar="ACTION")

    def missing_action(args) -> int:
        names = list(actions.choices)
        listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)
        raise UsageError(f"{command} needs an action: {listed} (see payer-app {command} --help)")

    parser.set_defaults(func=missing_action)
    return actions


def add_command_group(sub, name: str, summary: str, description: str | None = None):
    """A command made of actions (``payer-app keys export``...): returns the subparsers its actions
    are added to (``add_command(actions, ...)``); the chosen action is ``args.action``."""
    return add_actions(add_command(sub, name, summary, description), name, dest="action")


def add_input_argument(parser: argparse.ArgumentParser, name: str, metavar: str, what: str) -> None:
    """The positional input NAME of a command: ``what``, or ``-`` to read standard input."""
    parser.add_argument(name, metavar=metavar, help=f"{what}, or - to read standard input")


def add_json_option(parser: argparse.ArgumentParser, what: str = "print the answer as JSON") -> None:
    parser.add_argument("--json", action="store_true", help=what)


def add_lang_option(parser: argparse.ArgumentParser, what: str = "messages") -> None:
    parser.add_argument("--lang", choices=LANGUAGES, default="en", help=f"language of the {what} (default en)")


def add_acquirer_option(parser: argparse.ArgumentParser, what: str, required: bool = False) -> None:
    """``--acquirer URL``: an HTTP acquirer, e.g. http://127.0.0.1:8765 (``what`` says what it is for)."""
    parser.add_argument("--acquirer", metavar="URL", required=required, help=what)


def add_amount_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--amount N`` in dong, as core reads a typed amount; read it back with ``amount_option``."""
    parser.add_argument("--amount", metavar="N", help=f"amount in dong (1000000, 1.000.000 or '1 000 000 ₫'): {what}")


def checked_option(option: str, text: str | None, convert, lang: str = "en"):
    """``convert(text)``, or None when the option was not given; the ValueError ``convert`` raises
    for a bad value becomes a usage error naming the option (in Vietnamese when the error has a
    ``detail_vi`` and ``lang`` is vi)."""
    if text is None:
        return None
    try:
        return convert(text)
    except ValueError as exc:
        detail = getattr(exc, "detail_vi", None) if lang == "vi" else None
        raise UsageError(f"{option}: {detail or exc}") from None


def amount_option(text: str | None, lang: str = "en") -> int | None:
    """The value of ``--amount`` in dong (core's rule: 1000000, 1.000.000 or '1 000 000 ₫'), None
    when not given; a bad amount is a usage error in the command's language."""
    from payer_app.core.amounts import parse_user_amount

    return checked_option("--amount", text, parse_user_amount, lang)
