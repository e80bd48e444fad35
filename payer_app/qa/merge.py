"""``payer-app qa merge SHARD.json...``: the shards' ``--summary`` files joined into one run.

A summary file comes from outside (another CI job, an artifact store): it is read with limits
(``MAX_SUMMARY_BYTES``, nesting ``MAX_DEPTH``, strict JSON), and every value the merge uses is
checked against the schema (docs/qa.md) before any of it is used; the first problem is one
``MergeError`` naming the file. The counts, failures and verdict are not taken from the files but
computed again from the results (``summary.summarise``), so a merge says what a single run over the
same files would have said. Pictures are accepted only as base64 JPEG or PNG ``data:`` URIs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from payer_app.core.display_text import visible
from payer_app.core.payload import MAX_INPUT_CHARS
from payer_app.core.safe_json import UntrustedJSONError, loads_untrusted
from payer_app.qa.expectations import ENTRY_KEYS, STATUSES, Expectation, Outcome
from payer_app.qa.shards import MAX_FILES, MAX_SHARDS
from payer_app.qa.summary import FOUND, PASSING, SCHEMA, SCHEMA_VERSION, result_order, summarise

MAX_SUMMARY_BYTES = 256 * 1024 * 1024  # 100,000 results with pictures
MAX_DEPTH = 12  # a summary is 6 deep: summary > results > result > codes > code > polygon > point
MAX_TEXT = 4096
MAX_LIST = 256
MAX_PICTURE_CHARS = 512 * 1024
_PICTURE = re.compile(r"data:image/(?:jpeg|png);base64,[A-Za-z0-9+/]+={0,2}")
_RESULT_STATUSES = {*STATUSES, FOUND, "not-found"}


class MergeError(ValueError):
    """A summary file that cannot be merged; the message names the file and what is wrong."""


def read_summary(path: str) -> dict:
    """One shard's summary, checked; raises MergeError."""
    from payer_app.files import UnsafeFileError, read_regular_file

    label = visible(path, 200)
    try:  # a regular file (never a FIFO that would hang the merge), its size capped before reading
        data = read_regular_file(Path(path), MAX_SUMMARY_BYTES, "the summary file", follow_symlinks=True,
                                 fix="Give the --summary file of a scan.")
    except UnsafeFileError as exc:
        if exc.reason == "cannot-open":
            raise MergeError(f"{label}: cannot read: {visible(exc.strerror or exc)}") from None
        raise MergeError(str(exc)) from None
    try:
        document = loads_untrusted(data, max_bytes=MAX_SUMMARY_BYTES, max_depth=MAX_DEPTH, what=label)
    except UntrustedJSONError as exc:
        raise MergeError(str(exc)) from None
    try:
        return _checked_summary(document)
    except _Bad as exc:
        raise MergeError(f"{label}: not a payer-app scan summary: {exc}") from None


class _Bad(ValueError):
    pass


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise _Bad(what)


def _text(value: Any, where: str, limit: int = MAX_TEXT, optional: bool = False) -> None:
    if optional and value is None:
        return
    _need(isinstance(value, str) and len(value) <= limit, f"{where} must be a string of at most {limit} characters")


def _texts(value: Any, where: str) -> None:
    _need(isinstance(value, list) and len(value) <= MAX_LIST, f"{where} must be a list")
    for item in value:
        _text(item, where)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _checked_summary(doc: Any) -> dict:
    _need(isinstance(doc, dict), "the file holds no JSON object")
    _need(doc.get("schema") == SCHEMA, f'"schema" is not "{SCHEMA}"')
    _need(doc.get("schema_version") == SCHEMA_VERSION, f'"schema_version" is not {SCHEMA_VERSION}')
    _text(doc.get("source"), '"source"')
    _text(doc.get("base"), '"base"', optional=True)
    _text(doc.get("expectations"), '"expectations"', optional=True)
    shard = doc.get("shard")
    if shard is not None:
        _need(isinstance(shard, dict) and isinstance(shard.get("index"), int) and isinstance(shard.get("count"), int)
              and 1 <= shard["index"] <= shard["count"] <= MAX_SHARDS, '"shard" must be {"index": K, "count": N}')
    timings = doc.get("timings")
    _need(isinstance(timings, dict) and _number(timings.get("elapsed_s")), '"timings" needs "elapsed_s"')
    results = doc.get("results")
    _need(isinstance(results, list) and len(results) <= MAX_FILES, f'"results" must be a list of at most {MAX_FILES}')
    for position, result in enumerate(results, start=1):
        _check_result(result, f"result {position}")
    return doc


def _check_result(r: Any, where: str) -> None:
    _need(isinstance(r, dict), f"{where} is not an object")
    _text(r.get("file"), f"{where}: \"file\"")
    _text(r.get("key"), f"{where}: \"key\"")
    _need(r.get("status") in _RESULT_STATUSES, f"{where}: unknown \"status\"")
    _text(r.get("error"), f"{where}: \"error\"", optional=True)
    _need(r.get("decode_ms") is None or (_number(r["decode_ms"]) and r["decode_ms"] >= 0), f"{where}: \"decode_ms\"")
    codes = r.get("codes")
    _need(isinstance(codes, list) and len(codes) <= MAX_LIST, f"{where}: \"codes\" must be a list")
    for code in codes:
        _need(isinstance(code, dict), f"{where}: a code is not an object")
        _text(code.get("payload"), f"{where}: a code's \"payload\"", MAX_INPUT_CHARS)
        _text(code.get("decoder"), f"{where}: a code's \"decoder\"", 40)
        polygon = code.get("polygon")
        _need(isinstance(polygon, list) and len(polygon) <= 16
              and all(isinstance(p, list) and len(p) == 2 and all(_number(v) for v in p) for p in polygon),
              f"{where}: a code's \"polygon\" must be a list of [x, y]")
    _texts(r.get("problems"), f"{where}: \"problems\"")
    _texts(r.get("notes"), f"{where}: \"notes\"")
    expected = r.get("expected")
    if expected is not None:
        _need(isinstance(expected, dict) and set(expected) <= ENTRY_KEYS, f"{where}: \"expected\" has unknown keys")
        _need(expected.get("found") in (True, False, None), f"{where}: \"expected\": \"found\"")
        _text(expected.get("payload"), f"{where}: \"expected\": \"payload\"", MAX_INPUT_CHARS, optional=True)
    for picture in ("thumbnail", "crop"):
        if picture in r:
            value = r[picture]
            _need(isinstance(value, str) and len(value) <= MAX_PICTURE_CHARS and _PICTURE.fullmatch(value) is not None,
                  f"{where}: \"{picture}\" must be a base64 JPEG or PNG data: URI")
    size = r.get("image_size")
    _need(size is None or (isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) for v in size)),
          f"{where}: \"image_size\" must be [width, height]")


