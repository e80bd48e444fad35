"""``payer-app scan SOURCE [--json] [--all] [--timeout S] [--max-frames N] [--report FILE]``.

Streams (demo, camera, video, network camera): one line per accepted QR; stops at the first
accepted payment QR unless ``--all``. Exit 0 found, 1 nothing found, 2 bad source. A source
problem during the scan is one ``payer-app: error: scan: ...`` line, not repeated while it recurs
with no frame between; ``--timeout`` counts from the start, opening the camera included. A network
camera's password can come from ``--camera-password-file`` or the environment (``camera_options``).
Still images (an image, several images, a folder; ``--recursive`` its subfolders, ``--shard K/N``
one CI job's share): every file, one line per file with ``found``. Exit 0 when every file held a QR
code (with ``--expect``: passed), 1 when some readable file did not, else 4 when some file could not
be read, 2 bad source. Report paths are checked before the first file; a ``--report`` (or
``--junit`` / ``--html`` / ``--summary``) that cannot be written makes it 2.

Everything printed that came from outside (QR text, merchant names, file names, error messages
quoting them) goes through ``display_text.visible``; JSON lines and the report through
``json_output.dumps`` (valid UTF-8 whatever the file names, no raw control characters). A file
that cannot be read (too big, too many pixels, damaged) is one line, and the scan goes on.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING, Any

from payer_app.cli.camera_options import add_camera_password_option, camera_spec
from payer_app.cli.exits import EXIT_INTERRUPTED, EXIT_NO, EXIT_OK, EXIT_USAGE, UsageError
from payer_app.cli.options import add_command, add_json_option
from payer_app.core.display_text import visible
from payer_app.core.json_output import dumps as json_dumps
from payer_app.core.payload import parse_payload
from payer_app.qa.file_scan import FileScan

if TYPE_CHECKING:
    from payer_app.scan.decoders import Detection


def register(sub) -> None:
    p = add_command(sub, "scan", "scan QR codes from the demo camera, a webcam, a video, images or a folder",
                    "Scan payment QR codes. SOURCE is demo, camera:N, /dev/videoN, a video file, an image file "
                    "(several may be given) or a folder of images. Streams stop at the first accepted payment QR "
                    "unless --all; images and folders are scanned file by file. Exit 0 found (every file, for "
                    "images; with --expect, every file passed), 1 nothing found (or expectations not met), "
                    "2 bad source or an output that cannot be written, 4 some file could not be read (and "
                    "every other file passed).", func=run)
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="demo, camera:N, /dev/videoN, video, image(s), folder")
    p.add_argument("--list-cameras", action="store_true", help="list the webcams that deliver video, then exit")
    add_camera_password_option(p)
    add_json_option(p, "one JSON object per line")
    p.add_argument("--all", action="store_true", help="keep scanning after the first payment QR")
    p.add_argument("--timeout", type=float, metavar="S", help="give up after S seconds")
    p.add_argument("--max-frames", type=int, metavar="N", help="give up after N decoded frames")
    p.add_argument("--report", metavar="FILE", help="write a JSON summary (counts, decoders, timings) to FILE")
    p.add_argument("--expect", metavar="FILE", help="check each file against FILE (file -> payload or fields; "
                   "a generate-corpus manifest works); exit 0 only when every file passes")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report (images, fields, results)")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML, one test case per file, for CI")
    p.add_argument("--summary", metavar="FILE", help="write the JSON summary a pipeline reads (counts, failures, "
                   "timings, versions, every file's result; docs/qa.md); payer-app qa merge joins shards' summaries")
    p.add_argument("--shard", metavar="K/N", help="scan only this CI job's share of the files: job K of N, "
                   "chosen by a hash of each file's path in the folder")
    p.add_argument("--recursive", action="store_true", help="scan the folder's subfolders too")
    p.add_argument("--frames", type=int, default=2, metavar="N",
                   help="consecutive frames that must show a code before it is accepted (default 2)")
    p.add_argument("--hold-off", type=float, default=3.0, metavar="S",
                   help="seconds before the same payload is reported again (default 3)")
    p.add_argument("--jobs", type=int, metavar="N", help="images and folders: decode in N worker processes "
                   "(default: the cores this process may use; 1: in this process)")


def run(args) -> int:
    started = time.monotonic()  # --timeout counts from here: opening a camera is part of the scan
    # Imported here: the scan engine loads NumPy and OpenCV, which the other commands do not need.
    from payer_app.scan.source_specs import make_source, open_image_list
    from payer_app.scan.sources import CameraStopped, SourceError

    if args.list_cameras:
        return _list_cameras(args)
    if not args.sources:
        raise UsageError("give a SOURCE to scan: demo, camera:N, /dev/videoN, a video, image(s) or a folder")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    if args.max_frames is not None and args.max_frames <= 0:
        raise UsageError("--max-frames must be a positive number")
    if args.frames < 1:
        raise UsageError("--frames must be at least 1")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    shard = _check_file_options(args)
    opening_error = None
    try:
        if len(args.sources) > 1:
            source = open_image_list(args.sources)
        else:
            source = make_source(camera_spec(args.sources[0], args))
            _list_folder(source, args)
            if args.timeout is not None and hasattr(source, "open_timeout_s"):
                source.open_timeout_s = min(source.open_timeout_s, args.timeout)
            try:
                source.open()
            except CameraStopped as exc:  # a live camera that did not answer in time: the scan retries
                if not source.live:
                    raise
                opening_error = exc
    except SourceError as exc:
        raise UsageError(f"bad source: {visible(exc)}") from exc
    if not source.per_file and (args.expect or args.html or args.junit or getattr(args, "summary", None)):
        return _scan_stream(source, args, started, opening_error, _stream_check(args, source))
    qa = None
    if args.expect or args.html or args.junit or args.summary:
        from payer_app.qa.batch import QaBatch, QaSetupError
        try:
            qa = QaBatch.from_args(args, source)
        except QaSetupError as exc:
            source.close()
            raise UsageError(str(exc)) from exc
        if qa is not None:
            qa.base = _folder_of(source)
    if shard is not None or args.recursive:
        _take_shard(source, args, shard, qa)
    if source.per_file:
        return _scan_files(source, args, qa)
    return _scan_stream(source, args, started, opening_error)


def _check_file_options(args) -> tuple[int, int] | None:
    """--shard K/N as (K, N) and every report path checked, before a file is read (exit 2 at once)."""
    from payer_app.qa.report_files import ReportPathError, check_report_paths
    from payer_app.qa.shards import ShardError, parse_shard

    if args.recursive and len(args.sources) > 1:
        raise UsageError("--recursive works on a folder, not on pictures named one by one")
    try:
        shard = None if args.shard is None else parse_shard(args.shard)
        check_report_paths({"--report": args.report, "--junit": args.junit, "--html": args.html,
                            "--summary": args.summary})
    except (ShardError, ReportPathError) as exc:
        raise UsageError(str(exc)) from exc
    return shard


def _list_folder(source, args) -> None:
    """--recursive: the folder's files with its subfolders', in key order (before the source opens)."""
    from payer_app.qa.shards import ShardError, list_images
    from payer_app.scan.sources import IMAGE_SUFFIXES, FolderSource, SourceError

    if not args.recursive:
        return
    if not isinstance(source, FolderSource):
        raise SourceError(f"{visible(source.spec, 200)}: --recursive works on a folder")
    try:
        source.paths = list_images(source.folder, IMAGE_SUFFIXES, recursive=True)
    except ShardError as exc:
        raise SourceError(str(exc)) from exc


def _take_shard(source, args, shard, qa) -> None:
    """Keep this shard's files (``qa.shards.keep_shard``); only file-by-file sources have shards."""
    from payer_app.qa.shards import keep_shard

    if not source.per_file:
        source.close()
        raise UsageError("--shard and --recursive work on images and folders (file by file), not on cameras or videos")
    if shard is not None:
        total = len(source.paths)
        keep_shard(source, shard, _folder_of(source), qa)
        print(f"payer-app: scan: shard {shard[0]}/{shard[1]}: {len(source.paths)} of {total} file(s)",
              file=sys.stderr)


