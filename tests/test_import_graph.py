"""No import cycle anywhere in ``payer_app``, and no module too long to read (docs/architecture.md).

The graph is read from the source (``ast``): every import counts, the ones inside functions too (a
lazy import only hides a cycle until the day someone moves it to the top). ``from a import b``
leads to the module ``a.b`` when there is one, else to ``a``; ``import a.b`` leads to ``a.b``. A
module importing a submodule of its own package is not a cycle through the package's
``__init__.py``: only the named module counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "payer_app"
MAX_MODULE_LINES = 600


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_of(package: Path) -> dict[str, Path]:
    """{dotted module name: file} for every module of the package (``payer_app.payments.service``...)."""
    return {module_name(path, package.parent): path for path in sorted(package.rglob("*.py"))}


def _absolute_base(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    keep = len(parts) - node.level + (1 if is_package else 0)
    return ".".join(parts[:keep] + ([node.module] if node.module else []))


def imported_modules(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``source`` (the module ``module``) imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute_base(node, module, is_package)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # import a.b.name: the deepest module named
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def import_graph(package: Path) -> dict[str, set[str]]:
    modules = modules_of(package)
    known = set(modules)
    return {name: imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", known)
            for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a -> b -> ... -> a) through each group of modules that import each other."""
    return [_one_cycle(graph, set(group)) for group in tangled_groups(graph)]


def tangled_groups(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or through others: the strongly
    connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _one_cycle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & group):
                if nxt == start:
                    return paths[node] + [start]
                if nxt not in paths:
                    paths[nxt] = paths[node] + [nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle in {sorted(group)}")  # a strongly connected group always has one


def test_no_import_cycle_in_payer_app():
    graph = import_graph(PACKAGE)
    found = [f"{' -> '.join(_one_cycle(graph, set(group)))} (the group: {', '.join(group)})"
             for group in tangled_groups(graph)]
    assert not found, "these modules import each other (move what both need to a module both can import):\n" + \
        "\n".join(found)


def test_no_module_in_payer_app_is_over_the_line_limit():
    long = {str(path.relative_to(ROOT)): n for path in sorted(PACKAGE.rglob("*.py"))
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them by what they do): {long}"


# --- the checks themselves catch what they are for ------------------------------------------------
def _graph_of(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for name, text in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return import_graph(tmp_path / "pkg")


@pytest.mark.parametrize("a_imports", [
    "from pkg.b import thing",                      # at the top
    "def f():\n    from pkg.b import thing\n",      # inside a function (lazy)
    "from pkg import b",                            # a submodule named by from-import
    "import pkg.b",
    "from . import b",                              # relative
    "from .b import thing",
])
def test_a_cycle_is_found_whatever_the_import_form(tmp_path, a_imports):
    graph = _graph_of(tmp_path, {"__init__.py": "", "a.py": a_imports, "b.py": "def g():\n    import pkg.a\n"})
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_every_module_of_a_tangled_group_is_named(tmp_path):
    graph = _graph_of(tmp_path, {"__init__.py": "", "a.py": "import pkg.b\nimport pkg.c", "b.py": "import pkg.a",
                                 "c.py": "import pkg.a", "d.py": "import pkg.a"})
    assert tangled_groups(graph) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_a_longer_cycle_is_named_in_order(tmp_path):
    graph = _graph_of(tmp_path, {"__init__.py": "", "a.py": "import pkg.b", "b.py": "from pkg.sub import c",
                                 "sub/__init__.py": "", "sub/c.py": "from ..a import x"})
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]]


def test_one_way_imports_are_no_cycle(tmp_path):
    graph = _graph_of(tmp_path, {"__init__.py": "from pkg.a import x", "a.py": "from pkg import b\nimport json",
                                 "b.py": "from pkg.c import y", "c.py": ""})
    assert cycles(graph) == []
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.c"}
