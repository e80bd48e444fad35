"""What the hostile inputs (tests/hostile_files.py) cost: peak memory and time of the real ``payer-app``.

Makes each input (tests/hostile_files.py), runs the command with no memory limit, and prints the
exit code, the command's own peak resident memory (wait4 rusage, through the small launcher of
``hostile_files.run_measured``), CPU and wall time, and the line that says what happened. Also runs
a plain scan of a small bill picture for comparison. The CPU budget (every hostile input
refused within 5 s of CPU, interpreter start included) is checked here, not in the tests.

The window's Open is measured too: this file run with ``--window-open PICTURE`` opens the real
window (offscreen), opens the picture as File > Open does and prints what the window says.

Run: .venv/bin/python bench/hostile_input_bench.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import hostile_files as hostile  # noqa: E402
from tests.media import qr_array, write_image  # noqa: E402
from tests.spec_vectors import EVN_BILL  # noqa: E402

CPU_BUDGET_S = 5.0  # a hostile input is refused within this much CPU time


def measure(args: list[str], cwd: Path, stdin_path: Path | None = None) -> tuple[int, float, float, float, str]:
    started = time.monotonic()
    program = [sys.executable, __file__] if args[0] == "--window-open" else None
    run = hostile.run_measured(args, cwd, stdin_path, timeout=600, program=program)
    wall_s = time.monotonic() - started
    text = (run.stdout if program else run.stdout + run.stderr).decode("utf-8", "replace")  # Qt's warnings
    message = next((line for line in text.splitlines() if "refused" in line or "longer than" in line
                    or "not read" in line or "zbar" in line or "format" in line),
                   text.strip().splitlines()[-1] if text.strip() else "")
    return run.returncode, run.peak_rss_mb, run.cpu_s, wall_s, message.strip()[:110]


def phone_photo(source: Path, path: Path) -> Path:
    """A 50-megapixel phone photo (8160x6144 JPEG, quality 90): ``source`` resized."""
    import cv2

    cv2.imwrite(str(path), cv2.resize(cv2.imread(str(source), cv2.IMREAD_COLOR), (8160, 6144)),
                [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def a4_scan_16_bit(source: Path, path: Path) -> Path:
    """An A4 page scanned at 600 dpi in 48-bit colour (4960x7016, 16-bit RGB): a corner of
    ``source`` (which holds the QR code) widened to 16 bits."""
    import cv2
    import numpy as np

    page = cv2.imread(str(source), cv2.IMREAD_COLOR)[:7016, :4960].astype(np.uint16) * 257
    cv2.imwrite(str(path), page)
    return path


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        os.environ.setdefault("PAYER_APP_HOME", str(tmp / "home"))
        zeros = tmp / "zeros.txt"
        zeros.write_bytes(b"0" * 10_000_000)
        cases = [
            (
                "plain scan, 1 small bill picture",
                ["scan", str(write_image(tmp / "bill.png", qr_array(EVN_BILL)))],
                None,
            ),
            ("parse - < 10 MB of 0", ["parse", "-"], zeros),
            ("parse --json - < 10 MB of 0", ["parse", "--json", "-"], zeros),
            ("scan 30000x30000 JPEG", ["scan", str(hostile.jpeg_bomb(tmp / "bomb.jpg"))], None),
            ("scan 30000x30000 PNG", ["scan", str(hostile.png_bomb(tmp / "bomb.png"))], None),
            ("pay 30000x30000 PNG", ["pay", "--amount", "1000", str(tmp / "bomb.png")], None),
            ("scan 218 kB JPEG of 5,000 scans", ["scan", str(hostile.jpeg_scan_bomb(tmp / "scans.jpg"))], None),
            ("scan 6 GB sparse file", ["scan", str(hostile.sparse_file(tmp / "huge.png"))], None),
            ("scan 12000x12000 MJPG video", ["scan", str(hostile.video_bomb(tmp / "bomb.avi"))], None),
            ("scan 16-bit RGBA PNG 8190x8190", ["scan", str(hostile.rgba_png(tmp / "deep16.png", EVN_BILL))], None),
            ("pay 16-bit RGBA PNG 8190x8190", ["pay", "--amount", "1000", str(tmp / "deep16.png")], None),
            ("window Open 16-bit RGBA PNG", ["--window-open", str(tmp / "deep16.png")], None),
            (
                "scan 8-bit RGBA PNG 8192x8192",
                ["scan", str(hostile.rgba_png(tmp / "rgba8.png", EVN_BILL, side=8192, bits=8))],
                None,
            ),
            ("window Open 8-bit RGBA 8192x8192", ["--window-open", str(tmp / "rgba8.png")], None),
            ("scan Radiance HDR 8192x8192 .hdr", ["scan", str(hostile.radiance_picture(tmp / "bright.hdr"))], None),
            ("scan the same named .png", ["scan", str(hostile.radiance_picture(tmp / "bright.png"))], None),
            ("scan 50-MP JPEG 8160x6144", ["scan", str(phone_photo(tmp / "rgba8.png", tmp / "phone.jpg"))], None),
            (
                "scan 16-bit RGB PNG 4960x7016 (A4)",
                ["scan", str(a4_scan_16_bit(tmp / "rgba8.png", tmp / "a4.png"))],
                None,
            ),
        ]
        sizes = {name: (tmp / name).stat().st_size for name in ("bomb.jpg", "bomb.png", "deep16.png", "rgba8.png")}
        print(f"inputs: JPEG bomb {sizes['bomb.jpg']} bytes, PNG bomb {sizes['bomb.png'] / 1000:.0f} kB, "
              f"16-bit PNG {sizes['deep16.png'] / 1000:.0f} kB, 8-bit RGBA PNG {sizes['rgba8.png'] / 1000:.0f} kB, "
              "sparse file 6 GiB, 10,000,000 characters of '0'")
        print(f"{'input':<34} {'exit':>4} {'peak RSS':>9} {'CPU':>7} {'wall':>7}  message")
        over = []
        for label, args, stdin_path in cases:
            code, rss, cpu, wall, message = measure(args, tmp, stdin_path)
            print(f"{label:<34} {code:>4} {rss:>6.0f} MB {cpu:>6.2f}s {wall:>6.2f}s  {message}")
            if cpu >= CPU_BUDGET_S:
                over.append(label)
    print(f"CPU budget {CPU_BUDGET_S:g} s per command: " + ("all within" if not over else "OVER: " + ", ".join(over)))
    return 1 if over else 0


def window_open(picture: str) -> int:
    """The real window, offscreen, opening ``picture`` as File > Open does; prints what it says."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer

    from payer_app.gui.app import create_window, ensure_application

    app = ensure_application()
    window = create_window(camera="demo", lang="en")
    window.present()
    loop = QEventLoop()
    said: list[str] = []
    window.scan_adapter.image_decoded.connect(lambda results, name: (said.append(
        f"read, {len(results)} QR code(s): {results[0].text[:40] if results else ''}"), loop.quit()))
    window.scan_adapter.image_failed.connect(lambda message: (said.append(message), loop.quit()))
    QTimer.singleShot(0, lambda: window.open_image(picture))
    QTimer.singleShot(300_000, loop.quit)
    loop.exec()
    print(said[0] if said else "no answer in 300 s")
    window.scan.stop()
    app.processEvents()
    return 0 if said else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--window-open"]:
        sys.exit(window_open(sys.argv[2]))
    sys.exit(main())