def _folder_of(source) -> str | None:
    """The scanned folder (file keys are relative to it); None for pictures named one by one."""
    folder = getattr(source, "folder", None)
    return None if folder is None else str(folder)


def _list_cameras(args) -> int:
    from payer_app.scan.sources import list_cameras

    cameras = list_cameras()
    if args.json:
        for cam in cameras:
            print(json_dumps({"source": cam.spec, "path": cam.path, "name": cam.name}))
    elif not cameras:
        print("no webcam found (the demo camera is always there: payer-app scan demo)")
    else:
        for cam in cameras:
            print(f"{cam.spec}\t{visible(cam.path or '')}\t{visible(cam.name)}")
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# output helpers


def _code_dict(d: Detection) -> dict:
    return {
        "polygon": [list(p) for p in d.polygon],
        "decoder": d.decoder,
        "payload": d.text,
        "parse": parse_payload(d.text).to_dict(),
    }


def _summary_line(text: str) -> str:
    parsed = parse_payload(text)
    if not parsed.is_payment:
        return "not a payment QR"
    what = parsed.scheme_label or "EMVCo payload"
    parts = [what]
    if parsed.bill.evn_customer_code:
        parts.append(f"customer {parsed.bill.evn_customer_code}")
    if parsed.merchant.name:
        parts.append(parsed.merchant.name)
    if parsed.amount is not None:
        parts.append(f"{parsed.amount} VND")
    state = "valid" if parsed.valid else f"INVALID: {parsed.errors[0].message}"
    return ", ".join(parts) + f" ({state})"


