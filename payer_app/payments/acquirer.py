"""The mock acquirer: receives signed payment requests, checks them, answers, keeps a SQLite ledger.

``MockAcquirer`` holds the logic (used in-process by the payer app's embedded mode and by the HTTP
app); ``create_app`` wraps it in a Starlette application:

- ``POST /v1/payments`` (body: compact JWS, ``Content-Type: application/jose``):
  201 approved (with ``acquirer_reference``), 402 declined, 400 bad signature or malformed,
  409 the same idempotency key (or request id) again: the body is the first answer, with
  ``"duplicate": true`` and ``first_http_status``; 422 expired or limits broken; 415 wrong content
  type; 413 body too large; 503 injected outage (nothing recorded).
- ``GET /v1/payments/{request_id}``: 200 with the stored outcome, 404 when unknown.
- ``POST /v1/keys`` (body: a public JWK): enrol a payer key (the mock's stand-in for device binding);
  201 new, 200 already known, 400 not an Ed25519 public JWK.
- ``GET /v1/health``.

Failure injection (``FailureSettings``) is drawn from a hash of the seed and the idempotency key,
so a run is reproducible whatever the order in which concurrent requests arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import socket
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from payer_app.core.request import Limits, format_timestamp
from payer_app.core.signing import VerificationKeys, verify_request
from payer_app.payments.sqlite_store import open_database

MAX_BODY_BYTES = 64_000
JOSE_MEDIA_TYPE = "application/jose"
# Verification reasons answered with 422 (the request is authentic but cannot be accepted);
# every other failure is a 400.
UNPROCESSABLE_REASONS = frozenset(
    {"expired", "not-yet-valid", "below-minimum", "above-maximum", "amount-mismatch",
     "payee-mismatch", "bill-mismatch", "invalid-qr"}
)


@dataclass(frozen=True)
class FailureSettings:
    """Failures to inject for demos and QA. Rates are probabilities in [0, 1]."""

    decline_rate: float = 0.0  # approved requests turned into 402 declines (recorded)
    latency_ms: int = 0  # added to every answer
    latency_jitter_ms: int = 0  # plus a reproducible random 0..jitter
    timeout_rate: float = 0.0  # payment recorded, then the answer is held for timeout_seconds
    timeout_seconds: float = 30.0
    unavailable_rate: float = 0.0  # 503 before anything is recorded
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("decline_rate", "timeout_rate", "unavailable_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {rate}")
        if self.latency_ms < 0 or self.latency_jitter_ms < 0 or self.timeout_seconds < 0:
            raise ValueError("latencies and timeouts cannot be negative")

    def draw(self, kind: str, key: str) -> float:
        """A reproducible number in [0, 1) for one decision about one request."""
        digest = hashlib.sha256(f"{self.seed}:{kind}:{key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class AcquirerAnswer:
    http_status: int
    body: dict[str, Any]
    delay_seconds: float = 0.0  # how long to hold the answer (latency injection)
    lost: bool = False  # injected timeout: the payment is recorded but the answer never arrives in time
    headers: dict[str, str] = field(default_factory=dict)


class Ledger:
    """The acquirer's SQLite ledger: one row per accepted idempotency key, plus enrolled keys."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._db = open_database(self.path, synchronous="NORMAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS payments (
                idempotency_key TEXT PRIMARY KEY,
                request_id TEXT NOT NULL UNIQUE,
                status TEXT NOT NULL,
                http_status INTEGER NOT NULL,
                acquirer_reference TEXT NOT NULL,
                amount TEXT NOT NULL,
                payer_kid TEXT NOT NULL,
                token_sha256 TEXT NOT NULL,
                response TEXT NOT NULL,
                received_at TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS payer_keys (
                kid TEXT PRIMARY KEY,
                jwk TEXT NOT NULL,
                enrolled_at TEXT NOT NULL
            );
            """
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def find(self, idempotency_key: str, request_id: str) -> tuple[int, dict[str, Any]] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT http_status, response FROM payments WHERE idempotency_key = ? OR request_id = ? LIMIT 1",
                (idempotency_key, request_id),
            ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def get(self, request_id: str) -> tuple[int, dict[str, Any]] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT http_status, response FROM payments WHERE request_id = ?", (request_id,)
            ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def insert_if_new(self, request: dict[str, Any], kid: str, token: str, http_status: int,
                      body: dict[str, Any]) -> tuple[bool, int, dict[str, Any]]:
        """Record an answer unless the key is already there. Returns (inserted, status, body of record)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                existing = self.find(request["idempotency_key"], request["request_id"])
                if existing is not None:
                    self._db.execute("COMMIT")
                    return False, existing[0], existing[1]
                self._db.execute(
                    "INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        request["idempotency_key"], request["request_id"], body["status"], http_status,
                        body["acquirer_reference"], request["amount"]["value"], kid,
                        hashlib.sha256(token.encode()).hexdigest(), json.dumps(body, ensure_ascii=False),
                        body["received_at"],
                    ),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return True, http_status, body

    def enrolled_keys(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT jwk FROM payer_keys ORDER BY enrolled_at").fetchall()
        return [json.loads(r[0]) for r in rows]

    def enrol(self, kid: str, jwk: dict[str, Any]) -> bool:
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO payer_keys VALUES (?, ?, ?)",
                (kid, json.dumps(jwk), format_timestamp(datetime.now(timezone.utc))),
            )
            return cur.rowcount == 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT status, COUNT(*) FROM payments GROUP BY status").fetchall())


