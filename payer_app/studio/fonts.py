"""Fonts for printed bills: Noto Sans (fonts-noto-core), which has every Vietnamese diacritic."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

# Where Debian's fonts-noto-core puts the fonts, then other common places; PAYER_APP_FONT_DIR first.
FONT_DIRS = (
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/noto",
    "/usr/local/share/fonts",
    "/usr/share/fonts/truetype/dejavu",
)
FONT_FILES = {
    False: ("NotoSans-Regular.ttf", "DejaVuSans.ttf"),
    True: ("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf"),
}


class FontNotFoundError(RuntimeError):
    """No font able to print Vietnamese text was found."""


@lru_cache(maxsize=4)
def font_path(bold: bool = False) -> Path:
    """The TrueType file used for regular or bold bill text; raises FontNotFoundError with a fix."""
    dirs = list(FONT_DIRS)
    extra = os.environ.get("PAYER_APP_FONT_DIR")
    if extra:
        dirs.insert(0, extra)
    for name in FONT_FILES[bold]:
        for folder in dirs:
            candidate = Path(folder) / name
            if candidate.is_file():
                return candidate
    raise FontNotFoundError(
        "no font with Vietnamese diacritics found (looked for "
        + ", ".join(FONT_FILES[bold])
        + " in "
        + ", ".join(dirs)
        + "); install the Debian package fonts-noto-core or set PAYER_APP_FONT_DIR to a folder holding "
        "NotoSans-Regular.ttf and NotoSans-Bold.ttf"
    )
