"""Soak: a ScanSession on the real-time demo camera for a while; memory must stay flat.

    .venv/bin/python bench/demo_soak_bench.py [--minutes 10] [--hold-off 1]

Prints the process's resident memory (RSS) after a short warm-up and then every minute and at the
end, with frames captured, decoded, dropped and results accepted (the hold-off is short so that
results keep being accepted, as in a kiosk that scans bill after bill).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from process_memory import rss_mib  # noqa: E402  (bench/, the folder of this script)

from payer_app.scan.engine import ScanSession  # noqa: E402
from payer_app.scan.source_specs import make_source  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--hold-off", type=float, default=1.0, help="seconds (default 1)")
    ap.add_argument("--warm-up", type=float, default=5.0, help="seconds before the start RSS is taken")
    args = ap.parse_args()

    counts = {"accepted": 0}
    errors = []
    lock = threading.Lock()

    def on_accepted(scan):  # count only: holding on to frames would be a leak of our own making
        with lock:
            counts["accepted"] += 1

    session = ScanSession(make_source("demo"), on_accepted=on_accepted, on_error=errors.append,
                          hold_off_ms=args.hold_off * 1000.0)
    print(
        f"demo camera, 1280x720 at 30 fps, {args.minutes:g} minute(s); RSS before start {rss_mib():.1f} MiB", flush=True
    )
    session.start()
    time.sleep(args.warm_up)
    start_rss = rss_mib()
    start_stats = (session.stats.frames_captured, session.stats.frames_decoded)
    started = time.monotonic()
    print(f"after {args.warm_up:g} s warm-up: RSS {start_rss:.1f} MiB", flush=True)
    end = started + args.minutes * 60.0
    next_report = started + 60.0

    try:
        while time.monotonic() < end:
            time.sleep(min(1.0, max(0.0, end - time.monotonic())))
            if time.monotonic() >= next_report:
                s = session.stats
                print(f"  {((time.monotonic() - started) / 60):4.1f} min: RSS {rss_mib():.1f} MiB, "
                      f"captured {s.frames_captured}, decoded {s.frames_decoded}, dropped {s.frames_dropped}",
                      flush=True)
                next_report += 60.0
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    elapsed = time.monotonic() - started
    s = session.stats
    decode_ms = list(s.decode_ms)
    session.stop()
    with lock:
        accepted_total = counts["accepted"]
    end_rss = rss_mib()
    captured = s.frames_captured - start_stats[0]
    decoded = s.frames_decoded - start_stats[1]
    print(
        f"end after {elapsed / 60:.2f} min: RSS {end_rss:.1f} MiB (start {start_rss:.1f}, "
        f"change {end_rss - start_rss:+.1f} MiB)"
    )
    print(f"frames captured {captured} ({captured / elapsed:.1f}/s), decoded {decoded} ({decoded / elapsed:.1f}/s), "
          f"dropped {s.frames_dropped}, errors {len(errors)}, results accepted {accepted_total}")
    if decode_ms:
        print(f"decode ms over the last {len(decode_ms)} frames: median {statistics.median(decode_ms):.1f}, "
              f"max {max(decode_ms):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
