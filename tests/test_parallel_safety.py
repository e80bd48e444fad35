"""The suite runs on pytest-xdist workers (``make test``) and has a fast set (``make test-fast``): a test
takes nothing another worker could hold at the same time, and the fast set starts no browser and no
X server (docs/testing.md, "In parallel, and the fast set")."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
LEFT_OUT_OF_FAST = ("slow", "browser", "xserver")
FAST = " and ".join(f"not {mark}" for mark in LEFT_OUT_OF_FAST)  # the Makefile's FAST_MARKS
# Calls that start Chromium or an X server from inside a test's own body.
STARTS_A_TOOL = re.compile(r"\bmake_browser\(|\bwebdriver\.Chrome\(|\bstart_xvfb\(|\bXSession\(")


def shared_names(source: str) -> list[str]:
    """What a test file takes that another worker could take too: a fixed name in /tmp, a fixed X
    display (":99"), a fixed port bound or passed to ``--port``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.startswith("/tmp/") or re.fullmatch(r":\d+(\.\d+)?", node.value):
                found.append(f"line {node.lineno}: {node.value!r}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "bind" \
                and node.args and isinstance(node.args[0], ast.Tuple) and len(node.args[0].elts) == 2:
            port = node.args[0].elts[1]
            if isinstance(port, ast.Constant) and port.value not in (0, "0"):
                found.append(f"line {node.lineno}: bind to port {port.value!r}")
        if isinstance(node, ast.List | ast.Tuple):
            items = node.elts
            for flag, value in zip(items, items[1:], strict=False):
                if isinstance(flag, ast.Constant) and flag.value == "--port" and isinstance(value, ast.Constant) \
                        and str(value.value) != "0":
                    found.append(f"line {node.lineno}: --port {value.value!r}")
    return found


# Fixed names that nothing takes: a display number where no X server is meant to answer.
NOTHING_THERE = {"tests/test_gui_no_display.py": {"':987'"}}


def test_no_test_file_takes_a_fixed_tmp_name_display_or_port():
    offenders = {}
    for path in sorted(TESTS.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        found = [what for what in shared_names(path.read_text(encoding="utf-8"))
                 if what.split(": ", 1)[1] not in NOTHING_THERE.get(name, set())]
        if found and name != "tests/test_parallel_safety.py":
            offenders[name] = found
    assert offenders == {}


def test_the_check_finds_each_kind_of_shared_name():
    source = ('open("/tmp/shot.png", "wb")\nenv = {"DISPLAY": ":99"}\nsock.bind(("127.0.0.1", 8765))\n'
              'cmd = ["payer-app", "acquirer", "serve", "--port", "8765"]\n'
              'ok = ["serve", "--port", "0"]; sock.bind(("127.0.0.1", 0))\n')
    assert sorted(line.split(":")[0] for line in shared_names(source)) == ["line 1", "line 2", "line 3", "line 4"]


def tool_starting_tests() -> dict[str, list[str]]:
    """The test functions (by file) whose own body starts Chromium or an X server."""
    found: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        if not STARTS_A_TOOL.search(source):
            continue  # no such call anywhere in the file: nothing to parse
        lines = source.splitlines()
        for node in ast.parse(source).body:
            # the function's own lines (ast.get_source_segment would split the whole file again for each)
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test") \
                    and STARTS_A_TOOL.search("\n".join(lines[node.lineno - 1:node.end_lineno])):
                found.setdefault(path.relative_to(ROOT).as_posix(), []).append(node.name)
    return found


def fast_set_of_this_run(session: pytest.Session, wanted: set[str]) -> set[str] | None:
    """Which of ``wanted`` (test functions by node id, without parameters) ``-m FAST`` would keep, read
    from this run's own collection (``make test``: each worker collects every file, with the marks
    conftest gives); None when this run did not collect them all, or selected by mark or keyword."""
    if session.config.option.markexpr or session.config.option.keyword:
        return None
    items: dict[str, list[pytest.Item]] = {}
    for item in session.items:
        items.setdefault(item.nodeid.split("[")[0], []).append(item)
    if not wanted <= set(items):
        return None
    files = {node_id.split("::")[0] for node_id in wanted}
    of_files = [item for item in session.items if item.nodeid.split("::")[0] in files]
    assert any(item.get_closest_marker(mark) for item in of_files for mark in LEFT_OUT_OF_FAST), \
        "no test of these files is left out of the fast set: the marks were not read"
    return {node_id for node_id in wanted
            if any(not any(item.get_closest_marker(mark) for mark in LEFT_OUT_OF_FAST) for item in items[node_id])}


def fast_set_of_a_collection(wanted: set[str]) -> set[str]:
    """The same, from ``pytest --collect-only -m FAST`` of the files of ``wanted`` alone."""
    files = sorted({node_id.split("::")[0] for node_id in wanted})
    listed = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                             "-m", FAST, *files], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert listed.returncode in (0, 5), listed.stdout[-2000:] + listed.stderr[-2000:]  # 5: every test left out
    assert re.search(r"\b\d+ deselected\b", listed.stdout), listed.stdout[-2000:]
    return {line.split("[")[0] for line in listed.stdout.splitlines() if "::" in line} & wanted


def test_the_fast_set_starts_no_browser_and_no_x_server(request):
    # Only a file with such a test can put one in the fast set. The marks come from a collection
    # (conftest's fixture marks included): this run's own when it collected those tests, else pytest
    # collects those files alone, not the whole suite.
    starting = tool_starting_tests()
    assert starting, "no test starts Chromium or Xvfb itself: the check has nothing to look at"
    wanted = {f"{path}::{name}" for path, names in starting.items() for name in names}
    in_fast_set = fast_set_of_this_run(request.session, wanted)
    if in_fast_set is None:
        in_fast_set = fast_set_of_a_collection(wanted)
    assert sorted(in_fast_set) == [], "these start Chromium or Xvfb: mark them browser or xserver"


def test_make_test_runs_a_worker_more_than_cores_and_test_fast_leaves_out_the_marks():
    shown = subprocess.run(["make", "-n", "test", "test-fast"], cwd=ROOT, capture_output=True, text=True,
                           timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)})
    commands = [line for line in shown.stdout.splitlines() if " -m pytest " in line]
    assert len(commands) == 2, shown.stdout + shown.stderr
    workers = len(os.sched_getaffinity(0)) + 1  # what `nproc` counts, and one more
    assert all(f" -n {workers} --dist loadfile --no-loadscope-reorder" in command for command in commands), commands
    assert f'-m "{FAST}"' in commands[1] and "-m " not in commands[0].split(" -m pytest ")[1], commands


