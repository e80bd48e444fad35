"""Hostile tokens (tests/hostile_tokens.py) against ``verify_request`` and the ``payer-app verify``
command (real subprocesses): each gets an expected reason code, none a traceback, none a VALID line;
and a hypothesis run mutating good tokens (bytes, JSON fields, headers): never an exception, never
VALID for anything but the original."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from payer_app.core.display_text import is_unsafe_char
from payer_app.core.keys import SigningKey
from payer_app.core.signing import REASON_CODES, VerificationKeys, verify_request
from tests.hostile_tokens import build_hostile_set

AUDIENCE = "https://acquirer.test/v1"


@pytest.fixture(scope="module")
def hostile():
    return build_hostile_set(SigningKey.generate(), audience=AUDIENCE)


@pytest.fixture(scope="module")
def trusted(hostile):
    return VerificationKeys.load(hostile.trusted_jwks)


def test_the_set_covers_every_class_of_the_issue(hostile):
    names = " | ".join(t.name for t in hostile.tokens)
    assert len(hostile.tokens) >= 60
    for needle in ("lone-surrogate kid", "header nested 5,000", "duplicate key inside the signed payload",
                   "non-UTF-8 bytes inside the signed payload", "expires_at 9999-12-31", "created_at 2001",
                   "USD", "amount 0", "amount 9.999.999.999.999", "46,000-character note", "request_id empty",
                   "request_id ../", "leading zeros", "NaN", "unknown top-level field", "created_at offset",
                   "typ JWT", "U+202E", "retired key", "small-order key", "alg none", "HS256 keyed with the public",
                   "embedded jwk", "jku", "crit", "duplicate alg", "non-canonical base64", "S+L"):
        assert needle in names, needle
    assert len({t.name for t in hostile.tokens}) == len(hostile.tokens)
    assert {reason for t in hostile.tokens for reason in t.reasons} <= set(REASON_CODES)


def test_the_control_token_is_valid(hostile, trusted):
    result = verify_request(hostile.valid_token, trusted, audience=AUDIENCE)
    assert result.ok, result.message


def test_every_hostile_token_gets_its_reason(hostile, trusted):
    wrong = []
    for item in hostile.tokens:
        result = verify_request(item.token, trusted, audience=AUDIENCE)
        if result.ok or result.reason not in item.reasons:
            wrong.append((item.name, result.reason, result.message))
        elif result.signature_ok != item.signature_ok and result.reason != "malformed":
            wrong.append((item.name, "signature_ok", result.signature_ok))
        for text in (result.message, result.message_vi):
            assert not any(is_unsafe_char(ch) for ch in text), (item.name, text)
        json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")  # always encodable
    assert wrong == []


def test_bytes_tokens_get_the_same_reasons(hostile, trusted):
    for item in hostile.tokens:
        as_bytes = item.token.encode("utf-8", "surrogateescape")
        result = verify_request(as_bytes, trusted, audience=AUDIENCE)
        assert not result.ok and result.reason in item.reasons, item.name


def test_without_an_audience_only_the_audience_token_changes(hostile, trusted):
    for item in hostile.tokens:
        result = verify_request(item.token, trusted)
        if item.name == "addressed to another acquirer":
            assert result.ok
        else:
            assert not result.ok and result.reason in item.reasons, item.name


def _run_verify(path: str, key_file: str, home: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PAYER_APP_HOME": home, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "payer_app", "verify", path, "--key", key_file, "--audience", AUDIENCE, *extra],
        capture_output=True, timeout=120, env=env,
    )


# One process runs ``payer_app.cli.main`` for every token (156 fresh interpreters would take minutes
# on a shared machine); anything escaping ``main`` is reported as a traceback. A sample also runs as
# separate ``python -m payer_app verify`` processes below.
_DRIVER = """
import contextlib, io, json, sys, traceback
from payer_app.cli import main
results = []
for path in json.load(sys.stdin):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["verify", path, *sys.argv[1:]])
        except SystemExit as exc:
            code = exc.code
        except BaseException:
            code = "traceback"
            err.write(traceback.format_exc())
    results.append({"code": code, "out": out.getvalue(), "err": err.getvalue()})