class MockAcquirer:
    """The acquirer's decisions, independent of HTTP (the embedded mode calls ``submit`` directly)."""

    def __init__(self, ledger_path: Path, failures: FailureSettings | None = None,
                 trusted_keys: list[dict[str, Any]] | None = None, limits: Limits | None = None):
        self.ledger = Ledger(ledger_path)
        self.failures = failures or FailureSettings()
        self.limits = limits or Limits()
        self._keys = VerificationKeys()
        for jwk in trusted_keys or []:
            self._keys.add(jwk)
        for jwk in self.ledger.enrolled_keys():
            self._keys.add(jwk)
        self._attempts: dict[str, int] = {}
        self._attempts_lock = threading.Lock()

    def close(self) -> None:
        self.ledger.close()

    def enrol(self, jwk: Any) -> AcquirerAnswer:
        try:
            kid = VerificationKeys().add(jwk)
        except ValueError as exc:
            return AcquirerAnswer(400, {"error": "bad-key", "message": f"Cannot enrol this key: {exc}."})
        public = {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"], "kid": kid}
        created = self.ledger.enrol(kid, public)
        self._keys.add(public)
        return AcquirerAnswer(201 if created else 200, {"kid": kid, "enrolled": created})

    def lookup(self, request_id: str) -> AcquirerAnswer:
        found = self.ledger.get(request_id)
        if found is None:
            return AcquirerAnswer(404, {"error": "not-found", "message": f"No payment with request id {request_id}."})
        status, body = found
        return AcquirerAnswer(200, {**body, "http_status": status})

    def submit(self, token: str | bytes, now: datetime | None = None) -> AcquirerAnswer:
        answer = self._decide(token, now)
        settings = self.failures
        key = str(answer.body.get("idempotency_key") or "")
        if settings.latency_ms or settings.latency_jitter_ms:
            jitter = settings.latency_jitter_ms * settings.draw("latency", key + str(answer.http_status))
            answer.delay_seconds += (settings.latency_ms + jitter) / 1000.0
        return answer

    def _decide(self, token: str | bytes, now: datetime | None) -> AcquirerAnswer:
        received = datetime.now(timezone.utc)
        result = verify_request(token, self._keys, now=now or received, limits=self.limits)
        if not result.signature_ok:
            return AcquirerAnswer(400, _rejection(result.reason, result.message, result.message_vi))
        request = result.request
        assert request is not None
        token_text = token.decode("ascii") if isinstance(token, bytes) else token
        idem = request["idempotency_key"] if isinstance(request.get("idempotency_key"), str) else None
        request_id = request.get("request_id") if isinstance(request.get("request_id"), str) else None
        if idem is None or request_id is None:
            body = _rejection(result.reason, result.message, result.message_vi)
            return AcquirerAnswer(400, body)
        settings = self.failures
        attempt = self._next_attempt(idem)
        if settings.unavailable_rate and settings.draw(f"unavailable:{attempt}", idem) < settings.unavailable_rate:
            return AcquirerAnswer(503, {"error": "unavailable", "idempotency_key": idem,
                                        "message": "The acquirer is temporarily unavailable (injected failure)."})
        existing = self.ledger.find(idem, request_id)
        if existing is not None:
            return _duplicate(*existing)
        if not result.ok:
            status = 422 if result.reason in UNPROCESSABLE_REASONS else 400
            body = _rejection(result.reason, result.message, result.message_vi)
            body.update(request_id=request_id, idempotency_key=idem)
            return AcquirerAnswer(status, body)
        reference = "ACQ-" + hashlib.sha256(f"{settings.seed}:{idem}".encode()).hexdigest()[:12].upper()
        body = {
            "request_id": request_id,
            "idempotency_key": idem,
            "acquirer_reference": reference,
            "amount": request["amount"],
            "payee": request["payee"].get("merchant_name") or request["payee"].get("account"),
            "received_at": format_timestamp(received),
        }
        if settings.decline_rate and settings.draw("decline", idem) < settings.decline_rate:
            status = 402
            body.update(status="declined", reason="insufficient-funds",
                        message="Declined: insufficient funds (injected failure).",
                        message_vi="Bị từ chối: không đủ số dư (lỗi giả lập).")
        else:
            status = 201
            body.update(status="approved", message="Approved.", message_vi="Đã duyệt.")
        inserted, stored_status, stored = self.ledger.insert_if_new(request, result.kid, token_text, status, body)
        if not inserted:  # another connection recorded the same key in between
            return _duplicate(stored_status, stored)
        answer = AcquirerAnswer(status, body)
        if settings.timeout_rate and settings.draw("timeout", idem) < settings.timeout_rate:
            answer.lost = True
            answer.delay_seconds = settings.timeout_seconds
        return answer

    def _next_attempt(self, idem: str) -> int:
        with self._attempts_lock:
            n = self._attempts.get(idem, 0) + 1
            self._attempts[idem] = n
            if len(self._attempts) > 100_000:  # bounded memory on long runs
                self._attempts.clear()
            return n


def _rejection(reason: str | None, message: str, message_vi: str) -> dict[str, Any]:
    return {"status": "rejected", "error": reason, "message": message, "message_vi": message_vi}


def _duplicate(first_status: int, first_body: dict[str, Any]) -> AcquirerAnswer:
    body = {**first_body, "duplicate": True, "first_http_status": first_status}
    return AcquirerAnswer(409, body, headers={"Idempotent-Replayed": "true"})


# --- HTTP -------------------------------------------------------------------------------------
def create_app(ledger_path: Path, failures: FailureSettings | None = None,
               trusted_keys: list[dict[str, Any]] | None = None, limits: Limits | None = None):
    """The Starlette application serving a MockAcquirer (``app.state.acquirer``)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    acquirer = MockAcquirer(ledger_path, failures, trusted_keys, limits)

    def respond(answer: AcquirerAnswer) -> JSONResponse:
        return JSONResponse(answer.body, status_code=answer.http_status, headers=answer.headers or None)

    async def read_body(request: Request) -> bytes | None:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return None
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    async def post_payment(request: Request) -> JSONResponse:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != JOSE_MEDIA_TYPE:
            return JSONResponse(
                {"status": "rejected", "error": "unsupported-media-type",
                 "message": f"Send the compact JWS with Content-Type: {JOSE_MEDIA_TYPE} (got {media or 'none'})."},
                status_code=415,
            )
        body = await read_body(request)
        if body is None:
            return JSONResponse({"status": "rejected", "error": "too-large",
                                 "message": f"The body is larger than {MAX_BODY_BYTES} bytes."}, status_code=413)
        answer = acquirer.submit(body.strip())
        if answer.delay_seconds:
            await asyncio.sleep(answer.delay_seconds)
        return respond(answer)

    async def get_payment(request: Request) -> JSONResponse:
        return respond(acquirer.lookup(request.path_params["request_id"]))

    async def post_key(request: Request) -> JSONResponse:
        body = await read_body(request)
        try:
            jwk = json.loads(body or b"")
        except ValueError:
            return JSONResponse({"error": "bad-key", "message": "The body is not a JSON JWK."}, status_code=400)
        return respond(acquirer.enrol(jwk))

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "ledger": str(acquirer.ledger.path), "failures": asdict(acquirer.failures),
                             "counts": acquirer.ledger.counts()})

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        acquirer.close()

    app = Starlette(
        routes=[
            Route("/v1/payments", post_payment, methods=["POST"]),
            Route("/v1/payments/{request_id}", get_payment, methods=["GET"]),
            Route("/v1/keys", post_key, methods=["POST"]),
            Route("/v1/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.acquirer = acquirer
    return app


class AcquirerServer:
    """Serve an app with uvicorn on a background thread (tests, benchmarks, embedded demos).

    ``port=0`` picks a free port; ``url`` is the base URL once started."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._socket]},
                                        name="acquirer-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> "AcquirerServer":
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the acquirer server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> "AcquirerServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
