"""Every command keeps the conventions of docs/cli.md.

A usage or input error is exit 2 with one message on standard error, nothing on standard output and
no traceback; "the answer is no" is exit 1 and "no answer yet" exit 3, for every command alike. The
table in docs/cli.md has a row for every command the parser knows.

Each command, and each exit code, is run at least once as a real ``payer-app`` process (the installed
entry point, its exit status and its two streams as a shell sees them: the cases in REAL_PROCESS);
the other cases run ``payer_app.cli.main`` in this process (``tests/cli_in_process.py``, with the file
descriptors captured, so a library's own line on stderr is seen too), which is where the code and the
lines are decided, for a fraction of a process's start."""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from payer_app.cli import build_parser
from payer_app.cli.exits import EXIT_NO, EXIT_PENDING, EXIT_UNREADABLE, EXIT_USAGE
from tests import cli_in_process
from tests.spec_vectors import EVN_BILL, VIETQR_ACB

ROOT = Path(__file__).resolve().parents[1]
PAYER_APP = Path(sys.executable).with_name("payer-app")  # the installed entry point, as a user runs it
RUN_TIMEOUT_S = 120  # only fails a hung command


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    says: str  # a piece of the message on standard error


# Each command with a bad input: exit 2, the message on stderr, stdout empty. "{file}" is an existing
# regular file, "{tmp}" the test's folder, "{down}" the URL of a port where nothing listens.
USAGE_ERRORS = {
    "parse-no-payload": Case(("parse",), "required: PAYLOAD"),
    "parse-bad-lang": Case(("parse", "--lang", "fr", EVN_BILL), "invalid choice"),
    "scan-no-source": Case(("scan",), "give a SOURCE"),
    "scan-missing-file": Case(("scan", "{tmp}/missing.png"), "no such file"),
    "scan-bad-timeout": Case(("scan", "demo", "--timeout", "0"), "--timeout"),
    "scan-bad-shard": Case(("scan", "{tmp}", "--shard", "3/2"), "--shard 3/2: K must be 1 to N"),
    "qa-no-action": Case(("qa",), "qa needs an action: merge"),
    "qa-merge-not-a-summary": Case(("qa", "merge", "{file}", "--summary", "{tmp}/m.json"), "not valid JSON"),
    "generate-no-action": Case(("generate",), "generate needs an action: bill, corpus or video"),
    "generate-bill-unwritable": Case(("generate", "bill", "-o", "{tmp}/no/such/folder/bill.png"), "cannot write"),
    "generate-bill-bad-amount": Case(("generate", "bill", "--amount", "1,5", "-o", "{tmp}/b.png"), "--amount"),
    "generate-corpus-over-a-file": Case(("generate", "corpus", "{file}", "--count", "2"), "is not a folder"),
    "generate-video-bad-name": Case(("generate", "video", "demo", "-o", "{tmp}/clip.txt"), "must end in"),
    "pay-bad-amount": Case(("pay", EVN_BILL, "--amount", "1,5"), "--amount"),
    "pay-missing-picture": Case(("pay", "{tmp}/missing-bill.png"), "no such image file"),
    "verify-missing-token": Case(("verify", "{tmp}/missing.jws"), "cannot read"),
    "verify-bad-key": Case(("verify", "{file}", "--key", "{{not json"), "--key"),
    "keys-no-action": Case(("keys",), "keys needs an action: export, rotate, enrol, status, revoke or endorse"),
    "keys-export-unwritable": Case(("keys", "export", "-o", "{tmp}/no/such/folder/key.jwk"), "cannot write"),
    "keys-enrol-no-acquirer": Case(("keys", "enrol"), "--acquirer"),
    "history-force-alone": Case(("history", "--force"), "--force"),
    "acquirer-no-action": Case(("acquirer",), "acquirer needs an action: serve"),
    "acquirer-bad-account": Case(("acquirer", "serve", "--trust-account", "nope"), "--trust-account"),
    "acquirer-bad-rate": Case(("acquirer", "serve", "--decline-rate", "1.5"), "decline_rate"),
    "bill-malformed-code": Case(("bill", "PZ13000123456"), "EVN customer code"),
    "lookup-malformed-bin": Case(("lookup", "97043", "0011001234567"), "is not 6 digits"),
    "saved-bills-no-action": Case(("saved-bills",), "saved-bills needs an action"),
    "saved-bills-unknown-id": Case(("saved-bills", "rename", "99", "x"), "no saved bill with id 99"),
    "saved-bills-import-missing": Case(("saved-bills", "import", "{tmp}/missing.json"), "cannot read"),
    "gui-impossible-camera": Case(("gui", "--camera", "{tmp}/missing.avi"), "no such file"),
    "unknown-command": Case(("bogus",), "invalid choice"),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The cases of USAGE_ERRORS run as a real process: one of each command (and one of each exit code below).
REAL_PROCESS = {
    "parse-no-payload", "scan-no-source", "qa-no-action", "generate-no-action", "pay-bad-amount", "verify-bad-key",
    "keys-no-action", "history-force-alone", "acquirer-no-action", "bill-malformed-code", "lookup-malformed-bin",
    "saved-bills-no-action", "gui-impossible-camera", "unknown-command",
}


def _filled(argv, tmp: Path) -> list[str]:
    a_file = tmp / "a-file.txt"
    a_file.write_text("not what the command wants\n")
    fill = {"tmp": str(tmp), "file": str(a_file), "down": f"http://127.0.0.1:{_free_port()}"}
    return [arg.format(**fill) for arg in argv]


def run_payer_app(argv, home: Path, tmp: Path, env_changes: dict | None = None) -> subprocess.CompletedProcess:
    """``payer-app ARGV`` as a real process in TMP with its own data folder; placeholders in ARGV filled in."""
    env = dict(os.environ, PAYER_APP_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.update(env_changes or {})
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run([str(PAYER_APP), *_filled(argv, tmp)], env=env, cwd=tmp,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


@pytest.fixture
def run_in_process(capfd, monkeypatch):
    """``run(argv, home, tmp)``: what ``run_payer_app`` does, through ``payer_app.cli.main`` in this process."""
    def run(argv, home: Path, tmp: Path) -> subprocess.CompletedProcess:
        monkeypatch.setenv("PAYER_APP_HOME", str(home))
        monkeypatch.chdir(tmp)
        argv = _filled(argv, tmp)
        code, out, err = cli_in_process.run(capfd, *argv)
        return subprocess.CompletedProcess(argv, code, out, err)

    return run


@pytest.fixture
def run_case(run_in_process):
    """``run(real, argv, home, tmp)``: a real process when REAL, else in this process."""
    def run(real: bool, argv, home: Path, tmp: Path) -> subprocess.CompletedProcess:
        return (run_payer_app if real else run_in_process)(argv, home, tmp)

    return run


def assert_usage_error(done: subprocess.CompletedProcess, says: str) -> None:
    """Exit 2, nothing on stdout, and the error as one line on stderr (docs/cli.md)."""
    assert done.returncode == EXIT_USAGE, (done.returncode, done.stdout[-500:], done.stderr[-1500:])
    assert done.stdout == ""
    assert says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("payer-app"), done.stderr


@pytest.mark.parametrize("name", sorted(USAGE_ERRORS))
def test_a_bad_input_is_exit_2_with_the_message_on_stderr_only(name, payer_home, tmp_path, run_case):
    case = USAGE_ERRORS[name]
    assert_usage_error(run_case(name in REAL_PROCESS, case.argv, payer_home, tmp_path), case.says)


def test_every_command_has_a_case_run_as_a_real_process():
    commands = {case.argv[0] for case in USAGE_ERRORS.values()}
    real = {USAGE_ERRORS[name].argv[0] for name in REAL_PROCESS}
    assert real == commands, commands - real


# What argparse itself refuses: the same one line of ours, ``payer-app: error: ...`` with where to
# read the command's options, and exit 2.
PARSER_ERRORS = {
    "unknown-option": (("saved-bills", "add", "Nha", EVN_BILL, "--bogus"), "unrecognized arguments: --bogus",
                       "payer-app saved-bills add --help"),
    "missing-positional": (("saved-bills", "rename", "3"), "required: NAME", "payer-app saved-bills rename --help"),
    "not-a-number": (("saved-bills", "delete", "three"), "invalid int value", "payer-app saved-bills delete --help"),
    "bad-choice": (("parse", EVN_BILL, "--lang", "fr"), "invalid choice", "payer-app parse --help"),
    "unknown-command": (("bogus",), "invalid choice", "payer-app --help"),
    "hostile-option": (("scan", "demo", "--\x1b[31mred"), "\\x1b[31mred", "payer-app scan --help"),
}


@pytest.mark.parametrize("name", sorted(PARSER_ERRORS))
def test_a_parser_error_is_one_line_of_ours(name, payer_home, tmp_path, run_case):
    argv, says, hint = PARSER_ERRORS[name]
    done = run_case(name == "hostile-option", argv, payer_home, tmp_path)
    assert_usage_error(done, says)
    assert done.stderr.startswith("payer-app: error: ") and f"(see {hint})" in done.stderr, done.stderr
    assert "usage:" not in done.stderr and "\x1b" not in done.stderr


DASHED_KID = "-" + "k" * 42  # a key id is 43 base64url characters; one in 64 starts with "-"


def test_a_key_id_that_starts_with_a_dash_is_explained_and_passes_after_double_dash(payer_home, tmp_path,
                                                                                    run_in_process):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{sock.getsockname()[1]}"
    done = run_in_process(("keys", "revoke", DASHED_KID, "--acquirer", nobody), payer_home, tmp_path)
    assert_usage_error(done, "required: KID")
    assert f"goes after '--', e.g. -- {DASHED_KID[:12]}..." in done.stderr, done.stderr
    done = run_in_process(("keys", "revoke", "--acquirer", nobody, "--", DASHED_KID), payer_home, tmp_path)
    assert done.returncode == 3, done.stderr  # parsed as the KID: the acquirer was asked, and did not answer
    done = run_in_process(("saved-bills", "add", "Nha", EVN_BILL, "--bogus"), payer_home, tmp_path)
    assert "goes after '--'" not in done.stderr  # a mistyped option is not taken for a value


def _every_command(parser, path=()):
    """(argv path, parser) for every command and action the parser knows, nested ones too."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield (*path, name), child
                yield from _every_command(child, (*path, name))


def _required_arguments(parser) -> list[str]:
    """Its required options, then its positional arguments, with values that its types accept."""
    options, positionals = [], []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or (action.option_strings and not action.required):
            continue
        value = str(sorted(action.choices)[0]) if action.choices else "1"
        if action.option_strings:
            options += [action.option_strings[0], value]
        else:
            positionals += [value] * (action.nargs if isinstance(action.nargs, int) else 1)
    return options + positionals


def test_every_command_takes_lang_after_its_arguments():
    """--lang en|vi is accepted wherever the other options are, by every command and action the
    parser knows (a new command is covered without a change here): after the positional arguments,
    and on a command group before its action, which the action does not override."""
    parser, _ = build_parser()
    commands = list(_every_command(parser))
    assert len(commands) >= 20
    for path, command in commands:
        has_actions = any(isinstance(a, argparse._SubParsersAction) for a in command._actions)
        if has_actions:
            continue
        argv = [*path, *_required_arguments(command)]
        for lang in ("vi", "en"):
            assert parser.parse_args([*argv, "--lang", lang]).lang == lang, argv
        if len(path) > 1:
            assert parser.parse_args([path[0], "--lang", "vi", *argv[1:]]).lang == "vi", argv


@pytest.mark.parametrize("argv", [("history",), ("saved-bills", "list"), ("keys", "export"), ("bill", "PD13000123456")])
def test_an_unusable_data_folder_is_exit_2_for_every_data_command(argv, tmp_path, run_in_process):
    (tmp_path / "taken").write_text("PAYER_APP_HOME names this file")
    done = run_in_process(argv, tmp_path / "taken" / "home", tmp_path)
    assert_usage_error(done, "the data folder")
    assert "PAYER_APP_HOME" in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.parametrize("argv, damaged", [
    (("history",), "history.sqlite3"),
    (("pay", EVN_BILL, "--amount", "15000"), "history.sqlite3"),
    (("saved-bills", "list"), "saved-bills.sqlite3"),
])
def test_a_damaged_data_file_is_exit_2_and_left_as_it_is(argv, damaged, payer_home, tmp_path, run_in_process):
    payer_home.mkdir(parents=True, exist_ok=True)
    (payer_home / damaged).write_bytes(b"not a database, whatever the name says\n" * 4)
    done = run_in_process(argv, payer_home, tmp_path)
    assert_usage_error(done, "a data file cannot be used")
    assert (payer_home / damaged).read_bytes() == b"not a database, whatever the name says\n" * 4


def test_no_display_is_exit_2_before_qt_loads(payer_home, tmp_path):
    done = run_payer_app(("gui",), payer_home, tmp_path,
                         {"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None})
    assert_usage_error(done, "no display")


def _no_answers():
    """(argv, what stdout holds) for commands whose answer is no: exit 1."""
    return {
        "parse-invalid": (("parse", "hello"), "INVALID"),
        "verify-not-a-token": (("verify", "{file}", "--key", '{{"kty": "OKP", "crv": "Ed25519", '
                                '"x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}'), "REJECTED (malformed)"),
        "bill-unknown-customer": (("bill", "PE99999999999"), ""),
        "lookup-no-such-account": (("lookup", "970436", "999999999"), ""),
        "saved-bills-dynamic-qr": (("saved-bills", "add", "Chuyen tien", VIETQR_ACB), ""),
        "pay-not-a-payment-qr": (("pay", "hello", "--amount", "1000"), ""),
    }


@pytest.mark.parametrize("name", sorted(_no_answers()))
def test_the_answer_no_is_exit_1(name, payer_home, tmp_path, run_case):
    argv, on_stdout = _no_answers()[name]
    done = run_case(name == "parse-invalid", argv, payer_home, tmp_path)
    assert done.returncode == EXIT_NO, (done.stdout[-500:], done.stderr[-1500:])
    assert on_stdout in done.stdout and "Traceback" not in done.stderr
    if not on_stdout:  # no answer to print: the reason is one message on stderr
        assert done.stdout == "" and done.stderr.strip()


def test_scan_of_a_picture_without_a_code_is_exit_1(payer_home, tmp_path, run_in_process):
    assert cv2.imwrite(str(tmp_path / "blank.png"), np.full((240, 320), 255, np.uint8))
    done = run_in_process(("scan", "{tmp}/blank.png"), payer_home, tmp_path)
    assert done.returncode == EXIT_NO and "no QR code found" in done.stdout and "Traceback" not in done.stderr


def test_scan_of_a_picture_that_cannot_be_read_is_exit_4_and_a_failed_check_beside_it_wins(payer_home, tmp_path,
                                                                                         run_in_process):
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "damaged.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"damaged" * 10)
    done = run_payer_app(("scan", "{tmp}/pics"), payer_home, tmp_path)  # exit 4 from a real process
    assert done.returncode == EXIT_UNREADABLE and "cannot read" in done.stdout and "Traceback" not in done.stderr
    assert cv2.imwrite(str(tmp_path / "pics" / "blank.png"), np.full((240, 320), 255, np.uint8))
    done = run_in_process(("scan", "{tmp}/pics"), payer_home, tmp_path)
    assert done.returncode == EXIT_NO and "no QR code found" in done.stdout


@pytest.mark.parametrize("argv", [("bill", "PD13000123456", "--acquirer", "{down}"),
                                  ("lookup", "970436", "0011001234567", "--acquirer", "{down}"),
                                  ("keys", "status", "--acquirer", "{down}"),
                                  ("keys", "enrol", "--acquirer", "{down}", "--code", "x")])
def test_an_acquirer_that_does_not_answer_is_exit_3(argv, payer_home, tmp_path, run_case):
    done = run_case(argv[:2] == ("keys", "status"), argv, payer_home, tmp_path)
    assert done.returncode == EXIT_PENDING, (done.stdout[-500:], done.stderr[-1500:])
    assert done.stdout == "" and "no answer" in done.stderr and "Traceback" not in done.stderr


def test_a_payment_without_an_answer_is_pending_exit_3_and_stays_so_on_retry(payer_home, tmp_path, run_in_process):
    down = f"http://127.0.0.1:{_free_port()}"
    paid = run_in_process(("pay", EVN_BILL, "--amount", "15000", "--acquirer", down), payer_home, tmp_path)
    assert paid.returncode == EXIT_PENDING and paid.stderr.startswith("PENDING"), paid.stderr[-1500:]
    assert paid.stdout.count(".") == 2  # the signed request is kept and printed, whatever the answer
    retried = run_in_process(("history", "--retry"), payer_home, tmp_path)
    assert retried.returncode == EXIT_PENDING and "pending" in retried.stdout, retried.stderr[-1500:]


def test_docs_table_has_a_row_for_every_command():
    table = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    header = next(line for line in table.splitlines() if line.startswith("| command |"))
    assert [c.strip() for c in header.strip("|").split("|")][1:] == [
        "0 done", "1 the answer is no", "2 usage or input error", "3 no answer yet", "4 an input could not be read"]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    documented = {m.group(1) for row in rows for m in re.finditer(r"`([a-z-]+)[ `]", row.split("|")[1])}
    _, commands = build_parser()
    assert set(commands) <= documented, set(commands) - documented
