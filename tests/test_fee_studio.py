"""The studio makes fee and tip QRs (``generate bill --fee-fixed / --fee-percent / --tip-prompt``) and
the corpus labels them (``expected.fee`` in the manifest, and fee cases among the faults)."""

from __future__ import annotations

import json
import random

import pytest

from payer_app.cli import main
from payer_app.core.fees import FIXED_FEE, PERCENT_FEE, TIP_PROMPT, FeeRule
from payer_app.core.payload import parse_payload
from payer_app.scan.engine import decode_image_file
from payer_app.studio.bill_spec import BillSpec
from payer_app.studio.corpus import generate_corpus
from payer_app.studio.fee_qr import FEE_CASES, fee_totals, with_fee
from payer_app.studio.payload_faults import FAULTS_BY_NAME


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("option, rule", [
    (("--fee-fixed", "50.000"), FeeRule(FIXED_FEE, fixed=50000)),
    (("--fee-percent", "1.5"), FeeRule(PERCENT_FEE, hundredths=150)),
    (("--tip-prompt",), FeeRule(TIP_PROMPT)),
])
def test_generate_bill_puts_the_fee_or_tip_in_the_qr_it_draws(tmp_path, capsys, option, rule):
    target = tmp_path / "bill.png"
    code, out, err = run(capsys, "generate", "bill", "--kind", "vietqr", "--amount", "100000", *option,
                         "-o", str(target))
    assert code == 0, err
    payload = out.strip()
    assert [d.text for d in decode_image_file(target)] == [payload]
    parsed = parse_payload(payload)
    assert parsed.valid and parsed.fee == rule and parsed.amount == 100000


@pytest.mark.parametrize("argv, words", [
    (("--fee-percent", "100.5"), "--fee-percent"),
    (("--fee-percent", "1.255"), "--fee-percent"),
    (("--fee-fixed", "abc"), "--fee-fixed"),
    (("--fee-fixed", "0"), "--fee-fixed"),
    (("--fee-fixed", "1000", "--tip-prompt"), "not allowed with"),
])
def test_a_bad_fee_option_is_a_usage_error(tmp_path, capsys, argv, words):
    try:
        code, _, err = run(capsys, "generate", "bill", "--kind", "vnpay", *argv, "-o", str(tmp_path / "b.png"))
    except SystemExit as exc:  # argparse's own usage errors
        code, err = exc.code, capsys.readouterr().err
    assert code == 2 and words in err
    assert not (tmp_path / "b.png").exists()


def test_the_bill_prints_the_fee_and_the_total_paid_by_qr():
    bill = BillSpec(kind="evn", amount=100000, fee=FeeRule(FIXED_FEE, fixed=50000), seed=3).resolve()
    assert bill.totals[-2:] == (("Phí tiện ích", "50.000"), ("Tổng thanh toán qua QR", "150.000"))
    assert parse_payload(bill.payload).fee == FeeRule(FIXED_FEE, fixed=50000)
    assert fee_totals(FeeRule(PERCENT_FEE, hundredths=150), None) == (("Phí tiện ích 1,5%", "tính trên số tiền"),)


def test_with_fee_replaces_an_old_fee_and_keeps_the_rest():
    base = BillSpec(kind="vnpay", amount=200000, seed=1).payload()
    once = with_fee(base, FeeRule(FIXED_FEE, fixed=1000))
    twice = with_fee(once, FeeRule(PERCENT_FEE, hundredths=250))
    parsed = parse_payload(twice)
    assert parsed.valid and parsed.fee == FeeRule(PERCENT_FEE, hundredths=250)
    ids = [f.id for f in parsed.fields]
    assert [i for i in ids if i not in ("55", "57")] == [f.id for f in parse_payload(base).fields]
    assert ids[ids.index("54") + 1:ids.index("58")] == ["55", "57"]  # EMVCo order: 54, 55, 57, 58
    assert with_fee(base, None) == base


@pytest.mark.parametrize("name, apply, finding, description", FEE_CASES)
def test_each_fee_case_is_a_fault_the_parser_names(name, apply, finding, description):
    fault = FAULTS_BY_NAME[name]
    assert fault.finding == finding
    for seed in range(6):
        parsed = parse_payload(fault.apply(BillSpec.random(seed).payload(), random.Random(seed)))
        if finding is None:
            assert parsed.valid and parsed.fee is not None, [f.code for f in parsed.findings]
        else:
            assert finding in {f.code for f in parsed.findings} and parsed.fee is None


def test_the_corpus_labels_fee_and_tip_qrs(tmp_path):
    manifest = generate_corpus(tmp_path, count=30, seed=5)
    on_disk = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    by_fault = {e["fault"]: e for e in on_disk["entries"]}
    assert {name for name, *_ in FEE_CASES} <= set(by_fault)
    assert by_fault["fee-fixed"]["expected"]["fee"]["kind"] == "fixed"
    assert by_fault["fee-percent"]["expected"]["fee"]["kind"] == "percent"
    assert by_fault["tip-prompt"]["expected"]["fee"]["kind"] == "tip"
    assert by_fault["fee-both"]["expected"]["fee"] is None
    assert "fee-both" in by_fault["fee-both"]["expected"]["finding_codes"]
    for entry in manifest["entries"]:
        parsed = parse_payload(entry["payload"])
        expected_fee = None if parsed.fee is None else parsed.fee.to_dict(parsed.amount)
        assert entry["expected"]["fee"] == expected_fee, entry["file"]