json.dump(results, sys.stdout)
"""


def _write_tokens(hostile, tmp_path):
    key_file = tmp_path / "keys.json"
    key_file.write_text(json.dumps(hostile.trusted_jwks))
    jobs = []
    for index, item in enumerate(hostile.tokens + [None]):
        path = tmp_path / f"token{index}.jws"
        path.write_bytes((hostile.valid_token if item is None else item.token).encode("utf-8", "surrogateescape"))
        jobs.append((item, str(path)))
    return key_file, jobs


def _check_cli_answer(item, code, out: str, err: str, problems: list) -> None:
    out.encode("utf-8")
    err.encode("utf-8")  # valid UTF-8: no lone surrogates reach the terminal
    assert "Traceback" not in err and "\x1b" not in out + err, (item and item.name, err)
    if item is None:
        assert code == 0 and out.startswith("VALID: "), err
        return
    lines = out.splitlines()
    if code != 1 or len(lines) != 1 or err:
        problems.append((item.name, code, out, err))
        return
    assert not lines[0].startswith("VALID"), item.name
    reason = lines[0].removeprefix("REJECTED (").split(")", 1)[0]
    if not lines[0].startswith("REJECTED (") or reason not in item.reasons:
        problems.append((item.name, lines[0]))


def test_every_hostile_token_through_the_command_line(hostile, tmp_path):
    key_file, jobs = _write_tokens(hostile, tmp_path)
    env = {**os.environ, "PAYER_APP_HOME": str(tmp_path / "home"), "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-c", _DRIVER, "--key", str(key_file), "--audience", AUDIENCE],
                          input=json.dumps([path for _, path in jobs]), capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)
    assert len(answers) == len(jobs)
    problems: list = []
    for (item, _), answer in zip(jobs, answers, strict=True):
        _check_cli_answer(item, answer["code"], answer["out"], answer["err"], problems)
    assert problems == []


# What a separate process adds is how its output reaches a terminal (encoding, escapes, exit code,
# stdout apart from stderr): tokens whose answers carry such text, or that are huge. Every token runs
# through the same ``main`` in the driver above.
SAMPLE = ("lone-surrogate kid", "kid with a terminal escape", "terminal escape in the note", "U+202E in the note",
          "non-UTF-8 bytes inside the signed payload", "70,000-character token")


def test_a_sample_through_separate_payer_app_processes(hostile, tmp_path):
    key_file, jobs = _write_tokens(hostile, tmp_path)
    picked = [job for job in jobs if job[0] is None or job[0].name in SAMPLE]
    assert len(picked) == len(SAMPLE) + 1
    with ThreadPoolExecutor(max_workers=3) as pool:
        done = list(pool.map(lambda job: (job[0], _run_verify(job[1], str(key_file), str(tmp_path / "home"))),
                             picked))
        as_json = pool.submit(_run_verify, picked[1][1], str(key_file), str(tmp_path / "home"), "--json").result()
    document = json.loads(as_json.stdout.decode("utf-8"))
    assert as_json.returncode == 1 and document["ok"] is False and document["reason"] in picked[1][0].reasons
    problems: list = []
    for item, result in done:
        _check_cli_answer(item, result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8"),
                          problems)
    assert problems == []


def test_json_output_of_hostile_tokens_is_valid_json_without_raw_controls(hostile, tmp_path):
    """``verify --json`` of the tokens with escapes, bidi and zero-width characters, surrogates and line
    breaks: one process runs the command for them all, as above (``--json`` in a separate process
    is ``test_a_sample_through_separate_payer_app_processes``)."""
    key_file = tmp_path / "keys.json"
    key_file.write_text(json.dumps(hostile.trusted_jwks))
    picks = [t for t in hostile.tokens if any(w in t.name for w in ("escape", "U+202E", "C1", "surrogate",
                                                                    "zero-width", "line break"))]
    assert len(picks) >= 6
    paths = []
    for index, item in enumerate(picks):
        path = tmp_path / f"token{index}.jws"
        path.write_bytes(item.token.encode("utf-8", "surrogateescape"))
        paths.append(str(path))
    env = {**os.environ, "PAYER_APP_HOME": str(tmp_path / "home"), "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-c", _DRIVER, "--key", str(key_file), "--audience", AUDIENCE, "--json"],
                          input=json.dumps(paths), capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)
    assert len(answers) == len(picks)
    for item, answer in zip(picks, answers, strict=True):
        text = answer["out"]
        assert answer["code"] == 1 and not any(is_unsafe_char(ch) for ch in text if ch != "\n"), item.name
        document = json.loads(text)
        assert document["ok"] is False and document["reason"] in item.reasons


def test_a_huge_token_file_is_refused_from_its_size(tmp_path, hostile):
    """verify stats the file first: a 6 GB sparse file is refused by its size, in a process capped at
    300 MB of address space (reading the file would fail there, not end with this refusal)."""
    key_file = tmp_path / "keys.json"
    key_file.write_text(json.dumps(hostile.trusted_jwks))
    big = tmp_path / "big.jws"
    with open(big, "wb") as handle:
        handle.truncate(6 * 1024**3)
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (300 * 1024 * 1024,) * 2)

    env = {**os.environ, "PAYER_APP_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-m", "payer_app", "verify", str(big), "--key", str(key_file)],
                            capture_output=True, text=True, timeout=30, env=env, preexec_fn=cap)
    assert result.returncode == 1 and result.stdout.startswith("REJECTED (malformed): The token file holds 6442450944")
    # Standard input is read up to the cap + 1 bytes only.
    result = subprocess.run([sys.executable, "-m", "payer_app", "verify", "-", "--key", str(key_file)],
                            input="A" * 2_000_000, capture_output=True, text=True, timeout=30, env=env,
                            preexec_fn=cap)
    assert result.returncode == 1 and result.stdout.startswith("REJECTED (malformed)")
