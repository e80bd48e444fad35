"""Payloads parsed per second on a mixed corpus (valid, broken, non-payment, oversized).

Run: .venv/bin/python bench/parse_bench.py [--seconds S] [--profile lenient|strict]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from payer_app.core.builder import evn_bill_payload, vietqr_payload, vnpay_payload
from payer_app.core.payload import parse_payload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.spec_vectors import ALL_VALID  # noqa: E402

SPEC_VECTORS = list(ALL_VALID)


def mixed_corpus(size: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    corpus = list(SPEC_VECTORS)
    good = list(SPEC_VECTORS)
    while len(corpus) < size:
        r = rng.random()
        if r < 0.5:  # well-formed payloads of every scheme
            amount = rng.choice([None, rng.randrange(1000, 50_000_000)])
            kind = rng.choice(["vietqr", "vnpay", "evn"])
            if kind == "vietqr":
                corpus.append(vietqr_payload("970436", str(rng.randrange(10**9, 10**13)), amount, "Thanh toan hoa don"))
            elif kind == "vnpay":
                corpus.append(vnpay_payload(f"MC{rng.randrange(10**8)}", "CUA HANG TAP HOA", "Ha Noi", amount))
            else:
                corpus.append(evn_bill_payload(f"P{rng.choice('ABCDE')}{rng.randrange(10**11):011d}", amount=amount))
            good.append(corpus[-1])
        elif r < 0.8:  # damaged: one character changed, or cut short
            base = rng.choice(good)
            pos = rng.randrange(1, len(base))
            corpus.append(
                base[:pos] + rng.choice("0123456789ABZ ") + base[pos + 1 :] if rng.random() < 0.6 else base[:pos]
            )
        elif r < 0.95:  # not a payment QR at all
            corpus.append(rng.choice(["https://www.evn.com.vn/", "WIFI:S:cafe;T:WPA;P:12345678;;", "Hello"]))
        else:  # oversized garbage
            corpus.append("".join(rng.choice("0123456789") for _ in range(rng.randrange(600, 5000))))
    return corpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="time per round (3 rounds)")
    ap.add_argument("--profile", choices=("lenient", "strict"), default="lenient")
    ap.add_argument("--size", type=int, default=2000, help="corpus size")
    args = ap.parse_args()
    corpus = mixed_corpus(args.size)
    valid = sum(parse_payload(p, args.profile).valid for p in corpus)
    rates = []
    for _ in range(3):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            for p in corpus:
                parse_payload(p, args.profile)
            n += len(corpus)
        rates.append(n / (time.perf_counter() - start))
    print(f"corpus: {len(corpus)} payloads ({valid} valid, {len(corpus) - valid} invalid), profile {args.profile}")
    print(f"parse rate: {statistics.median(rates):,.0f} payloads/s (median of 3 rounds; "
          f"min {min(rates):,.0f}, max {max(rates):,.0f})")
    print(f"mean time per payload: {1e6 / statistics.median(rates):.1f} µs")


if __name__ == "__main__":
    main()
