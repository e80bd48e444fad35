"""Architecture rules checked on the source text (``ast``), not by running the product.

1. ``payer_app/core`` is pure: it imports only what ``may_import`` allows (pure standard-library
   modules, the cryptography primitives and ``payer_app.core`` itself) and never calls the builtin
   ``open``. Nothing there touches files, Qt, OpenCV, image arrays or the network, so
   payload parsing, amounts, the request model and signing run and test anywhere. The list is an
   allowlist on purpose: a new import must be thought about and added here with its reason.
2. No function in ``payer_app/``, ``tests/``, ``bench/`` or ``scripts/`` is over ``MAX_FUNCTION_LINES``
   lines, except Qt widget construction (``__init__`` and ``_build*`` methods of classes under
   ``payer_app/gui/``). Long procedures are a flat run of small named steps.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "payer_app" / "core"

# --- 1. the pure core ---------------------------------------------------------------------------
# Pure standard-library modules: text, numbers, dates, data classes, hashing, JSON and CSV parsing of
# text already in memory; ``threading`` too (threads are not files: a lock around a cache is pure).
# Not here on purpose: os, pathlib, io, tempfile, shutil, fcntl, glob, sqlite3, socket, ssl, http,
# urllib, subprocess, logging (configurable handlers write files), and every GUI / image / network package.
PURE_STDLIB = frozenset({
    "__future__", "abc", "base64", "binascii", "bisect", "collections", "collections.abc", "copy", "csv",
    "dataclasses", "datetime", "decimal", "enum", "fractions", "functools", "hashlib", "hmac", "itertools",
    "json", "math", "operator", "re", "secrets", "string", "threading", "typing", "unicodedata", "uuid",
})
# Cryptographic primitives (Ed25519) as pure functions over bytes and key objects.
CRYPTO_PACKAGES = ("cryptography",)
CORE_PACKAGE = "payer_app.core"
# The narrow exceptions: the NAPAS bank directory, EVN's collection payees and the authentication thresholds
# ship inside the package and are read through importlib.resources (package data, read-only, works from a
# wheel or a zip). Moving them out would make every ``parse_payload`` caller pass them; each read is one
# line (``_bundled_directory``, ``_bundled_payees``, ``_bundled_policy``).
NARROW_EXCEPTIONS = {name: frozenset({"importlib.resources"})
                     for name in ("bank_directory.py", "evn_payees.py", "auth_policy.py")}
FORBIDDEN_CALLS = frozenset({"open", "__import__", "exec", "eval", "compile"})


def may_import(module: str, file_name: str) -> bool:
    """True when a core module called ``file_name`` may import ``module`` (a dotted name)."""
    if module in PURE_STDLIB or module in NARROW_EXCEPTIONS.get(file_name, ()):
        return True
    top = module.split(".")[0]
    return top in CRYPTO_PACKAGES or module == CORE_PACKAGE or module.startswith(CORE_PACKAGE + ".")


def import_problems(tree: ast.AST, file_name: str) -> list[str]:
    """'line: imports ...' for each import statement that brings in something core may not import.
    ``import a, b``: each name must be allowed. ``from a import b, c``: ``a`` must be allowed, or else
    each ``a.b`` (so ``from importlib import resources`` is judged as ``importlib.resources``)."""
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
            refused = [name for name in names if not may_import(name, file_name)]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, CORE_PACKAGE)
            names = [f"{base}.{alias.name}" for alias in node.names]
            refused = [] if may_import(base, file_name) else [name for name in names if not may_import(name, file_name)]
        else:
            continue
        if refused:
            problems.append(f"{node.lineno}: imports {', '.join(refused)}")
    return problems


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(parts + ([node.module] if node.module else []))


def core_problems(source: str, file_name: str) -> list[str]:
    """Every import a core module may not make and every forbidden builtin call, as 'line: what'."""
    tree = ast.parse(source)
    problems = import_problems(tree, file_name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            problems.append(f"{node.lineno}: calls {node.func.id}()")
    return problems


def _core_files() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_core_imports_only_pure_modules():
    problems = [f"{path.relative_to(ROOT)}:{problem}" for path in _core_files()
                for problem in core_problems(path.read_text(encoding="utf-8"), path.name)]
    assert not problems, "payer_app/core must stay pure (see may_import in tests/test_architecture.py):\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("source", [
    "import os", "import os.path", "from pathlib import Path", "import io", "import tempfile", "import shutil",
    "import fcntl", "import glob", "import sqlite3", "import socket", "import ssl", "import http.client",
    "from urllib.parse import urlsplit", "import subprocess", "from PySide6.QtCore import QObject",
    "import cv2", "import numpy", "from pyzbar import pyzbar", "import httpx", "import requests",
    "import starlette", "import uvicorn", "from payer_app.payments import keystore", "import payer_app.gui",
    "from payer_app import files", "from .. import files", "from importlib import resources",
    "import importlib", "def f():\n    import os\n", "open('x')", "__import__('os')",
    "from payer_app.payments.keystore import KeyStore", "from payer_app.files import write_file_atomically",
    "import re, os",
])
def test_the_core_rule_catches_each_kind_of_impure_code(source):
    assert core_problems(source, "payload.py"), f"not caught: {source!r}"


@pytest.mark.parametrize("source", [
    "from __future__ import annotations", "import re", "from dataclasses import dataclass",
    "from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey",
    "from payer_app.core.payload import parse_payload", "from payer_app.core import evn", "from . import evn",
    "from collections.abc import Iterable",
])
def test_the_core_rule_lets_pure_imports_through(source):
    assert core_problems(source, "payload.py") == []


def test_package_data_read_is_allowed_in_the_bank_directory_only():
    assert core_problems("from importlib import resources", "bank_directory.py") == []
    assert core_problems("from importlib import resources", "payload.py")


def test_core_package_docstring_states_the_rule():
    doc = ast.get_docstring(ast.parse((CORE / "__init__.py").read_text(encoding="utf-8"))) or ""
    assert "test_architecture" in doc and "import" in doc


def test_every_package_says_what_lives_there():
    silent = [init.relative_to(ROOT).as_posix() for init in sorted((ROOT / "payer_app").rglob("__init__.py"))
              if len(ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or "") < 40]
    assert not silent, f"give these packages a docstring saying what lives there: {silent}"


# --- 2. short functions -----------------------------------------------------------------------------
MAX_FUNCTION_LINES = 60
CHECKED_FOLDERS = ("payer_app", "tests", "bench", "scripts")


def long_functions(source: str, path: str) -> dict[str, int]:
    """``{"path::qualified.name": lines}`` for each function over the limit, Qt construction aside."""
    found: dict[str, int] = {}

    def visit(node: ast.AST, names: list[str], in_class: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, names + [child.name], True)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = child.end_lineno - child.lineno + 1
                if lines > MAX_FUNCTION_LINES and not _is_widget_construction(path, child.name, in_class):
                    found[f"{path}::{'.'.join(names + [child.name])}"] = lines
                visit(child, names + [child.name], False)
            else:
                visit(child, names, in_class)

    visit(ast.parse(source), [], False)
    return found


def _is_widget_construction(path: str, name: str, in_class: bool) -> bool:
    return in_class and path.startswith("payer_app/gui/") and (name == "__init__" or name.startswith("_build"))


def _all_long_functions() -> dict[str, int]:
    found: dict[str, int] = {}
    for folder in CHECKED_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            found.update(long_functions(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix()))
    return found


def test_no_function_is_over_sixty_lines():
    offenders = _all_long_functions()
    listing = "\n".join(f"{lines} lines: {name}" for name, lines in sorted(offenders.items(), key=lambda x: -x[1]))
    assert not offenders, f"split these into named steps (at most {MAX_FUNCTION_LINES} lines):\n{listing}"


def test_the_length_rule_counts_lines_and_spares_widget_construction():
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    long_function = f"def f():\n{body}\n"
    assert long_functions(long_function, "payer_app/core/x.py") == {"payer_app/core/x.py::f": 62}
    sixty_lines = "\n".join(long_function.splitlines()[:60]) + "\n"
    assert long_functions(sixty_lines, "a.py") == {}
    widget = f"class W:\n    def __init__(self):\n{body.replace('    ', '        ')}\n"
    assert long_functions(widget, "payer_app/gui/w.py") == {}
    assert long_functions(widget, "payer_app/cli/w.py") == {"payer_app/cli/w.py::W.__init__": 62}
