"""A folder scan against zxing-cpp alone, on the generated corpus: wall time, CPU time and reads.

Generates the corpus unless DIR already holds one (``payer-app generate corpus DIR --count 500
--seed 1``), then runs, each as its own process and measured the same way:

* ``qa``: ``payer-app scan DIR --json --expect DIR/manifest.json --junit ... --html ...`` (a QA run);
* ``plain``: ``payer-app scan DIR --json``;
* ``zxing``: a Python process that reads every picture of DIR grey with OpenCV and calls
  ``zxingcpp.read_barcodes`` on it, in a plain loop (no project code).

``--jobs N`` is passed to both scans when given (default: the scan's own default, every usable core).
Wall time is from the start of the process to its exit; CPU time is user + system of the process and
of every process it started (the bench makes itself the subreaper of the worker processes, so their
time is counted even though they are not its children), and apart the CPU time of the command's own
process (for the scans: reading the results, checking, printing, the reports). Printed: the load
average before and after, each run's times, the files read by each, and the files zxing-cpp read
that the scans did not (must be none). Exit 1 when the QA run's wall time is over ``TARGET`` times
zxing-cpp's, or zxing-cpp read a file the scans did not.

``--profile``: afterwards, in this process, what one worker's work costs, step by step (reading the
pictures, the fast pass, the thorough pass of the files that need it, the HTML report's pictures),
the report writing, and cProfile's top functions of the whole decode.

``--rounds N`` repeats the three runs N times (interleaved, so a change of load touches all three)
and judges the median ratio.

Run: nice .venv/bin/python bench/scan_corpus_bench.py [--dir DIR] [--count 500] [--seed 1] [--jobs N]
[--rounds N] [--profile]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 1.5  # the project's wall time at most this many times zxing-cpp's
PR_SET_CHILD_SUBREAPER = 36

ZXING_LOOP = r"""
import json, sys
from pathlib import Path
import cv2, zxingcpp
SUFFIXES = set(sys.argv[2].split(","))
read = {}
for p in sorted(Path(sys.argv[1]).iterdir()):
    if p.suffix.lower() in SUFFIXES and p.is_file():
        image = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        read[str(p)] = [] if image is None else [b.text for b in zxingcpp.read_barcodes(image)]
