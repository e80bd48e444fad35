"""A command imports what it does and no more: ``payer-app parse`` (what QA scripts run by the
thousand) loads no HTTP client, no server, no OpenCV and no Qt. ``main`` builds the parser of the one
command named first; the table of commands in ``payer_app/cli/__init__.py`` must say which module
registers which command, and each command's parser built alone must be the one the whole parser holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from payer_app.cli import COMMAND_MODULES, build_parser
from payer_app.cli.options import every_command
from tests.spec_vectors import EVN_BILL

PAYER_APP = Path(sys.executable).parent / "payer-app"
# Packages `parse` has no use for; each costs a process tens to hundreds of milliseconds to import.
NOT_FOR_PARSE = ("httpx", "uvicorn", "starlette", "PySide6", "cv2", "numpy", "cryptography")


def imported_modules(*argv: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run the installed ``payer-app`` with Python's import log on; the modules the process imported."""
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    done = subprocess.run([str(PAYER_APP), *argv], env=env, capture_output=True, text=True, timeout=120)
    modules = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
               if line.startswith("import time:") and "|" in line}
    return done, modules


def test_parse_imports_no_http_client_server_opencv_or_qt():
    done, modules = imported_modules("parse", "--json", EVN_BILL)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "payer_app.core.payload" in modules, "the import log was not read"
    loaded = sorted({name.split(".")[0] for name in modules} & set(NOT_FOR_PARSE))
    assert loaded == [], f"payer-app parse imported {loaded}"


def test_parse_help_imports_no_other_command():
    done, modules = imported_modules("parse", "--help")
    assert done.returncode == 0 and "usage: payer-app parse" in done.stdout, done.stderr[-2000:]
    others = sorted(m for m in modules if m.startswith("payer_app.cli.") and m.endswith("_cmd")
                    and m != COMMAND_MODULES["parse"])
    assert others == []


def test_the_command_table_lists_every_command_in_help_order():
    _, commands = build_parser()
    assert list(commands) == list(COMMAND_MODULES)


def _described(parser) -> list[tuple[tuple[str, ...], str]]:
    return [(path, command.format_help()) for path, command in every_command(parser)]


@pytest.mark.parametrize("name", list(COMMAND_MODULES))
def test_a_command_built_alone_is_the_command_of_the_whole_parser(name):
    whole, _ = build_parser()
    alone, commands = build_parser(only=name)
    assert list(commands) == [name]
    assert _described(alone) == [(path, text) for path, text in _described(whole) if path[0] == name]
