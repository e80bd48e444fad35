"""Payments over HTTP, decided off the event loop: ``DecisionPipeline``.

A payment goes through these threads and processes, none of them the event loop:

1. **verify** (one thread per core, two at least, each with a verifier process of its own): takes
   the tokens waiting (at most ``VERIFY_BATCH``), has ``verify_request`` run on them in its process
   (the signature, the schema, the QR: pure work, on another core than this process's), then runs
   ``MockAcquirer.admit`` here with each good verification (steps 1-4: the key, the account, the
   audience; no ledger access). A token the process refused is verified again here, so its refusal
   is exactly the one ``verify_request`` gives in process. A refusal is answered at once.
2. **writer** (one thread, the only one that records payments): takes every admitted request waiting
   (at most ``batch_size``), runs steps 5-9 of each (``MockAcquirer.settle``) inside one ledger
   transaction (``Ledger.batch``: each payment a savepoint of it) and commits once; only then are
   their answers handed back to the event loop. Nobody is told "approved" before the row is committed.
3. **listeners** (one thread): the merchant display, the biller and the console hear of each decision
   after its answer was handed back, in the order of the answers; a slow listener delays no answer.
   ``wait_for_listeners`` waits until they have heard of every decision answered so far.
4. **checkpoints** (one thread): SQLite's automatic WAL checkpoints are held for the ledger file
   (``sqlite_store.hold_checkpoints``: one would run inside whichever commit passed 1,000 pages, its
   ``fsync`` calls under the file's lock, holding up the writer's next batch); this thread copies
   the WAL into the database file after every ``CHECKPOINT_EVERY`` payments recorded, on a connection
   of its own, while the writer goes on. ``wait_for_checkpoint`` waits for it.

The event loop only reads the body, hands it over and awaits the answer, so other connections are
served while a decision runs. The verifier processes are forked from this one when the first
payment arrives, each talking to its verify thread over a pipe of its own; they hold nothing but the
code and the acquirer's public keys (sent again whenever they change), and if they cannot be used
the verify threads verify in this process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import os
import queue
import signal
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from payer_app.core.payability import Limits
from payer_app.core.signing import Verification, VerificationKeys, verify_request
from payer_app.payments.acquirer.answers import AcquirerAnswer
from payer_app.payments.acquirer.decisions import Admitted, MockAcquirer
from payer_app.payments.sqlite_store import checkpoint, hold_checkpoints, open_database

log = logging.getLogger(__name__)

BATCH_SIZE = 64  # the most payments one commit records
VERIFY_BATCH = 16  # the most tokens a verify thread hands its process at once
LISTENER_BACKLOG = 10_000  # batches of decisions the listeners may lag behind before the writer waits
CHECKPOINT_EVERY = 256  # payments recorded between two checkpoints of the ledger's WAL


@dataclass(frozen=True)
class _Arrived:
    """One payment's body waiting for a verify thread, and where its answer goes."""

    token: bytes | str
    received: datetime
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop


@dataclass(frozen=True)
class _Waiting:
    """One admitted payment waiting for the writer, and where its answer goes."""

    admitted: Admitted
    token: bytes | str
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop


