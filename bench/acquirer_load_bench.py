"""Load test of the mock acquirer: signed requests from concurrent clients over loopback HTTP.

Sends REQUESTS signed payment requests (by default 2,000: 10% exact duplicates of earlier ones,
5% tampered, 2% signed by a key that was never enrolled) from CLIENTS concurrent HTTP clients to
``payer-app acquirer serve`` running as its own process on 127.0.0.1. The payers (PAYERS of them,
each with its own account) first enrol their keys over HTTP with a one-time code issued for it, and
every request is addressed (``aud``) to that acquirer. Prints throughput, latency percentiles and the
counts of approved (201) / duplicate (409) / rejected (400) / refused key (403) answers next to what
was sent. Exits 1 when any count, or the acquirer's own ledger, differs from what was sent.

Run: .venv/bin/python bench/acquirer_load_bench.py [--requests N] [--clients C] [--payers P] [--seed S]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import queue
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx

from payer_app.core.builder import evn_bill_payload, vietqr_payload, vnpay_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.keys import SigningKey
from payer_app.core.payload import parse_payload
from payer_app.core.request import PayerInfo, build_request
from payer_app.core.signing import sign_request
from payer_app.payments.acquirer_client import AcquirerUnavailable, HttpAcquirerClient, read_until_serving

ENROL_CODE = "load-bench-enrolment-code"

ROOT = Path(__file__).resolve().parents[1]
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def payloads(rng: random.Random, count: int) -> list[str]:
    out = []
    for i in range(count):
        kind = i % 3
        if kind == 0:
            out.append(evn_bill_payload(f"P{rng.choice('ABCDE')}{rng.randrange(10**11):011d}"))
        elif kind == 1:
            out.append(vietqr_payload("970436", str(rng.randrange(10**9, 10**13)),
                                      rng.choice([None, rng.randrange(1000, 5_000_000)]), "Thanh toan"))
        else:
            out.append(vnpay_payload(f"MC{rng.randrange(10**8)}", "CUA HANG TAP HOA", "Ha Noi",
                                     rng.choice([None, rng.randrange(1000, 900_000)])))
    return out


def tamper(token: str, rng: random.Random) -> str:
    """Either change the amount inside the signed JSON, or change one character of the signature."""
    header, payload, signature = token.split(".")
    if rng.random() < 0.5:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        body["amount"]["value"] = str(int(body["amount"]["value"]) - 1)
        payload = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).rstrip(b"=").decode()
    else:
        i = rng.randrange(len(signature) - 1)  # the last character carries padding bits
        signature = signature[:i] + rng.choice(B64URL.replace(signature[i], "")) + signature[i + 1:]
    return f"{header}.{payload}.{signature}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Plan:
    """How many requests of each kind are sent (from the command line's shares)."""

    unique: int
    duplicates: int
    tampered: int
    strangers: int

    @classmethod
    def of(cls, args: argparse.Namespace) -> Plan:
        n_dup = round(args.requests * args.duplicates)
        n_tampered = round(args.requests * args.tampered)
        n_strangers = round(args.requests * args.strangers)
        return cls(args.requests - n_dup - n_tampered - n_strangers, n_dup, n_tampered, n_strangers)


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--duplicates", type=float, default=0.10, help="share of exact re-sends")
    ap.add_argument("--tampered", type=float, default=0.05, help="share of tampered tokens")
    ap.add_argument("--strangers", type=float, default=0.02, help="share signed by never-enrolled keys")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--payers", type=int, default=4, help="payers (keys bound to distinct accounts)")
    ap.add_argument("--seed", type=int, default=1)
    return ap.parse_args()


def sign_tokens(rng: random.Random, plan: Plan, payers, strangers, url: str) -> list[str]:
    """New requests from the enrolled payers (round robin), then the strangers' requests: keys never
    enrolled, claiming the first payer's account. All addressed (``aud``) to the acquirer."""
    tokens = []
    for i, text in enumerate(payloads(rng, plan.unique + plan.tampered + plan.strangers)):
        parsed = parse_payload(text)
        amount = None if parsed.initiation == "dynamic" else rng.randrange(1000, 3_000_000)
        if i < plan.unique + plan.tampered:
            key, info = payers[i % len(payers)]
        else:
            key, info = strangers[i % len(strangers)], payers[0][1]
        payer = PayerInfo(info.account, info.bank_bin, key.kid)
        tokens.append(sign_request(build_request(parsed, PaymentChoice(amount), payer=payer, audience=url), key))
    return tokens


def plan_sends(rng: random.Random, plan: Plan, tokens: list[str]) -> list[tuple[str, int]]:
    """(token, the answer it must get), shuffled: originals 201, exact re-sends 409, tampered 400,
    strangers 403."""
    originals = tokens[:plan.unique]
    sends = [(t, 201) for t in originals]
    sends += [(rng.choice(originals), 409) for _ in range(plan.duplicates)]
    sends += [(tamper(t, rng), 400) for t in tokens[plan.unique:plan.unique + plan.tampered]]
    sends += [(t, 403) for t in tokens[plan.unique + plan.tampered:]]
    rng.shuffle(sends)
    return sends


def start_acquirer(port: int, tmp_path: Path) -> subprocess.Popen:
    """``payer-app acquirer serve`` as its own process, with a fresh ledger and a known enrolment code."""
    env = dict(os.environ, PAYER_APP_HOME=str(tmp_path / "acquirer_home"))
    return subprocess.Popen(
        [sys.executable, "-m", "payer_app", "acquirer", "serve", "--port", str(port),
         "--ledger", str(tmp_path / "ledger.sqlite3"), "--enrol-code", ENROL_CODE],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
    )


def wait_for_start_line(server: subprocess.Popen) -> bool:
    """``acquirer serve`` listens before it prints its start lines: waits on them. False (with what it
    said) when it ended first."""
    try:
        read_until_serving(server)
    except AcquirerUnavailable as exc:
        print(exc, file=sys.stderr)
        return False
    return True


def stop_acquirer(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


def enrol_payers(url: str, payers, ledger: Path) -> bool:
    """Each payer's key enrolled over HTTP with a one-time code issued for its account into the
    acquirer's ``ledger``, as ``payer-app acquirer codes issue`` does (201 each), else False."""
    from payer_app.payments.acquirer.activation import issue_code

    client = HttpAcquirerClient(url)
    try:
        for key, info in payers:
            code, _ = issue_code(ledger, info.bank_bin, info.account)
            reply = client.enrol(key, info.account, info.bank_bin, code=code)
            if reply.http_status != 201:
                print(f"enrolment refused: {reply.http_status} {reply.body}", file=sys.stderr)
                return False
    finally:
        client.close()
    return True


def send_all(url: str, sends: list[tuple[str, int]], clients: int) -> tuple[list[tuple[int, int, float]], float]:
    """Every send from ``clients`` concurrent HTTP clients: ([(wanted, got, seconds)], wall seconds)."""
    work: queue.Queue = queue.Queue()
    for item in sends:
        work.put(item)
    results: list[tuple[int, int, float]] = []
    lock = threading.Lock()

    def one_client() -> None:
        mine = []
        with httpx.Client(base_url=url, timeout=30) as http:
            while True:
                try:
                    token, want = work.get_nowait()
                except queue.Empty:
                    break
                t0 = time.perf_counter()
                status = http.post("/v1/payments", content=token,
                                   headers={"Content-Type": "application/jose"}).status_code
                mine.append((want, status, time.perf_counter() - t0))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=one_client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - t0


@dataclass
class Run:
    """What one run measured."""

    results: list[tuple[int, int, float]]
    elapsed: float
    sign_seconds: float
    enrol_seconds: float
    signed: int
    health: dict


def print_timings(args: argparse.Namespace, plan: Plan, run: Run) -> None:
    latencies = sorted(lat for _, _, lat in run.results)
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(f"acquirer load: {len(run.results)} requests from {args.clients} clients over http://127.0.0.1 "
          f"({plan.unique} new from {args.payers} enrolled payers, {plan.duplicates} duplicates, "
          f"{plan.tampered} tampered, {plan.strangers} from unenrolled keys)")
    print(f"  enrolment  {args.payers} keys in {run.enrol_seconds * 1000:.0f} ms")
    print(f"  signing    {run.signed} requests in {run.sign_seconds:.2f} s ({run.signed / run.sign_seconds:.0f}/s)")
    print(f"  throughput {len(run.results) / run.elapsed:.0f} requests/s ({run.elapsed:.2f} s)")
    print(f"  latency    p50 {p(0.50):.1f} ms, p95 {p(0.95):.1f} ms, p99 {p(0.99):.1f} ms, "
          f"mean {statistics.fmean(latencies) * 1000:.1f} ms")


def check_counts(sends: list[tuple[str, int]], run: Run) -> bool:
    """Print sent vs answered per status; True when they match exactly (see the swap rule below) and
    the acquirer's own ledger holds exactly the approved ones."""
    expected = Counter(code for _, code in sends)
    observed = Counter(status for _, status, _ in run.results)
    rows = [("approved (201)", 201), ("duplicate (409)", 409), ("rejected (400)", 400),
            ("refused key (403)", 403)]
    for label, code in rows:
        print(f"  {label:<17} sent {expected[code]:>5}  answered {observed[code]:>5}")
    others = {code: n for code, n in observed.items() if code not in (201, 409, 400, 403)}
    # With 8 clients a duplicate can overtake its original in flight: that copy gets the 201 and the
    # original the 409. Such swaps pair up exactly; any other per-request difference is a fault.
    swapped_to_409 = sum(1 for want, got, _ in run.results if (want, got) == (201, 409))
    swapped_to_201 = sum(1 for want, got, _ in run.results if (want, got) == (409, 201))
    other_mismatches = sum(1 for want, got, _ in run.results if want != got and {want, got} != {201, 409})
    ledger_ok = run.health.get("counts") == {"approved": expected[201]}
    print(f"  other answers {others or 'none'}; duplicates that overtook their original {swapped_to_201} "
          f"(originals answered 409: {swapped_to_409}); other per-request mismatches {other_mismatches}; "
          f"ledger {run.health.get('counts')} {'matches' if ledger_ok else 'DIFFERS'}")
    ok = (observed == expected and not others and ledger_ok and len(run.results) == len(sends)
          and swapped_to_201 == swapped_to_409 and other_mismatches == 0)
    print("  counts match exactly" if ok else "  COUNTS DO NOT MATCH")
    return ok


def run_against_server(url: str, server: subprocess.Popen, payers, sends, clients: int,
                       ledger: Path) -> dict | None:
    """Wait for the acquirer, enrol the payers, send everything: the measurements, or None."""
    if not wait_for_start_line(server):
        return None
    enrol_started = time.perf_counter()
    if not enrol_payers(url, payers, ledger):
        return None
    enrol_seconds = time.perf_counter() - enrol_started
    results, elapsed = send_all(url, sends, clients)
    health = httpx.get(f"{url}/v1/health").json()
    return {"results": results, "elapsed": elapsed, "enrol_seconds": enrol_seconds, "health": health}


def main() -> int:
    args = parse_args()
    rng = random.Random(args.seed)
    plan = Plan.of(args)
    with tempfile.TemporaryDirectory(prefix="acquirer-bench-") as tmp:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        payers = [(SigningKey.generate(), PayerInfo(f"{1000000 + i:013d}", "970436")) for i in range(args.payers)]
        strangers = [SigningKey.generate() for _ in range(2)]
        started = time.perf_counter()
        tokens = sign_tokens(rng, plan, payers, strangers, url)
        sign_seconds = time.perf_counter() - started
        sends = plan_sends(rng, plan, tokens)
        server = start_acquirer(port, Path(tmp))
        try:
            measured = run_against_server(url, server, payers, sends, args.clients, Path(tmp) / "ledger.sqlite3")
        finally:
            stop_acquirer(server)
    if measured is None:
        return 1
    run = Run(signed=len(tokens), sign_seconds=sign_seconds, **measured)
    print_timings(args, plan, run)
    return 0 if check_counts(sends, run) else 1


if __name__ == "__main__":
    sys.exit(main())
