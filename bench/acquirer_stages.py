"""Where a payment's time goes inside the acquirer under wrk: each stage of the pipeline, per request.

``payer-app acquirer serve`` runs as its own process with stamps added around the pipeline's stages
(this script's ``--serve`` mode patches them in that process only; the product has no switch for
it); WAIT distinct valid requests, signed before any timer, are POSTed once each by ``wrk``
(``acquirer_wrk.lua``, CONNECTIONS connections), as in ``acquirer_load_bench.py``. Printed: wrk's
rate and latencies, the load average, CPU per request (the acquirer's process, its verifier
processes, wrk), each thread's CPU per request, and per stage of the pipeline the p50/p90/p99/max
and the mean of the slowest 1%: waiting for a verify thread, the verifier process's batch, waiting
for the writer, steps 5-9 and the commit, the hand-back to the event loop; the ledger file's
statements that took over 1 ms (waiting for its lock, or inside SQLite). Exits 1 unless every
request was approved and the ledger holds exactly them.

Run: .venv/bin/python bench/acquirer_stages.py [--requests N] [--connections C] [--payers P]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = [("arrived", "verify_start", "waiting for a verify thread"), ("verify_start", "verified", "verifier batch"),
          ("verified", "admitted", "admit (steps 1-4)"), ("admitted", "settle_start", "waiting for the writer"),
          ("settle_start", "committed", "steps 5-9 and commit"), ("committed", "handed", "hand-back to the loop"),
          ("handed", "resumed", "the endpoint resumes")]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the acquirer's process (--serve) -----------------------------------------------------------
def serve(out: Path, argv: list[str]) -> int:
    """``payer-app acquirer serve`` with stage stamps, written to ``out`` when the pipeline closes."""
    sys.path.insert(0, str(ROOT))
    from payer_app.cli import main
    from payer_app.payments import sqlite_store
    from payer_app.payments.acquirer import pipeline

    trace = _Trace()
    trace.patch(pipeline, sqlite_store)
    real_close = pipeline.DecisionPipeline.close

    def close(self) -> None:
        import threading

        names = {str(t.native_id): t.name for t in threading.enumerate()}
        real_close(self)
        out.write_text(json.dumps({"requests": trace.done, "slow": trace.slow, "threads": names}))

    pipeline.DecisionPipeline.close = close
    sys.argv = ["payer-app", *argv]
    return main()


class _Trace:
    """Stamps (``time.monotonic_ns``) per request, keyed by its future while it is in flight."""

    def __init__(self):
        self.live: dict[int, dict] = {}
        self.done: list[dict] = []
        self.slow: list[tuple] = []  # (thread, what, waited for the lock ms, inside SQLite ms)

    def stamp(self, future, name: str) -> None:
        stamps = self.live.get(id(future))
        if stamps is not None:
            stamps[name] = time.monotonic_ns()

    def patch(self, pipeline, sqlite_store) -> None:
        self._patch_decide(pipeline)
        self._patch_stages(pipeline)
        self._patch_store(sqlite_store)

    def _patch_decide(self, pipeline) -> None:
        """Each decision's stamps begin when its body is queued for the verify threads and end when
        its answer is set on the event loop (its future's done callback)."""
        import queue

        trace, real_init = self, pipeline.DecisionPipeline.__init__

        class StampingQueue(queue.SimpleQueue):
            def put(self, item, block=True, timeout=None):
                if item is not None:
                    stamps = trace.live[id(item.future)] = {"arrived": time.monotonic_ns()}
                    item.future.add_done_callback(lambda future: trace.finish(future, stamps))
                super().put(item, block, timeout)

        def init(self, *args, **kwargs):
            real_init(self, *args, **kwargs)
            self._arrived = StampingQueue()

        pipeline.DecisionPipeline.__init__ = init

    def finish(self, future, stamps: dict) -> None:
        stamps["resumed"] = time.monotonic_ns()
        self.live.pop(id(future), None)
        self.done.append(stamps)

    def _patch_stages(self, pipeline) -> None:
        trace = self
        real_verify, real_admit = pipeline.DecisionPipeline._verified_elsewhere, pipeline.DecisionPipeline._admit
        real_settle, real_deliver = pipeline.DecisionPipeline._settle_all, pipeline._deliver

        def verified_elsewhere(self, verifier, batch):
            for arrived in batch:
                trace.stamp(arrived.future, "verify_start")
            answer = real_verify(self, verifier, batch)
            for arrived in batch:
                trace.stamp(arrived.future, "verified")
            return answer

        def admit(self, arrived, verified):
            answer = real_admit(self, arrived, verified)
            trace.stamp(arrived.future, "admitted")
            return answer

        def settle_all(self, batch):
            for waiting in batch:
                trace.stamp(waiting.future, "settle_start")
            answer = real_settle(self, batch)
            for waiting in batch:
                trace.stamp(waiting.future, "committed")
            return answer

        def deliver(pairs):
            for future, _ in pairs:
                trace.stamp(future, "handed")
            real_deliver(pairs)

        pipeline.DecisionPipeline._verified_elsewhere = verified_elsewhere
        pipeline.DecisionPipeline._admit = admit
        pipeline.DecisionPipeline._settle_all = settle_all
        pipeline._deliver = deliver

    def _patch_store(self, sqlite_store) -> None:
        """Each statement and transaction of a store that took over 1 ms: waiting for the file's lock, inside."""
        import contextlib
        import threading

        trace, real_write, real_transaction = self, sqlite_store.SQLiteStore.write, sqlite_store.SQLiteStore.transaction

        def timed(what, store, run):
            asked = time.monotonic_ns()
            with store.lock:
                got = time.monotonic_ns()
                result = run()
            ended = time.monotonic_ns()
            if ended - asked > 1e6:
                trace.slow.append((threading.current_thread().name, what, (got - asked) / 1e6, (ended - got) / 1e6))
            return result

        def write(self, sql, params=()):
            return timed("statement", self, lambda: real_write(self, sql, params))

        @contextlib.contextmanager
        def transaction(self):
            asked = time.monotonic_ns()
            with self.lock, real_transaction(self) as db:
                got = time.monotonic_ns()
                yield db
            ended = time.monotonic_ns()
            if ended - asked > 1e6 and self._depth == 0:
                trace.slow.append((threading.current_thread().name, "transaction", (got - asked) / 1e6,
                                   (ended - got) / 1e6))

        sqlite_store.SQLiteStore.write = write
        sqlite_store.SQLiteStore.transaction = transaction


# --- the driver ---------------------------------------------------------------------------------
def thread_ticks(pid: int) -> dict[str, int]:
    """CPU clock ticks used so far by each thread of a process (``/proc``)."""
    ticks = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks[task.name] = int(fields[11]) + int(fields[12])
    return ticks


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=10_000, help="distinct requests wrk sends")
    ap.add_argument("--connections", type=int, default=64, help="wrk's open connections")
    ap.add_argument("--payers", type=int, default=256)
    ap.add_argument("--seed", type=int, default=7)
    return ap.parse_args()


