"""The compiled half of bench/acquirer_load_bench.py: pre-signed payment requests sent by ``wrk``.

- ``sign_bodies``: distinct valid requests (each its own QR, ids and nonce), signed by the enrolled
  payers in worker processes before any timer starts; amounts of 1,000-20,000 dong, so no payer's day
  comes near the face-check thresholds (core/auth_policy.py).
- ``run_wrk``: ``wrk -t1`` with ``acquirer_wrk.lua``: every body POSTed exactly once; the script
  counts the answers by status and ends wrk as soon as the last one arrived.
- ``check_wrk`` and ``check_ledger``: the exact counts. Every body answered 201 and nothing else, and
  the ledger file holds exactly the approved request ids the clients were told about, no other row.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import subprocess
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from payer_app.core.builder import evn_bill_payload, vietqr_payload, vnpay_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.keys import SigningKey
from payer_app.core.payload import parse_payload
from payer_app.core.request import PayerInfo, build_request
from payer_app.core.signing import sign_request

LUA_SCRIPT = Path(__file__).resolve().with_name("acquirer_wrk.lua")
MAX_AMOUNT = 20_000


def small_payloads(rng: random.Random, count: int) -> list[str]:
    """Distinct static QR codes (the payer types the amount): EVN bills, VietQR transfers, VNPAY shops."""
    out = []
    for i in range(count):
        kind = i % 3
        if kind == 0:
            out.append(evn_bill_payload(f"P{rng.choice('ABCDE')}{rng.randrange(10**11):011d}"))
        elif kind == 1:
            out.append(vietqr_payload("970436", str(rng.randrange(10**9, 10**13)), None, "Thanh toan"))
        else:
            out.append(vnpay_payload(f"MC{rng.randrange(10**8)}", "CUA HANG TAP HOA", "Ha Noi"))
    return out


def _private_bytes(key: SigningKey) -> bytes:
    return key.private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                         serialization.NoEncryption())


def _sign_chunk(job: tuple) -> list[tuple[str, str]]:
    """(token, request_id) for ``count`` requests, payers taken in turn (runs in a worker process)."""
    seed, count, start, payers, audience = job
    rng = random.Random(seed)
    keys = [(SigningKey.from_private_key(Ed25519PrivateKey.from_private_bytes(raw)), bank_bin, account)
            for raw, bank_bin, account in payers]
    out = []
    for i, text in enumerate(small_payloads(rng, count)):
        key, bank_bin, account = keys[(start + i) % len(keys)]
        request = build_request(parse_payload(text), PaymentChoice(rng.randrange(1000, MAX_AMOUNT + 1)),
                                payer=PayerInfo(account, bank_bin, key.kid), audience=audience)
        out.append((sign_request(request, key), request.request_id))
    return out


def sign_bodies(payers: list[tuple[SigningKey, PayerInfo]], count: int, audience: str, seed: int,
                processes: int = 2) -> list[tuple[str, str]]:
    """``count`` distinct valid requests addressed to ``audience``: [(token, request_id)]."""
    plain = [(_private_bytes(key), info.bank_bin, info.account) for key, info in payers]
    chunk = -(-count // processes)
    jobs = [(seed * 1000 + n, min(chunk, count - n * chunk), n * chunk, plain, audience)
            for n in range(processes) if count > n * chunk]
    with ProcessPoolExecutor(len(jobs)) as pool:
        return [item for part in pool.map(_sign_chunk, jobs) for item in part]


@dataclass
class WrkResult:
    bodies: int
    sent: int
    answered: int
    statuses: dict[int, int]
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]

    @property
    def rate(self) -> float:
        return self.answered / self.duration_s if self.duration_s else 0.0

    @property
    def approved_rate(self) -> float:
        return self.statuses.get(201, 0) / self.duration_s if self.duration_s else 0.0


def wrk_available() -> str | None:
    return shutil.which("wrk")


def run_wrk(url: str, bodies_file: Path, connections: int, ceiling_s: int) -> WrkResult:
    """Every body of ``bodies_file`` POSTed once by ``wrk -t1 -c connections``; ``ceiling_s`` only
    ends a run that hangs (the script ends wrk when the last answer is in)."""
    done = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{ceiling_s}s", "--timeout", "30s", "-s", str(LUA_SCRIPT),
         url, "--", str(bodies_file)], capture_output=True, text=True, timeout=ceiling_s + 60, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("wrk-result ")), None)
    if line is None:
        raise RuntimeError(f"wrk said no result (exit {done.returncode}): {done.stdout[-500:]} {done.stderr[-500:]}")
    data = json.loads(line.removeprefix("wrk-result "))
    return WrkResult(data["bodies"], data["sent"], data["answered"],
                     {int(k): v for k, v in data["statuses"].items()}, data["duration_us"] / 1e6,
                     data["p50_us"] / 1000, data["p90_us"] / 1000, data["p99_us"] / 1000, data["max_us"] / 1000,
                     data["errors"])


def check_wrk(result: WrkResult) -> list[str]:
    """What is wrong with a wrk run whose bodies were all distinct valid requests (none: exact)."""
    problems = []
    if result.sent != result.bodies or result.answered != result.bodies:
        problems.append(f"{result.bodies} bodies, {result.sent} sent, {result.answered} answered")
    others = {status: n for status, n in result.statuses.items() if status != 201}
    if result.statuses.get(201, 0) != result.bodies or others:
        problems.append(f"answers {dict(sorted(result.statuses.items()))}, wanted {{201: {result.bodies}}}")
    if any(result.errors.values()):
        problems.append(f"wrk errors {result.errors}")
    return problems


def check_ledger(ledger: Path, approved_ids: set[str]) -> list[str]:
    """What is wrong with the ledger file after the run (none: exact): it must hold one approved row
    for each request id a client was told was approved, and no other row."""
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT request_id, status FROM ledger_payments").fetchall()
    problems = []
    statuses: dict[str, int] = {}
    for _, status in rows:
        statuses[status] = statuses.get(status, 0) + 1
    if statuses != ({"approved": len(approved_ids)} if approved_ids else {}):
        problems.append(f"the ledger holds {statuses}, the clients were told of {len(approved_ids)} approvals")
    ids = [request_id for request_id, _ in rows]
    missing, extra = approved_ids - set(ids), set(ids) - approved_ids
    if missing or extra or len(ids) != len(set(ids)):
        problems.append(f"ledger rows: {len(missing)} approvals missing, {len(extra)} rows nobody was told of, "
                        f"{len(ids) - len(set(ids))} twice")
    return problems


__all__ = ["WrkResult", "check_ledger", "check_wrk", "run_wrk", "sign_bodies", "small_payloads", "wrk_available"]