def _polygon_text(polygon) -> str:
    return " ".join(f"{x},{y}" for x, y in polygon)


def _is_payment(text: str) -> bool:
    return parse_payload(text).is_payment


def _write_report(path: str, report: dict) -> bool:
    """The --report JSON summary, written atomically; False (after one line on stderr) when it cannot be."""
    from payer_app.qa.report_files import write_report

    return write_report(path, json_dumps(report, indent=2) + "\n", "report")


# ---------------------------------------------------------------------------------------------
# still images, file by file


def _scan_files(source, args, qa=None) -> int:
    """Every file once, in order: one line each (a file that cannot be read is a line too, and the
    scan goes on); exit 0 only when every file held a QR code (or, with --expect, passed)."""
    from payer_app.qa.workers import FileDecoder, default_jobs, file_tasks

    scan = FileScan()
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    interrupted = False
    try:  # Ctrl+C only sets a flag (CtrlC): a line is never cut in the middle; the workers end with the block
        with CtrlC() as ctrl_c, FileDecoder(args.jobs or default_jobs(), len(source.paths)) as decoder:
            for result in decoder.results(file_tasks(source.paths, qa), stop=lambda: ctrl_c.pressed):
                if deadline is not None and time.monotonic() > deadline:
                    print(f"payer-app: scan: --timeout reached after {scan.files} file(s)", file=sys.stderr)
                    break
                _scan_one_file(result, scan, args, qa)
            interrupted = ctrl_c.pressed
    except KeyboardInterrupt:  # Ctrl+C off the main thread's watch
        interrupted = True
    finally:
        source.close()
    if interrupted:
        print("payer-app: scan: interrupted", file=sys.stderr)
    written = _write_report(args.report, scan.report(source)) if args.report else True
    exit_code = scan.exit_code(sharded=args.shard is not None)
    if qa is not None:
        exit_code = qa.finish(exit_code)
        written = written and qa.reports_written  # an output that cannot be written is exit 2 (docs/cli.md)
    if not written:
        return EXIT_USAGE
    return EXIT_INTERRUPTED if interrupted else exit_code


def _scan_one_file(result, scan: FileScan, args, qa) -> None:
    """Count and print one decoded file (``qa.workers.FileResult``); a file that could not be read
    (too big, too many pixels, damaged, decoder failure) is a line too."""
    path = result.path
    line: dict = {"source": path, "found": False}
    scan.files += 1
    if result.error is not None:
        line["error"] = visible(result.error)
        scan.failures.append({"file": path, "error": visible(result.error)})
        if qa is not None:
            qa.add(line, None, [], None)
        _print_file(line, [], args)
        return
    codes, decode_ms = result.codes, result.decode_ms
    scan.timings.append(decode_ms)
    line.update({"frame": 0, "t_ms": round(decode_ms, 2), "decode_ms": round(decode_ms, 2), "pass": result.stage})
    if codes:
        scan.found_files += 1
        first = next((c for c in codes if _is_payment(c.text)), codes[0])  # the payment QR leads the line
        line.update(found=True, **_code_dict(first))
        line["codes"] = [_code_dict(c) for c in codes]
        for c in codes:
            scan.per_decoder[c.decoder] = scan.per_decoder.get(c.decoder, 0) + 1
    else:
        scan.failures.append({"file": path, "error": None})
    if qa is not None:
        qa.add(line, None, codes, decode_ms, card=result.card)
    _print_file(line, codes, args)


def _print_file(line: dict, codes: list[Detection], args) -> None:
    if args.json:
        print(json_dumps(line), flush=True)
        return
    source = visible(line["source"])
    if "error" in line:
        error = line["error"]  # SourceError messages start with the file name: not twice on one line
        error = error[len(source) + 2:] if error.startswith(source + ": ") else error
        print(f"{source}: cannot read: {error}", flush=True)
    elif not codes:
        print(f"{source}: no QR code found", flush=True)
    else:
        for c in codes:
            print(f"{source}: {c.decoder} at [{_polygon_text(c.polygon)}] {visible(c.text)}", flush=True)
            print(f"    {visible(_summary_line(c.text))}", flush=True)