def run(args: argparse.Namespace, folder: Path) -> bool:
    sys.path.insert(0, str(ROOT / "bench"))
    import acquirer_load_bench as bench
    from acquirer_wrk import check_ledger, check_wrk, run_wrk, sign_bodies

    from payer_app.core.keys import SigningKey
    from payer_app.core.request import PayerInfo

    payers = [(SigningKey.generate(), PayerInfo(f"{1000000 + i:013d}", "970436")) for i in range(args.payers)]
    port = bench.free_port()
    url = f"http://127.0.0.1:{port}"
    bodies = sign_bodies(payers, args.requests, url, args.seed)
    (folder / "bodies.txt").write_text("".join(token + "\n" for token, _ in bodies))
    env = dict(os.environ, PAYER_APP_HOME=str(folder / "home"))
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", str(folder / "stages.json"), "acquirer", "serve",
         "--port", str(port), "--ledger", str(folder / "ledger.sqlite3"), "--enrol-code", bench.ENROL_CODE],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        if not bench.wait_for_start_line(server) or not bench.enrol_payers(url, payers, folder / "ledger.sqlite3"):
            return False
        load, ticks, cpu = os.getloadavg()[0], thread_ticks(server.pid), bench.cpu_seconds(server.pid)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = run_wrk(url, folder / "bodies.txt", args.connections, max(60, args.requests // 50))
        after, ticks_after = bench.cpu_seconds(server.pid), thread_ticks(server.pid)
        wrk_cpu = _rusage_seconds(resource.getrusage(resource.RUSAGE_CHILDREN)) - _rusage_seconds(children)
    finally:
        bench.stop_acquirer(server)
    n = max(1, result.answered)
    print(f"acquirer stages, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC: wrk {result.approved_rate:.0f} "
          f"approved/s, p50 {result.p50_ms:.1f} ms, p90 {result.p90_ms:.1f}, p99 {result.p99_ms:.1f}, max "
          f"{result.max_ms:.1f} ({args.requests} requests, {args.connections} connections); load average "
          f"{load:.2f} before, {os.getloadavg()[0]:.2f} after ({os.cpu_count()} cores)")
    print(f"CPU per request: acquirer {(after[0] - cpu[0]) * 1000 / n:.3f} ms, verifier processes "
          f"{(after[1] - cpu[1]) * 1000 / n:.3f} ms, wrk {wrk_cpu * 1000 / n:.3f} ms")
    trace = json.loads((folder / "stages.json").read_text())
    print_threads(trace["threads"], ticks, ticks_after, n)
    print_stages(trace["requests"])
    print_slow(trace["slow"])
    problems = check_wrk(result) + check_ledger(folder / "ledger.sqlite3", {request_id for _, request_id in bodies})
    print("; ".join(problems) or "every request approved, the ledger holds exactly them")
    return not problems


def _rusage_seconds(usage) -> float:
    return usage.ru_utime + usage.ru_stime


def print_threads(names: dict[str, str], before: dict[str, int], after: dict[str, int], n: int) -> None:
    tick = os.sysconf("SC_CLK_TCK")
    used = sorted(((after[t] - before.get(t, 0)) / tick * 1000 / n, names.get(t, t)) for t in after)
    print("  by thread (ms per request): " + ", ".join(f"{name} {ms:.3f}" for ms, name in reversed(used) if ms))


def print_stages(requests: list[dict]) -> None:
    whole = [r for r in requests if all(name in r for stage in STAGES for name in stage[:2])]
    slowest = sorted(whole, key=lambda r: r["resumed"] - r["arrived"])[-max(1, len(whole) // 100):]
    total = [(r["resumed"] - r["arrived"]) / 1e6 for r in whole]
    print(f"inside the acquirer ({len(whole)} decisions): p50 {pct(total, .5):.1f} ms, p90 {pct(total, .9):.1f}, "
          f"p99 {pct(total, .99):.1f}, max {max(total):.1f}")
    for start, end, label in STAGES:
        spans = [(r[end] - r[start]) / 1e6 for r in whole]
        worst = statistics.fmean((r[end] - r[start]) / 1e6 for r in slowest)
        print(f"  {label:<28} p50 {pct(spans, .5):6.2f}  p90 {pct(spans, .9):6.2f}  p99 {pct(spans, .99):6.2f}  "
              f"max {max(spans):7.2f}  slowest 1%: {worst:6.2f} ms")


def print_slow(slow: list) -> None:
    kinds = Counter((thread, what) for thread, what, _, _ in slow)
    print(f"ledger file statements over 1 ms: {dict(kinds) or 'none'}")
    for thread, what, waited, inside in sorted(slow, key=lambda s: -(s[2] + s[3]))[:5]:
        print(f"  {thread} {what}: {waited:.1f} ms waiting for the file's lock, {inside:.1f} ms inside")


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        return serve(Path(sys.argv[2]), sys.argv[3:])
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="acquirer-stages-") as tmp:
        return 0 if run(args, Path(tmp)) else 1


if __name__ == "__main__":
    sys.exit(main())
