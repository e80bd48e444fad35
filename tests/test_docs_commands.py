"""Every ``payer-app`` command shown in docs/*.md and README.md is one the command line takes, and
the cheap ones do what the page says.

``doc_commands()`` finds them: the lines of fenced ``sh`` blocks (continuation lines joined, comments
dropped, the indented ``[...]`` lines of a synopsis joined to it), the ``$ command`` lines of other
blocks, inline code spans that start with ``payer-app`` (or pipe into it), and inline spans that
name a command with options (``scan --expect --json``). Each is

- parsed by the real argument parser (``payer_app.cli.build_parser``, no ``--help``): an option or
  action that does not exist fails. Placeholders (FILE, URL, CODE...) are replaced from
  PLACEHOLDERS; a synopsis (``[--json]``, ``en|vi``) is read as one command; a line that leaves
  arguments out (``payer-app pay ... --biometric pass``, or a sentence's ``pay --acquirer URL``)
  has its options checked against its command; a bare command name has its name checked;
- and, when it is a line of a block (what a reader copies) that needs no server, window, camera or
  install (``why_not_run``), run for real: each page's blocks in order as one bash script in a
  temporary folder, after SETUP made the files the page takes for granted. Each line must end with
  exit 0, or the code its comment names (``# exit 1``) or a ``$ echo $?`` after it shows; the
  output a ``$ command`` line shows must be in what it printed (values that change from run to run,
  such as request ids, read as any value; shown JSON is a part of the JSON printed).

Run ``python tests/test_docs_commands.py`` to list what was found and how each is read.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.shell_lines import expected_exit, strip_comment

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
VENV_BIN = Path(sys.executable).parent
SHELL_LANGUAGES = ("sh", "bash", "shell", "console")
INLINE = re.compile(r"`([^`\n]+)`")
COMMANDS = ("parse", "generate", "scan", "qa", "pay", "verify", "keys", "accounts", "acquirer", "history",
            "receipt", "bill", "lookup", "saved-bills", "settings", "gui", "booth")
# An inline span that names a command with an option, without `payer-app` before it.
NAMED_COMMAND = re.compile(rf"^(?:{'|'.join(COMMANDS)})\b[^`]* --?[a-z]")
# Words of the docs that stand for a value the reader chooses; each becomes a value the parser takes.
PLACEHOLDERS = {
    "FILE_OR_-": "request.jws", "FILE.pdf": "receipt.pdf", "FILE.csv": "team.csv", "FILE.json": "summary.json",
    "JWK_FILE": "payer.jwk", "JWK": "payer.jwk", "FILE": "file.json", "URL": "http://127.0.0.1:8765",
    "CODE": "ABCD-EFGH", "KID": "kid1", "ID": "1", "BIN/ACCOUNT": "970436/0011001234567",
    "BIN/ACCOUNT=VND:DAILY_LIMIT": "970436/0011001234567=5000000:1000000", "BIN": "970436", "NO": "0011001234567",
    "N": "1000", "M": "30", "P": "1.5", "R": "0.1", "S": "2", "T": "2", "MS": "100", "AUD": "http://127.0.0.1:8765",
    "TIME": "2026-01-31T08:01:00Z", "TEXT": "note", "NAME": "Name", "VND": "5000000", "SOURCE": "bill.png",
    "PAYLOAD": "-", "REQUEST_ID": "d4d97df1-2d70-4c2c-9ffd-44384963cb04", "CUSTOMER_CODE": "PD13000123456",
    "DIR": "corpus", "DIR/manifest.json": "corpus/manifest.json", "FOLDER": "corpus", "VIDEO": "clip.mp4",
    "KWH": "300", "SEED": "7", "SHARD.json": "shard-1.json", "OUT.json": "summary.json", "OUT.xml": "junit.xml",
    "OUT.html": "report.html", "K/N": "1/2", "$K/$N": "1/2", "shard-$K.json": "shard-1.json",
    "shard-$K.html": "shard-1.html", "shard-*.json": "shard-1.json", "$VIETQR": "000201", "$payload": "000201",
    "~/.camera-password": "camera-password.txt", "HH:MM": "06:00",
}
# The start of an error or warning line (`payer-app: error:`, `payer-app pay: not paid ...`), or the
# generic `payer-app COMMAND ...`: no command of its own.
NOT_A_COMMAND = re.compile(r"^payer-app(?: [\w-]+)?:|^payer-app COMMAND\b")


@dataclass
class DocCommand:
    page: str
    line: int
    text: str  # from `payer-app` on, without comment, pipe or redirection
    inline: bool = False  # in a sentence, not a block: may leave the arguments out

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass
class ShellLine:
    """A line of a block, as the test runs it."""
    line: int
    command: str  # the whole shell line
    expected_exit: int = 0
    shown_output: list[str] = field(default_factory=list)


def _commands_in(text: str) -> list[str]:
    """The `payer-app ...` commands of one shell line, each cut at a pipe, redirection or `;` (one
    inside `$( )` too). In a synopsis, `| use ID` after a command group's action is another action."""
    found = re.findall(r"\$\((?:\S*/)?(payer-app [^)]*)\)", text)
    outer = re.sub(r"\$\((?:\S*/)?payer-app [^)]*\)", "SUBSTITUTED", text)
    for part in re.split(r"\s(?:\||&&|;)\s", outer):
        start = re.search(r"(?:^|[\s/])payer-app\b", part)
        if start:
            command = part[start.start():].lstrip()
            command = command[command.index("payer-app"):]
            found.append(re.split(r"\s(?:>|<|2>|&>)\s?", command)[0].strip())
        elif found and re.fullmatch(r"[a-z][a-z-]*(?: [A-Z][A-Z._]*)*", part.strip()):
            found.append(" ".join(found[-1].split()[:2]) + " " + part.strip())
    return [c for c in found if not NOT_A_COMMAND.match(c)]


