"""CPU to make an acquirer client, as a command or the window makes one per acquirer: with the TLS
settings of payer_app/payments/acquirer_client.py (``tls_context``) and with httpx's default, which
loads its CA bundle for every client made.

Run: .venv/bin/python bench/acquirer_client_bench.py [--clients N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from payer_app.payments.acquirer_client import HttpAcquirerClient


def cpu_ms_per_client(make, clients: int) -> list[float]:
    out = []
    for _ in range(clients):
        start = time.process_time()
        make().close()
        out.append((time.process_time() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    httpx.Client().close()  # imports and the first bundle out of the way
    rows = [
        ("httpx default (a CA bundle per client)", lambda: httpx.Client(base_url="http://127.0.0.1:9")),
        ("HttpAcquirerClient, http acquirer", lambda: HttpAcquirerClient("http://127.0.0.1:9")),
        ("HttpAcquirerClient, https acquirer", lambda: HttpAcquirerClient("https://127.0.0.1:9")),
    ]
    print(f"CPU per client made, median of {args.clients} (ms)")
    for name, make in rows:
        print(f"  {name:42s} {statistics.median(cpu_ms_per_client(make, args.clients)):8.2f}")


if __name__ == "__main__":
    main()
