"""Decoding a folder's pictures file by file: fast first, thorough when needed, on every core.

``payer-app scan FOLDER --jobs N`` (``scan_cmd``) hands the paths to ``FileDecoder``; each picture
is read with the scan engine's input caps (``scan.sources.read_image_file``: size, pixels and
decoded bytes checked before the decode), then:

1. the fast pass: zxing-cpp once on the grey picture as read (``scan.decoders.fast_decode``);
2. the thorough pass, the engine's still-image pipeline (``scan.engine.decode_checked`` with
   ``STILL``), only when the fast pass is not enough (``needs_thorough``): it read nothing, or what
   it read does not meet the file's expectation (``--expect``).

With ``--jobs 1`` this runs in the command's own process. With more, it runs in worker processes
of the ``forkserver`` start method (never a fork of a process that has threads). Pictures go to the
workers in chunks of at most ``MAX_CHUNK`` (one message each way for a chunk: the command's own
process, which prints and checks every result, spends its time on that, not on messages), at most
``WINDOW_PER_JOB`` chunks per worker in flight (the results wait in order, so memory does not grow
with the folder); a worker does at most ``TASKS_PER_WORKER`` chunks before a fresh one takes over
(what a decoder library leaks stays bounded). Results come back in the paths' order, whatever worker
finishes first, so the output is the same as with ``--jobs 1``. The workers ignore SIGINT: Ctrl+C
is the command's, which notes it (a flag, so no line is cut in the middle), stops taking results and
ends every worker at once (SIGTERM) on its way out.

With ``--html`` the worker also makes the report's two pictures (``qa.images.card_images``), so only
two small JPEG/PNG strings cross between processes, never a decoded picture.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice

from payer_app.core.display_text import visible
from payer_app.qa.expectations import Expectation, check_texts

FAST = "fast"  # the ``pass`` of a file the fast pass read (``--json``)
THOROUGH = "thorough"
TASKS_PER_WORKER = 25  # chunks of pictures a worker decodes before a fresh one takes over
MAX_CHUNK = 8  # pictures sent to a worker at once (one message each way for them all)
WINDOW_PER_JOB = 2  # chunks per worker in flight
STOP_CHECK_S = 0.2  # how often a wait for the workers looks whether Ctrl+C was pressed
# What the forkserver imports once, before it forks the workers: each worker starts with them loaded.
PRELOAD = ["numpy", "cv2", "zxingcpp", "payer_app.scan.engine", "payer_app.qa.images", "payer_app.qa.workers"]


def _start_forkserver_without_the_current_folder() -> None:
    """Start the forkserver with PYTHONSAFEPATH set, so that its ``python -c`` does not put the current
    folder first on ``sys.path``: run from a checkout (as a CI job is), it would otherwise preload the
    checkout's ``payer_app`` folder, which has no ``payer_app.resources``, instead of the installed one.
    The workers it forks take the command's own ``sys.path`` as they start."""
    from multiprocessing import forkserver

    before = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        forkserver.ensure_running()
    finally:
        if before is None:
            os.environ.pop("PYTHONSAFEPATH", None)
        else:
            os.environ["PYTHONSAFEPATH"] = before


def default_jobs() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13
    if counter is not None:
        return max(1, counter() or 1)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Task:
    """One picture to decode. ``expected``: an expectations file is in use (a file it does not list
    fails); ``html``: make the report's pictures for a failure, and for a pass when ``pass_card``."""

    path: str
    expectation: Expectation | None = None
    expected: bool = False
    html: bool = False
    pass_card: bool = False


@dataclass
class FileResult:
    """What one picture gave: the codes (``scan.decoders.Detection``), the decode time, the pass that
    read it (``fast`` or ``thorough``), or the one-line error when it could not be read at all."""

    path: str
    codes: list
    decode_ms: float | None = None
    error: str | None = None
    stage: str | None = None
    card: tuple | None = None  # (thumbnail URI, crop URI, (width, height)) for the HTML report


def needs_thorough(path: str, texts: Sequence[str], expectation: Expectation | None) -> bool:
    """Whether the fast pass's reading of a file is not enough. Without an expectation: when it read
    nothing. With one: when its outcome would not pass, and also when nothing was read of a file that
    must hold no readable QR (only the thorough pass can say none is there). A file the expectation
    marks beyond any decoder that the fast pass did not read is not retried: its outcome is a pass
    either way."""
    if expectation is None:
        return not texts
    if not texts and expectation.found is False:
        return True
    return not check_texts(path, expectation, list(texts)).passed


def decode_file(task: Task) -> FileResult:
    """Read and decode one picture (in a worker or in this process); never raises for a bad file."""
    from payer_app.scan.sources import SourceError, read_image_file

    try:
        image = read_image_file(task.path)
        started = time.perf_counter()
        codes, stage = _decode(image, task)
    except SourceError as exc:  # too big, too many pixels, damaged, the decoders failed
        return FileResult(task.path, [], error=str(exc))
    except Exception as exc:  # noqa: BLE001 - never a traceback from a worker: one line for this file
        return FileResult(task.path, [], error=f"{visible(task.path)}: could not be decoded ({type(exc).__name__})")
    decode_ms = (time.perf_counter() - started) * 1000.0
    card = None
    failed = task.html and _fails(task, [c.text for c in codes])
    if task.html and (task.pass_card or failed):
        card = report_pictures(image, codes, task.expectation, crop=failed)
    return FileResult(task.path, codes, decode_ms, None, stage, card)


