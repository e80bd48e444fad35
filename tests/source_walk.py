"""Walking a module's source for the checks that read the code (tests/test_lint.py,
tests/test_comment_references.py)."""

from __future__ import annotations

import ast


def statements(tree: ast.AST) -> list[ast.AST]:
    """The module and every statement in it at any depth (what can be an import or carry a docstring):
    blocks are walked, the expressions in them are not."""
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        found.append(node)
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            block = getattr(node, name, None)
            if isinstance(block, list):
                todo.extend(block)
    return found