def _read_blocks(page: Path):
    """(language, [(line number, text)]) of each fenced block of a page."""
    blocks, body, language = [], None, ""
    for number, raw in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if raw.startswith("```"):
            if body is None:
                body, language = [], raw[3:].strip()
            else:
                blocks.append((language, body))
                body = None
        elif body is not None:
            body.append((number, raw))
    return blocks


def shell_lines(language: str, body: list[tuple[int, str]]) -> list[ShellLine]:
    """The command lines of a block: for a sh block every line (continuations and a synopsis'
    indented `[...]` lines joined); for another block the `$ ` lines with the output after them."""
    lines: list[ShellLine] = []
    if language in SHELL_LANGUAGES:
        pending, at = "", 0
        for number, raw in body:
            command, comment = strip_comment(raw)
            if lines and not pending and re.match(r"\s+\[", command):
                lines[-1].command += " " + command.strip()
                continue
            if command.endswith("\\"):
                pending, at = pending + command[:-1].rstrip() + " ", at or number
                continue
            command = re.sub(r"\s+", " ", (pending + command.strip()).strip())
            if command:
                lines.append(ShellLine(at or number, command, expected_exit(comment)))
            pending, at = "", 0
        return lines
    for number, raw in body:
        if raw.startswith("$ "):
            command, comment = strip_comment(raw[2:])
            if command.strip() == "echo $?" and lines:
                lines[-1].expected_exit = -1  # the next output line says it
                continue
            lines.append(ShellLine(number, command.strip(), expected_exit(comment)))
        elif lines and lines[-1].expected_exit == -1 and raw.strip().isdigit():
            lines[-1].expected_exit = int(raw.strip())
        elif lines and raw.strip():
            lines[-1].shown_output.append(raw)
    return [line for line in lines if language != "json"]


def doc_commands(pages: list[Path] = PAGES) -> list[DocCommand]:
    commands: list[DocCommand] = []
    for page in pages:
        name = page.relative_to(ROOT).as_posix()
        for language, body in _read_blocks(page):
            for line in shell_lines(language, body):
                commands += [DocCommand(name, line.line, c) for c in _commands_in(line.command)]
        in_block = False
        for number, raw in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
            if raw.startswith("```"):
                in_block = not in_block
                continue
            for span in [] if in_block else INLINE.findall(raw):
                if NAMED_COMMAND.match(span):
                    span = "payer-app " + span
                commands += [DocCommand(name, number, c, inline=True) for c in _commands_in(span)]
    return commands


# --- reading a command as the parser would -------------------------------------------------------


