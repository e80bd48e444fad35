"""The linter and the type checker run with the suite: a new violation fails `make test`. Their rules are in
pyproject.toml (ruff: [tool.ruff]; mypy: [tool.mypy], strict on payer_app.core; a few packages that only the
product's dependencies import are not followed, and a test checks that the product imports none of them)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.source_walk import statements

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("payer_app", "tests", "bench", "scripts")


class Imports(NamedTuple):
    """What the import checks of this file read in one Python file (the file is parsed once for them all)."""

    names: set[str]  # the top-level names of the modules it imports
    private: list[str]  # its imports of another module's private names
    reexports: list[str]  # for an ``__init__``: the names it re-exports


@pytest.fixture(scope="module")
def imports() -> dict[Path, Imports]:
    """Every Python file of the checked folders, parsed one at a time (the trees are not kept)."""
    found = {}
    for top in CHECKED:
        for path in sorted((ROOT / top).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found[path] = Imports(imported_names(tree), private_imports(tree),
                                  reexports(tree) if path.name == "__init__.py" else [])
    return found


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


def _mypy(*argv: str, cwd: Path = ROOT, cache: Path | None = None) -> subprocess.CompletedProcess:
    """mypy from nothing (no cache), or with ``cache``: a folder of this run's own, so that a later check
    reads the standard library's types from it instead of checking them again."""
    where = ["--cache-dir", str(cache)] if cache else ["--no-incremental", "--cache-dir", os.devnull]
    return subprocess.run([sys.executable, "-m", "mypy", *where, *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory) -> Path:
    """mypy's cache for the runs of this file: made empty, so the product is checked from nothing."""
    return tmp_path_factory.mktemp("mypy-cache")


def test_mypy_passes_on_the_product(mypy_cache):
    done = _mypy(cache=mypy_cache)  # the packages to check are in the configuration
    assert done.returncode == 0, done.stdout + done.stderr


def skipped_by_mypy(config: dict) -> set[str]:
    """The top-level names of the modules mypy's configuration does not follow (``follow_imports = "skip"``)."""
    return {module.split(".")[0] for override in config["tool"]["mypy"].get("overrides", [])
            if override.get("follow_imports") == "skip" for module in override["module"]}


def imported_names(tree: ast.AST) -> set[str]:
    """The top-level names of every module a file imports, lazy imports inside functions too."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_mypy_skips_only_packages_the_product_does_not_import(imports):
    """mypy does not analyse some packages that only the product's dependencies import (pyproject.toml
    says which and why): their types never reach payer_app. Skipping one that payer_app imports, or that it
    declares as a dependency, would turn what payer_app does with it into unchecked ``Any``."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    skipped = skipped_by_mypy(config)
    assert skipped, "no package is skipped: this test guards nothing"
    imported = {}
    for path, found in imports.items():
        if path.is_relative_to(ROOT / "payer_app"):
            for name in found.names & skipped:
                imported.setdefault(name, []).append(path.relative_to(ROOT).as_posix())
    assert not imported, f"mypy skips packages the product imports: {imported}"
    declared = {re.split(r"[ <>=!~;\[]", d, maxsplit=1)[0].lower().replace("-", "_")
                for d in config["project"]["dependencies"]}
    assert not skipped & declared, f"mypy skips dependencies the product declares: {sorted(skipped & declared)}"


def test_the_import_walk_finds_lazy_and_dotted_imports():
    tree = ast.parse("import h11.util\ndef f():\n    from idna import encode\n    from . import sibling\n")
    assert imported_names(tree) == {"h11", "idna"}


def _config_copy(folder: Path) -> None:
    """The project's configuration over a small package ``payer_app`` of its own in ``folder``."""
    (folder / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    for package in ("payer_app", "payer_app/core"):
        (folder / package).mkdir()
        (folder / package / "__init__.py").write_text("", encoding="utf-8")


@pytest.fixture(scope="module")
def small_product(tmp_path_factory, mypy_cache) -> subprocess.CompletedProcess:
    """mypy once over a small package under the project's configuration, holding what each test below
    looks for (one start of mypy, not one a test): a type error in an unannotated function outside core,
    and the same unannotated function in core and outside it."""
    folder = tmp_path_factory.mktemp("mypy")
    _config_copy(folder)
    # no annotations at all: checked anyway (check_untyped_defs), so the str + int is found
    (folder / "payer_app" / "shown.py").write_text("def label(count):\n    return 'n=' + 1\n", encoding="utf-8")
    untyped = "def total(values):\n    return sum(values)\n"
    (folder / "payer_app" / "core" / "sums.py").write_text(untyped, encoding="utf-8")
    (folder / "payer_app" / "sums.py").write_text(untyped, encoding="utf-8")
    return _mypy(cwd=folder, cache=mypy_cache)


def test_mypy_fails_on_a_type_error_anywhere_in_the_product(small_product):
    done = small_product
    assert done.returncode == 1, done.stdout + done.stderr
    assert "payer_app/shown.py:2: error" in done.stdout and "[operator]" in done.stdout


def test_mypy_is_strict_on_core_only(small_product):
    done = small_product
    assert done.returncode == 1, done.stdout + done.stderr
    assert "payer_app/core/sums.py:1: error" in done.stdout and "[no-untyped-def]" in done.stdout
    assert "payer_app/sums.py" not in done.stdout  # outside core an unannotated function is allowed


# one import path per name: a package's __init__ re-exports nothing, and a name shared between modules is
# public (a leading underscore says "only this module uses it") --------------------------------------------
def private_imports(tree: ast.AST) -> list[str]:
    return [f"{node.lineno}: {alias.name} from {node.module}" for node in statements(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("payer_app")
            for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]


def reexports(tree: ast.Module) -> list[str]:
    """Names an ``__init__`` imports from payer_app and does not use itself, or lists in ``__all__``."""
    imported = {alias.asname or alias.name: node.lineno for node in tree.body if isinstance(node, ast.ImportFrom)
                and (node.module or "").startswith("payer_app") for alias in node.names}
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    listed = any(isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets)
                 for node in tree.body)
    return [f"{line}: {name}" for name, line in imported.items() if name not in used] + (["__all__"] if listed else [])


def test_no_private_name_is_imported_from_another_module(imports):
    found = {path.relative_to(ROOT).as_posix(): hits.private for path, hits in imports.items() if hits.private}
    assert imports and not found


def test_no_package_re_exports_names(imports):
    found = {init.relative_to(ROOT).as_posix(): imports[init].reexports
             for init in sorted((ROOT / "payer_app").rglob("__init__.py"))}
    assert not {name: hits for name, hits in found.items() if hits}


def test_the_import_checks_find_a_private_import_and_a_re_export():
    tree = ast.parse("from payer_app.scan.sources import _cv2, Frame\nfrom os import _exit\n")
    assert private_imports(tree) == ["1: _cv2 from payer_app.scan.sources"]
    nested = ast.parse("def f():\n    try:\n        pass\n    except ImportError:\n        if True:\n"
                       "            from payer_app.core import _crc\n")
    assert private_imports(nested) == ["6: _crc from payer_app.core"]
    init = ast.parse("from payer_app.core.payload import parse_payload, Finding\n__all__ = ['parse_payload']\n"
                     "from payer_app.core.crc import crc16\n\ndef check():\n    return crc16\n")
    assert reexports(init) == ["1: parse_payload", "1: Finding", "__all__"]