# ---------------------------------------------------------------------------------------------
# streams

EVENT_WAIT_S = 0.2  # how often the wait for the session's next event looks at the --timeout deadline
# How long the end of a scan waits for each of the session's threads: a network read in flight is
# interrupted at once and a live frame decodes in milliseconds; an FFmpeg read (rtsp://) that
# cannot be interrupted is not waited for (``_ended``).
STOP_WAIT_S = 0.5


@dataclass
class StreamScan:
    """What a stream scan saw: the codes accepted (in order), why it stopped, when the first came."""

    args: object
    started: float = field(default_factory=time.monotonic)
    accepted: list = field(default_factory=list)
    last_error: str | None = None  # the last problem printed (numbers left out), and the frames decoded then
    decoded_at_last_error: int = -1
    per_decoder: dict[str, int] = field(default_factory=dict)
    stop_reason: str | None = None
    first_accept_ms: float | None = None

    def accept(self, scan) -> None:
        """Count and print one accepted code."""
        self.accepted.append(scan)
        self.per_decoder[scan.decoder] = self.per_decoder.get(scan.decoder, 0) + 1
        if self.first_accept_ms is None:
            self.first_accept_ms = (time.monotonic() - self.started) * 1000.0
        _print_scan(scan, self.args)

    def error(self, error, frames_decoded: int) -> None:
        """One line for a source problem; the same problem again, with no frame decoded since, is
        not repeated (a camera refused on every reconnection is said once)."""
        text = visible(error)
        problem = re.sub(r"\d+(?:\.\d+)?", "N", text)  # "6.1 MB received" and "5.9 MB received" alike
        if problem == self.last_error and frames_decoded == self.decoded_at_last_error:
            return
        self.last_error, self.decoded_at_last_error = problem, frames_decoded
        print(f"payer-app: error: scan: {text}", file=sys.stderr, flush=True)

    def nothing_found(self, source, stats) -> None:
        """The closing line of a stream scan that ended (timeout, max-frames) with nothing accepted;
        none when the last line already said what went wrong and no frame was decoded since."""
        if self.last_error is not None and stats.frames_decoded == self.decoded_at_last_error:
            return
        if source.live and stats.frames_captured == 0:
            print(f"payer-app: error: scan: {visible(source.spec)}: no frame from the camera in "
                  f"{time.monotonic() - self.started:.0f} s; nothing found", file=sys.stderr, flush=True)
            return
        print(f"payer-app: scan: nothing found ({self.stop_reason} after {stats.frames_decoded} frames)",
              file=sys.stderr, flush=True)

    def report(self, source, stats) -> dict:
        from payer_app.qa.timings import timing_summary

        return {
            "source": source.spec,
            "kind": source.kind,
            "files": None,
            "found": len(self.accepted),
            "not_found": None,
            "stopped_by": self.stop_reason,
            "frames_captured": stats.frames_captured,
            "frames_decoded": stats.frames_decoded,
            "frames_dropped": stats.frames_dropped,
            "errors": stats.errors,
            "per_decoder": self.per_decoder,
            "timings": {
                "decode": timing_summary(list(stats.decode_ms)),
                "first_accept_ms": None if self.first_accept_ms is None else round(self.first_accept_ms, 1),
                "elapsed_s": round(time.monotonic() - self.started, 3),
            },
        }


def _stream_check(args, source):
    """--expect / --junit / --summary on a video or a camera (``qa.stream_expectations``); exit 2 for
    unusable options."""
    from payer_app.qa.batch import QaSetupError
    from payer_app.qa.stream_expectations import StreamCheck

    try:
        return StreamCheck.from_args(args, source)
    except QaSetupError as exc:
        source.close()
        raise UsageError(str(exc)) from exc


