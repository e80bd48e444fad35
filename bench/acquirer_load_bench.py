"""Load test of the mock acquirer, three measurements in one run:

1. **in process**: ``MockAcquirer.decide`` on one thread over DECISIONS pre-signed requests (the
   decision alone: verify, checks, its own commit), decisions/s;
2. **wrk**: ``payer-app acquirer serve`` as its own process on 127.0.0.1, WRK_REQUESTS distinct
   valid requests signed before the timer starts, POSTed once each by ``wrk`` (``acquirer_wrk.lua``,
   CONNECTIONS connections): approved requests/s, p50/p90/p99; each answer counted by status;
3. **Python client**: REQUESTS signed requests (10% exact duplicates, 5% tampered, 2% signed by keys
   never enrolled) from CLIENTS concurrent httpx clients, every answer checked against what it must be.

The payers (PAYERS of them, each its own account) enrol over HTTP, each with a one-time code issued
for its account; amounts
are 1,000-20,000 dong, so no payer's day comes near the face-check thresholds. Afterwards the
acquirer is stopped and its ledger file read: it must hold exactly the approvals the clients were
told of, and nothing else. Exits 1 when any count, or the ledger, differs.

Run: .venv/bin/python bench/acquirer_load_bench.py [--wrk-requests N] [--connections C] [--requests N]
     [--clients C] [--payers P] [--decisions N] [--seed S]
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
from datetime import UTC, datetime
from pathlib import Path

import httpx
from acquirer_wrk import WrkResult, check_ledger, check_wrk, run_wrk, sign_bodies, small_payloads, wrk_available

from payer_app.core.choice import PaymentChoice
from payer_app.core.keys import SigningKey
from payer_app.core.payload import parse_payload
from payer_app.core.request import PayerInfo, build_request
from payer_app.core.signing import sign_request
from payer_app.payments.acquirer.decisions import MockAcquirer
from payer_app.payments.acquirer.ledger import TrustedKey
from payer_app.payments.acquirer_client import AcquirerUnavailable, HttpAcquirerClient, read_until_serving

ENROL_CODE = "load-bench-enrolment-code"
IN_PROCESS_AUDIENCE = "in-process"
TARGET_RATE, TARGET_P99_MS = 1000, 100

ROOT = Path(__file__).resolve().parents[1]
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

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
    ap.add_argument("--payers", type=int, default=256, help="payers (keys bound to distinct accounts)")
    ap.add_argument("--wrk-requests", type=int, default=15_000, help="distinct requests wrk sends (0: no wrk run)")
    ap.add_argument("--connections", type=int, default=64, help="wrk's open connections")
    ap.add_argument("--decisions", type=int, default=2000, help="requests decided in process")
    ap.add_argument("--seed", type=int, default=1)
    return ap.parse_args()


def sign_tokens(rng: random.Random, plan: Plan, payers, strangers, url: str) -> list[str]:
    """New requests from the enrolled payers (round robin), then the strangers' requests: keys never
    enrolled, claiming the first payer's account. All addressed (``aud``) to the acquirer."""
    tokens = []
    for i, text in enumerate(small_payloads(rng, plan.unique + plan.tampered + plan.strangers)):
        parsed = parse_payload(text)
        amount = rng.randrange(1000, 20_001)
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
    said) when it ended first. Afterwards a thread reads (and drops) its one line per decision, so a
    full pipe never holds the acquirer up."""
    try:
        read_until_serving(server)
    except AcquirerUnavailable as exc:
        print(exc, file=sys.stderr)
        return False
    threading.Thread(target=lambda: server.stderr.read(), daemon=True).start()  # type: ignore[union-attr]
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
    """What one Python-client run measured."""

    results: list[tuple[int, int, float]]
    elapsed: float
    sign_seconds: float
    enrol_seconds: float
    signed: int
    health: dict


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def print_python_client(args: argparse.Namespace, plan: Plan, run: Run) -> None:
    latencies = [lat * 1000 for _, _, lat in run.results]
    print(f"python client: {len(run.results)} requests from {args.clients} httpx clients "
          f"({plan.unique} new from {args.payers} enrolled payers, {plan.duplicates} duplicates, "
          f"{plan.tampered} tampered, {plan.strangers} from unenrolled keys)")
    print(f"  enrolment  {args.payers} keys in {run.enrol_seconds * 1000:.0f} ms")
    print(f"  throughput {len(run.results) / run.elapsed:.0f} requests/s ({run.elapsed:.2f} s)")
    print(f"  latency    p50 {percentile(latencies, 0.5):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms, "
          f"p99 {percentile(latencies, 0.99):.1f} ms, mean {statistics.fmean(latencies):.1f} ms")


def check_counts(sends: list[tuple[str, int]], run: Run) -> bool:
    """Print sent vs answered per status; True when they match exactly (see the swap rule below) and
    the acquirer's own count of payments (``/v1/health``) holds exactly the approved ones."""
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


