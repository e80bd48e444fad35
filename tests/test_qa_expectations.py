"""``payer-app scan FOLDER --expect FILE``: per-file outcomes against a generated corpus's manifest."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from payer_app.cli import main
from payer_app.qa.expectations import ExpectationError, load_expectations
from tests.media import write_qr_png
from tests.qa_fixtures import json_lines, read_manifest
from tests.spec_vectors import VIETQR_ACB, VIETQR_ACB_BAD_CRC


def _scan(capsys, *argv) -> tuple[int, str, str]:
    code = main(["scan", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_corpus_manifest_passes_every_file(qa_corpus, capsys):
    manifest = read_manifest(qa_corpus)
    code, out, err = _scan(capsys, str(qa_corpus), "--expect", str(qa_corpus / "manifest.json"), "--json")
    lines = json_lines(out)
    assert code == 0, err
    assert len(lines) == len(manifest["entries"])
    assert {line["expect"]["status"] for line in lines} == {"pass"}
    assert f"{len(lines)} file(s): {len(lines)} pass" in err  # the summary goes to stderr with --json


def _tamper(corpus) -> dict[str, str]:
    """Break the corpus in one way per outcome; returns file name -> the outcome it must get."""
    manifest = read_manifest(corpus)
    entries = {e["file"]: e for e in manifest["entries"]}
    names = sorted(entries)
    wanted: dict[str, str] = {}
    # wrong payload: the manifest promises a different payload
    e = entries[names[0]]
    e["payload"] = e["payload"][:-4] + ("0000" if not e["payload"].endswith("0000") else "1111")
    wanted[names[0]] = "wrong-payload"
    # wrong fields: a different amount, a finding that is not there, a different scheme
    e = entries[names[1]]
    e["expected"]["amount"] = (e["expected"]["amount"] or 0) + 1
    wanted[names[1]] = "wrong-fields"
    e = entries[names[2]]
    e["expected"]["finding_codes"] = sorted(set(e["expected"]["finding_codes"]) | {"crc-mismatch", "duplicate-id"})
    wanted[names[2]] = "wrong-fields"
    # not found: the picture is replaced by a blank sheet
    blank = np.full((300, 300), 255, np.uint8)
    assert names[3].endswith(".png")
    cv2.imwrite(str(corpus / names[3]), blank)
    wanted[names[3]] = "not-found"
    # unreadable: the picture is replaced by bytes that are no image
    (corpus / names[4]).write_bytes(b"this is not a picture at all\x00\x01\x02" * 10)
    wanted[names[4]] = "unreadable"
    # missing: listed in the manifest, no such file
    ghost = dict(entries[names[5]], file="ghost-not-here.png")
    manifest["entries"].append(ghost)
    wanted["ghost-not-here.png"] = "missing"
    # no expectation: a picture in the folder that the manifest does not list
    cv2.imwrite(str(corpus / "zz-extra.png"), cv2.imread(str(corpus / names[6])))
    wanted["zz-extra.png"] = "no-expectation"
    for name in names:
        wanted.setdefault(name, "pass")
    (corpus / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return wanted


def test_tampered_manifest_gives_the_right_outcome_per_file_and_exit_1(qa_corpus, capsys):
    wanted = _tamper(qa_corpus)
    code, out, err = _scan(capsys, str(qa_corpus), "--expect", str(qa_corpus / "manifest.json"), "--json")
    assert code == 1
    got = {line["source"].rsplit("/", 1)[-1]: line["expect"]["status"] for line in json_lines(out)}
    assert got == wanted  # "missing" too: a line after the scanned files, named as the manifest names it
    assert json_lines(out)[-1]["source"] == "ghost-not-here.png"
    assert "FAIL missing: ghost-not-here.png" in err
    wrong_fields = [line for line in json_lines(out) if line["expect"]["status"] == "wrong-fields"]
    problems = " | ".join(p for line in wrong_fields for p in line["expect"]["problems"])
    assert "amount: expected" in problems and "finding_codes: expected" in problems
    counts = {status: list(wanted.values()).count(status) for status in set(wanted.values())}
    for status, n in counts.items():
        assert f"{n} {status}" in err


def test_text_output_lists_each_failure_with_its_reason(qa_corpus, capsys):
    _tamper(qa_corpus)
    code, out, _err = _scan(capsys, str(qa_corpus), "--expect", str(qa_corpus / "manifest.json"))
    assert code == 1
    assert "FAIL wrong-payload:" in out and "expected payload" in out and "read payload" in out
    assert "FAIL unreadable:" in out and "FAIL not-found:" in out and "FAIL no-expectation:" in out


def test_hand_written_mapping_with_fields(qa_corpus, tmp_path, capsys):
    entries = read_manifest(qa_corpus)["entries"]
    evn = next(e for e in entries if e["expected"]["scheme"] == "evn" and e["expected"]["valid"])
    from payer_app.core.payload import parse_payload

    customer = parse_payload(evn["payload"]).bill.evn_customer_code
    assert customer
    other = next(e for e in entries if e is not evn and e["decodable_expected"])
    expect = tmp_path / "expect.json"
    expect.write_text(json.dumps({"files": {
        evn["file"]: {"scheme": "evn", "customer_code": customer, "valid": True},
        other["file"]: other["payload"],
    }}), encoding="utf-8")
    code, out, _ = _scan(capsys, str(qa_corpus / evn["file"]), str(qa_corpus / other["file"]),
                         "--expect", str(expect))
    assert code == 0, out
    assert "2 file(s): 2 pass" in out
    # the same customer code, one character changed, is a wrong field
    expect.write_text(json.dumps({
        evn["file"]: {"customer_code": customer[:-1] + ("X" if customer[-1] != "X" else "Y")},
        other["file"]: other["payload"],
    }), encoding="utf-8")
    code, out, _ = _scan(capsys, str(qa_corpus / evn["file"]), str(qa_corpus / other["file"]),
                         "--expect", str(expect))
    assert code == 1
    assert f"customer_code: expected {customer[:-1]}" in out


@pytest.mark.parametrize("content, message", [
    (b"{not json", "not valid JSON"),
    (b'{"a.png": "x", "a.png": "y"}', "duplicate"),
    (b'{"a.png": {"amout": 5}}', "unknown key amout"),
    (b'{"a.png": {"amount": "12,000"}}', "whole number"),
    (b'{"a.png": {"found": false, "payload": "x"}}', "cannot go with"),
    (b'[1, 2]', "entry 1"),
    (b'"just a string"', "expected a JSON object"),
    (b'{"a.png\\u202e": 5}', "entry 1 (a.png\\u202e)"),
])
def test_unusable_expectations_file_is_a_clear_usage_error(qa_corpus, tmp_path, capsys, content, message):
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    code, out, err = _scan(capsys, str(qa_corpus), "--expect", str(bad))
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""
    assert "\u202e" not in err  # a bidi override from the file is shown escaped


def test_oversized_and_deep_expectations_are_refused_before_parsing(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(ExpectationError, match="deep|nest"):
        load_expectations(deep)


def test_expect_on_a_stream_reads_a_stream_expectation(capsys):
    """A camera or a video takes a stream's expectation (tests/test_qa_stream_expectations.py); an
    unreadable FILE is refused before the scan starts."""
    code, _out, err = _scan(capsys, "demo:fast", "--expect", "whatever.json", "--max-frames", "1")
    assert code == 2
    assert err.startswith("payer-app: error: --expect: whatever.json: cannot read")


def test_picture_beyond_the_decoder_passes_when_not_read(tmp_path, capsys):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 200), 255, np.uint8))
    expect = tmp_path / "e.json"
    expect.write_text(json.dumps({"blank.png": {"found": False}}))
    code, out, _ = _scan(capsys, str(blank), "--expect", str(expect))
    assert code == 0
    assert "1 file(s): 1 pass" in out


# Each key of an expectation is a check that can fail: a picture of one known QR, and for each key a
# value that is right (the file passes) and one that is wrong (the file must not pass).
KEY_ATTACKS = [
    # (key, right value, wrong value, the outcome the wrong value must give)
    ("found", True, False, "unexpected-qr"),
    ("payload", VIETQR_ACB, VIETQR_ACB_BAD_CRC, "wrong-payload"),
    ("scheme", "vietqr", "evn", "wrong-fields"),
    ("customer_code", None, "PD13000123456", "wrong-fields"),
    ("amount", 1000, 2000, "wrong-fields"),
    ("amount", 1000, None, "wrong-fields"),
    ("valid", True, False, "wrong-fields"),
    ("finding_codes", [], ["crc-mismatch"], "wrong-fields"),
]


@pytest.fixture
def one_qr_picture(tmp_path):
    return write_qr_png(tmp_path / "acb.png", VIETQR_ACB)


@pytest.mark.parametrize("key, right, wrong, outcome", KEY_ATTACKS, ids=[f"{a[0]}-{a[2]}" for a in KEY_ATTACKS])
def test_every_expectation_key_fails_when_the_picture_disagrees(one_qr_picture, tmp_path, capsys,
                                                               key, right, wrong, outcome):
    expect = tmp_path / "expect.json"
    expect.write_text(json.dumps({"acb.png": {key: right}}), encoding="utf-8")
    code, out, err = _scan(capsys, str(one_qr_picture), "--expect", str(expect), "--json")
    assert code == 0, (out, err)
    assert json_lines(out)[0]["expect"]["status"] == "pass"
    expect.write_text(json.dumps({"acb.png": {key: wrong}}), encoding="utf-8")
    code, out, err = _scan(capsys, str(one_qr_picture), "--expect", str(expect), "--json")
    assert code == 1, (out, err)
    assert json_lines(out)[0]["expect"]["status"] == outcome


def test_found_false_fails_when_a_qr_is_read_as_a_real_command(one_qr_picture, tmp_path):
    """``{"found": false}``, "the picture must hold no readable QR", against a picture whose QR is read:
    the real ``payer-app scan`` exits 1 and names the code it read."""
    from tests.test_cli_conventions import run_payer_app

    expect = tmp_path / "expect.json"
    expect.write_text(json.dumps({"acb.png": {"found": False}}), encoding="utf-8")
    done = run_payer_app(("scan", str(one_qr_picture), "--expect", str(expect)), tmp_path / "home", tmp_path)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "FAIL unexpected-qr:" in done.stdout and VIETQR_ACB[:40] in done.stdout
    assert "Traceback" not in done.stderr


def test_found_true_fails_on_a_blank_picture(tmp_path, capsys):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 200), 255, np.uint8))
    expect = tmp_path / "e.json"
    expect.write_text(json.dumps({"blank.png": {"found": True}}))
    code, out, _ = _scan(capsys, str(blank), "--expect", str(expect))
    assert code == 1 and "FAIL not-found:" in out


def test_a_payload_string_fails_when_another_qr_is_read(one_qr_picture, tmp_path, capsys):
    expect = tmp_path / "e.json"
    expect.write_text(json.dumps({"acb.png": VIETQR_ACB_BAD_CRC}))
    code, out, _ = _scan(capsys, str(one_qr_picture), "--expect", str(expect))
    assert code == 1 and "FAIL wrong-payload:" in out


def _manifest_beyond_the_decoder(tmp_path, payload: str) -> Path:
    """A corpus manifest entry marked beyond any decoder (decodable_expected false) for acb.png."""
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"entries": [{
        "file": "acb.png", "payload": payload, "decodable_expected": False,
        "expected": {"scheme": "vietqr", "amount": 1000, "valid": True, "finding_codes": []}}]}))
    return manifest


def test_a_manifest_picture_beyond_the_decoder_that_is_read_must_give_its_payload(one_qr_picture, tmp_path, capsys):
    """A corpus picture marked beyond any decoder may be read (a better decoder is no failure), but
    what is read must be the manifest's payload."""
    code, out, _ = _scan(
        capsys, str(one_qr_picture), "--expect", str(_manifest_beyond_the_decoder(tmp_path, VIETQR_ACB)), "--json"
    )
    assert code == 0
    assert json_lines(out)[0]["expect"] == {
        "status": "pass", "problems": [], "notes": ["read although the manifest marks it beyond any decoder"]}
    code, out, _ = _scan(capsys, str(one_qr_picture), "--expect",
                         str(_manifest_beyond_the_decoder(tmp_path, VIETQR_ACB_BAD_CRC)))
    assert code == 1 and "FAIL wrong-payload:" in out


