"""Shell lines as the pages show them: a command, its `# comment`, and the exit the comment names
(``# exit 2``), for the tests that run the README's and docs/ commands."""

from __future__ import annotations

import re


def strip_comment(line: str) -> tuple[str, str]:
    """(command, comment): a comment is `#` after white space, outside quotes."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


def expected_exit(comment: str) -> int:
    """The exit code a line's comment names (``exit N``), 0 when it names none."""
    found = re.search(r"\bexit (\d+)\b", comment)
    return int(found.group(1)) if found else 0
