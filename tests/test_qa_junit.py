"""``payer-app scan ... --junit FILE``: the common JUnit shape, read back by junitparser."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from payer_app.cli import main

junitparser = pytest.importorskip("junitparser")


def _run(capsys, folder, tmp_path, *extra):
    junit = tmp_path / "junit.xml"
    code = main(["scan", str(folder), "--junit", str(junit), *extra])
    capsys.readouterr()
    return code, junit


def test_junit_shape_and_junitparser_read_back(qa_mixed_folder, tmp_path, capsys):
    code, junit = _run(capsys, qa_mixed_folder, tmp_path, "--expect", str(tmp_path / "expect.json"))
    assert code == 1
    # the common schema shape: testsuites > testsuite > testcase > failure|error
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    for attr in ("name", "tests", "failures", "errors", "skipped", "time", "timestamp"):
        assert attr in suite.attrib, attr
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) == 4
    for case in cases:
        assert case.get("classname") and case.get("name") and float(case.get("time")) >= 0
        for outcome in case.findall("failure") + case.findall("error"):
            assert outcome.get("message") and outcome.get("type")
    # junitparser reads it back and sees the same verdicts
    xml = junitparser.JUnitXml.fromfile(str(junit))
    suite = next(iter(xml))
    verdicts = {}
    for case in suite:
        results = case.result
        verdicts[case.name.rsplit("/", 1)[-1]] = results[0].type if results else "pass"
        if results:
            assert isinstance(results[0], (junitparser.Failure, junitparser.Error))
    assert verdicts == {"a-bill.png": "pass", "b-hostile.png": "pass", "c-blank.png": "not-found",
                        "d-broken.png": "unreadable"}
    assert suite.tests == 4 and suite.failures == 1 and suite.errors == 1
    broken = next(c for c in suite if c.name.endswith("d-broken.png"))
    assert isinstance(broken.result[0], junitparser.Error)


def test_junit_without_expectations_fails_files_without_a_qr(qa_mixed_folder, tmp_path, capsys):
    code, junit = _run(capsys, qa_mixed_folder, tmp_path)
    assert code == 1
    suite = next(iter(junitparser.JUnitXml.fromfile(str(junit))))
    failed = sorted(c.name.rsplit("/", 1)[-1] for c in suite if c.result)
    assert failed == ["c-blank.png", "d-broken.png"]


def test_qr_text_with_controls_stays_well_formed_xml(qa_mixed_folder, tmp_path, capsys):
    _code, junit = _run(capsys, qa_mixed_folder, tmp_path)
    text = junit.read_text(encoding="utf-8")
    assert "\x1b" not in text  # XML 1.0 forbids it; written as a visible escape
    assert "\\x1b[31m" in text
    root = ET.fromstring(text.encode("utf-8"))
    outs = [n.text for n in root.iter("system-out")]
    assert any("<script>" in (t or "") for t in outs)  # kept as text, escaped by the XML writer
    assert "<script>" not in text


@pytest.mark.parametrize("option", ["--junit", "--html"])
def test_a_report_that_cannot_be_written_is_exit_2_with_the_file_named(qa_mixed_folder, tmp_path, capsys, option):
    """docs/cli.md: an output that cannot be written is exit 2, whatever the scan found."""
    target = tmp_path / "no-such-folder" / "report.out"
    assert main(["scan", str(qa_mixed_folder / "a-bill.png"), option, str(target)]) == 2
    err = capsys.readouterr().err
    assert "cannot write the" in err and "report.out" in err and "Traceback" not in err
    assert not target.exists()
