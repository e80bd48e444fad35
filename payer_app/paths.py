"""Where payer_app keeps its per-user data (keys, history, saved bills, ledger, settings).

``PAYER_APP_HOME`` overrides the platform default, so tests and kiosks can point the
whole app at one folder. Imports the standard library, platformdirs and ``core.display_text``.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "PAYER_APP_HOME"


class DataFolderError(OSError):
    """The data folder cannot be created or is not a folder; the message says which and how to fix."""


def data_home() -> Path:
    """The data folder, created on first use (mode 0700: it holds the private key)."""
    override = os.environ.get(ENV_VAR)
    path = Path(override).expanduser() if override else Path(platformdirs.user_data_dir("payer_app", appauthor=False))
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        from payer_app.core.display_text import visible

        raise DataFolderError(exc.errno, f"the data folder {visible(str(path), 200)} cannot be used: "
                              f"{exc.strerror or exc}; set {ENV_VAR} to a folder you can write") from None
    return path


def data_file(name: str) -> Path:
    """A file inside the data folder (the folder is created, the file is not)."""
    return data_home() / name
