"""One refusal type, one catalogue: every code has both texts, every code the product raises has an
entry, one rule decides whether a QR can be paid (scan, build, verify), and the window and the command
line show the catalogue's sentence."""

from __future__ import annotations

import ast
import functools
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from payer_app.core.builder import build_payload, vietqr_payload
from payer_app.core.choice import PaymentChoice
from payer_app.core.crc import payload_crc
from payer_app.core.keys import SigningKey
from payer_app.core.payability import DEFAULT_MAX_AMOUNT, DEFAULT_MIN_AMOUNT, Limits, payability
from payer_app.core.payload import parse_payload
from payer_app.core.refusals import CATALOG, CODE_OF, SAID, AmountRefused, QrRefused, Refusal, RequestRefused
from payer_app.core.request import bill_from_parsed, build_request, payee_from_parsed, payload_sha256
from payer_app.core.signing import VerificationKeys, verify_request
from tests.hostile_tokens import good_header, sign_raw, valid_body
from tests.spec_vectors import EVN_BILL

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ROOT / "payer_app"
NOW = datetime(2026, 3, 1, 8, 30, 0, tzinfo=UTC)
KEY = SigningKey.generate()
# codes for which the window has words of its own (what to do in this window rather than on the
# command line): resources/i18n/strings.json problem.<code>
# entries whose sentences are made by another module and passed through whole (named, so none is added
# unseen): none now
PASSED_THROUGH: set[str] = set()
WINDOW_OWN_WORDS = {"key-not-enrolled", "key-revoked", "key-retired",
                    # a failure without a refusal of its own: the window says it without the technical detail
                    "acquirer-unavailable", "payment-error", "service-unavailable"}


# --- the catalogue ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(CATALOG) + sorted(SAID))
def test_every_catalogue_entry_has_an_english_and_a_vietnamese_text_with_the_same_values(kind):
    english, vietnamese = CATALOG[kind] if kind in CATALOG else SAID[kind]
    assert english.strip() and vietnamese.strip() and (english != vietnamese or kind in PASSED_THROUGH)
    assert _fields(english) == _fields(vietnamese)


def _fields(template: str) -> set[str]:
    from string import Formatter

    return {name for _, name, _, _ in Formatter().parse(template) if name}