def _words(text: str) -> list[str]:
    words = shlex.split(text.replace("…", "..."))
    assert words[0] == "payer-app", text
    return words[1:]


def _synopsis(words: list[str]) -> list[str]:
    """A synopsis read as one command: brackets dropped, `a|b` read as a, `X...` as X, `--a/--b`
    as both, placeholders replaced."""
    out = []
    for word in words:
        if word.startswith("[") or word.endswith("]"):
            word = word.strip("[]")
        if not word:
            continue
        if re.fullmatch(r"[\w-]+(?:\|[\w-]+)+", word) and not word.startswith("-"):
            word = word.split("|")[0]
        if word.endswith("...") and word != "...":
            word = word[:-3]
        if re.fullmatch(r"--[\w-]+(?:/--[\w-]+)+", word):
            out += word.split("/")
            continue
        out.append(PLACEHOLDERS.get(word, word))
    return out


def _command_path(parser: argparse.ArgumentParser, words: list[str]):
    """(names of the command and action, their parser, the words after them)."""
    path, current, rest = [], parser, list(words)
    while rest:
        subparsers = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        if not subparsers or rest[0] not in subparsers[0].choices:
            break
        current = subparsers[0].choices[rest[0]]
        path.append(rest.pop(0))
    return path, current, rest


class ParseFailed(Exception):
    pass


@functools.cache
def _parser() -> argparse.ArgumentParser:
    """The whole parser, built once: reading a line with it changes nothing in it."""
    from payer_app.cli import build_parser

    return build_parser()[0]


def check_with_parser(command: DocCommand) -> str:
    """How the parser read the command: "name" (a bare command or action), "options" (each option
    it names is one of its command's; arguments left out), "parsed" (the whole line) or "help";
    ParseFailed when the parser refuses it."""
    parser = _parser()
    words = _synopsis(_words(command.text))
    path, sub, rest = _command_path(parser, words)
    if not words:
        return "name"  # `payer-app` alone: the window
    if not path:
        raise ParseFailed(f"no such command: {words[0]}")
    if not rest:
        return "name"
    if "..." in rest:
        return _check_options(path, sub, rest)
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(io.StringIO()):  # --help prints
            parser.parse_args(words)
    except SystemExit as exc:
        if exc.code == 0:
            return "help"
        if command.inline and re.search(r"arguments are required|expected one argument", said.getvalue()):
            return _check_options(path, sub, rest)
        raise ParseFailed(f"the parser refuses {words}: {said.getvalue().strip()}") from exc
    return "parsed"


def _check_options(path, sub, rest) -> str:
    unknown = [w.split("=")[0] for w in rest if w.startswith("-") and w not in ("-", "...")
               and w.split("=")[0] not in sub._option_string_actions]
    if unknown:
        raise ParseFailed(f"payer-app {' '.join(path)} has no option {', '.join(unknown)}")
    return "options"


@pytest.mark.parametrize("command", doc_commands(), ids=lambda c: f"{c.where}:{c.text[:60]}")
def test_every_command_in_the_docs_is_taken_by_the_parser(command):
    try:
        check_with_parser(command)
    except ParseFailed as exc:
        pytest.fail(f"{command.where}: `{command.text}`: {exc}")


def test_the_docs_show_many_commands_and_most_are_parsed_whole():
    found = doc_commands()
    parsed = [c for c in found if check_with_parser(c) == "parsed"]
    assert len(found) >= 200 and len(parsed) >= 100, (len(found), len(parsed))


@pytest.mark.parametrize("text, inline", [
    ("payer-app scan photos/ --bogus", False),
    ("payer-app pay ... --no-such-option", False),
    ("payer-app pay --no-such-option", True),
    ("payer-app keys no-such-action --acquirer URL", False),
    ("payer-app nonsense", True),
    ("payer-app parse --json", False),  # a block's line must be whole: PAYLOAD is missing
])
def test_a_command_the_cli_does_not_take_fails_the_check(text, inline):
    with pytest.raises(ParseFailed):
        check_with_parser(DocCommand("x.md", 1, text, inline))


# --- running the cheap ones -----------------------------------------------------------------------

