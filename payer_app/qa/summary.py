"""The summary a pipeline reads (``payer-app scan ... --summary FILE.json``, ``payer-app qa merge``).

One JSON object, its schema in docs/qa.md: counts (files, read, passed, failed, unreadable, missing,
by outcome), the failures with their reasons, timings, versions, the shard, the verdict and its exit
code, and one result per file (what was read, the outcome; with ``--html`` the card's pictures too),
so that ``qa merge`` can join shards into the summary, JUnit file and HTML page of one whole run.

Every count and the verdict are computed from the results alone (``summarise``): a scan and a merge
of its shards, given the same results, give the same summary but for the timings and the shard.
"""

from __future__ import annotations

import platform
import time
from importlib import metadata

from payer_app.qa.expectations import PASS, UNREADABLE
from payer_app.qa.shards import file_key, missing_key
from payer_app.qa.timings import timing_summary

SCHEMA = "payer-app-scan-summary"
SCHEMA_VERSION = 1
FOUND = "found"  # without --expect: a file where a QR code was read
PASSING = (PASS, FOUND)

# The exit codes of payer_app/cli/exits.py a verdict ends with (qa does not import the command line;
# tests/test_qa_shards.py checks they are the same)
EXIT_PASSED, EXIT_CHECK_FAILED, EXIT_INPUT_UNREADABLE = 0, 1, 4


def result_of(record, base: str | None, expect_base: str | None = None) -> dict:
    """One file's result (a ``batch.FileRecord``) as the summary keeps it. ``base``: the scanned
    folder; ``expect_base``: the expectations file's folder (missing entries are named from there)."""
    if record.outcome is not None:
        problems, notes = list(record.outcome.problems), list(record.outcome.notes)
    elif record.error is not None:
        problems, notes = [f"cannot read the file: {record.error}"], []
    else:
        problems, notes = ([] if record.codes else ["no QR code was read from the file"]), []
    expected = record.outcome.expected if record.outcome is not None else None
    missing = record.status == "missing"
    out = {
        "file": record.file,
        "key": missing_key(record.file, expect_base, base) if missing else file_key(record.file, base),
        "status": record.status,
        "error": record.error,
        "decode_ms": None if record.decode_ms is None else round(record.decode_ms, 2),
        "codes": [{"payload": c.text, "decoder": c.decoder, "polygon": [list(p) for p in c.polygon]}
                  for c in record.codes],
        "problems": problems,
        "notes": notes,
        "expected": None if expected is None else expected.to_dict(),
    }
    if record.thumbnail:
        out["thumbnail"] = record.thumbnail
        out["image_size"] = list(record.image_size) if record.image_size else None
    if record.crop and record.failed:  # as the HTML page shows them: for failures only
        out["crop"] = record.crop
    return out


def result_order(result: dict) -> tuple:
    """Scanned files in key order, then the expectations' missing entries in key order."""
    return (result["status"] == "missing", result["key"])


def counts_of(results: list[dict]) -> dict:
    by_status: dict[str, int] = {}
    for r in results:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    scanned = [r for r in results if r["status"] != "missing"]
    unreadable = by_status.get(UNREADABLE, 0)
    passed = sum(by_status.get(s, 0) for s in PASSING)
    return {
        "files": len(scanned),
        "read": sum(1 for r in scanned if r["codes"]),
        "passed": passed,
        "failed": len(results) - passed - unreadable,
        "unreadable": unreadable,
        "missing": by_status.get("missing", 0),
        "by_status": dict(sorted(by_status.items())),
    }


def exit_code_of(counts: dict, sharded: bool = False) -> int:
    """1 when a check failed, else 4 when an input could not be read, else 0 (an empty shard is 0;
    an empty whole run is 1: nothing was checked)."""
    if counts["failed"]:
        return EXIT_CHECK_FAILED
    if counts["unreadable"]:
        return EXIT_INPUT_UNREADABLE
    if not counts["files"] and not counts["missing"]:
        return EXIT_PASSED if sharded else EXIT_CHECK_FAILED
    return EXIT_PASSED


def verdict_line(counts: dict, code: int) -> str:
    """The one line a QA engineer reads first: PASS or FAIL and why."""
    if code == EXIT_PASSED:
        return f"PASS: {counts['passed']} of {counts['files']} file(s) passed"
    parts = []
    if counts["failed"]:
        parts.append(f"{counts['failed']} failed")
    if counts["unreadable"]:
        parts.append(f"{counts['unreadable']} could not be read")
    if not parts:
        parts.append("no file was checked")
    return f"FAIL: {', '.join(parts)} ({counts['passed']} of {counts['files']} file(s) passed)"


def summarise(results: list[dict], *, source: str, base: str | None, expectations: str | None,
              shard: dict | None, timings: dict) -> dict:
    """The whole summary from the per-file results (sorted here) and what the run was."""
    results = sorted(results, key=result_order)
    counts = counts_of(results)
    code = exit_code_of(counts, sharded=shard is not None and "index" in shard)
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "verdict": "pass" if code == EXIT_PASSED else "fail",
        "verdict_line": verdict_line(counts, code),
        "exit_code": code,
        "source": source,
        "base": base,
        "expectations": expectations,
        "shard": shard,
        "counts": counts,
        "failures": [{"file": r["file"], "key": r["key"], "status": r["status"], "reasons": r["problems"]}
                     for r in results if r["status"] not in PASSING],
        "timings": timings,
        "versions": versions(),
        "results": results,
    }


def timings_of(results: list[dict], elapsed_s: float, started_wall: float) -> dict:
    times = [r["decode_ms"] for r in results if r["decode_ms"] is not None]
    by_decoder: dict[str, list[float]] = {}
    for r in results:
        if r["decode_ms"] is not None:
            by_decoder.setdefault(r["codes"][0]["decoder"] if r["codes"] else "none", []).append(r["decode_ms"])
    return {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started_wall)),
        "elapsed_s": round(elapsed_s, 3),
        "decode": timing_summary(times),
        "decode_by_decoder": {k: timing_summary(v) for k, v in sorted(by_decoder.items())},
    }


def versions() -> dict[str, str | None]:
    """The versions a result depends on (a decoder update can change what is read)."""
    from payer_app import __version__

    out: dict[str, str | None] = {"payer_app": __version__, "python": platform.python_version()}
    for name, dists in (("zxing-cpp", ("zxing-cpp",)),
                        ("opencv", ("opencv-python-headless", "opencv-python", "opencv-contrib-python-headless"))):
        out[name] = None
        for dist in dists:
            try:
                out[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return out


def results_of_batch(batch) -> list[dict]:
    expectations = getattr(batch, "expectations", None)
    expect_base = None if expectations is None or expectations.base is None else str(expectations.base)
    return [result_of(r, batch.base, expect_base) for r in batch.records]


def summary_of_batch(batch, elapsed_s: float) -> dict:
    """The summary of a finished ``QaBatch`` (its missing entries added)."""
    results = results_of_batch(batch)
    return summarise(results, source=batch.source, base=batch.base, expectations=batch.expect_path,
                     shard=batch.shard, timings=timings_of(results, elapsed_s, batch.started_wall))


def batch_verdict(batch) -> tuple[str, str]:
    """("pass" or "fail", the verdict line) of a finished ``QaBatch``, for the reports' banner."""
    counts = counts_of(results_of_batch(batch))
    code = exit_code_of(counts, sharded=bool(batch.shard and "index" in batch.shard))
    return ("pass" if code == EXIT_PASSED else "fail"), verdict_line(counts, code)
