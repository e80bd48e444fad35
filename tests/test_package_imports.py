"""The import rules of docs/architecture.md hold: each package imports only the payer_app packages and
the outside libraries its row of the table lists (every import counts, lazy ones inside functions too).

The table is read from the page itself, so the page and the code cannot drift apart: a new import
is either a mistake or a change of the rules, written in the table first. ``core``'s stricter
allowlist (standard library included) is tests/test_architecture.py's."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "payer_app"
DOC = ROOT / "docs" / "architecture.md"


def documented_rules() -> dict[str, tuple[set[str], set[str]]]:
    """{package: (payer_app packages it may import, outside libraries it may import)} from the table."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| package | what lives there | may import"))
    rules = {}
    for line in lines[start + 2:]:
        if not line.startswith("| `"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        name = cells[0].strip("`")
        packages = set(re.findall(r"`([a-z_]+)`", cells[2]))
        if cells[2].startswith("every package"):
            packages = {p for p in all_packages() if p != name}
        libraries = {w.strip() for w in cells[3].split(",") if w.strip()}
        rules[name] = (packages, libraries)
    return rules


def all_packages() -> list[str]:
    """payer_app's packages and top-level modules (files.py, paths.py...), by import name."""
    names = [p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    names += [p.stem for p in PACKAGE.glob("*.py") if not p.name.startswith("__")]
    return sorted(names)


def imports_of(name: str) -> dict[str, set[str]]:
    """{imported top-level name (payer_app.X as X, outside libraries as themselves): files importing it}."""
    path = PACKAGE / name
    files = sorted(path.rglob("*.py")) if path.is_dir() else [PACKAGE / f"{name}.py"]
    found: dict[str, set[str]] = {}
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                target = parts[1] if parts[0] == "payer_app" and len(parts) > 1 else parts[0]
                if parts[0] == "payer_app" and len(parts) == 1:
                    target = "payer_app"  # the package root: __version__
                found.setdefault(target, set()).add(str(file.relative_to(ROOT)))
    return found


def test_the_table_has_a_row_for_every_package():
    assert set(documented_rules()) == set(all_packages())


@pytest.mark.parametrize("name", all_packages())
def test_a_package_imports_only_what_its_row_allows(name):
    packages, libraries = documented_rules()[name]
    allowed = packages | {name, "payer_app", "resources", "__future__"} | set(sys.stdlib_module_names)
    allowed |= libraries  # as `import` names them: cv2, PIL, PySide6...
    wrong = {target: sorted(files) for target, files in imports_of(name).items() if target not in allowed}
    assert not wrong, f"{name} imports what docs/architecture.md does not allow it: {wrong}"


def test_no_package_but_gui_imports_qt():
    for name in all_packages():
        if name != "gui":
            assert "PySide6" not in imports_of(name), name