def request_id_of(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["request_id"]


def in_process_rate(payers, count: int, seed: int, folder: Path) -> float:
    """Decisions per second of ``MockAcquirer.decide`` on one thread (verify, checks, one commit
    each), over ``count`` requests signed beforehand; every one must be approved."""
    trusted = [TrustedKey(key.public_jwk, info.bank_bin, info.account) for key, info in payers]
    acquirer = MockAcquirer(folder / "in_process.sqlite3", trusted=trusted, audiences=[IN_PROCESS_AUDIENCE])
    try:
        tokens = [token for token, _ in sign_bodies(payers, count, IN_PROCESS_AUDIENCE, seed)]
        started = time.perf_counter()
        statuses = Counter(acquirer.decide(token).http_status for token in tokens)
        elapsed = time.perf_counter() - started
    finally:
        acquirer.close()
    if statuses != {201: count}:
        raise SystemExit(f"in-process decisions answered {dict(statuses)}, wanted {{201: {count}}}")
    return count / elapsed


def python_client_phase(url: str, args, plan: Plan, sends, payers, ledger: Path) -> Run | None:
    enrol_started = time.perf_counter()
    if not enrol_payers(url, payers, ledger):
        return None
    enrol_seconds = time.perf_counter() - enrol_started
    results, elapsed = send_all(url, sends, args.clients)
    health = httpx.get(f"{url}/v1/health").json()
    return Run(results, elapsed, 0.0, enrol_seconds, 0, health)


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User plus system CPU seconds used so far by a process and by its child processes that are
    still running (the acquirer's verifier processes), from Linux's ``/proc``."""
    def stat(path: Path) -> list[str]:
        try:
            return path.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):  # ended meanwhile
            return []

    tick = os.sysconf("SC_CLK_TCK")
    own = stat(Path(f"/proc/{pid}/stat"))
    children = [f for f in map(stat, Path("/proc").glob("[0-9]*/stat")) if f and f[1] == str(pid)]
    return ((int(own[11]) + int(own[12])) / tick,
            sum(int(f[11]) + int(f[12]) for f in children) / tick)


def wrk_phase(url: str, bodies: list[tuple[str, str]], folder: Path, connections: int,
              server: subprocess.Popen) -> tuple[WrkResult, tuple[float, float]]:
    """The wrk run, and the CPU seconds the acquirer's process and its verifier processes used during it."""
    bodies_file = folder / "bodies.txt"
    bodies_file.write_text("".join(token + "\n" for token, _ in bodies))
    ceiling = max(60, len(bodies) // 50)  # only ends a run that hangs
    before = cpu_seconds(server.pid)
    result = run_wrk(url, bodies_file, connections, ceiling)
    after = cpu_seconds(server.pid)
    return result, (after[0] - before[0], after[1] - before[1])


def print_side_by_side(decisions_rate: float, wrk: WrkResult | None, run: Run, load: tuple,
                       wrk_cpu: tuple[float, float]) -> None:
    latencies = [lat * 1000 for _, _, lat in run.results]
    print("side by side (one run)")
    print(f"  in process   {decisions_rate:>6.0f} decisions/s (one thread)")
    if wrk is not None:
        print(f"  wrk          {wrk.approved_rate:>6.0f} approved requests/s ({wrk.statuses.get(201, 0)} in "
              f"{wrk.duration_s:.2f} s), p50 {wrk.p50_ms:.1f} ms, p90 {wrk.p90_ms:.1f} ms, "
              f"p99 {wrk.p99_ms:.1f} ms, max {wrk.max_ms:.1f} ms")
        own, verifiers = (seconds * 1000 / max(1, wrk.answered) for seconds in wrk_cpu)
        print(f"  acquirer CPU {own:.2f} ms per wrk request in its process (the event loop, the writer, the "
              f"listeners) + {verifiers:.2f} ms in its verifier processes; {sum(wrk_cpu) / wrk.duration_s:.2f} "
              f"cores busy on average")
    print(f"  python       {len(run.results) / run.elapsed:>6.0f} requests/s, p50 {percentile(latencies, 0.5):.1f} ms, "
          f"p99 {percentile(latencies, 0.99):.1f} ms")
    print(f"  load average {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after (1 min; {os.cpu_count()} cores)")
    if wrk is not None:
        met = wrk.approved_rate >= TARGET_RATE and wrk.p99_ms < TARGET_P99_MS
        print(f"  target {TARGET_RATE} approved/s with p99 under {TARGET_P99_MS} ms: {'met' if met else 'NOT met'}")


def measure(args, folder: Path) -> bool:
    """Sign, serve, send, check: True when every count and the ledger are exact."""
    rng = random.Random(args.seed)
    plan = Plan.of(args)
    load = os.getloadavg()
    payers = [(SigningKey.generate(), PayerInfo(f"{1000000 + i:013d}", "970436")) for i in range(args.payers)]
    decisions_rate = in_process_rate(payers, args.decisions, args.seed, folder)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    tokens = sign_tokens(rng, plan, payers, [SigningKey.generate() for _ in range(2)], url)
    bodies = sign_bodies(payers, args.wrk_requests, url, args.seed + 1) if args.wrk_requests else []
    print(f"signed {len(tokens) + len(bodies)} requests before any timer, in {time.perf_counter() - started:.1f} s")
    sends = plan_sends(rng, plan, tokens)
    server = start_acquirer(port, folder)
    wrk, wrk_cpu = None, (0.0, 0.0)
    try:
        if not wait_for_start_line(server) or (run := python_client_phase(url, args, plan, sends, payers,
                                                                            folder / "ledger.sqlite3")) is None:
            return False
        if bodies:
            wrk, wrk_cpu = wrk_phase(url, bodies, folder, args.connections, server)
    finally:
        stop_acquirer(server)
    print_python_client(args, plan, run)
    ok = check_counts(sends, run)
    approved = {request_id_of(t) for t in tokens[:plan.unique]} | {request_id for _, request_id in bodies}
    problems = (check_wrk(wrk) if wrk is not None else []) + check_ledger(folder / "ledger.sqlite3", approved)
    if wrk is not None:
        print(f"wrk: {wrk.bodies} distinct requests, {args.connections} connections: answers "
              f"{dict(sorted(wrk.statuses.items()))} (counted one by one in acquirer_wrk.lua)")
    print(f"ledger file: {len(approved)} approvals expected; " + ("; ".join(problems) or "exactly these, nothing else"))
    print_side_by_side(decisions_rate, wrk, run, load, wrk_cpu)
    return ok and not problems


def main() -> int:
    args = parse_args()
    if args.wrk_requests and not wrk_available():
        print("payer-app: error: wrk is not installed (scripts/ensure_system_packages.sh installs it)", file=sys.stderr)
        return 2
    print(f"acquirer load bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    with tempfile.TemporaryDirectory(prefix="acquirer-bench-") as tmp:
        return 0 if measure(args, Path(tmp)) else 1


if __name__ == "__main__":
    sys.exit(main())
