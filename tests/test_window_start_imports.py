"""What a window loads when it starts: not the libraries it never uses (each one's code and data stay
resident for the window's whole life). Counted in a fresh process, as ``payer-app gui`` starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import sys
from payer_app.gui.app import create_window, ensure_application
ensure_application()
window = create_window(camera="demo", kiosk=False, lang="en")
window.show()
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
window.close()
"""

# the HTTP client is for an acquirer over the network (Settings); the window's embedded acquirer and
# the servers' frameworks are not needed to show the window, nor the HTTP acquirer's event loop and
# verifier processes (asyncio, multiprocessing: 5 MiB), nor TLS (ssl: 1.6 MiB, an https:// camera's)
NOT_AT_START = ("httpx", "starlette", "uvicorn", "reportlab", "sse_starlette", "asyncio", "multiprocessing", "ssl")


def test_the_window_starts_without_the_http_client_or_the_servers(payer_home):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PAYER_APP_HOME=str(payer_home))
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, check=True, timeout=300,
                         capture_output=True, text=True).stdout
    loaded = set(out.split())
    assert "PySide6" in loaded  # the listing is real
    assert not loaded & set(NOT_AT_START), f"loaded at start: {sorted(loaded & set(NOT_AT_START))}"


SCAN_CHILD = r"""
import sys
from payer_app.scan.engine import decode_frame
from payer_app.scan.source_specs import make_source
camera = make_source("demo:fast")
camera.open()
found = [d.text for d in decode_frame(camera.read().image)]
camera.close()
print(len(found), " ".join(sorted({name.split(".")[0] for name in sys.modules} | {
    name for name in sys.modules if name.startswith("payer_app.studio")})))
"""

# drawing the demo bill (Pillow, FreeType, HarfBuzz, fonts, segno: ~20 MB resident, and segno brings
# urllib.request, email, http and ssl) is done once, by a child process (scan/demo_camera.py)
NOT_WHILE_SCANNING = ("PIL", "segno", "payer_app.studio", "email", "http", "ssl", "asyncio")


def test_scanning_with_the_demo_camera_leaves_the_drawing_libraries_out(payer_home):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PAYER_APP_HOME=str(payer_home))
    out = subprocess.run([sys.executable, "-c", SCAN_CHILD], cwd=ROOT, env=env, check=True, timeout=300,
                         capture_output=True, text=True).stdout
    found, *loaded = out.split()
    assert found == "1" and "cv2" in loaded  # the bill was filmed and read
    assert not set(loaded) & set(NOT_WHILE_SCANNING), f"loaded: {sorted(set(loaded) & set(NOT_WHILE_SCANNING))}"
