"""``payer-app generate bill|corpus`` end to end (video: tests/test_qa_video.py): files written,
payload printed, errors explained."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from payer_app.cli import main
from payer_app.core.payload import parse_payload
from payer_app.scan.engine import decode_image_file


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_default_bill_png_prints_the_payload_it_drew(tmp_path, capsys):
    target = tmp_path / "bill.png"
    code, out, err = run(capsys, "generate", "bill", "-o", str(target))
    assert code == 0, err
    payload = out.strip()
    assert [d.text for d in decode_image_file(target)] == [payload]
    parsed = parse_payload(payload)
    assert parsed.scheme == "evn" and parsed.initiation == "static" and parsed.amount is None


def test_vietqr_bill_with_options_parses_back(tmp_path, capsys):
    target = tmp_path / "slip.pdf"
    code, out, err = run(
        capsys, "generate", "bill", "--kind", "vietqr", "--bank", "970436", "--account", "0011001234567",
        "--amount", "1.500.000", "--purpose", "Tien nha T11", "--merchant-name", "TRAN THI MAI",
        "--city", "Da Nang", "-o", str(target),
    )
    assert code == 0, err
    parsed = parse_payload(out.strip())
    assert parsed.valid
    assert (parsed.account.bank_bin, parsed.account.id) == ("970436", "0011001234567")
    assert parsed.amount == 1_500_000 and parsed.initiation == "dynamic"
    assert (parsed.bill.purpose, parsed.merchant.name, parsed.merchant.city) == (
        "Tien nha T11",
        "TRAN THI MAI",
        "Da Nang",
    )
    assert target.read_bytes().startswith(b"%PDF")


def test_evn_customer_and_seed_give_the_same_svg_twice(tmp_path, capsys):
    outputs = []
    for name in ("a.svg", "b.svg"):
        code, out, err = run(capsys, "generate", "bill", "--customer", "PB01234567890", "--seed", "42",
                             "-o", str(tmp_path / name))
        assert code == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1]
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
    assert parse_payload(outputs[0].strip()).bill.evn_customer_code == "PB01234567890"


@pytest.mark.parametrize(
    "args, exit_code, message",
    [
        (["--customer", "PD123"], 2, "not an EVN customer code"),
        (["--kind", "vnpay", "--customer", "PD00000000000"], 2, "only goes with --kind evn"),
        (["--bank", "970436"], 2, "needs both --bank BIN and --account NO"),
        (["--kind", "evn", "--bank", "970436", "--account", "1"], 2, "only go with --kind vietqr"),
        (["--amount", "1,000"], 2, "--amount"),
        (["-o-placeholder"], 2, "unknown format"),
    ],
)
def test_bad_bill_options_exit_2_with_a_message(tmp_path, capsys, args, exit_code, message):
    argv = ["generate", "bill", *args]
    if "-o-placeholder" in argv:
        argv[argv.index("-o-placeholder")] = "-o"
        argv.append(str(tmp_path / "bill.gif"))
    else:
        argv += ["-o", str(tmp_path / "bill.png")]
    code, out, err = run(capsys, *argv)
    assert code == exit_code
    assert message in err and "Traceback" not in err
    assert out == ""


def test_unwritable_output_is_an_input_error_exit_2(tmp_path, capsys):
    code, out, err = run(capsys, "generate", "bill", "-o", str(tmp_path / "missing" / "bill.png"))
    assert code == 2 and "cannot write" in err and out == ""


def test_corpus_over_a_file_is_an_input_error_exit_2(tmp_path, capsys):
    (tmp_path / "taken").write_text("a file")
    code, out, err = run(capsys, "generate", "corpus", str(tmp_path / "taken"), "--count", "2")
    assert code == 2 and "is not a folder" in err and out == ""


def test_generate_without_what_names_the_choices(capsys):
    code, out, err = run(capsys, "generate")
    assert code == 2 and out == ""
    assert (
        err.strip()
        == "payer-app: error: generate needs an action: bill, corpus or video (see payer-app generate --help)"
    )


def test_corpus_command_writes_manifest_and_summary(tmp_path, capsys):
    code, out, err = run(capsys, "generate", "corpus", str(tmp_path / "c"), "--count", "12", "--seed", "5")
    assert code == 0, err
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["summary"]["count"] == 12 == len(manifest["entries"])
    assert f"{manifest['summary']['beyond_decoder']} beyond any decoder" in out
    code, _, err = run(capsys, "generate", "corpus", str(tmp_path / "d"), "--count", "0")
    assert code == 2 and "--count" in err


def test_installed_command_runs(tmp_path):
    target = tmp_path / "bill.png"
    done = subprocess.run(
        [sys.executable, "-m", "payer_app", "generate", "bill", "--kind", "vnpay", "--seed", "3", "-o", str(target)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [d.text for d in decode_image_file(target)] == [done.stdout.strip()]
