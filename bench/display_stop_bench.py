"""How soon open merchant display streams end when the acquirer is stopped (Ctrl+C).

Starts ``payer-app acquirer serve`` as its own process on 127.0.0.1, opens DISPLAYS event streams
(``GET /display/events``, as the page does) and waits for each one's snapshot; then sends SIGINT
and measures, from the signal, when each stream ended (the server closed it) and when the process
exited. Repeats ROUNDS times. Prints the worst and median times and exits 1 when a stream ended
later than ``BUDGET_S`` (half a second, docs/booth.md) or did not end cleanly, or when the process
took longer than ``BUDGET_S`` to exit (median: one slow round on a busy machine is not a regression).

Run: .venv/bin/python bench/display_stop_bench.py [--displays 4] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the stream reader the tests use (tests/display_stream.py)

from payer_app.payments.acquirer_client import read_until_serving  # noqa: E402
from tests.display_stream import StreamReader  # noqa: E402

BUDGET_S = 0.5
CEILING_S = 60.0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_round(folder: Path, displays: int) -> tuple[list[float], float, bool]:
    port = free_port()
    env = dict(os.environ, PAYER_APP_HOME=str(folder / "home"))
    proc = subprocess.Popen([sys.executable, "-m", "payer_app", "acquirer", "serve", "--port", str(port),
                             "--ledger", str(folder / "ledger.sqlite3")], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    read_until_serving(proc)
    streams = [StreamReader(f"http://127.0.0.1:{port}") for _ in range(displays)]
    for stream in streams:
        stream.start()
    for stream in streams:
        stream.opened.wait(CEILING_S)
    stopped = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    for stream in streams:
        stream.join(CEILING_S)
    proc.wait(CEILING_S)
    exited = time.perf_counter() - stopped
    proc.stderr.close()
    return [s.ended_at - stopped for s in streams], exited, all(s.how == "clean" for s in streams)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--displays", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ends, exits, clean = [], [], True
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.rounds):
            folder = Path(tmp) / f"round{n}"
            folder.mkdir()
            times, exited, all_clean = one_round(folder, args.displays)
            ends += times
            exits.append(exited)
            clean = clean and all_clean
    print(f"{args.rounds} stops with {args.displays} open display streams each")
    print(f"stream ended after SIGINT: median {statistics.median(ends) * 1000:.0f} ms, "
          f"worst {max(ends) * 1000:.0f} ms (budget {BUDGET_S * 1000:.0f} ms); all ended cleanly: {clean}")
    print(f"process exited after SIGINT: median {statistics.median(exits) * 1000:.0f} ms, "
          f"worst {max(exits) * 1000:.0f} ms (budget {BUDGET_S * 1000:.0f} ms, median)")
    return 0 if clean and max(ends) <= BUDGET_S and statistics.median(exits) <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