# Files each page takes for granted (the reader has them from earlier pages), made before its lines run.
SETUP = {
    "docs/payments.md": [
        "payer-app keys export -o payer.jwk.json && cp payer.jwk.json payer.jwk",  # as the page says to
        "printf 'bank_bin,account,name,balance\\n970436,555666777,LE VAN C,100000\\n' > team.csv",
    ],
    "docs/booth.md": ["payer-app generate bill --seed 3 -o bill.png"],
    "docs/qa.md": [
        "K=1 N=1",  # the shard block as the one job of a one-shard run
        # the page's expect.json, with the whole payload of the demo bill it abridges (DEMO_PAYLOAD)
        "printf '{\"stream\": {\"payload\": \"%s\", \"within_s\": 1.5, \"within_frames\": 45}}' "
        "\"$DEMO_PAYLOAD\" > expect.json",
    ],
    "docs/scan.md": [
        "payer-app generate corpus photos --count 4 --seed 0 && mv photos/manifest.json manifest.json",
        "python -c \"import cv2, glob; cv2.imwrite('a.jpg', cv2.imread(glob.glob('photos/0000-*.png')[0]))\"",
        "cp photos/0001-*.png b.png",
        "payer-app generate video demo -o clip.mp4 --seconds 1 --size 640x360",  # any clip: the page scans it
    ],
}
# Words in a line that mean it is not run here, and why (each line is still parsed above).
NOT_RUN = [
    (r"--acquirer|\bcurl\b|acquirer serve|--enrol-code", "talks to an acquirer server (tests/test_acquirer_serve.py, "
                                                         "tests/test_payments_cli.py)"),
    (r"payer-app (?:gui|booth)\b|^payer-app$|chromium", "opens a window (tests/test_gui_cli.py, "
                                                              "tests/test_e2e_booth_command.py)"),
    (r"camera:|/dev/video|--camera\b|payer-app scan .*\b(?:http|rtsp)://",
     "needs a camera (tests/test_scan_sources.py, tests/test_hostile_network_camera.py)"),
    (r"\bsudo\b|pip install|python3 -m venv|pytest|^make\b",
     "installs or runs the test suite (tests/test_ci_snippets.py, tests/test_readme_commands.py)"),
    (r"\[|\]| \.\.\.|\bSOURCE\b|\bPAYLOAD\b|\bFILE\b|\bURL\b", "a synopsis, not a command to type"),
]
OUTPUT_TIMEOUT_S = 600  # only ends a hung page (the QA block writes and scans 48 pictures and a video)


def why_not_run(line: ShellLine) -> str | None:
    for pattern, reason in NOT_RUN:
        if re.search(pattern, line.command):
            return reason
    return None


def page_lines(page: Path) -> list[ShellLine]:
    return [line for language, body in _read_blocks(page) for line in shell_lines(language, body)]


def runnable(page: Path) -> list[ShellLine]:
    return [line for line in page_lines(page) if not why_not_run(line)]


RUN_PAGES = [p for p in PAGES if runnable(p) and p.name != "README.md"]  # README: tests/test_readme_commands.py


@dataclass
class PageRun:
    folder: Path
    codes: dict[int, int]
    log: str


def run_page(page: Path, folder: Path) -> PageRun:
    from payer_app.scan.demo_camera import demo_bill_spec

    name = page.relative_to(ROOT).as_posix()
    env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               PAYER_APP_HOME=str(folder / "payer_home"), QT_QPA_PLATFORM="offscreen",
               DEMO_PAYLOAD=demo_bill_spec().payload())  # what `generate video demo` prints: the bill it films
    steps = ["set +e", *SETUP.get(name, [])]
    for i, line in enumerate(runnable(page)):
        command = re.sub(r"(?:\S*/)?\.venv/bin/payer-app", "payer-app", line.command)
        # a group, so that the line's own redirections stay its own (and its variables are kept)
        steps += [f"{{ {command}\n}} > output-{i}.txt 2>&1", f"echo \"$? {i}\" >> exit-codes.txt"]
    done = subprocess.run(["bash", "-c", "\n".join(steps) + "\n"], env=env, cwd=folder, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=OUTPUT_TIMEOUT_S)
    codes = {}
    if (folder / "exit-codes.txt").exists():
        for entry in (folder / "exit-codes.txt").read_text().splitlines():
            value, index = entry.split()
            codes[int(index)] = int(value)
    return PageRun(folder, codes, (done.stdout + done.stderr)[-3000:])