@functools.cache
def _parsed(path: Path) -> tuple[ast.Module, list[ast.AST]]:
    """A source file's tree and all its nodes (``ast.walk`` order), read once per test run: the scans
    below each look at every product file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return tree, list(ast.walk(tree))


def _nodes(path: Path) -> list[ast.AST]:
    return _parsed(path)[1]


@functools.cache
def _product_files() -> list[Path]:
    return sorted(PRODUCT.rglob("*.py"))


def _refusal_classes(paths: list[Path]) -> set[str]:
    """``Refusal`` and every class in the product that derives from it (by name, to a fixed point)."""
    classes = [node for path in paths for node in _nodes(path) if isinstance(node, ast.ClassDef)]
    names = {"Refusal"}
    while True:
        more = {node.name for node in classes
                if any(isinstance(base, ast.Name) and base.id in names for base in node.bases)}
        if more <= names:
            return names
        names |= more


def _raised_kinds() -> list[tuple[str, str]]:
    """(file, kind) for every ``SomeRefusal("kind", ...)`` in the product, found by reading the source."""
    paths = _product_files()
    classes = _refusal_classes(paths)
    assert {"QrRefused", "AmountRefused", "InputRefused", "PaymentSetupError", "EnrolmentRefused"} <= classes
    found = []
    for path in paths:
        for node in _nodes(path):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in classes
                    and node.args):
                found += [(str(path.relative_to(ROOT)), kind) for kind in _kinds(path, node.args[0])]
    return found


def _kinds(path: Path, node: ast.expr) -> list[str]:
    """The kinds a refusal's first argument can be: a literal, a module constant, either of two, or
    the kind of a refusal made elsewhere."""
    if isinstance(node, ast.Constant):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _kinds(path, node.body) + _kinds(path, node.orelse)
    if isinstance(node, ast.Attribute) and node.attr == "kind":
        return []  # another refusal's kind, passed on: checked where that refusal is made
    return [_constant(path, node)]


def _constant(path: Path, node: ast.expr) -> str:
    """The text a module-level NAME = "text" constant holds (how payability names its codes)."""
    assert isinstance(node, ast.Name), f"{path}: a refusal kind must be a literal, a module constant or an if-else"
    for statement in _parsed(path)[0].body:
        if (isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id
                                                       for t in statement.targets)):
            assert isinstance(statement.value, ast.Constant)
            return statement.value.value
    raise AssertionError(f"{path}: {node.id} is not a module constant")


def test_every_refusal_the_product_raises_has_catalogue_texts():
    raised = _raised_kinds()
    assert len(raised) >= 25  # the scan finds them (payability, request, saved bills, the payment service)
    assert {"bad-crc", "below-minimum", "bad-ttl", "dynamic-not-saveable", "key-not-enrolled",
            "other-acquirer"} <= {kind for _, kind in raised}
    missing = [(path, kind) for path, kind in raised if kind not in CATALOG]
    assert not missing


def test_every_sentence_the_product_says_has_catalogue_texts():
    """``say("kind", ...)``: what is said when nothing is refused (a good verification, an approval,
    an enrolment) reads the same catalogue form."""
    said = []
    for path in _product_files():
        nodes = _nodes(path)
        if not any(isinstance(node, ast.ImportFrom) and node.module == "payer_app.core.refusals"
                   and "say" in {alias.name for alias in node.names} for node in nodes):
            continue
        for node in nodes:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "say":
                said += [(str(path.relative_to(ROOT)), kind) for kind in _kinds(path, node.args[0])]
    assert {"request-verified", "approved", "no-answer-pending"} <= {kind for _, kind in said}
    assert not [(path, kind) for path, kind in said if kind not in SAID]


def test_a_kind_without_texts_cannot_be_made():
    with pytest.raises(KeyError):
        Refusal("no-such-kind")


def test_kinds_that_share_a_code_are_catalogue_entries():
    assert set(CODE_OF) <= set(CATALOG)
    assert Refusal("bill-name-empty").code == "bad-bill-name"


def test_texts_fill_amounts_as_dong_and_pick_the_language():
    refusal = AmountRefused("below-minimum", amount=500, min=1_000, max=5_000)
    assert refusal.code == "below-minimum" and isinstance(refusal, RequestRefused)
    assert refusal.text("en") == "The amount 500 ₫ is below the minimum of 1.000 ₫."
    assert refusal.text("vi") == "Số tiền 500 ₫ thấp hơn mức tối thiểu 1.000 ₫."
    assert str(refusal) == refusal.text("en")


def test_limit_defaults_have_one_home_in_core():
    from payer_app.gui import settings

    assert Limits() == Limits(DEFAULT_MIN_AMOUNT, DEFAULT_MAX_AMOUNT)
    assert (settings.Settings().min_amount, settings.Settings().max_amount) == (DEFAULT_MIN_AMOUNT, DEFAULT_MAX_AMOUNT)
    assert "499_999_999" not in (PRODUCT / "gui" / "settings.py").read_text(encoding="utf-8")


def test_no_refusal_text_is_written_twice_in_the_window_catalogue():
    strings = json.loads((ROOT / "resources" / "i18n" / "strings.json").read_text(encoding="utf-8"))
    twice = [key for key in strings if key.startswith("problem.") and key.removeprefix("problem.") in CATALOG
             and key.removeprefix("problem.") not in WINDOW_OWN_WORDS]
    assert not twice
    core_texts = {text for pair in CATALOG.values() for text in pair}
    assert not [key for key, entry in strings.items() if set(entry.values()) & core_texts]


# --- one rule: scan, build and verify agree ------------------------------------------------------------
def _qr_with_currency(currency: str) -> str:
    return build_payload([
        ("00", "01"), ("01", "11"),
        ("38", [("00", "A000000727"), ("01", [("00", "970416"), ("01", "123456")]), ("02", "QRIBFTTA")]),
        ("53", currency), ("58", "VN"),
    ])


def _usd_with_a_wrong_checksum() -> str:
    text = vietqr_payload("970436", "0011001234567", amount=250_000).replace("5303704", "5303840", 1)
    body = text[:-4]
    return body + ("0000" if payload_crc(body) != "0000" else "1111")


def _verified_reason(qr: str) -> str:
    body = valid_body(KEY, NOW)
    parsed = parse_payload(qr)
    body["payee"], body["bill"] = payee_from_parsed(parsed).to_dict(), bill_from_parsed(parsed).to_dict()
    body["qr"] = {"payload": qr, "sha256": payload_sha256(qr)}
    result = verify_request(sign_raw(good_header(KEY.kid), body, KEY), VerificationKeys.load([KEY.public_jwk]),
                            now=NOW)
    assert not result.ok and result.signature_ok
    return result.reason


@pytest.mark.parametrize("qr", [_qr_with_currency("7O4"), _qr_with_currency("70"), _usd_with_a_wrong_checksum()],
                         ids=["currency-7O4", "currency-70", "usd-wrong-checksum"])
def test_one_rule_decides_whether_a_qr_can_be_paid(qr):
    """The payee screen (payability), build_request and the verifier give a QR the same answer.
    Before, the verifier tested the currency first and build_request tested validity first, so one
    QR was ``invalid-qr`` when built and ``not-vnd`` when verified."""
    parsed = parse_payload(qr)
    scanned = payability(parsed)
    assert isinstance(scanned, QrRefused)
    with pytest.raises(QrRefused) as built:
        build_request(parsed, PaymentChoice(250_000))
    assert built.value == scanned
    # the verifier has one code for a QR that is not valid in any way (see docs/payments.md)
    assert _verified_reason(qr) == ("not-vnd" if scanned.code == "not-vnd" else "invalid-qr")


def test_build_request_gives_the_payee_screens_code_for_a_damaged_qr():
    broken = EVN_BILL[:-4] + ("0000" if not EVN_BILL.endswith("0000") else "1111")
    with pytest.raises(QrRefused) as built:
        build_request(parse_payload(broken), PaymentChoice(250_000))
    assert built.value.code == payability(parse_payload(broken)).code == "bad-crc"


def test_a_dynamic_qr_over_the_limit_is_refused_alike_when_scanned_and_built():
    parsed = parse_payload(vietqr_payload("970436", "0011001234567", amount=600_000_000))
    with pytest.raises(AmountRefused) as built:
        build_request(parsed, PaymentChoice(None))
    assert built.value == payability(parsed) and built.value.code == "above-maximum"


# --- the window and the command line read the same catalogue -------------------------------------------
def test_the_window_shows_the_catalogues_vietnamese_text_for_a_refused_amount(qtbot, window):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window.open_payload(EVN_BILL)
    qtbot.mouseClick(window.payee.continue_button, Qt.MouseButton.LeftButton)
    QTest.keyClicks(window.amount.edit, "500")
    qtbot.mouseClick(window.amount.continue_button, Qt.MouseButton.LeftButton)
    assert window.amount.message.text() == "Số tiền 500 ₫ thấp hơn mức tối thiểu 1.000 ₫."
    assert window.amount.message.text() == AmountRefused("below-minimum", amount=500, min=1_000, max=1).text("vi")
    window.ctx.language.set("en")  # the kept refusal is shown again in the new language
    assert window.amount.message.text() == "The amount 500 ₫ is below the minimum of 1.000 ₫."


def test_the_command_line_shows_the_catalogues_english_text(capsys):
    from payer_app.cli import main

    assert main(["pay", EVN_BILL, "--amount", "500"]) == 1
    err = capsys.readouterr().err
    assert err == "payer-app pay: not paid (below-minimum): The amount 500 ₫ is below the minimum of 1.000 ₫.\n"
    assert main(["pay", EVN_BILL, "--amount", "500", "--lang", "vi"]) == 1
    assert "(below-minimum): Số tiền 500 ₫ thấp hơn mức tối thiểu 1.000 ₫." in capsys.readouterr().err


# --- the window keeps the refusal, not its texts --------------------------------------------------------
def test_a_failed_payment_says_why_again_in_the_language_the_payer_switches_to(qtbot, window, monkeypatch):
    """The payment runner hands the Result screen the refusal itself: switching the language after a
    failed payment re-renders the reason from the catalogue (no window words exist for this code)."""
    from payer_app.core.builder import evn_bill_payload
    from payer_app.payments.errors import PaymentSetupError
    from tests.gui_helpers import pay

    refusal = PaymentSetupError("bad-local-key", detail="key #1 is not an Ed25519 key")

    def refuse(parsed, choice):
        raise refusal

    monkeypatch.setattr(window.ctx.service, "pay", refuse)
    assert pay(qtbot, window, evn_bill_payload("PB12345678901"), 345_000) is None
    shown = window.result.rows["message"].value
    assert window.ctx.flow.error is refusal  # the refusal itself, not its two texts of that moment
    assert window.current == "result" and shown.text() == refusal.text("vi")
    window.set_language("en")
    assert shown.text() == refusal.text("en")
    window.set_language("vi")
    assert shown.text() == refusal.text("vi")


def test_a_failed_retry_on_history_says_why_again_in_the_language_the_payer_switches_to(qtbot, window, monkeypatch):
    """History keeps the refusal of a failed re-send, not a sentence in the language of that moment."""
    from payer_app.payments.errors import RetryTargetRefused

    refusal = RetryTargetRefused("other-acquirer", count=1, request_id="r-1", acquirer="http://127.0.0.1:9")

    def refuse():
        raise refusal

    monkeypatch.setattr(window.ctx.service, "retry_pending", refuse)
    window.go("history")
    history = window.history
    with qtbot.waitSignal(history.retries.failed, timeout=30_000):
        history.retry_pending()
    assert history.status_line.text() == window.ctx.t("history.retry_failed", problem=refusal.text("vi"))
    window.set_language("en")
    assert history.status_line.text() == window.ctx.t("history.retry_failed", problem=refusal.text("en"))
    assert refusal.text("en") in history.status_line.text()


# --- no Vietnamese message outside the catalogues ------------------------------------------------------
VIETNAMESE = re.compile("[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]", re.IGNORECASE)
# Modules that hold Vietnamese text legitimately: a catalogue, or data that is not a message.
VIETNAMESE_HOLDERS = {
    "core/refusals.py": "the refusal catalogue (CATALOG, SAID) and the alphabets' names",
    "core/findings.py": "the findings catalogue",
    "core/field_names.py": "the payload's field names in both languages (a glossary)",
    "core/amount_words.py": "Vietnamese number words (amounts in words)",
    "core/evn.py": "the power corporations' names",
    "core/confusables.py": "the letters đ and Đ (name skeletons)",
    "core/registered_name.py": "the letters đ and Đ (name comparison)",
    "gui/screens/settings_screen.py": "the language's own name, Tiếng Việt",
    "payments/name_directory.py": "the mock name inquiry's answer descriptions (protocol data)",
    "payments/speech.py": "what the sound box says aloud (speech, not a message)",
    "payments/merchant_display.py": "the display page's words for a fee and a tip (the page is Vietnamese only)",
    "cli/bill_cmd.py": "the EVN bill's own Vietnamese labels, printed beside the English ones",
    "cli/saved_bills_cmd.py": "its help names the window's Vietnamese label",
    "studio/": "printed test bills: their labels, made-up names and addresses",
    "core/receipt.py": "the printed receipt's simulation mark and status words (a printout, like a bill)",
    "cli/receipt_cmd.py": "its help quotes the simulation mark the receipt carries",
}
# Messages still written in place, each to move into a catalogue (named so that none is added unseen).
NOT_YET_IN_A_CATALOGUE = {
    "core/amounts.py": "AmountError's two texts (a finding's detail)",
    "core/payload.py": "details of findings, in both languages, passed as finding values",
    "cli/lookup_cmd.py": "the name inquiry's lines (its own SAID table)",
    "core/fees.py": "a tip finding's details",
}


def _vietnamese_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal with Vietnamese letters, docstrings set aside (they may
    name a Vietnamese label of the window)."""
    nodes = _nodes(path)
    docstrings = {id(node.body[0].value) for node in nodes
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in nodes
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
            and VIETNAMESE.search(node.value)]


