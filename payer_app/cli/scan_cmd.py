"""``payer-app scan SOURCE [--json] [--all] [--timeout S] [--max-frames N] [--report FILE]``.

Streams (demo, camera, video): one line per accepted QR; stops at the first accepted payment QR
unless ``--all``. Exit 0 found, 1 nothing found, 2 bad source.
Still images (an image, several images, a folder): every file, one line per file with ``found``.
Exit 0 when every file held a QR code, 1 when some did not, 2 bad source.

Everything printed that came from outside (QR text, merchant names, file names, error messages
quoting them) goes through ``display_text.visible``; JSON lines and the report through
``json_output.dumps`` (valid UTF-8 whatever the file names, no raw control characters). A file
that cannot be read (too big, too many pixels, damaged) is one line, and the scan goes on.
"""

from __future__ import annotations

import queue
import statistics
import sys
import time
from pathlib import Path

from payer_app.cli import UsageError
from payer_app.core.display_text import visible
from payer_app.core.json_output import dumps as json_dumps
from payer_app.core.payload import parse_payload
from payer_app.scan.decoders import Detection
from payer_app.scan.sources import SourceError, make_source, open_image_list


def register(sub) -> None:
    p = sub.add_parser(
        "scan",
        help="scan QR codes from the demo camera, a webcam, a video, images or a folder",
        description=(
            "Scan payment QR codes. SOURCE is demo, camera:N, /dev/videoN, a video file, an image file "
            "(several may be given) or a folder of images. Streams stop at the first accepted payment QR "
            "unless --all; images and folders are scanned file by file. Exit 0 found (every file, for "
            "images), 1 nothing found, 2 bad source."
        ),
    )
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="demo, camera:N, /dev/videoN, video, image(s), folder")
    p.add_argument("--list-cameras", action="store_true", help="list the webcams that deliver video, then exit")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--all", action="store_true", help="keep scanning after the first payment QR")
    p.add_argument("--timeout", type=float, metavar="S", help="give up after S seconds")
    p.add_argument("--max-frames", type=int, metavar="N", help="give up after N decoded frames")
    p.add_argument("--report", metavar="FILE", help="write a JSON summary (counts, decoders, timings) to FILE")
    p.add_argument("--expect", metavar="FILE", help="check each file against FILE (file -> payload or fields; "
                   "a generate-corpus manifest works); exit 0 only when every file passes")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report (images, fields, results)")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML, one test case per file, for CI")
    p.add_argument("--frames", type=int, default=2, metavar="N",
                   help="consecutive frames that must show a code before it is accepted (default 2)")
    p.add_argument("--hold-off", type=float, default=3.0, metavar="S",
                   help="seconds before the same payload is reported again (default 3)")
    p.set_defaults(func=run)


def run(args) -> int:
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
    try:
        if len(args.sources) > 1:
            source = open_image_list(args.sources)
        else:
            source = make_source(args.sources[0])
            source.open()
    except SourceError as exc:
        raise UsageError(f"bad source: {visible(exc)}") from exc
    qa = None
    if args.expect or args.html or args.junit:
        from payer_app.qa.batch import QaBatch, QaSetupError
        try:
            qa = QaBatch.from_args(args, source)
        except QaSetupError as exc:
            source.close()
            raise UsageError(str(exc)) from exc
    if source.per_file:
        return _scan_files(source, args, qa)
    return _scan_stream(source, args)


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
    return 0


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


def _timings(values: list[float]) -> dict:
    if not values:
        return {"count": 0, "median_ms": None, "p95_ms": None, "max_ms": None}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
        "max_ms": round(ordered[-1], 2),
    }


