"""``payer-app scan FOLDER``: every core (``--jobs``), fast first and thorough when needed, Ctrl+C.

Real ``payer-app scan`` processes on real pictures: a generated corpus (``generate corpus``), QR
codes written by segno, noise pictures that nothing reads. How fast it is goes to
bench/scan_corpus_bench.py, never here."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from payer_app.cli import main
from payer_app.scan.engine import decode_image_file
from payer_app.scan.sources import IMAGE_SUFFIXES
from tests import cli_in_process
from tests.media import empty_frame, write_image, write_qr_png
from tests.spec_vectors import EVN_BILL, VIETQR_TRANSFER

ROOT = Path(__file__).resolve().parents[1]
CEILING_S = 300  # only a hung scan waits this long


def scan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "payer_app", "scan", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=CEILING_S)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def timeless(line: dict) -> dict:
    return {k: v for k, v in line.items() if k not in ("decode_ms", "t_ms")}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """40 generated pictures: clean, inverted, blurred, rotated, two codes, and two beyond any decoder."""
    folder = tmp_path_factory.mktemp("jobs") / "corpus"
    assert main(["generate", "corpus", str(folder), "--count", "40", "--seed", "3"]) == 0
    return folder


@pytest.fixture(scope="module")
def checked_scan(corpus) -> subprocess.CompletedProcess:
    """``scan CORPUS --json --jobs 1 --expect manifest.json``, run once for the file."""
    return scan(str(corpus), "--json", "--jobs", "1", "--expect", str(corpus / "manifest.json"))


def pictures(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def test_two_workers_print_what_one_process_prints_in_the_same_order(corpus, checked_scan):
    """--jobs 2 decodes in worker processes; its lines (expectations included) are --jobs 1's, in
    the folder's order, whichever worker finished first."""
    one = checked_scan
    two = scan(str(corpus), "--json", "--jobs", "2", "--expect", str(corpus / "manifest.json"))
    assert one.returncode == two.returncode == 0, one.stderr + two.stderr
    lines = json_lines(two.stdout)
    assert [line["source"] for line in lines] == [str(p) for p in pictures(corpus)]
    assert [timeless(line) for line in lines] == [timeless(line) for line in json_lines(one.stdout)]
    assert two.stderr == one.stderr  # the expectation summary


def test_every_picture_the_thorough_pipeline_reads_is_still_read(corpus, checked_scan):
    """Fast first must not lose a picture: each picture the engine's still-image pipeline reads on its
    own is read by the scan, with and without --expect; the fast pass reads most of them, the
    thorough pass is tried on the rest (--json says which). Each picture is decoded once here."""
    plain = json_lines(scan(str(corpus), "--json").stdout)
    checked = json_lines(checked_scan.stdout)
    thorough = {str(path): {d.text for d in decode_image_file(path)} for path in pictures(corpus)}
    for lines in (plain, checked):
        read = {line["source"]: {c["payload"] for c in line.get("codes", [])} for line in lines}
        for path, texts in thorough.items():
            if texts:
                assert read[path] & texts, path
    passes = [line["pass"] for line in plain]
    assert passes.count("fast") >= len(passes) // 2 and "thorough" in passes
    assert all(isinstance(line["decode_ms"], float) for line in plain)
    assert all(line["decoder"] == "zxing" for line in plain if line["pass"] == "fast")
    assert all(line["expect"]["status"] == "pass" for line in checked)


def test_the_thorough_pass_runs_when_the_fast_read_misses_the_expectation(tmp_path, capsys):
    """A picture whose fast read is not the expected payload, and one that must hold no QR (only the
    thorough pass can say so), go through the thorough pass; one that meets its expectation does not.
    The command in this process, without workers (a worker decodes a picture with the same function)."""
    folder = tmp_path / "pictures"
    folder.mkdir()
    write_qr_png(folder / "a-wrong.png", EVN_BILL)
    write_image(folder / "b-none.png", empty_frame(640, 360))
    write_qr_png(folder / "c-right.png", VIETQR_TRANSFER)
    expect = tmp_path / "expect.json"
    expect.write_text(json.dumps({"a-wrong.png": VIETQR_TRANSFER, "b-none.png": {"found": False},
                                  "c-right.png": VIETQR_TRANSFER}), encoding="utf-8")
    code, out, err = cli_in_process.run(capsys, "scan", str(folder), "--json", "--jobs", "1", "--expect", str(expect))
    assert code == 1, err  # a-wrong.png fails
    lines = {Path(line["source"]).name: line for line in json_lines(out)}
    assert (lines["a-wrong.png"]["pass"], lines["a-wrong.png"]["expect"]["status"]) == ("thorough", "wrong-payload")
    assert (lines["b-none.png"]["pass"], lines["b-none.png"]["expect"]["status"]) == ("thorough", "pass")
    assert (lines["c-right.png"]["pass"], lines["c-right.png"]["decoder"]) == ("fast", "zxing")
    _, out, _ = cli_in_process.run(capsys, "scan", str(folder), "--json", "--jobs", "1")
    plain = {Path(line["source"]).name: line for line in json_lines(out)}
    assert plain["a-wrong.png"]["pass"] == "fast" and plain["b-none.png"]["pass"] == "thorough"