def merge_summaries(paths: list[str], max_pass_pictures: int) -> dict:
    """The summary of the whole run the shards in ``paths`` are parts of; raises MergeError when
    they are not parts of one run (other source or expectations, a shard twice or missing, the same
    file in two shards)."""
    summaries = [(visible(p, 200), read_summary(p)) for p in paths]
    first_label, first = summaries[0]
    results: list[dict] = []
    owner: dict[str, str] = {}
    shards: dict[int, str] = {}
    for label, doc in summaries:
        for key in ("source", "expectations"):
            if doc.get(key) != first.get(key):
                raise MergeError(f"{label}: its {key} ({visible(doc.get(key), 200)}) is not {first_label}'s "
                                 f"({visible(first.get(key), 200)}): not parts of one run")
        _note_shard(label, doc.get("shard"), first.get("shard"), shards)
        for r in doc["results"]:
            ident = ("missing:" if r["status"] == "missing" else "file:") + r["key"]
            if ident in owner:
                raise MergeError(f"{label}: {visible(r['key'], 200)} is in {owner[ident]} too")
            owner[ident] = label
            results.append(r)
    count = first["shard"]["count"] if first.get("shard") else None
    if count is not None:
        absent = [k for k in range(1, count + 1) if k not in shards]
        if absent:
            raise MergeError(f"shard {absent[0]}/{count} is missing: give the summaries of all {count} shards")
    _cap_pictures(results, max_pass_pictures)
    merged_from = None if count is None else {"merged": [{"index": k, "count": count} for k in sorted(shards)]}
    elapsed = [doc["timings"]["elapsed_s"] for _, doc in summaries]
    return summarise(results, source=first["source"], base=first.get("base"), expectations=first.get("expectations"),
                     shard=merged_from, timings=_merged_timings(results, elapsed))


def _note_shard(label: str, shard: dict | None, first: dict | None, seen: dict[int, str]) -> None:
    if (shard is None) != (first is None) or (shard and first and shard["count"] != first["count"]):
        raise MergeError(f"{label}: its shard ({_shard_text(shard)}) does not go with the first file's "
                         f"({_shard_text(first)})")
    if shard is None:
        return
    if shard["index"] in seen:
        raise MergeError(f"{label}: shard {_shard_text(shard)} was given already ({seen[shard['index']]})")
    seen[shard["index"]] = label


def _shard_text(shard: dict | None) -> str:
    return "none" if shard is None else f"{shard['index']}/{shard['count']}"


def _cap_pictures(results: list[dict], max_pass_pictures: int) -> None:
    """As one scan does: pictures for every failure and the first passing files (in key order)."""
    kept = 0
    for r in sorted(results, key=result_order):
        if r["status"] in PASSING and "thumbnail" in r:
            kept += 1
            if kept > max_pass_pictures:
                for picture in ("thumbnail", "crop", "image_size"):
                    r.pop(picture, None)


def _merged_timings(results: list[dict], elapsed: list[float]) -> dict:
    import time

    from payer_app.qa.summary import timings_of

    timings = timings_of(results, max(elapsed), time.time())
    timings["elapsed_s_by_shard"] = [round(e, 3) for e in elapsed]
    return timings


def batch_of(summary: dict, title: str):
    """A ``QaBatch`` holding the merged results, for the JUnit and HTML writers."""
    from payer_app.qa.batch import CodeRead, FileRecord, QaBatch

    batch = QaBatch(expect_path=summary["expectations"], title=title, source=summary["source"],
                    base=summary["base"], shard=summary["shard"])
    for r in summary["results"]:
        codes = [CodeRead(c["payload"], tuple(tuple(p) for p in c["polygon"]), c["decoder"]) for c in r["codes"]]
        batch.records.append(FileRecord(
            r["file"], codes, r["decode_ms"], r["error"], _outcome(r, summary["expectations"] is not None),
            r.get("thumbnail"), r.get("crop"), tuple(r["image_size"]) if r.get("image_size") else None))
    batch.pass_pictures = sum(1 for r in summary["results"] if r["status"] in PASSING and "thumbnail" in r)
    if batch.pass_pictures:
        batch.pictures_left_out = sum(1 for r in summary["results"]
                                      if r["status"] in PASSING and r["error"] is None and "thumbnail" not in r)
    return batch


def _outcome(r: dict, with_expectations: bool) -> Outcome | None:
    if not with_expectations:
        return None
    e = r["expected"]
    expected = None if e is None else Expectation(
        Path(r["file"]).name, payload=e.get("payload"),
        fields={k: v for k, v in e.items() if k not in ("payload", "found")}, found=e.get("found"))
    return Outcome(r["file"], r["status"], list(r["problems"]), expected, list(r["notes"]))