def _write_report(path: str, report: dict) -> None:
    try:
        Path(path).write_text(json_dumps(report, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        print(f"payer-app: scan: cannot write the report {visible(path)}: {visible(exc.strerror or exc)}",
              file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# still images, file by file


def _scan_files(source, args, qa=None) -> int:
    from payer_app.scan.engine import STILL, decode_checked

    started = time.perf_counter()
    files = found_files = 0
    per_decoder: dict[str, int] = {}
    timings: list[float] = []
    failures: list[dict] = []
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    try:
        for path in source.paths:
            if deadline is not None and time.monotonic() > deadline:
                print(f"payer-app: scan: --timeout reached after {files} file(s)", file=sys.stderr)
                break
            files += 1
            line: dict = {"source": str(path), "found": False}
            try:
                frame = source.read()
                t0 = time.perf_counter()
                if frame is None:  # no frame for this path: the list is exhausted
                    break
                codes = decode_checked(frame.image, STILL, str(path))
                decode_ms = (time.perf_counter() - t0) * 1000.0
                timings.append(decode_ms)
            except SourceError as exc:  # too big, too many pixels, damaged, decoder failure
                line["error"] = visible(exc)
                failures.append({"file": str(path), "error": visible(exc)})
                if qa is not None:
                    qa.add(line, None, [], None)
                _print_file(line, [], args)
                continue
            line.update({"frame": 0, "t_ms": round(decode_ms, 2)})
            if codes:
                found_files += 1
                line["found"] = True
                first = next((c for c in codes if _is_payment(c.text)), codes[0])
                line.update(_code_dict(first))
                line["codes"] = [_code_dict(c) for c in codes]
                for c in codes:
                    per_decoder[c.decoder] = per_decoder.get(c.decoder, 0) + 1
            else:
                failures.append({"file": str(path), "error": None})
            if qa is not None:
                qa.add(line, frame.image, codes, decode_ms)
            _print_file(line, codes, args)
    except KeyboardInterrupt:
        print("payer-app: scan: interrupted", file=sys.stderr)
    finally:
        source.close()
    if args.report:
        _write_report(args.report, {
            "source": source.spec,
            "kind": source.kind,
            "files": files,
            "found": found_files,
            "not_found": files - found_files,
            "not_found_files": failures,
            "per_decoder": per_decoder,
            "timings": {"decode": _timings(timings), "elapsed_s": round(time.perf_counter() - started, 3)},
        })
    exit_code = 0 if files and found_files == files else 1
    return exit_code if qa is None else qa.finish(exit_code)


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


def _scan_stream(source, args) -> int:
    from payer_app.scan.engine import ScanSession

    events: queue.Queue = queue.Queue()
    session = ScanSession(
        source,
        on_accepted=lambda scan: events.put(("accepted", scan)),
        on_error=lambda exc: events.put(("error", exc)),
        on_finished=lambda: events.put(("finished", None)),
        frames_required=args.frames,
        hold_off_ms=args.hold_off * 1000.0,
        max_frames=args.max_frames,
    )
    started = time.monotonic()
    deadline = None if args.timeout is None else started + args.timeout
    accepted: list = []
    per_decoder: dict[str, int] = {}
    stop_reason = None
    first_accept_ms = None
    session.start()
    try:
        while True:
            wait = 0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic()))
            try:
                kind, value = events.get(timeout=wait)
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    stop_reason = "timeout"
                    break
                continue
            if kind == "accepted":
                accepted.append(value)
                per_decoder[value.decoder] = per_decoder.get(value.decoder, 0) + 1
                if first_accept_ms is None:
                    first_accept_ms = (time.monotonic() - started) * 1000.0
                _print_scan(value, args)
                if not args.all and _is_payment(value.text):
                    stop_reason = "found"
                    break
            elif kind == "error":
                print(f"payer-app: scan: {visible(value)}", file=sys.stderr, flush=True)
            elif kind == "finished":
                reached = args.max_frames is not None and session.stats.frames_decoded >= args.max_frames
                stop_reason = "max-frames" if reached else "end of source"
                break
    except KeyboardInterrupt:
        stop_reason = "interrupted"
    finally:
        session.stop()
    # Codes accepted on the same frame as the one that ended the scan are printed too.
    while True:
        try:
            kind, value = events.get_nowait()
        except queue.Empty:
            break
        if kind == "accepted" and accepted and value.frame_index == accepted[-1].frame_index:
            accepted.append(value)
            per_decoder[value.decoder] = per_decoder.get(value.decoder, 0) + 1
            _print_scan(value, args)
        elif kind == "error":
            print(f"payer-app: scan: {visible(value)}", file=sys.stderr, flush=True)
    if stop_reason in ("timeout", "max-frames") and not accepted:
        print(f"payer-app: scan: nothing found ({stop_reason} after {session.stats.frames_decoded} frames)",
              file=sys.stderr)
    if args.report:
        _write_report(args.report, {
            "source": source.spec,
            "kind": source.kind,
            "files": None,
            "found": len(accepted),
            "not_found": None,
            "stopped_by": stop_reason,
            "frames_captured": session.stats.frames_captured,
            "frames_decoded": session.stats.frames_decoded,
            "frames_dropped": session.stats.frames_dropped,
            "errors": session.stats.errors,
            "per_decoder": per_decoder,
            "timings": {
                "decode": _timings(list(session.stats.decode_ms)),
                "first_accept_ms": None if first_accept_ms is None else round(first_accept_ms, 1),
                "elapsed_s": round(time.monotonic() - started, 3),
            },
        })
    if stop_reason == "interrupted":
        return 0 if accepted else 130
    return 0 if accepted else 1


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