def _decode(image, task: Task) -> tuple[list, str]:
    from payer_app.scan.decoders import as_gray, fast_decode
    from payer_app.scan.engine import STILL, decode_checked

    try:
        fast = sorted(fast_decode(as_gray(image)), key=_reading_order)
    except Exception:  # noqa: BLE001 - the thorough pass below says what is wrong, in one line
        fast = None
    if fast is not None and not needs_thorough(task.path, [c.text for c in fast], task.expectation):
        return fast, FAST
    thorough = decode_checked(image, STILL, task.path)
    return thorough or fast or [], THOROUGH


def _reading_order(detection) -> tuple[float, float]:
    """Top to bottom, left to right, as the engine sorts its codes."""
    x, y = detection.center()
    return y // 40, x


def _fails(task: Task, texts: list[str]) -> bool:
    if task.expectation is not None:
        return not check_texts(task.path, task.expectation, texts).passed
    return task.expected or not texts


def report_pictures(image, codes: list, expectation: Expectation | None, crop: bool = True) -> tuple | None:
    """The HTML report's pictures of a file: (thumbnail URI, crop URI or None, (width, height)), the
    crop only when ``crop`` (the report keeps it for failures); None when they cannot be made."""
    from payer_app.qa.batch import CROP_SIDE, THUMB_SIDE, main_code
    from payer_app.qa.images import card_images

    try:
        main = main_code(codes, None if expectation is None else expectation.payload)
        polygons = [tuple(tuple(p) for p in c.polygon) for c in codes]
        thumbnail, cropped = card_images(image, polygons, None if main is None else main.polygon, THUMB_SIDE,
                                         CROP_SIDE if crop else 0)
    except Exception:  # noqa: BLE001 - out of memory or an encoder error: the card goes without pictures
        return None
    return thumbnail, cropped, (int(image.shape[1]), int(image.shape[0]))


def _worker_started() -> None:
    """Each worker: Ctrl+C is the command's to handle; one OpenCV thread (the workers are the
    parallelism)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import cv2

    cv2.setNumThreads(1)


class FileDecoder:
    """``with FileDecoder(jobs, files) as decoder: for result in decoder.results(tasks): ...``.

    ``jobs`` 1 (or a single file) decodes in this process; more starts that many workers (never more
    than files). Leaving the ``with`` block, normally or by an exception (Ctrl+C, ``--timeout``),
    ends every worker at once."""

    def __init__(self, jobs: int, files: int):
        self.jobs = max(1, min(int(jobs), int(files)))
        # small folders are still spread over every worker
        self.chunk = max(1, min(MAX_CHUNK, -(-int(files) // (self.jobs * WINDOW_PER_JOB))))
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> FileDecoder:
        if self.jobs > 1:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            _start_forkserver_without_the_current_folder()
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_worker_started,
                                             max_tasks_per_child=TASKS_PER_WORKER)
        return self

    def __exit__(self, *exc) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        pool.shutdown(wait=False, cancel_futures=True)
        workers = multiprocessing.active_children()  # this command starts no other child process
        for process in workers:
            process.terminate()
        for process in workers:
            process.join()

    def results(self, tasks: Iterable[Task], stop: Callable[[], bool] = lambda: False) -> Iterator[FileResult]:
        """One result per task, in the tasks' order, until ``stop()`` says to stop (Ctrl+C was pressed:
        asked between pictures and while waiting for the workers). ``tasks`` is read lazily, a few
        ahead of the results, so a task made from the state at that moment (``file_tasks``) sees
        recent results."""
        if self._pool is None:
            for task in tasks:
                if stop():
                    return
                yield decode_file(task)
            return
        pool = self._pool
        pending: deque[tuple[list[Task], Future]] = deque()
        waiting = iter(tasks)
        while True:
            while len(pending) < self.jobs * WINDOW_PER_JOB:
                chunk = list(islice(waiting, self.chunk))
                if not chunk:
                    break
                pending.append((chunk, _submit(pool, chunk)))
            if not pending:
                return
            done, future = pending.popleft()
            results = _results_of(done, future, stop)
            for result in results or ():
                if stop():
                    return
                yield result
            if results is None:
                return


def decode_files(tasks: list[Task]) -> list[FileResult]:
    """A chunk of pictures, in a worker."""
    return [decode_file(task) for task in tasks]


def _submit(pool: ProcessPoolExecutor, chunk: list[Task]) -> Future:
    try:
        return pool.submit(decode_files, chunk)
    except BrokenProcessPool as exc:
        future: Future = Future()
        future.set_exception(exc)
        return future


def _results_of(chunk: list[Task], future: Future, stop: Callable[[], bool]) -> list[FileResult] | None:
    """The chunk's results; None when ``stop()`` said to stop while they were awaited."""
    try:
        while True:
            try:
                return future.result(timeout=STOP_CHECK_S)
            except TimeoutError:
                if stop():
                    return None
    except BrokenProcessPool:  # a worker was killed (out of memory?): every file in flight is lost
        return [FileResult(t.path, [], error=f"{visible(t.path)}: the worker process decoding it ended unexpectedly")
                for t in chunk]


def file_tasks(paths: Iterable, qa=None) -> Iterator[Task]:
    """A task per path; ``qa`` (a ``QaBatch`` or None) gives each its expectation and whether the
    HTML report still wants a passing file's pictures (read when the task is made)."""
    expectations = None if qa is None else qa.expectations
    html = qa is not None and bool(qa.html_path)
    wants_pass_card: Callable[[], bool] = (lambda: qa.wants_pass_picture()) if html else (lambda: False)
    for path in paths:
        shown = str(path)
        expectation = None if expectations is None else expectations.find(shown)
        yield Task(shown, expectation, expectations is not None, html, html and wants_pass_card())
