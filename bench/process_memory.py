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


def release_free_heap() -> None:
    """Give freed heap pages back to the system (glibc ``malloc_trim``), so RSS shows live memory
    rather than the high-water mark of the last burst of camera frames."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
