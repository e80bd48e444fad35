"""The corpus manifest agrees with the project's own scan engine and parser, entry by entry."""

from __future__ import annotations

import json

import pytest

from payer_app.core.payload import parse_payload
from payer_app.scan.engine import decode_image_file
from payer_app.studio.corpus import CorpusError, generate_corpus, plan_corpus
from payer_app.studio.image_conditions import CONDITIONS
from payer_app.studio.payload_faults import FAULTS


def decoded_texts(path) -> list[str]:
    return sorted(d.text for d in decode_image_file(path))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    directory = tmp_path_factory.mktemp("corpus")
    manifest = generate_corpus(directory, count=40, seed=7)
    return directory, manifest


def test_manifest_on_disk_is_what_was_returned(corpus):
    directory, manifest = corpus
    on_disk = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(manifest))
    assert len(on_disk["entries"]) == 40
    for entry in on_disk["entries"]:
        assert (directory / entry["file"]).is_file()


def test_every_fault_and_condition_is_present(corpus):
    _, manifest = corpus
    assert {e["fault"] for e in manifest["entries"]} == {f.name for f in FAULTS}
    assert {e["condition"] for e in manifest["entries"]} == {c.name for c in CONDITIONS}
    assert any(e["file"].endswith(".jpg") for e in manifest["entries"])


def test_manifest_agrees_with_scan_and_parse(corpus):
    directory, manifest = corpus
    checked = 0
    for entry in manifest["entries"]:
        if not entry["decodable_expected"]:
            continue
        texts = decoded_texts(directory / entry["file"])
        assert texts == sorted([entry["payload"], *entry["other_payloads"]]), entry["file"]
        parsed = parse_payload(entry["payload"], entry["expected"]["profile"])
        assert parsed.valid == entry["expected"]["valid"], entry["file"]
        assert sorted({f.code for f in parsed.findings}) == entry["expected"]["finding_codes"], entry["file"]
        assert parsed.scheme == entry["expected"]["scheme"]
        assert parsed.amount == entry["expected"]["amount"]
        if entry["fault_finding"]:
            assert entry["fault_finding"] in entry["expected"]["finding_codes"], entry["file"]
        checked += 1
    assert checked == manifest["summary"]["decodable_expected"]


def test_entries_beyond_the_decoder_are_counted_and_really_unreadable(corpus):
    directory, manifest = corpus
    beyond = [e for e in manifest["entries"] if not e["decodable_expected"]]
    summary = manifest["summary"]
    assert beyond, "the corpus should include pictures no decoder can read"
    assert summary["beyond_decoder"] == len(beyond)
    assert summary["beyond_decoder_files"] == [e["file"] for e in beyond]
    assert summary["decodable_expected"] + summary["beyond_decoder"] == summary["count"] == 40
    assert {e["condition"] for e in beyond} <= {"extreme-blur", "extreme-low-contrast"}
    for entry in beyond:
        assert decoded_texts(directory / entry["file"]) == [], entry["file"]


def test_summary_tallies(corpus):
    _, manifest = corpus
    entries, summary = manifest["entries"], manifest["summary"]
    assert sum(summary["by_fault"].values()) == sum(summary["by_condition"].values()) == len(entries)
    assert summary["valid_expected"] == sum(e["expected"]["valid"] for e in entries)


def test_same_seed_same_files_other_seed_other_corpus(tmp_path):
    first = generate_corpus(tmp_path / "a", count=14, seed=3)
    generate_corpus(tmp_path / "b", count=14, seed=3)
    other = generate_corpus(tmp_path / "c", count=14, seed=4)
    for entry in first["entries"]:
        assert (tmp_path / "a" / entry["file"]).read_bytes() == (tmp_path / "b" / entry["file"]).read_bytes()
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (tmp_path / "b" / "manifest.json").read_bytes()
    assert [e["payload"] for e in first["entries"]] != [e["payload"] for e in other["entries"]]


def test_bad_arguments(tmp_path):
    with pytest.raises(CorpusError, match="at least 1"):
        plan_corpus(0, 1)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CorpusError, match="not a folder"):
        generate_corpus(blocker, 2, 0)
