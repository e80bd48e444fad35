"""Light and dark palettes for the one stylesheet in ``resources/app.qss``, and the app font."""

from __future__ import annotations

import math
import re
from importlib import resources
from string import Template

from PySide6.QtGui import QFont

PALETTES: dict[str, dict[str, str]] = {
    "light": {
        "bg": "#F2F5F4", "card": "#FFFFFF", "text": "#1B2420", "muted": "#6B7A74", "line": "#DDE5E1",
        "brand": "#00875A", "brand_dark": "#005C3D", "brand_soft": "#E3F4EC", "brand_line": "#9FD6BD",
        "danger": "#C62828", "danger_soft": "#FDECEA", "warn": "#E0A100", "warn_soft": "#FFF7E0",
        "warn_text": "#7A5600", "focus": "#1565C0",
    },
    "dark": {
        "bg": "#0F1513", "card": "#1A2320", "text": "#E6EEEA", "muted": "#93A39C", "line": "#2C3833",
        "brand": "#1DB97F", "brand_dark": "#0A6B48", "brand_soft": "#163A2C", "brand_line": "#2A7557",
        "danger": "#FF6B6B", "danger_soft": "#3A1F1F", "warn": "#F2C14E", "warn_soft": "#3A3220",
        "warn_text": "#F2D48A", "focus": "#64B5F6",
    },
}


def stylesheet(theme: str = "light", scale: float = 1.0) -> str:
    """The stylesheet in a theme; ``scale`` > 1 enlarges every pixel size (the kiosk's big screen)."""
    template = resources.files("payer_app.resources").joinpath("app.qss").read_text(encoding="utf-8")
    palette = dict(PALETTES.get(theme, PALETTES["light"]))
    palette["check_icon"] = str(resources.files("payer_app.resources").joinpath("check-tick.svg")).replace("\\", "/")
    sheet = Template(template).safe_substitute(palette)
    if scale != 1.0:
        sheet = re.sub(r"(radius:\s*)?(\d+(?:\.\d+)?)px", lambda m: _scaled(m, scale), sheet)
    return sheet


def _scaled(match: re.Match, scale: float) -> str:
    """One ``Npx`` times ``scale``. A radius is rounded down: Qt draws square corners when a radius is more
    than half the side, so a disc (72 px wide, radius 36) stays a disc at any scale."""
    radius, size = match.group(1), float(match.group(2)) * scale
    return f"{radius or ''}{math.floor(size) if radius else round(size)}px"


def app_font() -> QFont:
    font = QFont("Noto Sans")
    font.setPointSizeF(10.5)
    font.setStyleStrategy(QFont.StyleStrategy.PreferAntialias)
    return font
