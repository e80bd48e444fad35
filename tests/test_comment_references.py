"""Comments, docstrings and docs point only at things a reader can open in this repository: no tracker
numbers ("issue 9"), no notes kept elsewhere (a ``DEVELOPERS.md``), and every file path they name exists.
A fact from a standard is cited by the standard's name and section ("EMVCo MPM Book §4.7").
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

from tests.source_walk import statements

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("payer_app", "tests", "bench", "scripts", "docs")
TEXT_SUFFIXES = {".md", ".sh", ".txt"}

TRACKER = re.compile(r"\bissues? ?#?\d+|(?<![\w&/])#\d{1,4}\b(?!\s*(?:[:=]|\d))", re.IGNORECASE)
ELSEWHERE = re.compile(r"DEVELOPERS\.md|\.\./shared\b|/work/")
PATH = re.compile(r"(?<![\w./<>{}*~$-])((?:\.{1,2}/)?(?:[\w.-]+/)*[\w-]+"
                  r"\.(?:py|md|json|csv|toml|qss|sh|txt|html|js|css))\b")
# files the product keeps in its data folder, and files a command makes or reads in examples of its use:
# named in comments and docs, but not files of the repository
MADE_AT_RUN_TIME = {"settings.json", "public_keys.json", "report.html", "bills.json", "manifest.json",
                    "qa-report.html", "video.json", "r.json", "expect.json", "x.py", "names.csv",
                    "accounts.json", "accounts.csv", "team.csv", "file.csv", "summary.json", "shard-2.json",
                    "sK.json", "s500.json", "h500.html"}
# names in capitals stand for any file, as in a command's synopsis
PLACEHOLDERS = {"SHARD.json", "OUT.json", "OUT.html", "OUT.xml", "FILE.json", "FILE.csv"}


def repository_files() -> set[str]:
    return {p.relative_to(ROOT).as_posix() for top in (*SCANNED, "resources") for p in (ROOT / top).rglob("*")
            if p.is_file()} | {p.name for p in ROOT.iterdir() if p.is_file()}


REPOSITORY = repository_files()
# each repository path and each of its tails after a "/" (``acquirer/server.py``, ``server.py``)
REPOSITORY_TAILS = REPOSITORY | {f.split("/", cut)[-1] for f in REPOSITORY for cut in range(1, f.count("/") + 1)}
HASH = re.compile("#")


def scanned_files() -> list[Path]:
    files = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and (path.suffix == ".py" or path.suffix in TEXT_SUFFIXES):
                files.append(path)
    return files


def hash_tails(text: str) -> list[tuple[int, str]]:
    """(line, text) of each piece of a line from a ``#`` to the line's end: every comment is one of them
    (the others start at a ``#`` inside a string). Found without the tokenizer, which costs most of
    this check's time: a file none of whose pieces has a problem has none in its comments."""
    return [(number, line[at:]) for number, line in enumerate(text.splitlines(), start=1)
            for at in (found.start() for found in HASH.finditer(line))]


def comments(text: str) -> list[tuple[int, str]]:
    return [(tok.start[0], tok.string) for tok in tokenize.generate_tokens(io.StringIO(text).readline)
            if tok.type == tokenize.COMMENT]


def prose(path: Path, text: str, comments=comments) -> list[tuple[int, str]]:
    """(line, text) of what a reader reads as prose: a Python file's comments and docstrings, every
    line of a text file (``comments``: how the comments are found, ``hash_tails`` for a quick look)."""
    if path.suffix != ".py":
        return list(enumerate(text.splitlines(), start=1))
    out = comments(text)
    for node in statements(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                for offset, line in enumerate(body[0].value.value.splitlines()):
                    out.append((body[0].lineno + offset, line))
    return out


def path_exists(name: str, near: Path) -> bool:
    """A path as a comment names it: from the repository root, from the comment's folder, or the tail of
    a repository path (``acquirer/server.py``, ``payload.py`` in a table of ``payer_app/core``)."""
    if Path(name).name in MADE_AT_RUN_TIME | PLACEHOLDERS:
        return True
    if (near.parent / name).resolve().is_relative_to(ROOT) and (near.parent / name).exists():
        return True
    return name.removeprefix("./") in REPOSITORY_TAILS


def problems(path: Path, text: str) -> list[str]:
    """What ``path``'s prose points at wrongly. A Python file is read first with ``hash_tails`` for its
    comments (which finds every comment, and more): only if that finds something is it tokenized."""
    if path.suffix == ".py" and not problems_in(path, prose(path, text, hash_tails)):
        return []
    return problems_in(path, prose(path, text))


def problems_in(path: Path, prose_lines: list[tuple[int, str]]) -> list[str]:
    where = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    found = []
    for line, words in sorted(prose_lines, key=lambda pair: pair[0]):
        for match in TRACKER.finditer(words):
            found.append(f"{where}:{line}: tracker number {match.group(0)!r}")
        for match in ELSEWHERE.finditer(words):
            found.append(f"{where}:{line}: points outside the repository: {match.group(0)!r}")
        for match in PATH.finditer(words):
            if not path_exists(match.group(1), path):
                found.append(f"{where}:{line}: no such file in the repository: {match.group(1)!r}")
    return found


def test_comments_and_docs_point_only_into_the_repository():
    found = []
    for path in scanned_files():
        if path == Path(__file__).resolve():
            continue  # its own examples below
        found += problems(path, path.read_text(encoding="utf-8"))
    assert not found, "\n".join(found)


def test_the_scan_finds_each_kind_of_outside_pointer(tmp_path):
    source = tmp_path / "example.py"
    text = '''"""Fixed for issue 9, see DEVELOPERS.md."""

LIMIT = 4  # as spec/README.md says (#12); payer_app/core/payload.py has the parser
COLOUR = "#12, issue 3"  # a string, not prose: not read
'''
    found = problems(source, text)
    assert [f.split(": ", 1)[1] for f in found] == [
        "tracker number 'issue 9'",
        "points outside the repository: 'DEVELOPERS.md'",
        "no such file in the repository: 'DEVELOPERS.md'",
        "tracker number '#12'",
        "no such file in the repository: 'spec/README.md'",
    ]  # and payer_app/core/payload.py exists
    markdown = tmp_path / "page.md"
    assert problems(markdown, "Measured in issue 14 item 2, see ../shared/spec/README.md.\n") == [
        "page.md:1: tracker number 'issue 14'",
        "page.md:1: points outside the repository: '../shared'",
        "page.md:1: no such file in the repository: '../shared/spec/README.md'",
    ]