def test_at_most_a_window_of_pictures_is_in_flight(tmp_path):
    """The workers are fed a few chunks of pictures ahead of the results, never the whole folder;
    results come in the tasks' order."""
    from payer_app.qa.workers import MAX_CHUNK, WINDOW_PER_JOB, FileDecoder, Task

    evn, vietqr = write_qr_png(tmp_path / "evn.png", EVN_BILL), write_qr_png(tmp_path / "vietqr.png", VIETQR_TRANSFER)
    paths = []
    for i in range(120):
        paths.append(str(tmp_path / f"{i:03d}.png"))
        os.link(evn if i % 2 else vietqr, paths[-1])
    drawn: list[str] = []

    def tasks():
        for path in paths:
            drawn.append(path)
            yield Task(path)

    with FileDecoder(2, len(paths)) as decoder:
        results = decoder.results(tasks())
        first = next(results)
        assert len(drawn) <= 2 * WINDOW_PER_JOB * MAX_CHUNK < len(paths)
        rest = list(results)
    assert [r.path for r in [first, *rest]] == paths
    assert [r.codes[0].text for r in [first, *rest]] == [EVN_BILL if i % 2 else VIETQR_TRANSFER for i in range(120)]
    assert all(r.stage == "fast" for r in [first, *rest])


def test_workers_do_not_load_a_payer_app_folder_from_the_current_folder(corpus, tmp_path):
    """A CI job runs the installed ``payer-app`` from its checkout, whose ``payer_app`` folder is not the
    installed package. The workers must load the command's package, not the one in the current folder
    (here a decoy that imports but holds nothing). Four of the corpus's pictures keep both workers busy."""
    folder = tmp_path / "four"
    folder.mkdir()
    for path in pictures(corpus)[:4]:
        os.link(path, folder / path.name)
    decoy = tmp_path / "checkout"
    (decoy / "payer_app").mkdir(parents=True)
    (decoy / "payer_app" / "__init__.py").write_text("", encoding="utf-8")
    script = Path(sys.executable).with_name("payer-app")  # the console script pip installed
    assert script.is_file(), "the suite runs in the virtualenv make venv made (payer-app installed)"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSAFEPATH", "PYTHONPATH")}
    here = subprocess.run([str(script), "scan", str(folder), "--json", "--jobs", "2"],
                          cwd=decoy, capture_output=True, text=True, timeout=CEILING_S, env=env)
    assert "ended unexpectedly" not in here.stdout + here.stderr
    assert len(json_lines(here.stdout)) == 4


def test_jobs_default_to_the_cores_this_process_may_use():
    """One usable core (CPU affinity), one job: the machine's core count is not what counts."""
    code = ("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "from payer_app.qa.workers import default_jobs; print(default_jobs())")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=CEILING_S)
    assert run.stdout.strip() == "1", run.stderr


def test_jobs_must_be_at_least_one(capsys):
    assert main(["scan", "demo", "--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err


def python_processes(pids: set[int]) -> set[int]:
    """Those of ``pids`` that run Python (read from /proc; a process already gone is left out)."""
    found = set()
    for pid in pids:
        try:
            argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if b"python" in Path(argv0.decode(errors="replace")).name.encode():
            found.add(pid)
    return found


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, their children...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def wait_ended(pid: int) -> bool:
    """True once ``pid`` has ended (a pidfd becomes readable then); False after the ceiling."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], CEILING_S)[0])
    finally:
        os.close(fd)


@pytest.mark.parametrize("jobs", ["2", "1"])
def test_ctrl_c_ends_the_scan_and_every_worker(tmp_path, jobs):
    """SIGINT to a real ``payer-app scan FOLDER --jobs 2`` while its workers decode: it exits 130 with
    no traceback, every line it printed whole, and no process it started survives it. With
    ``--jobs 1`` (no worker) it stops once the picture being decoded is done."""
    folder = tmp_path / "pictures"
    folder.mkdir()
    write_qr_png(folder / "a.png", EVN_BILL)
    # nothing reads the noise: every step of the thorough pass. Small pictures (400 x 400, a sixth of
    # the decode of 1000 x 1000) and three times as many: a.png's chunk (it and seven noise pictures,
    # the first line) is done sooner, and about as much work is still left when Ctrl+C comes.
    grains = np.random.default_rng(0).integers(0, 256, (400, 400), dtype=np.uint8)
    noise = write_image(tmp_path / "noise.png", grains)
    for i in range(120):
        os.link(noise, folder / f"n{i:03d}.png")
    errors = tmp_path / "stderr.txt"
    with open(errors, "wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "payer_app", "scan", str(folder), "--json", "--jobs", jobs],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)
    hung = threading.Timer(CEILING_S, proc.kill)  # only a hung scan is ended this way
    hung.start()
    try:
        first = json.loads(proc.stdout.readline())  # a worker decoded a.png: the workers are running
        assert first["found"] is True
        started = descendants(proc.pid)
        workers = python_processes(started)  # not the ldconfig that loading zbar runs (ctypes' find_library)
        assert len(workers) >= 2 if jobs == "2" else not workers, started  # the forkserver and the workers
        proc.send_signal(signal.SIGINT)
        out = proc.stdout.read()  # the rest, from the buffer the first line was read through
        proc.stdout.close()
        proc.wait()
    finally:
        hung.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = errors.read_text(encoding="utf-8")
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert len(json_lines(out)) < 120  # it stopped before the end
    assert all(wait_ended(pid) for pid in started)
