"""What a video or a camera stream is expected to give (``payer-app scan VIDEO --expect FILE``).

FILE is JSON, read with limits: ``{"stream": ENTRY}``, or ENTRY itself. ENTRY is the expected payload
(a string) or an object with the keys of a file's expectation (``payload``, ``scheme``,
``customer_code``, ``amount``, ``valid``, ``finding_codes``, ``found``: ``qa/expectations.py``) and
three of a stream's own:

- ``within_s``: the expected code is accepted at most this many seconds into the stream (the video's
  position for a file, the time since the stream started for a camera);
- ``within_frames``: it is accepted on one of the first N frames (``frame_index < N``, the frame
  numbers ``scan`` prints, from 0);
- ``never_wrong`` (default true): no other payment QR is accepted, before or after it. Without
  ``--all`` the scan stops at the first accepted payment QR, so a wrong one fails it; with ``--all``
  every code accepted until the end of the stream counts. ``false``: a wrong code is only a note,
  as long as the expected one is accepted too.

Codes that are not payment QRs (a web link in view) are set aside with a note, unless one is the
expected payload. The stream gets one outcome: ``pass``, ``wrong-payload``, ``wrong-fields``,
``not-found`` (nothing accepted: the reason the scan stopped and the frames decoded are said),
``unexpected-qr`` (``found`` is false and a payment QR was accepted) or ``too-late``. Only ``pass``
passes; the scan command then exits 0, else 1 (an expectation failed).

The verdict is printed (standard output; standard error with ``--json``, which prints a last JSON
line ``{"source", "found", "expect"}`` instead), added to the ``--report`` JSON as ``expect``, and
written as one JUnit test case with ``--junit`` (the same writer as a folder's report).
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from payer_app.core.display_text import visible
from payer_app.core.payload import parse_payload
from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted
from payer_app.qa.batch import CodeRead, FileRecord, QaBatch, QaSetupError, expect_option
from payer_app.qa.expectations import (
    ENTRY_KEYS,
    NOT_FOUND,
    PASS,
    Expectation,
    ExpectationError,
    Outcome,
    check_texts,
    entry_expectation,
    read_capped,
)

MAX_STREAM_EXPECT_BYTES = 1024 * 1024  # one entry: a payload is at most a few kilobytes
MAX_WITHIN_S = 24 * 3600.0
MAX_WITHIN_FRAMES = 10_000_000
STREAM_KEYS = ("within_s", "within_frames", "never_wrong")
TOO_LATE = "too-late"


@dataclass(frozen=True)
class StreamExpectation:
    code: Expectation  # what the accepted code must be (payload, fields, found)
    within_s: float | None = None
    within_frames: int | None = None
    never_wrong: bool = True

    def to_dict(self) -> dict:
        out = self.code.to_dict()
        out.update(within_s=self.within_s, within_frames=self.within_frames, never_wrong=self.never_wrong)
        return out


@dataclass(frozen=True)
class Accepted:
    """One code the scan accepted: what it said and when."""

    text: str
    frame_index: int
    t_ms: float
    decoder: str = ""
    polygon: tuple = ()


# ---------------------------------------------------------------------------------------------
# loading


def load_stream_expectation(path: str | os.PathLike) -> StreamExpectation:
    """Read FILE; raises ExpectationError naming the file and the key at fault."""
    label = visible(str(path), 200)
    data = read_capped(path, MAX_STREAM_EXPECT_BYTES, label)
    try:
        document = loads_untrusted(data, max_bytes=MAX_STREAM_EXPECT_BYTES, max_depth=8, what=label)
    except UntrustedJSONError as exc:
        raise ExpectationError(str(exc)) from None
    where = label
    if isinstance(document, dict) and "stream" in document:
        extra = sorted(set(document) - {"stream", "note"})
        if extra:
            raise ExpectationError(f"{label}: unknown key {visible(extra[0], 40)} beside \"stream\"")
        document, where = document["stream"], f"{label}: \"stream\""
    return stream_expectation(document, where)


def stream_expectation(value: Any, where: str) -> StreamExpectation:
    """One entry (a payload string or an object of expected fields and stream keys)."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - ENTRY_KEYS - set(STREAM_KEYS) - {"note"})
        if unknown:
            known = ", ".join(sorted((*ENTRY_KEYS, *STREAM_KEYS)))
            raise ExpectationError(f"{where}: unknown key {visible(unknown[0], 40)}; known keys: {known}")
        stream = {k: value[k] for k in STREAM_KEYS if k in value}
        value = {k: v for k, v in value.items() if k not in STREAM_KEYS}
    elif isinstance(value, str):
        stream = {}
    else:
        raise ExpectationError(f"{where}: expected a payload string or an object of expected fields")
    code = entry_expectation("stream", value, where)
    never_wrong = stream.get("never_wrong", True)
    if not isinstance(never_wrong, bool):
        raise ExpectationError(f"{where}: \"never_wrong\" must be true or false")
    return StreamExpectation(code, within_s=_within_s(stream.get("within_s"), where),
                             within_frames=_within_frames(stream.get("within_frames"), where),
                             never_wrong=never_wrong)


