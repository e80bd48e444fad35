"""What the hostile inputs of issue 9 cost: peak memory and time of the real ``payer-app``.

Makes each input (tests/hostile_files.py), runs the command with no memory limit, and prints the
exit code, the command's own peak resident memory (wait4 rusage, through the small launcher of
``hostile_files.run_measured``), CPU and wall time, and the line that says what happened. Also runs
a plain scan of a small bill picture for comparison. The CPU budget of issue 9 (every hostile input
refused within 5 s of CPU, interpreter start included) is checked here, not in the tests.

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


CPU_BUDGET_S = 5.0  # issue 9: a hostile input is refused within this much CPU time


def measure(args: list[str], cwd: Path, stdin_path: Path | None = None) -> tuple[int, float, float, float, str]:
    started = time.monotonic()
    run = hostile.run_measured(args, cwd, stdin_path, timeout=600)
    wall_s = time.monotonic() - started
    text = (run.stdout + run.stderr).decode("utf-8", "replace")
    message = next((line for line in text.splitlines() if "refused" in line or "longer than" in line
                    or "not read" in line or "zbar" in line), text.strip().splitlines()[-1] if text.strip() else "")
    return run.returncode, run.peak_rss_mb, run.cpu_s, wall_s, message.strip()[:110]


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        os.environ.setdefault("PAYER_APP_HOME", str(tmp / "home"))
        zeros = tmp / "zeros.txt"
        zeros.write_bytes(b"0" * 10_000_000)
        cases = [
            ("plain scan, 1 small bill picture", ["scan", str(write_image(tmp / "bill.png", qr_array(EVN_BILL)))], None),
            ("parse - < 10 MB of 0", ["parse", "-"], zeros),
            ("parse --json - < 10 MB of 0", ["parse", "--json", "-"], zeros),
            ("scan 30000x30000 JPEG", ["scan", str(hostile.jpeg_bomb(tmp / "bomb.jpg"))], None),
            ("scan 30000x30000 PNG", ["scan", str(hostile.png_bomb(tmp / "bomb.png"))], None),
            ("pay 30000x30000 PNG", ["pay", "--amount", "1000", str(tmp / "bomb.png")], None),
            ("scan 218 kB JPEG of 5,000 scans", ["scan", str(hostile.jpeg_scan_bomb(tmp / "scans.jpg"))], None),
            ("scan 6 GB sparse file", ["scan", str(hostile.sparse_file(tmp / "huge.png"))], None),
            ("scan 12000x12000 MJPG video", ["scan", str(hostile.video_bomb(tmp / "bomb.avi"))], None),
        ]
        sizes = {"bomb.jpg": (tmp / "bomb.jpg").stat().st_size, "bomb.png": (tmp / "bomb.png").stat().st_size}
        print(f"inputs: JPEG bomb {sizes['bomb.jpg']} bytes, PNG bomb {sizes['bomb.png'] / 1000:.0f} kB, "
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


if __name__ == "__main__":
    sys.exit(main())