# Values that change from run to run, as a shown line may have them: any value of the same form.
VARYING = [
    (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID"),
    (r"ACQ-[0-9A-F]{12}", "ACQ-REF"),
    (r"\b[A-Za-z0-9_-]{43}\b", "KID"),
    (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "TIME"),
]


def _normalised(line: str) -> str:
    for pattern, word in VARYING:
        line = re.sub(pattern, word, line)
    return line.rstrip()


def _json_part(wanted, got) -> bool:
    """Whether the JSON shown is a part of the JSON printed: its keys there with the same values
    (objects compared key by key, lists item by item)."""
    if isinstance(wanted, dict):
        return isinstance(got, dict) and all(k in got and _json_part(v, got[k]) for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(got, list) and len(wanted) == len(got) and all(map(_json_part, wanted, got))
    return wanted == got


def shown_output_differs(shown: list[str], printed: str) -> str | None:
    """What of the shown output is not in what was printed (None: all of it is). Text: each shown
    line (`...` skips lines) among the printed lines, in order; JSON: the shown keys and values."""
    if shown and shown[0].strip() == "{":
        wanted, got = json.loads("\n".join(shown)), json.loads(printed)
        return None if _json_part(wanted, got) else f"the JSON shown is not part of {got}"
    printed_lines = [_normalised(line) for line in printed.splitlines()]
    at = 0
    for line in shown:
        if line.strip() == "...":
            continue
        try:
            at = printed_lines.index(_normalised(line), at) + 1
        except ValueError:
            return f"not printed (in this order): {line!r}"
    return None


@pytest.mark.slow
@pytest.mark.parametrize("page", RUN_PAGES, ids=lambda p: p.name)
def test_each_block_line_runs_and_ends_as_the_page_says(page, tmp_path):
    run = run_page(page, tmp_path)
    problems = []
    for i, line in enumerate(runnable(page)):
        code = run.codes.get(i)
        printed = (run.folder / f"output-{i}.txt").read_text(encoding="utf-8") if code is not None else ""
        if code != line.expected_exit:
            problems.append(f"line {line.line}: `{line.command}` ended with {code}, the page says "
                            f"{line.expected_exit}\n{printed[-1500:]}")
        elif line.shown_output:
            differs = shown_output_differs(line.shown_output, printed)
            if differs:
                problems.append(f"line {line.line}: `{line.command}`: {differs}\n{printed[-1500:]}")
    assert not problems, f"{page.name}:\n" + "\n".join(problems) + f"\n{run.log}"


def test_the_pages_with_blocks_to_run_are_run():
    names = {p.name for p in RUN_PAGES}
    assert {"parse.md", "payments.md", "booth.md", "qa.md", "scan.md", "generate.md"} <= names, names


def test_shown_output_is_compared_with_what_was_printed():
    printed = "Payload: VALID\nrequest 775b35b1-92f1-4f5a-b6de-0c0b37910910 ok\nCRC AB ok\n"
    assert shown_output_differs(["...", "request d4d97df1-2d70-4c2c-9ffd-44384963cb04 ok"], printed) is None
    assert shown_output_differs(["CRC AB ok", "Payload: VALID"], printed)  # out of order
    assert shown_output_differs(["CRC AC ok"], printed)
    assert shown_output_differs(["{", ' "valid": true', "}"], '{"valid": false}')
    assert shown_output_differs(["{", ' "valid": false', "}"], '{"valid": false, "more": 1}') is None
    assert shown_output_differs(["{", ' "crc": {"ok": true}', "}"], '{"crc": {"ok": false, "found": "AB"}}')


def main() -> int:
    failures = 0
    for found in doc_commands():
        try:
            how = check_with_parser(found)
        except (ParseFailed, ValueError, AssertionError) as exc:
            how, failures = f"FAIL {exc}", failures + 1
        print(f"{found.where:24} {how:8.200} {found.text}")
    for page in PAGES:
        for line in page_lines(page):
            reason = why_not_run(line)
            print(f"{page.name}:{line.line}: {'run' if not reason else 'not run: ' + reason}: {line.command[:90]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