def test_the_summary_is_the_last_lines_of_stdout_in_text_and_goes_to_stderr_with_json(one_qr_picture, tmp_path):
    """docs/qa.md: without --json the summary and the failures end standard output (nothing on
    standard error); with --json they are on standard error and standard output is JSON lines only."""
    from tests.test_cli_conventions import run_payer_app

    expect = tmp_path / "expect.json"
    expect.write_text(json.dumps({"acb.png": {"amount": 2000}}), encoding="utf-8")
    argv = ("scan", str(one_qr_picture), "--expect", str(expect))
    text = run_payer_app(argv, tmp_path / "home", tmp_path)
    assert text.returncode == 1 and text.stderr == ""
    assert text.stdout.splitlines()[-3:] == [
        f"expectations ({expect}): 1 file(s): 1 wrong-fields",
        f"  FAIL wrong-fields: {one_qr_picture}",
        "       amount: expected 2000, read 1000"]
    with_json = run_payer_app((*argv, "--json"), tmp_path / "home", tmp_path)
    assert with_json.returncode == 1
    assert [json.loads(line)["expect"]["status"] for line in with_json.stdout.splitlines()] == ["wrong-fields"]
    assert with_json.stderr.splitlines()[0] == f"expectations ({expect}): 1 file(s): 1 wrong-fields"
