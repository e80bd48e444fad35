"""Where the QA reports go: every path checked before the scan starts, every file written atomically.

``check_report_paths`` is called before the first picture is read: a report that could not be
written at the end (no such folder, a folder in the way, no permission, the same file for two
reports) is one error line at once, not after an hour of scanning. ``write_report`` writes a temporary
file in the same folder and renames it over the target (``files.write_file_atomically``): a reader
(a CI step, a browser) sees the old report or the new one, never half of one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from payer_app.core.display_text import visible


class ReportPathError(ValueError):
    """A report path that cannot be written; the message names the option and the file."""


def check_report_paths(paths: dict[str, str | None]) -> None:
    """``{"--junit": PATH or None, ...}``: raises ReportPathError for the first one that cannot be
    written, or for two options naming the same file."""
    seen: dict[str, str] = {}
    for option, path in paths.items():
        if not path:
            continue
        target = Path(path)
        cannot = f"{option}: cannot write the file {visible(path, 200)}"
        resolved = os.path.realpath(target)
        if resolved in seen:
            raise ReportPathError(f"{cannot}: {seen[resolved]} names it too")
        seen[resolved] = option
        folder = target.parent
        if not folder.is_dir():
            raise ReportPathError(f"{cannot}: no such folder {visible(str(folder), 200)}")
        if target.is_dir():
            raise ReportPathError(f"{cannot}: it is a folder")
        if target.exists() and not target.is_file():
            raise ReportPathError(f"{cannot}: not a regular file")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ReportPathError(f"{cannot}: no permission to write in {visible(str(folder), 200)}")


def write_report(path: str, text: str, what: str, command: str = "scan") -> bool:
    """Write ``text`` atomically; False (after one line on standard error) when it cannot be written."""
    from payer_app.files import write_file_atomically

    try:
        write_file_atomically(Path(path), text.encode("utf-8"))
        return True
    except OSError as exc:
        print(f"payer-app: {command}: cannot write the {what} {visible(path, 200)}: {visible(exc.strerror or exc)}",
              file=sys.stderr)
        return False
