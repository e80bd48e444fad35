"""How soon an approved payment reaches the merchant display's event stream.

Starts ``payer-app acquirer serve`` as its own process on 127.0.0.1, enrols one payer, opens
DISPLAYS event streams (``GET /display/events``, as the page does), then sends PAYMENTS signed EVN
bill payments one after another. For each, measures the time from sending the request to (a) the
acquirer's answer and (b) the ``payment`` event arriving on every stream. Prints percentiles, and
exits 1 when any event is missing or an event's amount differs from the payment's.

Run: .venv/bin/python bench/merchant_display_bench.py [--payments N] [--displays D]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from payer_app.core.builder import evn_bill_payload
from payer_app.core.keys import SigningKey
from payer_app.core.payload import parse_payload
from payer_app.core.request import PayerInfo, build_request
from payer_app.core.signing import sign_request
from payer_app.payments.acquirer_client import HttpAcquirerClient, wait_until_serving

ROOT = Path(__file__).resolve().parents[1]
CODE = "bench-enrol-code-01"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listen(url: str, events: queue.Queue, ready: threading.Event, stop: threading.Event) -> None:
    """Read one event stream; put (arrival time, event) of each payment event on ``events``."""
    try:
        with httpx.Client(timeout=None) as client, client.stream("GET", f"{url}/display/events") as stream:
            kind = None
            for line in stream.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event: "):
                    kind = line[7:]
                    if kind == "snapshot":
                        ready.set()
                elif line.startswith("data: ") and kind == "payment":
                    events.put((time.perf_counter(), json.loads(line[6:])))
    except httpx.HTTPError:  # the acquirer stopped at the end of the run
        return


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=100)
    parser.add_argument("--displays", type=int, default=4)
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PAYER_APP_HOME=str(Path(tmp) / "home"))
        proc = subprocess.Popen(
            [sys.executable, "-m", "payer_app", "acquirer", "serve", "--port", str(port),
             "--ledger", str(Path(tmp) / "ledger.sqlite3"), "--enrol-code", CODE],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_serving(url, proc)
            key = SigningKey.generate()
            client = HttpAcquirerClient(url)
            enrolled = client.enrol(key, "0011001234567", "970436", code=CODE)
            assert enrolled.http_status == 201, enrolled.body
            stop = threading.Event()
            queues = []
            for _ in range(args.displays):
                events: queue.Queue = queue.Queue()
                ready = threading.Event()
                threading.Thread(target=listen, args=(url, events, ready, stop), daemon=True).start()
                assert ready.wait(10), "a display stream did not open"
                queues.append(events)
            parsed = parse_payload(evn_bill_payload("PD13000123456"))
            payer = PayerInfo("0011001234567", "970436", key.kid)
            answers, arrivals, missing, wrong = [], [], 0, 0
            for n in range(args.payments):
                amount = 10_000 + 1_000 * n
                token = sign_request(build_request(parsed, amount, payer=payer, audience=url), key)
                sent = time.perf_counter()
                reply = client.submit(token)
                answers.append(time.perf_counter() - sent)
                assert reply.http_status == 201, reply.body
                for events in queues:
                    try:
                        arrived, event = events.get(timeout=5)
                    except queue.Empty:
                        missing += 1
                        continue
                    arrivals.append(arrived - sent)
                    wrong += event["amount"] != amount
            stop.set()
            client.close()
        finally:
            proc.terminate()
            proc.wait(timeout=15)

    ms = lambda values, share: percentile(values, share) * 1000  # noqa: E731
    print(f"merchant display: {args.payments} approved payments over {url}, {args.displays} open displays")
    print(f"  answer to the payer   p50 {ms(answers, .5):6.1f} ms  p95 {ms(answers, .95):6.1f} ms  "
          f"max {max(answers) * 1000:6.1f} ms")
    if arrivals:
        print(f"  event on the display  p50 {ms(arrivals, .5):6.1f} ms  p95 {ms(arrivals, .95):6.1f} ms  "
              f"max {max(arrivals) * 1000:6.1f} ms  (mean {statistics.mean(arrivals) * 1000:.1f} ms)")
    print(f"  events received {len(arrivals)} of {args.payments * args.displays}; missing {missing}; "
          f"wrong amount {wrong}")
    return 0 if missing == 0 and wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