def _within_s(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not 0 < value <= MAX_WITHIN_S:
        raise ExpectationError(f"{where}: \"within_s\" must be a number of seconds above 0, at most {MAX_WITHIN_S:.0f}")
    return float(value)


def _within_frames(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_WITHIN_FRAMES:
        raise ExpectationError(f"{where}: \"within_frames\" must be a whole number of frames from 1 to "
                               f"{MAX_WITHIN_FRAMES}")
    return value


# ---------------------------------------------------------------------------------------------
# judging


def judge(shown: str, expected: StreamExpectation, accepted: list[Accepted], stopped_by: str | None,
          frames_decoded: int) -> Outcome:
    """The stream's one outcome from the codes it accepted, in order."""
    want = expected.code
    codes = [a for a in accepted if a.text == want.payload or parse_payload(a.text).is_payment]
    notes = []
    if len(codes) < len(accepted):
        notes.append(f"{len(accepted) - len(codes)} code(s) that are not payment QRs set aside")
    if not codes:
        outcome = check_texts(shown, want, [])
        if outcome.status == NOT_FOUND:
            outcome.problems = [f"nothing accepted in {frames_decoded} frame(s) decoded "
                                f"(the scan stopped: {stopped_by or 'unknown'})"]
        outcome.notes = notes + outcome.notes
        return outcome
    judged = [(a, check_texts(shown, want, [a.text])) for a in codes]
    right = next((a for a, o in judged if o.passed), None)
    wrong = [(a, o) for a, o in judged if not o.passed]
    if wrong and (expected.never_wrong or right is None):
        first, outcome = wrong[0]
        outcome.problems = [f"accepted on {_when(first)}", *outcome.problems]
        outcome.notes = notes + outcome.notes
        return outcome
    notes += [f"also accepted on {_when(a)}: {visible(a.text, 120)}" for a, _ in wrong]
    assert right is not None
    late = []
    if expected.within_s is not None and right.t_ms > expected.within_s * 1000.0 + 1e-6:
        late.append(f"accepted on {_when(right)}; expected within {expected.within_s:g} s")
    if expected.within_frames is not None and right.frame_index >= expected.within_frames:
        late.append(f"accepted on {_when(right)}; expected within the first {expected.within_frames} frame(s)")
    if late:
        return Outcome(shown, TOO_LATE, late, want, notes)
    return Outcome(shown, PASS, [], want, [f"accepted on {_when(right)}", *notes])


def _when(a: Accepted) -> str:
    return f"frame {a.frame_index} at {a.t_ms / 1000.0:.3f} s"


# ---------------------------------------------------------------------------------------------
# the scan command's side


@dataclass
class StreamCheck:
    """``--expect`` / ``--junit`` (and ``--summary``) on a video or a camera: judged once the scan stopped."""

    shown: str
    expected: StreamExpectation | None
    expect_path: str | None
    junit_path: str | None
    summary_path: str | None = None
    json_lines: bool = False
    started: float = field(default_factory=time.perf_counter)
    reports_written: bool = True

    @classmethod
    def from_args(cls, args, source) -> StreamCheck:
        """Raises QaSetupError for options a stream cannot use or an unusable FILE."""
        for option, given in (("--html", getattr(args, "html", None)), ("--shard", getattr(args, "shard", None)),
                              ("--recursive", getattr(args, "recursive", False))):
            if given:
                raise QaSetupError(f"{option} works on images and folders (file by file), not on a video or a "
                                   "camera")
        expect = getattr(args, "expect", None)
        expected = expect_option(expect, load_stream_expectation)
        return cls(shown=str(getattr(source, "spec", "")), expected=expected, expect_path=expect,
                   junit_path=getattr(args, "junit", None), summary_path=getattr(args, "summary", None),
                   json_lines=bool(getattr(args, "json", False)))

    def finish(self, accepted: list, stopped_by: str | None, frames_decoded: int, report: dict) -> int | None:
        """Judge, print the verdict, add it to ``report``, write the JUnit file. The exit code the
        expectation decides (0 passed, 1 failed), None without ``--expect``. A JUnit file that cannot
        be written leaves ``reports_written`` False (the command then exits 2)."""
        codes = [Accepted(a.text, a.frame_index, a.t_ms, a.decoder, tuple(tuple(p) for p in a.polygon))
                 for a in accepted]
        outcome = None
        if self.expected is not None:
            outcome = judge(self.shown, self.expected, codes, stopped_by, frames_decoded)
            report["expect_file"] = self.expect_path
            report["expect"] = {**outcome.to_dict(), "expected": self.expected.to_dict()}
            self._print(outcome, bool(codes))
        if self.junit_path or self.summary_path:
            self.reports_written = self._write_reports(codes, outcome)
        if outcome is None:
            return None
        return 0 if outcome.passed else 1

    def _print(self, outcome: Outcome, found: bool) -> None:
        out = sys.stderr if self.json_lines else sys.stdout
        head = f"expectation ({visible(self.expect_path, 200)}): {visible(self.shown, 300)}:"
        if outcome.passed:
            print(f"{head} pass ({'; '.join(outcome.notes)})", file=out, flush=True)
        else:
            print(f"{head} FAIL {outcome.status}", file=out)
            for problem in outcome.problems:
                print(f"       {problem}", file=out)
            out.flush()
        if self.json_lines:
            from payer_app.core.json_output import dumps

            print(dumps({"source": self.shown, "found": found,
                         "expect": {"status": outcome.status, "problems": outcome.problems,
                                    "notes": outcome.notes}}), flush=True)

    def _write_reports(self, codes: list[Accepted], outcome: Outcome | None) -> bool:
        """The stream as one record in the reports of a folder scan, written by their writer
        (``QaBatch.finish`` with no expectations set only writes). The record has no decode time: when
        the code was accepted is in its notes."""
        summary: dict[str, Any] = {} if not self.summary_path else {"summary_path": self.summary_path,
                                                                    "source": self.shown}
        batch = QaBatch(expect_path=self.expect_path, junit_path=self.junit_path, json_lines=self.json_lines,
                        title=f"payer-app scan {visible(self.shown, 200)}", started=self.started, **summary)
        batch.records.append(FileRecord(self.shown, [CodeRead(c.text, c.polygon, c.decoder) for c in codes],
                                        None, None, outcome))
        batch.finish(0)
        return batch.reports_written
