"""CI at scale: ``scan --shard K/N --summary``, ``payer-app qa merge``, ``--recursive``, and the exit
codes that tell "a check failed" (1) from "an input could not be read" (4).

The promise under test: two shards plus a merge say exactly what one unsharded scan says (summary,
JUnit cases, HTML cards), but for the timings and the shard."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest

from payer_app.cli import main
from payer_app.cli.exits import EXIT_NO, EXIT_OK, EXIT_UNREADABLE, EXIT_USAGE
from payer_app.qa.shards import file_key, shard_of
from tests.media import write_qr_png
from tests.qa_fixtures import read_manifest
from tests.spec_vectors import EVN_BILL, VIETQR_ACB


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([*argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def nested_corpus(qa_corpus) -> tuple[Path, Path]:
    """The generated corpus spread over subfolders, with one outcome of each kind: a wrong payload,
    a file the expectations do not list, an entry with no file, an unreadable file. Returns
    (folder, expectations file)."""
    manifest = read_manifest(qa_corpus)
    entries = manifest["entries"]
    (qa_corpus / "sub" / "deeper").mkdir(parents=True)
    for i, entry in enumerate(entries):
        if i % 3 == 1:
            target = "sub/" + entry["file"] if i % 2 else "sub/deeper/" + entry["file"]
            (qa_corpus / entry["file"]).rename(qa_corpus / target)
            entry["file"] = target
    good = next(e for e in entries if e["decodable_expected"] and e["expected"]["valid"])
    good["payload"] = VIETQR_ACB  # the picture holds another payload: wrong-payload
    shutil.copy(qa_corpus / good["file"], qa_corpus / "sub" / "unlisted.png")  # no-expectation
    entries.append({"file": "sub/ghost.png", "payload": EVN_BILL, "expected": {}})  # missing
    (qa_corpus / "sub" / "deeper" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 50)
    entries.append({"file": "sub/deeper/broken.png", "payload": EVN_BILL, "expected": {}})  # unreadable
    expect = qa_corpus / "manifest.json"
    expect.write_text(json.dumps(manifest), encoding="utf-8")
    return qa_corpus, expect


def _comparable(summary: dict) -> dict:
    """A summary without what differs between runs: timings (decode time per file too) and the shard."""
    out = {k: v for k, v in summary.items() if k not in ("timings", "shard")}
    out["results"] = [{k: v for k, v in r.items() if k != "decode_ms"} for r in summary["results"]]
    return out


def _junit_cases(path: Path) -> list[tuple]:
    root = ET.parse(path).getroot()
    cases = []
    for case in root.iter("testcase"):
        verdict = [(c.tag, c.get("type"), c.get("message")) for c in case if c.tag in ("failure", "error")]
        cases.append((case.get("classname"), case.get("name"), tuple(verdict)))
    return sorted(cases)


@pytest.mark.parametrize("pass_pictures", [None, 3], ids=["all-pictures", "pictures-capped"])
def test_two_shards_and_a_merge_give_the_summary_of_one_run(nested_corpus, tmp_path, capsys, monkeypatch,
                                                            pass_pictures):
    import payer_app.qa.batch as batch

    if pass_pictures is not None:  # each shard keeps its first 3: the merge must keep the run's first 3
        monkeypatch.setattr(batch, "MAX_PASS_PICTURES", pass_pictures)
    folder, expect = nested_corpus
    common = ["scan", str(folder), "--recursive", "--expect", str(expect)]
    out = tmp_path / "out"
    out.mkdir()
    whole = _run(capsys, *common, "--summary", str(out / "whole.json"), "--junit", str(out / "whole.xml"),
                 "--html", str(out / "whole.html"))
    assert whole[0] == EXIT_NO, whole[2]
    for k in (1, 2):
        code, _, err = _run(capsys, *common, "--shard", f"{k}/2", "--summary", str(out / f"s{k}.json"),
                            "--html", str(out / f"s{k}.html"))
        assert code in (EXIT_OK, EXIT_NO, EXIT_UNREADABLE), err
    code, said, err = _run(capsys, "qa", "merge", str(out / "s1.json"), str(out / "s2.json"),
                           "--summary", str(out / "merged.json"), "--junit", str(out / "merged.xml"),
                           "--html", str(out / "merged.html"))
    assert code == EXIT_NO, err
    one = json.loads((out / "whole.json").read_text(encoding="utf-8"))
    shards = [json.loads((out / f"s{k}.json").read_text(encoding="utf-8")) for k in (1, 2)]
    merged = json.loads((out / "merged.json").read_text(encoding="utf-8"))
    # a real split: both shards scanned files, none twice, and together all of them
    files = [{r["key"] for r in s["results"] if r["status"] != "missing"} for s in shards]
    assert files[0] and files[1] and not files[0] & files[1]
    assert files[0] | files[1] == {r["key"] for r in one["results"] if r["status"] != "missing"}
    # every kind of outcome is there, so each is compared
    assert {"pass", "wrong-payload", "no-expectation", "missing", "unreadable"} <= set(one["counts"]["by_status"])
    assert one["counts"]["missing"] == 1 and one["counts"]["unreadable"] == 1
    assert _comparable(merged) == _comparable(one)
    assert merged["shard"] == {"merged": [{"index": 1, "count": 2}, {"index": 2, "count": 2}]}
    assert said.strip() == one["verdict_line"] and one["verdict_line"].startswith("FAIL: ")
    assert _junit_cases(out / "merged.xml") == _junit_cases(out / "whole.xml")
    cards = [_cards(out / name) for name in ("whole.html", "merged.html")]
    assert cards[0] == cards[1] and len(cards[0]) == len(one["results"])
    pages = [(out / name).read_text(encoding="utf-8") for name in ("whole.html", "merged.html")]
    pictures = [page.count('class="thumb"') for page in pages]
    passing = [r for r in one["results"] if r["status"] == "pass"]
    assert pictures[0] == pictures[1] == len([r for r in one["results"] if "thumbnail" in r])
    if pass_pictures is not None:
        assert len([r for r in passing if "thumbnail" in r]) == pass_pictures < len(passing)


def _cards(html_path: Path) -> list[str]:
    import re

    text = html_path.read_text(encoding="utf-8")
    return re.findall(r'<article class="card [a-z]+" data-status="([a-z-]+)".*?<span class="file">([^<]*)</span>', text)


def test_the_summary_holds_counts_failures_timings_versions_and_the_shard(nested_corpus, tmp_path, capsys):
    import platform

    folder, expect = nested_corpus
    target = tmp_path / "s.json"
    code, _, err = _run(capsys, "scan", str(folder), "--recursive", "--expect", str(expect), "--shard", "2/3",
                        "--summary", str(target))
    summary = json.loads(target.read_text(encoding="utf-8"))
    assert summary["schema"] == "payer-app-scan-summary" and summary["schema_version"] == 1
    assert summary["shard"] == {"index": 2, "count": 3}
    counts = summary["counts"]
    assert counts["files"] == len([r for r in summary["results"] if r["status"] != "missing"])
    assert counts["passed"] + counts["failed"] + counts["unreadable"] == len(summary["results"])
    assert summary["exit_code"] == code
    assert {f["key"] for f in summary["failures"]} == {r["key"] for r in summary["results"] if r["status"] != "pass"}
    assert all(f["reasons"] for f in summary["failures"])
    assert summary["timings"]["decode"]["count"] == counts["files"] - counts["unreadable"]
    assert summary["versions"]["python"] == platform.python_version()
    assert summary["versions"]["payer_app"] and summary["versions"]["zxing-cpp"] and summary["versions"]["opencv"]
    assert "shard 2/3" in err


def test_a_file_keeps_its_shard_when_files_are_added(tmp_path, capsys):
    folder = tmp_path / "pics"
    folder.mkdir()
    blank = np.full((60, 60), 255, np.uint8)
    for i in range(12):
        cv2.imwrite(str(folder / f"p{i:02d}.png"), blank)

    def shard_files(k: int) -> set[str]:
        summary_path = tmp_path / "s.json"
        _run(capsys, "scan", str(folder), "--shard", f"{k}/3", "--summary", str(summary_path))
        return {r["key"] for r in json.loads(summary_path.read_text(encoding="utf-8"))["results"]}

    before = [shard_files(k) for k in (1, 2, 3)]
    assert sum(len(s) for s in before) == 12 and all(before)
    for i in range(12, 30):
        cv2.imwrite(str(folder / f"p{i:02d}.png"), blank)
    after = [shard_files(k) for k in (1, 2, 3)]
    for k in range(3):
        assert before[k] <= after[k]  # no file moved to another shard
    # the choice is the hash of the key alone: the same on every machine
    assert shard_of("p00.png", 3) == shard_of(file_key(folder / "p00.png", folder), 3)
    assert {shard_of(f"x{i}.png", 3) for i in range(30)} == {1, 2, 3}


@pytest.mark.parametrize("value", ["0/2", "3/2", "1/0", "2", "a/b", "1/2/3", "1/-2", "1/100000"])
def test_a_bad_shard_is_a_usage_error(value, tmp_path, capsys):
    write_qr_png(tmp_path / "a.png", VIETQR_ACB)
    code, out, err = _run(capsys, "scan", str(tmp_path), "--shard", value)
    assert code == EXIT_USAGE and out == ""
    assert err.startswith("payer-app: error: --shard") and err.count("\n") == 1, err


def test_an_empty_shard_passes_and_says_so(tmp_path, capsys):
    write_qr_png(tmp_path / "only.png", VIETQR_ACB)
    k = next(k for k in (1, 2, 3) if k != shard_of("only.png", 3))
    code, out, err = _run(capsys, "scan", str(tmp_path), "--shard", f"{k}/3", "--summary", str(tmp_path / "s.json"))
    assert code == EXIT_OK and out == "" and f"shard {k}/3: 0 of 1 file(s)" in err
    code, out, err = _run(capsys, "scan", str(tmp_path), "--shard", f"{k}/3")  # without a QA option too
    assert code == EXIT_OK and out == "" and f"shard {k}/3: 0 of 1 file(s)" in err


# -- exit codes: a failed check (1) wins over an unreadable input (4) ---------------------------


def _broken(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    return path


@pytest.mark.parametrize("with_expect", [False, True])
def test_an_unreadable_input_alone_is_exit_4_and_a_failure_beside_it_is_exit_1(tmp_path, capsys, with_expect):
    folder = tmp_path / "pics"
    folder.mkdir()
    write_qr_png(folder / "a-good.png", VIETQR_ACB)
    _broken(folder / "b-broken.png")
    expect = tmp_path / "expect.json"
    expect.write_text(json.dumps({"a-good.png": VIETQR_ACB, "b-broken.png": VIETQR_ACB, "c-blank.png": {}}))
    extra = ["--expect", str(expect)] if with_expect else []
    summary = tmp_path / "s.json"
    if with_expect:  # c-blank.png is listed but absent at first: take it out of the file for this run
        expect.write_text(json.dumps({"a-good.png": VIETQR_ACB, "b-broken.png": VIETQR_ACB}))
    code, _, _ = _run(capsys, "scan", str(folder), *extra, "--summary", str(summary))
    assert code == EXIT_UNREADABLE
    assert json.loads(summary.read_text())["verdict_line"] == "FAIL: 1 could not be read (1 of 2 file(s) passed)"
    cv2.imwrite(str(folder / "c-blank.png"), np.full((80, 80), 255, np.uint8))  # no QR: a failed check
    if with_expect:
        expect.write_text(json.dumps({"a-good.png": VIETQR_ACB, "b-broken.png": VIETQR_ACB, "c-blank.png": {}}))
    code, _, _ = _run(capsys, "scan", str(folder), *extra, "--summary", str(summary))
    assert code == EXIT_NO
    assert json.loads(summary.read_text())["counts"] | {"by_status": None} == {
        "files": 3, "read": 1, "passed": 1, "failed": 1, "unreadable": 1, "missing": 0, "by_status": None}


def test_the_qa_verdicts_end_with_the_command_line_exit_codes():
    from payer_app.cli import exits
    from payer_app.qa import summary

    assert (summary.EXIT_PASSED, summary.EXIT_CHECK_FAILED, summary.EXIT_INPUT_UNREADABLE) == (
        exits.EXIT_OK, exits.EXIT_NO, exits.EXIT_UNREADABLE)


def test_a_single_unreadable_picture_is_exit_4(tmp_path, capsys):
    code, out, _ = _run(capsys, "scan", str(_broken(tmp_path / "broken.png")))
    assert code == EXIT_UNREADABLE and "cannot read" in out


# -- report paths: checked before the scan, written atomically ----------------------------------


@pytest.mark.parametrize("option", ["--summary", "--junit", "--html", "--report"])
def test_an_unwritable_report_path_stops_before_the_first_file(tmp_path, capsys, option):
    write_qr_png(tmp_path / "a.png", VIETQR_ACB)
    (tmp_path / "a-folder.json").mkdir()
    for target in (tmp_path / "no-such-folder" / "r.out", tmp_path / "a-folder.json"):
        code, out, err = _run(capsys, "scan", str(tmp_path / "a.png"), option, str(target))
        assert code == EXIT_USAGE and out == "", out  # not one file was scanned
        assert err.startswith(f"payer-app: error: {option}: cannot write the file") and err.count("\n") == 1


def test_two_reports_in_one_file_are_refused_before_the_scan(tmp_path, capsys):
    write_qr_png(tmp_path / "a.png", VIETQR_ACB)
    code, out, err = _run(capsys, "scan", str(tmp_path / "a.png"), "--junit", str(tmp_path / "r"),
                          "--summary", str(tmp_path / "r"))
    assert code == EXIT_USAGE and out == "" and "--junit names it too" in err


def test_reports_are_replaced_whole_never_rewritten_in_place(tmp_path, capsys):
    """A reader holding the old report (a CI step uploading it) keeps reading the old one whole."""
    write_qr_png(tmp_path / "a.png", VIETQR_ACB)
    reports = {option: tmp_path / f"report{option[1:]}.out" for option in ("--summary", "--junit", "--html")}
    old = "the previous run's report\n" * 200
    handles = {}
    for option, path in reports.items():
        path.write_text(old)
        handles[option] = open(path, encoding="utf-8")  # noqa: SIM115 - held open across the scan
    try:
        argv = [a for option, path in reports.items() for a in (option, str(path))]
        code, _, _ = _run(capsys, "scan", str(tmp_path / "a.png"), *argv)
        assert code == EXIT_OK
        for option, path in reports.items():
            assert handles[option].read() == old, option  # the old file was not truncated under the reader
            assert path.read_text(encoding="utf-8") != old
    finally:
        for handle in handles.values():
            handle.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.png", *(p.name for p in reports.values())])


# -- --recursive --------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "tree"
    (root / "b" / "c").mkdir(parents=True)
    write_qr_png(root / "z-top.png", VIETQR_ACB)
    write_qr_png(root / "b" / "one.png", VIETQR_ACB)
    write_qr_png(root / "b" / "c" / "two.png", EVN_BILL)
    (root / "b" / "c" / "up").symlink_to(root, target_is_directory=True)  # a loop back to the top
    (root / "b" / "notes.txt").write_text("not a picture")
    return root


def test_recursive_scans_subfolders_in_order_and_does_not_follow_a_loop(tree, capsys):
    code, out, _ = _run(capsys, "scan", str(tree), "--recursive", "--json")
    assert code == EXIT_OK
    sources = [json.loads(line)["source"] for line in out.splitlines()]
    assert [file_key(s, tree) for s in sources] == ["b/c/two.png", "b/one.png", "z-top.png"]
    code, out, _ = _run(capsys, "scan", str(tree), "--json")  # without it: the top folder only
    assert [file_key(json.loads(line)["source"], tree) for line in out.splitlines()] == ["z-top.png"]


def test_recursive_stops_at_the_file_cap(tree, capsys, monkeypatch):
    import payer_app.qa.shards as shards

    monkeypatch.setattr(shards, "MAX_FILES", 2)
    code, out, err = _run(capsys, "scan", str(tree), "--recursive")
    assert code == EXIT_USAGE and out == "" and "more than 2 image files" in err and err.count("\n") == 1


def test_recursive_needs_a_folder(tmp_path, capsys):
    picture = str(write_qr_png(tmp_path / "a.png", VIETQR_ACB))
    for argv in ([picture], [picture, picture], ["demo:fast"]):
        code, out, err = _run(capsys, "scan", *argv, "--recursive")
        assert code == EXIT_USAGE and out == "" and "--recursive works on a folder" in err, argv


def test_a_shard_of_pictures_named_one_by_one(tmp_path, capsys):
    pictures = [str(write_qr_png(tmp_path / f"p{i}.png", VIETQR_ACB)) for i in range(6)]
    seen = []
    for k in (1, 2):
        code, out, _ = _run(capsys, "scan", *pictures, "--shard", f"{k}/2", "--json")
        assert code == EXIT_OK
        seen += [json.loads(line)["source"] for line in out.splitlines()]
    assert sorted(seen) == sorted(pictures)


def test_junit_classname_is_the_folder_of_each_file(tree, tmp_path, capsys):
    junit = tmp_path / "j.xml"
    _run(capsys, "scan", str(tree), "--recursive", "--junit", str(junit))
    by_file = {Path(name).name: classname for classname, name, _ in _junit_cases(junit)}
    assert by_file == {"z-top.png": "tree", "one.png": "tree.b", "two.png": "tree.b.c"}


def test_a_duplicate_key_in_the_expectations_names_the_file_and_the_key(tmp_path, capsys):
    write_qr_png(tmp_path / "a.png", VIETQR_ACB)
    expect = tmp_path / "my-expect.json"
    expect.write_bytes(b'{"files": {"a.png": "x", "b.png": "y", "a.png": "z"}}')
    code, out, err = _run(capsys, "scan", str(tmp_path / "a.png"), "--expect", str(expect))
    assert code == EXIT_USAGE and out == ""
    assert "my-expect.json" in err and 'the key "a.png" appears twice' in err and err.count("\n") == 1


# -- qa merge: its inputs come from outside ------------------------------------------------------


@pytest.fixture
def two_shards(tmp_path, capsys) -> tuple[Path, Path]:
    folder = tmp_path / "pics"
    folder.mkdir()
    for i in range(6):
        write_qr_png(folder / f"p{i}.png", VIETQR_ACB)
    for k in (1, 2):
        code, _, err = _run(capsys, "scan", str(folder), "--shard", f"{k}/2", "--summary", str(tmp_path / f"s{k}.json"),
                            "--html", str(tmp_path / f"s{k}.html"))
        assert code == EXIT_OK, err
    return tmp_path / "s1.json", tmp_path / "s2.json"


def _tampered(path: Path, change) -> Path:
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    target = path.with_name("bad-" + path.name)
    target.write_text(json.dumps(doc), encoding="utf-8")
    return target


def _set_picture(doc):
    doc["results"][0]["thumbnail"] = 'data:image/png;base64,AAAA" onerror="document.title=1'


HOSTILE_MERGES = {
    "not-json": (lambda s1: s1.with_name("bad.json").write_text("{nope") and s1.with_name("bad.json"),
                 "not valid JSON"),
    "deep": (lambda s1: s1.with_name("bad.json").write_text("[" * 200 + "]" * 200) and s1.with_name("bad.json"),
             "nested deeper"),
    "other-schema": (lambda s1: _tampered(s1, lambda d: d.update(schema="junit")), "not a payer-app scan summary"),
    "a-count-as-text": (lambda s1: _tampered(s1, lambda d: d["results"][0].update(codes="many")), '"codes"'),
    "a-script-for-a-picture": (lambda s1: _tampered(s1, _set_picture), "data: URI"),
    "a-shard-twice": (lambda s1: s1.with_name("s2.json"), "was given already"),
    "another-run": (lambda s1: _tampered(s1, lambda d: d.update(source="elsewhere")), "not parts of one run"),
    "another-shard-count": (lambda s1: _tampered(s1, lambda d: d.update(shard={"index": 1, "count": 3})),
                            "does not go with"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_MERGES))
def test_a_summary_that_cannot_be_merged_is_one_line_naming_the_file(two_shards, tmp_path, capsys, name):
    s1, s2 = two_shards
    make, says = HOSTILE_MERGES[name]
    bad = make(s1)
    out = tmp_path / "merged.json"
    code, said, err = _run(capsys, "qa", "merge", str(s2), str(bad), "--summary", str(out), "--html",
                           str(tmp_path / "m.html"))
    assert code == EXIT_USAGE and said == "" and not out.exists() and not (tmp_path / "m.html").exists()
    assert err.startswith("payer-app: error: qa merge: ") and err.count("\n") == 1, err
    assert bad.name in err and says in err, err


def test_a_missing_shard_or_a_file_in_two_shards_is_refused(two_shards, tmp_path, capsys):
    s1, s2 = two_shards
    code, _, err = _run(capsys, "qa", "merge", str(s1), "--summary", str(tmp_path / "m.json"))
    assert code == EXIT_USAGE and "shard 2/2 is missing" in err
    stolen = _tampered(s2, lambda d: d["results"].append(json.loads(s1.read_text())["results"][0]))
    code, _, err = _run(capsys, "qa", "merge", str(s1), str(stolen), "--summary", str(tmp_path / "m.json"))
    assert code == EXIT_USAGE and stolen.name in err and "p" in err and "too" in err


def test_an_oversized_summary_is_refused_before_it_is_parsed(two_shards, tmp_path, capsys, monkeypatch):
    import payer_app.qa.merge as merge

    s1, s2 = two_shards
    monkeypatch.setattr(merge, "MAX_SUMMARY_BYTES", os.path.getsize(s1) - 1)
    code, _, err = _run(capsys, "qa", "merge", str(s1), str(s2), "--summary", str(tmp_path / "m.json"))
    assert code == EXIT_USAGE and s1.name in err and f"at most {os.path.getsize(s1) - 1} are accepted" in err


def test_a_fifo_for_a_summary_is_refused_without_waiting_on_it(two_shards, tmp_path, capsys):
    s1, _ = two_shards
    fifo = tmp_path / "shard-2.json"
    os.mkfifo(fifo)
    code, _, err = _run(capsys, "qa", "merge", str(s1), str(fifo), "--summary", str(tmp_path / "m.json"))
    assert code == EXIT_USAGE and "shard-2.json is a named pipe" in err and err.count("\n") == 1


def test_merged_pictures_are_the_shards_pictures(two_shards, tmp_path, capsys):
    s1, s2 = two_shards
    code, said, _ = _run(capsys, "qa", "merge", str(s1), str(s2), "--summary", str(tmp_path / "m.json"),
                         "--html", str(tmp_path / "m.html"))
    assert code == EXIT_OK and said.strip() == "PASS: 6 of 6 file(s) passed"
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert page.count('class="thumb"') == 6 and 'id="verdict"' in page and "PASS: 6 of 6" in page
