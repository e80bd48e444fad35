"""The QA side of a file-by-file scan: expectations, HTML and JUnit reports.

``payer-app scan FOLDER --expect FILE --html report.html --junit junit.xml`` creates one ``QaBatch``;
the scan command hands it every file's result (``add``) and calls ``finish`` at the end, which
writes the reports and decides the exit code (with ``--expect``: 0 only when every file passed).

What is kept per file is small: the file name, the payloads and corners read, the decode time, the
expectation outcome and (only with ``--html``) a JPEG thumbnail and a PNG crop of the code, so a
corpus of thousands of pictures does not fill the memory.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from payer_app.core.display_text import visible
from payer_app.core.payload import parse_payload
from payer_app.qa.expectations import (
    PASS,
    STATUSES,
    ExpectationError,
    ExpectationSet,
    Outcome,
    load_expectations,
)
from payer_app.qa.timings import timing_summary

THUMB_SIDE = 160  # long side of a card's thumbnail, pixels (a 500-file page stays under 3 MB: docs/qa.md)
CROP_SIDE = 160  # long side of the code's crop, made for failures only
MAX_PASS_PICTURES = 100  # pictures are kept for every failure but only this many passing files


class QaSetupError(ValueError):
    """The QA options cannot be used (bad expectations file, a stream source...)."""


def expect_option(expect, load):
    """``--expect FILE`` read by ``load`` (None without the option); an unusable FILE raises
    QaSetupError naming the option."""
    if not expect:
        return None
    try:
        return load(expect)
    except ExpectationError as exc:
        raise QaSetupError(f"--expect: {exc}") from None


@dataclass
class CodeRead:
    text: str
    polygon: tuple
    decoder: str


@dataclass
class FileRecord:
    file: str
    codes: list[CodeRead]
    decode_ms: float | None
    error: str | None
    outcome: Outcome | None
    thumbnail: str | None = None  # data: URI
    crop: str | None = None  # data: URI
    image_size: tuple[int, int] | None = None

    @property
    def status(self) -> str:
        if self.outcome is not None:
            return self.outcome.status
        if self.error is not None:
            return "unreadable"
        return "found" if self.codes else "not-found"

    @property
    def failed(self) -> bool:
        if self.outcome is not None:
            return not self.outcome.passed
        return self.error is not None or not self.codes

    @property
    def decoder(self) -> str:
        return self.codes[0].decoder if self.codes else "none"

    def main_code(self) -> CodeRead | None:
        """The code the expectation was checked against, else the first payment QR, else the first."""
        want = self.outcome.expected.payload if self.outcome and self.outcome.expected else None
        return main_code(self.codes, want)


def main_code(codes: Sequence, want: str | None):
    """Of ``codes`` (anything with ``text``): the one whose text is ``want``, else the first payment
    QR, else the first; None when there is none."""
    if not codes:
        return None
    for c in codes:
        if want is not None and c.text == want:
            return c
    return next((c for c in codes if parse_payload(c.text).is_payment), codes[0])


@dataclass
class QaBatch:
    expectations: ExpectationSet | None = None
    expect_path: str | None = None
    html_path: str | None = None
    junit_path: str | None = None
    summary_path: str | None = None
    json_lines: bool = False
    title: str = "payer-app scan"
    source: str = ""
    base: str | None = None  # the scanned folder: file keys, JUnit class names and shards are relative to it
    shard: dict | None = None  # {"index": K, "count": N} for --shard K/N
    records: list[FileRecord] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    started_wall: float = field(default_factory=time.time)
    pass_pictures: int = 0
    pictures_left_out: int = 0
    reports_written: bool = True  # False after finish() when a JUnit or HTML report could not be written

    @classmethod
    def from_args(cls, args, source) -> QaBatch | None:
        """None when no QA option was given. Raises QaSetupError for unusable options."""
        expect = getattr(args, "expect", None)
        html = getattr(args, "html", None)
        junit = getattr(args, "junit", None)
        summary = getattr(args, "summary", None)
        if not (expect or html or junit or summary):
            return None
        if not getattr(source, "per_file", False):
            raise QaSetupError("--expect, --html, --junit and --summary work on images and folders (file by file), "
                               "not on cameras or videos")
        expectations = expect_option(expect, load_expectations)
        return cls(expectations=expectations, expect_path=expect, html_path=html, junit_path=junit,
                   summary_path=summary, json_lines=bool(getattr(args, "json", False)),
                   title=f"payer-app scan {visible(getattr(source, 'spec', ''), 200)}",
                   source=str(getattr(source, "spec", "")))

    # per file ----------------------------------------------------------------------------------
    def wants_pass_picture(self) -> bool:
        """Whether the HTML report still keeps the pictures of a file that passes."""
        return bool(self.html_path) and self.pass_pictures < MAX_PASS_PICTURES

    def add(self, line: dict, image: np.ndarray | None, codes: Sequence, decode_ms: float | None,
            card: tuple | None = None) -> FileRecord:
        """Record one file. ``line`` is the scan command's output object for it (``source``, and
        ``error`` for an unreadable file); with ``--expect`` the outcome is added to it as
        ``line["expect"] = {"status", "problems"}`` before it is printed. The HTML report's pictures
        are made from ``image``, or come made as ``card`` (thumbnail, crop, (width, height)) from
        the worker that decoded the file (``qa.workers``)."""
        path = str(line.get("source", ""))
        error = line.get("error")
        reads = [CodeRead(c.text, tuple(tuple(p) for p in c.polygon), c.decoder) for c in codes]
        outcome = None
        if self.expectations is not None:
            outcome = self.expectations.check(path, [c.text for c in reads], error)
            line["expect"] = {"status": outcome.status, "problems": outcome.problems, "notes": outcome.notes}
        record = FileRecord(path, reads, decode_ms, error, outcome)
        keep_picture = record.failed or self.pass_pictures < MAX_PASS_PICTURES
        if self.html_path and not keep_picture:  # a passing file: it was read
            self.pictures_left_out += 1
        if self.html_path and card is not None and keep_picture:
            self.pass_pictures += not record.failed
            record.thumbnail, record.crop, record.image_size = card
        elif self.html_path and image is not None and keep_picture:
            self.pass_pictures += not record.failed
            from payer_app.qa.images import card_images

            main = record.main_code()
            record.thumbnail, record.crop = card_images(
                image, [c.polygon for c in reads], None if main is None else main.polygon, THUMB_SIDE,
                CROP_SIDE if record.failed else 0)
            record.image_size = (int(image.shape[1]), int(image.shape[0]))
        self.records.append(record)
        return record

    # end ---------------------------------------------------------------------------------------
    def finish(self, exit_code: int) -> int:
        """Add the missing entries, write the reports, print the expectation summary; the verdict's
        exit code (``summary.exit_code_of``: 1 when a check failed, else 4 when a file could not be
        read, else 0). A report that cannot be written is said on standard error and leaves
        ``reports_written`` False: the command then exits 2, as for every output that cannot be
        written (docs/cli.md)."""
        if self.expectations is not None:
            for missing in self.expectations.missing():
                self.records.append(FileRecord(missing.file, [], None, None, missing))
                if self.json_lines:  # one line per file, as for the scanned ones
                    from payer_app.core.json_output import dumps

                    print(dumps({"source": missing.file, "found": False, "expect": {
                        "status": missing.status, "problems": missing.problems, "notes": missing.notes}}),
                        flush=True)
        elapsed = time.perf_counter() - self.started
        write_failed = False
        if self.junit_path:
            from payer_app.qa.junit_report import junit_xml

            write_failed |= not _write(self.junit_path, junit_xml(self, elapsed), "JUnit report")
        if self.html_path:
            from payer_app.qa.html_report import html_report

            write_failed |= not _write(self.html_path, html_report(self, elapsed), "HTML report")
        from payer_app.qa.summary import summary_of_batch

        summary = summary_of_batch(self, elapsed)
        if self.summary_path:
            from payer_app.core.json_output import dumps

            write_failed |= not _write(self.summary_path, dumps(summary, indent=2) + "\n", "summary")
        if self.expectations is not None:
            self._print_summary()
        exit_code = summary["exit_code"]
        self.reports_written = not write_failed
        return exit_code

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.records:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def timings_by_decoder(self) -> dict[str, dict]:
        """Decode time per file, grouped by the decoder that read the file's first code."""
        groups: dict[str, list[float]] = {}
        for r in self.records:
            if r.decode_ms is not None:
                groups.setdefault(r.decoder, []).append(r.decode_ms)
        return {name: timing_summary(values) for name, values in sorted(groups.items())}

    def _print_summary(self) -> None:
        out = sys.stderr if self.json_lines else sys.stdout
        counts = self.counts()
        order = [s for s in STATUSES if s in counts]
        parts = ", ".join(f"{counts[s]} {s}" for s in order)
        print(f"expectations ({visible(self.expect_path, 200)}): {len(self.records)} file(s): {parts}",
              file=out, flush=True)
        for r in self.records:
            if r.outcome is None or r.outcome.status == PASS:
                continue
            print(f"  FAIL {r.outcome.status}: {visible(r.file, 300)}", file=out)
            for problem in r.outcome.problems:
                print(f"       {problem}", file=out)
        out.flush()


def _write(path: str, text: str, what: str) -> bool:
    from payer_app.qa.report_files import write_report

    return write_report(path, text, what)