def test_files_with_long_tests_are_handed_out_first(request):
    """Workers take whole files in collection order (xdist's own reorder is off in the Makefile), so the
    files with slow, browser or Xvfb tests come first and short files fill the end of the run. The order
    is this run's own when it collected both files unselected (``make test``), else pytest collects the two."""
    short, long_ = "tests/test_crc.py", "tests/test_window_soak.py"
    option = request.config.option
    files = [item.nodeid.split("::")[0] for item in request.session.items]
    files = [path for path in files if path in (short, long_)]
    if option.markexpr or option.keyword or set(files) != {short, long_}:
        listed = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                                 short, long_], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert listed.returncode == 0, listed.stdout[-2000:] + listed.stderr[-2000:]
        files = [line.split("::")[0] for line in listed.stdout.splitlines() if "::" in line]
    assert set(files) == {short, long_}, files
    assert files == sorted(files, key=lambda path: path != long_), files


def test_the_check_of_this_run_finds_an_unmarked_test_and_steps_aside_when_it_cannot_tell():
    def item(node_id: str, *marks: str) -> SimpleNamespace:
        return SimpleNamespace(nodeid=node_id, get_closest_marker=lambda name: name if name in marks else None)

    def session(*items: SimpleNamespace, markexpr: str = "") -> pytest.Session:
        option = SimpleNamespace(markexpr=markexpr, keyword="")
        return cast(pytest.Session, SimpleNamespace(config=SimpleNamespace(option=option), items=list(items)))

    wanted = {"tests/test_a.py::test_opens", "tests/test_a.py::test_draws"}
    marked = item("tests/test_a.py::test_draws[1]", "browser")
    assert fast_set_of_this_run(session(marked, item("tests/test_a.py::test_opens")), wanted) == {
        "tests/test_a.py::test_opens"}
    assert fast_set_of_this_run(session(marked, item("tests/test_a.py::test_opens", "xserver")), wanted) == set()
    assert fast_set_of_this_run(session(marked), wanted) is None  # not collected in this run
    assert fast_set_of_this_run(session(marked, item("tests/test_a.py::test_opens"), markexpr="slow"), wanted) is None


def test_a_file_that_waits_is_handed_out_after_every_two_that_compute():
    """Among the long files, one with a real window or a browser (mostly waiting) comes after every two
    that compute, so the workers do not all wait at once; the short files come last."""
    from tests.conftest import handout_order

    files = [("short1", set()), ("window1", {"xserver"}), ("soak", {"slow"}), ("page", {"browser", "slow"}),
             ("fuzz", {"slow"}), ("install", {"slow"}), ("short2", set()), ("window2", {"xserver"})]
    assert handout_order(files) == ["window1", "soak", "fuzz", "page", "install", "short1", "window2", "short2"]
    assert handout_order([("a", set()), ("b", {"slow"})]) == ["b", "a"]
    assert sorted(handout_order(files)) == sorted(path for path, _ in files)