def _scan_stream(source, args, started: float | None = None, opening_error=None, check=None) -> int:
    """Run a scan session until the first accepted payment QR (every code with --all), the end of the
    source, --max-frames, --timeout or Ctrl+C; exit 0 when a code was accepted, else 1 (with --expect:
    0 when the expectation passed)."""
    events: queue.Queue = queue.Queue()
    scan = StreamScan(args) if started is None else StreamScan(args, started=started)
    if opening_error is not None:
        scan.error(opening_error, 0)
    session = _start_session(source, args, events)
    try:
        with CtrlC() as ctrl_c:
            scan.stop_reason = _follow_session(session, events, scan, args, ctrl_c)
    except KeyboardInterrupt:  # Ctrl+C off the main thread's watch (not the main thread, or a second Ctrl+C)
        scan.stop_reason = "interrupted"
    finally:
        session.stop(STOP_WAIT_S)
    _take_codes_of_the_last_frame(events, scan, session)
    if scan.stop_reason in ("timeout", "max-frames", "end of source") and not scan.accepted:
        scan.nothing_found(source, session.stats)
    report = scan.report(source, session.stats)
    verdict = None if check is None else check.finish(scan.accepted, scan.stop_reason,
                                                      session.stats.frames_decoded, report)
    written = _write_report(args.report, report) if args.report else True
    if not written or (check is not None and not check.reports_written):
        code = EXIT_USAGE
    elif scan.stop_reason == "interrupted" and not scan.accepted:
        code = EXIT_INTERRUPTED
    elif verdict is not None:
        code = verdict
    else:
        code = EXIT_OK if scan.accepted else EXIT_NO
    return _ended(session, code)


def _ended(session, code: int) -> int:
    """``code``, once the session's threads have ended. A thread still inside a native read (an FFmpeg
    stream that ignores its time-out) would abort the interpreter's exit (SIGABRT); then the output is
    flushed and the process ends here, with ``code``, without that exit."""
    if not session.threads_alive:
        return code
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _start_session(source, args, events: queue.Queue):
    """A ScanSession on its own threads; its callbacks put (kind, value) events on the queue."""
    from payer_app.scan.engine import ScanSession

    session = ScanSession(
        source,
        on_accepted=lambda scan: events.put(("accepted", scan)),
        on_error=lambda exc: events.put(("error", exc)),
        on_finished=lambda: events.put(("finished", None)),
        frames_required=args.frames,
        hold_off_ms=args.hold_off * 1000.0,
        max_frames=args.max_frames,
    )
    session.start()
    return session


class CtrlC:
    """Ctrl+C during a stream scan, noted by a signal handler that only sets a flag. A KeyboardInterrupt
    raised while the main thread is inside the event queue's lock can leave that lock held, and the scan
    then hangs on its way out (seen once under load); a flag read between events cannot."""

    def __init__(self) -> None:
        self.pressed = False
        self._installed = False
        self._previous: Callable[[int, FrameType | None], Any] | int | None = None

    def __enter__(self) -> CtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._note)
            self._installed = True
        return self

    def _note(self, signum, frame) -> None:
        self.pressed = True

    def __exit__(self, *exc) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous if self._previous is not None else signal.SIG_DFL)


def _follow_session(session, events: queue.Queue, scan: StreamScan, args, ctrl_c: CtrlC) -> str:
    """Handle the session's events as they come; returns why the scan stopped."""
    deadline = None if args.timeout is None else scan.started + args.timeout
    while not ctrl_c.pressed:
        wait = EVENT_WAIT_S if deadline is None else max(0.0, min(EVENT_WAIT_S, deadline - time.monotonic()))
        try:
            kind, value = events.get(timeout=wait)
        except queue.Empty:
            if deadline is not None and time.monotonic() >= deadline:
                return "timeout"
            continue
        if kind == "accepted":
            scan.accept(value)
            if not args.all and _is_payment(value.text):
                return "found"
        elif kind == "error":
            scan.error(value, session.stats.frames_decoded)
        elif kind == "finished":
            reached = args.max_frames is not None and session.stats.frames_decoded >= args.max_frames
            return "max-frames" if reached else "end of source"
    return "interrupted"


def _take_codes_of_the_last_frame(events: queue.Queue, scan: StreamScan, session) -> None:
    """Codes accepted on the same frame as the one that ended the scan are printed too; errors
    still queued are shown; anything later is dropped."""
    while True:
        try:
            kind, value = events.get_nowait()
        except queue.Empty:
            return
        if kind == "accepted" and scan.accepted and value.frame_index == scan.accepted[-1].frame_index:
            scan.accept(value)
        elif kind == "error":
            scan.error(value, session.stats.frames_decoded)


def _print_scan(scan, args) -> None:
    if args.json:
        line = {"source": scan.source, "frame": scan.frame_index, "t_ms": round(scan.t_ms, 1)}
        line.update(_code_dict(scan.detection))
        line["decode_ms"] = round(scan.decode_ms, 2)
        print(json_dumps(line), flush=True)
        return
    print(f"frame {scan.frame_index} ({scan.t_ms:.0f} ms) {scan.decoder} at [{_polygon_text(scan.polygon)}] "
          f"{visible(scan.text)}", flush=True)
    print(f"    {visible(_summary_line(scan.text))}", flush=True)