print(json.dumps(read))
"""


def payer_app() -> list[str]:
    return [sys.executable, "-m", "payer_app"]


def ensure_corpus(folder: Path, count: int, seed: int) -> None:
    manifest = folder / "manifest.json"
    if manifest.exists():
        generator = json.loads(manifest.read_text(encoding="utf-8")).get("generator", {})
        if generator.get("count") == count and generator.get("seed") == seed:
            print(f"corpus: reusing {folder} ({count} pictures, seed {seed})")
            return
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([*payer_app(), "generate", "corpus", str(folder), "--count", str(count), "--seed", str(seed)],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"corpus: generated {folder} ({count} pictures, seed {seed})")


def become_subreaper() -> bool:
    """Orphaned descendants (the scan's worker processes) are handed to this process, so their CPU
    time reaches ``RUSAGE_CHILDREN`` when they are reaped."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def measure(cmd: list[str]) -> tuple[float, float, float, str]:
    """(wall s, CPU s of the process and all its descendants, CPU s of the process alone, its
    standard output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, own = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8"), err.read().decode("utf-8", "replace")
    while True:  # reap the orphans (a forkserver ends once its parent has)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} exited {proc.returncode}: {stderr.strip()[-500:]}")
    return wall, cpu, own.ru_utime + own.ru_stime, stdout


def scan_reads(stdout: str) -> dict[str, list[str]]:
    read = {}
    for line in stdout.splitlines():
        item = json.loads(line)
        read[item["source"]] = [c["payload"] for c in item.get("codes", [])]
    return read


def compare(name: str, project: dict[str, list[str]], zxing: dict[str, list[str]]) -> list[str]:
    missed = sorted(f for f, texts in zxing.items() if texts and not project.get(f))
    other = sorted(f for f, texts in zxing.items() if project.get(f) and not set(texts) <= set(project[f]))
    print(f"  {name}: files zxing-cpp read that the scan did not: {len(missed)} {missed[:5]}; "
          f"payloads zxing-cpp read that the scan did not: {len(other)} {other[:5]}")
    return missed + other


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "payer_app_corpus_500"))
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    from payer_app.scan.sources import IMAGE_SUFFIXES

    folder = Path(args.dir)
    ensure_corpus(folder, args.count, args.seed)
    counted = become_subreaper()
    print(f"cores usable: {len(os.sched_getaffinity(0))}; load average before: {os.getloadavg()}; "
          f"worker CPU counted: {'yes' if counted else 'no (no subreaper)'}")
    jobs = [] if args.jobs is None else ["--jobs", str(args.jobs)]
    with tempfile.TemporaryDirectory() as out:
        qa_cmd = [*payer_app(), "scan", str(folder), "--json", *jobs, "--expect", str(folder / "manifest.json"),
                  "--junit", f"{out}/junit.xml", "--html", f"{out}/report.html"]
        runs = {
            "qa": qa_cmd,
            "plain": [*payer_app(), "scan", str(folder), "--json", *jobs],
            "zxing": [sys.executable, "-c", ZXING_LOOP, str(folder), ",".join(sorted(IMAGE_SUFFIXES))],
        }
        ratios: dict[str, list[float]] = {"qa": [], "plain": []}
        for round_ in range(1, args.rounds + 1):  # the three runs one after the other, round after round
            results = {name: measure(cmd) for name, cmd in runs.items()}
            reads = {name: (json.loads(out) if name == "zxing" else scan_reads(out))
                     for name, (_, _, _, out) in results.items()}
            zx_wall = results["zxing"][0]
            for name, (wall, cpu, own, _) in results.items():
                found = sum(1 for texts in reads[name].values() if texts)
                print(f"round {round_}: {name:6s} wall {wall:6.2f} s  CPU {cpu:6.2f} s (own process {own:5.2f} s)  "
                      f"({wall / zx_wall:4.2f} x zxing-cpp's wall)  files read {found} of {len(reads[name])}")
            for name in ratios:
                ratios[name].append(results[name][0] / zx_wall)
    print(f"load average after: {os.getloadavg()}")
    problems = compare("qa", reads["qa"], reads["zxing"]) + compare("plain", reads["plain"], reads["zxing"])
    for name, values in ratios.items():
        print(f"{name} wall / zxing-cpp's wall, median of {len(values)}: {statistics.median(values):.2f} x")
    ratio = statistics.median(ratios["qa"])
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"target (qa wall <= {TARGET} x zxing-cpp's): {verdict} ({ratio:.2f} x)")
    if args.profile:
        profile(folder)
    return 0 if ratio <= TARGET and not problems else 1


def profile(folder: Path) -> None:
    """Step by step, in this process: what one worker does for the whole corpus, then the reports."""
    import cProfile
    import pstats

    from payer_app.qa.batch import QaBatch
    from payer_app.qa.expectations import load_expectations
    from payer_app.qa.workers import FileDecoder, decode_file, file_tasks, needs_thorough, report_pictures
    from payer_app.scan.decoders import as_gray, fast_decode
    from payer_app.scan.engine import STILL, decode_checked
    from payer_app.scan.sources import FolderSource, read_image_file

    source = FolderSource(str(folder), folder)
    expectations = load_expectations(folder / "manifest.json")
    steps = {"read": 0.0, "fast": 0.0, "thorough": 0.0, "card": 0.0}
    escalated = 0
    for path in source.paths:
        t0 = time.process_time()
        image = read_image_file(path)
        t1 = time.process_time()
        fast = fast_decode(as_gray(image))
        t2 = time.process_time()
        codes = fast
        if needs_thorough(str(path), [c.text for c in fast], expectations.find(str(path))):
            escalated += 1
            codes = decode_checked(image, STILL, str(path)) or fast
        t3 = time.process_time()
        report_pictures(image, codes, None)
        t4 = time.process_time()
        for step, spent in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            steps[step] += spent
    print(f"profile, CPU s in one process, {len(source.paths)} pictures, {escalated} escalated with --expect: "
          + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()))
    with tempfile.TemporaryDirectory() as out:
        ns = argparse.Namespace(expect=str(folder / "manifest.json"), html=f"{out}/r.html",
                                junit=f"{out}/j.xml", json=False)
        qa = QaBatch.from_args(ns, source)
        for result in FileDecoder(1, 1).results(file_tasks(source.paths, qa)):
            qa.add({"source": result.path}, None, result.codes, result.decode_ms, card=result.card)
        t0 = time.process_time()
        with open(os.devnull, "w") as sink:
            stdout, sys.stdout = sys.stdout, sink
            try:
                qa.finish(0)
            finally:
                sys.stdout = stdout
        print(f"reports (JUnit + HTML, {Path(out, 'r.html').stat().st_size / 1e6:.1f} MB) written in "
              f"{time.process_time() - t0:.2f} s of CPU")
    tasks = list(file_tasks(source.paths))  # no expectation: the thorough pass for every picture not read
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for task in tasks:
        decode_file(task)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    sys.exit(main())
