"""The marks of the end-to-end tests on a private X screen: ``X_SCREEN`` (xserver, slow; skipped where
Xvfb, openbox or xdotool is missing) and ``X_SCREEN_AND_CHROMIUM`` (also browser, and skipped without
Debian's chromium and chromium-driver). Under CI (``CI=true``) the set-up must have installed the tools and the
browser: a missing one fails there instead of skipping."""

from __future__ import annotations

import os

import pytest

from tests.e2e.acquirer import CHROMEDRIVER, CHROMIUM
from tests.e2e.xserver import missing_tools

UNDER_CI = os.environ.get("CI") == "true"

X_SCREEN = [
    pytest.mark.xserver,
    pytest.mark.slow,
    pytest.mark.skipif(bool(missing_tools()) and not UNDER_CI,
                       reason="Xvfb, openbox or xdotool is not installed (scripts/ensure_system_packages.sh)"),
]
X_SCREEN_AND_CHROMIUM = [
    *X_SCREEN,
    pytest.mark.browser,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER) and not UNDER_CI,
                       reason="needs Debian's chromium and chromium-driver (scripts/ensure_system_packages.sh)"),
]
