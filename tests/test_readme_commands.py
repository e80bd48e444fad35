"""Every command line in README.md still works: each fenced shell block is run for real, in order, in
one temporary folder, with its own data folder and the venv's ``payer-app`` first on PATH. The docs
pages' blocks (the tour of docs/generate.md among them) are run by tests/test_docs_commands.py, once:
a page run by both tests would cost its bills and videos twice. For the same reason a README block
whose lines are, one for one, the first lines tests/test_docs_commands.py runs of a docs page (the
README's CI job is docs/qa.md's) is run there, not again here (``run_by_the_docs_test``).

A line must end with exit 0, or with the code its comment names (``# exit 1``). ``$ command`` lines
in ``text`` blocks (a command shown with its output) are run too, and the first word of their output
must be the README's. Lines are only left out when they are in SKIP (with the reason) or started in
the background (IN_BACKGROUND); both tables must name lines that are in the README, so a new line
is run by default and a stale entry fails."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.shell_lines import expected_exit, strip_comment
from tests.test_docs_commands import RUN_PAGES, runnable

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# the pages whose shell blocks this test runs; the docs pages' blocks are tests/test_docs_commands.py's
TOUR_PAGES = [README]
VENV_BIN = Path(sys.executable).parent
BLOCK_TIMEOUT_S = 600  # only fails a hung block (the QA block writes and scans 48 pictures and a video)

SKIP = {
    "make run": "installs system packages and opens the window until it is closed; the window is driven by "
                "tests/test_e2e_xvfb.py and the gui tests",
    "make test": "the whole test suite, this test included",
    "payer-app booth": "opens the kiosk window and a Chromium window until Ctrl+C; "
                       "tests/test_e2e_booth_command.py runs it under Xvfb and stops it with SIGINT",
    "payer-app gui --kiosk --acquirer http://127.0.0.1:8765 --enrol-code=CODE":
        "a full-screen window until closed; tests/test_gui_cli.py runs it with --acquirer and --enrol-code",
}
# Servers the next lines talk to: started in the background on a free port (the README's 8765 in
# that block becomes the free port, so a running acquirer on this machine is never hit), stopped at
# the end of the block.
IN_BACKGROUND = {
    "payer-app acquirer serve": "Mock acquirer on http://",
}
DEFAULT_PORT = "8765"
# Words of the README's lines that stand for what a background server printed at start (the reader
# copies it from the terminal): each is replaced by the pattern's group in the server's start lines.
PRINTED_BY_SERVER = {
    "CODE": re.compile(r"^Enrolment code: (\S+)"),
}
START_LINES_TIMEOUT_S = 120  # only ends a server that never prints what a line needs


@dataclass
class Line:
    command: str
    expected_exit: int = 0
    shown_output: list[str] = field(default_factory=list)  # what a `$ command` in a text block shows


@dataclass
class Block:
    page: str
    number: int
    lines: list[Line]

    @property
    def name(self) -> str:
        return f"{self.page}-{self.number}"


def _shell_lines(body: list[str]) -> list[Line]:
    """The command lines of a sh block: continuation lines joined, comments read for `exit N`."""
    lines, pending = [], ""
    for raw in body:
        command, comment = strip_comment(raw)
        if command.endswith("\\"):
            pending += command[:-1].rstrip() + " "
            continue
        command = (pending + command.strip()).strip()
        pending = ""
        if command:
            lines.append(Line(re.sub(r"\s+", " ", command), expected_exit(comment)))
    return lines


def _prompt_lines(body: list[str]) -> list[Line]:
    """`$ command` lines of a text block, each with the output lines shown after it."""
    lines: list[Line] = []
    for raw in body:
        if raw.startswith("$ "):
            command, comment = strip_comment(raw[2:])
            lines.append(Line(command.strip(), expected_exit(comment)))
        elif lines and raw.strip() and raw.strip() != "...":
            lines[-1].shown_output.append(raw)
    return lines


def readme_blocks(page: Path = README) -> list[Block]:
    """The blocks of commands of one page (README.md by default), in order."""
    blocks, body, language = [], None, ""
    for raw in page.read_text(encoding="utf-8").splitlines():
        if raw.startswith("```"):
            if body is None:
                body, language = [], raw[3:].strip()
                continue
            lines = _shell_lines(body) if language in ("sh", "bash", "shell") else _prompt_lines(body)
            if lines:
                blocks.append(Block(page.stem, len(blocks) + 1, lines))
            body = None
        elif body is not None:
            body.append(raw)
    return blocks


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_in_background(command: str, ready: str, env: dict, cwd: Path,
                         printed: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """Start a server line on a free port; returns once it printed its ready line and the values of
    PRINTED_BY_SERVER (added to ``printed``) on stderr."""
    port = str(_free_port())
    proc = subprocess.Popen(["bash", "-c", f"exec {command} --port {port}"], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(START_LINES_TIMEOUT_S, proc.kill)  # a server that never says them ends
    watchdog.start()
    seen, is_ready = [], False
    try:
        for line in proc.stderr:  # blocks until the server writes a line
            seen.append(line)
            is_ready = is_ready or line.startswith(ready)
            for word, pattern in PRINTED_BY_SERVER.items():
                found = pattern.search(line)
                if found:
                    printed[word] = found.group(1)
            if is_ready and set(PRINTED_BY_SERVER) <= set(printed):
                return proc, port
    finally:
        watchdog.cancel()
    raise AssertionError(f"{command!r} ended before it was ready:\n{''.join(seen)[-2000:]}")


def _with_printed(command: str, printed: dict[str, str]) -> str:
    for word, value in printed.items():
        command = re.sub(rf"\b{word}\b", value, command)
    return command


def _script(block: Block, rc_file: Path, out_dir: Path, port: str | None, printed: dict[str, str]) -> str:
    """One bash script for the block (its lines share variables, as in a terminal); after each
    line its exit code goes to rc_file."""
    steps = ["set +e"]
    for i, line in enumerate(block.lines):
        command = line.command.replace(DEFAULT_PORT, port) if port else line.command
        command = _with_printed(command, printed)
        if line.command in SKIP or line.command in IN_BACKGROUND:
            steps.append(f"echo 'skipped {i}' >> '{rc_file}'")
            continue
        if line.shown_output:
            command += f" > '{out_dir}/output-{block.name}-{i}.txt'"
        steps.append(command)
        steps.append(f"echo \"$? {i}\" >> '{rc_file}'")
    return "\n".join(steps) + "\n"


@dataclass
class BlockRun:
    block: Block
    folder: Path
    codes: dict[int, str]  # line index -> its exit code ("skipped" for SKIP / IN_BACKGROUND lines)
    log: str  # the end of the block's output, for a failure message


def run_block(block: Block, folder: Path, env: dict) -> BlockRun:
    rc_file = folder / f"exit-codes-{block.name}.txt"
    servers = []
    port = None
    printed: dict[str, str] = {}
    try:
        for line in block.lines:
            if line.command in IN_BACKGROUND:
                proc, port = _start_in_background(line.command, IN_BACKGROUND[line.command], env, folder, printed)
                servers.append(proc)
        done = subprocess.run(["bash", "-c", _script(block, rc_file, folder, port, printed)], env=env, cwd=folder,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=BLOCK_TIMEOUT_S)
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=60)
    codes = {}
    if rc_file.exists():
        for entry in rc_file.read_text().splitlines():
            value, index = entry.split()
            codes[int(index)] = value
    return BlockRun(block, folder, codes, (done.stdout + done.stderr)[-4000:])


def tour_blocks() -> list[Block]:
    return [block for page in TOUR_PAGES for block in readme_blocks(page)]


def _as_run(command: str) -> str:
    """A line as tests/test_docs_commands.py runs it (``.venv/bin/payer-app`` is ``payer-app`` on PATH)."""
    return re.sub(r"(?:\S*/)?\.venv/bin/payer-app", "payer-app", command)


def run_by_the_docs_test(block: Block, pages: list[Path] = RUN_PAGES) -> str | None:
    """The docs page whose run by tests/test_docs_commands.py starts with this block's lines, the same
    commands ending with the same codes in the same order (the page's run: its set-up, then those
    lines, each checked as this test would), or None. Only whole blocks of lines this test would run."""
    if any(line.command in SKIP or line.command in IN_BACKGROUND or line.shown_output for line in block.lines):
        return None
    wanted = [(line.command, line.expected_exit) for line in block.lines]
    for page in pages:
        first = [(_as_run(line.command), line.expected_exit) for line in runnable(page)[:len(wanted)]]
        if first == wanted:
            return page.relative_to(ROOT).as_posix()
    return None


@pytest.fixture(scope="module")
def readme_runs(tmp_path_factory) -> dict[str, BlockRun]:
    """Every block of the tour pages, run in order in one folder a page (later blocks use earlier
    files, as a reader typing them would)."""
    runs = {}
    for page in TOUR_PAGES:
        folder = tmp_path_factory.mktemp(page.stem)
        env = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                   PAYER_APP_HOME=str(folder / "payer_home"), QT_QPA_PLATFORM="offscreen")
        for block in readme_blocks(page):
            if not run_by_the_docs_test(block):
                runs[block.name] = run_block(block, folder, env)
    return runs


def test_the_readme_has_command_blocks_and_most_lines_run():
    lines = [line.command for block in readme_blocks() for line in block.lines]
    run = [c for c in lines if c not in SKIP and c not in IN_BACKGROUND]
    assert len(lines) >= 10 and len(run) >= len(lines) - len(SKIP) - len(IN_BACKGROUND)


def test_no_page_is_run_by_this_test_and_the_docs_commands_test():
    both = sorted(page.name for page in set(TOUR_PAGES) & set(RUN_PAGES))
    assert not both, f"{both}: run by tests/test_docs_commands.py already"
    assert (ROOT / "docs" / "generate.md") in RUN_PAGES, "the tour of docs/generate.md must still be run"


def test_every_skipped_or_background_line_is_in_a_tour_page():
    lines = {line.command for block in tour_blocks() for line in block.lines}
    stale = (set(SKIP) | set(IN_BACKGROUND)) - lines
    assert not stale, f"SKIP / IN_BACKGROUND name lines the tour pages no longer have: {stale}"


def test_the_readme_ci_job_is_run_once_by_the_docs_test_and_a_changed_copy_is_run_here():
    ci_job = next(b for b in tour_blocks() if b.lines[0].command.startswith("payer-app generate corpus"))
    assert run_by_the_docs_test(ci_job) == "docs/qa.md"
    changed = [Block("x", 1, ci_job.lines[:-1] + [Line(ci_job.lines[-1].command + " --all")]),
               Block("x", 1, ci_job.lines[:-1] + [Line(ci_job.lines[-1].command, expected_exit=1)]),
               Block("x", 1, ci_job.lines[1:]),  # not from the start of the page's run
               Block("x", 1, [Line("make test")])]
    assert [run_by_the_docs_test(block) for block in changed] == [None] * len(changed)
    assert [b.name for b in tour_blocks() if run_by_the_docs_test(b)] == [ci_job.name]


@pytest.mark.parametrize("name", [b.name for b in tour_blocks() if not run_by_the_docs_test(b)])
def test_each_command_line_exits_as_the_page_says(name, readme_runs):
    run = readme_runs[name]
    number = run.block.name
    for i, line in enumerate(run.block.lines):
        if line.command in SKIP or line.command in IN_BACKGROUND:
            continue
        assert run.codes.get(i) == str(line.expected_exit), (
            f"block {number}: `{line.command}` ended with {run.codes.get(i)}, the README says "
            f"{line.expected_exit}\n{run.log}")
        if line.shown_output:
            output = (run.folder / f"output-{run.block.name}-{i}.txt").read_text(encoding="utf-8").splitlines()
            assert output and output[0].split()[0] == line.shown_output[0].split()[0], (line.shown_output, output)


# A count of tests in the docs goes stale with the next test added: "`tests/x.py` (12 tests...",
# "27 passed", "the 155 tokens", "(4 cases)".
TEST_COUNT = re.compile(r"`tests/[\w/]+\.py` \(\d|\b\d[\d,]* (?:tests|passed|tokens|properties|test cases)\b"
                        r"|\(\d[\d,]* cases\)")


def test_the_docs_hold_no_counts_of_tests():
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    found = [f"{page.name}:{number}: {line.strip()}" for page in pages
             for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1)
             if TEST_COUNT.search(line)]
    assert not found, "\n".join(found)
