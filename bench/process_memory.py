"""Resident memory of this process, for the soak benchmarks (bench/demo_soak_bench.py,
bench/window_soak_bench.py)."""

from __future__ import annotations

from pathlib import Path


def rss_mib() -> float:
    """Resident set size now (VmRSS), in MiB; the peak on systems without /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def peak_rss_mib() -> float:
    """The highest resident set size this process has had (VmHWM), in MiB: the peak, wherever it
    fell between samples. ``ru_maxrss`` on systems without /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def release_free_heap() -> None:
    """Give freed heap pages back to the system (glibc ``malloc_trim``), so RSS shows live memory
    rather than the high-water mark of the last burst of camera frames."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def memory_breakdown() -> str:
    """Where the resident memory is, from ``/proc/self/smaps_rollup`` (anonymous: heaps, thread
    arenas, numpy and OpenCV buffers, Qt images; file: mapped libraries and fonts), the thread count
    and, while ``tracemalloc`` traces, the Python objects' share. Empty without /proc."""
    import tracemalloc

    fields: dict[str, int] = {}
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
            name, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                fields[name] = int(rest.split()[0])
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Threads:"):
                fields["Threads"] = int(line.split()[1])
    except OSError:
        return ""
    anon = fields.get("Anonymous", 0) / 1024.0
    rss = fields.get("Rss", 0) / 1024.0
    out = f"anon {anon:6.1f}  file {rss - anon:6.1f} MiB  threads {fields.get('Threads', 0)}"
    if tracemalloc.is_tracing():
        out += f"  python {tracemalloc.get_traced_memory()[0] / 2**20:6.1f} MiB"
    return out


def python_top(limit: int = 8) -> list[str]:
    """The source files holding the most traced Python memory (``tracemalloc`` must be tracing)."""
    import tracemalloc

    if not tracemalloc.is_tracing():
        return []
    stats = tracemalloc.take_snapshot().statistics("filename")
    return [f"{s.size / 2**20:7.2f} MiB {s.count:8d} blocks  {s.traceback[0].filename}" for s in stats[:limit]]


def mapping_totals() -> dict[str, tuple[int, int]]:
    """Resident memory by mapping from ``/proc/self/smaps``: {name: (Rss kB, Anonymous kB)}, where a
    name is the mapped file's base name (libraries, fonts), ``[heap]``, ``[stack]``, or ``anon`` for
    the unnamed mappings (thread arenas, thread stacks, big numpy / OpenCV / Qt image buffers, which
    glibc gives their own mapping above 128 kB). Empty without /proc."""
    totals: dict[str, list[int]] = {}
    name = "anon"
    try:
        lines = Path("/proc/self/smaps").read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        head = line.split(None, 5)
        if head and "-" in head[0] and len(head) >= 5 and ":" in head[3]:  # a mapping's first line
            path = head[5].strip() if len(head) > 5 else ""
            name = path.rsplit("/", 1)[-1] if path.startswith("/") else (path or "anon")
            totals.setdefault(name, [0, 0])
        elif line.startswith("Rss:"):
            totals[name][0] += int(line.split()[1])
        elif line.startswith("Anonymous:"):
            totals[name][1] += int(line.split()[1])
    return {k: (v[0], v[1]) for k, v in totals.items()}


def mapping_top(limit: int = 12) -> list[str]:
    """The mappings holding the most resident memory now, largest first (``mapping_totals``)."""
    totals = sorted(mapping_totals().items(), key=lambda kv: -kv[1][0])
    return [f"{rss / 1024:7.1f} MiB rss {anon / 1024:7.1f} MiB anon  {name}" for name, (rss, anon) in totals[:limit]]


class PeakWatch:
    """Polls this process's resident memory every ``interval`` seconds on a thread of its own and
    keeps the highest value seen, with ``label()`` (what the program was doing; read from the
    thread, so plain attributes only) and ``memory_breakdown()`` at that moment."""

    def __init__(self, label, interval: float = 0.05):
        import threading

        self.label, self.interval = label, interval
        self.peak_mib = 0.0
        self.at = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-watch", daemon=True)

    def start(self) -> PeakWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            now = rss_mib()
            if now > self.peak_mib + 1.0:
                self.peak_mib = now
                self.at = f"{self.label()}; {memory_breakdown()}"

    def line(self) -> str:
        return f"peak RSS polled every {self.interval * 1000:.0f} ms: {self.peak_mib:.1f} MiB ({self.at})"