class DecisionPipeline:
    """Verify threads, one writer, one listener thread, for one ``MockAcquirer`` (see the module)."""

    def __init__(self, acquirer: MockAcquirer, workers: int | None = None, batch_size: int = BATCH_SIZE):
        self.acquirer = acquirer
        self.workers = workers or max(2, os.cpu_count() or 2)  # two at least: one held decision holds up no other
        self.batch_size = batch_size
        self._arrived: queue.SimpleQueue[_Arrived | None] = queue.SimpleQueue()
        self._admitted: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._told: queue.Queue[list[tuple] | None] = queue.Queue(LISTENER_BACKLOG)
        self._heard = threading.Condition()
        self._told_count = 0  # decisions handed to the listener thread (under _heard)
        self._heard_count = 0  # decisions the listeners have heard of (under _heard)
        self._lock = threading.Lock()
        self._started = False
        self._threads: list[threading.Thread] = []  # the writer, the listeners, then the verify threads
        self._verifiers: list[_Verifier | None] = []
        self._closed = False
        self._checkpoints = threading.Condition()
        self._recorded = 0  # payments committed by the writer (under _checkpoints)
        self._checkpointed = 0  # of those, how many a finished checkpoint has copied (under _checkpoints)
        self._asked = 0  # recorded payments a caller of wait_for_checkpoint waits for (under _checkpoints)
        self._tried = 0  # recorded payments the last checkpoint tried to cover (under _checkpoints)
        self._checkpointer: threading.Thread | None = None
        acquirer.listeners_caught_up = self.wait_for_listeners  # the biller's reads wait on it (merchant_display.py)

    # --- from the event loop ------------------------------------------------------------------
    async def decide(self, token: bytes | str, received: datetime) -> AcquirerAnswer:
        """The answer to one payment, decided on the pipeline's threads (``received``: when it arrived)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._start()
        self._arrived.put(_Arrived(token, received, future, loop))
        return await future

    def _start(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the acquirer is stopping")
            if self._started:
                return
            self._started = True
            self._threads = [threading.Thread(target=self._write_loop, name="acquirer-writer", daemon=True),
                             threading.Thread(target=self._tell_loop, name="acquirer-listeners", daemon=True)]
            for n in range(self.workers):
                # forked now, from this thread (the event loop's, which lives as long as the
                # server): the process's parent-death signal follows this thread's end
                verifier = _Verifier.start()
                self._verifiers.append(verifier)
                self._threads.append(threading.Thread(target=self._verify_loop, args=(verifier,),
                                                      name=f"acquirer-verify-{n}", daemon=True))
            hold_checkpoints(self.acquirer.ledger.path)
            self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="acquirer-checkpoints",
                                                  daemon=True)
            self._checkpointer.start()
            for thread in self._threads:
                thread.start()

    def close(self) -> None:
        """Finish what was handed over (every answer recorded and given, every listener told), then
        end the threads and processes. Nothing is accepted afterwards."""
        with self._lock:
            self._closed = True
            started = self._started
        if not started:
            return
        writer, teller, *verifiers = self._threads
        for _ in verifiers:
            self._arrived.put(None)
        for thread in verifiers:
            thread.join()  # each ends its verifier process
        self._admitted.put(None)
        writer.join()
        self._told.put(None)
        teller.join()
        with self._checkpoints:
            self._checkpoints.notify_all()  # _closed is set: the checkpointer ends
        if self._checkpointer is not None:
            self._checkpointer.join()
        hold_checkpoints(self.acquirer.ledger.path, held=False)

    def wait_for_listeners(self, timeout: float | None = None) -> bool:
        """Wait until the listeners have heard of every decision answered before this call; False
        when ``timeout`` ran out first."""
        with self._heard:
            target = self._told_count
            return self._heard.wait_for(lambda: self._heard_count >= target, timeout)

    def wait_for_checkpoint(self, timeout: float | None = None, ask: bool = True) -> bool:
        """Wait until a checkpoint has copied every payment recorded before this call into the
        database file (``ask``: asking for one now, even if fewer than ``CHECKPOINT_EVERY`` wait);
        False when ``timeout`` ran out first."""
        with self._checkpoints:
            target = self._recorded
            if ask:
                self._asked = max(self._asked, target)
                self._checkpoints.notify_all()
            return self._checkpoints.wait_for(lambda: self._checkpointed >= target, timeout)

    # --- verify threads -----------------------------------------------------------------------
    def _verify_loop(self, verifier: _Verifier | None) -> None:
        while True:
            batch, stop = _take(self._arrived, VERIFY_BATCH)
            if batch:
                verified = self._verified_elsewhere(verifier, batch)
                for arrived, verification in zip(batch, verified, strict=True):
                    self._admit(arrived, verification)
            if stop:
                if verifier is not None:
                    verifier.close()
                return

    def _verified_elsewhere(self, verifier: _Verifier | None, batch: list[_Arrived]) -> list:
        """Each token's good ``Verification`` from the verifier process (with the acquirer's keys of
        now), None where it refused, or could not be asked: those are verified here."""
        if verifier is None or verifier.broken:
            return [None] * len(batch)
        try:
            return verifier.verify(self.acquirer.key_jwks(), self.acquirer.limits,
                                   [(a.token, a.received) for a in batch])
        except Exception:  # noqa: BLE001 - a broken verifier process: this thread verifies instead
            log.exception("the verifier process failed; verifying in the acquirer's own process")
            verifier.broken = True
            return [None] * len(batch)

    def _admit(self, arrived: _Arrived, verified: Verification | None) -> None:
        token, future, loop = arrived.token, arrived.future, arrived.loop
        try:
            admitted = self.acquirer.admit(token, arrived.received, verified)
        except Exception as exc:  # noqa: BLE001 - handed to the endpoint, which answers it cleanly
            _hand_back(loop, [(future, exc)])
            return
        if isinstance(admitted, AcquirerAnswer):  # refused before the ledger: nothing to record
            answer = self.acquirer.with_latency(admitted)
            _hand_back(loop, [(future, answer)])
            self._tell([(token, answer)])
            return
        self._admitted.put(_Waiting(admitted, token, future, loop))

    # --- the writer ---------------------------------------------------------------------------
    def _write_loop(self) -> None:
        while True:
            batch, stop = _take(self._admitted, self.batch_size)
            if batch:
                self._record(batch)
            if stop:
                return

    def _record(self, batch: list[_Waiting]) -> None:
        """Steps 5-9 of every payment of the batch, one commit; then the answers, then the listeners."""
        results = self._settle_all(batch)
        with self._checkpoints:
            self._recorded += len(batch)
            if self._checkpoint_due():
                self._checkpoints.notify_all()
        by_loop: dict[asyncio.AbstractEventLoop, list] = {}
        for waiting, result in zip(batch, results, strict=True):
            by_loop.setdefault(waiting.loop, []).append((waiting.future, result))
        for loop, pairs in by_loop.items():
            _hand_back(loop, pairs)
        self._tell([(w.token, r) for w, r in zip(batch, results, strict=True) if isinstance(r, AcquirerAnswer)])

    def _settle_all(self, batch: list[_Waiting]) -> list[AcquirerAnswer | Exception]:
        """Each payment's answer, or the exception its endpoint turns into an answer. A storage
        failure undoes the whole batch (nothing of it is recorded; each gets the failure: 503)."""
        acquirer = self.acquirer
        results: list[AcquirerAnswer | Exception] = []
        try:
            with acquirer.ledger.batch():
                for waiting in batch:
                    try:
                        results.append(acquirer.with_latency(acquirer.settle(waiting.admitted)))
                    except (sqlite3.Error, OSError, MemoryError):
                        raise
                    except Exception as exc:  # noqa: BLE001 - its savepoint was undone; the others stand
                        log.exception("a payment could not be decided")
                        results.append(exc)
        except Exception as exc:  # noqa: BLE001 - rolled back: nothing of the batch was recorded
            log.exception("the ledger could not record %d payment(s)", len(batch))
            return [exc] * len(batch)
        return results

    # --- listeners ----------------------------------------------------------------------------
    def _tell(self, decisions: list[tuple]) -> None:
        if not decisions:
            return
        with self._heard:
            self._told_count += len(decisions)
        self._told.put(decisions)

    # --- checkpoints --------------------------------------------------------------------------
    def _checkpoint_due(self) -> bool:
        """(Under ``_checkpoints``) ``CHECKPOINT_EVERY`` payments wait for a checkpoint, or a caller does."""
        if self._recorded == self._tried:  # the last try covered them all (or could not): wait for more
            return False
        return self._recorded - self._tried >= CHECKPOINT_EVERY or self._asked > self._checkpointed

    def _checkpoint_loop(self) -> None:
        """Copy the WAL into the database file whenever one is due, until the pipeline closes (the
        last connection's closing checkpoints what is left, as SQLite always does)."""
        db = open_database(self.acquirer.ledger.path, self.acquirer.ledger.SYNCHRONOUS)
        try:
            while True:
                with self._checkpoints:
                    self._checkpoints.wait_for(lambda: self._closed or self._checkpoint_due())
                    if self._closed:
                        return
                    covering = self._tried = self._recorded
                copied = self._checkpoint(db)
                with self._checkpoints:
                    if copied:
                        self._checkpointed = covering
                    self._checkpoints.notify_all()
        finally:
            db.close()

    @staticmethod
    def _checkpoint(db) -> bool:
        """One passive checkpoint (the writer goes on meanwhile): True when every page committed
        before it is now in the database file."""
        try:
            busy, pages, done = checkpoint(db)
        except sqlite3.Error:
            log.exception("could not checkpoint the ledger's WAL; SQLite does it when the file closes")
            return False
        return not busy and done >= pages

    def _tell_loop(self) -> None:
        while True:
            decisions = self._told.get()
            if decisions is None:
                return
            for token, answer in decisions:
                try:
                    self.acquirer.notify(token, answer)
                except Exception:  # noqa: BLE001 - the payment stands whatever a listener does
                    log.exception("a listener failed")
            with self._heard:
                self._heard_count += len(decisions)
                self._heard.notify_all()


def _take(source: queue.SimpleQueue, most: int) -> tuple[list, bool]:
    """The first item (waiting for it), then whatever else waits, at most ``most`` in all; True
    when the end (None) was met."""
    first = source.get()
    if first is None:
        return [], True
    batch = [first]
    while len(batch) < most:
        try:
            more = source.get_nowait()
        except queue.Empty:
            break
        if more is None:
            return batch, True
        batch.append(more)
    return batch, False


# --- the verifier processes -----------------------------------------------------------------------
class _Verifier:
    """One forked process that verifies batches of tokens for one verify thread, over a pipe of its
    own: the thread sends the acquirer's keys when they changed, the limits, and the (token, when
    received) pairs; the process answers ``verify_batch``'s list."""

    def __init__(self, process, connection):
        self.process, self.connection = process, connection
        self.broken = False
        self._sent_keys: object = None  # the key mapping the process holds (the acquirer replaces it on changes)

    @classmethod
    def start(cls) -> _Verifier | None:
        """Forked now (it loads nothing and holds no connection of this process's), or None where
        forking is not available."""
        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        process = context.Process(target=_verifier_main, args=(theirs, os.getpid()), name="acquirer-verifier",
                                  daemon=True)
        process.start()
        theirs.close()
        return cls(process, ours)

    def verify(self, jwks: dict[str, dict], limits: Limits, jobs: list[tuple[bytes | str, datetime]]) -> list:
        keys = None if jwks is self._sent_keys else jwks
        self.connection.send((keys, limits, jobs))
        self._sent_keys = jwks
        answer = self.connection.recv()
        if not isinstance(answer, list) or len(answer) != len(jobs):
            raise RuntimeError(f"the verifier process answered {type(answer).__name__}")
        return answer

    def close(self) -> None:
        try:
            self.connection.send(None)
        except OSError:  # already gone
            pass
        self.connection.close()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _verifier_main(connection, parent: int) -> None:
    """A verifier process: answer each batch the pipe brings until it brings None or closes."""
    _end_with_parent(parent)
    keys = VerificationKeys()
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        jwks, limits, jobs = message
        if jwks is not None:
            keys = _keys_of(jwks)
        try:
            answer: Any = verify_batch(jobs, keys, limits)
        except Exception as exc:  # noqa: BLE001 - the acquirer verifies this batch itself
            answer = repr(exc)
        connection.send(answer)


def _keys_of(jwks: dict[str, dict]) -> VerificationKeys:
    keys = VerificationKeys()
    for jwk in jwks.values():
        try:
            keys.add(dict(jwk))
        except ValueError:  # the acquirer left it out of its own keys too (``MockAcquirer._reload_keys``)
            continue
    return keys


def _end_with_parent(parent: int) -> None:
    """In a verifier process: end as soon as the acquirer's process ends, however it ended (a
    SIGKILL leaves no one to end it): Linux's parent-death signal, which comes when the thread that
    forked it ends (the event loop's: ``DecisionPipeline._start``)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pipe's end still ends it
        pass
    if os.getppid() != parent:  # the parent ended before the signal was asked for
        os._exit(0)


def verify_batch(jobs: list[tuple[bytes | str, datetime]], keys: VerificationKeys,
                 limits: Limits) -> list[Verification | None]:
    """``verify_request`` of each (token, when received) with the acquirer's keys, as ``MockAcquirer.admit``
    would run it: a good verification without its header and signed JSON (never read by the
    acquirer), a refusal as None (the acquirer verifies that token again for its exact refusal)."""
    out: list[Verification | None] = []
    for token, received in jobs:
        verification = verify_request(token, keys, now=received, limits=limits)
        out.append(dataclasses.replace(verification, header=None, content=None) if verification.ok else None)
    return out


def _hand_back(loop: asyncio.AbstractEventLoop, pairs: list[tuple[asyncio.Future, object]]) -> None:
    """Each answer (or exception) to its awaiting endpoint, on its event loop, in one call."""
    try:
        loop.call_soon_threadsafe(_deliver, pairs)
    except RuntimeError:  # the loop has closed: nobody is waiting any more
        pass


def _deliver(pairs: list[tuple[asyncio.Future, object]]) -> None:
    for future, result in pairs:
        if future.done():  # the client went away: the decision stands, nobody to tell
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


__all__ = ["BATCH_SIZE", "VERIFY_BATCH", "DecisionPipeline", "verify_batch"]
