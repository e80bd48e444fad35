"""Where payer_app keeps its per-user data (keys, history, logs, settings).

``PAYER_APP_HOME`` overrides the platform default, so tests and kiosks can point the
whole app at one folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "PAYER_APP_HOME"


def data_home() -> Path:
    """The data folder, created on first use (mode 0700: it holds the private key)."""
    override = os.environ.get(ENV_VAR)
    path = Path(override).expanduser() if override else Path(platformdirs.user_data_dir("payer_app", appauthor=False))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def data_file(name: str) -> Path:
    """A file inside the data folder (the folder is created, the file is not)."""
    return data_home() / name
