"""Payments over HTTP, decided off the event loop: ``DecisionPipeline``.

A payment goes through three kinds of thread, none of them the event loop's:

1. **verify** (a pool, one thread per core): ``MockAcquirer.admit``, steps 1-4 of the checks (the
   signature, the key, the schema, the account, the audience): no ledger access. A refusal there is
   answered at once.
2. **writer** (one thread, the only one that records payments): takes every admitted request waiting
   (at most ``batch_size``), runs steps 5-9 of each (``MockAcquirer.settle``) inside one ledger
   transaction (``Ledger.batch``: each payment a savepoint of it) and commits once; only then are
   their answers handed back to the event loop. Nobody is told "approved" before the row is committed.
3. **listeners** (one thread): the merchant display, the biller and the console hear of each decision
   after its answer was handed back, in the order of the answers; a slow listener delays no answer.
   ``wait_for_listeners`` waits until they have heard of every decision answered so far.

The event loop only reads the body, hands it over and awaits the answer, so other connections are
served while a decision runs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from payer_app.payments.acquirer.answers import AcquirerAnswer
from payer_app.payments.acquirer.decisions import Admitted, MockAcquirer

log = logging.getLogger(__name__)

BATCH_SIZE = 64  # the most payments one commit records
LISTENER_BACKLOG = 10_000  # batches of decisions the listeners may lag behind before the writer waits


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
        self._admitted: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._told: queue.Queue[tuple | None] = queue.Queue(LISTENER_BACKLOG)
        self._heard = threading.Condition()
        self._told_count = 0  # decisions handed to the listener thread (under _heard)
        self._heard_count = 0  # decisions the listeners have heard of (under _heard)
        self._lock = threading.Lock()
        self._verify: ThreadPoolExecutor | None = None
        self._threads: list[threading.Thread] = []
        self._closed = False

    # --- from the event loop ------------------------------------------------------------------
    async def decide(self, token: bytes | str, received: datetime) -> AcquirerAnswer:
        """The answer to one payment, decided on the pipeline's threads (``received``: when it arrived)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._started().submit(self._admit, token, received, future, loop)
        return await future

    def _started(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("the acquirer is stopping")
            if self._verify is None:
                self._verify = ThreadPoolExecutor(self.workers, thread_name_prefix="acquirer-verify")
                self._threads = [threading.Thread(target=self._write_loop, name="acquirer-writer", daemon=True),
                                 threading.Thread(target=self._tell_loop, name="acquirer-listeners", daemon=True)]
                for thread in self._threads:
                    thread.start()
            return self._verify

    def close(self) -> None:
        """Finish what was handed over (every answer recorded and given, every listener told), then
        end the threads. Nothing is accepted afterwards."""
        with self._lock:
            self._closed = True
            verify, self._verify = self._verify, None
        if verify is None:
            return
        verify.shutdown(wait=True)
        self._admitted.put(None)
        self._threads[0].join()
        self._told.put(None)
        self._threads[1].join()

    def wait_for_listeners(self, timeout: float | None = None) -> bool:
        """Wait until the listeners have heard of every decision answered before this call; False
        when ``timeout`` ran out first."""
        with self._heard:
            target = self._told_count
            return self._heard.wait_for(lambda: self._heard_count >= target, timeout)

    # --- verify threads -----------------------------------------------------------------------
    def _admit(self, token, received: datetime, future: asyncio.Future, loop: asyncio.AbstractEventLoop) -> None:
        try:
            admitted = self.acquirer.admit(token, received)
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
            first = self._admitted.get()
            if first is None:
                return
            batch, stop = [first], False
            while len(batch) < self.batch_size:
                try:
                    more = self._admitted.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._record(batch)
            if stop:
                return

    def _record(self, batch: list[_Waiting]) -> None:
        """Steps 5-9 of every payment of the batch, one commit; then the answers, then the listeners."""
        results = self._settle_all(batch)
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


__all__ = ["BATCH_SIZE", "DecisionPipeline"]
