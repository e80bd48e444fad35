"""Network camera timings: first accept, and recovery after the camera goes away and comes back.

An MJPEG-over-HTTP server on 127.0.0.1 (tests/mjpeg_server.py, the one the network camera tests use, serving a
``generate video`` clip of an EVN bill at 15 fps, Basic auth) is scanned by a ``ScanSession`` over
``NetworkCameraSource``, as ``payer-app scan http://...`` does. Per round it prints the time from
starting the scan to the first accepted payload, then stops the server for ``--down`` seconds,
starts a new one (another bill) on the same port, and prints the time from the restart to the new
bill's acceptance.

Run: .venv/bin/python bench/network_camera_bench.py [--rounds 3] [--down 2]

``--hostile [T ...]``: instead, for each hostile camera of tests/mjpeg_server.py (endless frame,
garbage, a 30000x30000 frame, a server that stops mid-header or mid-frame, and the 30000x30000
frames untyped, which OpenCV's FFmpeg reader gets) and each T (default 3 and 8), runs
``payer-app scan URL --timeout T`` as a process and prints how long it took from its start
to its end, against the budget of T + 2 s, with its exit code and how many lines it wrote on
standard error.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def hostile(timeouts: list[float]) -> int:
    import subprocess

    from tests.mjpeg_server import FFMPEG_MODES, HOSTILE_MODES, HostileCamera

    over = 0
    for mode in HOSTILE_MODES + FFMPEG_MODES:
        for limit in timeouts:
            camera = HostileCamera(mode)
            started = time.monotonic()
            try:
                run = subprocess.run(
                    [sys.executable, "-m", "payer_app", "scan", camera.url(), "--timeout", f"{limit:g}"],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=limit + 60,
                )
                took = time.monotonic() - started
            finally:
                camera.stop()
            over += took > limit + 2
            print(f"{mode:17} --timeout {limit:g}: ended after {took:.1f} s (budget {limit + 2:g} s), exit "
                  f"{run.returncode}, {len(run.stderr.splitlines())} line(s) on stderr"
                  f"{'  OVER BUDGET' if took > limit + 2 else ''}", flush=True)
    print(f"{over} run(s) over budget")
    return 1 if over else 0


def main(argv: list[str] | None = None) -> int:
    from payer_app.core.builder import evn_bill_payload
    from payer_app.scan.engine import ScanSession
    from payer_app.scan.source_specs import make_source
    from tests.mjpeg_server import PASSWORD, USER, MjpegServer, clip_jpegs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--down", type=float, default=2.0, help="seconds the camera is away")
    parser.add_argument("--hostile", type=float, nargs="*", metavar="T",
                        help="time hostile cameras against --timeout T instead (default T: 3 8)")
    args = parser.parse_args(argv)
    if args.hostile is not None:
        return hostile(args.hostile or [3.0, 8.0])
    payloads = [evn_bill_payload("PD13000111111"), evn_bill_payload("PD13000222222")]
    with tempfile.TemporaryDirectory() as tmp:
        clips = [clip_jpegs(Path(tmp), p, i + 1) for i, p in enumerate(payloads)]
    first_ms: list[float] = []
    recover_ms: list[float] = []
    for round_no in range(args.rounds):
        server = MjpegServer(clips[0], auth=(USER, PASSWORD))
        port = server.port
        accepted: queue.Queue = queue.Queue()
        errors: list[str] = []
        session = ScanSession(
            make_source(server.url()),
            on_accepted=lambda s, accepted=accepted: accepted.put((time.monotonic(), s.text)),
            on_error=lambda e, errors=errors: errors.append(str(e)),
            hold_off_ms=500,
        )
        started = time.monotonic()
        session.start()
        second = None
        try:
            t, text = accepted.get(timeout=30)
            assert text == payloads[0]
            first_ms.append((t - started) * 1000)
            server.stop()
            time.sleep(args.down)
            second = MjpegServer(clips[1], port=port, auth=(USER, PASSWORD))
            restarted = time.monotonic()
            while True:
                t, text = accepted.get(timeout=30)
                if text == payloads[1]:
                    recover_ms.append((t - restarted) * 1000)
                    break
        finally:
            session.stop()
            for s in (server, second):
                if s is not None and not s.stopping.is_set():
                    s.stop()
        print(f"round {round_no + 1}: first accept {first_ms[-1]:.0f} ms; camera away {args.down:g} s, "
              f"{len(errors)} error report(s); new bill accepted {recover_ms[-1]:.0f} ms after the camera was back",
              flush=True)
    print(f"median: first accept {statistics.median(first_ms):.0f} ms, recovery {statistics.median(recover_ms):.0f} ms "
          f"(reconnect attempts every 0.5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