def test_no_vietnamese_message_is_written_outside_the_catalogues():
    allowed = {**VIETNAMESE_HOLDERS, **NOT_YET_IN_A_CATALOGUE}
    for name in allowed:  # the lists name modules that exist (and still hold Vietnamese text)
        target = PRODUCT / name
        files = sorted(target.rglob("*.py")) if name.endswith("/") else [target]
        assert any(_vietnamese_literals(path) for path in files), f"{name} holds no Vietnamese text: drop it"
    found = {}
    for path in _product_files():
        relative = path.relative_to(PRODUCT).as_posix()
        if relative in allowed or any(relative.startswith(folder) for folder in allowed if folder.endswith("/")):
            continue
        if literals := _vietnamese_literals(path):
            found[relative] = literals[:3]
    assert not found, f"Vietnamese text outside the catalogues (core/refusals.CATALOG, resources/i18n): {found}"


def test_the_scan_for_vietnamese_messages_finds_one(tmp_path):
    """The check above can fail: a message written in place is found, a docstring naming a label is not."""
    source = tmp_path / "probe.py"
    source.write_text('"""Nút “Hủy”."""\n\nMESSAGE = ("Cancelled.", "Đã hủy.")\n', encoding="utf-8")
    assert _vietnamese_literals(source) == [(3, "Đã hủy.")]


def test_reason_means_a_code_and_the_window_s_placeholder_for_a_text_is_problem():
    """``reason`` is a stable code (``Verification.reason``, ``PaymentOutcome.reason``, the acquirer's
    ``reason``); the sentence that explains something is ``{problem}`` in the window's strings, and
    nothing in the window fills a ``reason`` placeholder."""
    strings = json.loads((ROOT / "resources" / "i18n" / "strings.json").read_text(encoding="utf-8"))
    assert not [key for key, entry in strings.items() if any("{reason}" in text for text in entry.values())]
    passed = []
    for path in (PRODUCT / "gui").rglob("*.py"):
        for node in _nodes(path):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "t"
                    and any(keyword.arg == "reason" for keyword in node.keywords)):
                passed.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not passed
